import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";

/**
 * One execution environment of a function: a worker thread running `bootstrap.mjs`, which loads the
 * handler once (the init phase) and then runs one invocation at a time, like a Lambda sandbox.
 */

/** The error payload of a failed invocation, as Lambda reports it. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** What one invocation in one sandbox produced. */
export interface SandboxOutcome {
  /** The handler's result as JSON text (undefined for void handlers). */
  payload?: string;
  error?: FunctionError;
  /** The sandbox cannot be reused (timeout, crash, init failure): it has been terminated. */
  dead: boolean;
  timedOut: boolean;
  /** Init phase duration when this invocation started the sandbox. */
  initMs?: number;
}

/** Everything a sandbox needs to start. */
export interface SandboxSpec {
  functionName: string;
  functionArn: string;
  handler: string;
  taskRoot: string;
  memorySize: number;
  logGroupName: string;
  /** Variables of the function, plus the runtime's (built by the caller without the log stream). */
  env: Record<string, string>;
  sourceMaps: boolean;
  /** Receives each complete output line. */
  onLine(line: string, stream: "stdout" | "stderr", requestId: string | undefined): void;
}

const BOOTSTRAP = new URL("./bootstrap.mjs", import.meta.url);

interface Pending {
  id: number;
  requestId: string;
  resolve(outcome: SandboxOutcome): void;
  timer?: NodeJS.Timeout;
}

type WorkerMessage =
  | { type: "ready"; initMs: number }
  | { type: "init-error"; error: FunctionError }
  | { type: "result"; id: number; payload?: string }
  | { type: "error"; id: number; error: FunctionError }
  | { type: "log"; stream: "stdout" | "stderr"; text: string }
  | { type: "crash"; requestId?: string; error: FunctionError };

