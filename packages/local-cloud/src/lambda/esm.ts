import { type LocalContext, LocalServiceError, type ReceivedMessage } from "../types";
import type { InvocationOutcome, InvokeOptions } from "./runtime";

/**
 * An SQS event source mapping (`aws:lambda/eventSourceMapping:EventSourceMapping`): pollers that
 * receive batches from the queue, invoke the function with the SQS event and delete what succeeded.
 *
 * As on AWS: a handler error (or timeout, crash) deletes nothing, so the whole batch comes back after
 * the queue's visibility timeout; with `ReportBatchItemFailures` only the reported messages are kept,
 * and a malformed response (unknown or empty `itemIdentifier`, not an object) fails the whole batch.
 * At most `scalingConfig.maximumConcurrency` batches are in flight at once (one per poller).
 */

/** The mapping as the program declared it. */
export interface MappingConfig {
  uuid: string;
  name: string;
  queueArn: string;
  /** Function name or ARN, resolved at each invocation. */
  functionName: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  maximumConcurrency: number;
  enabled: boolean;
}

export interface PollerDeps {
  ctx: LocalContext;
  invoke(functionName: string, event: unknown, options: InvokeOptions): Promise<InvocationOutcome>;
  /** Long-poll wait of each receive. */
  waitSeconds: number;
  /** Pause after an empty receive that returned early, and between receives inside a batching window. */
  pollIntervalMs: number;
}

/** Counters shown by `GET /_local/lambda/event-source-mappings`. */
export interface MappingCounters {
  batches: number;
  messages: number;
  deleted: number;
  /** Batches whose invocation failed (nothing deleted). */
  failedBatches: number;
  /** Messages kept after a partial batch response. */
  reportedFailures: number;
  /** Batches in flight now. */
  inFlight: number;
}

