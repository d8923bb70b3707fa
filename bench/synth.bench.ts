/**
 * How long the offline synth of each stack takes and how much memory it needs: every `pnpm test`,
 * `pnpm synth` and (later) `pnpm dev` pays this, and `pulumi up` pays the same program run.
 *
 *   pnpm bench [--runs N] [--check]
 *
 * `--check` exits non-zero when a median exceeds its target in targets.json.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { synthesize } from "@switchyard/infra/synth";

interface Targets {
  synthMedianMs: Record<string, number>;
  heapUsedMb: number;
}

const args = process.argv.slice(2).filter((arg) => arg !== "--");
const { values } = parseArgs({
  args,
  options: { runs: { type: "string", default: "5" }, check: { type: "boolean", default: false } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: --runs must be a positive integer (got ${values.runs})`);
  process.exit(1);
}
const root = resolve(import.meta.dirname, "..");
const targets = JSON.parse(readFileSync(resolve(import.meta.dirname, "targets.json"), "utf8")) as Targets;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const rows: Array<{ stack: string; firstMs: number; medianMs: number; resources: number; target: number }> =
  [];
for (const stack of Object.keys(targets.synthMedianMs)) {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const result = await synthesize({ stack, root });
    times.push(performance.now() - start);
    resources = result.resources.length;
  }
  // The first run includes module loading and bundling; later runs reuse both, as repeated tests do.
  const [first, ...rest] = times;
  rows.push({
    stack,
    firstMs: first as number,
    medianMs: median(rest),
    resources,
    target: targets.synthMedianMs[stack] as number,
  });
}
const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;

console.log("stack     resources  first run  median (warm)  target");
for (const row of rows) {
  console.log(
    `${row.stack.padEnd(9)} ${String(row.resources).padStart(9)}  ${row.firstMs.toFixed(0).padStart(7)} ms  ${row.medianMs.toFixed(0).padStart(10)} ms  ${row.target} ms`,
  );
}
console.log(
  `heap used after ${rows.length * (runs + 1)} synths: ${heapMb.toFixed(0)} MB (target ${targets.heapUsedMb} MB)`,
);

if (values.check) {
  const over = rows
    .filter((row) => row.medianMs > row.target)
    .map((row) => `${row.stack} median ${row.medianMs.toFixed(0)} ms > ${row.target} ms`);
  if (heapMb > targets.heapUsedMb) over.push(`heap ${heapMb.toFixed(0)} MB > ${targets.heapUsedMb} MB`);
  if (over.length > 0) {
    console.error(`bench: over target: ${over.join("; ")}`);
    process.exit(1);
  }
}
