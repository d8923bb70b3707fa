/**
 * `pnpm bench`: every benchmark in turn, each file in its own process (so one's memory and warm caches never
 * show in another's numbers), with the same `--runs` and `--check`.
 *
 *   pnpm bench [--runs N] [--check] [--only <name>[,<name>...]]
 *
 * Names for `--only` (see README.md): synth; bring-up, cold-start, fan-out, sms (local-cloud.bench.ts);
 * sms-spike; notification-fan-out; handler-cold-start; dev-start; test-rerun. Without `--only` every
 * benchmark runs except test-rerun (it runs the whole test suite twice: opt-in). `--runs N` goes to every
 * file (each reads it as its own repetition count), except sms-spike. Exits non-zero when a benchmark does.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

interface BenchFile {
  file: string;
  names: string[];
  /** Names that run when `--only` is not given. @default names */
  byDefault?: string[];
  /** Takes `--only` (it has more than one name). */
  takesOnly?: boolean;
  /** Takes `--runs`. @default true */
  takesRuns?: boolean;
}

const FILES: BenchFile[] = [
  { file: "synth.bench.ts", names: ["synth"] },
  {
    file: "local-cloud.bench.ts",
    names: ["bring-up", "cold-start", "fan-out", "sms"],
    takesOnly: true,
  },
  { file: "sms-spike.bench.ts", names: ["sms-spike"], takesRuns: false },
  { file: "notification-fan-out.bench.ts", names: ["notification-fan-out"] },
  { file: "handler-cold-start.bench.ts", names: ["handler-cold-start"] },
  {
    file: "dev-start.bench.ts",
    names: ["dev-start", "test-rerun"],
    byDefault: ["dev-start"],
    takesOnly: true,
  },
];

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    runs: { type: "string" },
    check: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const only = values.only?.split(",").map((name) => name.trim());
const known = FILES.flatMap((f) => f.names);
for (const name of only ?? []) {
  if (!known.includes(name)) {
    console.error(`bench: --only takes ${known.join(", ")} (got ${name})`);
    process.exit(1);
  }
}

let failed = 0;
const started = performance.now();
for (const bench of FILES) {
  const names = only ? bench.names.filter((name) => only.includes(name)) : (bench.byDefault ?? bench.names);
  if (names.length === 0) continue;
  const path = resolve(import.meta.dirname, bench.file);
  if (!existsSync(path)) {
    console.log(`\n== ${bench.file}: not on this branch, skipped`);
    continue;
  }
  const args = [
    ...(values.runs && bench.takesRuns !== false ? ["--runs", values.runs] : []),
    ...(values.check ? ["--check"] : []),
    ...(bench.takesOnly && (only || bench.byDefault) ? ["--only", names.join(",")] : []),
  ];
  console.log(`\n== ${bench.file} ${args.join(" ")}`.trimEnd());
  const fileStarted = performance.now();
  const result = spawnSync(process.execPath, ["--import", "tsx", path, ...args], { stdio: "inherit" });
  console.log(`== ${bench.file}: ${((performance.now() - fileStarted) / 1000).toFixed(0)} s`);
  if (result.status !== 0) failed++;
}
console.log(`\npnpm bench: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
process.exit(failed > 0 ? 1 : 0);
