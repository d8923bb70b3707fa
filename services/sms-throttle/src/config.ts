import { isSupportedCountry } from "libphonenumber-js";
import { z } from "zod";
import { LIMITS, USE_CASES } from "./constants";
import { type DerivationLimits, deriveLane } from "./domain/budget";
import { SmsThrottleError } from "./errors";

const int = (what: string, min: number, max: number) =>
  z
    .number({ error: `expected ${what} from ${min} to ${max}` })
    .int({ error: `expected a whole number of ${what} from ${min} to ${max}` })
    .min(min, { error: `expected ${what} from ${min} to ${max}` })
    .max(max, { error: `expected ${what} from ${min} to ${max}` });

/** Object errors as expectations, naming unknown keys (typos) instead of hiding them. */
const objectError = (expected: string) => (issue: { code?: string; keys?: string[] }) =>
  issue.code === "unrecognized_keys"
    ? `expected only known keys (unknown: ${(issue.keys ?? []).join(", ")})`
    : `expected ${expected}`;

const CLASS_NAME = /^[a-z][a-z0-9]{0,15}$/;
/**
 * An End User Messaging resource: `<type>/<id>`, and a sender id's `sender-id/<SenderId>/<IsoCountryCode>` (Service
 * Authorization Reference, "Resource types defined by AWS End User Messaging SMS and Voice, version 2").
 */
const ARN = /^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:[a-z-]+\/[A-Za-z0-9_-]+(\/[A-Z]{2})?$/;

/** An IAM role (for an origination identity in another account). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

const endUserMessaging = z
  .object(
    {
      originationIdentityArn: z.string().regex(ARN, {
        error: "expected the ARN of a phone number, pool or sender id (arn:aws:sms-voice:...)",
      }),
      configurationSetArn: z
        .string()
        .regex(ARN, { error: "expected the ARN of a configuration set (arn:aws:sms-voice:...)" })
        .optional(),
    },
    { error: objectError("an object with originationIdentityArn") },
  )
  .strict();

const pinpoint = z
  .object(
    {
      applicationId: z
        .string({ error: "expected a Pinpoint application id" })
        .regex(/^[a-f0-9]{32}$/, { error: "expected a Pinpoint application id (32 hex characters)" }),
      originationNumber: z.string().optional(),
    },
    { error: objectError("an object with applicationId") },
  )
  .strict();

/**
 * A country's own origination identity: an End User Messaging identity (pool, phone number or sender id) or a
 * Pinpoint project, optionally in another account through `roleArn` (the sender assumes it to send).
 */
const origination = z
  .object(
    {
      endUserMessaging: endUserMessaging.optional(),
      pinpoint: pinpoint.optional(),
      roleArn: z
        .string({ error: "expected the ARN of an IAM role (arn:aws:iam::<account>:role/...)" })
        .regex(ROLE_ARN, { error: "expected the ARN of an IAM role (arn:aws:iam::<account>:role/...)" })
        .optional(),
    },
    { error: objectError("an object with endUserMessaging or pinpoint") },
  )
  .strict();

const useCase = z.enum(USE_CASES, { error: `expected one of ${USE_CASES.join(", ")}` });

const priorityClass = z
  .object(
    {
      useCases: z.array(useCase, { error: "expected a list of use cases" }).min(1, {
        error: "expected at least one use case",
      }),
      oldestMessageAgeAlarmSeconds: int("seconds", 60, 1_209_600).default(900),
    },
    { error: objectError("an object with useCases") },
  )
  .strict();

const country = z
  .object(
    {
      capPartsPerSecond: int("parts per second", 1, 10_000),
      budgets: z.record(z.string(), int("parts per second", 1, 10_000), {
        error: "expected a budget in parts per second per class",
      }),
      /** The country's own origination identity; the service's default (`provider`) when absent. */
      origination: origination.optional(),
    },
    { error: objectError("an object with capPartsPerSecond and budgets") },
  )
  .strict();

