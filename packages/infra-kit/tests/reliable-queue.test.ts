import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AlarmTopic,
  EventRuleQueueTarget,
  LateBindingError,
  ReliableQueue,
  type ReliableQueueArgs,
  Topic,
  TopicQueueSubscription,
} from "../src/index";
import {
  ALARM_TOPIC_ARN,
  argDocProblems,
  jsonOf,
  KEY_ARN,
  mark,
  ownershipProblems,
  type Statement,
  statementsOf,
  tlsDeny,
} from "./helpers";

const BUS = { name: "orders-bus", arn: "arn:aws:events:us-east-1:123456789012:event-bus/orders-bus" };

let mocks: PulumiMocks;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

/** The queue, DLQ and policies ReliableQueue `name` created. */
async function recorded(name: string) {
  return {
    queue: await mocks.findResource("aws:sqs/queue:Queue", `${name}-queue`),
    dlq: await mocks.findResource("aws:sqs/queue:Queue", `${name}-dlq`),
    queuePolicy: await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", `${name}-queue-policy`),
    dlqPolicy: await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", `${name}-dlq-policy`),
  };
}

/** An allow statement for `sqs:SendMessage` by `service`, pinned to `sourceArn`. */
function sendFrom(sid: string, service: string, sourceArn: unknown, resource: unknown): Statement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sqs:SendMessage",
    Resource: resource as string,
    Condition: { ArnLike: { "aws:SourceArn": sourceArn } },
  };
}

describe("ReliableQueue defaults", () => {
  beforeAll(() => {
    new ReliableQueue("plain", { alarmTopicArn: ALARM_TOPIC_ARN });
  });

  it("creates a standard queue with SSE-SQS, 1 MiB messages, 4-day retention, 20 s long polling and 30 s visibility", async () => {
    const { queue } = await recorded("plain");

    expect(queue.inputs).toEqual({
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: 30,
      messageRetentionSeconds: 345_600,
      delaySeconds: 0,
      receiveWaitTimeSeconds: 20,
      maxMessageSize: 1_048_576,
      redrivePolicy: expect.any(String),
    });
  });

  it("redrives to its DLQ after 5 receives", async () => {
    const { queue, dlq } = await recorded("plain");

    expect(jsonOf(queue, "redrivePolicy")).toEqual({
      deadLetterTargetArn: dlq.outputs.arn,
      maxReceiveCount: 5,
    });
  });

  it("keeps dead letters 14 days in a DLQ encrypted the same way", async () => {
    const { dlq } = await recorded("plain");

    expect(dlq.inputs).toEqual({
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 1_209_600,
      maxMessageSize: 1_048_576,
    });
  });

  it("lets only its own queue use the DLQ as a dead-letter target", async () => {
    const { queue, dlq } = await recorded("plain");
    const allow = await mocks.findResource(
      "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
      "plain-dlq-redrive-allow",
    );

    expect(allow.inputs.queueUrl).toBe(dlq.outputs.url);
    expect(jsonOf(allow, "redriveAllowPolicy")).toEqual({
      redrivePermission: "byQueue",
      sourceQueueArns: [queue.outputs.arn],
    });
  });

  it("gives each queue one policy that denies every request without TLS", async () => {
    const { queue, dlq, queuePolicy, dlqPolicy } = await recorded("plain");

    expect(queuePolicy.inputs.queueUrl).toBe(queue.outputs.url);
    expect(statementsOf(queuePolicy)).toEqual([tlsDeny("sqs:*", String(queue.outputs.arn))]);
    expect(dlqPolicy.inputs.queueUrl).toBe(dlq.outputs.url);
    expect(statementsOf(dlqPolicy)).toEqual([tlsDeny("sqs:*", String(dlq.outputs.arn))]);
  });

  it("alarms the alarm topic as soon as one message is in the DLQ", async () => {
    const { dlq } = await recorded("plain");
    const alarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "plain-dlq-alarm");

    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: dlq.outputs.name },
      statistic: "Maximum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [ALARM_TOPIC_ARN],
      okActions: [ALARM_TOPIC_ARN],
    });
  });

  it("alarms the alarm topic when the oldest message is 15 minutes old", async () => {
    const { queue } = await recorded("plain");
    const alarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "plain-age-alarm");

    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queue.outputs.name },
      threshold: 900,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      alarmActions: [ALARM_TOPIC_ARN],
      okActions: [ALARM_TOPIC_ARN],
    });
  });

  it("parents every child and names it from the component", async () => {
    const since = await mark(mocks);

    new ReliableQueue("owned", { alarmTopicArn: ALARM_TOPIC_ARN });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    const component = await mocks.findResource(ReliableQueue.type, "owned");
    expect((await mocks.childrenOf(component)).map((c) => c.name).sort()).toEqual([
      "owned-age-alarm",
      "owned-dlq",
      "owned-dlq-alarm",
      "owned-dlq-policy",
      "owned-dlq-redrive-allow",
      "owned-queue",
      "owned-queue-policy",
    ]);
  });

  it("documents every arg, with @default on the optional ones", () => {
    expect(argDocProblems("reliable-queue.ts", "ReliableQueueArgs")).toEqual([]);
  });
});

