import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { AlarmTopic, EncryptionKey } from "@switchyard/infra-kit";
import type { StackConfig } from "./config";

/** What every service component receives from the root stack. */
export interface Platform {
  config: StackConfig;
  /** The ops topic every alarm notifies. */
  alarmTopic: AlarmTopic;
  /**
   * The customer-managed key for queues and topics (when `customerManagedKeys` is on); it lets SNS,
   * EventBridge, S3 and CloudWatch encrypt for this account's resources only.
   */
  dataKey: EncryptionKey | undefined;
  /** `dataKey`'s ARN, or undefined for AWS-owned encryption. */
  dataKeyArn: pulumi.Output<string> | undefined;
  /** The customer-managed key of the alarm topic (its own, or `dataKey`): publishers need GenerateDataKey on it. */
  alarmTopicKeyArn: pulumi.Output<string>;
}

/** The shared layer under every service: encryption key, ops alarm topic, cost budget. */
export function createPlatform(config: StackConfig): Platform {
  const dataKey = config.customerManagedKeys
    ? new EncryptionKey("switchyard-data", {
        services: [
          "sns.amazonaws.com",
          "events.amazonaws.com",
          "s3.amazonaws.com",
          "cloudwatch.amazonaws.com",
        ],
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

  const alarmTopicKeyArn = (dataKey ?? alarmTopic.key)?.arn;
  if (!alarmTopicKeyArn)
    throw new Error("The alarm topic has no customer-managed key; CloudWatch could not publish to it.");
  return { config, alarmTopic, dataKey, dataKeyArn: dataKey?.arn, alarmTopicKeyArn };
}
