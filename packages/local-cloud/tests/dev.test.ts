import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { findOutputsFile, outputsFileFor } from "../src/paths";
import { type LocalCloud, startLocalCloud } from "../src/run";
import { PACKAGE, type Spawned, spawnProcess, spawnTsx } from "./spawn";

const REPO = join(PACKAGE, "..", "..");

/** A project of one queue: enough for the run machinery, without bundling the real program. */
function fixtureProject(): string {
  const root = mkdtempSync(join(tmpdir(), "switchyard-dev-"));
  writeFileSync(join(root, "Pulumi.yaml"), "name: fixture\nruntime: nodejs\n");
  writeFileSync(join(root, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n");
  return root;
}

class Queue extends pulumi.CustomResource {
  declare readonly url: pulumi.Output<string>;
  constructor(name: string) {
    super("aws:sqs/queue:Queue", name, { name, url: undefined });
  }
}

const program = async () => ({ jobsQueueUrl: new Queue("jobs").url });

describe("two runs in one checkout", () => {
  const root = fixtureProject();
  const clouds: LocalCloud[] = [];
  afterAll(async () => {
    for (const cloud of clouds) await cloud.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("each writes its own outputs file, scripts find either by port, and a stop removes only its own", async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    for (let i = 0; i < 2; i++) clouds.push(await startLocalCloud({ root, program, port: 0, log: quiet }));
    const [first, second] = clouds as [LocalCloud, LocalCloud];
    const firstPort = first.engine.port;
    const secondPort = second.engine.port;
    expect(first.outputsFile).toBe(outputsFileFor(firstPort, root));
    expect(second.outputsFile).toBe(outputsFileFor(secondPort, root));
    for (const cloud of clouds) {
      const written = JSON.parse(readFileSync(cloud.outputsFile as string, "utf8"));
      expect(written.endpoint).toBe(cloud.endpoint);
      expect(written.outputs.jobsQueueUrl).toBe(`${cloud.endpoint}/123456789012/jobs`);
    }
    expect(() => findOutputsFile(root)).toThrow(/pass --port/);
    expect(findOutputsFile(root, secondPort)).toBe(second.outputsFile);

    await first.close();
    clouds.shift();
    expect(existsSync(outputsFileFor(firstPort, root))).toBe(false);
    expect(existsSync(outputsFileFor(secondPort, root))).toBe(true);
    expect(findOutputsFile(root)).toBe(second.outputsFile);
  });
});

const run = (command: string, args: string[], options: { detached?: boolean } = {}): Spawned =>
  spawnProcess(command, args, options);

describe("IAM in a run", () => {
  it("is on unless told iam: false (what --no-iam passes)", async () => {
    const root = fixtureProject();
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const options = { root, program, port: 0, log: quiet, writeOutputsFile: false };
    const on = await startLocalCloud(options);
    let off: LocalCloud | undefined;
    try {
      off = await startLocalCloud({ ...options, iam: false });
      const enabled = async (cloud: LocalCloud) =>
        ((await (await fetch(`${cloud.endpoint}/_local/iam/denials`)).json()) as { enabled: boolean })
          .enabled;
      expect([await enabled(on), await enabled(off)]).toEqual([true, false]);
    } finally {
      await on.close();
      await off?.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the run's temporary folder", () => {
  it("is removed even when the process exits without close() (Ctrl-C while the program runs)", async () => {
    const script = [
      'import { Engine } from "./src/engine.ts";',
      "const engine = await Engine.listen({ emulators: {} });",
      "console.log(engine.context.workDir);",
      "process.exit(0);",
    ].join("\n");
    const child = run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    const { code } = await child.exited;
    const workDir = child.stdout().trim();
    expect(code).toBe(0);
    expect(workDir).toMatch(/switchyard-local-/);
    expect(existsSync(workDir)).toBe(false);
  });
});

describe("the lock on a --persist folder", () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-lock-"));
    folders.push(dir);
    return dir;
  };
  const lockFile = (dir: string) => join(dir, "local-cloud.lock");

  it("refuses a second pnpm dev on the folder with one line naming it and the PID that holds it", async () => {
    const persist = folder();
    // A running process holds the lock (as a first `pnpm dev` would).
    const holder = run(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      const pid = holder.child.pid as number;
      writeFileSync(lockFile(persist), `${pid}\n`);
      const dev = run(process.execPath, [
        "--import",
        "tsx",
        "scripts/dev.ts",
        "--persist",
        persist,
        "--port",
        "0",
      ]);
      const { code } = await dev.exited;
      expect(code).toBe(1);
      const refusal = dev
        .stderr()
        .split("\n")
        .filter((line) => line.includes("in use"));
      expect(refusal).toEqual([
        `dev: --persist ${persist} is in use by another local cloud (PID ${pid}); stop it first, or use another --persist folder`,
      ]);
      // Refused before the program ran, and the holder's lock is untouched.
      expect(dev.stderr()).not.toContain("running the dev program");
      expect(readFileSync(lockFile(persist), "utf8").trim()).toBe(String(pid));
    } finally {
      holder.child.kill("SIGKILL");
    }
  });

  it("takes over a stale lock (its PID is gone), holds it while running, refuses a second run, and releases it on close", async () => {
    const persist = folder();
    const gone = run(process.execPath, ["-e", ""]);
    await gone.exited;
    writeFileSync(lockFile(persist), `${gone.child.pid}\n`);
    const root = fixtureProject();
    folders.push(root);
    const cloud = await startLocalCloud({ root, program, port: 0, log: quiet, persistDir: persist });
    try {
      expect(readFileSync(lockFile(persist), "utf8").trim()).toBe(String(process.pid));
      await expect(
        startLocalCloud({ root, program, port: 0, log: quiet, persistDir: persist }),
      ).rejects.toThrow(`--persist ${persist} is in use by another local cloud (PID ${process.pid})`);
    } finally {
      await cloud.close();
    }
    expect(existsSync(lockFile(persist))).toBe(false);
    // Free again: the next run takes it.
    const next = await startLocalCloud({ root, program, port: 0, log: quiet, persistDir: persist });
    await next.close();
  });
});

describe("pnpm dev (the CLI, spawned)", () => {
  it("refuses an unknown service before bundling anything, naming the services", async () => {
    const dev = run(process.execPath, [
      "--import",
      "tsx",
      "scripts/dev.ts",
      "--service",
      "bogus",
      "--port",
      "0",
    ]);
    const { code } = await dev.exited;
    expect(code).toBe(2);
    expect(dev.stderr()).toContain(
      'dev: --service "bogus" is not a service of this project (services: notifications, orders, s3-pipeline, sms-throttle)',
    );
    // Refused before the program (which bundles the handlers) ran.
    expect(dev.stderr()).not.toContain("running the dev program");
  });

  it("--no-iam: the run enforces no IAM", async () => {
    const dev = spawnTsx("scripts/dev.ts", [
      "--no-iam",
      "--service",
      "orders",
      "--port",
      "0",
      "--logs",
      "none",
    ]);
    try {
      await dev.waitFor("Ctrl-C stops", 240_000);
      const endpoint = /^ {2}endpoint {3}(http\S+)/m.exec(dev.stdout())?.[1] as string;
      expect(await (await fetch(`${endpoint}/_local/iam/denials`)).json()).toEqual({
        enabled: false,
        denials: [],
      });
    } finally {
      dev.child.kill("SIGINT");
      await dev.exited;
    }
  }, 300_000);

  it("comes up through the root `pnpm dev` --service orders (outputs of what runs only); Ctrl-C: one line, exit 0, no ELIFECYCLE", async () => {
    // As a terminal does: the whole process group (pnpm, pnpm --filter, node) gets the SIGINT.
    const args = ["--port", "0", "--service", "orders", "--logs", "none"];
    const dev = run("corepack", ["pnpm", "--dir", REPO, "dev", ...args], {
      detached: true,
    });
    const pid = dev.child.pid as number;
    try {
      await dev.waitFor("Ctrl-C stops", 240_000);
      expect(dev.stderr()).toContain("dev: state is in memory");
      const endpoint = /^ {2}endpoint {3}(http\S+)/m.exec(dev.stdout())?.[1] as string;
      const banner = Number(/^(\d+) resources, \d+ functions/m.exec(dev.stdout())?.[1]);
      const status = (await (await fetch(`${endpoint}/_local/status`)).json()) as { resources: number };
      expect(status.resources).toBe(banner);
      const index = (await (await fetch(`${endpoint}/_local/`)).json()) as {
        views: Array<{ view: string; url: string; description: string }>;
      };
      expect(index.views).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ view: "sqs/queues", url: `${endpoint}/_local/sqs/queues` }),
          expect.objectContaining({ view: "logs/groups" }),
        ]),
      );
      for (const view of index.views) expect(view.description.length).toBeGreaterThan(5);
      // IAM is on by default in pnpm dev.
      expect(await (await fetch(`${endpoint}/_local/iam/denials`)).json()).toMatchObject({ enabled: true });
      const port = Number(new URL(endpoint).port);
      // Only what runs: orders and what it references (the notifications bus), not the SMS topic or the WebSocket.
      const written = JSON.parse(readFileSync(outputsFileFor(port), "utf8")) as {
        outputs: Record<string, unknown>;
      };
      expect(Object.keys(written.outputs)).toEqual(
        expect.arrayContaining(["ordersTopicArn", "notificationsBusName"]),
      );
      for (const gone of [
        "smsTopicArn",
        "smsThrottleLanes",
        "notificationsWebSocketUrl",
        "uploadsBucketName",
      ]) {
        expect(written.outputs).not.toHaveProperty(gone);
        expect(dev.stdout()).not.toContain(gone);
      }
      expect(dev.stdout()).not.toContain("WebSocket  ");

      const before = dev.stderr().length;
      process.kill(-pid, "SIGINT");
      const { code, signal } = await dev.exited;
      const after = dev.stderr().slice(before).trim().split("\n").filter(Boolean);
      expect(after).toEqual(["dev: Ctrl-C: stopped"]);
      expect(dev.stdout() + dev.stderr()).not.toContain("ELIFECYCLE");
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(existsSync(outputsFileFor(port))).toBe(false);
    } finally {
      if (dev.child.exitCode === null && dev.child.signalCode === null) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }, 300_000);
});
