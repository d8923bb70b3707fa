import { describe, expect, it } from "vitest";
import { smsThrottleConfigSchema } from "../src/config";
import { baseConfig, PINPOINT_APP } from "./fixtures";

const firstIssue = (input: unknown): { path: string; message: string } | undefined => {
  const result = smsThrottleConfigSchema.safeParse(input);
  const issue = result.success ? undefined : result.error.issues[0];
  return issue && { path: issue.path.map(String).join("."), message: issue.message };
};

describe("smsThrottleConfigSchema", () => {
  it("fills the defaults", () => {
    // Act
    const config = smsThrottleConfigSchema.parse(baseConfig());

    // Assess
    expect(config).toMatchObject({
      provider: "endUserMessaging",
      maxPartsPerMessage: 3,
      sendLatencyMs: 250,
      senderTimeoutSeconds: 60,
      classes: {
        verification: { useCases: ["VERIFICATION"] },
        bulk: { useCases: ["TRANSACTIONAL", "REMINDER", "OFFER"] },
      },
    });
  });

  it("accepts Pinpoint with an application id", () => {
    expect(
      firstIssue(baseConfig({ provider: "pinpoint", pinpoint: { applicationId: PINPOINT_APP } })),
    ).toBeUndefined();
  });

  it.each([
    [
      "classes adding up to more than the cap",
      baseConfig({ countries: { DE: { capPartsPerSecond: 15, budgets: { verification: 10, bulk: 8 } } } }),
      "countries.DE.budgets",
      "expected class budgets adding up to at most the country's cap of 15 parts per second (they add up to 18)",
    ],
    [
      "a budget below one longest message",
      baseConfig({ countries: { DE: { capPartsPerSecond: 20, budgets: { verification: 12, bulk: 2 } } } }),
      "countries.DE.budgets.bulk",
      "expected at least 3 parts per second: one second must hold the longest message",
    ],
    [
      "a catch-all budget below one longest message",
      baseConfig({ catchAll: { partsPerSecond: 1 } }),
      "catchAll.partsPerSecond",
      "expected at least 3 parts per second",
    ],
    [
      "a class without a budget",
      baseConfig({ countries: { DE: { capPartsPerSecond: 20, budgets: { verification: 12 } } } }),
      "countries.DE.budgets.bulk",
      "expected a budget in parts per second for every class",
    ],
    [
      "a budget for an unknown class",
      baseConfig({
        countries: { DE: { capPartsPerSecond: 30, budgets: { verification: 6, bulk: 6, vip: 6 } } },
      }),
      "countries.DE.budgets.vip",
      "expected one of the classes verification, bulk",
    ],
    [
      "a country code that is not ISO",
      baseConfig({ countries: { XX: { capPartsPerSecond: 20, budgets: { verification: 6, bulk: 6 } } } }),
      "countries.XX",
      "expected an ISO 3166-1 alpha-2 country code",
    ],
    [
      "a use case in two classes",
      baseConfig({
        classes: {
          a: { useCases: ["VERIFICATION", "OFFER"] },
          b: { useCases: ["OFFER", "TRANSACTIONAL", "REMINDER"] },
        },
      }),
      "classes.b.useCases",
      "expected OFFER in one class only (also in a)",
    ],
    [
      "a use case in no class",
      baseConfig({ classes: { verification: { useCases: ["VERIFICATION"] } } }),
      "classes",
      "expected every use case in a class (missing TRANSACTIONAL, REMINDER, OFFER)",
    ],
    [
      "Pinpoint without an application id",
      baseConfig({ provider: "pinpoint" }),
      "pinpoint",
      "expected pinpoint.applicationId when provider is pinpoint",
    ],
    [
      "End User Messaging without an origination identity",
      { ...baseConfig(), endUserMessaging: undefined },
      "endUserMessaging",
      "expected endUserMessaging.originationIdentityArn",
    ],
    [
      "an unknown provider",
      baseConfig({ provider: "sns" as never }),
      "provider",
      "expected endUserMessaging or pinpoint",
    ],
    ["a typo'd key", { ...baseConfig(), catchall: {} }, "", "expected only known keys (unknown: catchall)"],
    [
      "a typo'd country key",
      baseConfig({
        countries: { DE: { capPartsPerSecond: 20, cap: 20, budgets: { verification: 6, bulk: 6 } } as never },
      }),
      "countries.DE",
      "expected only known keys (unknown: cap)",
    ],
    [
      "a fractional budget",
      baseConfig({ catchAll: { partsPerSecond: 6.5 } }),
      "catchAll.partsPerSecond",
      "expected a whole number of parts per second from 1 to 10000",
    ],
  ])("refuses %s", (_name, input, path, message) => {
    // Act
    const issue = firstIssue(input);

    // Assess
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
  });
});
