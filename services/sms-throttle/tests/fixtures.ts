import type { SmsThrottleConfigInput } from "../src/config";

export const ORIGINATION_ARN = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-0123456789abcdef";
export const PINPOINT_APP = "0123456789abcdef0123456789abcdef";

/** A small config: Germany and France with two classes each, and the catch-all. */
export const baseConfig = (overrides: Partial<SmsThrottleConfigInput> = {}): SmsThrottleConfigInput => ({
  endUserMessaging: { originationIdentityArn: ORIGINATION_ARN },
  countries: {
    DE: { capPartsPerSecond: 20, budgets: { verification: 12, bulk: 8 } },
    FR: { capPartsPerSecond: 12, budgets: { verification: 6, bulk: 6 } },
  },
  catchAll: { partsPerSecond: 6 },
  ...overrides,
});