/** Default priority classes: verification codes never wait behind bulk traffic. */
export const DEFAULT_CLASSES = (): Record<string, z.output<typeof priorityClass>> => ({
  verification: { useCases: ["VERIFICATION"], oldestMessageAgeAlarmSeconds: 120 },
  bulk: { useCases: ["TRANSACTIONAL", "REMINDER", "OFFER"], oldestMessageAgeAlarmSeconds: 900 },
});

/**
 * The `switchyard:sms-throttle` config section. Every error reads as an expectation ("expected ..."), because the root stack
 * reports it as `Invalid stack config switchyard:sms-throttle.<path>: expected ...; got ...`.
 */
export const smsThrottleConfigSchema = z
  .object(
    {
      provider: z
        .enum(["endUserMessaging", "pinpoint"], { error: "expected endUserMessaging or pinpoint" })
        .default("endUserMessaging"),
      endUserMessaging: endUserMessaging.optional(),
      pinpoint: pinpoint.optional(),
      classes: z
        .record(z.string(), priorityClass, { error: "expected priority classes by name" })
        .default(DEFAULT_CLASSES),
      countries: z.record(z.string(), country, { error: "expected countries by ISO 3166-1 alpha-2 code" }),
      catchAll: z
        .object(
          { partsPerSecond: int("parts per second", 1, 10_000) },
          {
            error: objectError("an object with partsPerSecond"),
          },
        )
        .strict(),
      maxPartsPerMessage: int("parts", 1, 10).default(3),
      sendLatencyMs: int("milliseconds", 1, 10_000).default(250),
      senderTimeoutSeconds: int("seconds", 10, 900).default(60),
      windowMarginMs: int("milliseconds", 0, 500).default(25),
      maxConcurrencyPerQueue: int("invocations", LIMITS.minConcurrency, LIMITS.maxConcurrency).default(100),
      maxAttempts: int("re-enqueues", 1, 1000).default(50),
      backoffBaseSeconds: int("seconds", 1, 900).default(5),
      throttledAlarmPerFiveMinutes: int("messages", 1, 1_000_000).default(100),
    },
    { error: objectError("an object with countries and catchAll") },
  )
  .strict()
  .superRefine((config, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });

    if (config.provider === "endUserMessaging" && !config.endUserMessaging) {
      issue(
        ["endUserMessaging"],
        "expected endUserMessaging.originationIdentityArn when provider is endUserMessaging",
      );
    }
    if (config.provider === "pinpoint" && !config.pinpoint) {
      issue(["pinpoint"], "expected pinpoint.applicationId when provider is pinpoint");
    }

    const classNames = Object.keys(config.classes);
    const seen = new Map<string, string>();
    for (const [name, cls] of Object.entries(config.classes)) {
      if (!CLASS_NAME.test(name)) {
        issue(
          ["classes", name],
          "expected a class name of lowercase letters and digits, at most 16, starting with a letter",
        );
      }
      for (const uc of cls.useCases) {
        const owner = seen.get(uc);
        if (owner !== undefined)
          issue(["classes", name, "useCases"], `expected ${uc} in one class only (also in ${owner})`);
        seen.set(uc, name);
      }
    }
    const uncovered = USE_CASES.filter((uc) => !seen.has(uc));
    if (uncovered.length > 0) {
      // A listed country's message of an uncovered use case would reach no queue of that country.
      issue(["classes"], `expected every use case in a class (missing ${uncovered.join(", ")})`);
    }

    const limits = derivationLimits(config);
    const lanes = Object.keys(config.countries).length * classNames.length + 1;
    if (lanes > LIMITS.maxSubscriptionsWithPolicy) {
      issue(
        ["countries"],
        `expected at most ${LIMITS.maxSubscriptionsWithPolicy} filtered queues per topic (got ${lanes}: countries x classes + catch-all)`,
      );
    }
    for (const [code, spec] of Object.entries(config.countries)) {
      if (!/^[A-Z]{2}$/.test(code) || !isSupportedCountry(code)) {
        issue(["countries", code], "expected an ISO 3166-1 alpha-2 country code with a phone numbering plan");
      }
      for (const name of Object.keys(spec.budgets)) {
        if (!classNames.includes(name)) {
          issue(["countries", code, "budgets", name], `expected one of the classes ${classNames.join(", ")}`);
        }
      }
      for (const name of classNames) {
        const budget = spec.budgets[name];
        if (budget === undefined) {
          issue(
            ["countries", code, "budgets", name],
            "expected a budget in parts per second for every class",
          );
          continue;
        }
        const derived = deriveLane(budget, limits);
        if (!derived.ok) issue(["countries", code, "budgets", name], derived.expected);
      }
      if (spec.origination) {
        const own = spec.origination;
        const at = ["countries", code, "origination"];
        if (!own.endUserMessaging === !own.pinpoint) {
          issue(at, "expected exactly one of endUserMessaging or pinpoint");
        }
        const roleAccount = own.roleArn?.split(":")[4];
        for (const [key, arn] of [
          ["originationIdentityArn", own.endUserMessaging?.originationIdentityArn],
          ["configurationSetArn", own.endUserMessaging?.configurationSetArn],
        ] as const) {
          const account = arn?.split(":")[4];
          if (roleAccount && account && account !== roleAccount) {
            issue(
              [...at, "endUserMessaging", key],
              `expected an identity in the account of roleArn (${roleAccount}), not ${account}`,
            );
          }
        }
      }
      const total = Object.values(spec.budgets).reduce((sum, b) => sum + b, 0);
      if (total > spec.capPartsPerSecond) {
        issue(
          ["countries", code, "budgets"],
          `expected class budgets adding up to at most the country's cap of ${spec.capPartsPerSecond} parts per second (they add up to ${total})`,
        );
      }
    }
    const catchAll = deriveLane(config.catchAll.partsPerSecond, limits);
    if (!catchAll.ok) issue(["catchAll", "partsPerSecond"], catchAll.expected);
  });

