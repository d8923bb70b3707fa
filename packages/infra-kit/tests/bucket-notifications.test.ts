import * as aws from "@pulumi/aws";
import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BucketNotificationRule,
  BucketNotifications,
  type BucketNotificationsArgs,
  ReliableQueue,
  type S3EventType,
  Topic,
} from "../src/index";
import {
  ALARM_TOPIC_ARN,
  argDocProblems,
  KEY_ARN,
  mark,
  ownershipProblems,
  serviceStatements,
  statementsOf,
} from "./helpers";

const ACCOUNT = "123456789012";

let mocks: PulumiMocks;
let uploads: aws.s3.Bucket;
let topic: Topic;
let queue: ReliableQueue;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

/** A fresh standard queue; kit queues take senders only while the program declares its resources. */
function sink(name: string): ReliableQueue {
  return new ReliableQueue(`${name}-sink`, { alarmTopicArn: ALARM_TOPIC_ARN });
}

/** A bucket given by name, as a stack that imports an existing bucket would pass it. */
function namedBucket(name: string): BucketNotificationsArgs["bucket"] {
  return { bucket: name, arn: `arn:aws:s3:::${name}` };
}

describe("BucketNotifications", () => {
  beforeAll(() => {
    uploads = new aws.s3.Bucket("uploads", {});
    topic = new Topic("uploads-created", { kmsKeyArn: KEY_ARN });
    queue = new ReliableQueue("uploads-removed", { alarmTopicArn: ALARM_TOPIC_ARN });
    new BucketNotifications("uploads", {
      bucket: uploads,
      rules: [
        { events: ["s3:ObjectCreated:*"], filterPrefix: "incoming/", filterSuffix: ".json", topic },
        { events: ["s3:ObjectRemoved:*"], queue },
      ],
    });
  });

  it("writes one notification configuration holding the topic and queue rules with their filters", async () => {
    const bucket = await mocks.findResource("aws:s3/bucket:Bucket", "uploads");
    const created = await mocks.findResource("aws:sns/topic:Topic", "uploads-created-topic");
    const removed = await mocks.findResource("aws:sqs/queue:Queue", "uploads-removed-queue");

    const notifications = await mocks.resourcesOfType("aws:s3/bucketNotification:BucketNotification");

    expect(notifications.map((n) => n.name)).toEqual(["uploads-notification"]);
    expect(notifications[0]?.inputs).toEqual({
      bucket: bucket.outputs.bucket,
      topics: [
        {
          id: "uploads-1",
          topicArn: created.outputs.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: "incoming/",
          filterSuffix: ".json",
        },
      ],
      queues: [{ id: "uploads-2", queueArn: removed.outputs.arn, events: ["s3:ObjectRemoved:*"] }],
    });
  });

  it("lets S3 publish and send only for this bucket in this account", async () => {
    const bucket = await mocks.findResource("aws:s3/bucket:Bucket", "uploads");
    const topicPolicy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "uploads-created-policy");
    const queuePolicy = await mocks.findResource(
      "aws:sqs/queuePolicy:QueuePolicy",
      "uploads-removed-queue-policy",
    );
    const pinned = {
      ArnLike: { "aws:SourceArn": bucket.outputs.arn },
      StringEquals: { "aws:SourceAccount": ACCOUNT },
    };

    const publish = serviceStatements(statementsOf(topicPolicy), "s3.amazonaws.com");
    const send = serviceStatements(statementsOf(queuePolicy), "s3.amazonaws.com");

    expect(bucket.outputs.arn).toBe("arn:aws:s3:::uploads");
    expect(publish.map((s) => [s.Action, s.Condition])).toEqual([["sns:Publish", pinned]]);
    expect(send.map((s) => [s.Action, s.Condition])).toEqual([["sqs:SendMessage", pinned]]);
  });

  it("refuses a second BucketNotifications for the same bucket", () => {
    const rules: BucketNotificationRule[] = [
      { events: ["s3:ObjectTagging:*"], queue: sink("uploads-again") },
    ];

    expect(() => new BucketNotifications("uploads-again", { bucket: uploads, rules })).toThrow(
      /BucketNotifications "uploads-again": bucket must not be given to a second BucketNotifications: S3 keeps one configuration per bucket and switchyard:kit:BucketNotifications "uploads" already owns it; give all rules to that component \(got the same bucket\)/,
    );
  });

  it("refuses a second BucketNotifications for a bucket given by the same name", () => {
    const target = sink("imported");
    new BucketNotifications("imported", {
      bucket: namedBucket("imported"),
      rules: [{ events: ["s3:ObjectCreated:*"], queue: target }],
    });

    expect(
      () =>
        new BucketNotifications("imported-again", {
          bucket: namedBucket("imported"),
          rules: [{ events: ["s3:ObjectRemoved:*"], queue: target }],
        }),
    ).toThrow(
      /BucketNotifications "imported-again": bucket must not be given to a second BucketNotifications: .* \(got imported\)/,
    );
  });

  it.each<[string, Omit<BucketNotificationRule, "queue">, Omit<BucketNotificationRule, "queue">]>([
    [
      "different prefixes",
      { events: ["s3:ObjectCreated:*"], filterPrefix: "a/" },
      { events: ["s3:ObjectCreated:*"], filterPrefix: "b/" },
    ],
    [
      "different suffixes",
      { events: ["s3:ObjectCreated:*"], filterSuffix: ".jpg" },
      { events: ["s3:ObjectCreated:*"], filterSuffix: ".png" },
    ],
    ["different event types", { events: ["s3:ObjectCreated:Put"] }, { events: ["s3:ObjectCreated:Copy"] }],
    ["different event families", { events: ["s3:ObjectCreated:*"] }, { events: ["s3:ObjectRemoved:*"] }],
  ])("accepts rules with %s", async (label, first, second) => {
    const name = `apart-${label.replaceAll(" ", "-")}`;

    const target = sink(name);

    new BucketNotifications(name, {
      bucket: namedBucket(name),
      rules: [
        { ...first, queue: target },
        { ...second, queue: target },
      ],
    });

    const notification = await mocks.findResource(
      "aws:s3/bucketNotification:BucketNotification",
      `${name}-notification`,
    );
    expect(notification.inputs.queues).toHaveLength(2);
  });

  it.each<[string, Omit<BucketNotificationRule, "queue">, Omit<BucketNotificationRule, "queue">]>([
    [
      "the same event type and no filters",
      { events: ["s3:ObjectCreated:*"] },
      { events: ["s3:ObjectCreated:*"] },
    ],
    [
      "a wildcard covering a specific event type",
      { events: ["s3:ObjectCreated:*"] },
      { events: ["s3:ObjectCreated:Put"] },
    ],
    [
      "nested prefixes",
      { events: ["s3:ObjectCreated:*"], filterPrefix: "a/" },
      { events: ["s3:ObjectCreated:*"], filterPrefix: "a/b/" },
    ],
    [
      "nested suffixes",
      { events: ["s3:ObjectCreated:*"], filterSuffix: ".jpg" },
      { events: ["s3:ObjectCreated:*"], filterSuffix: "photo.jpg" },
    ],
    [
      "a prefix-only and a suffix-only rule",
      { events: ["s3:ObjectCreated:*"], filterPrefix: "a/" },
      { events: ["s3:ObjectCreated:*"], filterSuffix: ".jpg" },
    ],
  ])("refuses overlapping rules: %s", (_case, first, second) => {
    const target = sink("overlap");

    expect(
      () =>
        new BucketNotifications("overlap", {
          bucket: namedBucket("overlap"),
          rules: [
            { ...first, queue: target },
            { ...second, queue: target },
          ],
        }),
    ).toThrow(
      /BucketNotifications "overlap": rules\[1\] must not overlap rules\[0\]: S3 rejects rules that share an event type and have overlapping prefix and suffix filters \("Configurations overlap"\) \(got \{"events":/,
    );
  });

  it.each<[string, () => BucketNotificationRule[], RegExp]>([
    ["no rules", () => [], /BucketNotifications "refused": rules must list at least one rule \(got \[\]\)/],
    [
      "a rule with both a topic and a queue",
      () => [{ events: ["s3:ObjectCreated:*"], topic, queue }],
      /BucketNotifications "refused": rules\[0\] must name exactly one of topic and queue \(got both\)/,
    ],
    [
      "a rule without a destination",
      () => [{ events: ["s3:ObjectCreated:*"] }],
      /BucketNotifications "refused": rules\[0\] must name exactly one of topic and queue \(got neither\)/,
    ],
    [
      "a rule without events",
      () => [{ events: [], queue: sink("refused") }],
      /BucketNotifications "refused": rules\[0\]\.events must list at least one event type \(got \[\]\)/,
    ],
    [
      "an unknown event type",
      () => [{ events: ["s3:ObjectCreated:Upload" as S3EventType], queue: sink("refused") }],
      /BucketNotifications "refused": rules\[0\]\.events must hold only S3 event types such as s3:ObjectCreated:\* \(got s3:ObjectCreated:Upload\)/,
    ],
    [
      "a FIFO topic",
      () => [
        {
          events: ["s3:ObjectCreated:*"],
          topic: new Topic("refused-fifo-topic", { fifo: true, kmsKeyArn: KEY_ARN }),
        },
      ],
      /BucketNotifications "refused": rules\[0\]\.topic must be a standard topic: S3 cannot publish to FIFO topics \(got a FIFO topic\)/,
    ],
    [
      "a FIFO queue",
      () => [
        {
          events: ["s3:ObjectCreated:*"],
          queue: new ReliableQueue("refused-fifo-q", { alarmTopicArn: ALARM_TOPIC_ARN, fifo: true }),
        },
      ],
      /BucketNotifications "refused": rules\[0\]\.queue must be a standard queue: S3 cannot send to FIFO queues \(got a FIFO queue\)/,
    ],
    [
      "a topic on the AWS-managed key, which S3 cannot use",
      () => [{ events: ["s3:ObjectCreated:*"], topic: new Topic("refused-managed") }],
      /BucketNotifications "refused": rules\[0\]\.topic must be encrypted with a customer-managed key that allows s3\.amazonaws\.com/,
    ],
  ])("refuses %s", (_case, rules, message) => {
    expect(
      () => new BucketNotifications("refused", { bucket: namedBucket("refused"), rules: rules() }),
    ).toThrow(message);
  });

  it("grants nothing and claims no bucket when it refuses", async () => {
    const untouched = new ReliableQueue("untouched-q", { alarmTopicArn: ALARM_TOPIC_ARN });
    const rules: BucketNotificationRule[] = [
      { events: ["s3:ObjectCreated:*"], queue: untouched },
      { events: ["s3:ObjectCreated:*"], topic: new Topic("untouched-managed") },
    ];

    expect(() => new BucketNotifications("first-try", { bucket: namedBucket("retried"), rules })).toThrow(
      /rules\[1\]\.topic/,
    );
    new BucketNotifications("second-try", {
      bucket: namedBucket("retried"),
      rules: [{ events: ["s3:ObjectRemoved:*"], queue: sink("retried") }],
    });

    const policy = await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", "untouched-q-queue-policy");
    expect(serviceStatements(statementsOf(policy), "s3.amazonaws.com")).toEqual([]);
    await expect(
      mocks.findResource("aws:s3/bucketNotification:BucketNotification", "second-try-notification"),
    ).resolves.toBeDefined();
  });

  it("changes the notification through transform", async () => {
    new BucketNotifications("shaped", {
      bucket: namedBucket("shaped"),
      rules: [{ events: ["s3:ObjectCreated:*"], queue: sink("shaped") }],
      transform: { notification: { eventbridge: true } },
    });
    new BucketNotifications("reshaped", {
      bucket: namedBucket("reshaped"),
      rules: [{ events: ["s3:ObjectCreated:*"], queue: sink("reshaped") }],
      transform: {
        notification: (args) => {
          args.eventbridge = false;
        },
      },
    });

    const shaped = await mocks.findResource(
      "aws:s3/bucketNotification:BucketNotification",
      "shaped-notification",
    );
    const reshaped = await mocks.findResource(
      "aws:s3/bucketNotification:BucketNotification",
      "reshaped-notification",
    );
    expect(shaped.inputs).toMatchObject({ eventbridge: true, bucket: "shaped" });
    expect(reshaped.inputs.eventbridge).toBe(false);
  });

  it("parents its notification, names it from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new BucketNotifications("owned", {
      bucket: namedBucket("owned"),
      rules: [{ events: ["s3:ObjectCreated:*"], queue: sink("owned") }],
    });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    expect(argDocProblems("bucket-notifications.ts", "BucketNotificationsArgs")).toEqual([]);
    expect(argDocProblems("bucket-notifications.ts", "BucketNotificationRule")).toEqual([]);
  });
});
