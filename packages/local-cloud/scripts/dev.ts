/**
 * `pnpm dev [--stack dev] [--service <name>] [--port 4566] [--persist <dir>] [--logs all]`: the local cloud.
 *
 * Runs the root Pulumi program for the stack under the mocks, provisions every resource it registers into
 * the local engine (one port, the AWS wire protocols), runs the deployed Lambda bundles in worker threads,
 * prints a summary, then the functions' log lines, and keeps serving until Ctrl-C (or SIGTERM).
 *
 * Exit codes: 0 stopped (Ctrl-C, SIGTERM), 1 the stack could not be brought up, 2 bad command line.
 */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { deferUnusedPulumiModules } from "../src/deferred-modules";
import { REPO_ROOT } from "../src/paths";
import { checkServiceName, workspaceServices } from "../src/select";
import { renderSummary } from "../src/summary";
import { formatLogRecord, type LogsMode, parseLogsMode } from "../src/terminal-logs";
import type { FunctionLogRecord } from "../src/types";

const HELP = `Usage: corepack pnpm dev [--stack dev] [--service <name>] [--port 4566] [--persist <dir>]
                         [--logs all|errors|none|<service>] [--time-scale <n>] [--no-iam]

Brings the whole stack up locally from the same program \`pulumi up\` deploys: no AWS account, no Pulumi
CLI, no Docker. One port serves SQS, SNS, EventBridge, DynamoDB, S3, API Gateway (WebSocket and
@connections), End User Messaging SMS / Pinpoint (a local carrier), CloudWatch and CloudWatch Logs; the
Lambda handlers run from their deployed bundles. Writes .switchyard/local/outputs.json ({ endpoint, outputs };
outputs-<port>.json on a port other than 4566).

Options:
  -s, --stack <name>     stack whose config to run (default: dev)
      --service <name>   run only this service and what it needs (${workspaceServices(REPO_ROOT).join(", ")})
  -p, --port <n>         port on 127.0.0.1 (default: 4566; 0 picks a free one)
      --persist <dir>    keep tables, objects, logs and the token secret in <dir> between runs
                         (default: in memory, lost on stop)
      --logs <what>      function logs printed here: all (default), errors (error lines), none, or one
                         service's; a failed invocation (error, timeout, crash) is printed in every mode
      --time-scale <n>   run queue timers, dedup windows and alarm periods n times faster than AWS
                         (1-1000, default 1: a poison message reaches its DLQ after 3 x 180 s in dev)
      --no-iam           do not enforce IAM (by default every request and delivery is authorized with
                         the stack's policies, each function acting as its own role)
  -v, --verbose          print the engine's info logs and stack traces
  -h, --help             show this help

Then, in another terminal: corepack pnpm -s run token <userId> [--port <n>]   (a token for the WebSocket
$connect; "pnpm token" alone is pnpm's own npm-token command)
A bare "--" anywhere is ignored, so "pnpm dev --port 5000" and "pnpm dev -- --port 5000" both work.
`;

function fail(message: string, code: number): never {
  process.stderr.write(`dev: ${message}\n`);
  process.exit(code);
}

function parse() {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        service: { type: "string" },
        port: { type: "string", short: "p", default: "4566" },
        persist: { type: "string" },
        logs: { type: "string", default: "all" },
        "time-scale": { type: "string", default: "1" },
        "no-iam": { type: "boolean", default: false },
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
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be an integer from 0 to 65535 (got "${args.port}")`, 2);
const timeScale = Number(args["time-scale"]);
if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 1000)
  fail(`--time-scale must be a number from 1 to 1000 (got "${args["time-scale"]}")`, 2);

// Names are checked before anything is bundled: the program bundles its handlers as it runs.
const known = workspaceServices(REPO_ROOT);
let service: string | undefined;
let logsMode: LogsMode;
try {
  service = args.service === undefined ? undefined : checkServiceName(args.service, known);
  logsMode = parseLogsMode(args.logs, [...known, "platform"]);
} catch (error) {
  fail((error as Error).message, 2);
}
if (
  service &&
  logsMode.kind === "service" &&
  logsMode.service !== service &&
  logsMode.service !== "platform"
) {
  fail(`--logs ${logsMode.service}: that service does not run with --service ${service}`, 2);
}

const cwd = process.env.INIT_CWD ?? process.cwd();
const persistDir = args.persist
  ? isAbsolute(args.persist)
    ? args.persist
    : resolve(cwd, args.persist)
  : undefined;

const progress = (message: string) => process.stderr.write(`dev: ${message}\n`);
progress(
  persistDir
    ? `state is kept in ${persistDir} (tables, objects, logs, token secret)`
    : "state is in memory (and a temporary folder): it is lost on stop; --persist <dir> keeps it",
);

// Log lines wait until the summary is out, then stream.
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
let serviceOf: (name: string) => string | undefined = () => undefined;
let held: FunctionLogRecord[] | undefined = [];
let functionWidth = 24;
const printLog = (record: FunctionLogRecord) => {
  const line = formatLogRecord(record, { mode: logsMode, serviceOf, color, functionWidth });
  if (line !== undefined) process.stdout.write(`${line}\n`);
};
const onFunctionLog = (record: FunctionLogRecord) => {
  if (stopping) return;
  if (held) held.push(record);
  else printLog(record);
};

// Ctrl-C (or SIGTERM) during startup or while serving: one line, a clean stop, exit 0. pnpm, which started
// this process, then exits 0 too instead of printing ELIFECYCLE.
let stopping = false;
let close: (() => Promise<void>) | undefined;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\ndev: ${signal}: stopped${persistDir ? ` (state kept in ${persistDir})` : ""}\n`);
  const force = setTimeout(() => process.exit(0), 10_000);
  force.unref();
  try {
    await close?.();
  } catch {
    // stopping anyway
  }
  process.exit(0);
};
process.on("SIGINT", () => void stop("Ctrl-C"));
process.on("SIGTERM", () => void stop("SIGTERM"));

const started = Date.now();
deferUnusedPulumiModules(); // before anything loads @pulumi/pulumi (see deferred-modules.ts)
const { stderrLogger } = await import("../src/engine");
const { startLocalCloud } = await import("../src/run");
let cloud: Awaited<ReturnType<typeof startLocalCloud>>;
try {
  cloud = await startLocalCloud({
    stack: args.stack,
    service,
    port,
    persistDir,
    timeScale,
    iam: !args["no-iam"],
    programStackTraces: args.verbose,
    root: REPO_ROOT,
    log: stderrLogger(args.verbose ? "info" : "warn"),
    onProgress: progress,
    onFunctionLog,
  });
} catch (error) {
  if (stopping) await new Promise(() => undefined); // Ctrl-C during startup: stop() exits
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dev: ${message.split("\n")[0]}\n`);
  if (args.verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
close = () => cloud.close();
if (stopping) await cloud.close();

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

serviceOf = cloud.serviceOf;
functionWidth = Math.min(
  40,
  Math.max(
    12,
    ...cloud.resources
      .filter((r) => r.type === "aws:lambda/function:Function")
      .map((r) => String(r.outputs.name ?? r.name).length),
  ),
);
process.stdout.write(
  renderSummary(cloud, {
    seconds: (Date.now() - started) / 1000,
    persistDir,
    stateDir: cloud.stateDir,
    cwd,
    logs: logsMode,
    region: cloud.engine.context.region,
  }),
);
for (const record of held ?? []) printLog(record);
held = undefined;
