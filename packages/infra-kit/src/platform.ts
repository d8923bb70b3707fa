import type * as pulumi from "@pulumi/pulumi";
import { LAMBDA, LOG_RETENTION_DAYS, type LogRetentionDays, SQS } from "./constants";
import type { ServicePrincipal } from "./policy";
import type { ArgChecker } from "./validate";

/**
 * What every service component takes from the platform it stands on. Service args extend this interface, so
 * the contract (and its documentation) lives here once; the root stack fills it from validated stack config,
 * and `platformSettings()` checks it once for programmatic use.
 */
export interface PlatformArgs {
  /** The ops topic every alarm of the service notifies (an `AlarmTopic`'s ARN). */
  alarmTopicArn: pulumi.Input<string>;
  /**
   * A customer-managed KMS key (ARN) for the service's queues, topics, tables and buses. Its key policy must let
   * the AWS services that deliver into them use it (an `EncryptionKey` lists them in `services`).
   * @default undefined (SSE-SQS for queues, `alias/aws/sns` for topics, AWS-owned keys for tables and buses)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * The AWS services the key policy of `kmsKeyArn` allows (the `EncryptionKey`'s `services`), so a component can
   * refuse a key that would silently drop a delivery.
   * @default []
   */
  kmsKeyServices?: readonly ServicePrincipal[];
  /**
   * Days CloudWatch keeps function and access logs; one of the values CloudWatch Logs accepts.
   * @default 14
   */
  logRetentionDays?: LogRetentionDays;
  /**
   * Memory of every function, in MB (128 to 10240).
   * @default 256
   */
  memorySize?: number;
  /**
   * Most concurrent invocations each SQS consumer drives (2 to 1000).
   * @default 5
   */
  maximumConcurrency?: number;
  /**
   * Receives before a message moves to its dead-letter queue (1 to 1000).
   * @default 5
   */
  maxReceiveCount?: number;
  /**
   * Threshold of every queue's alarm on the age of its oldest message, in seconds (60 to 1209600).
   * @default 900
   */
  oldestMessageAgeAlarmSeconds?: number;
  /**
   * Deletion protection on stateful resources (tables; buckets are not force-destroyed).
   * @default true
   */
  deletionProtection?: boolean;
  /**
   * DynamoDB point-in-time recovery on every table.
   * @default true
   */
  pointInTimeRecovery?: boolean;
  /**
   * AWS X-Ray active tracing on every function (and the grant to send traces).
   * @default false
   */
  tracing?: boolean;
}

/** The platform args with every default applied. */
export interface PlatformSettings {
  alarmTopicArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string> | undefined;
  kmsKeyServices: readonly ServicePrincipal[];
  logRetentionDays: LogRetentionDays;
  memorySize: number;
  maximumConcurrency: number;
  maxReceiveCount: number;
  oldestMessageAgeAlarmSeconds: number;
  deletionProtection: boolean;
  pointInTimeRecovery: boolean;
  tracing: boolean;
}

/** The defaults of `PlatformArgs`, for docs and tests. */
export const PLATFORM_DEFAULTS = {
  logRetentionDays: 14,
  memorySize: 256,
  maximumConcurrency: 5,
  maxReceiveCount: 5,
  oldestMessageAgeAlarmSeconds: 900,
  deletionProtection: true,
  pointInTimeRecovery: true,
  tracing: false,
} as const satisfies Partial<PlatformSettings>;

/**
 * Checks the platform args once, with messages naming the component
 * (`<type> "<name>": memorySize must be an integer from 128 to 10240 (got 64)`), and applies the defaults.
 */
export function platformSettings(check: ArgChecker, args: PlatformArgs): PlatformSettings {
  if (args.alarmTopicArn === undefined || args.alarmTopicArn === null || args.alarmTopicArn === "") {
    check.fail("alarmTopicArn", `is required: every alarm notifies it (got ${String(args.alarmTopicArn)})`);
  }
  for (const flag of ["deletionProtection", "pointInTimeRecovery", "tracing"] as const) {
    if (args[flag] !== undefined && typeof args[flag] !== "boolean") {
      check.fail(flag, `must be true or false (got ${JSON.stringify(args[flag])})`);
    }
  }
  return {
    alarmTopicArn: args.alarmTopicArn,
    kmsKeyArn: args.kmsKeyArn,
    kmsKeyServices: args.kmsKeyServices ?? [],
    logRetentionDays: check.oneOf(
      "logRetentionDays",
      args.logRetentionDays,
      LOG_RETENTION_DAYS,
      PLATFORM_DEFAULTS.logRetentionDays,
    ),
    memorySize: check.int(
      "memorySize",
      args.memorySize,
      LAMBDA.minMemoryMb,
      LAMBDA.maxMemoryMb,
      PLATFORM_DEFAULTS.memorySize,
    ),
    maximumConcurrency: check.int(
      "maximumConcurrency",
      args.maximumConcurrency,
      LAMBDA.minMaximumConcurrency,
      LAMBDA.maxMaximumConcurrency,
      PLATFORM_DEFAULTS.maximumConcurrency,
    ),
    maxReceiveCount: check.int(
      "maxReceiveCount",
      args.maxReceiveCount,
      1,
      1000,
      PLATFORM_DEFAULTS.maxReceiveCount,
    ),
    oldestMessageAgeAlarmSeconds: check.int(
      "oldestMessageAgeAlarmSeconds",
      args.oldestMessageAgeAlarmSeconds,
      60,
      SQS.maxRetentionSeconds,
      PLATFORM_DEFAULTS.oldestMessageAgeAlarmSeconds,
    ),
    deletionProtection: args.deletionProtection ?? PLATFORM_DEFAULTS.deletionProtection,
    pointInTimeRecovery: args.pointInTimeRecovery ?? PLATFORM_DEFAULTS.pointInTimeRecovery,
    tracing: args.tracing ?? PLATFORM_DEFAULTS.tracing,
  };
}

/** What every NodeFunction of a service takes from the platform. */
export const functionDefaults = (p: PlatformSettings) => ({
  alarmTopicArn: p.alarmTopicArn,
  memorySize: p.memorySize,
  logRetentionDays: p.logRetentionDays,
  tracing: p.tracing,
});

/** What every ReliableQueue of a service takes from the platform. */
export const queueDefaults = (p: PlatformSettings) => ({
  alarmTopicArn: p.alarmTopicArn,
  maxReceiveCount: p.maxReceiveCount,
  oldestMessageAgeAlarmSeconds: p.oldestMessageAgeAlarmSeconds,
  ...(p.kmsKeyArn !== undefined ? { kmsKeyArn: p.kmsKeyArn } : {}),
});

/** What every Table of a service takes from the platform. */
export const tableDefaults = (p: PlatformSettings) => ({
  alarmTopicArn: p.alarmTopicArn,
  deletionProtection: p.deletionProtection,
  pointInTimeRecovery: p.pointInTimeRecovery,
  ...(p.kmsKeyArn !== undefined ? { kmsKeyArn: p.kmsKeyArn } : {}),
});
