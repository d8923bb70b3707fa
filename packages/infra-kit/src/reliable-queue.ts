import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarm";
import { SQS } from "./constants";
import { LateList } from "./late";
import { type ServiceSource, servicePolicy } from "./policy";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export interface ReliableQueueArgs {
  /**
   * The ops topic the queue's alarms notify (see AlarmTopic).
   */
  alarmTopicArn: pulumi.Input<string>;
  /**
   * A FIFO queue (with a FIFO dead-letter queue).
   * @default false
   */
  fifo?: boolean;
  /**
   * FIFO only: deduplicate by a SHA-256 of the body when the sender gives no deduplication id.
   * @default false
   */
  contentBasedDeduplication?: boolean;
  /**
   * FIFO only: whether deduplication ids are unique per queue or per message group.
   * @default "queue"
   */
  deduplicationScope?: "queue" | "messageGroup";
  /**
   * FIFO only: whether the throughput quota applies per queue or per message group (high throughput mode
   * needs "perMessageGroupId" with deduplicationScope "messageGroup").
   * @default "perQueue"
   */
  fifoThroughputLimit?: "perQueue" | "perMessageGroupId";
  /**
   * Visibility timeout in seconds. A QueueConsumer raises it to 6 x its function's timeout plus the batching
   * window; an explicit value below that makes the consumer refuse.
   * @default 30
   */
  visibilityTimeoutSeconds?: number;
  /**
   * How long an unconsumed message is kept, in seconds (60 to 1209600).
   * @default 345600 (4 days)
   */
  retentionSeconds?: number;
  /**
   * Delivery delay for every message, in seconds (0 to 900).
   * @default 0
   */
  delaySeconds?: number;
  /**
   * Long-polling wait for receives, in seconds (0 to 20).
   * @default 20
   */
  receiveWaitTimeSeconds?: number;
  /**
   * Largest message accepted, in bytes (1024 to 1048576).
   * @default 1048576 (1 MiB, the SQS maximum; the provider's own default is 256 KiB)
   */
  maxMessageSizeBytes?: number;
  /**
   * Receives before a message moves to the dead-letter queue (1 to 1000).
   * @default 5
   */
  maxReceiveCount?: number;
  /**
   * How long the dead-letter queue keeps messages, in seconds.
   * @default 1209600 (14 days, the SQS maximum)
   */
  deadLetterRetentionSeconds?: number;
  /**
   * A customer-managed KMS key for encryption at rest. Senders that are AWS services need the key policy to
   * allow them (EncryptionKey does).
   * @default undefined (SQS-managed server-side encryption)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Threshold of the alarm on the age of the oldest message, in seconds.
   * @default 900
   */
  oldestMessageAgeAlarmSeconds?: number;
  /**
   * AWS services allowed to send, each from exactly one source. More can be added with `allowSend()`.
   * @default []
   */
  senders?: ServiceSource[];
  /** Changes to the underlying resources. @default {} */
  transform?: {
    queue?: Transform<aws.sqs.QueueArgs>;
    deadLetterQueue?: Transform<aws.sqs.QueueArgs>;
    queuePolicy?: Transform<aws.sqs.QueuePolicyArgs>;
    deadLetterQueuePolicy?: Transform<aws.sqs.QueuePolicyArgs>;
    redriveAllowPolicy?: Transform<aws.sqs.RedriveAllowPolicyArgs>;
    deadLetterAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    ageAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * An SQS queue that loses nothing: a dead-letter queue of the same kind with a redrive policy,
 * encryption at rest, TLS-only access, one merged policy per queue in which every AWS service
 * sender is pinned to its source ARN, and alarms on dead letters and on stale messages.
 */
export class ReliableQueue extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:ReliableQueue";
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly queuePolicy: aws.sqs.QueuePolicy;
  readonly deadLetterQueuePolicy: aws.sqs.QueuePolicy;
  readonly deadLetterAlarm: aws.cloudwatch.MetricAlarm;
  readonly ageAlarm: aws.cloudwatch.MetricAlarm;
  readonly arn: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly queueName: pulumi.Output<string>;
  readonly deadLetterArn: pulumi.Output<string>;
  readonly deadLetterUrl: pulumi.Output<string>;
  readonly fifo: boolean;
  readonly maxReceiveCount: number;
  readonly kmsKeyArn: pulumi.Input<string> | undefined;
  /** The ops topic of the queue's alarms (components delivering into the queue alarm there too). */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** The visibility timeout the caller set explicitly, if any. */
  readonly explicitVisibilityTimeout: number | undefined;
  private readonly check: ArgChecker;
  private readonly senders: LateList<ServiceSource>;
  private readonly deadLetterSenders: LateList<ServiceSource>;
  private readonly visibilityNeeds: LateList<number>;

  constructor(name: string, args: ReliableQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ReliableQueue.type, name, {}, opts);
    const check = new ArgChecker(ReliableQueue.type, name);
    this.check = check;
    if (name.length > 40)
      check.fail("name", `must be at most 40 characters to leave room for suffixes (got ${name.length})`);
    if (args.alarmTopicArn === undefined) {
      check.fail("alarmTopicArn", "is required: every queue alarms on its dead letters (got undefined)");
    }
    this.alarmTopicArn = args.alarmTopicArn;
    this.fifo = args.fifo ?? false;
    if (!this.fifo) {
      for (const fifoOnly of [
        "contentBasedDeduplication",
        "deduplicationScope",
        "fifoThroughputLimit",
      ] as const) {
        if (args[fifoOnly] !== undefined) {
          check.fail(
            fifoOnly,
            `applies to FIFO queues only; set fifo: true (got ${JSON.stringify(args[fifoOnly])})`,
          );
        }
      }
    }
    const dedupScope = check.oneOf(
      "deduplicationScope",
      args.deduplicationScope,
      ["queue", "messageGroup"],
      "queue",
    );
    const throughput = check.oneOf(
      "fifoThroughputLimit",
      args.fifoThroughputLimit,
      ["perQueue", "perMessageGroupId"],
      "perQueue",
    );
    if (throughput === "perMessageGroupId" && dedupScope !== "messageGroup") {
      check.fail(
        "fifoThroughputLimit",
        `"perMessageGroupId" needs deduplicationScope "messageGroup" (got deduplicationScope "${dedupScope}")`,
      );
    }
    this.explicitVisibilityTimeout = check.int(
      "visibilityTimeoutSeconds",
      args.visibilityTimeoutSeconds,
      0,
      SQS.maxVisibilitySeconds,
    );
    const retention = check.int(
      "retentionSeconds",
      args.retentionSeconds,
      SQS.minRetentionSeconds,
      SQS.maxRetentionSeconds,
      345_600,
    );
    const delay = check.int("delaySeconds", args.delaySeconds, 0, SQS.maxDelaySeconds, 0);
    const wait = check.int("receiveWaitTimeSeconds", args.receiveWaitTimeSeconds, 0, SQS.maxWaitSeconds, 20);
    const maxSize = check.int(
      "maxMessageSizeBytes",
      args.maxMessageSizeBytes,
      1024,
      SQS.maxMessageBytes,
      SQS.maxMessageBytes,
    );
    this.maxReceiveCount = check.int("maxReceiveCount", args.maxReceiveCount, 1, 1000, 5);
    const dlqRetention = check.int(
      "deadLetterRetentionSeconds",
      args.deadLetterRetentionSeconds,
      SQS.minRetentionSeconds,
      SQS.maxRetentionSeconds,
      SQS.maxRetentionSeconds,
    );
    if (dlqRetention < retention) {
      // SQS keeps a message's original enqueue timestamp when it moves to the DLQ.
      check.fail(
        "deadLetterRetentionSeconds",
        `must be at least retentionSeconds (${retention}): a dead letter keeps its original enqueue time (got ${dlqRetention})`,
      );
    }
    const ageThreshold = check.int(
      "oldestMessageAgeAlarmSeconds",
      args.oldestMessageAgeAlarmSeconds,
      60,
      retention,
      Math.min(900, retention),
    );
    if (typeof args.kmsKeyArn === "string" && !KMS_KEY_ARN.test(args.kmsKeyArn)) {
      // The consumer's kms:Decrypt grant names the key; IAM matches key ARNs, not aliases or ids, and the
      // AWS-managed alias/aws/sqs cannot be used by the AWS services that send here.
      check.fail(
        "kmsKeyArn",
        `must be the ARN of a customer-managed key (arn:aws:kms:<region>:<account>:key/<id>); omit it for SQS-managed encryption (got ${args.kmsKeyArn})`,
      );
    }
    this.kmsKeyArn = args.kmsKeyArn;

    this.senders = new LateList(`${ReliableQueue.type} "${name}" senders`, args.senders ?? []);
    this.deadLetterSenders = new LateList(`${ReliableQueue.type} "${name}" dead-letter senders`);
    this.visibilityNeeds = new LateList(`${ReliableQueue.type} "${name}" visibility timeout`);

    const encryption = args.kmsKeyArn
      ? { kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }
      : { sqsManagedSseEnabled: true };
    const fifoArgs = this.fifo
      ? {
          fifoQueue: true,
          contentBasedDeduplication: args.contentBasedDeduplication ?? false,
          deduplicationScope: dedupScope,
          fifoThroughputLimit: throughput,
        }
      : {};
    // FIFO names must end in ".fifo"; the provider adds it to generated names when a prefix is given.
    const naming = (suffix: string) => (this.fifo ? { namePrefix: `${name}${suffix}-` } : {});

    this.deadLetterQueue = new aws.sqs.Queue(
      ...applyTransform(
        args.transform?.deadLetterQueue,
        `${name}-dlq`,
        {
          ...naming("-dlq"),
          ...encryption,
          ...(this.fifo ? { fifoQueue: true } : {}),
          messageRetentionSeconds: dlqRetention,
          maxMessageSize: maxSize,
        },
        { parent: this },
      ),
    );

    const base = this.explicitVisibilityTimeout ?? 30;
    this.queue = new aws.sqs.Queue(
      ...applyTransform(
        args.transform?.queue,
        `${name}-queue`,
        {
          ...naming(""),
          ...encryption,
          ...fifoArgs,
          visibilityTimeoutSeconds: this.visibilityNeeds.output.apply((needs) => Math.max(base, ...needs)),
          messageRetentionSeconds: retention,
          delaySeconds: delay,
          receiveWaitTimeSeconds: wait,
          maxMessageSize: maxSize,
          redrivePolicy: pulumi.jsonStringify({
            deadLetterTargetArn: this.deadLetterQueue.arn,
            maxReceiveCount: this.maxReceiveCount,
          }),
        },
        { parent: this },
      ),
    );

    // Only this queue may use the DLQ as its dead-letter target.
    new aws.sqs.RedriveAllowPolicy(
      ...applyTransform(
        args.transform?.redriveAllowPolicy,
        `${name}-dlq-redrive-allow`,
        {
          queueUrl: this.deadLetterQueue.url,
          redriveAllowPolicy: pulumi.jsonStringify({
            redrivePermission: "byQueue",
            sourceQueueArns: [this.queue.arn],
          }),
        },
        { parent: this },
      ),
    );

    this.queuePolicy = new aws.sqs.QueuePolicy(
      ...applyTransform(
        args.transform?.queuePolicy,
        `${name}-queue-policy`,
        { queueUrl: this.queue.url, policy: this.policyFor(this.queue.arn, this.senders) },
        { parent: this },
      ),
    );
    this.deadLetterQueuePolicy = new aws.sqs.QueuePolicy(
      ...applyTransform(
        args.transform?.deadLetterQueuePolicy,
        `${name}-dlq-policy`,
        {
          queueUrl: this.deadLetterQueue.url,
          policy: this.policyFor(this.deadLetterQueue.arn, this.deadLetterSenders),
        },
        { parent: this },
      ),
    );

    this.deadLetterAlarm = metricAlarm(
      `${name}-dlq-alarm`,
      {
        alarmTopicArn: args.alarmTopicArn,
        alarmDescription: `${name}: messages in the dead-letter queue. Inspect them, fix the cause, then redrive.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: this.deadLetterQueue.name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
      { parent: this },
      args.transform?.deadLetterAlarm,
    );
    this.ageAlarm = metricAlarm(
      `${name}-age-alarm`,
      {
        alarmTopicArn: args.alarmTopicArn,
        alarmDescription: `${name}: the oldest message is older than ${ageThreshold} s; consumers are stuck or too slow.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: this.queue.name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: ageThreshold,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
      { parent: this },
      args.transform?.ageAlarm,
    );

    this.arn = this.queue.arn;
    this.url = this.queue.url;
    this.queueName = this.queue.name;
    this.deadLetterArn = this.deadLetterQueue.arn;
    this.deadLetterUrl = this.deadLetterQueue.url;
    this.registerOutputs({
      arn: this.arn,
      url: this.url,
      name: this.queueName,
      deadLetterArn: this.deadLetterArn,
      deadLetterUrl: this.deadLetterUrl,
    });
  }

  /** Lets an AWS service send to the queue, from exactly one source (topic, rule, bucket). */
  allowSend(source: ServiceSource): void {
    this.senders.add(source);
  }

  /** Lets an AWS service dead-letter into the DLQ (SNS subscription and EventBridge target DLQs). */
  allowDeadLetterSend(source: ServiceSource): void {
    this.deadLetterSenders.add(source);
  }

  /**
   * Raises the visibility timeout to at least `seconds`; refuses when the caller fixed a lower value,
   * because a message would become visible again while a consumer still works on it.
   */
  requireVisibilityTimeout(seconds: number, reason: string): void {
    if (seconds > SQS.maxVisibilitySeconds) {
      this.check.fail(
        "visibilityTimeoutSeconds",
        `must be at most ${SQS.maxVisibilitySeconds} s (the SQS maximum), but ${reason} needs more (got ${seconds})`,
      );
    }
    if (this.explicitVisibilityTimeout !== undefined && this.explicitVisibilityTimeout < seconds) {
      this.check.fail(
        "visibilityTimeoutSeconds",
        `must be at least ${seconds} s: ${reason} (got ${this.explicitVisibilityTimeout})`,
      );
    }
    this.visibilityNeeds.add(seconds);
  }

  private policyFor(arn: pulumi.Output<string>, senders: LateList<ServiceSource>): pulumi.Output<string> {
    return servicePolicy("sqs", "sqs:SendMessage", arn, senders.output);
  }
}
