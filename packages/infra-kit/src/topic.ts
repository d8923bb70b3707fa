import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarm";
import { LateList } from "./late";
import { type ServiceSource, servicePolicy } from "./policy";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

/** The key SNS uses when no customer-managed key is given. */
export const AWS_MANAGED_SNS_KEY = "alias/aws/sns";

/** True for the AWS-managed SNS key, given as its alias name or its alias ARN. */
export function isAwsManagedSnsKey(key: pulumi.Input<string> | undefined): boolean {
  return (
    key === undefined ||
    (typeof key === "string" && (key === AWS_MANAGED_SNS_KEY || key.endsWith(`:${AWS_MANAGED_SNS_KEY}`)))
  );
}

export interface TopicArgs {
  /**
   * A FIFO topic (strict ordering per message group, deduplication).
   * @default false
   */
  fifo?: boolean;
  /**
   * FIFO only: deduplicate by a SHA-256 of the body when the publisher gives no deduplication id.
   * @default false
   */
  contentBasedDeduplication?: boolean;
  /**
   * FIFO only: throughput and deduplication per topic or per message group.
   * @default "Topic"
   */
  fifoThroughputScope?: "Topic" | "MessageGroup";
  /**
   * KMS key for encryption at rest. The AWS-managed key works for publishers in this account but not for AWS
   * services (S3, EventBridge, CloudWatch); those need a customer-managed key that allows them (EncryptionKey).
   * @default "alias/aws/sns"
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * AWS services allowed to publish, each from exactly one source. More can be added with `allowPublish()`.
   * @default []
   */
  publishers?: ServiceSource[];
  /** Display name (shown in e-mail notifications). @default undefined */
  displayName?: string;
  /**
   * The ops topic of an alarm on `NumberOfNotificationsFailed` (deliveries SNS gave up on: a subscriber's queue
   * refused, a key denied, a function failed). Leave it out only for the ops topic itself.
   * @default undefined (no alarm)
   */
  alarmTopicArn?: pulumi.Input<string>;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    topic?: Transform<aws.sns.TopicArgs>;
    policy?: Transform<aws.sns.TopicPolicyArgs>;
    failedAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * An encrypted SNS topic whose single topic policy denies publishing without TLS and lets each
 * AWS service publish only from its one declared source.
 */
export class Topic extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:Topic";
  readonly topic: aws.sns.Topic;
  readonly policy: aws.sns.TopicPolicy;
  readonly failedAlarm: aws.cloudwatch.MetricAlarm | undefined;
  readonly arn: pulumi.Output<string>;
  readonly topicName: pulumi.Output<string>;
  readonly fifo: boolean;
  readonly customerManagedKey: boolean;
  private readonly check: ArgChecker;
  private readonly publishers: LateList<ServiceSource>;
  private readonly keyName: string;

  constructor(name: string, args: TopicArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(Topic.type, name, {}, opts);
    const check = new ArgChecker(Topic.type, name);
    this.check = check;
    this.fifo = args.fifo ?? false;
    if (!this.fifo) {
      for (const fifoOnly of ["contentBasedDeduplication", "fifoThroughputScope"] as const) {
        if (args[fifoOnly] !== undefined) {
          check.fail(
            fifoOnly,
            `applies to FIFO topics only; set fifo: true (got ${JSON.stringify(args[fifoOnly])})`,
          );
        }
      }
    }
    const scope = check.oneOf(
      "fifoThroughputScope",
      args.fifoThroughputScope,
      ["Topic", "MessageGroup"],
      "Topic",
    );
    this.customerManagedKey = !isAwsManagedSnsKey(args.kmsKeyArn);
    this.keyName = typeof args.kmsKeyArn === "string" ? args.kmsKeyArn : AWS_MANAGED_SNS_KEY;
    this.publishers = new LateList(`${Topic.type} "${name}" publishers`);
    for (const publisher of args.publishers ?? []) this.allowPublish(publisher);

    this.topic = new aws.sns.Topic(
      ...applyTransform(
        args.transform?.topic,
        `${name}-topic`,
        {
          kmsMasterKeyId: args.kmsKeyArn ?? AWS_MANAGED_SNS_KEY,
          ...(args.displayName ? { displayName: args.displayName } : {}),
          ...(this.fifo
            ? {
                namePrefix: `${name}-`,
                fifoTopic: true,
                contentBasedDeduplication: args.contentBasedDeduplication ?? false,
                fifoThroughputScope: scope,
              }
            : {}),
        },
        { parent: this },
      ),
    );
    const arn = this.topic.arn;
    this.policy = new aws.sns.TopicPolicy(
      ...applyTransform(
        args.transform?.policy,
        `${name}-policy`,
        {
          arn,
          policy: servicePolicy("sns", "sns:Publish", arn, this.publishers.output),
        },
        { parent: this },
      ),
    );
    this.arn = arn;
    this.topicName = this.topic.name;
    this.failedAlarm =
      args.alarmTopicArn === undefined
        ? undefined
        : metricAlarm(
            `${name}-failed-alarm`,
            {
              alarmTopicArn: args.alarmTopicArn,
              alarmDescription: `${name}: SNS failed to deliver notifications to a subscriber (after its retries); see the subscription's DLQ and the delivery logs.`,
              namespace: "AWS/SNS",
              metricName: "NumberOfNotificationsFailed",
              dimensions: { TopicName: this.topic.name },
              statistic: "Sum",
              period: 300,
              evaluationPeriods: 1,
              threshold: 1,
              comparisonOperator: "GreaterThanOrEqualToThreshold",
            },
            { parent: this },
            args.transform?.failedAlarm,
          );
    this.registerOutputs({ arn: this.arn, name: this.topicName });
  }

  /**
   * Lets an AWS service publish from exactly one source. Refuses when the topic is encrypted with the
   * AWS-managed key, which AWS services cannot use: their messages would be dropped without an error.
   */
  allowPublish(source: ServiceSource): void {
    if (!this.customerManagedKey) {
      this.check.fail(
        "kmsKeyArn",
        `must be a customer-managed key that allows ${source.service}, which cannot use the AWS-managed key: its messages would be dropped without an error (got ${this.keyName})`,
      );
    }
    this.publishers.add(source);
  }
}
