import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EventRuleQueueTarget,
  type EventRuleQueueTargetArgs,
  ReliableQueue,
  type ReliableQueueArgs,
  Topic,
  TopicQueueSubscription,
  type TopicQueueSubscriptionArgs,
} from "../src/index";
import {
  ALARM_TOPIC_ARN,
  argDocProblems,
  jsonOf,
  mark,
  ownershipProblems,
  serviceStatements,
  sourceArnsOf,
  statementsOf,
} from "./helpers";

const BUS = { name: "orders-bus", arn: "arn:aws:events:us-east-1:123456789012:event-bus/orders-bus" };
const FIFO_TOPIC = { arn: "arn:aws:sns:us-east-1:123456789012:orders.fifo", fifo: true };
const STANDARD_TOPIC = { arn: "arn:aws:sns:us-east-1:123456789012:orders" };

let mocks: PulumiMocks;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

function queueNamed(name: string, args: Partial<ReliableQueueArgs> = {}): ReliableQueue {
  return new ReliableQueue(name, { alarmTopicArn: ALARM_TOPIC_ARN, ...args });
}

async function policiesOf(queueName: string) {
  return {
    queue: statementsOf(
      await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", `${queueName}-queue-policy`),
    ),
    dlq: statementsOf(await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", `${queueName}-dlq-policy`)),
  };
}

describe("TopicQueueSubscription", () => {
  beforeAll(() => {
    new TopicQueueSubscription("plain", { topic: new Topic("plain-topic"), queue: queueNamed("plain-q") });
  });

  it("subscribes the queue with raw delivery, no filter, and the queue's DLQ as subscription DLQ", async () => {
    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "plain-subscription",
    );
    const topic = await mocks.findResource("aws:sns/topic:Topic", "plain-topic-topic");
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-queue");
    const dlq = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-dlq");

    expect(subscription.inputs).toEqual({
      topic: topic.outputs.arn,
      protocol: "sqs",
      endpoint: queue.outputs.arn,
      rawMessageDelivery: true,
      redrivePolicy: expect.any(String),
    });
    expect(jsonOf(subscription, "redrivePolicy")).toEqual({ deadLetterTargetArn: dlq.outputs.arn });
  });

  it("lets SNS send to the queue and to its DLQ only from this topic", async () => {
    const topic = await mocks.findResource("aws:sns/topic:Topic", "plain-topic-topic");

    const { queue, dlq } = await policiesOf("plain-q");

    expect(sourceArnsOf(serviceStatements(queue, "sns.amazonaws.com"))).toEqual([topic.outputs.arn]);
    expect(sourceArnsOf(serviceStatements(dlq, "sns.amazonaws.com"))).toEqual([topic.outputs.arn]);
  });

  it("renders the filter policy as JSON with its scope", async () => {
    const policy = { order: { total: [{ numeric: [">=", 100] }] }, kind: ["created"] };

    new TopicQueueSubscription("filtered", {
      topic: STANDARD_TOPIC,
      queue: queueNamed("filtered-q"),
      filterPolicy: policy,
      filterPolicyScope: "MessageBody",
    });

    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "filtered-subscription",
    );
    expect(jsonOf(subscription, "filterPolicy")).toEqual(policy);
    expect(subscription.inputs.filterPolicyScope).toBe("MessageBody");
  });

  it("scopes a filter policy to message attributes by default", async () => {
    new TopicQueueSubscription("attrs", {
      topic: STANDARD_TOPIC,
      queue: queueNamed("attrs-q"),
      filterPolicy: { kind: ["created", "updated"] },
    });

    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "attrs-subscription",
    );
    expect(subscription.inputs).toMatchObject({
      filterPolicy: '{"kind":["created","updated"]}',
      filterPolicyScope: "MessageAttributes",
    });
  });

  it("delivers the envelope and skips the subscription DLQ when told to", async () => {
    new TopicQueueSubscription("enveloped", {
      topic: STANDARD_TOPIC,
      queue: queueNamed("enveloped-q"),
      rawMessageDelivery: false,
      deadLetter: false,
    });

    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "enveloped-subscription",
    );
    const { queue, dlq } = await policiesOf("enveloped-q");
    expect(subscription.inputs.rawMessageDelivery).toBe(false);
    expect(subscription.inputs).not.toHaveProperty("redrivePolicy");
    expect(sourceArnsOf(queue)).toEqual([STANDARD_TOPIC.arn]);
    expect(sourceArnsOf(dlq)).toEqual([]);
  });

  it("connects a FIFO topic to a FIFO queue, whose DLQ is FIFO too", async () => {
    new TopicQueueSubscription("ordered", {
      topic: FIFO_TOPIC,
      queue: queueNamed("ordered-q", { fifo: true }),
    });

    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "ordered-subscription",
    );
    const dlq = await mocks.findResource("aws:sqs/queue:Queue", "ordered-q-dlq");
    expect(jsonOf(subscription, "redrivePolicy")).toEqual({ deadLetterTargetArn: dlq.outputs.arn });
    expect(String(dlq.outputs.arn)).toMatch(/\.fifo$/);
  });

  it.each<[string, Partial<ReliableQueueArgs>, Partial<TopicQueueSubscriptionArgs>, RegExp]>([
    [
      "a standard topic into a FIFO queue",
      { fifo: true },
      { topic: STANDARD_TOPIC },
      /TopicQueueSubscription "sub": queue must be a standard queue: a standard SNS topic cannot deliver to FIFO queues \(got a FIFO queue\)/,
    ],
    [
      "a FIFO topic dead-lettering into a standard DLQ",
      {},
      { topic: FIFO_TOPIC },
      /TopicQueueSubscription "sub": deadLetter must be false for a FIFO topic delivering to a standard queue: the subscription's dead-letter queue must be FIFO \(got true\)/,
    ],
    [
      "a filter policy with 6 keys",
      {},
      { filterPolicy: { a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"], f: ["1"] } },
      /TopicQueueSubscription "sub": filterPolicy is not a policy SNS accepts: Filter policy has 6 keys \(a, b, c, d, e, f\); AWS allows at most 5\. \(got \{"a":\["1"\]/,
    ],
    [
      "a nested key in the MessageAttributes scope",
      {},
      { filterPolicy: { order: { kind: ["created"] } } },
      /TopicQueueSubscription "sub": filterPolicy is not a policy SNS accepts: .*nested keys are not supported in the MessageAttributes scope/,
    ],
    [
      "a filter policy of more than 150 combinations",
      {},
      { filterPolicy: { a: range(10), b: range(4), c: range(4) } },
      /TopicQueueSubscription "sub": filterPolicy is not a policy SNS accepts: /,
    ],
    [
      "a scope without a filter policy",
      {},
      { filterPolicyScope: "MessageBody" },
      /TopicQueueSubscription "sub": filterPolicyScope applies only with a filterPolicy \(got MessageBody\)/,
    ],
    [
      "an unknown scope",
      {},
      {
        filterPolicy: { kind: ["a"] },
        filterPolicyScope: "Headers" as TopicQueueSubscriptionArgs["filterPolicyScope"],
      },
      /TopicQueueSubscription "sub": filterPolicyScope must be one of MessageAttributes, MessageBody \(got Headers\)/,
    ],
  ])("refuses %s", (_case, queueArgs, args, message) => {
    const queue = queueNamed("refused-q", queueArgs);

    expect(() => new TopicQueueSubscription("sub", { topic: STANDARD_TOPIC, queue, ...args })).toThrow(
      message,
    );
  });

  it("grants nothing when it refuses", async () => {
    const queue = queueNamed("untouched-q");

    expect(
      () =>
        new TopicQueueSubscription("sub", {
          topic: STANDARD_TOPIC,
          queue,
          filterPolicy: { a: { b: ["c"] } },
        }),
    ).toThrow(/filterPolicy/);

    const { queue: statements } = await policiesOf("untouched-q");
    expect(sourceArnsOf(statements)).toEqual([]);
  });

  it("changes the subscription through transform, in object and function form", async () => {
    new TopicQueueSubscription("shaped", {
      topic: STANDARD_TOPIC,
      queue: queueNamed("shaped-q"),
      transform: { subscription: { replayPolicy: '{"PointInTime":"2026-01-01T00:00:00Z"}' } },
    });
    new TopicQueueSubscription("reshaped", {
      topic: STANDARD_TOPIC,
      queue: queueNamed("reshaped-q"),
      transform: {
        subscription: (args) => {
          args.rawMessageDelivery = false;
        },
      },
    });

    const shaped = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "shaped-subscription",
    );
    const reshaped = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "reshaped-subscription",
    );
    expect(shaped.inputs).toMatchObject({
      replayPolicy: '{"PointInTime":"2026-01-01T00:00:00Z"}',
      protocol: "sqs",
    });
    expect(reshaped.inputs.rawMessageDelivery).toBe(false);
  });

  it("parents its subscription, names it from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new TopicQueueSubscription("owned", { topic: STANDARD_TOPIC, queue: queueNamed("owned-q") });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    const component = await mocks.findResource(TopicQueueSubscription.type, "owned");
    expect((await mocks.childrenOf(component)).map((c) => c.name)).toEqual(["owned-subscription"]);
    expect(argDocProblems("topic-queue-subscription.ts", "TopicQueueSubscriptionArgs")).toEqual([]);
  });
});

