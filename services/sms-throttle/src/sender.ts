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
  ValidationError,
} from "@switchyard/runtime-kit";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { AttemptStore } from "./adapters/attempts";
import type { SlotLimiter } from "./adapters/limiter";
import { type SmsProvider, TransportLimitError } from "./adapters/provider";
import type { Requeue } from "./adapters/requeue";
import { ATTRIBUTES, SMS_METRICS } from "./constants";
import { type Clock, IN_FLIGHT, IN_FLIGHT_POLL_MS, type SendSlot, systemClock } from "./domain/limiter";
import { backoffSeconds, type SendOutcome } from "./domain/outcome";
import { checkRequest, type SmsRequest } from "./domain/request";
import { SmsThrottleError } from "./errors";

export interface SenderDeps {
  provider: SmsProvider;
  /** The lane's limiter, shared by all its senders (DynamoDB in a deployment). */
  limiter: SlotLimiter;
  /** The lane budget B in parts per second: a message with more parts can never be sent. */
  budgetPartsPerSecond: number;
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
  /** Time kept free at the end of an invocation for the last answers, re-enqueues and the batch response. */
  reserveMs?: number;
  random?: () => number;
  clock?: Clock;
}

/** What the first pass over the batch decided for one record. */
type Plan =
  | { kind: "skip" }
  | { kind: "invalid"; error: PermanentError }
  | { kind: "unreadable"; error: TransientError }
  | {
      kind: "send";
      message: string;
      attributes: MessageAttributes;
      request: SmsRequest;
      attempt: number;
      token: string | undefined;
      /** Epoch ms the limiter reserved; undefined when none could be reserved in time (deferred). */
      slot?: number;
    };

/**
 * How long before its slot a send asks the carrier gate: the read is off the send's path, and the gate's answer
 * holds for any later moment. Short enough that the sends a window earlier have their answers recorded by then.
 */
const ADMIT_LOOKAHEAD_MS = 100;

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The attribute's value, whichever delivery shape the record came in. */
const attributeValue = (attributes: Record<string, { value: string }>, name: string): string | undefined =>
  attributes[name]?.value;

/**
 * Builds the SQS handler of one lane. A batch goes in two passes:
 *
 * 1. every record is parsed and validated, and its re-enqueue count read; then **one** reservation on the lane's
 *    shared limiter takes a send time for each valid message, in queue order (none past the invocation's end);
 * 2. the records run in parallel: each passes the carrier gate (`sendGate`), waits for its own slot and calls the
 *    provider then, without waiting for the answers of earlier sends, so provider latency costs no budget unless
 *    it exceeds the window's margin; the gate keeps every carrier second within B whatever the delays.
 *
 * Per message:
 * - invalid (schema, country mismatch, too many parts) or refused for good by the provider: PermanentError, so
 *   processSqsBatch dead-letters it at once with the reason;
 * - sent: done;
 * - throttled or transient: a copy goes back on the queue with a jittered, growing delay and the original is
 *   reported processed, so the receive count never climbs towards the redrive policy; after `maxAttempts`
 *   re-enqueues it is dead-lettered with the last reason;
 * - no slot before the invocation ends (or the limiter could not be updated): re-enqueued without delay and
 *   without counting an attempt.
 */
