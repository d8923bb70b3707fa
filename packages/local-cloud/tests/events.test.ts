import { randomUUID } from "node:crypto";
import {
  DescribeEventBusCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListArchivesCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  ResourceNotFoundException,
  StartReplayCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createEvents, type EventsEmulator, type EventsOptions } from "../src/services/events";
import { createSns, type SnsEmulator } from "../src/services/sns";
import {
  type CloudWatchEngine,
  type LocalResource,
  LocalServiceError,
  type MetricDatum,
  type ServiceEmulator,
} from "../src/types";
import { captureLog, fakeLambda, fakeSqs } from "./fakes";

// ------------------------------------------------------------------ fixtures

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const ruleArn = (bus: string, name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

function bus(name: string): LocalResource {
  return {
    type: "aws:cloudwatch/eventBus:EventBus",
    name,
    urn: `urn:pulumi:dev::switchyard::aws:cloudwatch/eventBus:EventBus::${name}`,
    custom: true,
    inputs: { description: `${name} events` },
    outputs: { name, arn: busArn(name) },
    id: name,
  };
}

function rule(
  name: string,
  busName: string,
  pattern: unknown,
  inputs: Record<string, unknown> = {},
): LocalResource {
  return {
    type: "aws:cloudwatch/eventRule:EventRule",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:EventRuleQueueTarget$aws:cloudwatch/eventRule:EventRule::${name}`,
    custom: true,
    inputs: { description: name, eventBusName: busName, eventPattern: JSON.stringify(pattern), ...inputs },
    outputs: { name, arn: ruleArn(busName, name) },
    id: `${busName}/${name}`,
  };
}

function target(
  name: string,
  busName: string,
  ruleName: string,
  arn: string,
  inputs: Record<string, unknown> = {},
): LocalResource {
  return {
    type: "aws:cloudwatch/eventTarget:EventTarget",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:EventRuleQueueTarget$aws:cloudwatch/eventTarget:EventTarget::${name}`,
    custom: true,
    inputs: {
      arn,
      eventBusName: busName,
      retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
      rule: ruleName,
      ...inputs,
    },
    outputs: { arn },
    id: `${name}-${randomUUID().slice(0, 8)}`,
  };
}

function archive(name: string, busName: string, pattern: unknown): LocalResource {
  return {
    type: "aws:cloudwatch/eventArchive:EventArchive",
    name,
    urn: `urn:pulumi:dev::switchyard::aws:cloudwatch/eventArchive:EventArchive::${name}`,
    custom: true,
    inputs: {
      description: "archive",
      eventPattern: JSON.stringify(pattern),
      eventSourceArn: busArn(busName),
      retentionDays: 7,
    },
    outputs: { name, arn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/${name}` },
    id: name,
  };
}

const QUEUES = [
  "notifications-sends-queue",
  "notifications-sends-dlq",
  "orders-replay-queue",
  "orders-replay-dlq",
  "orders-live-queue",
  "other-queue",
  "disabled-queue",
  "flaky-queue",
  "flaky-dlq",
  "ordered.fifo",
  "from-topic-queue",
].map(queueArn);
const NOTIFIER = functionArn("notifier");

let engine: Engine | undefined;

afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** Records the metrics EventBridge reports (its AWS/Events alarms watch them). */
function fakeCloudWatch() {
  const metrics: MetricDatum[] = [];
  const factory = (): ServiceEmulator & CloudWatchEngine => ({
    signingNames: [],
    provision: () => undefined,
    handle: () => undefined,
    putMetric: (datum) => {
      metrics.push(datum);
    },
    ingestLogLine: () => undefined,
    alarms: () => [],
    evaluate: () => undefined,
  });
  return { metrics, factory };
}

async function start(resources: LocalResource[], options: EventsOptions = {}) {
  const sqs = fakeSqs(QUEUES, queueArn);
  const lambda = fakeLambda([NOTIFIER]);
  const cloudwatch = fakeCloudWatch();
  const logs = captureLog();
  engine = await Engine.listen({
    emulators: {
      sqs: sqs.factory,
      lambda: lambda.factory,
      cloudwatch: cloudwatch.factory,
      sns: (ctx) => createSns(ctx),
      events: (ctx) => createEvents(ctx, { retryDelayMs: () => 1, ...options }),
    },
    log: logs.log,
  });
  await engine.provision(resources);
  const client = new EventBridgeClient({
    endpoint: engine.endpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const events = engine.emulator<EventsEmulator>("events");
  const sns = engine.emulator<SnsEmulator>("sns");
  if (!events || !sns) throw new Error("emulators missing");
  const endpoint = engine.endpoint;
  const admin = async (route: string): Promise<unknown> =>
    (await fetch(`${endpoint}/_local/${route}`)).json();
  const settled = async () => {
    await events.settled();
    await sns.settled();
    await events.settled();
  };
  return { client, events, sns, sqs, lambda, logs, admin, settled, metrics: cloudwatch.metrics };
}

/** The dev stack's notifications path: bus, rule on detail-type, SQS target with a DLQ. */
const notificationsStack = (): LocalResource[] => [
  bus("notifications-bus"),
  rule("notifications-send-rule", "notifications-bus", { "detail-type": ["Send User Notification"] }),
  target(
    "notifications-send-target",
    "notifications-bus",
    "notifications-send-rule",
    queueArn("notifications-sends-queue"),
    {
      deadLetterConfig: { arn: queueArn("notifications-sends-dlq") },
    },
  ),
  rule("other-rule", "notifications-bus", { source: ["switchyard.other"] }),
  target("other-target", "notifications-bus", "other-rule", queueArn("other-queue")),
  rule("disabled-rule", "notifications-bus", { source: [{ prefix: "" }] }, { state: "DISABLED" }),
  target("disabled-target", "notifications-bus", "disabled-rule", queueArn("disabled-queue")),
];

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: "notifications-bus",
  Source: "switchyard.notifications",
  DetailType: "Send User Notification",
  Detail: JSON.stringify({ userId: "u-1", channel: "sms" }),
  ...overrides,
});

// ------------------------------------------------------------------ tests

describe("EventBridge routing", () => {
  it("sends a matching event to the matching rule's target only, in the EventBridge envelope", async () => {
    const { client, sqs, settled } = await start(notificationsStack());
    const result = await client.send(
      new PutEventsCommand({
        Entries: [entry({ Resources: ["arn:aws:s3:::bucket"], Time: new Date("2026-11-22T08:00:01.750Z") })],
      }),
    );
    await settled();
    expect(result.FailedEntryCount).toBe(0);
    const eventId = result.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sqs.bodies("notifications-sends-queue")).toEqual([
      {
        version: "0",
        id: eventId,
        "detail-type": "Send User Notification",
        source: "switchyard.notifications",
        account: ACCOUNT,
        time: "2026-11-22T08:00:01Z",
        region: REGION,
        resources: ["arn:aws:s3:::bucket"],
        detail: { userId: "u-1", channel: "sms" },
      },
    ]);
    expect(sqs.to("other-queue")).toHaveLength(0);
    expect(sqs.to("disabled-queue")).toHaveLength(0);

    await client.send(
      new PutEventsCommand({ Entries: [entry({ Source: "switchyard.other", DetailType: "Other" })] }),
    );
    await settled();
    expect(sqs.to("other-queue")).toHaveLength(1);
    expect(sqs.to("notifications-sends-queue")).toHaveLength(1);
  });

  it("puts events without a bus name on the default bus, and accepts a bus ARN", async () => {
    const { client, sqs, settled } = await start([
      ...notificationsStack(),
      rule("default-rule", "default", { source: ["switchyard.default"] }),
      target("default-target", "default", "default-rule", queueArn("other-queue")),
    ]);
    await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: "switchyard.default", DetailType: "x", Detail: "{}" },
          entry({ EventBusName: busArn("notifications-bus") }),
        ],
      }),
    );
    await settled();
    expect(sqs.to("other-queue")).toHaveLength(1);
    expect(sqs.to("notifications-sends-queue")).toHaveLength(1);
  });

  it("applies input, inputPath and inputTransformer, and delivers to Lambda, FIFO SQS and SNS targets", async () => {
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:fan-out-topic`;
    const { client, sqs, lambda, settled } = await start([
      bus("orders-bus"),
      rule("all-orders", "orders-bus", { source: ["switchyard.orders"] }),
      target("constant", "orders-bus", "all-orders", NOTIFIER, { input: '{"fixed":true}' }),
      target("path", "orders-bus", "all-orders", queueArn("other-queue"), { inputPath: "$.detail.order" }),
      target("transformed", "orders-bus", "all-orders", queueArn("ordered.fifo"), {
        inputTransformer: {
          inputPaths: { id: "$.detail.order.id", total: "$.detail.order.total", first: "$.resources[0]" },
          inputTemplate:
            '{"text":"order <id> costs <total>","total":<total>,"id":<id>,"rule":"<aws.events.rule-name>","first":<first>}',
        },
        sqsTarget: { messageGroupId: "orders" },
      }),
      target("to-topic", "orders-bus", "all-orders", topicArn),
      {
        type: "aws:sns/topic:Topic",
        name: "fan-out-topic",
        urn: "urn:pulumi:dev::switchyard::aws:sns/topic:Topic::fan-out-topic",
        custom: true,
        inputs: {},
        outputs: { name: "fan-out-topic", arn: topicArn },
        id: topicArn,
      },
      {
        type: "aws:sns/topicSubscription:TopicSubscription",
        name: "fan-out-sub",
        urn: "urn:pulumi:dev::switchyard::aws:sns/topicSubscription:TopicSubscription::fan-out-sub",
        custom: true,
        inputs: {
          topic: topicArn,
          protocol: "sqs",
          endpoint: queueArn("from-topic-queue"),
          rawMessageDelivery: true,
        },
        outputs: { arn: `${topicArn}:1` },
        id: `${topicArn}:1`,
      },
    ]);
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: "orders-bus",
            Source: "switchyard.orders",
            DetailType: "ORDER_CREATED",
            Detail: JSON.stringify({ order: { id: "o-1", total: 12.5 } }),
            Resources: ["arn:first"],
          },
        ],
      }),
    );
    await settled();
    const eventId = result.Entries?.[0]?.EventId;
    expect(lambda.invocations).toEqual([{ fn: NOTIFIER, event: { fixed: true }, source: "aws.events" }]);
    expect(sqs.to("other-queue").map((item) => item.input.body)).toEqual(['{"id":"o-1","total":12.5}']);
    const [fifo] = sqs.to("ordered.fifo");
    expect(JSON.parse(fifo?.input.body ?? "null")).toEqual({
      text: "order o-1 costs 12.5",
      total: 12.5,
      id: "o-1",
      rule: "all-orders",
      first: "arn:first",
    });
    expect(fifo?.input.messageGroupId).toBe("orders");
    expect(fifo?.input.messageDeduplicationId).toBe(eventId);
    const [viaTopic] = sqs.bodies("from-topic-queue");
    expect(viaTopic).toMatchObject({
      id: eventId,
      source: "switchyard.orders",
      detail: { order: { id: "o-1" } },
    });
  });

  it("forwards to another event bus, whose rules then route the event", async () => {
    const { client, sqs, settled } = await start([
      bus("orders-bus"),
      bus("notifications-bus"),
      rule("forward", "orders-bus", { source: ["switchyard.orders"] }),
      target("to-bus", "orders-bus", "forward", busArn("notifications-bus")),
      rule("landing", "notifications-bus", { source: ["switchyard.orders"] }),
      target("landing-target", "notifications-bus", "landing", queueArn("other-queue")),
    ]);
    const result = await client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: "orders-bus", Source: "switchyard.orders", DetailType: "x", Detail: "{}" }],
      }),
    );
    await settled();
    expect(sqs.bodies("other-queue").map((event) => event.id)).toEqual([result.Entries?.[0]?.EventId]);
  });
});