describe("ReliableQueue kinds and encryption", () => {
  it("pairs a FIFO queue with a FIFO DLQ, both named .fifo", async () => {
    // Act
    new ReliableQueue("ordered", { alarmTopicArn: ALARM_TOPIC_ARN, fifo: true });

    // Assess
    const { queue, dlq } = await recorded("ordered");
    expect(queue.inputs).toMatchObject({
      fifoQueue: true,
      contentBasedDeduplication: false,
      deduplicationScope: "queue",
      fifoThroughputLimit: "perQueue",
    });
    expect(dlq.inputs.fifoQueue).toBe(true);
    expect(queue.outputs.name).toMatch(/^ordered-.+\.fifo$/);
    expect(dlq.outputs.name).toMatch(/^ordered-dlq-.+\.fifo$/);
    expect(jsonOf(queue, "redrivePolicy")).toEqual({
      deadLetterTargetArn: dlq.outputs.arn,
      maxReceiveCount: 5,
    });
    expect(String(dlq.outputs.arn)).toMatch(/\.fifo$/);
  });

  it("passes the FIFO high-throughput settings through", async () => {
    new ReliableQueue("fast", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      fifo: true,
      contentBasedDeduplication: true,
      deduplicationScope: "messageGroup",
      fifoThroughputLimit: "perMessageGroupId",
    });

    const { queue } = await recorded("fast");
    expect(queue.inputs).toMatchObject({
      contentBasedDeduplication: true,
      deduplicationScope: "messageGroup",
      fifoThroughputLimit: "perMessageGroupId",
    });
  });

  it("encrypts both queues with a customer-managed key when given one", async () => {
    new ReliableQueue("sealed", { alarmTopicArn: ALARM_TOPIC_ARN, kmsKeyArn: KEY_ARN });

    const { queue, dlq } = await recorded("sealed");
    for (const recordedQueue of [queue, dlq]) {
      expect(recordedQueue.inputs).toMatchObject({
        kmsMasterKeyId: KEY_ARN,
        kmsDataKeyReusePeriodSeconds: 300,
      });
      expect(recordedQueue.inputs).not.toHaveProperty("sqsManagedSseEnabled");
    }
  });

  it("deploys every tuning arg as given", async () => {
    new ReliableQueue("tuned", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      visibilityTimeoutSeconds: 120,
      retentionSeconds: 86_400,
      delaySeconds: 10,
      receiveWaitTimeSeconds: 5,
      maxMessageSizeBytes: 262_144,
      maxReceiveCount: 3,
      deadLetterRetentionSeconds: 604_800,
      oldestMessageAgeAlarmSeconds: 300,
    });

    const { queue, dlq } = await recorded("tuned");
    const ageAlarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "tuned-age-alarm");
    expect(queue.inputs).toMatchObject({
      visibilityTimeoutSeconds: 120,
      messageRetentionSeconds: 86_400,
      delaySeconds: 10,
      receiveWaitTimeSeconds: 5,
      maxMessageSize: 262_144,
    });
    expect(jsonOf(queue, "redrivePolicy")).toMatchObject({ maxReceiveCount: 3 });
    expect(dlq.inputs).toMatchObject({ messageRetentionSeconds: 604_800, maxMessageSize: 262_144 });
    expect(ageAlarm.inputs.threshold).toBe(300);
  });

  it("lowers the default age alarm to the retention when messages live less than 15 minutes", async () => {
    new ReliableQueue("brief", { alarmTopicArn: ALARM_TOPIC_ARN, retentionSeconds: 600 });

    const ageAlarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "brief-age-alarm");
    expect(ageAlarm.inputs.threshold).toBe(600);
  });
});