export const createSender = (deps: SenderDeps) => {
  const clock = deps.clock ?? systemClock;
  const reserveMs = deps.reserveMs ?? 3000;

  const plan = async (record: SQSRecord): Promise<Plan> => {
    let unwrapped: ReturnType<typeof unwrapSnsSqsRecord>;
    try {
      // The lanes' subscriptions deliver raw: an SNS envelope in a body was forged (its country, use case and
      // retry token would be a sender's choice), so it is refused, never unwrapped.
      unwrapped = unwrapSnsSqsRecord(record, { delivery: "raw" });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { kind: "invalid", error: new PermanentError(`SMS request is invalid: ${error.message}`) };
    }
    const { message, attributes } = unwrapped;
    if (deps.routedElsewhere?.(attributes)) return { kind: "skip" };
    let body: unknown;
    try {
      body = JSON.parse(message);
    } catch {
      return {
        kind: "invalid",
        error: new PermanentError("SMS request is invalid: body: expected a JSON object"),
      };
    }
    const check = checkRequest(
      body,
      {
        country: attributeValue(attributes, ATTRIBUTES.country),
        useCase: attributeValue(attributes, ATTRIBUTES.useCase),
      },
      deps.maxPartsPerMessage,
    );
    if (!check.ok) {
      return {
        kind: "invalid",
        error: new PermanentError(`SMS request is invalid: ${check.problems.join("; ")}`),
      };
    }
    const { request } = check;
    if (request.parts > deps.budgetPartsPerSecond) {
      return {
        kind: "invalid",
        error: new PermanentError(
          `SMS has ${request.parts} parts, more than the lane's budget of ${deps.budgetPartsPerSecond} parts per second`,
        ),
      };
    }
    // The count lives in the state table under the copy's token; a publisher's token finds nothing (0).
    const token = attributeValue(attributes, ATTRIBUTES.retry);
    let attempt = 0;
    if (token !== undefined) {
      try {
        attempt = await deps.attempts.get(token);
      } catch (error) {
        return {
          kind: "unreadable",
          error: new TransientError(`could not read the re-enqueue count: ${describe(error)}`, {
            cause: error,
          }),
        };
      }
    }
    return { kind: "send", message, attributes, request, attempt, token };
  };

  const send = async (request: SmsRequest): Promise<SendOutcome> => {
    try {
      const [outcome] = await deps.provider.send([request]);
      return outcome ?? { kind: "transient", reason: "the provider returned no outcome" };
    } catch (error) {
      return {
        kind: error instanceof TransportLimitError ? "permanent" : "transient",
        reason: describe(error),
      };
    }
  };

  /**
   * One invocation's send gate. A record sleeps until a little before its slot (`ADMIT_LOOKAHEAD_MS`), asks the
   * carrier gate (`limiter.admit`, `admitDelay`) whether a send at its slot is admitted, holds until it is, sleeps
   * until then and sends (never before its slot), then records when the answer came (`limiter.answered`). The gate's
   * answer stays true for any later moment (the sends it counts can only leave the carrier's second), so a sender
   * that wakes up late sends at once: lateness can cost budget, never exceed it. Undefined (the slot is given back,
   * the caller defers the record): no room before the deadline, or the schedule could not be read.
   */
  const sendGate = (deadline: number) => {
    const sleepUntil = async (at: number) => {
      // Whole milliseconds: slots are kept to 0.1 ms, a timer of less than 1 ms may fire at once.
      for (let wait = at - clock.now(); wait > 0; wait = at - clock.now()) await clock.sleep(Math.ceil(wait));
    };
    /** When the send reserved at `slot` may go (its slot or later), or undefined (given back: defer it). */
    const admitted = async (slot: SendSlot): Promise<number | undefined> => {
      let at = slot.at;
      try {
        for (let held = false; ; held = true) {
          await sleepUntil(at - ADMIT_LOOKAHEAD_MS);
          at = Math.max(at, clock.now());
          const wait = await deps.limiter.admit(slot, at);
          if (wait === 0) return at;
          if (!held) deps.metrics?.addMetric(SMS_METRICS.held, MetricUnit.Count, 1);
          if (wait === IN_FLIGHT) {
            // Earlier sends still in flight fill the second: look again once they may have answered.
            await clock.sleep(IN_FLIGHT_POLL_MS);
          } else {
            at += wait;
          }
          if (Math.max(at, clock.now()) > deadline)
            throw new SmsThrottleError("no room at the carrier before the invocation ends");
        }
      } catch (error) {
        deps.logger.warn("SMS not admitted; deferring it", { error: describe(error) });
        await deps.limiter.reschedule([slot], [], deadline).catch((failure: unknown) => {
          // Not given back: it holds its parts until it ages out (IN_FLIGHT_MS), never longer.
          deps.logger.warn("SMS limiter: could not give back a send not made", { error: describe(failure) });
        });
        return undefined;
      }
    };
    return async (planned: Extract<Plan, { kind: "send" }>): Promise<SendOutcome | undefined> => {
      const slot = { at: planned.slot as number, parts: planned.request.parts };
      const at = await admitted(slot);
      if (at === undefined) {
        planned.slot = undefined;
        return undefined;
      }
      await sleepUntil(at);
      const outcome = await send(planned.request);
      await deps.limiter.answered(slot, clock.now()).catch((error: unknown) => {
        // Unrecorded, the send counts as in flight until it ages out (IN_FLIGHT_MS): budget lost, never exceeded.
        deps.logger.warn("SMS limiter: could not record an answer", { error: describe(error) });
      });
      return outcome;
    };
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
      throw new TransientError(`could not re-enqueue the SMS: ${describe(error)}`, { cause: error });
    }
  };

  const handlePlanned = async (
    record: SQSRecord,
    planned: Plan | undefined,
    sendOnTime: ReturnType<typeof sendGate>,
  ): Promise<void> => {
    if (!planned) throw new TransientError("record missing from the batch plan");
    if (planned.kind === "skip") {
      deps.metrics?.addMetric(SMS_METRICS.forOtherLanes, MetricUnit.Count, 1);
      deps.logger.debug("SMS skipped: a country lane received it too", { messageId: record.messageId });
      return;
    }
    if (planned.kind !== "send") throw planned.error;
    const { message, attributes, request, attempt, token } = planned;
    const facts = {
      messageId: record.messageId,
      to: maskPhone(request.phoneNumber),
      country: request.country,
      useCase: request.useCase,
      parts: request.parts,
      attempt,
    };
    const outcome = planned.slot === undefined ? undefined : await sendOnTime(planned);
    if (outcome === undefined) {
      deps.metrics?.addMetric(SMS_METRICS.deferred, MetricUnit.Count, 1);
      deps.logger.info("SMS deferred to the next invocation", facts);
      await requeue(message, attributes, attempt > 0 ? token : undefined, 0);
      return;
    }
    switch (outcome.kind) {
      case "sent":
        deps.metrics?.addMetric(SMS_METRICS.partsSent, MetricUnit.Count, request.parts);
        deps.metrics?.addMetric(SMS_METRICS.messagesSent, MetricUnit.Count, 1);
        deps.logger.info("SMS sent", { ...facts, providerMessageId: outcome.messageId });
        return;
      case "permanent":
        throw new PermanentError(`SMS refused by ${deps.provider.name}: ${outcome.reason}`);
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

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const records = Array.isArray(event?.Records) ? event.Records : [];
    // The last slot must leave time for its answer, a re-enqueue and the batch response.
    const deadline = clock.now() + context.getRemainingTimeInMillis() - reserveMs;
    const sendOnTime = sendGate(deadline);
    const plans = new Map<string, Plan>();
    await Promise.all(
      records.map(async (record) => {
        try {
          plans.set(record.messageId, await plan(record));
        } catch (error) {
          plans.set(record.messageId, {
            kind: "unreadable",
            error: new TransientError(`could not read the record: ${describe(error)}`, { cause: error }),
          });
        }
      }),
    );
    const sendable = records
      .map((r) => plans.get(r.messageId))
      .filter((p): p is Extract<Plan, { kind: "send" }> => p?.kind === "send");
    try {
      const slots = await deps.limiter.reserve(
        sendable.map((p) => p.request.parts),
        deadline,
      );
      slots.forEach((slot, i) => {
        const planned = sendable[i];
        if (planned && slot !== undefined) planned.slot = slot;
      });
    } catch (error) {
      // Nothing (more) reserved: those messages are deferred (re-enqueued now), none is sent unpaced.
      deps.logger.warn("SMS limiter unavailable; deferring the batch", { error: describe(error) });
    }
    return processSqsBatch(
      event,
      context,
      (record) => handlePlanned(record, plans.get(record.messageId), sendOnTime),
      {
        // Every record waits for its own slot: in parallel, so a slow answer delays no other send.
        processInParallel: true,
        logger: deps.logger,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        ...(deps.deadLetter ? { deadLetter: deps.deadLetter } : {}),
      },
    );
  };
};
