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
import type { SlotLimiter } from "./adapters/limiter";
import { type SmsProvider, TransportLimitError } from "./adapters/provider";
import type { Requeue } from "./adapters/requeue";
import { ATTRIBUTES, SMS_METRICS } from "./constants";
import { type Clock, type SendSlot, systemClock } from "./domain/limiter";
import { backoffSeconds, type SendOutcome } from "./domain/outcome";
import { checkRequest, type SmsRequest } from "./domain/request";

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
  /**
   * How late (ms) a send may start after its reserved slot. A sender that wakes up later than that (a stalled event
   * loop, a busy container) does not send: it gives the slot back and reserves a new one, so lateness never turns
   * into a burst of overdue sends. Together with the provider's latency jitter it must stay within the limiter's
   * margin (W - 1000 ms); the handler uses half the margin.
   */
  lateToleranceMs: number;
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
      /** Already sent (a cold container's first message, sent before the rest were reserved). */
      outcome?: Promise<SendOutcome>;
    };

/**
 * Times one message is rescheduled for lateness; late again after that, it is sent at its (late) wake-up. A stall
 * is broken up once (its overdue sends move to the end of the schedule, spread); a host that stays late beyond the
 * tolerance still makes progress instead of rescheduling forever.
 */
const MAX_RESCHEDULES = 1;
/** Wake-ups whose smallest lateness is taken as the container's steady lateness (none counts before that many). */
const LATENESS_SAMPLES = 16;

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
 * 2. the records run in parallel: each waits for its own slot and calls the provider then, without waiting for
 *    the answers of earlier sends, so provider latency costs no budget. A record whose wake-up comes more than
 *    `lateToleranceMs` after its slot does not send late: its slot is given back and a new one reserved (all the
 *    records a stall made late together, in one limiter write), so lateness costs budget, never a burst.
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
  /** Whether this container's provider client has answered once (its first call may be much slower). */
  let warm = false;
  /** This container's recent wake-up lateness (ms after the slot), newest last: its floor is the steady part. */
  const recentLateness: number[] = [];
  const noteLateness = (late: number) => {
    recentLateness.push(Math.max(0, late));
    if (recentLateness.length > LATENESS_SAMPLES) recentLateness.shift();
  };
  const lateFloor = () => (recentLateness.length < LATENESS_SAMPLES ? 0 : Math.min(...recentLateness));

  const plan = async (record: SQSRecord): Promise<Plan> => {
    const { message, attributes } = unwrapSnsSqsRecord(record);
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
   * One invocation's send gate: waits for a record's slot (never sending before it) and sends then; a record found
   * late gives its slot back and waits for a new one (`limiter.reschedule`, shared by every record found late
   * before the next timer turn); late again, it is sent (`MAX_RESCHEDULES`). Undefined: no new slot before the
   * deadline, or the limiter unavailable: the caller defers the record.
   */
  const sendGate = (deadline: number) => {
    let pending: Array<{ slot: SendSlot; resolve: (slot: number | undefined) => void }> = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      try {
        const slots = await deps.limiter.reschedule(
          batch.map((b) => b.slot),
          batch.map((b) => b.slot.parts),
          deadline,
        );
        batch.forEach((b, i) => {
          b.resolve(slots[i]);
        });
      } catch (error) {
        deps.logger.warn("SMS limiter unavailable; deferring the late sends", { error: describe(error) });
        for (const b of batch) b.resolve(undefined);
      }
    };
    const reschedule = (slot: SendSlot) =>
      new Promise<number | undefined>((resolve) => {
        // Every record the same stall made late wakes in this timer turn: one write for all of them.
        if (pending.length === 0) void clock.sleep(0).then(flush);
        pending.push({ slot, resolve });
      });
    return async (planned: Extract<Plan, { kind: "send" }>): Promise<SendOutcome | undefined> => {
      let slot = planned.slot;
      for (let round = 0; slot !== undefined; round++) {
        for (let wait = slot - clock.now(); wait > 0; wait = slot - clock.now()) await clock.sleep(wait);
        const late = clock.now() - slot;
        // A container that is late by about the same on every wake-up (a busy host) shifts all its sends alike:
        // harmless. What bunches sends is lateness above that floor (a stall): only that counts.
        const floor = lateFloor();
        noteLateness(late);
        if (late - floor <= deps.lateToleranceMs || round >= MAX_RESCHEDULES) {
          planned.slot = slot;
          return send(planned.request);
        }
        deps.metrics?.addMetric(SMS_METRICS.late, MetricUnit.Count, 1);
        deps.logger.debug("SMS slot missed; rescheduling", {
          lateMs: Math.round(late),
          floorMs: Math.round(floor),
          round,
        });
        slot = await reschedule({ at: slot, parts: planned.request.parts });
      }
      planned.slot = undefined;
      return undefined;
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
    const outcome = planned.outcome
      ? await planned.outcome
      : planned.slot === undefined
        ? undefined
        : await sendOnTime(planned);
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
      let rest = sendable;
      const first = sendable[0];
      if (!warm && first) {
        // A cold container's first call can take hundreds of ms to reach the carrier: send it alone, count it
        // from its answer (moving its slot there), and only then reserve the rest of the batch after it.
        rest = sendable.slice(1);
        const [slot] = await deps.limiter.reserve([first.request.parts], deadline);
        first.slot = slot;
        const outcome = slot === undefined ? undefined : await sendOnTime(first);
        if (outcome !== undefined && first.slot !== undefined) {
          first.outcome = Promise.resolve(outcome);
          warm = true;
          await deps.limiter.correct(first.slot, first.request.parts, clock.now()).catch((error: unknown) => {
            deps.logger.warn("SMS limiter: could not move the first send to its answer", {
              error: describe(error),
            });
          });
        }
      }
      const slots = await deps.limiter.reserve(
        rest.map((p) => p.request.parts),
        deadline,
      );
      slots.forEach((slot, i) => {
        const planned = rest[i];
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
