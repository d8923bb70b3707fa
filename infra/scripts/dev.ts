/**
 * `pnpm dev`: the main job. Until the local cloud lands (it will run the whole stack on one local port),
 * this is the offline synth of the dev stack: every resource `pulumi up` would create for dev, the stack
 * outputs, and docs/architecture-dev.md. Flags are passed on to the synth (`pnpm dev -- --json`).
 */
import { fileURLToPath } from "node:url";

process.stderr.write(
  "dev: the local cloud is not built yet; running the offline synth of the dev stack (pnpm synth -- --stack dev).\n",
);
const [node = "node"] = process.argv;
process.argv = [
  node,
  fileURLToPath(new URL("./synth.ts", import.meta.url)),
  "--stack",
  "dev",
  ...process.argv.slice(2),
];
await import("./synth");
