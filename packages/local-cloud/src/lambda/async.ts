import { randomUUID } from "node:crypto";
import { parseArn } from "../protocol";
import { type LocalContext, LocalServiceError } from "../types";
import type { InvocationOutcome, InvokeOptions } from "./runtime";

/**
 * Asynchronous (`Event`) invocation: Lambda's internal queue, retries and destinations.
 *
 * Each event is attempted once plus up to `maximumRetryAttempts` (FunctionEventInvokeConfig, default
 * 2) more times while it is younger than `maximumEventAgeInSeconds` (default 6 hours). AWS waits about
 * 1 minute before the first retry and 2 minutes before the second; locally the same attempts happen
 * after `retryDelayMs(attempt)` (default 1 s, 2 s, ...). A retry keeps the event's request id.
 * When the event fails for good, the invocation record goes to `destinationConfig.onFailure` and the
 * event itself to the function's `deadLetterConfig` (with RequestID/ErrorCode/ErrorMessage attributes);
 * a success goes to `destinationConfig.onSuccess` when there is one.
 */

/** The function's FunctionEventInvokeConfig (or the defaults). */
export interface EventInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onSuccess?: string;
  onFailure?: string;
}

/** What the async invoker needs to know about a function. */
export interface AsyncTarget {
  name: string;
  arn: string;
  deadLetterTargetArn?: string;
  config: EventInvokeConfig;
}

export interface AsyncDeps {
  ctx: LocalContext;
  /** Resolves a function (throws when it does not exist). */
  target(nameOrArn: string): AsyncTarget;
  invoke(name: string, event: unknown, options: InvokeOptions): Promise<InvocationOutcome>;
  retryDelayMs(attempt: number): number;
}

/** The default `maximumEventAgeInSeconds`: 6 hours. */
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
/** The default `maximumRetryAttempts`. */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;

type Condition = "Success" | "RetriesExhausted" | "EventAgeExceeded";

