/**
 * How long the offline synth of each stack takes and how much memory it needs: every `pnpm test`,
 * `pnpm synth` and `pnpm dev` pays this, and `pulumi up` pays the same program run.
 *
 *   pnpm bench:synth [--runs N] [--check]
 *
 * Per stack: the first run (module loading and esbuild bundling of every handler) and the median of N
 * (default 5) warm runs. `--check` exits non-zero when a median or the heap exceeds its target in
 * targets.json. Writes results/synth.json and results/synth.svg.
 */
import { resolve } from "node:path";
import { synthesize } from "@switchyard/infra/synth";
import { benchArgs, loadTargets, median, Report, writeChart, writeResult } from "./lib/results";
import { barChart } from "./lib/svg";

interface Targets {
  synthMedianMs: Record<string, number>;
  heapUsedMb: number;
}

const { runs, check } = benchArgs(5, ["synth"]);
const root = resolve(import.meta.dirname, "..");
const targets = loadTargets<Targets>();
const report = new Report("synth: the root program under mocks, per stack");

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

for (const row of rows) {
  report.info(`${row.stack}: resources, first run`, `${row.resources}, ${row.firstMs.toFixed(0)} ms`);
  report.max(`${row.stack}: warm median of ${runs}`, row.medianMs, row.target, " ms");
}
report.max(`heap used after ${rows.length * (runs + 1)} synths`, heapMb, targets.heapUsedMb, " MB");

writeResult("synth", report, { runs, stacks: rows, heapUsedMb: heapMb });
writeChart(
  "synth.svg",
  barChart({
    title: "Offline synth per stack (the root program under mocks)",
    subtitle: `first run (module loading, bundling) and the median of ${runs} warm runs, one process`,
    yLabel: "seconds",
    categories: rows.map((r) => `${r.stack} (${r.resources} resources)`),
    series: [
      { name: "first run", values: rows.map((r) => r.firstMs / 1000) },
      { name: `warm median of ${runs}`, values: rows.map((r) => r.medianMs / 1000) },
    ],
    references: [],
  }),
);
report.finish(check);
