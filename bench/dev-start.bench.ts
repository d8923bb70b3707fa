/**
 * What a developer waits for: `pnpm dev` until it serves, from a cold and from a warm bundle cache, and
 * (opt-in, it runs the whole test suite) a second `pnpm test` with nothing changed.
 *
 *   pnpm bench:dev-start [--runs N] [--check] [--only dev-start,test-rerun]
 *
 * - **dev-start**: spawns `node --import tsx packages/local-cloud/scripts/dev.ts --port 0` (what `pnpm dev`
 *   runs, without pnpm's own start-up) and times it until it prints "Ctrl-C stops." (the engine serves
 *   every resource), then stops it with SIGINT. Cold: the project's bundle caches are deleted first
 *   (`node_modules/.cache/switchyard`, `.switchyard/cache`); warm: the next start, the cache as the cold
 *   one left it. `--runs N` (at most 3, default 1) cold/warm pairs, cold first in each. tsx's own
 *   transform cache (shared by every process of this user) is left alone.
 * - **test-rerun** (only with `--only test-rerun`): `corepack pnpm test` twice; the second, with nothing
 *   changed, is what turbo answers from its cache ("FULL TURBO"). Only the second is timed and judged.
 *
 * Writes results/dev-start.json and results/dev-start.svg.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { benchArgs, loadTargets, Report, writeChart, writeResult } from "./lib/results";
import { barChart } from "./lib/svg";

interface DevStartTargets {
  coldMs: number;
  warmMs: number;
  /** The second `pnpm test` with nothing changed. */
  testRerunMs: number;
}

const ROOT = resolve(import.meta.dirname, "..");
const CACHE_DIRS = ["node_modules/.cache/switchyard", ".switchyard/cache"];
const READY = "Ctrl-C stops.";

const { runs, check, only } = benchArgs(1, ["dev-start", "test-rerun"]);
const pairs = Math.min(runs, 3);
const targets = loadTargets<{ devStart: DevStartTargets }>().devStart;
const report = new Report("dev-start: pnpm dev ready (cold and warm bundle cache), pnpm test again");
const runDevStart = !only || only.includes("dev-start");
const runTestRerun = only?.includes("test-rerun") ?? false;

/** Starts `pnpm dev`'s script; resolves with the time until it printed READY, then stops it. */
function devReady(timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "packages/local-cloud/scripts/dev.ts", "--port", "0"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: process.env },
  );
  let output = "";
  return new Promise<number>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`pnpm dev printed no "${READY}" within ${timeoutMs} ms: ${output.slice(-600)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes(READY)) {
        const elapsed = performance.now() - started;
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.once("exit", () => done(elapsed));
        child.kill("SIGINT");
        // A stop that hangs must not hang the bench.
        setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => {
      output += String(chunk);
    });
    child.once("exit", (code) => {
      if (!output.includes(READY)) {
        clearTimeout(timer);
        fail(new Error(`pnpm dev exited with ${code} before "${READY}": ${output.slice(-600)}`));
      }
    });
  });
}

function clearCaches(): string[] {
  const cleared: string[] = [];
  for (const dir of CACHE_DIRS) {
    const path = resolve(ROOT, dir);
    if (existsSync(path)) {
      rmSync(path, { recursive: true, force: true });
      cleared.push(dir);
    }
  }
  return cleared;
}

const data: Record<string, unknown> = {};
const cold: number[] = [];
const warm: number[] = [];
if (runDevStart) {
  try {
    const clearedDirs = new Set<string>();
    for (let pair = 0; pair < pairs; pair++) {
      for (const dir of clearCaches()) clearedDirs.add(dir);
      cold.push(await devReady());
      warm.push(await devReady());
      console.log(
        `  pair ${pair + 1}: cold ${cold.at(-1)?.toFixed(0)} ms, warm ${warm.at(-1)?.toFixed(0)} ms`,
      );
    }
    const worstCold = Math.max(...cold);
    const worstWarm = Math.max(...warm);
    report.info(
      "bundle caches found and cleared before each cold start",
      clearedDirs.size > 0 ? [...clearedDirs].join(", ") : "none (no bundle cache on this branch)",
    );
    report.max(`pnpm dev ready, cold cache (worst of ${pairs})`, worstCold, targets.coldMs, " ms");
    report.max(`pnpm dev ready, warm cache (worst of ${pairs})`, worstWarm, targets.warmMs, " ms");
    report.info("warm / cold", `${(worstWarm / worstCold).toFixed(2)}x`);
    data.devStart = { pairs, coldMs: cold, warmMs: warm, cacheDirs: CACHE_DIRS, cleared: [...clearedDirs] };
  } catch (error) {
    report.failure("pnpm dev ready", error);
  }
}

const tests: number[] = [];
if (runTestRerun) {
  try {
    // The first run only fills turbo's cache: lowest CPU priority, so it slows nothing else on the machine.
    const firstStarted = performance.now();
    const first = spawnSync("nice", ["-n", "19", "corepack", "pnpm", "test"], { cwd: ROOT, stdio: "ignore" });
    tests.push(performance.now() - firstStarted);
    const secondStarted = performance.now();
    const second = spawnSync("corepack", ["pnpm", "test"], { cwd: ROOT, stdio: "ignore" });
    tests.push(performance.now() - secondStarted);
    // A failed task is not cached, so the second run runs it again: both exit statuses are reported.
    report.info("pnpm test, exit status of the first and second run", `${first.status}, ${second.status}`);
    report.info(
      "pnpm test, first run (fills turbo's cache if needed)",
      `${((tests[0] as number) / 1000).toFixed(1)} s`,
    );
    report.max("pnpm test again, nothing changed", tests[1] as number, targets.testRerunMs, " ms");
    data.testRerun = {
      firstMs: tests[0],
      secondMs: tests[1],
      firstStatus: first.status,
      secondStatus: second.status,
    };
    if (cold.length === 0) writeResult("test-rerun", report, data);
  } catch (error) {
    report.failure("pnpm test twice", error);
  }
}

if (cold.length > 0) {
  writeResult("dev-start", report, data);
  const categories = ["pnpm dev, cold cache", "pnpm dev, warm cache"];
  const values = [Math.max(...cold) / 1000, Math.max(...warm) / 1000];
  if (tests.length === 2) {
    categories.push("pnpm test again");
    values.push((tests[1] as number) / 1000);
  }
  writeChart(
    "dev-start.svg",
    barChart({
      title: "Developer loop: pnpm dev until it serves, pnpm test with nothing changed",
      subtitle: `worst of ${pairs} cold/warm pair(s); the dev stack, every service`,
      yLabel: "seconds",
      categories,
      series: [{ name: "measured", values }],
    }),
  );
}
report.finish(check);
