import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type DlqSource, nameOfArn } from "../discover";
import { OpsError, usageError } from "../errors";
import { Ops } from "../ops";
import type { RedriveProgress } from "../redrive";
import { loadAwsStack, loadLocalStack, type StackRef } from "../stack";

export const HELP = `Usage: switchyard [--local | --outputs <file> | --stack <name>] <command> [options]
       corepack pnpm -s ops -- <command> ...

Dead letters (every kind: SQS redrive, handler dead letters, SNS subscription, EventBridge target, Lambda):
  dlq list [--json]                                   every DLQ: sources, depth, oldest age
  dlq peek <queue> [-n 10] [--json]                   messages with reason, source, receive count, age
  dlq redrive <queue> [--rate 10] [--max N] [--dry-run] [--json]
                                                      each message back to where it failed
  dlq redrive <queue> --move-task [--rate 10]         all at once with an SQS move task (DLQs fed by one queue only)
  dlq purge <queue> --yes                             delete every message of the queue

Messages:
  publish order [--fifo] [JSON on stdin | --type T --order-id ID --customer C --value V --item SKU:QTY ...]
  publish sms [JSON on stdin | --to +49... --text T --use-case VERIFICATION]   (country: the number's)
  publish notification [JSON on stdin | --user U --message M [--callback https://...]]
  trace <topic|bus> <message.json|->                  which subscriptions/rules match, and why the others do not
  token <userId>                                      a WebSocket token (local cloud only)

Stack:
  --local                  the local cloud of \`pnpm dev\` (.switchyard/local/outputs.json; the only one running)
  --port <n>               with --local: the run of \`pnpm dev -- --port <n>\` when several are up
  --local-outputs <file>   the local cloud whose outputs.json is <file>
  --outputs <file>         a deployed stack's outputs (\`pulumi stack output --json > file\`)
  --stack <name>           a deployed stack (runs \`pulumi stack output --json --stack <name>\`)
  --region <region>        AWS region (default: AWS_REGION, or the outputs' ARNs)
  --prefix <name>          only queues, topics, rules whose names start with <name>
Queues are named by logical name (orders-inventory-dlq), physical name, URL or ARN.
Exit codes: 0 done, 1 failed (or some messages failed to redrive), 2 bad command line.
`;

/** Where the CLI writes; tests give their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads all of stdin (undefined when stdin is a terminal). */
  stdin: () => Promise<string | undefined>;
  isTty: boolean;
  cwd: string;
  signal?: AbortSignal;
}

const OPTIONS = {
  local: { type: "boolean", default: false },
  port: { type: "string" },
  "local-outputs": { type: "string" },
  outputs: { type: "string" },
  stack: { type: "string" },
  region: { type: "string" },
  prefix: { type: "string" },
  json: { type: "boolean", default: false },
  n: { type: "string", short: "n" },
  rate: { type: "string" },
  max: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  "move-task": { type: "boolean", default: false },
  yes: { type: "boolean", default: false },
  fifo: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  // publish order
  type: { type: "string" },
  "order-id": { type: "string" },
  version: { type: "string" },
  customer: { type: "string" },
  priority: { type: "string" },
  value: { type: "string" },
  currency: { type: "string" },
  item: { type: "string", multiple: true },
  "tracking-url": { type: "string" },
  // publish sms
  to: { type: "string" },
  text: { type: "string" },
  country: { type: "string" },
  "use-case": { type: "string" },
  reference: { type: "string" },
  // publish notification
  user: { type: "string" },
  message: { type: "string" },
  callback: { type: "string" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usageError(`${(error as Error).message.split("\n")[0]} (switchyard --help lists the commands)`);
  }
}

function stackOf(values: Values, cwd: string): StackRef {
  const file = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  if (values["local-outputs"]) return loadLocalStack({ file: file(values["local-outputs"]), cwd });
  if (values.local || values.port !== undefined) {
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      throw usageError(`--port must be an integer from 1 to 65535 (got "${values.port}")`);
    return loadLocalStack({ cwd, port });
  }
  return loadAwsStack({
    outputsFile: values.outputs ? file(values.outputs) : undefined,
    stack: values.stack,
    region: values.region,
    prefix: values.prefix,
    cwd,
  });
}

const positiveInt = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw usageError(`${name} must be a positive integer (got "${text}")`);
  return value;
};

/** A DLQ source in a few words: `orders-inventory-queue`, `orders-order-events-topic -> orders-inventory-queue`. */
function describeSource(source: DlqSource): string {
  switch (source.kind) {
    case "sqs":
      return source.queueName;
    case "sns":
      return `${nameOfArn(source.topicArn)} -> ${nameOfArn(source.endpoint)}`;
    case "eventbridge":
      return `${nameOfArn(source.ruleArn).split("/").at(-1)} -> ${nameOfArn(source.targetArn)}`;
    default:
      return `${nameOfArn(source.functionArn)} (${source.via})`;
  }
}

const age = (seconds: number | null): string =>
  seconds === null
    ? "?"
    : seconds < 120
      ? `${seconds}s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)}m`
        : `${Math.round(seconds / 3600)}h`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n")}\n`;
}

