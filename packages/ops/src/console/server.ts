import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { localView, nameOfArn, type SubscriptionInfo } from "../discover";
import { OpsError } from "../errors";
import { Ops } from "../ops";
import { MAX_UPLOAD_BYTES } from "../publish";
import { type IngressPublisher, ingressPublishers } from "../publishers";
import { type CarrierMessage, type CarrierStats, smsChart } from "../sms";
import { localStackFrom } from "../stack";

/**
 * The browser console, served by the local cloud's engine for requests that are not AWS calls: the pages
 * (`/` and `/bell`), their assets (`/console/*`), and a small JSON API over the ops library
 * (`/_ops/api/*`). Everything else the pages show comes from the engine's read-only `/_local/*` views.
 *
 * The API changes things (redrive, purge, publish), so it takes only requests carrying the header
 * `x-switchyard-console: 1`: a page of another origin cannot send it without a CORS preflight, which is
 * never answered, so no other site open in the browser can drive it.
 */

export interface ConsoleOptions {
  /** The engine's endpoint (`http://127.0.0.1:<port>`). */
  endpoint: string;
  /** The stack's outputs, as the local cloud computed them. */
  outputs: Record<string, unknown>;
  stack?: string;
  /** Where the pages are. @default packages/ops/console */
  assetsDir?: string;
}

/** Handles a request if it is the console's; answers false to let the engine go on. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "console");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};
const MAX_JSON_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new OpsError(`the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req, MAX_JSON_BYTES)).toString("utf8");
  try {
    const value = JSON.parse(text || "{}") as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("expected an object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new OpsError(`the request body is not a JSON object (${(error as Error).message})`);
  }
}

const str = (body: Record<string, unknown>, key: string): string => {
  const value = body[key];
  if (typeof value !== "string" || value === "") throw new OpsError(`${key} is required`);
  return value;
};

const num = (body: Record<string, unknown>, key: string): number | undefined => {
  const value = body[key];
  if (value === undefined || value === null || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new OpsError(`${key} must be a number`);
  return n;
};

/** The console's request handler for the local cloud at `endpoint`. */
export function createConsoleHandler(options: ConsoleOptions): ConsoleHandler {
  const assets = options.assetsDir ?? ASSETS;
  let ops: Ops | undefined;
  const opsFor = () => {
    ops ??= new Ops(localStackFrom(options.endpoint, options.outputs, options.stack));
    return ops;
  };

  // What each ingress route publishes to is provisioned once: read on first use, again only after a failure.
  let publishers: Promise<IngressPublisher[]> | undefined;

  async function api(route: string, req: IncomingMessage, url: URL): Promise<unknown> {
    const o = opsFor();
    if (req.method === "GET") {
      switch (route) {
        case "dlqs":
          return (await o.listDlqs()).map((d) => ({
            name: d.queue.name,
            logicalName: d.queue.logicalName,
            url: d.queue.url,
            arn: d.queue.arn,
            visible: d.queue.visible,
            inFlight: d.queue.inFlight,
            oldestAgeSeconds: d.queue.oldestAgeSeconds,
            kinds: d.kinds,
            sources: d.sources,
          }));
        case "peek": {
          const queue = url.searchParams.get("queue") ?? "";
          const n = Number(url.searchParams.get("n") ?? "50");
          const { messages } = await o.peek(queue, n);
          return messages.map(({ receiptHandle: _handle, destination, ...m }) => ({
            ...m,
            redriveTo: destination
              ? destination.type === "sqs"
                ? `sqs:${nameOfArn(destination.queueArn)}`
                : `lambda:${nameOfArn(destination.functionArn)}`
              : null,
          }));
        }
        case "topology":
          return o.topology();
        case "publishers":
          publishers ??= ingressPublishers(o.stack, o.clients).catch((error: unknown) => {
            publishers = undefined;
            throw error;
          });
          return publishers;
        case "sms": {
          // Read every second by the SMS tab: three local views, no discovery of the whole stack.
          const topicArn = options.outputs.smsTopicArn;
          const [topics, messages, stats] = await Promise.all([
            localView(o.stack, "sns/topics") as Promise<
              Array<{ arn: string; subscriptions: SubscriptionInfo[] }>
            >,
            localView(o.stack, "sms/messages", { limit: "5000" }) as Promise<CarrierMessage[]>,
            localView(o.stack, "sms/stats") as Promise<Record<string, CarrierStats>>,
          ]);
          const subscriptions = topics.find((t) => t.arn === topicArn)?.subscriptions ?? [];
          return smsChart(subscriptions, options.outputs.smsThrottleLanes, messages, stats, Date.now());
        }
        default:
          return undefined;
      }
    }
    if (req.method !== "POST") return undefined;
    if (req.headers["x-switchyard-console"] !== "1")
      throw new OpsError(
        "the console API takes requests from the console only (x-switchyard-console: 1)",
        403,
      );
    if (route === "upload") {
      const key = url.searchParams.get("key") ?? "";
      const bytes = await readBody(req, MAX_UPLOAD_BYTES);
      const type = req.headers["content-type"];
      return o.upload(key, bytes, typeof type === "string" ? type : undefined);
    }
    const body = await jsonBody(req);
    switch (route) {
      case "redrive": {
        const ids = body.messageIds;
        if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")))
          throw new OpsError("messageIds must be a list of message ids");
        return o.redrive(str(body, "queue"), {
          rate: num(body, "rate"),
          max: num(body, "max"),
          dryRun: body.dryRun === true,
          ...(ids ? { messageIds: ids as string[] } : {}),
        });
      }
      case "purge":
        return o.purge(str(body, "queue"));
      case "publish/order":
        return o.publishOrder(body.event, { fifo: body.fifo === true });
      case "publish/sms":
        return o.publishSms(body.request);
      case "publish/notification":
        return o.publishNotification(body.notification);
      case "trace":
        return o.trace(str(body, "target"), body.message);
      default:
        return undefined;
    }
  }

  async function asset(res: ServerResponse, file: string): Promise<boolean> {
    const path = normalize(join(assets, file));
    if (!path.startsWith(assets)) return false;
    const type = TYPES[path.slice(path.lastIndexOf("."))];
    if (!type) return false;
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      return false;
    }
    res.writeHead(200, {
      "content-type": type,
      "content-length": data.length,
      "cache-control": "no-cache",
      // Nothing from outside the machine: scripts, styles and connections stay on this origin (and its WebSocket).
      "content-security-policy":
        "default-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:* wss:; img-src 'self' data:; style-src 'self'; script-src 'self'",
      "x-content-type-options": "nosniff",
    });
    res.end(data);
    return true;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    const path = url.pathname;
    if (path.startsWith("/_ops/api/")) {
      try {
        const value = await api(path.slice("/_ops/api/".length), req, url);
        if (value === undefined) send(res, 404, { error: `no console API at ${req.method} ${path}` });
        else send(res, 200, value);
      } catch (error) {
        const status = error instanceof OpsError ? (error.exitCode === 403 ? 403 : 400) : 500;
        send(res, status, { error: error instanceof Error ? error.message.split("\n")[0] : String(error) });
      }
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (path === "/" || path === "/index.html") return asset(res, "index.html");
    if (path === "/bell" || path === "/bell/") return asset(res, "bell.html");
    if (path.startsWith("/console/")) return asset(res, path.slice("/console/".length));
    return false;
  };
}
