import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FunctionLogRecord, LocalServiceError } from "../types";
import { invocationFault } from "./faults";
import { type FunctionError, Sandbox, type SandboxOutcome } from "./sandbox";

/**
 * One deployed function: its configuration, its warm sandboxes (worker threads, reused one invocation
 * at a time) and its concurrency slots. At most `reservedConcurrentExecutions` (or the engine's default
 * when unreserved) invocations run at once; more wait for a slot (AWS would throttle a synchronous
 * caller instead; locally waiting is friendlier and keeps every event).
 */

/** The function as the program declared it (`aws:lambda/function:Function`). */
export interface FunctionConfig {
  name: string;
  arn: string;
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memorySize: number;
  variables: Record<string, string>;
  /** `reservedConcurrentExecutions` when set (>= 0); undefined when unreserved. */
  reservedConcurrency?: number;
  deadLetterTargetArn?: string;
  logGroupName: string;
  /** Where the archive was materialised. */
  taskRoot: string;
  /** `NODE_OPTIONS` asked for `--enable-source-maps`. */
  sourceMaps: boolean;
}

/** One invocation as the admin views show it. */
export interface InvocationRecord {
  requestId: string;
  function: string;
  /** Who invoked: `api`, `sqs:<queue ARN>`, `sns:<topic ARN>`, ... */
  source: string;
  invocationType: "RequestResponse" | "Event";
  startedAt: string;
  durationMs: number;
  initDurationMs?: number;
  error?: { errorType: string; errorMessage: string };
}

/** The result of one invocation, with what the wire and the destinations need. */
export interface InvocationOutcome {
  requestId: string;
  /** The handler's result, JSON-cloned. */
  payload?: unknown;
  /** The result as JSON text (`null` for void handlers is left to the caller). */
  payloadText?: string;
  error?: FunctionError;
  timedOut: boolean;
  durationMs: number;
  initMs?: number;
}

export interface InvokeOptions {
  /** Request id to use (asynchronous retries keep theirs). @default a fresh UUID */
  requestId?: string;
  /** Who is invoking (for the admin views). @default "api" */
  source?: string;
  /** Caps the invocations this caller runs at once (an event source mapping's maximumConcurrency). */
  maxConcurrency?: number;
  /** Identifies the caller `maxConcurrency` applies to. @default source */
  caller?: string;
  invocationType?: "RequestResponse" | "Event";
}

/** How a runtime reports to the service (logs, views, metrics). */
export interface RuntimeHooks {
  endpoint: string;
  region: string;
  /** A line the function wrote (`platform` false) or a START/END/REPORT line (`platform` true). */
  line(fn: FunctionRuntime, line: string, requestId: string | undefined, platform: boolean): void;
  invoked(fn: FunctionRuntime, record: InvocationRecord): void;
  /**
   * The credentials of the function's execution role, as Lambda puts them in the environment
   * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); the local cloud maps the key id back to
   * the role. @default `local` keys (the administrator)
   */
  credentials?(
    functionName: string,
  ): { accessKeyId: string; secretAccessKey: string; sessionToken: string } | undefined;
  /**
   * Every line again with its log group and stream (the worker's), for CloudWatch Logs and the terminal, plus
   * one line per failed invocation (the handler threw, timed out or its runtime died) saying why.
   */
  record?(record: FunctionLogRecord): void;
}

/** Counters shown by `GET /_local/lambda/functions`. */
export interface FunctionCounters {
  invocations: number;
  errors: number;
  timeouts: number;
  crashes: number;
}

interface Waiter {
  caller: string;
  cap?: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Lambda's synchronous response limit. */
const RESPONSE_LIMIT = 6_291_556;

const HOST_NODE_MAJOR = Number(process.versions.node.split(".")[0]);

const RUNTIME_DIR = dirname(fileURLToPath(new URL("./bootstrap.mjs", import.meta.url)));

export class FunctionRuntime {
  readonly counters: FunctionCounters = { invocations: 0, errors: 0, timeouts: 0, crashes: 0 };
  private readonly idle: Sandbox[] = [];
  private readonly busy = new Set<Sandbox>();
  private readonly byCaller = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private running = 0;
  private stopped = false;

  constructor(
    readonly config: FunctionConfig,
    private readonly defaultConcurrency: number,
    private readonly hooks: RuntimeHooks,
  ) {}

  /** How many invocations may run at once. */
  get concurrencyLimit(): number {
    return this.config.reservedConcurrency ?? this.defaultConcurrency;
  }

  /** Live numbers for the admin view. */
  get state(): { warm: number; running: number; waiting: number } {
    return { warm: this.idle.length + this.busy.size, running: this.running, waiting: this.waiters.length };
  }

