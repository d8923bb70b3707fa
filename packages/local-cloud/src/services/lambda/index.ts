import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { materialiseCode } from "../../lambda/archive";
import {
  AsyncInvoker,
  type AsyncTarget,
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type EventInvokeConfig,
  putMetric,
} from "../../lambda/async";
import { type MappingConfig, SqsEventSource } from "../../lambda/esm";
import { functionLogSink } from "../../lambda/logs";
import {
  type FunctionConfig,
  FunctionRuntime,
  type InvocationOutcome,
  type InvocationRecord,
  type InvokeOptions,
} from "../../lambda/runtime";
import { parseArn } from "../../protocol";
import {
  type InvokeResult,
  type LambdaEngine,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
} from "../../types";
import { asRecord } from "../../values";
import { createLambdaControl, type LambdaPermission } from "./control";

/**
 * The local Lambda: runs the program's functions (`aws:lambda/function:Function`, their archives
 * materialised under `<workDir>/functions/<name>/`) in warm worker threads, polls SQS for their event
 * source mappings, runs asynchronous invocations with retries and destinations, and serves the Invoke
 * API (`POST /2015-03-31/functions/{name}/invocations`) so `@aws-sdk/client-lambda` works against it.
 *
 * Function output goes line by line to CloudWatch Logs (the function's log group, stored once, by
 * `src/services/logs`, each line with its request id) and to the CloudWatch emulator (`ingestLogLine`, for
 * Embedded Metric Format lines). `GET /_local/lambda/logs?function=<name>` (and the console) read them back
 * from the CloudWatch Logs store.
 * Each invocation puts the `AWS/Lambda` metrics Invocations, Errors and Duration (FunctionName dimension).
 */

/** Tuning of the local Lambda. Times are local scales of AWS's; the structure (attempts, order) is AWS's. */
export interface LambdaOptions {
  /** Concurrency limit of a function without `reservedConcurrentExecutions`. @default 10 */
  defaultConcurrency?: number;
  /**
   * Delay before asynchronous retry `attempt` (1 = the first retry). AWS waits about 1 and then
   * 2 minutes. @default attempt => attempt * 1000 (1 s, 2 s)
   */
  asyncRetryDelayMs?: (attempt: number) => number;
  /** Event source mappings: pause after an empty receive that returned early. @default 100 */
  pollIntervalMs?: number;
  /** Event source mappings: long-poll wait of each receive (AWS pollers use 20). @default 20 */
  esmWaitSeconds?: number;
  /** Pollers of a mapping without `scalingConfig.maximumConcurrency`. @default 5 */
  defaultMaximumConcurrency?: number;
  /** Warm workers idle for longer are terminated. @default 600_000 (10 minutes) */
  idleTimeoutMs?: number;
}

/** One line a function (or the platform: START/END/REPORT) wrote. */
export interface LogLine {
  at: string;
  requestId?: string;
  line: string;
}

/** A function as `GET /_local/lambda/functions` shows it. */
export interface FunctionView {
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  reservedConcurrency?: number;
  concurrencyLimit: number;
  warmWorkers: number;
  running: number;
  waiting: number;
  asyncPending: number;
  invocations: number;
  errors: number;
  timeouts: number;
  crashes: number;
  taskRoot: string;
  /** The CloudWatch Logs group the function's lines go to. */
  logGroup: string;
}

/** The Lambda emulator: the engine's `LambdaEngine` plus views for tests and the console. */
export interface LambdaEmulator extends ServiceEmulator, LambdaEngine {
  /** A function's recent log lines (the last `tail`, optionally of one request). */
  logs(nameOrArn: string, options?: { tail?: number; requestId?: string }): LogLine[];
  /** Recent invocations (the last 100), of one function or all. */
  invocations(nameOrArn?: string): InvocationRecord[];
  functions(): FunctionView[];
  /** Like `invoke`, with the request id, the error trace and the result's JSON text. */
  invokeDetailed(nameOrArn: string, event: unknown, options?: InvokeOptions): Promise<InvocationOutcome>;
}

