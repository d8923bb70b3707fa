/**
 * `pnpm -s run token <userId> [--port <n>]`: prints a token the running local cloud's WebSocket `$connect`
 * accepts for that user.
 *
 * It asks the running local cloud (found through its outputs file: `.switchyard/local/outputs.json` for port
 * 4566, `outputs-<port>.json` for another; `--port` picks one when several run), which signs with its own
 * local-only secret: deployed stacks verify their real issuer and never serve this.
 *
 * Exit codes: 0 printed, 1 no local cloud running, 2 bad command line.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { findOutputsFile } from "../src/paths";

const USAGE =
  "Usage: corepack pnpm -s run token <userId> [--port <n>]\n\nPrints a token for the running local cloud (pnpm dev); --port picks the run when several are up.\n";

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: { port: { type: "string", short: "p" }, help: { type: "boolean", short: "h", default: false } },
    allowPositionals: true,
    strict: true,
  });
}
try {
  parsed = parse();
} catch (error) {
  process.stderr.write(`token: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [userId, ...rest] = parsed.positionals;
if (!userId || userId.trim() === "" || rest.length > 0) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const port = parsed.values.port === undefined ? undefined : Number(parsed.values.port);
if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
  process.stderr.write(`token: --port must be an integer from 1 to 65535 (got "${parsed.values.port}")\n`);
  process.exit(2);
}

let endpoint: string;
try {
  ({ endpoint } = JSON.parse(readFileSync(findOutputsFile(undefined, port), "utf8")) as { endpoint: string });
} catch (error) {
  process.stderr.write(`token: ${(error as Error).message}\n`);
  process.exit(1);
}
try {
  const response = await fetch(`${endpoint}/_local/token?userId=${encodeURIComponent(userId)}`);
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? `HTTP ${response.status}`);
  process.stdout.write(`${body.token}\n`);
} catch (error) {
  process.stderr.write(
    `token: the local cloud at ${endpoint} did not answer (${(error as Error).message}): is pnpm dev running?\n`,
  );
  process.exit(1);
}