function bar(p: RedriveProgress): string {
  const width = 30;
  const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(ratio * width);
  return `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total}  moved ${p.moved}  failed ${p.failed}  skipped ${p.skipped}`;
}

async function readJson(io: CliIo, source: string | undefined, what: string): Promise<unknown> {
  let text: string | undefined;
  if (source === undefined || source === "-") {
    text = await io.stdin();
    if (text === undefined || text.trim() === "")
      throw usageError(`${what}: give the JSON on stdin or as flags`);
  } else {
    const path = isAbsolute(source) ? source : resolve(io.cwd, source);
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw usageError(`${what}: cannot read ${source}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`${what}: not JSON (${(error as Error).message})`);
  }
}

function orderFromFlags(v: Values): Record<string, unknown> | undefined {
  if (!v.type && !v["order-id"]) return undefined;
  const items = (v.item ?? []).map((text) => {
    const [sku, qty] = text.split(":");
    return { sku, quantity: qty === undefined ? 1 : Number(qty) };
  });
  return {
    eventType: v.type,
    orderId: v["order-id"],
    version: v.version === undefined ? 1 : Number(v.version),
    customerId: v.customer,
    priority: v.priority ?? "NORMAL",
    orderValue: v.value === undefined ? undefined : Number(v.value),
    currency: v.currency ?? "EUR",
    occurredAt: new Date().toISOString(),
    items,
    ...(v["tracking-url"] ? { trackingUrl: v["tracking-url"] } : {}),
  };
}

/** Runs one command line; returns the exit code. Errors become one line on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let ops: Ops | undefined;
  try {
    const { values: v, positionals } = parse(argv);
    if (v.help || positionals.length === 0) {
      (v.help ? io.stdout : io.stderr)(HELP);
      return v.help ? 0 : 2;
    }
    const [command, sub, ...rest] = positionals;
    const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    const known = ["dlq", "publish", "trace", "token"];
    if (!known.includes(command ?? ""))
      throw usageError(`unknown command "${command}" (commands: ${known.join(", ")})`);
    if (command === "dlq" && !["list", "peek", "redrive", "purge"].includes(sub ?? ""))
      throw usageError(
        sub
          ? `dlq: unknown subcommand "${sub}" (list, peek, redrive, purge)`
          : "dlq: which subcommand? (list, peek, redrive, purge)",
      );
    if (command === "publish" && !["order", "sms", "notification"].includes(sub ?? ""))
      throw usageError(
        sub
          ? `publish: unknown kind "${sub}" (order, sms, notification)`
          : "publish: which kind? (order, sms, notification)",
      );
    const needsQueue = command === "dlq" && sub !== "list";
    if (needsQueue && !rest[0]) throw usageError(`dlq ${sub}: which queue? (switchyard dlq list shows them)`);
    if (rest.length > (needsQueue || command === "trace" ? 1 : 0))
      throw usageError(`unexpected argument "${positionals.at(-1)}"`);
    if (command === "dlq" && sub === "purge" && !v.yes)
      throw usageError("dlq purge deletes every message: add --yes");
    if (command === "trace" && !sub)
      throw usageError("trace: which topic or bus? (trace <topic|bus> <message.json|->)");
    if (command === "token" && !sub) throw usageError("token: which user? (token <userId>)");
    const n = positiveInt("-n", v.n);
    const max = positiveInt("--max", v.max);
    let rate: number | undefined;
    if (v.rate !== undefined) {
      rate = Number(v.rate);
      if (!Number.isFinite(rate) || rate <= 0 || rate > 1000)
        throw usageError(`--rate must be a number above 0 and at most 1000 (got "${v.rate}")`);
    }

    ops = new Ops(stackOf(v, io.cwd));

    if (command === "dlq" && sub === "list") {
      const dlqs = await ops.listDlqs();
      const rows = dlqs.map((d) => ({
        queue: d.queue.logicalName,
        name: d.queue.name,
        url: d.queue.url,
        kinds: d.kinds,
        sources: d.sources.map(describeSource),
        depth: d.queue.visible,
        inFlight: d.queue.inFlight,
        oldestAgeSeconds: d.queue.oldestAgeSeconds,
      }));
      if (v.json) json({ dlqs: rows });
      else
        io.stdout(
          table([
            ["QUEUE", "DEPTH", "IN FLIGHT", "OLDEST", "KINDS", "SOURCES"],
            ...rows.map((r) => [
              r.queue,
              String(r.depth),
              String(r.inFlight),
              r.depth + r.inFlight === 0 ? "-" : age(r.oldestAgeSeconds),
              r.kinds.join(",") || "-",
              r.sources.join(", ") || "-",
            ]),
          ]),
        );
      return 0;
    }

    if (command === "dlq" && sub === "peek") {
      const { queue, messages } = await ops.peek(rest[0] as string, n ?? 10);
      const rows = messages.map((m) => ({
        messageId: m.messageId,
        kind: m.kind,
        reason: m.reason,
        source: m.source,
        redriveTo: m.destination
          ? m.destination.type === "sqs"
            ? `sqs:${nameOfArn(m.destination.queueArn)}`
            : `lambda:${nameOfArn(m.destination.functionArn)}`
          : null,
        ...(m.skipReason ? { notRedriven: m.skipReason } : {}),
        receiveCount: m.receiveCount,
        ageSeconds: m.ageSeconds,
        identity: m.identity,
        body: m.body,
      }));
      if (v.json) json({ queue: queue.name, messages: rows });
      else {
        io.stdout(
          `${queue.name}: ${messages.length} message${messages.length === 1 ? "" : "s"} shown (of ${queue.visible} visible)\n`,
        );
        for (const r of rows) {
          io.stdout(
            `\n${r.messageId}  ${r.kind}  received ${r.receiveCount}x  age ${age(r.ageSeconds)}\n  reason: ${r.reason}\n  from:   ${r.source}\n  redrive: ${r.redriveTo ?? `no (${r.notRedriven})`}\n  body:   ${r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body}\n`,
          );
        }
      }
      return 0;
    }

    if (command === "dlq" && sub === "redrive" && v["move-task"]) {
      if (v["dry-run"] || max !== undefined)
        throw usageError("--move-task moves every message: it takes no --dry-run or --max");
      const result = await ops.moveTask(rest[0] as string, {
        rate,
        onProgress: io.isTty && !v.json ? (moved) => io.stderr(`\rmove task: ${moved} moved`) : undefined,
      });
      if (io.isTty && !v.json) io.stderr("\n");
      if (v.json) json(result);
      else
        io.stdout(
          `${result.queue}: moved ${result.moved} to ${result.destination} with an SQS move task (${result.status}${result.failureReason ? `: ${result.failureReason}` : ""})\n`,
        );
      return result.status === "COMPLETED" ? 0 : 1;
    }

    if (command === "dlq" && sub === "redrive") {
      const showBar = io.isTty && !v.json;
      const result = await ops.redrive(rest[0] as string, {
        rate,
        max,
        dryRun: v["dry-run"],
        signal: io.signal,
        onProgress: showBar ? (p) => io.stderr(bar(p)) : undefined,
      });
      if (showBar) io.stderr("\n");
      if (v.json) json(result);
      else {
        for (const m of result.messages)
          io.stdout(
            `${m.outcome.padEnd(10)} ${m.messageId}  ${m.kind}  -> ${m.destination ?? "-"}${m.detail ? `  (${m.detail})` : ""}\n`,
          );
        io.stdout(
          `${result.dryRun ? "dry run: " : ""}${result.queue}: ${result.dryRun ? `would move ${result.messages.filter((m) => m.outcome === "would-move").length}` : `moved ${result.moved}`}, failed ${result.failed}, skipped ${result.skipped}\n`,
        );
      }
      return result.failed > 0 ? 1 : 0;
    }

    if (command === "dlq" && sub === "purge") {
      const result = await ops.purge(rest[0] as string);
      if (v.json) json(result);
      else io.stdout(`purged ${result.queue} (${result.purged} messages)\n`);
      return 0;
    }

    if (command === "publish") {
      let result: unknown;
      if (sub === "order") {
        const event = orderFromFlags(v) ?? (await readJson(io, undefined, "publish order"));
        result = await ops.publishOrder(event, { fifo: v.fifo });
      } else if (sub === "sms") {
        const request = v.to
          ? {
              phoneNumber: v.to,
              text: v.text,
              ...(v.country ? { country: v.country } : {}),
              useCase: v["use-case"],
              ...(v.reference ? { reference: v.reference } : {}),
            }
          : await readJson(io, undefined, "publish sms");
        result = await ops.publishSms(request);
      } else {
        const notification = v.user
          ? v.callback
            ? { userId: v.user, type: "actionable", message: v.message, callback: v.callback }
            : { userId: v.user, type: v.type ?? "feedback", message: v.message }
          : await readJson(io, undefined, "publish notification");
        result = await ops.publishNotification(notification);
      }
      if (v.json) json(result);
      else io.stdout(`published: ${JSON.stringify(result)}\n`);
      return 0;
    }

    if (command === "trace") {
      const message = await readJson(io, rest[0] ?? "-", "trace");
      const result = await ops.trace(sub as string, message);
      if (v.json) json(result);
      else {
        io.stdout(
          `${result.kind} ${nameOfArn(result.target)}: ${result.matched.length} match, ${result.notMatched.length} do not\n`,
        );
        for (const e of result.matched)
          io.stdout(
            `  MATCH     ${e.name}  -> ${e.to.map(nameOfArn).join(", ")}${e.reasons.length ? `  (${e.reasons.join("; ")})` : ""}\n`,
          );
        for (const e of result.notMatched) io.stdout(`  NO MATCH  ${e.name}: ${e.reasons.join("; ")}\n`);
      }
      return 0;
    }

    const token = await ops.token(sub as string);
    if (v.json) json({ userId: sub, token });
    else io.stdout(`${token}\n`);
    return 0;
  } catch (error) {
    if (error instanceof OpsError) {
      io.stderr(`switchyard: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`switchyard: ${message.split("\n")[0]}\n`);
    return 1;
  } finally {
    ops?.close();
  }
}
