import * as pulumi from "@pulumi/pulumi";
import { LOG_RETENTION_DAYS, type LogRetentionDays } from "@switchyard/infra-kit";
import { notificationsConfigSchema } from "@switchyard/notifications";
import { ordersConfigSchema } from "@switchyard/orders";
import { s3PipelineConfigSchema } from "@switchyard/s3-pipeline";
import { smsThrottleConfigSchema } from "@switchyard/sms-throttle";
import { z } from "zod";
import { InfraError } from "./errors";

/** The config namespace of this project (`switchyard:<key>` in the stack files). */
export const NAMESPACE = "switchyard";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The services a stack can deploy (`switchyard:services`), named as their packages under services/. */
export const SERVICES = ["notifications", "orders", "sms-throttle", "s3-pipeline"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The ingress API of one service (`switchyard:ingress.<service>`): its presence turns it on. */
const ingressServiceSchema = z
  .object(
    {
      throttling: z
        .object({
          rateLimit: z.number({ error: "expected requests per second" }).int().min(1).max(10_000),
          burstLimit: z.number({ error: "expected a burst of requests" }).int().min(1).max(5_000),
        })
        .strict()
        .optional(),
      perClient: z
        .object({
          ratePerSecond: z.number({ error: "expected requests per second" }).min(0.01).max(10_000),
          burst: z.number({ error: "expected a burst of requests" }).int().min(1).max(10_000),
        })
        .strict()
        .optional(),
    },
    { error: "expected an object with optional throttling and perClient" },
  )
  .strict();

/** The services that can have an ingress API (their names in `switchyard:services`). */
export const INGRESS_SERVICES = ["sms-throttle", "orders"] as const;

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: "expected an e-mail address" });

/**
 * Every key of the `switchyard:` namespace. Each `error` is phrased as what was expected, because
 * the message becomes "<key>: expected ...; got <value>".
 */
