import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import { MOCK_ACCOUNT_ID, MOCK_REGION } from "@switchyard/testing";
import { Iam } from "./iam";
import { readBody, sendRestJsonError, signingName } from "./protocol";
import { createSts } from "./services/sts";
import {
  type CarrierEngine,
  type CloudWatchEngine,
  type EventsEngine,
  type LambdaEngine,
  type LocalContext,
  type LocalLogger,
  type LocalResource,
  LocalServiceError,
  type LogsEngine,
  type ServiceEmulator,
  type SnsEngine,
  type SqsEngine,
} from "./types";

/** The emulators an engine can run, by role. Each factory gets the shared context. */
export interface EmulatorFactories {
  sqs?: (ctx: LocalContext) => ServiceEmulator & SqsEngine;
  sns?: (ctx: LocalContext) => ServiceEmulator & SnsEngine;
  events?: (ctx: LocalContext) => ServiceEmulator & EventsEngine;
  lambda?: (ctx: LocalContext) => ServiceEmulator & LambdaEngine;
  cloudwatch?: (ctx: LocalContext) => ServiceEmulator & CloudWatchEngine;
  logs?: (ctx: LocalContext) => ServiceEmulator & LogsEngine;
  sms?: (ctx: LocalContext) => ServiceEmulator & CarrierEngine;
  dynamodb?: (ctx: LocalContext) => ServiceEmulator;
  s3?: (ctx: LocalContext) => ServiceEmulator;
  apigateway?: (ctx: LocalContext) => ServiceEmulator;
}

export type EmulatorRole = keyof EmulatorFactories;

export interface EngineOptions {
  /** Which emulators to run (tests run a subset). */
  emulators: EmulatorFactories;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** @default "123456789012" (the account of the offline synth) */
  accountId?: string;
  /** @default "us-east-1" */
  region?: string;
  /** Keep tables and objects in this folder between runs. @default in memory (a temporary folder for objects) */
  persistDir?: string;
  /** Stack config as the program sees it. @default {} */
  config?: Record<string, string>;
  /** @default a logger that prints warnings and errors to stderr */
  log?: LocalLogger;
  /** Extra `GET /_local/<route>` views (the runner adds `token`, `outputs`). */
  adminRoutes?: Record<string, (query: URLSearchParams) => unknown>;
  /** Serves requests that are not AWS calls nor `/_local` views (the runner mounts the ops console). @default none */
  httpHandler?: HttpHandler;
  /**
   * Authorize every request and delivery as AWS IAM does (`src/iam/`); `startLocalCloud` turns it on unless
   * told `iam: false` (`--no-iam`). @default false
   */
  iam?: boolean;
}

