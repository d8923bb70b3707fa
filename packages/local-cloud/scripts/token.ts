/**
 * `pnpm -s run token <userId>`: prints a token the running local cloud's WebSocket `$connect` accepts for that user.
 *
 * It asks the running local cloud (found through .switchyard/local/outputs.json), which signs with its own
 * local-only secret: deployed stacks verify their real issuer and never serve this.
 *
 * Exit codes: 0 printed, 1 no local cloud running, 2 bad command line.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { localStateDir } from "../src/paths";

const args = process.argv.slice(2).filter((arg) => arg !== "--");
if (args.length !== 1 || args[0] === "-h" || args[0] === "--help" || args[0]?.trim() === "") {
  process.stderr.write(
    "Usage: pnpm -s run token <userId>\n\nPrints a token for the running local cloud (pnpm dev).\n",
  );
  process.exit(args[0] === "-h" || args[0] === "--help" ? 0 : 2);
}
const userId = args[0] as string;
const file = join(localStateDir(), "outputs.json");
if (!existsSync(file)) {
  process.stderr.write(`token: no local cloud is running (${file} does not exist): start it with pnpm dev\n`);
  process.exit(1);
}
const { endpoint } = JSON.parse(readFileSync(file, "utf8")) as { endpoint: string };
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
