import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
  type InvocationRecord,
  type RuntimeHooks,
} from "../../lambda/runtime";
import { type LocalContext, LocalServiceError } from "../../types";
import { functionNotFound } from "./errors";

/**
 * The state of the local Lambda, without wire format or Pulumi: the functions (each a {@link FunctionRuntime}
 * of `src/lambda/`, running its handler in warm workers; only `$LATEST` exists locally, no published versions
 * or aliases), their event source mappings (SQS pollers), event-invoke configs (retries, event age,
 * destinations of asynchronous invocations), resource-based policy statements (permissions), the recent
 * invocations, and the asynchronous invoker. The control-plane API (`api.ts`), provisioning
 * (`provisioning.ts`) and the engine interface (`index.ts`) all go through it.
 *
 * Function output goes line by line to CloudWatch Logs (the function's log group, stored once, by
 * `src/services/logs`, each line with its request id) and to the CloudWatch emulator (`ingestLogLine`, for
 * Embedded Metric Format lines). Each invocation puts the `AWS/Lambda` metrics Invocations, Errors and Duration
 * (FunctionName dimension).
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

/** A resource-based policy statement, from `aws:lambda/permission:Permission`. */
export interface LambdaPermission {
  name: string;
  functionName: string;
  statementId?: string;
  action?: string;
  principal?: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** An event source mapping with whether its pollers run. */
export type MappingState = MappingConfig & { running: boolean };

/** Invoke's payload limit of a synchronous invocation (6 MB). */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** Invoke's payload limit of an asynchronous invocation (1 MB). */
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
/** How many invocations per function the model remembers. */
const RECENT_INVOCATIONS = 100;

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

/** Size and SHA-256 (base64) of a function's code as deployed locally (the files, not a zip). */
function codeDigest(dir: string): { size: number; sha256: string } {
  const hash = createHash("sha256");
  let size = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const bytes = readFileSync(full);
        size += bytes.length;
        hash.update(entry.name).update(bytes);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // A missing task root reads as empty code.
  }
  return { size, sha256: hash.digest("base64") };
}

export class LambdaModel {
  /** The functions by name. */
  readonly runtimes = new Map<string, FunctionRuntime>();
  /** Event-invoke configs by function name (absent: AWS's defaults). */
  readonly invokeConfigs = new Map<string, EventInvokeConfig>();
  /** Event source mappings by UUID. */
  readonly mappings = new Map<string, SqsEventSource>();
  readonly permissions: LambdaPermission[] = [];
  readonly asyncInvoker: AsyncInvoker;
  private readonly recent = new Map<string, InvocationRecord[]>();
  private readonly digests = new Map<string, { taskRoot: string; size: number; sha256: string }>();
  private readonly hooks: RuntimeHooks;
  private readonly defaultConcurrency: number;
  private readonly idleTimeoutMs: number;
  private started = false;
  private stopping = false;
  private reaper: NodeJS.Timeout | undefined;
  private cloudwatchRunning = true;

  constructor(
    readonly ctx: LocalContext,
    readonly options: LambdaOptions = {},
  ) {
    this.defaultConcurrency = options.defaultConcurrency ?? 10;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
    this.hooks = {
      credentials: (name: string) => ctx.iam.functionCredentials(name, ctx.iam.policies.roleOfFunction(name)),
      endpoint: ctx.endpoint,
      region: ctx.region,
      line: (fn, line, requestId, platform) => this.onLine(fn, line, requestId, platform),
      invoked: (fn, entry) => this.onInvoked(fn, entry),
      record: functionLogSink(ctx), // CloudWatch Logs (src/services/logs), when it runs
    };
    this.asyncInvoker = new AsyncInvoker({
      ctx,
      target: (nameOrArn: string): AsyncTarget => {
        const runtime = this.need(nameOrArn);
        const { name, arn, deadLetterTargetArn } = runtime.config;
        return { name, arn, deadLetterTargetArn, config: this.invokeConfigOf(name) };
      },
      invoke: (name, event, invokeOptions) => this.need(name).invoke(event, invokeOptions),
      retryDelayMs: options.asyncRetryDelayMs ?? ((attempt) => attempt * 1000),
    });
  }

  /** A function's ARN in this account and region. */
  arnOf(name: string): string {
    return `arn:aws:lambda:${this.ctx.region}:${this.ctx.accountId}:function:${name}`;
  }

  /** The function a name or ARN names (`$LATEST` only: any other qualifier names nothing). */
  find(nameOrArn: string): FunctionRuntime | undefined {
    const { name, qualifier } = functionNameOf(nameOrArn);
    if (qualifier !== undefined && qualifier !== "$LATEST") return undefined;
    return this.runtimes.get(name);
  }

  /** Like {@link find}. @throws ResourceNotFoundException naming the (qualified) function ARN */
  need(nameOrArn: string): FunctionRuntime {
    const runtime = this.find(nameOrArn);
    if (!runtime) {
      const { name, qualifier } = functionNameOf(nameOrArn);
      throw functionNotFound(`${this.arnOf(name)}${qualifier ? `:${qualifier}` : ""}`);
    }
    return runtime;
  }

