import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
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

/** The TypeScript files under a package's src/ (its code, not its tests). */
function sourceFiles(dir: string): string[] {
  const src = join(ROOT, dir, "src");
  try {
    return (readdirSync(src, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
const relative = (file: string) => file.slice(ROOT.length + 1);

describe("each package's shape (issue 13)", () => {
  const packages = packageDirs().filter((dir) => dir !== "bench" && dir !== "tests");

  it("names each component's file after its class", () => {
    const misnamed = packages.flatMap((dir) =>
      sourceFiles(dir).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/export class (\w+) extends pulumi\.ComponentResource/g)]
          .map((match) => match[1] as string)
          .filter((component) => basename(file) !== `${kebab(component)}.ts`)
          .map((component) => `${relative(file)} declares ${component} (expected ${kebab(component)}.ts)`),
      ),
    );
    expect(misnamed).toEqual([]);
  });

  /**
   * Signals a package throws and catches inside itself, never an error a caller sees: the local cloud's IAM layer
   * asks a delivery to retry once its decision is cached.
   */
  const INTERNAL_SIGNALS = ["DeliveryPending"];

  it.each(packages)(
    "%s has a README and one base error class (the only one extending Error), exported",
    (dir) => {
      expect(() => readFileSync(join(ROOT, dir, "README.md"), "utf8"), `${dir}/README.md`).not.toThrow();
      const bases = sourceFiles(dir).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/export class (\w+) extends Error\b/g)]
          .map((match) => match[1] as string)
          .filter((name) => !INTERNAL_SIGNALS.includes(name))
          .map((name) => `${name} (${relative(file)})`),
      );
      expect(bases, `${dir}: classes extending Error directly`).toHaveLength(1);
      const [base] = (bases[0] as string).split(" ");
      // Reachable from the package's public entry points (its index, or a Pulumi-free `./errors`).
      const entries = Object.values(
        readJson(join(ROOT, dir, "package.json")).exports as Record<string, string>,
      );
      const exported = entries.some((entry) =>
        new RegExp(`\\b${base}\\b`).test(readFileSync(join(ROOT, dir, entry), "utf8")),
      );
      expect(exported, `${dir}: ${base} is exported by one of ${entries.join(", ")}`).toBe(true);
    },
  );
});

describe("Lambda code is traced (issue 13)", () => {
  it("wraps every AWS SDK client it creates for X-Ray (traced() or the tracer's captureAWSv3Client)", () => {
    // Lambda code: the services' handlers and adapters, and runtime-kit (which they import).
    const dirs = packageDirs().filter((dir) => dir.startsWith("services/") || dir === "packages/runtime-kit");
    const wrapper = /(?:\btraced|\.captureAWSv3Client)\(\s*$/;
    const bare = dirs.flatMap((dir) =>
      sourceFiles(dir).flatMap((file) => {
        const text = readFileSync(file, "utf8");
        return [...text.matchAll(/(?:const (\w+) = )?new (\w+Client)\(/g)]
          .filter((match) => {
            const before = text.slice(Math.max(0, (match.index as number) - 80), match.index);
            const name = match[1];
            const wrappedLater =
              name !== undefined && new RegExp(`(?:\\btraced|\\.captureAWSv3Client)\\(${name}\\)`).test(text);
            return !wrapper.test(before) && !wrappedLater;
          })
          .map((match) => `${relative(file)}: new ${match[2]}(`);
      }),
    );
    expect(dirs.length).toBeGreaterThanOrEqual(5);
    expect(bare).toEqual([]);
  });
});

describe("the project stands alone (issue 13)", () => {
  it("cites no file outside the repository: the AWS facts it relies on are in docs/aws-reference.md", () => {
    // Built from parts, so this test does not cite them itself.
    const outside = [["..", "shared", ""].join("/"), ["aws", "facts"].join("-")];
    const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((file) => /\.(ts|mts|js|mjs|md|json|ya?ml)$/.test(file));
    const citing = files.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), "utf8");
      } catch {
        return []; // listed but deleted in the working tree
      }
      return outside.filter((needle) => text.includes(needle)).map((needle) => `${file} cites ${needle}`);
    });
    expect(files.length).toBeGreaterThan(100);
    expect(citing).toEqual([]);
  });
});
