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

  it("stores esbuild's output with the hash of every input, and reuses it in the next process", async () => {
    const first = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(first)).toContain('"v1"');
    const [file] = readdirSync(cacheDir);
    const stored = JSON.parse(readFileSync(join(cacheDir, file as string), "utf8"));
    expect(Object.keys(stored.inputHashes).sort()).toEqual(["src/greeting.ts", "src/handler.ts"]);

    // Mark the stored output: a later process that returns the mark read it from the cache, not from esbuild.
    stored.files["index.mjs"] = stored.files["index.mjs"].replace('"v1"', '"from-cache"');
    writeFileSync(join(cacheDir, file as string), JSON.stringify(stored));
    const second = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(second)).toContain('"from-cache"');
    expect(second.inputs).toEqual(first.inputs);
  });

  it("bundles again when any input changed (an imported file here)", async () => {
    writeFileSync(join(root, "src", "greeting.ts"), 'export const greeting = "v2";\n');
    const bundle = (await freshBundler())({ entry, external: [], minify: false });
    expect(text(bundle)).toContain('"v2"');
    expect(text(bundle)).not.toContain("from-cache");
  });

  it("keys on the build options: a minified build is not the unminified one", async () => {
    const minified = (await freshBundler())({ entry, external: [], minify: true });
    expect(text(minified)).toContain('"v2"');
    expect(readdirSync(cacheDir).filter((name) => name.endsWith(".json"))).toHaveLength(2);
  });

  it("is skipped with SWITCHYARD_BUNDLE_CACHE=off", async () => {
    const [file] = readdirSync(cacheDir).sort();
    const stored = JSON.parse(readFileSync(join(cacheDir, file as string), "utf8"));
    stored.files["index.mjs"] = stored.files["index.mjs"].replace('"v2"', '"stale"');
    writeFileSync(join(cacheDir, file as string), JSON.stringify(stored));
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
