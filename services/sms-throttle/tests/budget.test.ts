import { describe, expect, it } from "vitest";
import { deriveLane } from "../src/domain/budget";

const limits = { maxPartsPerMessage: 3, sendLatencyMs: 250, timeoutSeconds: 60, maxConcurrency: 100 };

describe("deriveLane: budget -> concurrency, share, batch size", () => {
  it.each([
    // budget, limits override, concurrency, share, effective, batch
    [6, {}, 2, 3, 6, 10],
    [7, {}, 2, 3, 6, 10],
    [12, {}, 3, 4, 12, 10],
    [13, {}, 4, 3, 12, 10],
    [40, {}, 10, 4, 40, 10],
    [100, {}, 25, 4, 100, 10],
    [10, { maxPartsPerMessage: 1 }, 5, 2, 10, 10],
    [10, { maxPartsPerMessage: 1, sendLatencyMs: 100 }, 2, 5, 10, 10],
    [6, { timeoutSeconds: 10 }, 2, 3, 6, 3],
    [1000, { maxConcurrency: 1000 }, 250, 4, 1000, 10],
  ])(
    "budget %i with %j -> C=%i, share %i, effective %i, batch %i",
    (budget, override, c, share, effective, batch) => {
      // Act
      const result = deriveLane(budget, { ...limits, ...override });

      // Assess
      expect(result).toEqual({
        ok: true,
        lane: {
          budgetPartsPerSecond: budget,
          maximumConcurrency: c,
          sharePartsPerSecond: share,
          effectivePartsPerSecond: effective,
          batchSize: batch,
        },
      });
    },
  );

  it.each([
    [0, {}, "expected a whole number of parts per second, at least 1"],
    [2.5, {}, "expected a whole number of parts per second, at least 1"],
    [5, {}, "expected at least 6 parts per second: Lambda runs at least 2 concurrent senders"],
    [1, { maxPartsPerMessage: 1 }, "expected at least 2 parts per second"],
    [100, { sendLatencyMs: 1000 }, "while 1000 ms per call needs 100 senders"],
    [600, { maxConcurrency: 50 }, "split into at most 50 senders"],
    [6, { timeoutSeconds: 2 }, "expected a sender timeout long enough for one message"],
    [397, {}, "the best split is 100 senders x 3 parts = 300 parts per second (set the budget to 300"],
  ])("refuses budget %s with %j", (budget, override, expected) => {
    // Act
    const result = deriveLane(budget, { ...limits, ...override });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.expected).toContain(expected);
  });

  it.each([6, 7, 13, 29, 97, 250, 396])(
    "never derives more than budget %i, and uses at least 80%% of it",
    (budget) => {
      // Act
      const result = deriveLane(budget, limits);

      // Assess
      const lane = result.ok ? result.lane : undefined;
      expect(lane?.effectivePartsPerSecond).toBeLessThanOrEqual(budget);
      expect(lane?.effectivePartsPerSecond).toBeGreaterThanOrEqual(budget * 0.8);
      expect((lane?.maximumConcurrency ?? 0) * (lane?.sharePartsPerSecond ?? 0)).toBe(
        lane?.effectivePartsPerSecond,
      );
    },
  );
});