describe("ReliableQueue policy merging", () => {
  it("merges two topics and one rule into one queue policy: TLS deny plus one statement per sender", async () => {
    // Prepare
    const queue = new ReliableQueue("merged", { alarmTopicArn: ALARM_TOPIC_ARN });
    const created = new Topic("merged-created");
    const cancelled = new Topic("merged-cancelled");

    // Act
    new TopicQueueSubscription("merged-created-sub", { topic: created, queue });
    new TopicQueueSubscription("merged-cancelled-sub", { topic: cancelled, queue });
    new EventRuleQueueTarget("merged-rule", { bus: BUS, pattern: { source: ["orders"] }, queue });

    // Assess
    const { queue: recordedQueue, queuePolicy } = await recorded("merged");
    const policies = await mocks.resourcesOfType("aws:sqs/queuePolicy:QueuePolicy");
    const createdTopic = await mocks.findResource("aws:sns/topic:Topic", "merged-created-topic");
    const cancelledTopic = await mocks.findResource("aws:sns/topic:Topic", "merged-cancelled-topic");
    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "merged-rule-rule");
    const arn = recordedQueue.outputs.arn;
    expect(policies.filter((p) => p.inputs.queueUrl === recordedQueue.outputs.url)).toEqual([queuePolicy]);
    expect(statementsOf(queuePolicy)).toEqual([
      tlsDeny("sqs:*", String(arn)),
      sendFrom("AllowSns1", "sns.amazonaws.com", createdTopic.outputs.arn, arn),
      sendFrom("AllowSns2", "sns.amazonaws.com", cancelledTopic.outputs.arn, arn),
      sendFrom("AllowEvents3", "events.amazonaws.com", rule.outputs.arn, arn),
    ]);
  });

  it("gives the DLQ policy the subscriptions' and targets' dead-letter senders", async () => {
    const { dlq, dlqPolicy } = await recorded("merged");
    const createdTopic = await mocks.findResource("aws:sns/topic:Topic", "merged-created-topic");
    const cancelledTopic = await mocks.findResource("aws:sns/topic:Topic", "merged-cancelled-topic");
    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "merged-rule-rule");
    const arn = dlq.outputs.arn;

    expect(statementsOf(dlqPolicy)).toEqual([
      tlsDeny("sqs:*", String(arn)),
      sendFrom("AllowSns1", "sns.amazonaws.com", createdTopic.outputs.arn, arn),
      sendFrom("AllowSns2", "sns.amazonaws.com", cancelledTopic.outputs.arn, arn),
      sendFrom("AllowEvents3", "events.amazonaws.com", rule.outputs.arn, arn),
    ]);
  });

  it("takes senders from args and from allowSend(), adding aws:SourceAccount when given", async () => {
    // Prepare
    const bucket = "arn:aws:s3:::uploads";
    const queue = new ReliableQueue("declared", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      senders: [{ service: "s3.amazonaws.com", sourceArn: bucket, sourceAccount: "123456789012" }],
    });

    // Act
    queue.allowSend({ service: "sns.amazonaws.com", sourceArn: "arn:aws:sns:us-east-1:123456789012:t" });

    // Assess
    const { queuePolicy, queue: recordedQueue } = await recorded("declared");
    const arn = recordedQueue.outputs.arn;
    expect(statementsOf(queuePolicy)).toEqual([
      tlsDeny("sqs:*", String(arn)),
      {
        ...sendFrom("AllowS31", "s3.amazonaws.com", bucket, arn),
        Condition: {
          ArnLike: { "aws:SourceArn": bucket },
          StringEquals: { "aws:SourceAccount": "123456789012" },
        },
      },
      sendFrom("AllowSns2", "sns.amazonaws.com", "arn:aws:sns:us-east-1:123456789012:t", arn),
    ]);
  });

  it("sends its alarms to an AlarmTopic", async () => {
    const alarms = new AlarmTopic("merged-ops");

    new ReliableQueue("watched", { alarmTopicArn: alarms.arn });

    const topic = await mocks.findResource("aws:sns/topic:Topic", "merged-ops-ops-topic");
    for (const name of ["watched-dlq-alarm", "watched-age-alarm"]) {
      const alarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", name);
      expect(alarm.inputs.alarmActions).toEqual([topic.outputs.arn]);
    }
  });

  it("throws LateBindingError for a sender added after the program declared its resources", async () => {
    const queue = new ReliableQueue("late", { alarmTopicArn: ALARM_TOPIC_ARN });
    await mocks.settle();

    const late = () =>
      queue.allowSend({ service: "sns.amazonaws.com", sourceArn: "arn:aws:sns:us-east-1:123456789012:t" });

    expect(late).toThrow(LateBindingError);
    expect(late).toThrow(
      /ReliableQueue "late" senders: cannot add after the program finished declaring resources/,
    );
    expect(() => queue.requireVisibilityTimeout(60, "a late consumer")).toThrow(LateBindingError);
  });
});

