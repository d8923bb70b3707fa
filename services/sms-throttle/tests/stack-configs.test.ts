import { describe, expect, it } from "vitest";
import { type SmsThrottleConfigInput, smsThrottleConfigSchema } from "../src/config";
import { planLanes } from "../src/domain/lanes";

const POOL = (env: string) => `arn:aws:sms-voice:us-east-1:123456789012:pool/pool-${env}0123456789abcdef`;

/** The `switchyard:sms-throttle` sections suggested in the README for each stack. */
const SUGGESTED: Record<string, SmsThrottleConfigInput> = {
  dev: {
    endUserMessaging: { originationIdentityArn: POOL("dev") },
    maxPartsPerMessage: 2,
    senderTimeoutSeconds: 30,
    maxConcurrencyPerQueue: 5,
    countries: { DE: { capPartsPerSecond: 8, budgets: { verification: 4, bulk: 4 } } },
    catchAll: { partsPerSecond: 4 },
  },
  staging: {
    endUserMessaging: { originationIdentityArn: POOL("stg") },
    countries: {
      DE: { capPartsPerSecond: 20, budgets: { verification: 8, bulk: 12 } },
      FR: { capPartsPerSecond: 12, budgets: { verification: 6, bulk: 6 } },
    },
    catchAll: { partsPerSecond: 6 },
    maxConcurrencyPerQueue: 10,
  },
  prod: {
    endUserMessaging: { originationIdentityArn: POOL("prd") },
    countries: {
      DE: { capPartsPerSecond: 100, budgets: { verification: 40, bulk: 60 } },
      FR: { capPartsPerSecond: 50, budgets: { verification: 20, bulk: 30 } },
      GB: { capPartsPerSecond: 60, budgets: { verification: 24, bulk: 36 } },
      US: { capPartsPerSecond: 100, budgets: { verification: 40, bulk: 60 } },
    },
    catchAll: { partsPerSecond: 12 },
    maxAttempts: 100,
  },
};

describe.each(Object.entries(SUGGESTED))("the suggested %s config", (_stack, input) => {
  it("is valid and every lane sends its budget less only the window margin", () => {
    // Act
    const config = smsThrottleConfigSchema.parse(input);
    const lanes = planLanes(config);

    // Assess
    expect(lanes.length).toBe(Object.keys(input.countries).length * 2 + 1);
    for (const lane of lanes) {
      const { budgetPartsPerSecond: budget, windowMs, effectivePartsPerSecond } = lane.derivation;
      expect(effectivePartsPerSecond).toBeLessThanOrEqual(budget);
      expect(effectivePartsPerSecond).toBeGreaterThanOrEqual((budget * 1000) / windowMs - 0.01);
    }
  });
});

it.each([
  ["dev", "de-verification", 2, 10],
  ["staging", "de-bulk", 2, 10],
  ["prod", "de-bulk", 4, 10],
  ["prod", "other", 2, 10],
])("%s %s: concurrency %i, batch %i", (stack, id, concurrency, batch) => {
  // Act
  const lane = planLanes(smsThrottleConfigSchema.parse(SUGGESTED[stack])).find((l) => l.id === id);

  // Assess
  expect(lane?.derivation).toMatchObject({
    maximumConcurrency: concurrency,
    batchSize: batch,
  });
});