  /** A function's event-invoke config, AWS's defaults when it has none. */
  invokeConfigOf(name: string): EventInvokeConfig {
    return (
      this.invokeConfigs.get(name) ?? {
        maximumRetryAttempts: DEFAULT_MAX_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: DEFAULT_MAX_EVENT_AGE_SECONDS,
      }
    );
  }

  /** Puts a function (replacing one of the same name, whose workers are then stopped). */
  async putFunction(config: FunctionConfig): Promise<void> {
    const previous = this.runtimes.get(config.name);
    this.runtimes.set(config.name, new FunctionRuntime(config, this.defaultConcurrency, this.hooks));
    if (previous) await previous.stop();
  }

  /** Puts an event source mapping (replacing one of the same UUID); it polls once the emulator has started. */
  putMapping(config: MappingConfig): void {
    const previous = this.mappings.get(config.uuid);
    if (previous) void previous.stop();
    const source = new SqsEventSource(config, {
      ctx: this.ctx,
      invoke: (name, event, invokeOptions) => this.need(name).invoke(event, invokeOptions),
      waitSeconds: this.options.esmWaitSeconds ?? 20,
      pollIntervalMs: this.options.pollIntervalMs ?? 100,
    });
    this.mappings.set(config.uuid, source);
    if (this.started && !this.stopping) source.start();
  }

  /** The mappings with whether they run. */
  mappingStates(): MappingState[] {
    return [...this.mappings.values()].map((mapping) => ({ ...mapping.config, running: mapping.running }));
  }

  /** Size and SHA-256 of a function's deployed code (cached per task root). */
  codeDigest(config: FunctionConfig): { taskRoot: string; size: number; sha256: string } {
    const cached = this.digests.get(config.name);
    if (cached && cached.taskRoot === config.taskRoot) return cached;
    const digest = { taskRoot: config.taskRoot, ...codeDigest(config.taskRoot) };
    this.digests.set(config.name, digest);
    return digest;
  }

  /** The functions as `/_local/lambda/functions` shows them. */
  functionViews(): FunctionView[] {
    return [...this.runtimes.values()].map((runtime) => {
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
        asyncPending: this.asyncInvoker.pending(config.name),
        ...counters,
        taskRoot: config.taskRoot,
        logGroup: config.logGroupName,
      };
    });
  }

  /** Recent invocations (the last 100), of one function or all. */
  invocations(nameOrArn?: string): InvocationRecord[] {
    if (nameOrArn) return [...(this.recent.get(functionNameOf(nameOrArn).name) ?? [])];
    return [...this.recent.values()]
      .flat()
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
      .slice(-RECENT_INVOCATIONS);
  }

  /** A function's lines as CloudWatch Logs stored them (none when the CloudWatch Logs emulator is not running). */
  logs(nameOrArn: string, query: { tail?: number; requestId?: string } = {}): LogLine[] {
    const { name } = functionNameOf(nameOrArn);
    const group = this.runtimes.get(name)?.config.logGroupName ?? `/aws/lambda/${name}`;
    try {
      return this.ctx.logs
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

  /** Starts the mappings' pollers and the reaper of idle workers. */
  start(): void {
    this.started = true;
    for (const mapping of this.mappings.values()) mapping.start();
    this.reaper = setInterval(
      () => {
        for (const runtime of this.runtimes.values()) void runtime.reap(this.idleTimeoutMs);
      },
      Math.min(this.idleTimeoutMs, 60_000),
    );
    this.reaper.unref();
  }

  /** Stops the asynchronous invoker, the pollers and every function's workers. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.reaper);
    this.asyncInvoker.stop();
    // Abort the pollers first (synchronously), then end the invocations they wait for.
    const pollers = Promise.all([...this.mappings.values()].map((mapping) => mapping.stop()));
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.stop()));
    await pollers;
  }

  private ingest(line: string): void {
    if (!this.cloudwatchRunning) return;
    try {
      this.ctx.cloudwatch.ingestLogLine(line);
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ServiceNotRunning")
        this.cloudwatchRunning = false;
      else this.ctx.log.debug("lambda: cloudwatch could not ingest a log line", { error: String(error) });
    }
  }

  /** A line's debug log and CloudWatch's EMF metrics (the line itself goes to CloudWatch Logs by `record`). */
  private onLine(fn: FunctionRuntime, line: string, _requestId: string | undefined, platform: boolean): void {
    const { name } = fn.config;
    this.ctx.log.debug(`[${name}] ${line}`);
    if (!platform) this.ingest(line);
  }

  private onInvoked(fn: FunctionRuntime, entry: InvocationRecord): void {
    const list = this.recent.get(fn.config.name) ?? [];
    list.push(entry);
    if (list.length > RECENT_INVOCATIONS) list.splice(0, list.length - RECENT_INVOCATIONS);
    this.recent.set(fn.config.name, list);
    if (!this.cloudwatchRunning) return;
    putMetric(this.ctx, "Invocations", fn.config.name, 1);
    putMetric(this.ctx, "Errors", fn.config.name, entry.error ? 1 : 0);
    putMetric(this.ctx, "Duration", fn.config.name, entry.durationMs, "Milliseconds");
  }
}