export const stackConfigSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS, { error: `expected one of ${ENVIRONMENTS.join(", ")}` }),
    services: z
      .array(z.enum(SERVICES, { error: `expected one of ${SERVICES.join(", ")}` }), {
        error: `expected a list of services (${SERVICES.join(", ")})`,
      })
      .min(1, { error: "expected at least one service" })
      .refine((list) => new Set(list).size === list.length, { error: "expected each service once" })
      .default([...SERVICES]),
    apiGatewayCloudWatchRole: z.boolean({ error: "expected true or false" }).default(true),
    logRetentionDays: z
      .number({ error: "expected a number of days" })
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        error: `expected one of ${LOG_RETENTION_DAYS.join(", ")} (the values CloudWatch Logs accepts)`,
      })
      .transform((days) => days as LogRetentionDays),
    alarmEmails: z.array(email, { error: "expected a list of e-mail addresses" }),
    customerManagedKeys: z.boolean({ error: "expected true or false" }),
    deletionProtection: z.boolean({ error: "expected true or false" }),
    pointInTimeRecovery: z.boolean({ error: "expected true or false" }),
    monthlyBudgetUsd: z
      .number({ error: "expected a positive number of US dollars" })
      .positive({ error: "expected a positive number of US dollars" }),
    queues: z
      .object(
        {
          maxReceiveCount: z
            .number({ error: "expected an integer from 1 to 1000" })
            .int({ error: "expected an integer from 1 to 1000" })
            .min(1, { error: "expected an integer from 1 to 1000" })
            .max(1000, { error: "expected an integer from 1 to 1000" })
            .default(5),
          oldestMessageAgeAlarmSeconds: z
            .number({ error: "expected seconds from 60 to 1209600" })
            .int({ error: "expected whole seconds" })
            .min(60, { error: "expected at least 60 seconds" })
            .max(1_209_600, { error: "expected at most 1209600 seconds (14 days)" })
            .default(900),
        },
        { error: "expected an object with maxReceiveCount and oldestMessageAgeAlarmSeconds" },
      )
      .strict()
      .default({ maxReceiveCount: 5, oldestMessageAgeAlarmSeconds: 900 }),
    functions: z
      .object(
        {
          memorySize: z
            .number({ error: "expected MB from 128 to 10240" })
            .int({ error: "expected whole MB" })
            .min(128, { error: "expected at least 128 MB" })
            .max(10_240, { error: "expected at most 10240 MB" })
            .default(256),
          maximumConcurrency: z
            .number({ error: "expected an integer from 2 to 1000" })
            .int({ error: "expected an integer from 2 to 1000" })
            .min(2, { error: "expected at least 2 (the Lambda minimum for SQS maximum concurrency)" })
            .max(1000, { error: "expected at most 1000" })
            .default(5),
          tracing: z.boolean({ error: "expected true or false" }).default(false),
        },
        { error: "expected an object with memorySize, maximumConcurrency and tracing" },
      )
      .strict()
      .default({ memorySize: 256, maximumConcurrency: 5, tracing: false }),
    // Each service owns the schema of its section; this module is still the only one reading config.
    // A section is needed only when its service is on (see the links checked below).
    notifications: notificationsConfigSchema.optional(),
    orders: ordersConfigSchema.optional(),
    "sms-throttle": smsThrottleConfigSchema.optional(),
    "s3-pipeline": s3PipelineConfigSchema.optional(),
    // The authenticated HTTPS ingress of services for publishers outside AWS (issue 18); off unless listed.
    ingress: z
      .object(
        { "sms-throttle": ingressServiceSchema.optional(), orders: ingressServiceSchema.optional() },
        { error: `expected an object keyed by service (${INGRESS_SERVICES.join(", ")})` },
      )
      .strict()
      .default({}),
    // Stacks deployed before each service took one name (instances `sms` and `media`) keep the physical names
    // derived from the old names: changing such a prefix would replace FIFO queues and log groups.
    keepPreRenamePhysicalNames: z.boolean({ error: "expected true or false" }).default(false),
  })
  .superRefine((config, ctx) => {
    const on = (service: ServiceName) => config.services.includes(service);
    for (const [service, key, what] of [
      ["notifications", "notifications", "auth"],
      ["sms-throttle", "sms-throttle", "a provider, countries and catchAll"],
    ] as const) {
      if (on(service) && config[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `expected an object with ${what} because the ${service} service is on (switchyard:services)`,
        });
      }
    }
    // An ingress listed for a service that is off is ignored, like the service's own section.
    for (const service of INGRESS_SERVICES) {
      if (config.ingress[service] === undefined || !on(service)) continue;
      if (config.notifications === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["ingress", service],
          message:
            "expected switchyard:notifications with auth: the ingress verifies tokens of the stack's issuer (notifications.auth)",
        });
      }
    }
    // s3-pipeline's "renditions ready" notifications travel on the notifications bus.
    if (
      on("s3-pipeline") &&
      !on("notifications") &&
      config["s3-pipeline"]?.notificationCallbackUrl !== undefined
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["s3-pipeline", "notificationCallbackUrl"],
        message:
          'expected no notificationCallbackUrl while the notifications service is off: "renditions ready" notifications go through its bus (add notifications to switchyard:services, or remove the URL)',
      });
    }
    if (config.environment === "prod") {
      for (const key of ["customerManagedKeys", "deletionProtection", "pointInTimeRecovery"] as const) {
        if (!config[key]) ctx.addIssue({ code: "custom", path: [key], message: "expected true in prod" });
      }
      if (config.alarmEmails.length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["alarmEmails"],
          message: "expected at least one address in prod",
        });
      }
    }
  });

/** The validated config every component receives as plain typed values. */
export type StackConfig = z.output<typeof stackConfigSchema>;

/**
 * The config of the services that are on, keyed by service name (the same name as the package, the config key
 * and the component instance): each section parsed with its defaults, or undefined when off.
 */
export type ServiceConfigs = { [S in ServiceName]: NonNullable<StackConfig[S]> | undefined };

/** Each service's section when the service is on (orders and s3-pipeline fall back to their defaults), else undefined. */
export function serviceConfigs(config: StackConfig): ServiceConfigs {
  const on = (service: ServiceName) => config.services.includes(service);
  return {
    notifications: on("notifications") ? config.notifications : undefined,
    orders: on("orders") ? (config.orders ?? ordersConfigSchema.parse({})) : undefined,
    "sms-throttle": on("sms-throttle") ? config["sms-throttle"] : undefined,
    "s3-pipeline": on("s3-pipeline")
      ? (config["s3-pipeline"] ?? s3PipelineConfigSchema.parse({}))
      : undefined,
  };
}

