import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import {
  AlarmTopic,
  ApiGatewayAccount,
  EncryptionKey,
  type PlatformArgs,
  type ServicePrincipal,
} from "@switchyard/infra-kit";
import type { StackConfig } from "./config";
import { PlatformError } from "./errors";

/** What every service component receives from the root stack. */
export interface Platform {
  config: StackConfig;
  /** The ops topic every alarm notifies. */
  alarmTopic: AlarmTopic;
  /**
   * The customer-managed key for queues, topics, tables and buses (when `customerManagedKeys` is on); it lets SNS,
   * EventBridge, S3 and CloudWatch encrypt for this account's resources only.
   */
  dataKey: EncryptionKey | undefined;
  /** `dataKey`'s ARN, or undefined for AWS-owned encryption. */
  dataKeyArn: pulumi.Output<string> | undefined;
  /** The customer-managed key of the alarm topic (its own, or `dataKey`): publishers need GenerateDataKey on it. */
  alarmTopicKeyArn: pulumi.Output<string>;
  /**
   * The region's API Gateway CloudWatch Logs role setting, when this stack manages it
   * (`apiGatewayCloudWatchRole`, on by default) and a service with an API Gateway stage is on.
   */
  apiGatewayAccount: ApiGatewayAccount | undefined;
  /** The platform contract every service component's args extend, filled from the stack config. */
  args: PlatformArgs;
}

/** The services the customer-managed data key serves (its key policy lets exactly these use it). */
const DATA_KEY_SERVICES: ServicePrincipal[] = [
  "sns.amazonaws.com",
  "events.amazonaws.com",
  "s3.amazonaws.com",
  "cloudwatch.amazonaws.com",
];

/** The shared layer under every service: encryption key, ops alarm topic, cost budget, API Gateway logging role. */
export function createPlatform(config: StackConfig): Platform {
  const dataKey = config.customerManagedKeys
    ? new EncryptionKey("switchyard-data", {
        services: DATA_KEY_SERVICES,
        description: `Switchyard ${config.environment} queues and topics`,
      })
    : undefined;

  const alarmTopic = new AlarmTopic("switchyard-alarms", {
    emails: config.alarmEmails,
    ...(dataKey ? { kmsKeyArn: dataKey.arn } : {}),
  });

  if (config.alarmEmails.length > 0) {
    new aws.budgets.Budget("switchyard-budget", {
      budgetType: "COST",
      limitAmount: config.monthlyBudgetUsd.toFixed(2),
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      notifications: [
        {
          comparisonOperator: "GREATER_THAN",
          threshold: 80,
          thresholdType: "PERCENTAGE",
          notificationType: "ACTUAL",
          subscriberEmailAddresses: config.alarmEmails,
        },
        {
          comparisonOperator: "GREATER_THAN",
          threshold: 100,
          thresholdType: "PERCENTAGE",
          notificationType: "FORECASTED",
          subscriberEmailAddresses: config.alarmEmails,
        },
      ],
    });
  }

  // One setting per account and region: without it AWS refuses the WebSocket stage's access logging.
  const apiGatewayAccount =
    config.apiGatewayCloudWatchRole && config.services.includes("notifications")
      ? new ApiGatewayAccount("switchyard-apigateway")
      : undefined;

  const alarmTopicKeyArn = (dataKey ?? alarmTopic.key)?.arn;
  if (!alarmTopicKeyArn)
    throw new PlatformError(
      "The alarm topic has no customer-managed key; CloudWatch could not publish to it.",
    );
  const args: PlatformArgs = {
    alarmTopicArn: alarmTopic.arn,
    ...(dataKey ? { kmsKeyArn: dataKey.arn, kmsKeyServices: dataKey.services } : {}),
    logRetentionDays: config.logRetentionDays,
    memorySize: config.functions.memorySize,
    maximumConcurrency: config.functions.maximumConcurrency,
    maxReceiveCount: config.queues.maxReceiveCount,
    oldestMessageAgeAlarmSeconds: config.queues.oldestMessageAgeAlarmSeconds,
    deletionProtection: config.deletionProtection,
    pointInTimeRecovery: config.pointInTimeRecovery,
    tracing: config.functions.tracing,
  };
  return {
    config,
    alarmTopic,
    dataKey,
    dataKeyArn: dataKey?.arn,
    alarmTopicKeyArn,
    apiGatewayAccount,
    args,
  };
}