/** `2026/11/22/[$LATEST]<32 hex>`: one log stream per execution environment, as Lambda names them. */
function logStreamName(version: string): string {
  const now = new Date();
  const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, "0")}/${String(now.getUTCDate()).padStart(2, "0")}`;
  return `${day}/[${version}]${randomBytes(16).toString("hex")}`;
}

/** A worker thread hosting one function's handler. */
export class Sandbox {
  readonly logStreamName: string;
  private readonly worker: Worker;
  private readonly ready: Promise<{ initMs: number } | { error: FunctionError }>;
  private readonly partial = { stdout: "", stderr: "" };
  private pending: Pending | undefined;
  private nextId = 1;
  private initReported = false;
  private exited = false;
  private currentRequestId: string | undefined;
  /** When the sandbox last finished an invocation (for the idle reaper). */
  lastUsed = Date.now();

  constructor(private readonly spec: SandboxSpec) {
    this.logStreamName = logStreamName("$LATEST");
    this.worker = new Worker(BOOTSTRAP, {
      name: `lambda:${spec.functionName}`,
      env: { ...spec.env, AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName },
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, spec.memorySize) },
      workerData: {
        taskRoot: spec.taskRoot,
        handler: spec.handler,
        functionName: spec.functionName,
        functionVersion: "$LATEST",
        invokedFunctionArn: spec.functionArn,
        memoryLimitInMB: spec.memorySize,
        logGroupName: spec.logGroupName,
        logStreamName: this.logStreamName,
        sourceMaps: spec.sourceMaps,
      },
    });
    this.worker.unref();
    // Anything written past the bootstrap's capture (there should be nothing) still lands in the log.
    this.worker.stdout.setEncoding("utf8").on("data", (text: string) => this.output("stdout", text));
    this.worker.stderr.setEncoding("utf8").on("data", (text: string) => this.output("stderr", text));

    this.ready = new Promise((resolve) => {
      this.worker.on("message", (message: WorkerMessage) => {
        switch (message.type) {
          case "ready":
            resolve({ initMs: message.initMs });
            break;
          case "init-error":
            resolve({ error: message.error });
            break;
          case "log":
            this.output(message.stream, message.text);
            break;
          case "result":
            this.settle(message.id, { payload: message.payload, dead: false, timedOut: false });
            break;
          case "error":
            this.settle(message.id, { error: message.error, dead: false, timedOut: false });
            break;
          case "crash":
            this.crash(message.error);
            break;
        }
      });
      this.worker.on("error", (error: Error & { code?: string }) => {
        const failure: FunctionError =
          error.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? {
                errorType: "Runtime.OutOfMemory",
                errorMessage: `RequestId: ${this.currentRequestId ?? "-"} Error: Runtime exited with error: signal: killed`,
              }
            : {
                errorType: error.name || "Error",
                errorMessage: error.message,
                trace: error.stack?.split("\n"),
              };
        resolve({ error: failure });
        this.crash(failure);
      });
      this.worker.on("exit", (code) => {
        this.exited = true;
        this.flush();
        const failure: FunctionError = {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${this.currentRequestId ?? "-"} Error: Runtime exited ${code === 0 ? "without providing a reason" : `with error: exit status ${code}`}`,
        };
        resolve({ error: failure });
        this.fail(failure);
      });
    });
  }

  /** True while the worker thread is alive and reusable. */
  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Runs one invocation. Resolves (never rejects) with the result, the handler's error, or a timeout
   * (`Sandbox.Timedout`, the worker terminated) or crash (`Runtime.*`, the worker terminated).
   */
  async invoke(requestId: string, eventJson: string, timeoutMs: number): Promise<SandboxOutcome> {
    if (this.pending) throw new Error("a sandbox runs one invocation at a time");
    this.currentRequestId = requestId;
    const initStart = performance.now();
    let initTimer: NodeJS.Timeout | undefined;
    const init = await Promise.race([
      this.ready,
      // Lambda gives the init phase its own 10 s on top of the function's timeout.
      new Promise<"timeout">((resolve) => {
        initTimer = setTimeout(resolve, timeoutMs + 10_000, "timeout");
      }),
    ]);
    clearTimeout(initTimer);
    let initMs: number | undefined;
    if (!this.initReported) {
      this.initReported = true;
      initMs = performance.now() - initStart;
    }
    if (init === "timeout") {
      await this.terminate();
      return {
        error: timedOut(requestId, timeoutMs),
        dead: true,
        timedOut: true,
        initMs,
      };
    }
    if ("error" in init) {
      await this.terminate();
      return { error: init.error, dead: true, timedOut: false, initMs };
    }
    if (this.exited) {
      return {
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${requestId} Error: Runtime exited without providing a reason`,
        },
        dead: true,
        timedOut: false,
        initMs,
      };
    }
    const id = this.nextId++;
    this.worker.ref(); // an invocation in flight keeps the process alive; an idle sandbox does not
    const outcome = await new Promise<SandboxOutcome>((resolve) => {
      const pending: Pending = { id, requestId, resolve };
      pending.timer = setTimeout(() => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        void this.terminate();
        resolve({ error: timedOut(requestId, timeoutMs), dead: true, timedOut: true });
      }, timeoutMs);
      this.pending = pending;
      this.worker.postMessage({
        type: "invoke",
        id,
        requestId,
        event: eventJson,
        deadline: Date.now() + timeoutMs,
      });
    });
    if (!this.exited) this.worker.unref();
    this.lastUsed = Date.now();
    this.currentRequestId = undefined;
    if (outcome.dead) await this.terminate();
    return { ...outcome, initMs };
  }

  /** Stops the worker thread (idempotent). */
  async terminate(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    try {
      await this.worker.terminate();
    } catch {
      // already gone
    }
    this.flush();
  }

  private settle(id: number, outcome: SandboxOutcome): void {
    const pending = this.pending;
    if (!pending || pending.id !== id) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  /** An uncaught exception or unhandled rejection: the runtime dies with the invocation in progress. */
  private crash(error: FunctionError): void {
    this.fail(error);
    void this.terminate();
  }

  private fail(error: FunctionError): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve({ error, dead: true, timedOut: false });
  }

  private output(stream: "stdout" | "stderr", text: string): void {
    const lines = (this.partial[stream] + text).split("\n");
    this.partial[stream] = lines.pop() ?? "";
    for (const line of lines)
      this.spec.onLine(line.endsWith("\r") ? line.slice(0, -1) : line, stream, this.currentRequestId);
  }

  private flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.partial[stream];
      this.partial[stream] = "";
      if (rest) this.spec.onLine(rest, stream, this.currentRequestId);
    }
  }
}

/** `Sandbox.Timedout` with Lambda's message: `RequestId: <id> Error: Task timed out after 3.00 seconds`. */
export function timedOut(requestId: string, timeoutMs: number): FunctionError {
  return {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  };
}