const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
const RECENT_INVOCATIONS = 100;

type Permission = LambdaPermission;

/** A nested input object, or an empty one when absent. */
const record = (value: unknown): Record<string, unknown> => asRecord(value) ?? {};

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The function name in a name, a (qualified or partial) ARN or an API Gateway integration URI
 * (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations`).
 */
export function functionNameOf(nameOrArn: string): { name: string; qualifier?: string } {
  let value = nameOrArn;
  const uri = /\/functions\/([^/]+)\/invocations\/?$/.exec(value);
  if (uri?.[1]) value = decodeURIComponent(uri[1]);
  const full = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::(.+))?$/.exec(value);
  if (full?.[1]) return { name: full[1], qualifier: full[2] };
  const partial = /^\d{12}:function:([^:]+)(?::(.+))?$/.exec(value);
  if (partial?.[1]) return { name: partial[1], qualifier: partial[2] };
  const [name, qualifier] = value.split(":");
  return { name: name ?? value, qualifier };
}

/** Creates the Lambda emulator (signing name `lambda`). */
export function createLambda(ctx: LocalContext, options: LambdaOptions = {}): LambdaEmulator {
  const defaultConcurrency = options.defaultConcurrency ?? 10;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;

  const runtimes = new Map<string, FunctionRuntime>();
  const invokeConfigs = new Map<string, EventInvokeConfig>();
  const mappings = new Map<string, SqsEventSource>();
  const permissions: Permission[] = [];
  const recent = new Map<string, InvocationRecord[]>();
  let started = false;
  let stopping = false;
  let reaper: NodeJS.Timeout | undefined;
  let cloudwatchRunning = true;

  const arnOf = (name: string): string => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;

  function find(nameOrArn: string): FunctionRuntime | undefined {
    const { name, qualifier } = functionNameOf(nameOrArn);
    if (qualifier !== undefined && qualifier !== "$LATEST") return undefined;
    return runtimes.get(name);
  }

  function need(nameOrArn: string): FunctionRuntime {
    const runtime = find(nameOrArn);
    if (!runtime) {
      const { name, qualifier } = functionNameOf(nameOrArn);
      throw new LocalServiceError(
        "ResourceNotFoundException",
        `Function not found: ${arnOf(name)}${qualifier ? `:${qualifier}` : ""}`,
        404,
      );
    }
    return runtime;
  }

  function ingest(line: string): void {
    if (!cloudwatchRunning) return;
    try {
      ctx.cloudwatch.ingestLogLine(line);
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") cloudwatchRunning = false;
      else ctx.log.debug("lambda: cloudwatch could not ingest a log line", { error: String(error) });
    }
  }

  /** A line's debug log and CloudWatch's EMF metrics (the line itself goes to CloudWatch Logs by `record`). */
  function onLine(
    fn: FunctionRuntime,
    line: string,
    _requestId: string | undefined,
    platform: boolean,
  ): void {
    const { name } = fn.config;
    ctx.log.debug(`[${name}] ${line}`);
    if (!platform) ingest(line);
  }

  function onInvoked(fn: FunctionRuntime, entry: InvocationRecord): void {
    const list = recent.get(fn.config.name) ?? [];
    list.push(entry);
    if (list.length > RECENT_INVOCATIONS) list.splice(0, list.length - RECENT_INVOCATIONS);
    recent.set(fn.config.name, list);
    if (!cloudwatchRunning) return;
    putMetric(ctx, "Invocations", fn.config.name, 1);
    putMetric(ctx, "Errors", fn.config.name, entry.error ? 1 : 0);
    putMetric(ctx, "Duration", fn.config.name, entry.durationMs, "Milliseconds");
  }

  const hooks = {
    credentials: (name: string) => ctx.iam.functionCredentials(name, ctx.iam.policies.roleOfFunction(name)),
    endpoint: ctx.endpoint,
    region: ctx.region,
    line: onLine,
    invoked: onInvoked,
    record: functionLogSink(ctx), // CloudWatch Logs (src/services/logs), when it runs
  };

  function invokeConfigOf(name: string): EventInvokeConfig {
    return (
      invokeConfigs.get(name) ?? {
        maximumRetryAttempts: DEFAULT_MAX_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: DEFAULT_MAX_EVENT_AGE_SECONDS,
      }
    );
  }

  const asyncInvoker = new AsyncInvoker({
    ctx,
    target(nameOrArn: string): AsyncTarget {
      const runtime = need(nameOrArn);
      const { name, arn, deadLetterTargetArn } = runtime.config;
      return { name, arn, deadLetterTargetArn, config: invokeConfigOf(name) };
    },
    invoke: (name, event, invokeOptions) => need(name).invoke(event, invokeOptions),
    retryDelayMs: options.asyncRetryDelayMs ?? ((attempt) => attempt * 1000),
  });

  async function provisionFunction(resource: LocalResource): Promise<void> {
    const { inputs, outputs } = resource;
    const name = optionalString(outputs.name) ?? optionalString(inputs.name) ?? resource.name;
    const arn = optionalString(outputs.arn) ?? arnOf(name);
    const environment = record(inputs.environment);
    const variables: Record<string, string> = {};
    for (const [key, value] of Object.entries(record(environment.variables))) {
      if (value !== undefined && value !== null) variables[key] = String(value);
    }
    const reserved = optionalNumber(inputs.reservedConcurrentExecutions);
    const taskRoot = join(ctx.workDir, "functions", name);
    if (inputs.code === undefined) {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `Function ${name}: code is required (only zip archives run locally)`,
      );
    }
    const code = await materialiseCode(inputs.code, taskRoot, ctx.log);
    const config: FunctionConfig = {
      name,
      arn,
      handler: optionalString(inputs.handler) ?? "index.handler",
      runtime: optionalString(inputs.runtime) ?? "nodejs24.x",
      timeoutSeconds: optionalNumber(inputs.timeout) ?? 3,
      memorySize: optionalNumber(inputs.memorySize) ?? 128,
      variables,
      reservedConcurrency: reserved !== undefined && reserved >= 0 ? reserved : undefined,
      deadLetterTargetArn: optionalString(record(inputs.deadLetterConfig).targetArn),
      logGroupName: optionalString(record(inputs.loggingConfig).logGroup) ?? `/aws/lambda/${name}`,
      taskRoot: code.dir,
      sourceMaps: /--enable-source-maps\b/.test(variables.NODE_OPTIONS ?? ""),
    };
    if (!config.runtime.startsWith("nodejs")) {
      ctx.log.warn(
        `lambda: ${name} uses ${config.runtime}; the local Lambda runs it with this machine's Node.js ${process.version}`,
      );
    }
    const previous = runtimes.get(name);
    runtimes.set(name, new FunctionRuntime(config, defaultConcurrency, hooks));
    if (previous) await previous.stop();
    ctx.log.debug(`lambda: function ${name} ready`, {
      taskRoot: code.dir,
      linked: Object.keys(code.linked),
      skipped: code.skipped,
    });
  }

  function provisionMapping(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const queueArn = optionalString(inputs.eventSourceArn);
    const functionName = optionalString(inputs.functionName);
    if (!queueArn || !functionName) {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `EventSourceMapping ${resource.name}: eventSourceArn and functionName are required`,
      );
    }
    if (parseArn(queueArn)?.service !== "sqs") {
      ctx.log.warn(
        `lambda: event source mapping ${resource.name}: only SQS sources run locally (got ${queueArn})`,
      );
      return;
    }
    const fifo = queueArn.endsWith(".fifo");
    const batchSize = optionalNumber(inputs.batchSize) ?? 10;
    const window = optionalNumber(inputs.maximumBatchingWindowInSeconds) ?? 0;
    const fail = (message: string): never => {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `EventSourceMapping ${resource.name}: ${message}`,
      );
    };
    if (batchSize < 1 || batchSize > (fifo ? 10 : 10_000))
      fail(`batchSize must be between 1 and ${fifo ? 10 : 10_000} (got ${batchSize})`);
    if (batchSize > 10 && window < 1) {
      fail(
        `maximumBatchingWindowInSeconds must be at least 1 when batchSize is over 10 (got batchSize ${batchSize}, window ${window})`,
      );
    }
    if (window < 0 || window > 300)
      fail(`maximumBatchingWindowInSeconds must be between 0 and 300 (got ${window})`);
    const scaling = optionalNumber(record(inputs.scalingConfig).maximumConcurrency);
    if (scaling !== undefined && (scaling < 2 || scaling > 1000)) {
      fail(`scalingConfig.maximumConcurrency must be between 2 and 1000 (got ${scaling})`);
    }
    const types = Array.isArray(inputs.functionResponseTypes) ? inputs.functionResponseTypes : [];
    const config: MappingConfig = {
      uuid: optionalString(outputs.uuid) ?? resource.id ?? resource.name,
      name: resource.name,
      queueArn,
      functionName,
      batchSize,
      maximumBatchingWindowSeconds: window,
      reportBatchItemFailures: types.includes("ReportBatchItemFailures"),
      maximumConcurrency: scaling ?? options.defaultMaximumConcurrency ?? 5,
      enabled: inputs.enabled !== false,
    };
    // AWS refuses a mapping whose function may outlive the message's invisibility.
    const queue = ctx.resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.outputs.arn === queueArn);
    const visibility = optionalNumber(queue?.inputs.visibilityTimeoutSeconds) ?? 30;
    const fn = find(functionName);
    if (queue && fn && fn.config.timeoutSeconds > visibility) {
      ctx.log.warn(
        `lambda: event source mapping ${resource.name}: queue visibility timeout ${visibility} s is less than function timeout ${fn.config.timeoutSeconds} s (AWS refuses this)`,
      );
    }
    const previous = mappings.get(config.uuid);
    if (previous) void previous.stop();
    const source = new SqsEventSource(config, {
      ctx,
      invoke: (name, event, invokeOptions) => need(name).invoke(event, invokeOptions),
      waitSeconds: options.esmWaitSeconds ?? 20,
      pollIntervalMs,
    });
    mappings.set(config.uuid, source);
    if (started && !stopping) source.start();
  }

  function provisionInvokeConfig(resource: LocalResource): void {
    const { inputs } = resource;
    const functionName = optionalString(inputs.functionName);
    if (!functionName) return;
    const { name } = functionNameOf(functionName);
    const retries = optionalNumber(inputs.maximumRetryAttempts) ?? DEFAULT_MAX_RETRY_ATTEMPTS;
    const age = optionalNumber(inputs.maximumEventAgeInSeconds) ?? DEFAULT_MAX_EVENT_AGE_SECONDS;
    if (retries < 0 || retries > 2) {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `FunctionEventInvokeConfig ${resource.name}: maximumRetryAttempts must be between 0 and 2 (got ${retries})`,
      );
    }
    if (age < 60 || age > 21_600) {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `FunctionEventInvokeConfig ${resource.name}: maximumEventAgeInSeconds must be between 60 and 21600 (got ${age})`,
      );
    }
    const destinations = record(inputs.destinationConfig);
    invokeConfigs.set(name, {
      maximumRetryAttempts: retries,
      maximumEventAgeSeconds: age,
      onSuccess: optionalString(record(destinations.onSuccess).destination),
      onFailure: optionalString(record(destinations.onFailure).destination),
    });
  }

  function functions(): FunctionView[] {
    return [...runtimes.values()].map((runtime) => {
      const { config, counters, state } = runtime;
      return {
        name: config.name,
        arn: config.arn,
        runtime: config.runtime,
        handler: config.handler,
        timeoutSeconds: config.timeoutSeconds,
        memorySize: config.memorySize,
        ...(config.reservedConcurrency !== undefined
          ? { reservedConcurrency: config.reservedConcurrency }
          : {}),
        concurrencyLimit: runtime.concurrencyLimit,
        warmWorkers: state.warm,
        running: state.running,
        waiting: state.waiting,
        asyncPending: asyncInvoker.pending(config.name),
        ...counters,
        taskRoot: config.taskRoot,
        logGroup: config.logGroupName,
      };
    });
  }

  function invocations(nameOrArn?: string): InvocationRecord[] {
    if (nameOrArn) return [...(recent.get(functionNameOf(nameOrArn).name) ?? [])];
    return [...recent.values()]
      .flat()
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
      .slice(-RECENT_INVOCATIONS);
  }

  /** A function's lines as CloudWatch Logs stored them (none when the CloudWatch Logs emulator is not running). */
  function logs(nameOrArn: string, query: { tail?: number; requestId?: string } = {}): LogLine[] {
    const { name } = functionNameOf(nameOrArn);
    const group = runtimes.get(name)?.config.logGroupName ?? `/aws/lambda/${name}`;
    try {
      return ctx.logs
        .functionLogs(group, {
          ...(query.requestId ? { requestId: query.requestId } : {}),
          ...(query.tail !== undefined ? { tail: query.tail } : {}),
        })
        .map((event) => ({
          at: new Date(event.timestamp).toISOString(),
          ...(event.requestId ? { requestId: event.requestId } : {}),
          line: event.message,
        }));
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") return [];
      throw error;
    }
  }

  async function invokeDetailed(
    nameOrArn: string,
    event: unknown,
    invokeOptions: InvokeOptions = {},
  ): Promise<InvocationOutcome> {
    return need(nameOrArn).invoke(event, invokeOptions);
  }

  async function wireInvoke(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    target: string,
    url: URL,
  ): Promise<void> {
    const qualifier = url.searchParams.get("Qualifier");
    const runtime = need(qualifier ? `${functionNameOf(target).name}:${qualifier}` : target);
    const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
    if (type !== "RequestResponse" && type !== "Event" && type !== "DryRun") {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `Invalid InvocationType: ${type} (RequestResponse, Event or DryRun)`,
      );
    }
    const limit = type === "Event" ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (body.length > limit) {
      throw new LocalServiceError(
        "RequestTooLargeException",
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        413,
      );
    }
    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString("utf8"));
      } catch (error) {
        throw new LocalServiceError(
          "InvalidRequestContentException",
          `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (type === "DryRun") {
      res.writeHead(204, { "x-amzn-requestid": randomUUID() });
      res.end();
      return;
    }
    if (type === "Event") {
      const requestId = asyncInvoker.enqueue(runtime.config.name, event, "api");
      res.writeHead(202, { "x-amzn-requestid": requestId, "content-length": 0 });
      res.end();
      return;
    }
    const outcome = await runtime.invoke(event, { source: "api" });
    const text = outcome.error
      ? JSON.stringify({
          errorType: outcome.error.errorType,
          errorMessage: outcome.error.errorMessage,
          trace: outcome.error.trace ?? [],
        })
      : (outcome.payloadText ?? "null");
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": outcome.requestId,
      "x-amz-executed-version": "$LATEST",
    };
    if (outcome.error) headers["x-amz-function-error"] = "Unhandled";
    if (String(req.headers["x-amz-log-type"] ?? "") === "Tail") {
      const tail = logs(runtime.config.name, { requestId: outcome.requestId })
        .map((line) => `${line.line}\n`)
        .join("");
      headers["x-amz-log-result"] = Buffer.from(Buffer.from(tail).subarray(-4096)).toString("base64");
    }
    res.writeHead(200, headers);
    res.end(text);
  }

  const control = createLambdaControl(ctx, {
    functions: () => [...runtimes.values()].map((runtime) => runtime.config),
    mappings: () =>
      [...mappings.values()].map((mapping) => ({ ...mapping.config, running: mapping.running })),
    permissions: () => permissions,
    invokeConfig: (name) => invokeConfigs.get(name),
    resolve: (nameOrArn) => find(nameOrArn)?.config.name,
  });

  const emulator: LambdaEmulator = {
    signingNames: ["lambda"],

    async provision(resource: LocalResource): Promise<void> {
      switch (resource.type) {
        case "aws:lambda/function:Function":
          await provisionFunction(resource);
          break;
        case "aws:lambda/eventSourceMapping:EventSourceMapping":
          provisionMapping(resource);
          break;
        case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
          provisionInvokeConfig(resource);
          break;
        case "aws:lambda/permission:Permission":
          permissions.push({
            name: resource.name,
            functionName: functionNameOf(String(resource.inputs.function ?? "")).name,
            action: optionalString(resource.inputs.action),
            principal: optionalString(resource.inputs.principal),
            sourceArn: optionalString(resource.inputs.sourceArn),
            statementId: optionalString(resource.inputs.statementId),
            sourceAccount: optionalString(resource.inputs.sourceAccount),
          });
          break;
      }
    },

    async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
      const url = new URL(req.url ?? "/", "http://local");
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/.exec(url.pathname);
      if (req.method === "POST" && match?.[1]) {
        await wireInvoke(req, res, body, decodeURIComponent(match[1]), url);
        return;
      }
      control.handle(req, res, url);
    },

    adminRoutes: {
      "lambda/functions": () => functions(),
      "lambda/invocations": (query) => invocations(query.get("function") ?? undefined),
      "lambda/logs": (query) => {
        const name = query.get("function");
        if (!name)
          throw new LocalServiceError("InvalidParameterValueException", "lambda/logs needs ?function=<name>");
        const tail = query.get("tail");
        return logs(name, {
          tail: tail ? Number(tail) : undefined,
          requestId: query.get("requestId") ?? undefined,
        });
      },
      "lambda/event-source-mappings": () =>
        [...mappings.values()].map((mapping) => ({
          ...mapping.config,
          running: mapping.running,
          ...mapping.counters,
        })),
      "lambda/permissions": () => [...permissions],
    },

    start(): void {
      started = true;
      for (const mapping of mappings.values()) mapping.start();
      reaper = setInterval(
        () => {
          for (const runtime of runtimes.values()) void runtime.reap(idleTimeoutMs);
        },
        Math.min(idleTimeoutMs, 60_000),
      );
      reaper.unref();
    },

    async stop(): Promise<void> {
      stopping = true;
      clearInterval(reaper);
      asyncInvoker.stop();
      // Abort the pollers first (synchronously), then end the invocations they wait for.
      const pollers = Promise.all([...mappings.values()].map((mapping) => mapping.stop()));
      await Promise.all([...runtimes.values()].map((runtime) => runtime.stop()));
      await pollers;
    },

    hasFunction(nameOrArn: string): boolean {
      return find(nameOrArn) !== undefined;
    },

    async invoke(
      nameOrArn: string,
      event: unknown,
      invokeOptions: { maxConcurrency?: number; source?: string } = {},
    ): Promise<InvokeResult> {
      const outcome = await need(nameOrArn).invoke(event, invokeOptions);
      const result: InvokeResult = { durationMs: outcome.durationMs };
      if (outcome.error)
        result.error = { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
      else if (outcome.payload !== undefined) result.payload = outcome.payload;
      return result;
    },

    invokeAsync(nameOrArn: string, event: unknown, invokeOptions: { source?: string } = {}): void {
      const size = Buffer.byteLength(JSON.stringify(event ?? {}) ?? "");
      if (size > ASYNC_PAYLOAD_LIMIT) {
        throw new LocalServiceError(
          "RequestTooLargeException",
          `Request must be smaller than ${ASYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
          413,
        );
      }
      asyncInvoker.enqueue(nameOrArn, event, invokeOptions.source ?? "async");
    },

    logs,
    invocations,
    functions,
    invokeDetailed,
  };
  return emulator;
}
