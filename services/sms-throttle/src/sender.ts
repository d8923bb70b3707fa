import { randomUUID } from "node:crypto";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type LoggerLike,
  type MessageAttributes,
  type MetricsLike,
  maskPhone,
  PermanentError,
  type ProcessSqsBatchOptions,
  processSqsBatch,
  TransientError,
  unwrapSnsSqsRecord,
} from "@switchyard/runtime-kit";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { AttemptStore } from "./adapters/attempts";
import { type SmsProvider, TransportLimitError } from "./adapters/provider";
import type { Requeue } from "./adapters/requeue";
import { ATTRIBUTES, SMS_METRICS } from "./constants";
import { backoffSeconds, type SendOutcome } from "./domain/outcome";
import { type Clock, type PartsPacer, systemClock } from "./domain/pacer";
import { checkRequest, type SmsRequest } from "./domain/request";

export interface SenderDeps {
  provider: SmsProvider;
  /** This container's share of the lane budget. */
  pacer: PartsPacer;
  requeue: Requeue;
  /** Re-enqueue counts, written by this sender only (never read from a publisher's attribute). */
  attempts: AttemptStore;
  /**
   * Catch-all only: true for a message a country lane also received (its subscription matched), which that lane
   * sends; the catch-all skips it. The catch-all subscription has no filter policy so that nothing is dropped.
   */
  routedElsewhere?: (attributes: MessageAttributes) => boolean;
  logger: LoggerLike;
  metrics?: MetricsLike;
  deadLetter?: ProcessSqsBatchOptions["deadLetter"];
  maxPartsPerMessage: number;
  /** Re-enqueues after a throttle or transient failure before the message is dead-lettered. */
  maxAttempts: number;
  backoffBaseSeconds: number;
  /** Time kept free at the end of an invocation for re-enqueues and the batch response. */
  reserveMs?: number;
  random?: () => number;
  clock?: Clock;
}

type Outcome = SendOutcome | { kind: "deferred" };

/** Sends one request when the pacer allows, or defers it when it could not go before `deadline`. */
const sendPaced = async (
  provider: SmsProvider,
  pacer: PartsPacer,
  clock: Clock,
  request: SmsRequest,
  deadline: number,
): Promise<Outcome> => {
  if (clock.now() + pacer.waitFor(request.parts) > deadline) return { kind: "deferred" };
  const paced = await pacer.acquire(request.parts);
  try {
    const [outcome] = await provider.send([request]);
    return outcome ?? { kind: "transient", reason: "the provider returned no outcome" };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: error instanceof TransportLimitError ? "permanent" : "transient", reason };
  } finally {
    // The carrier saw it no later than now: the next sends are spaced and windowed from here.
    paced.sent();
  }
};

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The attribute's value, whichever delivery shape the record came in. */
const attributeValue = (attributes: Record<string, { value: string }>, name: string): string | undefined =>
  attributes[name]?.value;

/**
 * Builds the SQS handler of one lane. Per message:
 * - invalid (schema, country mismatch, too many parts) or refused for good by the provider: PermanentError, so
 *   processSqsBatch dead-letters it at once with the reason;
 * - sent: done;
 * - throttled or transient: a copy goes back on the queue with a jittered, growing delay and the original is
 *   reported processed, so the receive count never climbs towards the redrive policy; after `maxAttempts`
 *   re-enqueues it is dead-lettered with the last reason;
 * - not sendable before the invocation ends: re-enqueued without delay and without counting an attempt.
 */
