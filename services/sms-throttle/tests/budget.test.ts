import { describe, expect, it } from "vitest";
import { deriveLane, HANDOFF_MS, TIMEOUT_SHARE } from "../src/domain/budget";

const limits = {
  maxPartsPerMessage: 3,
  sendLatencyMs: 250,
  timeoutSeconds: 60,
  maxConcurrency: 100,
  windowMarginMs: 25,
};

describe("deriveLane: budget -> concurrency, batch size, limiter window", () => {
  it.each([
    // budget, limits override, concurrency, batch, window, effective
    [3, {}, 2, 10, 1025, 2.92],
    [6, {}, 2, 10, 1025, 5.85],
    [13, {}, 2, 10, 1025, 12.68],
    [40, {}, 3, 10, 1025, 39.02],
    [100, {}, 6, 10, 1025, 97.56],
    [397, {}, 21, 10, 1025, 387.31],
    [1000, {}, 50, 10, 1025, 975.6],
    [100, { sendLatencyMs: 1000 }, 14, 10, 1025, 97.56],
    [100, { windowMarginMs: 0 }, 6, 10, 1000, 100],
    [4, { maxPartsPerMessage: 2, timeoutSeconds: 30, maxConcurrency: 5 }, 2, 10, 1025, 3.9],
    [6, { timeoutSeconds: 20 }, 2, 6, 1025, 5.85],
  ])(
    "budget %i with %j -> C=%i, batch %i, window %i ms, %d parts/s",
    (budget, override, concurrency, batch, windowMs, effective) => {
      // Act
      const result = deriveLane(budget, { ...limits, ...override });

      // Assess
      expect(result).toEqual({
        ok: true,
        lane: {
          budgetPartsPerSecond: budget,
          maximumConcurrency: concurrency,
          batchSize: batch,
          windowMs,
          effectivePartsPerSecond: effective,
        },
      });
    },
  );

  it.each([
    [0, {}, "expected a whole number of parts per second, at least 1"],
    [2.5, {}, "expected a whole number of parts per second, at least 1"],
    [2, {}, "expected at least 3 parts per second: one second must hold the longest message"],
    [10_000, {}, "needs 489 (raise maxConcurrencyPerQueue)"],
    [6, { timeoutSeconds: 10 }, "expected a sender timeout long enough for the lane's schedule"],
  ])("refuses budget %s with %j", (budget, override, expected) => {
    // Act
    const result = deriveLane(budget, { ...limits, ...override });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.expected).toContain(expected);
  });

  it.each([3, 7, 13, 29, 97, 250, 396, 1000])(
    "budget %i: the other senders' batches cover one sender's turnover, and a batch fits half the timeout",
    (budget) => {
      // Act
      const result = deriveLane(budget, limits);

      // Assess
      if (!result.ok) throw new Error(result.expected);
      const { maximumConcurrency: c, batchSize: b, windowMs: w } = result.lane;
      // (C - 1) batches of one-part messages last at least latency + handoff.
      expect(((c - 1) * b * w) / budget).toBeGreaterThanOrEqual(limits.sendLatencyMs + HANDOFF_MS);
      // C batches of longest messages ahead, plus the last answer and the 3 s reserve, fit.
      expect(
        (c * b * limits.maxPartsPerMessage * w) / budget + limits.sendLatencyMs + 3000,
      ).toBeLessThanOrEqual(limits.timeoutSeconds * 1000 * TIMEOUT_SHARE);
      expect(result.lane.effectivePartsPerSecond).toBeLessThanOrEqual(budget);
    },
  );
});