describe("ReliableQueue visibility timeout", () => {
  it("raises the visibility timeout to the largest need and keeps an explicit higher value", async () => {
    const raised = new ReliableQueue("raised", { alarmTopicArn: ALARM_TOPIC_ARN });
    const kept = new ReliableQueue("kept", { alarmTopicArn: ALARM_TOPIC_ARN, visibilityTimeoutSeconds: 900 });

    raised.requireVisibilityTimeout(120, "consumer a");
    raised.requireVisibilityTimeout(300, "consumer b");
    raised.requireVisibilityTimeout(60, "consumer c");
    kept.requireVisibilityTimeout(300, "consumer d");

    expect((await recorded("raised")).queue.inputs.visibilityTimeoutSeconds).toBe(300);
    expect((await recorded("kept")).queue.inputs.visibilityTimeoutSeconds).toBe(900);
  });

  it("refuses a need above the SQS maximum of 12 hours", () => {
    const queue = new ReliableQueue("long", { alarmTopicArn: ALARM_TOPIC_ARN });

    expect(() => queue.requireVisibilityTimeout(43_201, "a slow consumer")).toThrow(
      /switchyard:kit:ReliableQueue "long": visibilityTimeoutSeconds must be at most 43200 s \(the SQS maximum\), but a slow consumer needs more \(got 43201\)/,
    );
  });

  it("refuses a need above an explicit lower value", () => {
    const queue = new ReliableQueue("short", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      visibilityTimeoutSeconds: 60,
    });

    expect(() => queue.requireVisibilityTimeout(180, "consumer e")).toThrow(
      /ReliableQueue "short": visibilityTimeoutSeconds must be at least 180 s: consumer e \(got 60\)/,
    );
  });
});

