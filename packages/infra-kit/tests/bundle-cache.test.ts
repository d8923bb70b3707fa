import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

/** A fresh copy of the bundler (its in-memory cache empty), as a new `pnpm dev` or `pulumi up` process has. */
async function freshBundler() {
  vi.resetModules();
  return (await import("../src/bundle")).bundleHandler;
}

describe("bundle disk cache", () => {
  const root = mkdtempSync(join(tmpdir(), "switchyard-bundle-cache-"));
  const entry = join(root, "src", "handler.ts");
  const cacheDir = join(root, "node_modules", ".cache", "switchyard", "bundles");
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  mkdirSync(join(root, "src"));
  writeFileSync(join(root, "src", "greeting.ts"), 'export const greeting = "v1";\n');
  writeFileSync(
    entry,
    'import { greeting } from "./greeting";\nexport const handler = async () => greeting;\n',
  );
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const text = (bundle: { files: Record<string, string> }) => bundle.files["index.mjs"] ?? "";
  /** The entries' JSON files (each entry's output files are in the folder of the same name). */
  const entries = () =>
    readdirSync(cacheDir)
      .filter((name) => name.endsWith(".json"))
      .sort();
  /** Replaces text in an entry's stored `index.mjs` (same length, so the entry stays whole). */
  const mark = (entryFile: string, from: string, to: string) => {
    const content = join(cacheDir, entryFile.replace(/\.json$/, ""), "index.mjs");
    writeFileSync(content, readFileSync(content, "utf8").replace(from, to));
  };

  it("stores esbuild's output with the hash of every input, and reuses it in the next process", async () => {
    const first = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(first)).toContain('"v1"');
    const [file] = entries();
    const stored = JSON.parse(readFileSync(join(cacheDir, file as string), "utf8"));
    expect(Object.keys(stored.inputHashes).sort()).toEqual(["src/greeting.ts", "src/handler.ts"]);

    // Mark the stored output (same size): a later process that returns the mark read it from the cache, not
    // from esbuild.
    mark(file as string, '"v1"', '"v9"');
    const second = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(second)).toContain('"v9"');
    expect(second.inputs).toEqual(first.inputs);
  });

  it("bundles again when any input changed (an imported file here)", async () => {
    writeFileSync(join(root, "src", "greeting.ts"), 'export const greeting = "v2";\n');
    const bundle = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(bundle)).toContain('"v2"');
    expect(text(bundle)).not.toContain('"v9"');
  });

  it("sees an input that changed since the last check of the same process", async () => {
    vi.resetModules();
    const { readCachedBuild } = await import("../src/bundle-cache");
    const [file] = entries();
    const key = (file as string).replace(/\.json$/, "");
    expect(readCachedBuild(root, key)).toBeDefined();
    writeFileSync(join(root, "src", "greeting.ts"), 'export const greeting = "v3";\n');
    await Promise.resolve(); // the program's next run (stats are shared within one synchronous run only)
    expect(readCachedBuild(root, key)).toBeUndefined();
    writeFileSync(join(root, "src", "greeting.ts"), 'export const greeting = "v2";\n');
    await Promise.resolve();
    expect(readCachedBuild(root, key)).toBeDefined();
  });

  it("keys on the build options: a minified build is not the unminified one", async () => {
    const minified = (await freshBundler())({ entry, external: [], minify: true });
    expect(text(minified)).toContain('"v2"');
    expect(entries()).toHaveLength(2);
  });

  it("does not take an entry whose output file is missing or of another size", async () => {
    const contents = entries().map((file) => join(cacheDir, file.replace(/\.json$/, ""), "index.mjs"));
    expect(contents).toHaveLength(2); // the minified build's and the other
    for (const content of contents) writeFileSync(content, `${readFileSync(content, "utf8")}// torn`);
    for (const minify of [false, true]) {
      expect(text((await freshBundler())({ entry, external: [], minify }))).not.toContain("// torn");
    }
    for (const content of contents) rmSync(content);
    for (const minify of [false, true]) {
      expect(text((await freshBundler())({ entry, external: [], minify }))).toContain('"v2"');
    }
    for (const content of contents) expect(readFileSync(content, "utf8")).toContain('"v2"'); // written again
  });

  it("is skipped with SWITCHYARD_BUNDLE_CACHE=off", async () => {
    for (const file of entries()) mark(file, '"v2"', '"v0"');
    vi.stubEnv("SWITCHYARD_BUNDLE_CACHE", "off");
    try {
      const bundler = await freshBundler();
      for (const minify of [false, true]) {
        expect(text(bundler({ entry, external: [], minify }))).toContain('"v2"');
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
