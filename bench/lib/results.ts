/**
 * What every benchmark shares: its arguments, the targets file, statistics, the printed table of
 * measurements against targets, and `bench/results/<name>.json` plus its SVG chart(s).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

export const BENCH_DIR = resolve(import.meta.dirname, "..");
export const RESULTS_DIR = resolve(BENCH_DIR, "results");

/** `--runs N`, `--check` and `--only a,b` as every bench file takes them (`--` from pnpm ignored). */
export function benchArgs(defaultRuns: number, names: readonly string[]) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      runs: { type: "string" },
      check: { type: "boolean", default: false },
      only: { type: "string" },
    },
  });
  const runs = values.runs === undefined ? defaultRuns : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`bench: --runs must be a positive integer (got ${values.runs})`);
    process.exit(1);
  }
  const only = values.only?.split(",").map((name) => name.trim());
  for (const name of only ?? []) {
    if (!names.includes(name)) {
      console.error(`bench: --only takes ${names.join(", ")} (got ${name})`);
      process.exit(1);
    }
  }
  return { runs, check: values.check, only, selected: (name: string) => !only || only.includes(name) };
}

/** bench/targets.json, parsed. */
export function loadTargets<T = Record<string, unknown>>(): T {
  return JSON.parse(readFileSync(resolve(BENCH_DIR, "targets.json"), "utf8")) as T;
}

const sortedCopy = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
/** Nearest-rank percentile (q in 0..1); NaN for no values. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sortedCopy(xs);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)] as number;
}
export const median = (xs: readonly number[]) => percentile(xs, 0.5);
export const sum = (xs: readonly number[]) => xs.reduce((total, x) => total + x, 0);

/** One printed line: a measurement, optionally against a target (`ok` undefined: context, not judged). */
export interface Row {
  what: string;
  measured: string;
  target?: string;
  ok?: boolean;
}

/** The measurements of one benchmark, printed as a table and judged under `--check`. */
export class Report {
  readonly rows: Row[] = [];
  constructor(readonly name: string) {}

  /** A value against an upper bound (`max` undefined: context only). */
  max(what: string, value: number, max: number | undefined, unit = ""): void {
    const show = (v: number) => `${Number.isInteger(v) ? v : v.toFixed(v >= 100 ? 0 : 2)}${unit}`;
    this.rows.push({
      what,
      measured: Number.isFinite(value) ? show(value) : "n/a",
      ...(max === undefined ? {} : { target: `<= ${show(max)}`, ok: Number.isFinite(value) && value <= max }),
    });
  }

  /** A value against a lower bound. */
  min(what: string, value: number, min: number, unit = ""): void {
    const show = (v: number) => `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`;
    this.rows.push({
      what,
      measured: Number.isFinite(value) ? show(value) : "n/a",
      target: `>= ${show(min)}`,
      ok: Number.isFinite(value) && value >= min,
    });
  }

  /** A property that holds or not. */
  property(what: string, ok: boolean, measured: string, target: string): void {
    this.rows.push({ what, measured: ok ? measured : `FAILED: ${measured}`, target, ok });
  }

  info(what: string, measured: string): void {
    this.rows.push({ what, measured });
  }

  failure(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.rows.push({ what, measured: `FAILED: ${message.slice(0, 400)}`, ok: false });
  }

  get missed(): Row[] {
    return this.rows.filter((row) => row.ok === false);
  }

  print(): void {
    const header: Row = { what: "measurement", measured: "measured", target: "target" };
    const all = [header, ...this.rows];
    const w = (key: "what" | "measured") => Math.max(...all.map((row) => row[key].length));
    console.log(`\n${this.name}`);
    for (const row of all) {
      const status = row === header ? "" : row.ok === undefined ? "" : row.ok ? "ok" : "MISS";
      console.log(
        `  ${row.what.padEnd(w("what"))}  ${row.measured.padStart(w("measured"))}  ${status.padEnd(4)}  ${row.target ?? ""}`.trimEnd(),
      );
    }
  }

  /** Prints the table; under `check`, exits non-zero when a row missed its target. */
  finish(check: boolean): void {
    this.print();
    if (check && this.missed.length > 0) {
      console.error(
        `bench ${this.name}: ${this.missed.length} missed: ${this.missed.map((row) => `${row.what}: ${row.measured}`).join("; ")}`,
      );
      process.exitCode = 1;
    }
  }
}

/** Writes `bench/results/<name>.json` (with when, where and the rows) and returns its path. */
export function writeResult(name: string, report: Report | undefined, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = resolve(RESULTS_DIR, `${name}.json`);
  const body = {
    name,
    measuredAt: new Date().toISOString(),
    machine: machineNote(),
    ...(report ? { rows: report.rows } : {}),
    data,
  };
  writeJson(file, body);
  return file;
}

/** The workspace's Biome, which `corepack pnpm lint` checks the committed results with. */
const BIOME = resolve(BENCH_DIR, "..", "node_modules", ".bin", "biome");

/**
 * Writes `value` as JSON formatted as the repository's Biome formats it, so a bench run leaves `corepack pnpm lint`
 * passing (JSON.stringify's layout is not Biome's: Biome keeps short arrays on one line).
 */
export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  try {
    execFileSync(BIOME, ["format", "--write", file], { stdio: "pipe" });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    console.warn(`bench: could not format ${file} with Biome (run corepack pnpm lint --write): ${detail}`);
  }
}

/** Writes `bench/results/<file>` (an SVG chart) and returns its path. */
export function writeChart(file: string, svg: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resolve(RESULTS_DIR, file);
  writeFileSync(path, svg);
  return path;
}

/** Cores, Node.js and the 1-minute load average when measured: the figures only mean something with it. */
export function machineNote(): { cores: number; node: string; loadAverage1m: number } {
  return { cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]?.toFixed(2)) };
}