/** Answers a request that is not an AWS call and returns true, or returns false to leave it to the engine. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Prints warnings and errors as one line each to stderr; quiet otherwise. */
export function stderrLogger(level: "debug" | "info" | "warn" | "error" = "warn"): LocalLogger {
  const order = ["debug", "info", "warn", "error"] as const;
  const at = order.indexOf(level);
  const line =
    (lvl: (typeof order)[number]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (order.indexOf(lvl) < at) return;
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      process.stderr.write(`[local-cloud] ${lvl} ${message}${extra}\n`);
    };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

/** A request whose body was already read, readable again (headers, method and URL kept). */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = Readable.from([body]) as unknown as IncomingMessage;
  return Object.assign(replay, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
}

/** What each `GET /_local/<view>` shows, for the index at `GET /_local/`. */
export const VIEW_DESCRIPTIONS: Record<string, string> = {
  status: "the endpoint, the emulators running and how many resources were provisioned",
  outputs: "the stack outputs of this run (what --service kept), with local URLs",
  "token?userId=": "a token the WebSocket $connect authorizer accepts for that user",
  "sqs/queues": "every queue with its depth (visible, in flight, delayed) and redrive policy",
  "sqs/messages?queue=": "the messages of one queue, without receiving them",
  "sns/topics": "topics and their subscriptions",
  "sns/outbox": "what e-mail and SMS subscriptions were sent",
  "sns/deliveries": "recent deliveries to subscriptions, and their failures",
  "events/buses": "event buses and their rules",
  "events/archives": "archives and how many events they hold",
  "events/replays": "replays and their progress",
  "events/deliveries": "recent deliveries to rule targets, and their failures",
  "lambda/functions": "functions with their counters (invocations, errors, timeouts), workers and log file",
  "lambda/invocations?function=": "the recent invocations of one function (or all)",
  "lambda/logs?function=&tail=": "the recent log lines of one function",
  "lambda/permissions": "resource policies of the functions (who may invoke them)",
  "logs/groups": "CloudWatch Logs groups with their retention, streams and event counts",
  "dynamodb/tables": "tables with their keys and item counts",
  "dynamodb/items?table=": "the items of one table",
  "s3/buckets": "buckets with their versioning, lifecycle and notifications",
  "s3/objects?bucket=": "the objects of one bucket",
  "s3/events": "recent S3 event notifications sent",
  "apigateway/apis":
    "WebSocket and HTTP APIs, their routes and stages (HTTP invoke URLs: /http/<apiId>/<stage>)",
  "apigateway/connections": "open WebSocket connections",
  "sms/messages": "every SMS the local carrier accepted or throttled",
  "sms/stats": "SMS parts per second, per sender and country",
  "sms/limits": "the carrier's per-country rate limits",
  "cloudwatch/alarms": "alarms with their state and history",
  "cloudwatch/metrics": "metrics received (PutMetricData, Embedded Metric Format, AWS/* metrics)",
  "cloudwatch/dashboards": "dashboards the program declared",
  "iam/denials": "requests and deliveries IAM refused (principal, action, resource, the policy that decided)",
};

/** The description of a view by its route (`lambda/logs` matches `lambda/logs?function=&tail=`). */
function describeView(route: string): string {
  const entry = Object.entries(VIEW_DESCRIPTIONS).find(([key]) => key.split("?")[0] === route);
  return entry?.[1] ?? "a JSON view";
}

const ROLES: EmulatorRole[] = [
  "sqs",
  "sns",
  "events",
  "cloudwatch",
  "logs",
  "dynamodb",
  "s3",
  "sms",
  "lambda",
  "apigateway",
];

/**
 * The local cloud's engine: one HTTP server on 127.0.0.1 that routes each request to the emulator of
 * the service it was signed for (SigV4 credential scope), WebSocket upgrades to API Gateway, and
 * `GET /_local/<route>` to read-only JSON views. Resources are provisioned into the emulators from
 * the program's own registrations.
 */
export class Engine {
  readonly context: LocalContext;
  private readonly server: Server;
  private readonly emulators = new Map<EmulatorRole, ServiceEmulator>();
  private readonly bySigningName = new Map<string, ServiceEmulator>();
  private readonly adminRoutes = new Map<string, (query: URLSearchParams) => unknown>();
  private readonly resources: LocalResource[] = [];
  private removeWorkDir?: () => void;
  /** AWS API requests served, by `<signing name> <operation>` (for `GET /_local/requests`). */
  private readonly requestCounts = new Map<string, number>();
  private httpHandler: HttpHandler | undefined;
  private started = false;
  /** IAM: principals, policies, decisions (always present; enforcing only when `enabled`). */
  readonly iam: Iam;

  private constructor(options: EngineOptions, server: Server, endpoint: string) {
    this.server = server;
    const persistDir = options.persistDir ? resolve(options.persistDir) : undefined;
    let workDir: string;
    if (persistDir) {
      workDir = persistDir;
      mkdirSync(workDir, { recursive: true });
    } else {
      workDir = mkdtempSync(join(tmpdir(), "switchyard-local-"));
      // Ctrl-C while the program still runs exits before close(): the temporary folder goes anyway.
      this.removeWorkDir = () => rmSync(workDir, { recursive: true, force: true });
      process.once("exit", this.removeWorkDir);
    }
    const emulators = this.emulators;
    const need = <T>(role: EmulatorRole): T => {
      const emulator = emulators.get(role);
      if (!emulator)
        throw new LocalServiceError(
          "ServiceNotRunning",
          `The local ${role} emulator is not running in this engine.`,
          501,
        );
      return emulator as unknown as T;
    };
    const accountId = options.accountId ?? MOCK_ACCOUNT_ID;
    const region = options.region ?? MOCK_REGION;
    const log = options.log ?? stderrLogger();
    this.iam = new Iam({
      enabled: options.iam ?? false,
      accountId,
      region,
      log,
      putMetric: (metricName, dimensions) => {
        const cloudwatch = emulators.get("cloudwatch") as unknown as CloudWatchEngine | undefined;
        cloudwatch?.putMetric({
          namespace: "LocalCloud/IAM",
          metricName,
          dimensions,
          value: 1,
          unit: "Count",
          timestamp: Date.now(),
        });
      },
    });
    const iam = this.iam;
    const engine = this;
    this.context = {
      iam,
      get stopping() {
        return engine.closing;
      },
      accountId,
      region,
      endpoint,
      persistDir,
      workDir,
      config: options.config ?? {},
      log,
      resources: this.resources,
      get sqs() {
        return need<SqsEngine>("sqs");
      },
      get sns() {
        return need<SnsEngine>("sns");
      },
      get events() {
        return need<EventsEngine>("events");
      },
      get lambda() {
        return need<LambdaEngine>("lambda");
      },
      get cloudwatch() {
        return need<CloudWatchEngine>("cloudwatch");
      },
      get logs() {
        return need<LogsEngine>("logs");
      },
    };
    for (const role of ROLES) {
      const factory = options.emulators[role] as ((ctx: LocalContext) => ServiceEmulator) | undefined;
      if (!factory) continue;
      const emulator = factory(this.context);
      this.emulators.set(role, emulator);
      for (const name of emulator.signingNames) this.bySigningName.set(name, emulator);
      for (const [route, view] of Object.entries(emulator.adminRoutes ?? {}))
        this.adminRoutes.set(route, view);
    }
    const sts = createSts(this.context, this.iam);
    for (const name of sts.signingNames) this.bySigningName.set(name, sts);
    this.adminRoutes.set("iam/denials", () => ({ enabled: this.iam.enabled, denials: this.iam.denials }));
    for (const [route, view] of Object.entries(options.adminRoutes ?? {})) this.adminRoutes.set(route, view);
    this.adminRoutes.set("requests", () => Object.fromEntries([...this.requestCounts].sort()));
    this.httpHandler = options.httpHandler;
    this.adminRoutes.set("status", () => ({
      endpoint,
      emulators: [...this.emulators.keys()],
      // AWS resources, as the summary counts them; components (Pulumi's grouping) apart.
      resources: this.resources.filter((r) => r.custom).length,
      components: this.resources.filter((r) => !r.custom).length,
      stateDir: this.context.workDir,
      persisted: this.context.persistDir !== undefined,
    }));
  }

  /** Starts listening (so the endpoint is known before the program runs) and creates the emulators. */
  static async listen(options: EngineOptions): Promise<Engine> {
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          error.code === "EADDRINUSE"
            ? new Error(`Port ${options.port} is in use: stop what runs there or pass --port <another>.`)
            : error,
        );
      });
      server.listen(options.port ?? 0, "127.0.0.1", () => resolveListen());
    });
    const { port } = server.address() as AddressInfo;
    const engine = new Engine(options, server, `http://127.0.0.1:${port}`);
    server.on("request", (req, res) => void engine.onRequest(req, res));
    server.on("upgrade", (req, socket, head) => engine.onUpgrade(req, socket, head));
    return engine;
  }

  get endpoint(): string {
    return this.context.endpoint;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** An emulator by role, for tests and the runner. */
  emulator<T extends ServiceEmulator = ServiceEmulator>(role: EmulatorRole): T | undefined {
    return this.emulators.get(role) as T | undefined;
  }

  /** Adds a `GET /_local/<route>` view. */
  addAdminRoute(route: string, view: (query: URLSearchParams) => unknown): void {
    this.adminRoutes.set(route, view);
  }

  /** Serves unsigned requests that are not `/_local` views (e.g. the ops console's pages and API). */
  setHttpHandler(handler: HttpHandler): void {
    this.httpHandler = handler;
  }

  /** Provisions resources (in order) into every emulator, then starts them (pollers, timers). */
  async provision(resources: readonly LocalResource[]): Promise<void> {
    this.resources.push(...resources);
    for (const resource of resources) this.iam.provision(resource);
    await this.iam.load();
    for (const resource of resources) {
      for (const role of ROLES) {
        const emulator = this.emulators.get(role);
        if (emulator) await emulator.provision(resource);
      }
    }
    await this.iam.warm(this.resources);
    if (!this.started) {
      this.started = true;
      for (const role of ROLES) await this.emulators.get(role)?.start?.();
    }
  }

  /** Set when close() starts: failures the stop itself causes (an invocation cut short) are not reported. */
  private closing = false;

  /** Stops every emulator and the server; removes the temporary work folder. */
  async close(): Promise<void> {
    this.closing = true;
    for (const role of [...ROLES].reverse()) {
      try {
        await this.emulators.get(role)?.stop?.();
      } catch (error) {
        this.context.log.warn(`stopping ${role} failed`, { error: String(error) });
      }
    }
    this.server.closeAllConnections?.();
    await new Promise<void>((done) => this.server.close(() => done()));
    if (this.removeWorkDir) {
      process.removeListener("exit", this.removeWorkDir);
      this.removeWorkDir();
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://local");
      if ((url.pathname === "/_local" || url.pathname === "/_local/") && !req.headers.authorization) {
        this.sendView(res, this.viewIndex());
        return;
      }
      if (url.pathname.startsWith("/_local/") && !req.headers.authorization) {
        const view = this.adminRoutes.get(url.pathname.slice("/_local/".length));
        if (!view) throw new LocalServiceError("NotFound", `No local view at ${url.pathname}.`, 404);
        this.sendView(res, await view(url.searchParams));
        return;
      }
      const name = signingName(req);
      if (!name && this.httpHandler && (await this.httpHandler(req, res))) return;
      // The operation: the JSON protocols' X-Amz-Target action, else the method (REST: @connections, S3).
      const target = req.headers["x-amz-target"];
      const operation = typeof target === "string" ? target.slice(target.lastIndexOf(".") + 1) : req.method;
      const counted = `${name ?? "unsigned"} ${operation}`;
      this.requestCounts.set(counted, (this.requestCounts.get(counted) ?? 0) + 1);
      // Unsigned calls to API Gateway HTTP APIs' invoke URLs (`/http/<apiId>/<stage>/...`) are routed by path.
      const emulator = name
        ? this.bySigningName.get(name)
        : url.pathname.startsWith("/http/")
          ? this.emulators.get("apigateway")
          : undefined;
      if (!emulator) {
        throw new LocalServiceError(
          "UnknownService",
          name
            ? `The local cloud does not emulate the "${name}" service.`
            : "Unsigned request: sign it with any credentials (the signing name says which service it is for).",
          name ? 501 : 400,
        );
      }
      let body = emulator.rawBody ? Buffer.alloc(0) : await readBody(req);
      let request = req;
      if (this.iam.enabled && name) {
        let authorizedBody = body;
        // S3's DeleteObjects names its keys in the body: read it for IAM, then hand the emulator a replay.
        if (emulator.rawBody && req.method === "POST" && url.searchParams.has("delete")) {
          authorizedBody = await readBody(req);
          request = replayRequest(req, authorizedBody);
        }
        const denial = await this.iam.authorizeRequest(name, req, authorizedBody);
        if (denial) {
          this.iam.sendDenial(name, req, res, denial);
          return;
        }
        if (!emulator.rawBody) body = authorizedBody;
      }
      await emulator.handle(request, res, body);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const failure =
        error instanceof LocalServiceError
          ? error
          : new LocalServiceError(
              "InternalFailure",
              error instanceof Error ? error.message : String(error),
              500,
            );
      if (failure.status >= 500)
        this.context.log.error(`request failed: ${req.method} ${req.url}`, { error: failure.message });
      sendRestJsonError(res, failure);
    }
  }

  /** `GET /_local/`: every view, its URL and what it shows. */
  private viewIndex(): { views: Array<{ view: string; url: string; description: string }> } {
    const routes = [...this.adminRoutes.keys()].sort();
    return {
      views: routes.map((route) => {
        const documented = Object.keys(VIEW_DESCRIPTIONS).find((key) => key.split("?")[0] === route);
        return {
          view: route,
          url: `${this.endpoint}/_local/${documented ?? route}`,
          description: describeView(route),
        };
      }),
    };
  }

  private sendView(res: ServerResponse, value: unknown): void {
    const text = JSON.stringify(value ?? null, null, 2);
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "access-control-allow-origin": "*",
    });
    res.end(text);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    for (const emulator of this.emulators.values()) {
      if (emulator.upgrade?.(req, socket, head)) return;
    }
    socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
  }
}
