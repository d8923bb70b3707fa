import { LIMITS } from "../constants";

/** What a lane's budget is derived against. */
export interface DerivationLimits {
  /** Longest message accepted, in parts; every share must fit one such message in one second. */
  maxPartsPerMessage: number;
  /** Expected latency of one provider call, in milliseconds; an invocation sends one call at a time. */
  sendLatencyMs: number;
  /** Sender function timeout, in seconds. */
  timeoutSeconds: number;
  /** Highest maximumConcurrency one queue may use. */
  maxConcurrency: number;
}

/** How a budget in parts per second becomes event source mapping settings and a per-invocation share. */
export interface LaneDerivation {
  budgetPartsPerSecond: number;
  /** The event source mapping's `scalingConfig.maximumConcurrency`. */
  maximumConcurrency: number;
  /** Parts per second one invocation may send (`SHARE_PARTS_PER_SECOND`). */
  sharePartsPerSecond: number;
  /** `maximumConcurrency x share`: what the lane sends at most, never above the budget. */
  effectivePartsPerSecond: number;
  /** The event source mapping's `batchSize`. */
  batchSize: number;
}

export type DerivationResult = { ok: true; lane: LaneDerivation } | { ok: false; expected: string };

/** Share of the function timeout a full batch may take when every message has the most parts. */
export const TIMEOUT_SHARE = 0.5;
/** Below this share of the budget in use, the split is refused rather than silently wasting budget. */
export const MIN_UTILISATION = 0.8;
/** An invocation holds its concurrency slot until its last second of sends has passed (see README). */
export const DRAIN_MS = 1000;

/**
 * Derives concurrency, share and batch size from a budget (parts per second):
 * - C must be at least 2 (Lambda's minimum) and at least ceil(B x latency), because one invocation sends one call at
 *   a time and so cannot exceed 1000 / latencyMs calls per second;
 * - the share floor(B / C) must be a whole number of parts, at least one longest message, so C <= B / maxParts;
 * - among the allowed C, the one that uses most of the budget (C x floor(B / C)) wins, the smallest on a tie; a
 *   split that uses less than 80% of the budget is refused;
 * - batch size: as many longest messages as fit in half the timeout (minus the drain second), at most 10.
 */
export const deriveLane = (budget: number, limits: DerivationLimits): DerivationResult => {
  const { maxPartsPerMessage: parts, sendLatencyMs: latency, timeoutSeconds, maxConcurrency } = limits;
  if (!Number.isInteger(budget) || budget < 1) {
    return { ok: false, expected: "expected a whole number of parts per second, at least 1" };
  }
  const minimum = Math.max(LIMITS.minConcurrency, Math.ceil((budget * latency) / 1000));
  const maximum = Math.min(maxConcurrency, Math.floor(budget / parts));
  if (budget < LIMITS.minConcurrency * parts) {
    return {
      ok: false,
      expected: `expected at least ${LIMITS.minConcurrency * parts} parts per second: Lambda runs at least ${LIMITS.minConcurrency} concurrent senders and each needs a whole share of at least ${parts} parts (the longest message)`,
    };
  }
  if (maximum < minimum) {
    return {
      ok: false,
      expected: `expected a budget ${budget} parts per second can be split into at most ${maxConcurrency} senders of at least ${parts} parts each, while ${latency} ms per call needs ${minimum} senders`,
    };
  }
  let best = { concurrency: minimum, used: minimum * Math.floor(budget / minimum) };
  for (let c = minimum + 1; c <= maximum; c++) {
    const used = c * Math.floor(budget / c);
    if (used > best.used) best = { concurrency: c, used };
  }
  if (best.used < budget * MIN_UTILISATION) {
    return {
      ok: false,
      expected: `expected a budget whole shares can use at least ${MIN_UTILISATION * 100}% of: the best split is ${best.concurrency} senders x ${Math.floor(budget / best.concurrency)} parts = ${best.used} parts per second (set the budget to ${best.used} or raise maxConcurrencyPerQueue)`,
    };
  }
  const share = Math.floor(budget / best.concurrency);
  const perMessageMs = (parts * 1000) / share + latency;
  const batchSize = Math.min(
    LIMITS.maxBatchSize,
    Math.floor((timeoutSeconds * 1000 * TIMEOUT_SHARE - DRAIN_MS) / perMessageMs),
  );
  if (batchSize < 1) {
    return {
      ok: false,
      expected: `expected a sender timeout long enough for one message: ${Math.ceil((perMessageMs + DRAIN_MS) / 1000 / TIMEOUT_SHARE)} s at a share of ${share} parts per second (got ${timeoutSeconds} s)`,
    };
  }
  return {
    ok: true,
    lane: {
      budgetPartsPerSecond: budget,
      maximumConcurrency: best.concurrency,
      sharePartsPerSecond: share,
      effectivePartsPerSecond: best.used,
      batchSize,
    },
  };
};
