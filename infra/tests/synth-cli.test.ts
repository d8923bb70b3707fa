import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const INFRA = join(import.meta.dirname, "..");
const DEMO_PROGRAM = join(INFRA, "tests/fixtures/demo-program.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI the way `pnpm synth` does (cwd = infra), against a temp project and the demo program. */
function synth(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.INIT_CWD; // relative paths would resolve against it
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/synth.ts", ...args], {
      cwd: INFRA,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let root: string;
let json: Run;
let text: Run;
let badConfig: Run;
let missingStack: Run;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "synth-cli-"));
  writeFileSync(join(root, "Pulumi.yaml"), "name: switchyard\nruntime: nodejs\nmain: infra/\n");
  writeFileSync(
    join(root, "Pulumi.demo.yaml"),
    "config:\n  switchyard:maxReceiveCount: 4\n  switchyard:alarmEmail: ops@example.com\n  switchyard:apiToken:\n    secure: v1:AAAA\n",
  );
  writeFileSync(
    join(root, "Pulumi.bad.yaml"),
    "config:\n  switchyard:maxReceiveCount: 5000\n  switchyard:alarmEmail: a@b.c\n",
  );
  const common = ["--root", root, "--program", DEMO_PROGRAM];
  // The child processes are slow to start (tsx, @pulumi/aws): run them side by side.
  [json, text, badConfig, missingStack] = await Promise.all([
    synth(["--", "--stack", "demo", "--json", ...common]),
    synth(["--stack", "demo", "--out", join(root, "out"), ...common]),
    synth(["--", "--stack", "bad", ...common]),
    synth(["--stack", "qa", "--json", ...common]),
  ]);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("synth CLI", () => {
  it("tolerates a bare -- and prints only JSON on stdout with --json", () => {
    // Act
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    // Assess
    expect(json.code).toBe(0);
    expect(parsed).toMatchObject({
      stack: "demo",
      project: "switchyard",
      total: 19,
      counts: { "aws:sqs/queue:Queue": 2 },
      outputs: { apiToken: "[secret]", consumer: { name: "orders-consumer" } },
      secretKeys: ["switchyard:apiToken"],
      diagram: join(root, "docs", "architecture-demo.md"),
    });
    expect(json.stderr).toContain("demo: messages are dead-lettered after 4 receives");
    expect(json.stderr).toContain(`synth: wrote ${join(root, "docs", "architecture-demo.md")}`);
    expect(readFileSync(join(root, "docs", "architecture-demo.md"), "utf8")).toContain(
      "```mermaid\nflowchart LR\n",
    );
  });

  it("prints the tree, the counts and the outputs in text mode, and writes the diagram to --out", () => {
    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /\nswitchyard:demo:Thing orders\n( {2}.+\n)* {2}aws:sns\/topic:Topic orders-events\n/,
    );
    expect(text.stdout).toContain("\naws:sns/topic:Topic alarms\n");
    expect(text.stdout).toMatch(/\ntotal +19\n/);
    expect(text.stdout).toContain("\nOutputs\n");
    expect(text.stdout).toContain(`Diagram written to ${join(root, "out", "architecture-demo.md")}`);
    expect(existsSync(join(root, "out", "architecture-demo.md"))).toBe(true);
  });

  it("gives exactly one stderr line naming the bad config key, and exit code 1", () => {
    // Assess
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toBe(
      "synth: Invalid stack config switchyard:maxReceiveCount: expected an integer from 1 to 1000; got 5000\n",
    );
    expect(badConfig.stdout).toBe("");
  });

  it("names the missing stack file and the existing stacks on one line, exit code 1", () => {
    // Assess
    expect(missingStack.code).toBe(1);
    expect(missingStack.stderr).toBe(
      `synth: No stack file ${join(root, "Pulumi.qa.yaml")} for stack "qa" (existing stacks: bad, demo)\n`,
    );
    expect(missingStack.stdout).toBe("");
  });
});