describe("ReliableQueue validation", () => {
  it.each<[string, Partial<ReliableQueueArgs>, RegExp]>([
    [
      "no alarm topic",
      { alarmTopicArn: undefined },
      /ReliableQueue "orders": alarmTopicArn is required: every queue alarms on its dead letters \(got undefined\)/,
    ],
    [
      "maxReceiveCount 0",
      { maxReceiveCount: 0 },
      /ReliableQueue "orders": maxReceiveCount must be an integer from 1 to 1000 \(got 0\)/,
    ],
    [
      "maxReceiveCount 1001",
      { maxReceiveCount: 1001 },
      /ReliableQueue "orders": maxReceiveCount must be an integer from 1 to 1000 \(got 1001\)/,
    ],
    [
      "a fractional maxReceiveCount",
      { maxReceiveCount: 2.5 },
      /ReliableQueue "orders": maxReceiveCount must be an integer from 1 to 1000 \(got 2\.5\)/,
    ],
    [
      "retention under a minute",
      { retentionSeconds: 59 },
      /ReliableQueue "orders": retentionSeconds must be an integer from 60 to 1209600 \(got 59\)/,
    ],
    [
      "retention over 14 days",
      { retentionSeconds: 1_209_601 },
      /ReliableQueue "orders": retentionSeconds must be an integer from 60 to 1209600 \(got 1209601\)/,
    ],
    [
      "a delay over 15 minutes",
      { delaySeconds: 901 },
      /ReliableQueue "orders": delaySeconds must be an integer from 0 to 900 \(got 901\)/,
    ],
    [
      "a receive wait over 20 s",
      { receiveWaitTimeSeconds: 21 },
      /ReliableQueue "orders": receiveWaitTimeSeconds must be an integer from 0 to 20 \(got 21\)/,
    ],
    [
      "messages under 1 KiB",
      { maxMessageSizeBytes: 1023 },
      /ReliableQueue "orders": maxMessageSizeBytes must be an integer from 1024 to 1048576 \(got 1023\)/,
    ],
    [
      "messages over 1 MiB",
      { maxMessageSizeBytes: 1_048_577 },
      /ReliableQueue "orders": maxMessageSizeBytes must be an integer from 1024 to 1048576 \(got 1048577\)/,
    ],
    [
      "a visibility timeout over 12 hours",
      { visibilityTimeoutSeconds: 43_201 },
      /ReliableQueue "orders": visibilityTimeoutSeconds must be an integer from 0 to 43200 \(got 43201\)/,
    ],
    [
      "a DLQ that forgets dead letters before the queue forgets messages",
      { retentionSeconds: 86_400, deadLetterRetentionSeconds: 3_600 },
      /ReliableQueue "orders": deadLetterRetentionSeconds must be at least retentionSeconds \(86400\): a dead letter keeps its original enqueue time \(got 3600\)/,
    ],
    [
      "an age alarm under a minute",
      { oldestMessageAgeAlarmSeconds: 30 },
      /ReliableQueue "orders": oldestMessageAgeAlarmSeconds must be an integer from 60 to 345600 \(got 30\)/,
    ],
    [
      "an age alarm messages never reach",
      { retentionSeconds: 3_600, oldestMessageAgeAlarmSeconds: 7_200 },
      /ReliableQueue "orders": oldestMessageAgeAlarmSeconds must be an integer from 60 to 3600 \(got 7200\)/,
    ],
    [
      "FIFO settings on a standard queue",
      { contentBasedDeduplication: true },
      /ReliableQueue "orders": contentBasedDeduplication applies to FIFO queues only; set fifo: true \(got true\)/,
    ],
    [
      "an unknown deduplication scope",
      { fifo: true, deduplicationScope: "global" as ReliableQueueArgs["deduplicationScope"] },
      /ReliableQueue "orders": deduplicationScope must be one of queue, messageGroup \(got global\)/,
    ],
    [
      "per-group throughput with queue-wide deduplication",
      { fifo: true, fifoThroughputLimit: "perMessageGroupId" },
      /ReliableQueue "orders": fifoThroughputLimit "perMessageGroupId" needs deduplicationScope "messageGroup" \(got deduplicationScope "queue"\)/,
    ],
    [
      "the AWS-managed SQS key",
      { kmsKeyArn: "alias/aws/sqs" },
      /ReliableQueue "orders": kmsKeyArn must be the ARN of a customer-managed key .*; omit it for SQS-managed encryption \(got alias\/aws\/sqs\)/,
    ],
    [
      "a key id instead of a key ARN",
      { kmsKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab" },
      /ReliableQueue "orders": kmsKeyArn must be the ARN of a customer-managed key .* \(got 1234abcd-12ab-34cd-56ef-1234567890ab\)/,
    ],
  ])("refuses %s", (_case, args, message) => {
    expect(() => new ReliableQueue("orders", { alarmTopicArn: ALARM_TOPIC_ARN, ...args })).toThrow(message);
  });

  it.each([
    [
      "a name too long for its suffixes",
      "q".repeat(41),
      /ReliableQueue "q{41}": name must be at most 40 characters to leave room for suffixes \(got 41\)/,
    ],
    [
      "a name with a dot",
      "orders.v2",
      /ReliableQueue "orders\.v2": name must start with a letter or digit and contain only letters, digits and hyphens \(got "orders\.v2"\)/,
    ],
  ])("refuses %s", (_case, name, message) => {
    expect(() => new ReliableQueue(name, { alarmTopicArn: ALARM_TOPIC_ARN })).toThrow(message);
  });
});

describe("ReliableQueue transform", () => {
  it("changes each underlying resource, in object and function form", async () => {
    new ReliableQueue("shaped", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      transform: {
        queue: { tags: { team: "payments" } },
        deadLetterQueue: (args) => {
          args.tags = { team: "payments", tier: "dlq" };
        },
        deadLetterAlarm: (args) => {
          args.evaluationPeriods = 3;
        },
        ageAlarm: { threshold: 120 },
        redriveAllowPolicy: { redriveAllowPolicy: '{"redrivePermission":"denyAll"}' },
        queuePolicy: (args) => {
          args.policy = '{"Version":"2012-10-17","Statement":[]}';
        },
      },
    });

    const { queue, dlq, queuePolicy } = await recorded("shaped");
    const dlqAlarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "shaped-dlq-alarm");
    const ageAlarm = await mocks.findResource("aws:cloudwatch/metricAlarm:MetricAlarm", "shaped-age-alarm");
    const allow = await mocks.findResource(
      "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
      "shaped-dlq-redrive-allow",
    );
    expect(queue.inputs).toMatchObject({ tags: { team: "payments" }, sqsManagedSseEnabled: true });
    expect(dlq.inputs.tags).toEqual({ team: "payments", tier: "dlq" });
    expect(dlqAlarm.inputs.evaluationPeriods).toBe(3);
    expect(ageAlarm.inputs.threshold).toBe(120);
    expect(jsonOf(allow, "redriveAllowPolicy")).toEqual({ redrivePermission: "denyAll" });
    expect(statementsOf(queuePolicy)).toEqual([]);
  });
});