/** The SQS event record Lambda builds for a message (`aws-lambda` SQSRecord). */
export function sqsRecord(
  message: ReceivedMessage,
  queueArn: string,
  region: string,
): Record<string, unknown> {
  const messageAttributes: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(message.messageAttributes ?? {})) {
    const attribute: Record<string, unknown> = {
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
    if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
    if (value.BinaryValue !== undefined) attribute.binaryValue = value.BinaryValue;
    messageAttributes[name] = attribute;
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ...message.attributes },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which messages of a batch failed, from a `ReportBatchItemFailures` response; `"all"` when the
 * response is malformed (the whole batch is retried, as Lambda does).
 */
export function reportedFailures(payload: unknown, messageIds: ReadonlySet<string>): Set<string> | "all" {
  if (payload === undefined || payload === null) return new Set();
  if (typeof payload !== "object" || Array.isArray(payload)) return "all";
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "all";
  const ids = new Set<string>();
  for (const failure of failures) {
    if (typeof failure !== "object" || failure === null) return "all";
    const id = (failure as { itemIdentifier?: unknown }).itemIdentifier;
    if (typeof id !== "string" || id === "" || !messageIds.has(id)) return "all";
    ids.add(id);
  }
  return ids;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The running pollers of one mapping. */
export class SqsEventSource {
  readonly counters: MappingCounters = {
    batches: 0,
    messages: 0,
    deleted: 0,
    failedBatches: 0,
    reportedFailures: 0,
    inFlight: 0,
  };
  private controller: AbortController | undefined;
  private loops: Promise<void>[] = [];
  private warned = false;
  /** The role's refusal was logged (once until it is granted). */
  private refused = false;

  constructor(
    readonly config: MappingConfig,
    private readonly deps: PollerDeps,
  ) {}

  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Starts `maximumConcurrency` pollers (no-op when disabled or already running). */
  start(): void {
    if (!this.config.enabled || this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    this.loops = Array.from({ length: this.config.maximumConcurrency }, () => this.poll(controller.signal));
  }

  /** Aborts the pollers; waits (briefly) for batches in flight to settle. */
  async stop(graceMs = 2000): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    this.controller = undefined;
    controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.loops),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.loops = [];
  }

  private async poll(signal: AbortSignal): Promise<void> {
    const { ctx, pollIntervalMs } = this.deps;
    while (!signal.aborted) {
      try {
        if (!ctx.sqs.hasQueue(this.config.queueArn)) {
          if (!this.warned) {
            this.warned = true;
            ctx.log.warn(
              `lambda: event source mapping ${this.config.name}: queue ${this.config.queueArn} does not exist (yet)`,
            );
          }
          await sleep(pollIntervalMs * 10, signal);
          continue;
        }
        const denial = await this.roleDenial();
        if (denial) {
          if (!this.refused) {
            this.refused = true;
            // AWS refuses to create such a mapping ("The function execution role does not have permissions to
            // call ReceiveMessage on SQS"); locally it stays idle and says why.
            ctx.log.warn(
              `lambda: event source mapping ${this.config.name} idle: ${denial.principal} may not ${denial.action} on ${denial.resource}`,
              { reason: denial.reason },
            );
          }
          await sleep(pollIntervalMs * 10, signal);
          continue;
        }
        this.refused = false;
        const batch = await this.gather(signal);
        if (batch.length === 0 || signal.aborted) continue; // aborted: what was received returns after its visibility timeout
        await this.process(batch);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") {
          if (!this.warned)
            ctx.log.warn(`lambda: event source mapping ${this.config.name} idle: ${error.message}`);
          this.warned = true;
          break;
        }
        ctx.log.warn(`lambda: event source mapping ${this.config.name} failed to poll`, {
          error: String(error),
        });
        await sleep(pollIntervalMs * 10, signal);
      }
    }
  }

  /**
   * What the function's execution role lacks to poll its queue (the mapping polls with the role, as on AWS:
   * sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes), or undefined.
   * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
   */
  private async roleDenial() {
    const { iam } = this.deps.ctx;
    if (!iam.enabled) return undefined;
    const role = iam.policies.roleOfFunction(this.config.functionName);
    if (!role) return undefined;
    for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) {
      const denial = await iam.checkRole(role, action, this.config.queueArn);
      if (denial) return denial;
    }
    return undefined;
  }

  /** One receive, then more until the batch is full or the batching window closes. */
  private async gather(signal: AbortSignal): Promise<ReceivedMessage[]> {
    const { ctx, waitSeconds, pollIntervalMs } = this.deps;
    const { queueArn, batchSize, maximumBatchingWindowSeconds } = this.config;
    const started = Date.now();
    const batch = await ctx.sqs.receive(queueArn, {
      maxMessages: Math.min(batchSize, 10),
      waitSeconds,
      signal,
    });
    if (batch.length === 0) {
      // A receive that came back early without messages (short poll): do not spin.
      if (Date.now() - started < pollIntervalMs) await sleep(pollIntervalMs, signal);
      return batch;
    }
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && Date.now() < windowEnds && !signal.aborted) {
      const more = await ctx.sqs.receive(queueArn, {
        maxMessages: Math.min(batchSize - batch.length, 10),
        waitSeconds: 0,
        signal,
      });
      batch.push(...more);
      if (more.length === 0)
        await sleep(Math.min(pollIntervalMs, Math.max(0, windowEnds - Date.now())), signal);
    }
    return batch;
  }

  private async process(batch: ReceivedMessage[]): Promise<void> {
    const { ctx } = this.deps;
    const { queueArn, uuid, functionName, maximumConcurrency, reportBatchItemFailures } = this.config;
    this.counters.batches++;
    this.counters.messages += batch.length;
    this.counters.inFlight++;
    // Invisible while the invocation runs (see SqsEngine.hold); released in `finally`, after the deletes.
    const releases = batch.map((message) => ctx.sqs.hold(queueArn, message.receiptHandle));
    try {
      const event = { Records: batch.map((message) => sqsRecord(message, queueArn, ctx.region)) };
      let outcome: InvocationOutcome;
      try {
        outcome = await this.deps.invoke(functionName, event, {
          source: `sqs:${queueArn}`,
          caller: `esm:${uuid}`,
          maxConcurrency: maximumConcurrency,
        });
      } catch (error) {
        // Function missing, throttled or the engine stopping: keep every message.
        this.counters.failedBatches++;
        if (!this.controller) return;
        ctx.log.warn(`lambda: event source mapping ${this.config.name} could not invoke ${functionName}`, {
          error: String(error),
        });
        return;
      }
      if (outcome.error) {
        this.counters.failedBatches++;
        return;
      }
      let keep: Set<string> | "all" = new Set();
      if (reportBatchItemFailures) {
        keep = reportedFailures(outcome.payload, new Set(batch.map((message) => message.messageId)));
      }
      if (keep === "all") {
        this.counters.failedBatches++;
        ctx.log.warn(
          `lambda: ${functionName} returned an invalid partial batch response; the whole batch returns to ${queueArn}`,
          { requestId: outcome.requestId },
        );
        return;
      }
      this.counters.reportedFailures += keep.size;
      for (const message of batch) {
        if (keep.has(message.messageId)) continue;
        if (ctx.sqs.deleteMessage(queueArn, message.receiptHandle)) this.counters.deleted++;
      }
    } finally {
      for (const release of releases) release();
      this.counters.inFlight--;
    }
  }
}