  /**
   * Runs the handler once in a warm (or new) sandbox when a slot is free.
   * @throws LocalServiceError TooManyRequestsException when the reserved concurrency is 0
   */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationOutcome> {
    if (this.stopped) throw new LocalServiceError("ServiceException", "The local Lambda is stopping.", 500);
    if (this.concurrencyLimit <= 0) {
      throw new LocalServiceError("TooManyRequestsException", "Rate Exceeded.", 429);
    }
    const eventJson = JSON.stringify(event ?? {}) ?? "{}";
    const caller = options.caller ?? options.source ?? "api";
    await this.acquire(caller, options.maxConcurrency);
    const requestId = options.requestId ?? randomUUID();
    const startedAt = new Date();
    let sandbox: Sandbox | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    try {
      sandbox = this.takeSandbox();
      this.emit(sandbox, `START RequestId: ${requestId} Version: $LATEST`, requestId, "platform");
      const started = performance.now();
      const fault = invocationFault(this.config.name);
      // The kill belongs to this invocation only: cleared when it ends, so it never lands on the worker's next one.
      if (fault) killTimer = setTimeout(() => void sandbox?.terminate(), fault.killAfterMs);
      const raw = await sandbox.invoke(requestId, eventJson, this.config.timeoutSeconds * 1000);
      const durationMs = performance.now() - started - (raw.initMs ?? 0);
      this.busy.delete(sandbox);
      if (raw.dead || !sandbox.alive || this.stopped) await sandbox.terminate();
      else this.idle.push(sandbox);
      const outcome = this.outcome(requestId, raw, durationMs);
      this.report(sandbox, outcome, raw, startedAt, options);
      return outcome;
    } finally {
      clearTimeout(killTimer);
      if (sandbox && this.busy.delete(sandbox)) await sandbox.terminate();
      this.release(caller);
    }
  }

  /** Terminates sandboxes idle for longer than `idleMs`. */
  async reap(idleMs: number): Promise<void> {
    const now = Date.now();
    const old = this.idle.filter((sandbox) => now - sandbox.lastUsed > idleMs || !sandbox.alive);
    for (const sandbox of old) this.idle.splice(this.idle.indexOf(sandbox), 1);
    await Promise.all(old.map((sandbox) => sandbox.terminate()));
  }

  /** Refuses new invocations, fails the waiting ones and terminates every sandbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new LocalServiceError("ServiceException", "The local Lambda is stopping.", 500));
    }
    const all = [...this.idle.splice(0), ...this.busy];
    await Promise.all(all.map((sandbox) => sandbox.terminate()));
  }

  private outcome(requestId: string, raw: SandboxOutcome, durationMs: number): InvocationOutcome {
    const base = { requestId, timedOut: raw.timedOut, durationMs, initMs: raw.initMs };
    if (raw.error) return { ...base, error: raw.error };
    if (raw.payload === undefined) return base;
    if (Buffer.byteLength(raw.payload) > RESPONSE_LIMIT) {
      return {
        ...base,
        error: {
          errorType: "Function.ResponseSizeTooLarge",
          errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
        },
      };
    }
    return { ...base, payloadText: raw.payload, payload: JSON.parse(raw.payload) as unknown };
  }

  /** One line to the service's hooks: its buffer and file (`line`), and CloudWatch Logs (`record`). */
  private emit(
    sandbox: Sandbox,
    line: string,
    requestId: string | undefined,
    source: FunctionLogRecord["source"],
    failure?: FunctionLogRecord["failure"],
  ): void {
    this.hooks.line(this, line, requestId, source === "platform");
    this.hooks.record?.({
      functionName: this.config.name,
      logGroupName: this.config.logGroupName,
      logStreamName: sandbox.logStreamName,
      timestamp: Date.now(),
      message: line,
      ...(requestId ? { requestId } : {}),
      source,
      ...(failure ? { failure } : {}),
    });
  }