describe("EventBridge PutEvents validation", () => {
  it("reports errors per entry and still puts the valid entries", async () => {
    const { client, events, sqs, settled } = await start(notificationsStack());
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: "[1,2]" }),
          entry({ Detail: "{not json" }),
          entry({ EventBusName: "no-such-bus" }),
          entry({ Source: "aws.s3" }),
        ],
      }),
    );
    await settled();
    expect(result.FailedEntryCount).toBe(6);
    const entries = result.Entries ?? [];
    expect(entries[0]?.EventId).toBeDefined();
    expect(entries.slice(1).map((item) => [item.ErrorCode, item.EventId])).toEqual([
      ["InvalidArgument", undefined],
      ["InvalidArgument", undefined],
      ["MalformedDetail", undefined],
      ["MalformedDetail", undefined],
      ["ResourceNotFoundException", undefined],
      ["NotAuthorizedForSourceException", undefined],
    ]);
    expect(entries[1]?.ErrorMessage).toBe(
      "Parameter Source is not valid. Reason: Source is a required argument.",
    );
    expect(entries[5]?.ErrorMessage).toBe("Event bus no-such-bus does not exist.");
    expect(sqs.to("notifications-sends-queue")).toHaveLength(1);

    // The internal API validates the same way, but AWS services may use their aws.* sources.
    const internal = events.putEvents([
      {
        Source: "aws.s3",
        DetailType: "Object Created",
        Detail: '{"bucket":{"name":"b"}}',
        EventBusName: "notifications-bus",
      },
      { Source: "x", DetailType: "y", Detail: "nope" },
    ]);
    expect(internal[0]?.EventId).toBeDefined();
    expect(internal[1]?.ErrorCode).toBe("MalformedDetail");
  });

  it("refuses more than 10 entries and requests over 256 KB computed as AWS documents", async () => {
    const { client, events } = await start(notificationsStack());
    const eleven = Array.from({ length: 11 }, () => entry());
    await expect(client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: "ValidationException",
    });
    // Source (24) + DetailType (22) + Time (14) + Detail => exactly 262,144 bytes.
    const fixed = "switchyard.notifications".length + "Send User Notification".length + 14;
    const padding = (bytes: number) => JSON.stringify({ p: "x".repeat(bytes - 8) });
    const atLimit = entry({ Time: new Date(), Detail: padding(262_144 - fixed) });
    const ok = await client.send(new PutEventsCommand({ Entries: [atLimit] }));
    expect(ok.FailedEntryCount).toBe(0);
    const overLimit = entry({ Time: new Date(), Detail: padding(262_145 - fixed) });
    await expect(client.send(new PutEventsCommand({ Entries: [overLimit] }))).rejects.toThrow(
      /Total size of the entries in the request is over the limit/,
    );
    expect(() => events.putEvents([overLimit])).toThrow(/over the limit/);
  });
});

