/**
 * `pnpm dev [--stack dev] [--service <name>] [--port 4566] [--persist <dir>]`: the local cloud.
 *
 * Runs the root Pulumi program for the stack under the mocks, provisions every resource it registers into
 * the local engine (one port, the AWS wire protocols), runs the deployed Lambda bundles in worker threads,
 * prints a summary and keeps serving until Ctrl-C.
 *
 * Exit codes: 0 stopped cleanly, 1 the stack could not be brought up, 2 bad command line.
 */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, startLocalCloud } from "../src/run";
import { renderSummary } from "../src/summary";

const HELP = `Usage: pnpm dev [--stack dev] [--service <name>] [--port 4566] [--persist <dir>] [--time-scale <n>]

Brings the whole stack up locally from the same program \`pulumi up\` deploys: no AWS account, no Pulumi
CLI, no Docker. One port serves SQS, SNS, EventBridge, DynamoDB, S3, API Gateway (WebSocket and
@connections), End User Messaging SMS / Pinpoint (a local carrier) and CloudWatch; the Lambda handlers
run from their deployed bundles. Writes .switchyard/local/outputs.json ({ endpoint, outputs }).

Options:
  -s, --stack <name>     stack whose config to run (default: dev)
      --service <name>   run only this service and what it needs (notifications, orders, sms, media...)
  -p, --port <n>         port on 127.0.0.1 (default: 4566; 0 picks a free one)
      --persist <dir>    keep tables, objects and the token secret in <dir> between runs (default: memory)
      --time-scale <n>   run queue timers, dedup windows and alarm periods n times faster than AWS
                         (1-1000, default 1: a poison message reaches its DLQ after 3 x 180 s in dev)
  -v, --verbose          print the engine's info logs and stack traces
  -h, --help             show this help

Then, in another terminal: pnpm -s run token <userId>   (a token for the WebSocket $connect;
"pnpm token" alone is pnpm's own npm-token command)
A bare "--" anywhere is ignored, so "pnpm dev --port 5000" and "pnpm dev -- --port 5000" both work.
`;

function parse() {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        service: { type: "string" },
        port: { type: "string", short: "p", default: "4566" },
        persist: { type: "string" },
        "time-scale": { type: "string", default: "1" },
        verbose: { type: "boolean", short: "v", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`dev: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}

const args = parse();
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`dev: --port must be an integer from 0 to 65535 (got "${args.port}")\n`);
  process.exit(2);
}
const timeScale = Number(args["time-scale"]);
if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 1000) {
  process.stderr.write(`dev: --time-scale must be a number from 1 to 1000 (got "${args["time-scale"]}")\n`);
  process.exit(2);
}
const cwd = process.env.INIT_CWD ?? process.cwd();
const persistDir = args.persist
  ? isAbsolute(args.persist)
    ? args.persist
    : resolve(cwd, args.persist)
  : undefined;

const started = Date.now();
let cloud: Awaited<ReturnType<typeof startLocalCloud>>;
try {
  const { stderrLogger } = await import("../src/engine");
  cloud = await startLocalCloud({
    stack: args.stack,
    service: args.service,
    port,
    persistDir,
    timeScale,
    root: REPO_ROOT,
    log: stderrLogger(args.verbose ? "info" : "warn"),
    onProgress: (message) => process.stderr.write(`dev: ${message}\n`),
  });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dev: ${message.split("\n")[0]}\n`);
  if (args.verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

// A failure inside an emulator's background work (a poller, a delivery) is logged, not fatal: the rest of the
// stack keeps serving, as the other AWS services would.
process.on("unhandledRejection", (reason) => {
  const text =
    reason instanceof Error
      ? args.verbose
        ? (reason.stack ?? reason.message)
        : reason.message
      : String(reason);
  process.stderr.write(`dev: unexpected error in the background (the local cloud keeps running): ${text}\n`);
});

process.stdout.write(renderSummary(cloud, { seconds: (Date.now() - started) / 1000, persistDir, cwd }));

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\ndev: ${signal}: stopping...\n`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await cloud.close();
  process.stderr.write("dev: stopped.\n");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