export class AsyncInvoker {
  private readonly pendingByFunction = new Map<string, number>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve(): void }>();
  private stopped = false;

  constructor(private readonly deps: AsyncDeps) {}

  /** Events queued or being retried for a function. */
  pending(name: string): number {
    return this.pendingByFunction.get(name) ?? 0;
  }

  /** Queues an event; returns its request id. @throws when the function does not exist */
  enqueue(nameOrArn: string, event: unknown, source = "async"): string {
    const target = this.deps.target(nameOrArn);
    const requestId = randomUUID();
    // Lambda keeps a copy of the event: later changes by the caller do not reach the function.
    const payload = JSON.parse(JSON.stringify(event ?? {})) as unknown;
    this.pendingByFunction.set(target.name, this.pending(target.name) + 1);
    void this.process(target, payload, requestId, source)
      .catch((error: unknown) => {
        this.deps.ctx.log.error(`lambda: asynchronous invocation of ${target.name} failed`, {
          error: String(error),
        });
      })
      .finally(() => this.pendingByFunction.set(target.name, this.pending(target.name) - 1));
    return requestId;
  }

  /** Cancels pending retries (their events are dropped) and stops delivering records. */
  stop(): void {
    this.stopped = true;
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.timers.clear();
  }

  private async process(
    target: AsyncTarget,
    event: unknown,
    requestId: string,
    source: string,
  ): Promise<void> {
    const enqueuedAt = Date.now();
    let attempts = 0;
    let last: InvocationOutcome | undefined;
    // Let the caller (an SNS publish, a PutEvents) finish before the first attempt, as the queue would.
    await this.delay(0);
    while (!this.stopped) {
      const { config } = this.deps.target(target.arn);
      if (Date.now() - enqueuedAt > config.maximumEventAgeSeconds * 1000) {
        await this.finish(target, event, requestId, "EventAgeExceeded", attempts, last);
        return;
      }
      attempts++;
      try {
        last = await this.deps.invoke(target.name, event, { requestId, source, invocationType: "Event" });
      } catch (error) {
        if (this.stopped) return;
        // Throttled by a reserved concurrency of 0: Lambda sends new events to the failure targets without retrying.
        this.deps.ctx.log.warn(`lambda: asynchronous event for ${target.name} not invoked`, {
          error: String(error),
        });
        await this.finish(target, event, requestId, "RetriesExhausted", attempts - 1, undefined);
        return;
      }
      if (this.stopped) return;
      if (!last.error) {
        await this.finish(target, event, requestId, "Success", attempts, last);
        return;
      }
      if (attempts > config.maximumRetryAttempts) {
        await this.finish(target, event, requestId, "RetriesExhausted", attempts, last);
        return;
      }
      await this.delay(this.deps.retryDelayMs(attempts));
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }

  /** Sends the outcome where the function's configuration says. */
  private async finish(
    target: AsyncTarget,
    event: unknown,
    requestId: string,
    condition: Condition,
    attempts: number,
    outcome: InvocationOutcome | undefined,
  ): Promise<void> {
    if (this.stopped) return;
    const { ctx } = this.deps;
    const { config, deadLetterTargetArn } = this.deps.target(target.arn);
    const record: Record<string, unknown> = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${target.arn}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
    };
    if (outcome) {
      record.responseContext = {
        statusCode: 200,
        executedVersion: "$LATEST",
        ...(outcome.error ? { functionError: "Unhandled" } : {}),
      };
      record.responsePayload = outcome.error
        ? {
            errorType: outcome.error.errorType,
            errorMessage: outcome.error.errorMessage,
            trace: outcome.error.trace ?? [],
          }
        : (outcome.payload ?? null);
    }
    if (condition === "Success") {
      if (config.onSuccess) await this.deliver(target, config.onSuccess, record, true);
      return;
    }
    if (config.onFailure) await this.deliver(target, config.onFailure, record, false);
    if (deadLetterTargetArn) this.deadLetter(target, deadLetterTargetArn, event, requestId, outcome);
    if (!config.onFailure && !deadLetterTargetArn) {
      ctx.log.warn(
        `lambda: asynchronous event for ${target.name} dropped (${condition}, no destination or DLQ)`,
        {
          requestId,
          error: outcome?.error?.errorMessage,
        },
      );
    }
  }

  private async deliver(
    target: AsyncTarget,
    destination: string,
    record: Record<string, unknown>,
    success: boolean,
  ): Promise<void> {
    const { ctx } = this.deps;
    const body = JSON.stringify(record);
    try {
      switch (parseArn(destination)?.service) {
        case "sqs":
          ctx.sqs.send(destination, { body });
          break;
        case "sns":
          ctx.sns.publish(destination, { message: body });
          break;
        case "lambda":
          this.enqueue(destination, record, `lambda:${target.arn}`);
          break;
        case "events": {
          const [result] = ctx.events.putEvents([
            {
              Source: "lambda",
              DetailType: `Lambda Function Invocation Result - ${success ? "Success" : "Failure"}`,
              Detail: body,
              EventBusName: destination,
              Resources: [`${target.arn}:$LATEST`, destination],
            },
          ]);
          if (result?.ErrorCode) throw new Error(`${result.ErrorCode}: ${result.ErrorMessage ?? ""}`);
          break;
        }
        default:
          throw new Error(`unsupported destination ${destination}`);
      }
      ctx.log.debug(
        `lambda: ${success ? "onSuccess" : "onFailure"} record of ${target.name} sent to ${destination}`,
      );
    } catch (error) {
      // Lambda's DestinationDeliveryFailures metric.
      ctx.log.error(`lambda: could not deliver the invocation record of ${target.name} to ${destination}`, {
        error: error instanceof Error ? error.message : String(error),
      });
      putMetric(ctx, "DestinationDeliveryFailures", target.name, 1);
    }
  }

  private deadLetter(
    target: AsyncTarget,
    dlq: string,
    event: unknown,
    requestId: string,
    outcome: InvocationOutcome | undefined,
  ): void {
    const { ctx } = this.deps;
    const errorMessage = (outcome?.error?.errorMessage ?? "The event was not processed").slice(0, 1024);
    try {
      const body = JSON.stringify(event);
      const service = parseArn(dlq)?.service;
      if (service === "sqs") {
        ctx.sqs.send(dlq, {
          body,
          messageAttributes: {
            RequestID: { DataType: "String", StringValue: requestId },
            ErrorCode: { DataType: "Number", StringValue: "200" },
            ErrorMessage: { DataType: "String", StringValue: errorMessage },
          },
        });
      } else if (service === "sns") {
        ctx.sns.publish(dlq, {
          message: body,
          messageAttributes: {
            RequestID: { DataType: "String", StringValue: requestId },
            ErrorCode: { DataType: "Number", StringValue: "200" },
            ErrorMessage: { DataType: "String", StringValue: errorMessage },
          },
        });
      } else {
        throw new Error(`unsupported dead-letter target ${dlq}`);
      }
    } catch (error) {
      ctx.log.error(
        `lambda: could not send the failed event of ${target.name} to its dead-letter queue ${dlq}`,
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
      putMetric(ctx, "DeadLetterErrors", target.name, 1);
    }
  }
}

/** Puts an `AWS/Lambda` metric when the CloudWatch emulator runs. */
export function putMetric(
  ctx: LocalContext,
  metricName: string,
  functionName: string,
  value: number,
  unit = "Count",
): void {
  try {
    ctx.cloudwatch.putMetric({
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: functionName },
      value,
      unit,
      timestamp: Date.now(),
    });
  } catch (error) {
    if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") return; // no CloudWatch in this engine
    ctx.log.debug(`lambda: could not put the AWS/Lambda ${metricName} metric`, { error: String(error) });
  }
}
