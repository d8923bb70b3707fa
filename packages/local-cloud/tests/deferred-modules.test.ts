import { describe, expect, it } from "vitest";
import { spawnProcess } from "./spawn";

/** Runs a module script in a fresh Node process (the stand-ins are process-wide) and returns its JSON answer. */
async function inChild(lines: string[]): Promise<Record<string, unknown>> {
  const child = spawnProcess(process.execPath, [
    "--no-warnings",
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    lines.join("\n"),
  ]);
  const { code } = await child.exited;
  expect(child.stderr()).toBe("");
  expect(code).toBe(0);
  return JSON.parse(child.stdout()) as Record<string, unknown>;
}

const LOADED = [
  'import { createRequire } from "node:module";',
  "const require = createRequire(import.meta.url);",
  'const pulumiDir = require.resolve("@pulumi/pulumi").replace(/index\\.js$/, "");',
  "const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));",
];

describe("deferUnusedPulumiModules", () => {
  it("loads @pulumi/pulumi without typescript and @npmcli/arborist, and loads each on first use", async () => {
    const answer = await inChild([
      ...LOADED,
      'import { deferUnusedPulumiModules } from "./src/deferred-modules.ts";',
      "deferUnusedPulumiModules();",
      'const pulumi = require("@pulumi/pulumi");',
      'const before = { typescript: loaded("typescript"), arborist: loaded("@npmcli/arborist") };',
      "const ts = require(pulumiDir + 'typescript-shim.js');",
      'const kind = ts.isVariableStatement(ts.createSourceFile("x.ts", "const a = 1;", ts.ScriptTarget.Latest).statements[0]);',
      'const after = { typescript: loaded("typescript"), version: ts.version };',
      "console.log(JSON.stringify({ before, kind, after, output: typeof pulumi.output }));",
    ]);
    expect(answer.before).toEqual({ typescript: false, arborist: false });
    expect(answer.kind).toBe(true);
    expect(answer.after).toEqual({ typescript: true, version: expect.stringMatching(/^\d+\.\d+\./) });
    expect(answer.output).toBe("function");
  }, 60_000);

  it("leaves the features that need them working: serializing a function (typescript and arborist)", async () => {
    const answer = await inChild([
      ...LOADED,
      'import { deferUnusedPulumiModules } from "./src/deferred-modules.ts";',
      "deferUnusedPulumiModules();",
      'const pulumi = require("@pulumi/pulumi");',
      "const serialized = await pulumi.runtime.serializeFunction(() => 40 + 2);",
      "const codePaths = await pulumi.runtime.computeCodePaths();",
      'console.log(JSON.stringify({ text: serialized.text.includes("40 + 2"), arborist: loaded("@npmcli/arborist"), codePaths: codePaths.size > 0 }));',
    ]);
    expect(answer).toEqual({ text: true, arborist: true, codePaths: true });
  }, 60_000);

  it("changes nothing for the same requires from outside @pulumi/pulumi", async () => {
    const answer = await inChild([
      ...LOADED,
      'import { deferUnusedPulumiModules } from "./src/deferred-modules.ts";',
      "deferUnusedPulumiModules();",
      'const direct = require("typescript");',
      'console.log(JSON.stringify({ loaded: loaded("typescript"), createSourceFile: typeof direct.createSourceFile }));',
    ]);
    // Loaded at once: the real module, not a stand-in.
    expect(answer).toEqual({ loaded: true, createSourceFile: "function" });
  }, 60_000);
});
