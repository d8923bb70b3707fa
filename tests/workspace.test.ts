import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dirname, "..");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
const workspace = parse(readFileSync(join(ROOT, "pnpm-workspace.yaml"), "utf8")) as {
  packages: string[];
  catalog: Record<string, string>;
};

function packageDirs(): string[] {
  return workspace.packages.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(pattern.slice(0, -2), entry.name))
          .filter((dir) => {
            try {
              readFileSync(join(ROOT, dir, "package.json"));
              return true;
            } catch {
              return false;
            }
          })
      : [pattern],
  );
}

describe("the workspace", () => {
  it("pins the same pnpm in packageManager and in the catalog", () => {
    const root = readJson(join(ROOT, "package.json"));
    const pinned = String(root.packageManager).match(/^pnpm@([^+]+)\+sha512\.[0-9a-f]{128}$/);
    expect(
      pinned,
      "packageManager must be pnpm@<version>+sha512.<hash> so corepack can verify it offline",
    ).not.toBeNull();
    expect(workspace.catalog.pnpm).toBe(pinned?.[1]);
  });

  it.each(packageDirs())(
    "%s takes external versions from the catalog and siblings from the workspace",
    (dir) => {
      const pkg = readJson(join(ROOT, dir, "package.json"));
      const deps = { ...(pkg.dependencies as object), ...(pkg.devDependencies as object) } as Record<
        string,
        string
      >;
      for (const [name, spec] of Object.entries(deps)) {
        if (name.startsWith("@switchyard/")) expect(spec, `${dir}: ${name}`).toBe("workspace:*");
        else expect(spec, `${dir}: ${name}`).toBe("catalog:");
      }
      expect(pkg.private).toBe(true);
      expect(pkg.type).toBe("module");
    },
  );

  it.each(packageDirs())("%s runs its checks through the shared tools", (dir) => {
    const scripts = readJson(join(ROOT, dir, "package.json")).scripts as Record<string, string>;
    expect(scripts.typecheck).toBe("tsc -p .");
    expect(scripts.lint).toBe("biome check .");
    if (dir !== "bench") expect(scripts.test).toBe("vitest run");
    const tsconfig = readJson(join(ROOT, dir, "tsconfig.json"));
    expect(String(tsconfig.extends)).toMatch(/tsconfig\.base\.json$/);
  });

  it("keeps TypeScript strict everywhere", () => {
    const base = readJson(join(ROOT, "tsconfig.base.json")).compilerOptions as Record<string, unknown>;
    expect(base).toMatchObject({ strict: true, noUncheckedIndexedAccess: true });
  });
});