describe("EventRuleQueueTarget", () => {
  const pattern = {
    source: ["switchyard.orders"],
    "detail-type": ["OrderPlaced"],
    detail: { total: [{ numeric: [">", 0] }] },
  };

  beforeAll(() => {
    new EventRuleQueueTarget("placed", { bus: BUS, pattern, queue: queueNamed("placed-q") });
  });

  it("creates a rule on the bus with the pattern as JSON", async () => {
    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "placed-rule");

    expect(rule.inputs).toEqual({ eventBusName: "orders-bus", eventPattern: expect.any(String) });
    expect(jsonOf(rule, "eventPattern")).toEqual(pattern);
  });

  it("targets the queue, retrying 185 times for 24 hours, then dead-lettering to the queue's DLQ", async () => {
    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "placed-rule");
    const target = await mocks.findResource("aws:cloudwatch/eventTarget:EventTarget", "placed-target");
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "placed-q-queue");
    const dlq = await mocks.findResource("aws:sqs/queue:Queue", "placed-q-dlq");

    expect(target.inputs).toEqual({
      rule: rule.outputs.name,
      eventBusName: "orders-bus",
      arn: queue.outputs.arn,
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: dlq.outputs.arn },
    });
  });

  it("lets EventBridge send to the queue and to its DLQ only from this rule", async () => {
    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "placed-rule");

    const { queue, dlq } = await policiesOf("placed-q");

    expect(sourceArnsOf(serviceStatements(queue, "events.amazonaws.com"))).toEqual([rule.outputs.arn]);
    expect(sourceArnsOf(serviceStatements(dlq, "events.amazonaws.com"))).toEqual([rule.outputs.arn]);
  });

  it("takes a retry policy and a description, and can skip the target DLQ", async () => {
    new EventRuleQueueTarget("custom", {
      bus: BUS,
      pattern,
      queue: queueNamed("custom-q"),
      retryPolicy: { maximumEventAgeSeconds: 3_600, maximumRetryAttempts: 10 },
      deadLetter: false,
      description: "Orders placed",
    });

    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "custom-rule");
    const target = await mocks.findResource("aws:cloudwatch/eventTarget:EventTarget", "custom-target");
    const { dlq } = await policiesOf("custom-q");
    expect(rule.inputs.description).toBe("Orders placed");
    expect(target.inputs.retryPolicy).toEqual({ maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 10 });
    expect(target.inputs).not.toHaveProperty("deadLetterConfig");
    expect(sourceArnsOf(dlq)).toEqual([]);
  });

  it.each<[string, Partial<ReliableQueueArgs>, Partial<EventRuleQueueTargetArgs>, RegExp]>([
    [
      "a pattern whose values are not lists",
      {},
      { pattern: { source: "orders" } },
      /EventRuleQueueTarget "rule": pattern is not a pattern EventBridge accepts: Event pattern key "source": .* \(got \{"source":"orders"\}\)/,
    ],
    [
      "a numeric operator without a number",
      {},
      { pattern: { detail: { total: [{ numeric: [">", "x"] }] } } },
      /EventRuleQueueTarget "rule": pattern is not a pattern EventBridge accepts: Event pattern key "detail\.total": numeric operator ">" must be followed by a number/,
    ],
    [
      "a FIFO queue",
      { fifo: true },
      {},
      /EventRuleQueueTarget "rule": queue must be a standard queue: this target sends without a message group id, and a target DLQ must be standard \(got a FIFO queue\)/,
    ],
    [
      "an event age under a minute",
      {},
      { retryPolicy: { maximumEventAgeSeconds: 59 } },
      /EventRuleQueueTarget "rule": retryPolicy\.maximumEventAgeSeconds must be an integer from 60 to 86400 \(got 59\)/,
    ],
    [
      "an event age over 24 hours",
      {},
      { retryPolicy: { maximumEventAgeSeconds: 86_401 } },
      /EventRuleQueueTarget "rule": retryPolicy\.maximumEventAgeSeconds must be an integer from 60 to 86400 \(got 86401\)/,
    ],
    [
      "more than 185 retries",
      {},
      { retryPolicy: { maximumRetryAttempts: 186 } },
      /EventRuleQueueTarget "rule": retryPolicy\.maximumRetryAttempts must be an integer from 0 to 185 \(got 186\)/,
    ],
    [
      "a missing bus",
      {},
      { bus: undefined },
      /EventRuleQueueTarget "rule": bus is required \(got undefined\)/,
    ],
  ])("refuses %s", (_case, queueArgs, args, message) => {
    const queue = queueNamed("refused-rule-q", queueArgs);

    expect(
      () => new EventRuleQueueTarget("rule", { bus: BUS, pattern: { source: ["orders"] }, queue, ...args }),
    ).toThrow(message);
  });

  it("changes the rule and the target through transform, in object and function form", async () => {
    new EventRuleQueueTarget("shaped-rule", {
      bus: BUS,
      pattern,
      queue: queueNamed("shaped-rule-q"),
      transform: {
        rule: { state: "DISABLED" },
        target: (args) => {
          args.inputPath = "$.detail";
        },
      },
    });

    const rule = await mocks.findResource("aws:cloudwatch/eventRule:EventRule", "shaped-rule-rule");
    const target = await mocks.findResource("aws:cloudwatch/eventTarget:EventTarget", "shaped-rule-target");
    expect(rule.inputs).toMatchObject({ state: "DISABLED", eventBusName: "orders-bus" });
    expect(target.inputs.inputPath).toBe("$.detail");
  });

  it("parents its rule and target, names them from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new EventRuleQueueTarget("owned-rule", { bus: BUS, pattern, queue: queueNamed("owned-rule-q") });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    const component = await mocks.findResource(EventRuleQueueTarget.type, "owned-rule");
    expect((await mocks.childrenOf(component)).map((c) => c.name).sort()).toEqual([
      "owned-rule-failed-alarm",
      "owned-rule-rule",
      "owned-rule-target",
    ]);
    expect(argDocProblems("event-rule-queue-target.ts", "EventRuleQueueTargetArgs")).toEqual([]);
  });
});

function range(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(index));
}