  /**
   * The line Lambda writes when an invocation fails: `Task timed out after N seconds` for a timeout (the
   * platform's), otherwise the runtime's JSON error record (`"level":"ERROR"`, errorType, errorMessage, stackTrace).
   */
  private reportFailure(sandbox: Sandbox, outcome: InvocationOutcome, raw: SandboxOutcome): void {
    const { error, requestId } = outcome;
    // Workers ended by the engine stopping are not the function's failures.
    if (!error || this.stopped) return;
    if (outcome.timedOut) {
      const seconds = this.config.timeoutSeconds.toFixed(2);
      this.emit(
        sandbox,
        `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
        requestId,
        "platform",
        {
          kind: "timeout",
          errorType: error.errorType,
          errorMessage: `Task timed out after ${seconds} seconds`,
        },
      );
      return;
    }
    const message = error.errorType.startsWith("Runtime.")
      ? "Runtime Error"
      : raw.dead
        ? "Uncaught Exception"
        : "Invoke Error";
    const line = JSON.stringify({
      timestamp: new Date().toISOString(),
      level: "ERROR",
      requestId,
      message,
      errorType: error.errorType,
      errorMessage: error.errorMessage,
      stackTrace: error.trace ?? [],
    });
    this.emit(sandbox, line, requestId, "stderr", {
      kind: raw.dead ? "crash" : "error",
      errorType: error.errorType,
      errorMessage: error.errorMessage,
    });
  }

  private report(
    sandbox: Sandbox,
    outcome: InvocationOutcome,
    raw: SandboxOutcome,
    startedAt: Date,
    options: InvokeOptions,
  ): void {
    const { requestId, durationMs } = outcome;
    this.counters.invocations++;
    if (outcome.error) this.counters.errors++;
    if (outcome.timedOut) this.counters.timeouts++;
    else if (raw.dead) this.counters.crashes++;
    this.reportFailure(sandbox, outcome, raw);
    this.emit(sandbox, `END RequestId: ${requestId}`, requestId, "platform");
    const parts = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.max(1, Math.ceil(durationMs + (outcome.initMs ?? 0)))} ms`,
      `Memory Size: ${this.config.memorySize} MB`,
    ];
    if (outcome.initMs !== undefined) parts.push(`Init Duration: ${outcome.initMs.toFixed(2)} ms`);
    if (outcome.timedOut) parts.push("Status: timeout");
    else if (raw.dead && outcome.error) parts.push("Status: error", `Error Type: ${outcome.error.errorType}`);
    this.emit(sandbox, parts.join("\t"), requestId, "platform");
    const record: InvocationRecord = {
      requestId,
      function: this.config.name,
      source: options.source ?? "api",
      invocationType: options.invocationType ?? "RequestResponse",
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(durationMs * 100) / 100,
    };
    if (outcome.initMs !== undefined) record.initDurationMs = Math.round(outcome.initMs * 100) / 100;
    if (outcome.error)
      record.error = { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
    this.hooks.invoked(this, record);
  }

  private takeSandbox(): Sandbox {
    let sandbox = this.idle.pop();
    while (sandbox && !sandbox.alive) sandbox = this.idle.pop();
    if (!sandbox) {
      const created: Sandbox = new Sandbox({
        functionName: this.config.name,
        functionArn: this.config.arn,
        handler: this.config.handler,
        taskRoot: this.config.taskRoot,
        memorySize: this.config.memorySize,
        logGroupName: this.config.logGroupName,
        env: this.environment(),
        sourceMaps: this.config.sourceMaps,
        onLine: (line, stream, requestId) => this.emit(created, line, requestId, stream),
      });
      sandbox = created;
    }
    this.busy.add(sandbox);
    return sandbox;
  }

  /** The function's variables plus the runtime's own (which win, as Lambda reserves them). */
  private environment(): Record<string, string> {
    const { config, hooks } = this;
    const variables = { ...config.variables };
    const credentials = hooks.credentials?.(config.name);
    delete variables.NODE_OPTIONS; // not applicable to worker threads; --enable-source-maps is honoured by the bootstrap
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      ...variables,
      AWS_ENDPOINT_URL: hooks.endpoint,
      AWS_REGION: hooks.region,
      AWS_DEFAULT_REGION: hooks.region,
      AWS_ACCESS_KEY_ID: credentials?.accessKeyId ?? "local",
      AWS_SECRET_ACCESS_KEY: credentials?.secretAccessKey ?? "local",
      ...(credentials ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      // Lambda has no ~/.aws: keep this machine's profiles (and their endpoints) out of the function.
      AWS_CONFIG_FILE: join(config.taskRoot, ".aws-none", "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(config.taskRoot, ".aws-none", "credentials"),
      AWS_LAMBDA_FUNCTION_NAME: config.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_LOG_GROUP_NAME: config.logGroupName,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
      LAMBDA_TASK_ROOT: config.taskRoot,
      LAMBDA_RUNTIME_DIR: RUNTIME_DIR,
      _HANDLER: config.handler,
      // The SDK warns about this machine's Node.js (older than Lambda's); the deployed runtime would not.
      ...(HOST_NODE_MAJOR < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } : {}),
    };
  }

  private canRun(caller: string, cap: number | undefined): boolean {
    if (this.running >= this.concurrencyLimit) return false;
    return cap === undefined || (this.byCaller.get(caller) ?? 0) < cap;
  }

  private take(caller: string): void {
    this.running++;
    this.byCaller.set(caller, (this.byCaller.get(caller) ?? 0) + 1);
  }

  private acquire(caller: string, cap: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ caller, cap, resolve, reject });
      this.pump();
    });
  }

  private release(caller: string): void {
    this.running--;
    const left = (this.byCaller.get(caller) ?? 1) - 1;
    if (left > 0) this.byCaller.set(caller, left);
    else this.byCaller.delete(caller);
    this.pump();
  }

  /** Starts waiting invocations while slots are free: first come, first served, skipping callers at their cap. */
  private pump(): void {
    for (let i = 0; i < this.waiters.length && this.running < this.concurrencyLimit; ) {
      const waiter = this.waiters[i] as Waiter;
      if (this.canRun(waiter.caller, waiter.cap)) {
        this.waiters.splice(i, 1);
        this.take(waiter.caller);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }
}