describe("EventBridge delivery failures", () => {
  const flakyStack = (retry: Record<string, number>, deadLetter = true): LocalResource[] => [
    bus("notifications-bus"),
    rule("flaky-rule", "notifications-bus", { source: ["switchyard.notifications"] }),
    target("flaky-target", "notifications-bus", "flaky-rule", queueArn("flaky-queue"), {
      retryPolicy: retry,
      ...(deadLetter ? { deadLetterConfig: { arn: queueArn("flaky-dlq") } } : {}),
    }),
  ];

  it("retries a failing target per its RetryPolicy, then sends the event to the DLQ with EventBridge's attributes", async () => {
    const delays: number[] = [];
    const { client, sqs, settled } = await start(
      flakyStack({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 }),
      {
        retryDelayMs: (attempt) => {
          delays.push(attempt);
          return 1;
        },
      },
    );
    sqs.failures.set(
      queueArn("flaky-queue"),
      () => new LocalServiceError("ServiceUnavailable", "queue is down", 503),
    );
    const result = await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    expect(sqs.attempts.get(queueArn("flaky-queue"))).toBe(3);
    expect(delays).toEqual([1, 2]);
    const [dead] = sqs.to("flaky-dlq");
    expect(JSON.parse(dead?.input.body ?? "{}")).toMatchObject({
      id: result.Entries?.[0]?.EventId,
      "detail-type": "Send User Notification",
    });
    const attributes = Object.fromEntries(
      Object.entries(dead?.input.messageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    expect(attributes).toEqual({
      RULE_ARN: ruleArn("notifications-bus", "flaky-rule"),
      TARGET_ARN: queueArn("flaky-queue"),
      ERROR_CODE: "INTERNAL_ERROR",
      ERROR_MESSAGE: "queue is down",
      RETRY_ATTEMPTS: "2",
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
    });
  });

  it("reports FailedInvocations and InvocationsSentToDlq per bus and rule, as the stack's alarms expect", async () => {
    const { client, sqs, settled, metrics } = await start(
      flakyStack({ maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600 }),
    );
    sqs.failures.set(queueArn("flaky-queue"), () => new LocalServiceError("ServiceUnavailable", "down", 503));
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    expect(sqs.to("flaky-dlq")).toHaveLength(1);
    const names = metrics.map((m) => m.metricName).sort();
    expect(names).toEqual(["FailedInvocations", "InvocationsSentToDlq"]);
    for (const metric of metrics) {
      expect(metric).toMatchObject({
        namespace: "AWS/Events",
        dimensions: { EventBusName: "notifications-bus", RuleName: "flaky-rule" },
        value: 1,
      });
    }
  });

  it("reports InvocationsFailedToBeSentToDlq when the DLQ refuses the event", async () => {
    const { client, sqs, settled, metrics } = await start(
      flakyStack({ maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 }),
    );
    sqs.failures.set(queueArn("flaky-queue"), () => new LocalServiceError("ServiceUnavailable", "down", 503));
    sqs.failures.set(queueArn("flaky-dlq"), () => new LocalServiceError("KmsAccessDenied", "no key", 400));
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    expect(metrics.map((m) => m.metricName).sort()).toEqual([
      "FailedInvocations",
      "InvocationsFailedToBeSentToDlq",
    ]);
  });

  it("delivers once the target recovers within the retries, without dead-lettering", async () => {
    const { client, sqs, settled, admin } = await start(flakyStack({ maximumRetryAttempts: 5 }));
    sqs.failures.set(queueArn("flaky-queue"), (attempt) =>
      attempt < 3 ? new LocalServiceError("ThrottlingException", "slow down", 400) : undefined,
    );
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    expect(sqs.to("flaky-queue")).toHaveLength(1);
    expect(sqs.to("flaky-dlq")).toHaveLength(0);
    const log = (await admin("events/deliveries")) as Array<{
      status: string;
      attempts: number;
      errorCode?: string;
    }>;
    expect(log.map((item) => [item.status, item.attempts])).toEqual([
      ["retrying", 1],
      ["retrying", 2],
      ["delivered", 3],
    ]);
    expect(log[0]?.errorCode).toBe("THROTTLING");
    // One outcome per event at the target (retries are not outcomes): the console's edge counts.
    const busView = (
      (await admin("events/buses")) as Array<{
        name: string;
        rules: Array<{ targets: Array<{ counts: Record<string, number> }> }>;
      }>
    ).find((b) => b.name === "notifications-bus");
    expect(busView?.rules[0]?.targets[0]?.counts).toEqual({ delivered: 1, deadLettered: 0, failed: 0 });
  });

  it("does not retry a target that does not exist: straight to the DLQ with RETRY_ATTEMPTS 0", async () => {
    const { client, sqs, settled, admin } = await start([
      bus("notifications-bus"),
      rule("gone-rule", "notifications-bus", { source: ["switchyard.notifications"] }),
      target("gone-target", "notifications-bus", "gone-rule", queueArn("deleted-queue"), {
        deadLetterConfig: { arn: queueArn("flaky-dlq") },
      }),
    ]);
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    const [dead] = sqs.to("flaky-dlq");
    expect(dead?.input.messageAttributes?.ERROR_CODE?.StringValue).toBe("NO_RESOURCE");
    expect(dead?.input.messageAttributes?.RETRY_ATTEMPTS?.StringValue).toBe("0");
    expect(dead?.input.messageAttributes?.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
    const busView = (
      (await admin("events/buses")) as Array<{
        name: string;
        rules: Array<{ targets: Array<{ counts: Record<string, number> }> }>;
      }>
    ).find((b) => b.name === "notifications-bus");
    expect(busView?.rules[0]?.targets[0]?.counts).toEqual({ delivered: 0, deadLettered: 1, failed: 0 });
  });

  it("stops retrying at maximumEventAgeInSeconds, and drops with a warning when there is no DLQ", async () => {
    let clock = 1_800_000_000_000;
    const { client, sqs, settled, logs } = await start(
      flakyStack({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 60 }, false),
      {
        now: () => clock,
        retryDelayMs: () => {
          clock += 25_000;
          return 1;
        },
      },
    );
    sqs.failures.set(queueArn("flaky-queue"), () => new Error("connection reset"));
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    // Attempts at 0 s, 25 s and 50 s; the retry due at 75 s is past the 60 s age and is not made.
    expect(sqs.attempts.get(queueArn("flaky-queue"))).toBe(3);
    expect(logs.lines.some((line) => line.level === "warn" && line.message.includes("event dropped"))).toBe(
      true,
    );
  });

  it("sends to the DLQ with EXHAUSTED_RETRY_CONDITION MaximumEventAgeInSeconds when the age runs out", async () => {
    let clock = 1_800_000_000_000;
    const { client, sqs, settled } = await start(flakyStack({ maximumEventAgeInSeconds: 60 }), {
      now: () => clock,
      retryDelayMs: () => {
        clock += 40_000;
        return 1;
      },
    });
    sqs.failures.set(queueArn("flaky-queue"), () => new Error("connection reset"));
    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await settled();
    const attributes = sqs.to("flaky-dlq")[0]?.input.messageAttributes;
    expect(attributes?.EXHAUSTED_RETRY_CONDITION?.StringValue).toBe("MaximumEventAgeInSeconds");
    expect(attributes?.RETRY_ATTEMPTS?.StringValue).toBe("1");
  });
});

describe("EventBridge archives and replays", () => {
  const ordersStack = (): LocalResource[] => [
    bus("orders-bus"),
    archive("orders-archive", "orders-bus", { source: ["switchyard.orders"] }),
    rule("orders-live-rule", "orders-bus", {
      source: ["switchyard.orders"],
      "replay-name": [{ exists: false }],
    }),
    target("orders-live-target", "orders-bus", "orders-live-rule", queueArn("orders-live-queue")),
    rule("orders-replay-rule", "orders-bus", {
      source: ["switchyard.orders"],
      "replay-name": [{ exists: true }],
    }),
    target("orders-replay-target", "orders-bus", "orders-replay-rule", queueArn("orders-replay-queue"), {
      deadLetterConfig: { arn: queueArn("orders-replay-dlq") },
    }),
  ];

  it("archives matching events and replays a window with replay-name to the filtered rules", async () => {
    const { client, sqs, settled, admin } = await start(ordersStack());
    const put = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: "orders-bus",
            Source: "switchyard.orders",
            DetailType: "ORDER_CREATED",
            Detail: '{"orderId":"o-1"}',
          },
          { EventBusName: "orders-bus", Source: "switchyard.other", DetailType: "NOISE", Detail: "{}" },
        ],
      }),
    );
    await settled();
    expect(sqs.to("orders-live-queue")).toHaveLength(1);
    expect(sqs.to("orders-replay-queue")).toHaveLength(0);
    const archives = await client.send(new ListArchivesCommand({}));
    expect(archives.Archives?.[0]).toMatchObject({
      ArchiveName: "orders-archive",
      EventCount: 1,
      State: "ENABLED",
    });

    const start_ = await client.send(
      new StartReplayCommand({
        ReplayName: "orders-incident",
        EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/orders-archive`,
        EventStartTime: new Date(Date.now() - 60_000),
        EventEndTime: new Date(Date.now() + 1000),
        Destination: { Arn: busArn("orders-bus"), FilterArns: [ruleArn("orders-bus", "orders-replay-rule")] },
      }),
    );
    expect(start_.State).toBe("STARTING");
    await settled();
    const replayed = sqs.bodies("orders-replay-queue");
    expect(replayed).toEqual([
      expect.objectContaining({
        id: put.Entries?.[0]?.EventId,
        "replay-name": "orders-incident",
        detail: { orderId: "o-1" },
      }),
    ]);
    expect(sqs.to("orders-live-queue")).toHaveLength(1);
    const described = await client.send(new DescribeReplayCommand({ ReplayName: "orders-incident" }));
    expect(described.State).toBe("COMPLETED");
    // Replays are not archived again.
    const archived = (await admin("events/archives")) as Array<{ events: unknown[] }>;
    expect(archived[0]?.events).toHaveLength(1);
    await expect(
      client.send(
        new StartReplayCommand({
          ReplayName: "orders-incident",
          EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/orders-archive`,
          EventStartTime: new Date(0),
          EventEndTime: new Date(),
          Destination: { Arn: busArn("orders-bus") },
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceAlreadyExistsException" });
  });
});

describe("EventBridge read APIs", () => {
  it("answers ListEventBuses, DescribeEventBus, ListRules, ListTargetsByRule and TestEventPattern", async () => {
    const { client } = await start(notificationsStack());
    const buses = await client.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((item) => item.Name).sort()).toEqual(["default", "notifications-bus"]);
    const described = await client.send(new DescribeEventBusCommand({ Name: busArn("notifications-bus") }));
    expect(described).toMatchObject({ Name: "notifications-bus", Arn: busArn("notifications-bus") });
    await expect(client.send(new DescribeEventBusCommand({ Name: "nope" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );

    const rules = await client.send(
      new ListRulesCommand({ EventBusName: "notifications-bus", NamePrefix: "notifications" }),
    );
    expect(rules.Rules).toEqual([
      expect.objectContaining({
        Name: "notifications-send-rule",
        Arn: ruleArn("notifications-bus", "notifications-send-rule"),
        EventPattern: '{"detail-type":["Send User Notification"]}',
        State: "ENABLED",
        EventBusName: "notifications-bus",
      }),
    ]);
    const targets = await client.send(
      new ListTargetsByRuleCommand({ Rule: "notifications-send-rule", EventBusName: "notifications-bus" }),
    );
    expect(targets.Targets?.[0]).toMatchObject({
      Arn: queueArn("notifications-sends-queue"),
      DeadLetterConfig: { Arn: queueArn("notifications-sends-dlq") },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    });
    await expect(
      client.send(new ListTargetsByRuleCommand({ Rule: "nope", EventBusName: "notifications-bus" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    const event = JSON.stringify({
      id: "1",
      account: ACCOUNT,
      source: "switchyard.orders",
      time: "2026-01-01T00:00:00Z",
      region: REGION,
      "detail-type": "ORDER_CREATED",
      detail: { total: 1500 },
    });
    const yes = await client.send(
      new TestEventPatternCommand({
        EventPattern: '{"detail":{"total":[{"numeric":[">",1000]}]}}',
        Event: event,
      }),
    );
    const no = await client.send(
      new TestEventPatternCommand({ EventPattern: '{"source":["other"]}', Event: event }),
    );
    expect([yes.Result, no.Result]).toEqual([true, false]);
    await expect(
      client.send(new TestEventPatternCommand({ EventPattern: '{"source":"not-a-list"}', Event: event })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(
      client.send(new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: '{"source":"x"}' })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });
});