export const createSender = (deps: SenderDeps) => {
  const clock = deps.clock ?? systemClock;
  const reserveMs = deps.reserveMs ?? 3000;

  const handleRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const deadline = clock.now() + context.getRemainingTimeInMillis() - reserveMs;
    const { message, attributes } = unwrapSnsSqsRecord(record);
    if (deps.routedElsewhere?.(attributes)) {
      deps.metrics?.addMetric(SMS_METRICS.forOtherLanes, MetricUnit.Count, 1);
      deps.logger.debug("SMS skipped: a country lane received it too", { messageId: record.messageId });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(message);
    } catch {
      throw new PermanentError("SMS request is invalid: body: expected a JSON object");
    }
    const check = checkRequest(
      body,
      {
        country: attributeValue(attributes, ATTRIBUTES.country),
        useCase: attributeValue(attributes, ATTRIBUTES.useCase),
      },
      deps.maxPartsPerMessage,
    );
    if (!check.ok) throw new PermanentError(`SMS request is invalid: ${check.problems.join("; ")}`);
    const { request } = check;
    if (request.parts > deps.pacer.partsPerSecond) {
      throw new PermanentError(
        `SMS has ${request.parts} parts, more than this sender's share of ${deps.pacer.partsPerSecond} parts per second`,
      );
    }
    // The count lives in the state table under the copy's token; a publisher's token finds nothing (0).
    const token = attributeValue(attributes, ATTRIBUTES.retry);
    let attempt = 0;
    if (token !== undefined) {
      try {
        attempt = await deps.attempts.get(token);
      } catch (error) {
        throw new TransientError(`could not read the re-enqueue count: ${describe(error)}`, { cause: error });
      }
    }
    const facts = {
      messageId: record.messageId,
      to: maskPhone(request.phoneNumber),
      country: request.country,
      useCase: request.useCase,
      parts: request.parts,
      attempt,
    };

    const outcome = await sendPaced(deps.provider, deps.pacer, clock, request, deadline);
    switch (outcome.kind) {
      case "sent":
        deps.metrics?.addMetric(SMS_METRICS.partsSent, MetricUnit.Count, request.parts);
        deps.metrics?.addMetric(SMS_METRICS.messagesSent, MetricUnit.Count, 1);
        deps.logger.info("SMS sent", { ...facts, providerMessageId: outcome.messageId });
        return;
      case "permanent":
        throw new PermanentError(`SMS refused by ${deps.provider.name}: ${outcome.reason}`);
      case "deferred":
        deps.metrics?.addMetric(SMS_METRICS.deferred, MetricUnit.Count, 1);
        deps.logger.info("SMS deferred to the next invocation", facts);
        await requeue(message, attributes, attempt > 0 ? token : undefined, 0);
        return;
      default: {
        if (attempt >= deps.maxAttempts) {
          throw new PermanentError(`SMS not sent after ${attempt} re-enqueues: ${outcome.reason}`);
        }
        const delay = backoffSeconds(attempt + 1, deps.backoffBaseSeconds, deps.random);
        deps.metrics?.addMetric(
          outcome.kind === "throttled" ? SMS_METRICS.throttled : SMS_METRICS.retried,
          MetricUnit.Count,
          1,
        );
        deps.logger.warn("SMS re-enqueued", {
          ...facts,
          outcome: outcome.kind,
          reason: outcome.reason,
          delay,
        });
        const retryToken = attempt > 0 && token !== undefined ? token : randomUUID();
        try {
          // Stored before the copy exists, so the copy can never be received ahead of its count.
          await deps.attempts.put(retryToken, attempt + 1);
        } catch (error) {
          throw new TransientError(`could not record the re-enqueue count: ${describe(error)}`, {
            cause: error,
          });
        }
        await requeue(message, attributes, retryToken, delay);
      }
    }
  };

  const requeue = async (
    body: string,
    attributes: MessageAttributes,
    retryToken: string | undefined,
    delaySeconds: number,
  ): Promise<void> => {
    try {
      await deps.requeue.send({ body, attributes, ...(retryToken ? { retryToken } : {}), delaySeconds });
    } catch (error) {
      // Only now does the message fall back on the visibility timeout (and burn one receive).
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new TransientError(`could not re-enqueue the SMS: ${reason}`, { cause: error });
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const response = await processSqsBatch(event, context, handleRecord, {
      // One record at a time, in queue order: the pacer decides when each may go.
      processInParallel: false,
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.deadLetter ? { deadLetter: deps.deadLetter } : {}),
    });
    // Hold the concurrency slot until this container's last second of sends has passed, so the invocation that
    // takes the slot next (possibly in another container, with an empty pacer) cannot double a window.
    const drain = Math.min(deps.pacer.drainMs(), Math.max(0, context.getRemainingTimeInMillis() - 500));
    if (drain > 0) await clock.sleep(drain);
    return response;
  };
};
