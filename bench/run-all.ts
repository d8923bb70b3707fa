/**
 * `pnpm bench`: every benchmark in turn, the offline synth then the local cloud, each in its own process
 * (so one's memory never shows in the other's numbers), with the same `--runs` and `--check`.
 *
 *   pnpm bench [--runs N] [--check] [--only <name>[,<name>...]]
 *
 * `--only` takes `synth`, `sms-spike` and the local cloud's names (bring-up, cold-start, fan-out, sms). Exits
 * non-zero when a benchmark does.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    runs: { type: "string" },
    check: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const only = values.only?.split(",").map((name) => name.trim());
const localNames = only?.filter((name) => name !== "synth" && name !== "sms-spike");
const shared = [...(values.runs ? ["--runs", values.runs] : []), ...(values.check ? ["--check"] : [])];

const benches: Array<{ file: string; args: string[] }> = [];
if (!only || only.includes("synth")) benches.push({ file: "synth.bench.ts", args: shared });
if (!only || only.includes("sms-spike")) {
  benches.push({ file: "sms-spike.bench.ts", args: values.check ? ["--check"] : [] });
}
if (!localNames || localNames.length > 0) {
  benches.push({
    file: "local-cloud.bench.ts",
    args: [...shared, ...(localNames ? ["--only", localNames.join(",")] : [])],
  });
}

let failed = 0;
for (const { file, args } of benches) {
  console.log(`\n== ${file} ${args.join(" ")}`.trimEnd());
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", resolve(import.meta.dirname, file), ...args],
    {
      stdio: "inherit",
    },
  );
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