/** The ingress config of a service when the service is on and its ingress listed, else undefined. */
export function ingressConfig(
  config: StackConfig,
  service: (typeof INGRESS_SERVICES)[number],
): NonNullable<StackConfig["ingress"][typeof service]> | undefined {
  return config.services.includes(service) ? config.ingress[service] : undefined;
}

/** Bad stack config: the message is one line naming the key, what was expected and what was given. */
export class ConfigError extends InfraError {
  override readonly name = "ConfigError";
}

/**
 * Secrets are read with `requireSecret` (never validated into plain values), and only when the
 * config that needs them is on.
 */
export const SECRET_KEYS = ["notificationsJwtSecret"] as const;

const KNOWN_KEYS = [...Object.keys(stackConfigSchema.shape), ...SECRET_KEYS];

/** Keys that were renamed so each service has one name everywhere; a stack file still using one is told the new key. */
export const RENAMED_KEYS: Readonly<Record<string, ServiceName>> = { sms: "sms-throttle", s3: "s3-pipeline" };

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let value: unknown = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Validates raw config values (as the stack file holds them: structured values already parsed) and
 * returns typed config, or throws a ConfigError for the first problem.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const renamed = Object.keys(raw).find((key) => RENAMED_KEYS[key] !== undefined);
  if (renamed !== undefined) {
    throw new ConfigError(
      `Renamed stack config ${NAMESPACE}:${renamed}: the section is now ${NAMESPACE}:${RENAMED_KEYS[renamed]} (one name per service: package, config key, component); move it there`,
    );
  }
  const unknown = Object.keys(raw).filter((key) => !KNOWN_KEYS.includes(key));
  const values = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !(SECRET_KEYS as readonly string[]).includes(key)),
  );
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown stack config ${NAMESPACE}:${unknown[0]}: expected one of ${KNOWN_KEYS.join(", ")}; got ${describe(raw[unknown[0] as string])}`,
    );
  }
  const result = stackConfigSchema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError("Invalid stack config: no details");
  const key = `${NAMESPACE}:${issue.path.map(String).join(".")}`;
  const given = valueAt(raw, issue.path);
  const expected = issue.message.replace(/^Invalid input: /, "");
  const prefix = given === undefined && issue.path.length > 0 ? "Missing" : "Invalid";
  throw new ConfigError(`${prefix} stack config ${key}: ${expected}; got ${describe(given)}`);
}

/** Reads the `switchyard:` namespace of the running stack. The only place the program reads config. */
export function loadConfig(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, ...rest] = fullKey.split(":");
    if (namespace !== NAMESPACE) continue;
    raw[rest.join(":")] = parseRaw(value);
  }
  return parseStackConfig(raw);
}

/** The secrets the running stack's config needs, as Pulumi secret Outputs. */
export interface StackSecrets {
  /** HS256 key of the notifications authorizer; only when `notifications.auth.mode` is `hs256`. */
  notificationsJwtSecret?: pulumi.Output<string>;
}

/** Reads the secrets the config calls for; a missing one fails with one line naming the key. */
export function loadSecrets(config: StackConfig): StackSecrets {
  const secrets: StackSecrets = {};
  const ingressOn = INGRESS_SERVICES.some((service) => ingressConfig(config, service) !== undefined);
  const needsAuth = serviceConfigs(config).notifications !== undefined || ingressOn;
  if (needsAuth && config.notifications?.auth.mode === "hs256") {
    const key = "notificationsJwtSecret";
    if (new pulumi.Config(NAMESPACE).get(key) === undefined) {
      throw new ConfigError(
        `Missing stack config ${NAMESPACE}:${key}: expected a secret (pulumi config set --secret ${key} <value>) because notifications.auth.mode is hs256; got nothing`,
      );
    }
    secrets.notificationsJwtSecret = new pulumi.Config(NAMESPACE).requireSecret(key);
  }
  return secrets;
}

// Pulumi hands every value over as a string; structured values (lists, objects, numbers, booleans) as JSON.
function parseRaw(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
