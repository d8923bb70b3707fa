import { resolve } from "node:path";
import * as aws from "@pulumi/aws";
import { type SynthResult, synthesize } from "@switchyard/infra/synth";
import {
  AlarmTopic,
  BucketNotifications,
  EncryptionKey,
  EventRuleQueueTarget,
  NodeFunction,
  QueueConsumer,
  ReliableQueue,
  ServiceDashboard,
  Topic,
  TopicQueueSubscription,
} from "@switchyard/infra-kit";
import { routeEvent, routeMessage, routeS3Event } from "@switchyard/routing";
import { beforeAll, describe, expect, it } from "vitest";
import { INVARIANTS } from "./invariants";

const ROOT = resolve(import.meta.dirname, "..");
const HANDLER = resolve(import.meta.dirname, "fixtures/handler.ts");

/** Every kit component wired the way a service wires them: the stack invariants must hold for it. */
function program(): Record<string, unknown> {
  const key = new EncryptionKey("demo-key", {
    services: ["sns.amazonaws.com", "s3.amazonaws.com", "events.amazonaws.com"],
  });
  const alarms = new AlarmTopic("demo-alarms", { emails: ["ops@example.com"] });
  const topic = new Topic("demo-events", { kmsKeyArn: key.arn, alarmTopicArn: alarms.arn });
  const bus = new aws.cloudwatch.EventBus("demo-bus", {});
  const bucket = new aws.s3.Bucket("demo-uploads", {});

  const queue = new ReliableQueue("demo-work", { alarmTopicArn: alarms.arn, kmsKeyArn: key.arn });
  const fifo = new ReliableQueue("demo-ordered", {
    alarmTopicArn: alarms.arn,
    fifo: true,
    contentBasedDeduplication: true,
  });
  const fifoTopic = new Topic("demo-ordered", { fifo: true, alarmTopicArn: alarms.arn });

  new TopicQueueSubscription("demo-work-sub", {
    topic,
    queue,
    filterPolicy: { eventType: ["CREATED", "CANCELLED"] },
  });
  new TopicQueueSubscription("demo-ordered-sub", { topic: fifoTopic, queue: fifo });
  new EventRuleQueueTarget("demo-work-rule", { bus, queue, pattern: { "detail-type": ["Work Requested"] } });
  new BucketNotifications("demo-uploads", {
    bucket,
    rules: [
      { events: ["s3:ObjectCreated:*"], topic, filterPrefix: "in/" },
      { events: ["s3:ObjectRemoved:*"], queue },
    ],
  });

  const worker = new NodeFunction("demo-worker", { entry: HANDLER, timeout: 20, alarmTopicArn: alarms.arn });
  new QueueConsumer("demo-worker", {
    queue,
    function: worker,
    maxBatchingWindowSeconds: 2,
    maximumConcurrency: 5,
  });
  const orderedWorker = new NodeFunction("demo-ordered-worker", {
    entry: HANDLER,
    alarmTopicArn: alarms.arn,
  });
  new QueueConsumer("demo-ordered-worker", { queue: fifo, function: orderedWorker });
  new ServiceDashboard("demo-dashboard", {
    functions: [worker, orderedWorker],
    queues: [queue, fifo],
    topics: [topic, fifoTopic],
  });
  return { topicArn: topic.arn, busName: bus.name };
}

describe("the kit composed like a service", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthesize({ stack: "dev", root: ROOT, program });
  });

  it("creates the queues, functions and subscriptions it was given", () => {
    const count = (type: string) => result.resources.filter((r) => r.type === type).length;
    expect(count("aws:sqs/queue:Queue")).toBe(4);
    expect(count("aws:lambda/function:Function")).toBe(2);
    expect(count("aws:lambda/eventSourceMapping:EventSourceMapping")).toBe(2);
    expect(count("aws:sqs/queuePolicy:QueuePolicy")).toBe(4);
  });

  it.each(Object.entries(INVARIANTS))("obeys %s", (_name, invariant) => {
    expect(invariant(result.resources)).toEqual([]);
  });

  it("merges the topic, the rule and the bucket into the one policy of the shared queue", () => {
    const policy = result.resources.find(
      (r) => r.type === "aws:sqs/queuePolicy:QueuePolicy" && r.name === "demo-work-queue-policy",
    );
    const statements = JSON.parse(String(policy?.inputs.policy)).Statement as Array<{
      Principal?: { Service?: string };
    }>;
    expect(statements.map((s) => s.Principal?.Service ?? "*").sort()).toEqual([
      "*",
      "events.amazonaws.com",
      "s3.amazonaws.com",
      "sns.amazonaws.com",
    ]);
  });
});

describe("routing through the kit's declared policies (the routing package's stack helper)", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthesize({ stack: "dev", root: ROOT, program });
  });
  const attributes = (eventType: string) => ({ eventType: { DataType: "String", StringValue: eventType } });

  it.each([
    ["CREATED", ["demo-work-queue"], ["demo-worker-function"]],
    ["CANCELLED", ["demo-work-queue"], ["demo-worker-function"]],
    ["SHIPPED", [], []],
  ])("an SNS message with eventType %s reaches %j", (eventType, queues, functions) => {
    const route = routeMessage(result.resources, {
      topicArn: String(result.outputs.topicArn),
      messageAttributes: attributes(eventType),
      body: "{}",
    });
    expect(route.queueNames).toEqual(queues);
    expect(route.functionNames).toEqual(functions);
  });

  it("an event matching the rule's pattern reaches the queue and its consumer", () => {
    const event = { source: "demo", "detail-type": "Work Requested", detail: { id: 1 } };
    const route = routeEvent(result.resources, { eventBusName: String(result.outputs.busName), event });
    expect(route.queueNames).toEqual(["demo-work-queue"]);
    expect(route.functionNames).toEqual(["demo-worker-function"]);
    const other = routeEvent(result.resources, {
      eventBusName: String(result.outputs.busName),
      event: { ...event, "detail-type": "Other" },
    });
    expect(other.queueNames).toEqual([]);
  });

  it("an upload under the prefix reaches the topic; a deletion reaches the queue directly", () => {
    const bucket = String(result.resources.find((r) => r.type === "aws:s3/bucket:Bucket")?.outputs.bucket);
    const created = routeS3Event(result.resources, {
      bucket,
      eventName: "ObjectCreated:Put",
      key: "in/photo.jpg",
    });
    expect(created.topicNames).toEqual(["demo-events-topic"]);
    const outside = routeS3Event(result.resources, {
      bucket,
      eventName: "ObjectCreated:Put",
      key: "out/photo.jpg",
    });
    expect(outside.topicNames).toEqual([]);
    const removed = routeS3Event(result.resources, {
      bucket,
      eventName: "ObjectRemoved:Delete",
      key: "in/photo.jpg",
    });
    expect(removed.queueNames).toEqual(["demo-work-queue"]);
  });
});