/** Where a lane's messages are sent from: one origination identity and, across accounts, the role to assume. */
export type Origination =
  | { provider: "endUserMessaging"; endUserMessaging: z.output<typeof endUserMessaging>; roleArn?: string }
  | { provider: "pinpoint"; pinpoint: z.output<typeof pinpoint>; roleArn?: string };

/** The origination of a country's lanes: its own when configured, else the service's default. */
export const originationOf = (config: SmsThrottleConfig, country: string | undefined): Origination => {
  const own = country === undefined ? undefined : config.countries[country]?.origination;
  const role = own?.roleArn ? { roleArn: own.roleArn } : {};
  if (own?.endUserMessaging)
    return { provider: "endUserMessaging", endUserMessaging: own.endUserMessaging, ...role };
  if (own?.pinpoint) return { provider: "pinpoint", pinpoint: own.pinpoint, ...role };
  if (config.provider === "pinpoint" && config.pinpoint)
    return { provider: "pinpoint", pinpoint: config.pinpoint };
  if (config.endUserMessaging)
    return { provider: "endUserMessaging", endUserMessaging: config.endUserMessaging };
  throw new SmsThrottleError(`${config.provider}: no origination identity configured`);
};

/** The validated `switchyard:sms-throttle` section, as the root stack hands it to `SmsThrottle`. */
export type SmsThrottleConfig = z.output<typeof smsThrottleConfigSchema>;
/** The section as written in a stack file (defaults not yet applied). */
export type SmsThrottleConfigInput = z.input<typeof smsThrottleConfigSchema>;

/** The derivation limits a config implies. */
export const derivationLimits = (
  config: Pick<
    SmsThrottleConfig,
    | "maxPartsPerMessage"
    | "sendLatencyMs"
    | "senderTimeoutSeconds"
    | "maxConcurrencyPerQueue"
    | "windowMarginMs"
  >,
): DerivationLimits => ({
  maxPartsPerMessage: config.maxPartsPerMessage,
  sendLatencyMs: config.sendLatencyMs,
  timeoutSeconds: config.senderTimeoutSeconds,
  maxConcurrency: config.maxConcurrencyPerQueue,
  windowMarginMs: config.windowMarginMs,
});
