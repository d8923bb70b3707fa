import { describe, expect, it } from "vitest";
import type { SubscriptionInfo } from "../src/discover";
import { type CarrierMessage, smsChart } from "../src/sms";

const topicArn = "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests-topic";
const lane = (id: string, filterPolicy?: unknown): SubscriptionInfo => ({
  arn: `${topicArn}:${id}`,
  topicArn,
  protocol: "sqs",
  endpoint: `arn:aws:sqs:us-east-1:123456789012:sms-throttle-${id}-queue`,
  rawMessageDelivery: true,
  filterPolicy,
  filterPolicyScope: "MessageAttributes",
});
// The dev stack's lanes: DE split by class, every other country in the catch-all (no filter policy).
const subscriptions = [
  lane("de-verification", { country: ["DE"], useCase: ["VERIFICATION"] }),
  lane("de-bulk", { country: ["DE"], useCase: ["TRANSACTIONAL", "REMINDER", "OFFER"] }),
  lane("other"),
];
const lanes = {
  "de-verification": { budgetPartsPerSecond: 4 },
  "de-bulk": { budgetPartsPerSecond: 3 },
  other: { budgetPartsPerSecond: 2 },
};
const stats = { DE: { limit: 8, limitKey: "DE" }, "*": { limit: 4, limitKey: "*" } };
const NOW = 1_000_000;
const sent = (
  country: string,
  useCase: string | undefined,
  secondsAgo: number,
  parts = 1,
): CarrierMessage => ({
  country,
  parts,
  status: "DELIVERED",
  at: NOW - secondsAgo * 1000 - 1,
  limitKey: country === "DE" ? "DE" : "*",
  ...(useCase ? { context: { useCase } } : {}),
});

describe("the SMS chart", () => {
  it("puts each delivered message in the lane whose filter takes it, and the rest in the catch-all", () => {
    const chart = smsChart(
      subscriptions,
      lanes,
      [
        sent("DE", "VERIFICATION", 0, 2),
        sent("DE", "OFFER", 0),
        sent("DE", "REMINDER", 5),
        sent("FR", "VERIFICATION", 0, 3),
        { ...sent("DE", "VERIFICATION", 0), status: "THROTTLED" },
        sent("DE", "VERIFICATION", 61),
      ],
      stats,
      NOW,
    );
    const byLane = Object.fromEntries(chart.lanes.map((l) => [l.lane, l]));
    expect(byLane["de-verification"]).toMatchObject({
      budgetPartsPerSecond: 4,
      takes: "country DE, useCase VERIFICATION",
    });
    expect(byLane["de-verification"]?.parts.at(-1)).toBe(2);
    expect(byLane["de-bulk"]?.parts.at(-1)).toBe(1);
    expect(byLane["de-bulk"]?.parts.at(-6)).toBe(1);
    expect(byLane.other).toMatchObject({ budgetPartsPerSecond: 2, takes: "every other message" });
    expect(byLane.other?.parts.at(-1)).toBe(3);
    // The throttled one and the one older than the minute are not counted.
    expect(chart.lanes.reduce((n, l) => n + l.parts.reduce((a, b) => a + b, 0), 0)).toBe(7);
    expect(chart.limits).toEqual([
      expect.objectContaining({ key: "DE", limitPartsPerSecond: 8 }),
      expect.objectContaining({ key: "*", limitPartsPerSecond: 4 }),
    ]);
    expect(chart.limits[0]?.parts.at(-1)).toBe(3);
    expect(chart.unrouted).toBe(0);
  });

  it("counts a message without a recorded use case against its carrier limit, in no lane", () => {
    const chart = smsChart(subscriptions, lanes, [sent("DE", undefined, 0)], stats, NOW);
    expect(chart.unrouted).toBe(1);
    expect(chart.lanes.every((l) => l.parts.every((p) => p === 0))).toBe(true);
    expect(chart.limits[0]?.parts.at(-1)).toBe(1);
  });

  it("hands back what the carrier refused, newest first, and none of what it delivered", () => {
    const throttled = (secondsAgo: number): CarrierMessage => ({
      ...sent("DE", "VERIFICATION", secondsAgo),
      status: "THROTTLED",
      reason: "Message parts per second limit exceeded for DE: 9 parts/s",
    });
    const chart = smsChart(
      subscriptions,
      lanes,
      [throttled(3), sent("DE", "OFFER", 2), throttled(1)],
      stats,
      NOW,
    );
    expect(chart.refused).toEqual([
      expect.objectContaining({
        at: NOW - 1001,
        country: "DE",
        status: "THROTTLED",
        reason: expect.stringMatching(/9 parts/),
      }),
      expect.objectContaining({ at: NOW - 3001, status: "THROTTLED" }),
    ]);
  });
});
