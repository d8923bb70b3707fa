import { LIMITS } from "../constants";

/** What a lane's budget is derived against. */
export interface DerivationLimits {
  /** Longest message accepted, in parts; one window must hold one such message. */
  maxPartsPerMessage: number;
  /** Expected latency of one provider call, in milliseconds. */
  sendLatencyMs: number;
  /** Sender function timeout, in seconds. */
  timeoutSeconds: number;
  /** Highest maximumConcurrency one queue may use. */
  maxConcurrency: number;
  /**
   * Added to the limiter's one-second window: about the time from a slot to the provider's answer, so that sends
   * rarely wait at the carrier gate (which keeps B in every carrier second whatever the margin).
   */
  windowMarginMs: number;
}

/** How a budget in parts per second becomes event source mapping settings and the limiter's rule. */
export interface LaneDerivation {
  budgetPartsPerSecond: number;
  /** The event source mapping's `scalingConfig.maximumConcurrency`. */
  maximumConcurrency: number;
  /** The event source mapping's `batchSize`. */
  batchSize: number;
  /** W: the limiter allows B parts in any window of this many ms (1000 + margin). */
  windowMs: number;
  /** B x 1000 / W: what the lane sends while backlogged, never above the budget in any one-second window. */
  effectivePartsPerSecond: number;
}

export type DerivationResult = { ok: true; lane: LaneDerivation } | { ok: false; expected: string };

/** Share of the function timeout a batch may wait for its slots when every lane slot ahead is a longest message. */
export const TIMEOUT_SHARE = 0.5;
/**
 * Turnover of one invocation after its last slot, besides the provider's answer: the event source mapping hands
 * over the next batch, the sender validates it and reserves on the limiter (one DynamoDB read and write). An
 * estimate; the other invocations' reservations cover it.
 */
export const HANDOFF_MS = 250;

/**
 * Derives concurrency and batch size from a budget B (parts per second). The lane's senders share one limiter
 * (`domain/limiter.ts`), so there are no per-invocation shares; concurrency only has to keep the schedule full:
 *
 * - each invocation reserves slots for its whole batch at once and sends at each slot without waiting for earlier
 *   answers, so latency costs no budget; between its last slot and its next batch's reservation an invocation is
 *   away for about latency + handoff. The other C - 1 invocations' batches must cover that gap even when they
 *   are all one-part messages (the fewest seconds per message): (C - 1) x b x W / B >= L + H, so
 *   C = max(2, 1 + ceil((L + H) x B / (b x W)));
 * - a batch waits at most for the whole lane's reservations ahead of it: C batches of longest messages,
 *   C x b x P x W / B ms, plus the last answer; that must fit in half the timeout less the 3 s reserve, so b is the
 *   largest of 10..1 for which it does (C recomputed for each b);
 * - B >= P (one window must hold the longest message), C <= M.
 *
 * The carrier gate (`admitDelay`) only holds sends whose earlier sends answered later than the margin: time the
 * derivation does not plan for. A send it holds past the invocation's deadline is deferred (re-enqueued, no attempt
 * counted), never sent unpaced.
 */
export const deriveLane = (budget: number, limits: DerivationLimits): DerivationResult => {
  const { maxPartsPerMessage: parts, sendLatencyMs: latency, timeoutSeconds, maxConcurrency } = limits;
  const windowMs = 1000 + limits.windowMarginMs;
  if (!Number.isInteger(budget) || budget < 1) {
    return { ok: false, expected: "expected a whole number of parts per second, at least 1" };
  }
  if (budget < parts) {
    return {
      ok: false,
      expected: `expected at least ${parts} parts per second: one second must hold the longest message (${parts} parts)`,
    };
  }
  const concurrencyFor = (batch: number) =>
    Math.max(LIMITS.minConcurrency, 1 + Math.ceil(((latency + HANDOFF_MS) * budget) / (batch * windowMs)));
  const available = timeoutSeconds * 1000 * TIMEOUT_SHARE - 3000 - latency;
  for (let batch = LIMITS.maxBatchSize; batch >= 1; batch--) {
    const concurrency = concurrencyFor(batch);
    const waitMs = (concurrency * batch * parts * windowMs) / budget;
    if (waitMs > available) continue;
    if (concurrency > maxConcurrency) {
      return {
        ok: false,
        expected: `expected a budget ${maxConcurrency} senders can keep busy: ${budget} parts per second with ${latency} ms per call needs ${concurrency} (raise maxConcurrencyPerQueue)`,
      };
    }
    return {
      ok: true,
      lane: {
        budgetPartsPerSecond: budget,
        maximumConcurrency: concurrency,
        batchSize: batch,
        windowMs,
        effectivePartsPerSecond: Math.floor((budget * 100_000) / windowMs) / 100,
      },
    };
  }
  const one = concurrencyFor(1);
  return {
    ok: false,
    expected: `expected a sender timeout long enough for the lane's schedule: ${Math.ceil(((one * parts * windowMs) / budget + 3000 + latency) / 1000 / TIMEOUT_SHARE)} s at ${budget} parts per second (got ${timeoutSeconds} s)`,
  };
};
