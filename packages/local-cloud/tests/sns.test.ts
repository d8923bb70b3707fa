import { randomUUID } from "node:crypto";
import {
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  EmptyBatchRequestException,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  InvalidBatchEntryIdException,
  InvalidParameterException,
  InvalidParameterValueException,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  TooManyEntriesInBatchRequestException,
} from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createSns, type SnsEmulator, type SnsOptions } from "../src/services/sns";
import { type LocalResource, LocalServiceError } from "../src/types";
import { captureLog, fakeLambda, fakeSqs } from "./fakes";

// ------------------------------------------------------------------ fixtures

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const ORDERS = topicArn("orders-order-events-topic");
const ORDERED = topicArn("orders-ordered-d6b103d.fifo");
const ALARMS = topicArn("switchyard-alarms-ops-topic");

function topic(name: string, inputs: Record<string, unknown> = {}): LocalResource {
  const arn = topicArn(name);
  return {
    type: "aws:sns/topic:Topic",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:Topic$aws:sns/topic:Topic::${name}`,
    custom: true,
    inputs: { kmsMasterKeyId: "alias/aws/sns", ...inputs },
    outputs: { name, arn },
    id: arn,
  };
}

function subscription(name: string, inputs: Record<string, unknown>): LocalResource {
  const arn = `${String(inputs.topic)}:${randomUUID().slice(0, 13)}`;
  return {
    type: "aws:sns/topicSubscription:TopicSubscription",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:TopicQueueSubscription$aws:sns/topicSubscription:TopicSubscription::${name}`,
    custom: true,
    inputs,
    outputs: { arn },
    id: arn,
  };
}

/** A queue subscription shaped like the dev stack's TopicQueueSubscription. */
function queueSubscription(
  name: string,
  topic: string,
  queue: string,
  extra: Record<string, unknown> = {},
): LocalResource {
  return subscription(`${name}-subscription`, {
    endpoint: queueArn(queue),
    protocol: "sqs",
    rawMessageDelivery: true,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn(`${queue}-dlq`) }),
    topic,
    ...extra,
  });
}

const QUEUES = [
  "orders-inventory-queue",
  "orders-inventory-queue-dlq",
  "orders-customer-notifications-queue",
  "orders-customer-notifications-queue-dlq",
  "orders-analytics-queue",
  "orders-analytics-queue-dlq",
  "orders-order-processing-d67022c.fifo",
  "orders-order-processing-d67022c.fifo-dlq",
  "orders-high-value-alert-dlq",
  "high-value-queue",
  "high-value-queue-dlq",
  "broken-queue",
  "broken-queue-dlq",
].map(queueArn);

let engine: Engine | undefined;

afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function start(
  resources: LocalResource[],
  options: { sns?: SnsOptions; queues?: string[]; functions?: string[] } = {},
) {
  const sqs = fakeSqs(options.queues ?? QUEUES, queueArn);
  const lambda = fakeLambda(options.functions ?? [functionArn("orders-high-value-alert-function")]);
  const logs = captureLog();
  engine = await Engine.listen({
    emulators: { sqs: sqs.factory, lambda: lambda.factory, sns: (ctx) => createSns(ctx, options.sns) },
    log: logs.log,
  });
  await engine.provision(resources);
  const client = new SNSClient({
    endpoint: engine.endpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const sns = engine.emulator<SnsEmulator>("sns");
  if (!sns) throw new Error("sns emulator missing");
  const endpoint = engine.endpoint;
  const admin = async (route: string): Promise<unknown> =>
    (await fetch(`${endpoint}/_local/${route}`)).json();
  return { client, sns, sqs, lambda, logs, admin };
}

const ordersStack = (): LocalResource[] => [
  topic("orders-order-events-topic", { displayName: "Switchyard order events" }),
  queueSubscription("orders-inventory", ORDERS, "orders-inventory-queue", {
    filterPolicy: JSON.stringify({ eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] }),
    filterPolicyScope: "MessageAttributes",
  }),
  queueSubscription("orders-customer-notifications", ORDERS, "orders-customer-notifications-queue", {
    filterPolicy: JSON.stringify({
      replayName: [{ exists: false }],
      eventType: ["ORDER_SHIPPED", "ORDER_DELIVERED"],
      priority: ["HIGH"],
    }),
    filterPolicyScope: "MessageAttributes",
  }),
];

const attr = (value: string, type = "String") => ({ DataType: type, StringValue: value });

// ------------------------------------------------------------------ tests

describe("SNS filter policies", () => {
  it("routes a message by its attributes to the subscription whose policy matches, and not to the other", async () => {
    const { client, sns, sqs } = await start(ordersStack());
    const created = await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: JSON.stringify({ orderId: "o-1" }),
        MessageAttributes: { eventType: attr("ORDER_CREATED"), priority: attr("HIGH") },
      }),
    );
    await sns.settled();
    expect(sqs.to("orders-inventory-queue")).toHaveLength(1);
    expect(sqs.to("orders-customer-notifications-queue")).toHaveLength(0);

    await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: JSON.stringify({ orderId: "o-1" }),
        MessageAttributes: { eventType: attr("ORDER_SHIPPED"), priority: attr("HIGH") },
      }),
    );
    // A replay carries replayName: the customer is not notified twice.
    await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: JSON.stringify({ orderId: "o-1" }),
        MessageAttributes: {
          eventType: attr("ORDER_SHIPPED"),
          priority: attr("HIGH"),
          replayName: attr("r-1"),
        },
      }),
    );
    await sns.settled();
    expect(sqs.to("orders-inventory-queue")).toHaveLength(1);
    expect(sqs.to("orders-customer-notifications-queue")).toHaveLength(1);
    expect(created.MessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("filters on the message body with FilterPolicyScope MessageBody", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("high-value", ORDERS, "high-value-queue", {
        filterPolicy: JSON.stringify({ order: { total: [{ numeric: [">", 1000] }], currency: ["EUR"] } }),
        filterPolicyScope: "MessageBody",
      }),
    ]);
    for (const message of [
      { order: { total: 1500, currency: "EUR" } },
      { order: { total: 999, currency: "EUR" } },
      { order: { total: 5000, currency: "USD" } },
    ]) {
      await client.send(new PublishCommand({ TopicArn: ORDERS, Message: JSON.stringify(message) }));
    }
    await client.send(new PublishCommand({ TopicArn: ORDERS, Message: "not json at all" }));
    await sns.settled();
    const delivered = sqs.to("high-value-queue").map((entry) => JSON.parse(entry.input.body) as unknown);
    expect(delivered).toEqual([{ order: { total: 1500, currency: "EUR" } }]);
  });
});

describe("SNS delivery to SQS", () => {
  it("delivers the raw message with its attributes as SQS attributes, or the JSON envelope", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-inventory", ORDERS, "orders-inventory-queue"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue", { rawMessageDelivery: false }),
    ]);
    const attributes = {
      eventType: attr("ORDER_CREATED"),
      orderValue: attr("1250.5", "Number"),
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const result = await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: '{"orderId":"o-7"}',
        Subject: "Order o-7",
        MessageAttributes: attributes,
      }),
    );
    await sns.settled();

    const [raw] = sqs.to("orders-inventory-queue");
    expect(raw?.input.body).toBe('{"orderId":"o-7"}');
    expect(raw?.input.messageAttributes).toEqual({
      eventType: { DataType: "String", StringValue: "ORDER_CREATED" },
      orderValue: { DataType: "Number", StringValue: "1250.5" },
      blob: { DataType: "Binary", BinaryValue: "AQID" },
    });
    expect(raw?.input.senderId).toBe(ORDERS);

    const [wrapped] = sqs.to("orders-analytics-queue");
    expect(wrapped?.input.messageAttributes).toBeUndefined();
    const envelope = JSON.parse(wrapped?.input.body ?? "{}") as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual([
      "Type",
      "MessageId",
      "TopicArn",
      "Subject",
      "Message",
      "Timestamp",
      "SignatureVersion",
      "Signature",
      "SigningCertURL",
      "UnsubscribeURL",
      "MessageAttributes",
    ]);
    expect(envelope).toMatchObject({
      Type: "Notification",
      MessageId: result.MessageId,
      TopicArn: ORDERS,
      Subject: "Order o-7",
      Message: '{"orderId":"o-7"}',
      SignatureVersion: "1",
      MessageAttributes: {
        eventType: { Type: "String", Value: "ORDER_CREATED" },
        orderValue: { Type: "Number", Value: "1250.5" },
        blob: { Type: "Binary", Value: "AQID" },
      },
    });
    expect(envelope.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(String(envelope.UnsubscribeURL)).toContain("Action=Unsubscribe");
  });

  it("leaves Subject and MessageAttributes out of the envelope when the message has none", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue", { rawMessageDelivery: false }),
    ]);
    await client.send(new PublishCommand({ TopicArn: ORDERS, Message: "plain" }));
    await sns.settled();
    const envelope = JSON.parse(sqs.to("orders-analytics-queue")[0]?.input.body ?? "{}") as Record<
      string,
      unknown
    >;
    expect(envelope.Message).toBe("plain");
    expect("Subject" in envelope).toBe(false);
    expect("MessageAttributes" in envelope).toBe(false);
  });

  it("delivers the per-protocol message of MessageStructure=json", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-inventory", ORDERS, "orders-inventory-queue"),
      subscription("ops-email", { topic: ORDERS, protocol: "email", endpoint: "ops@example.com" }),
    ]);
    await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        MessageStructure: "json",
        Message: JSON.stringify({ default: "fallback", sqs: "for queues" }),
      }),
    );
    await expect(
      client.send(new PublishCommand({ TopicArn: ORDERS, MessageStructure: "json", Message: '{"sqs":"x"}' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await sns.settled();
    expect(sqs.to("orders-inventory-queue").map((entry) => entry.input.body)).toEqual(["for queues"]);
    expect(sns.outbox(ORDERS).map((entry) => entry.message)).toEqual(["fallback"]);
  });
});

describe("SNS FIFO topics", () => {
  const fifoStack = (contentBasedDeduplication: boolean): LocalResource[] => [
    topic("orders-ordered-d6b103d.fifo", {
      contentBasedDeduplication,
      fifoThroughputScope: "MessageGroup",
      fifoTopic: true,
      namePrefix: "orders-ordered-",
    }),
    queueSubscription("orders-order-processing", ORDERED, "orders-order-processing-d67022c.fifo"),
  ];

  it("deduplicates within 5 minutes: a duplicate gets the original MessageId and is not delivered again", async () => {
    let clock = 1_800_000_000_000;
    const { client, sns, sqs } = await start(fifoStack(true), { sns: { now: () => clock } });
    const publish = (message: string, group = "customer-1") =>
      client.send(new PublishCommand({ TopicArn: ORDERED, Message: message, MessageGroupId: group }));

    const first = await publish('{"orderId":"o-1","version":1}');
    const duplicate = await publish('{"orderId":"o-1","version":1}');
    const second = await publish('{"orderId":"o-1","version":2}');
    await sns.settled();
    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(duplicate.SequenceNumber).toBe(first.SequenceNumber);
    expect(second.MessageId).not.toBe(first.MessageId);
    expect(BigInt(second.SequenceNumber ?? "0")).toBeGreaterThan(BigInt(first.SequenceNumber ?? "0"));
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);

    const delivered = sqs.to("orders-order-processing-d67022c.fifo");
    expect(delivered.map((entry) => entry.input.body)).toEqual([
      '{"orderId":"o-1","version":1}',
      '{"orderId":"o-1","version":2}',
    ]);
    expect(delivered[0]?.input.messageGroupId).toBe("customer-1");
    expect(delivered[0]?.input.messageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);

    // With MessageGroup scope the same body in another group is not a duplicate.
    await publish('{"orderId":"o-1","version":1}', "customer-2");
    // Past the 5-minute interval the same message is new again.
    clock += 5 * 60_000;
    const later = await publish('{"orderId":"o-1","version":1}');
    await sns.settled();
    expect(later.MessageId).not.toBe(first.MessageId);
    expect(sqs.to("orders-order-processing-d67022c.fifo")).toHaveLength(4);
  });

  it("requires MessageGroupId, and a deduplication id unless content-based deduplication is on", async () => {
    const { client, sns, sqs } = await start([...fifoStack(false), topic("orders-order-events-topic")]);
    await expect(client.send(new PublishCommand({ TopicArn: ORDERED, Message: "m" }))).rejects.toThrow(
      /MessageGroupId parameter is required for FIFO topics/,
    );
    await expect(
      client.send(new PublishCommand({ TopicArn: ORDERED, Message: "m", MessageGroupId: "g" })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new PublishCommand({ TopicArn: ORDERS, Message: "m", MessageDeduplicationId: "d-1" })),
    ).rejects.toThrow(/MessageDeduplicationId/);
    const ok = await client.send(
      new PublishCommand({
        TopicArn: ORDERED,
        Message: "m",
        MessageGroupId: "g",
        MessageDeduplicationId: "d-1",
      }),
    );
    const again = await client.send(
      new PublishCommand({
        TopicArn: ORDERED,
        Message: "other body",
        MessageGroupId: "g",
        MessageDeduplicationId: "d-1",
      }),
    );
    await sns.settled();
    expect(again.MessageId).toBe(ok.MessageId);
    expect(
      sqs.to("orders-order-processing-d67022c.fifo").map((entry) => entry.input.messageDeduplicationId),
    ).toEqual(["d-1"]);
  });
});

describe("SNS PublishBatch", () => {
  const entry = (id: string, message = `message ${id}`) => ({ Id: id, Message: message });

  it("publishes up to 10 entries and delivers each", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue"),
    ]);
    const result = await client.send(
      new PublishBatchCommand({
        TopicArn: ORDERS,
        PublishBatchRequestEntries: [
          entry("a"),
          { Id: "b", Message: "with attributes", MessageAttributes: { eventType: attr("ORDER_CREATED") } },
          entry("c"),
        ],
      }),
    );
    await sns.settled();
    expect(result.Successful?.map((item) => item.Id)).toEqual(["a", "b", "c"]);
    expect(result.Failed ?? []).toEqual([]);
    expect(sqs.to("orders-analytics-queue").map((item) => item.input.body)).toEqual([
      "message a",
      "with attributes",
      "message c",
    ]);
    expect(sqs.to("orders-analytics-queue")[1]?.input.messageAttributes?.eventType?.StringValue).toBe(
      "ORDER_CREATED",
    );
  });

  it("refuses more than 10 entries, repeated ids, bad ids, no entries and more than 256 KB in total", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue"),
    ]);
    const batch = (entries: Array<{ Id: string; Message: string }>) =>
      client.send(new PublishBatchCommand({ TopicArn: ORDERS, PublishBatchRequestEntries: entries }));
    const eleven = Array.from({ length: 11 }, (_, index) => entry(`e${index}`));
    await expect(batch(eleven)).rejects.toBeInstanceOf(TooManyEntriesInBatchRequestException);
    await expect(batch([entry("same"), entry("same")])).rejects.toBeInstanceOf(
      BatchEntryIdsNotDistinctException,
    );
    await expect(batch([entry("not valid!")])).rejects.toBeInstanceOf(InvalidBatchEntryIdException);
    await expect(batch([])).rejects.toBeInstanceOf(EmptyBatchRequestException);
    const half = "x".repeat(131_072);
    await expect(batch([entry("one", half), entry("two", `${half}y`)])).rejects.toBeInstanceOf(
      BatchRequestTooLongException,
    );
    // Exactly 256 KB in total is allowed.
    const ok = await batch([entry("one", half), entry("two", half)]);
    // One malformed entry fails the whole batch: nothing of it is published.
    await expect(
      client.send(
        new PublishBatchCommand({
          TopicArn: ORDERS,
          PublishBatchRequestEntries: [entry("good"), { Id: "bad", Message: "m", Subject: "two\nlines" }],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await sns.settled();
    expect(ok.Successful).toHaveLength(2);
    expect(sqs.to("orders-analytics-queue")).toHaveLength(2);
  });
});

describe("SNS Publish limits", () => {
  it("accepts 256 KB including attributes and refuses one byte more", async () => {
    const { client, sns, sqs } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue"),
    ]);
    // name (9) + type (6) + value (13) = 28 bytes of attributes
    const attributes = { eventType: attr("ORDER_CREATED") };
    await client.send(
      new PublishCommand({ TopicArn: ORDERS, Message: "é".repeat(131_058), MessageAttributes: attributes }),
    );
    await expect(
      client.send(
        new PublishCommand({
          TopicArn: ORDERS,
          Message: `${"é".repeat(131_058)}x`,
          MessageAttributes: attributes,
        }),
      ),
    ).rejects.toThrow(/Message too long/);
    await sns.settled();
    expect(sqs.to("orders-analytics-queue")).toHaveLength(1);
  });

  it("refuses a bad subject, empty message, bad attributes and unknown topics with the SDK's exceptions", async () => {
    const { client } = await start([topic("orders-order-events-topic")]);
    const publish = (
      input: Omit<ConstructorParameters<typeof PublishCommand>[0], "TopicArn"> & { TopicArn?: string },
    ) => client.send(new PublishCommand({ TopicArn: ORDERS, ...input }));
    await expect(publish({ Message: "m", Subject: "line\nbreak" })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(publish({ Message: "m", Subject: "s".repeat(100) })).rejects.toThrow(/Subject/);
    await publish({ Message: "m", Subject: "s".repeat(99) });
    await expect(publish({ Message: "" })).rejects.toThrow(/Empty message/);
    await expect(
      publish({ Message: "m", MessageAttributes: { n: attr("twelve", "Number") } }),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(
      publish({ Message: "m", MessageAttributes: { n: attr("x", "Text") } }),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(publish({ Message: "m", MessageAttributes: { "a..b": attr("x") } })).rejects.toThrow(
      /successive/,
    );
    await expect(
      publish({ Message: "m", MessageAttributes: { tags: attr("not-an-array", "String.Array") } }),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await publish({ Message: "m", MessageAttributes: { tags: attr('["a",1,true]', "String.Array") } });
    await expect(publish({ TopicArn: topicArn("no-such-topic"), Message: "m" })).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });
});

describe("SNS delivery to Lambda", () => {
  it("invokes the function asynchronously with the SNS event Records shape", async () => {
    const fn = functionArn("orders-high-value-alert-function");
    const { client, sns, lambda } = await start([
      topic("orders-order-events-topic"),
      subscription("orders-high-value-alert-subscription", {
        endpoint: fn,
        filterPolicy: JSON.stringify({ orderValue: [{ numeric: [">", 1000] }] }),
        filterPolicyScope: "MessageAttributes",
        protocol: "lambda",
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("orders-high-value-alert-dlq") }),
        topic: ORDERS,
      }),
    ]);
    await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: "small",
        MessageAttributes: { orderValue: attr("10", "Number") },
      }),
    );
    const published = await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: '{"orderId":"o-9"}',
        MessageAttributes: { orderValue: attr("1500", "Number") },
      }),
    );
    await sns.settled();
    expect(lambda.invocations).toHaveLength(1);
    const [invocation] = lambda.invocations;
    expect(invocation?.fn).toBe(fn);
    const event = invocation?.event as { Records: Array<Record<string, unknown>> };
    expect(event.Records).toHaveLength(1);
    const [recordEntry] = event.Records;
    expect(recordEntry).toMatchObject({
      EventSource: "aws:sns",
      EventVersion: "1.0",
      Sns: {
        Type: "Notification",
        MessageId: published.MessageId,
        TopicArn: ORDERS,
        Subject: null,
        Message: '{"orderId":"o-9"}',
        SignatureVersion: "1",
        MessageAttributes: { orderValue: { Type: "Number", Value: "1500" } },
      },
    });
    expect(String(recordEntry?.EventSubscriptionArn)).toMatch(new RegExp(`^${ORDERS}:`));
    const snsPart = recordEntry?.Sns as Record<string, unknown>;
    expect(Object.keys(snsPart)).toEqual(
      expect.arrayContaining(["Signature", "SigningCertUrl", "UnsubscribeUrl", "Timestamp"]),
    );
    expect("SigningCertURL" in snsPart).toBe(false);
  });
});

describe("SNS delivery failures", () => {
  it("sends what the subscription would have received to its redrive DLQ", async () => {
    const fn = functionArn("orders-high-value-alert-function");
    const { client, sns, sqs, admin } = await start(
      [
        topic("orders-order-events-topic"),
        // The queue does not exist: the delivery fails.
        queueSubscription("missing", ORDERS, "missing-queue", {
          redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("broken-queue-dlq") }),
        }),
        // The queue refuses the message.
        queueSubscription("broken", ORDERS, "broken-queue", { rawMessageDelivery: false }),
        subscription("alert", {
          endpoint: fn,
          protocol: "lambda",
          redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("orders-high-value-alert-dlq") }),
          topic: ORDERS,
        }),
      ],
      { functions: [] },
    );
    sqs.failures.set(
      queueArn("broken-queue"),
      () => new LocalServiceError("KMS.AccessDeniedException", "no key access"),
    );
    const published = await client.send(
      new PublishCommand({
        TopicArn: ORDERS,
        Message: "payload",
        MessageAttributes: { eventType: attr("ORDER_CREATED") },
      }),
    );
    await sns.settled();

    const rawDead = sqs.to("broken-queue-dlq");
    expect(rawDead.map((entry) => entry.input.body)).toContain("payload");
    const rawEntry = rawDead.find((entry) => entry.input.body === "payload");
    expect(rawEntry?.input.messageAttributes?.eventType?.StringValue).toBe("ORDER_CREATED");

    const enveloped = rawDead.find((entry) => entry.input.body !== "payload");
    expect(JSON.parse(enveloped?.input.body ?? "{}")).toMatchObject({
      Type: "Notification",
      Message: "payload",
    });

    const lambdaDead = sqs.to("orders-high-value-alert-dlq");
    expect(lambdaDead).toHaveLength(1);
    expect(JSON.parse(lambdaDead[0]?.input.body ?? "{}")).toMatchObject({
      Type: "Notification",
      MessageId: published.MessageId,
      Message: "payload",
    });
    const deliveries = (await admin("sns/deliveries")) as Array<{ status: string; error?: string }>;
    expect(deliveries.map((entry) => entry.status).sort()).toEqual([
      "dead-lettered",
      "dead-lettered",
      "dead-lettered",
    ]);
    expect(deliveries.some((entry) => entry.error?.includes("no key access"))).toBe(true);
    // Each subscription counts its outcomes (the console's edge counts).
    const [orders] = (await admin("sns/topics")) as Array<{
      subscriptions: Array<{ endpoint: string; counts: Record<string, number> }>;
    }>;
    expect(orders?.subscriptions.find((s) => s.endpoint === queueArn("missing-queue"))?.counts).toEqual({
      delivered: 0,
      filteredOut: 0,
      deadLettered: 1,
      failed: 0,
    });
  });

  it("drops a failed delivery with a warning when the subscription has no DLQ", async () => {
    const { client, sns, sqs, logs } = await start([
      topic("orders-order-events-topic"),
      subscription("no-dlq", { endpoint: queueArn("missing-queue"), protocol: "sqs", topic: ORDERS }),
    ]);
    await client.send(new PublishCommand({ TopicArn: ORDERS, Message: "lost" }));
    await sns.settled();
    expect(sqs.sent).toHaveLength(0);
    expect(logs.lines.some((line) => line.level === "warn" && line.message.includes("message dropped"))).toBe(
      true,
    );
  });

  it("fails a raw SQS delivery of more than 10 attributes, which then goes to the DLQ", async () => {
    const { client, sns, sqs, admin } = await start([
      topic("orders-order-events-topic"),
      queueSubscription("orders-inventory", ORDERS, "orders-inventory-queue"),
      queueSubscription("orders-analytics", ORDERS, "orders-analytics-queue", { rawMessageDelivery: false }),
    ]);
    const attributes = Object.fromEntries(
      Array.from({ length: 11 }, (_, index) => [`a${index}`, attr(`v${index}`)]),
    );
    await client.send(
      new PublishCommand({ TopicArn: ORDERS, Message: "many", MessageAttributes: attributes }),
    );
    await sns.settled();
    expect(sqs.to("orders-inventory-queue")).toHaveLength(0);
    expect(sqs.to("orders-inventory-queue-dlq").map((entry) => entry.input.body)).toEqual(["many"]);
    const [orders] = (await admin("sns/topics")) as Array<{
      subscriptions: Array<{ endpoint: string; counts: Record<string, number> }>;
    }>;
    expect(orders?.subscriptions.map((s) => [s.endpoint, s.counts.delivered, s.counts.deadLettered])).toEqual(
      [
        [queueArn("orders-inventory-queue"), 0, 1],
        [queueArn("orders-analytics-queue"), 1, 0],
      ],
    );
    // The envelope carries all 11 in its body.
    const envelope = JSON.parse(sqs.to("orders-analytics-queue")[0]?.input.body ?? "{}") as {
      MessageAttributes: Record<string, unknown>;
    };
    expect(Object.keys(envelope.MessageAttributes)).toHaveLength(11);
  });
});

describe("SNS internal publish, outbox and read APIs", () => {
  it("publishes internally (S3 notifications, alarm actions) and keeps email deliveries in the outbox", async () => {
    const { sns, admin } = await start([
      topic("switchyard-alarms-ops-topic", { displayName: "Switchyard alarms" }),
      subscription("switchyard-alarms-email-switchyard-dev-alerts@example.com", {
        endpoint: "switchyard-dev-alerts@example.com",
        protocol: "email",
        topic: ALARMS,
      }),
      subscription("ops-json", { endpoint: "ops@example.com", protocol: "email-json", topic: ALARMS }),
    ]);
    expect(sns.hasTopic(ALARMS)).toBe(true);
    expect(sns.hasTopic(topicArn("nope"))).toBe(false);
    const result = sns.publish(ALARMS, {
      message: '{"AlarmName":"x","NewStateValue":"ALARM"}',
      subject: 'ALARM: "x"',
    });
    expect(() => sns.publish(ALARMS, { message: "y".repeat(262_145) })).toThrow(/Message too long/);
    expect(() => sns.publish(topicArn("nope"), { message: "m" })).toThrow(/does not exist/);
    await sns.settled();
    const outbox = sns.outbox(ALARMS);
    expect(outbox).toHaveLength(2);
    expect(outbox[0]).toMatchObject({
      protocol: "email",
      endpoint: "switchyard-dev-alerts@example.com",
      message: '{"AlarmName":"x","NewStateValue":"ALARM"}',
      subject: 'ALARM: "x"',
      messageId: result.messageId,
    });
    expect(JSON.parse(outbox[1]?.message ?? "{}")).toMatchObject({
      Type: "Notification",
      Subject: 'ALARM: "x"',
    });
    expect(await admin(`sns/outbox?topicArn=${encodeURIComponent(ALARMS)}`)).toHaveLength(2);
    const topics = (await admin("sns/topics")) as Array<{ arn: string; subscriptions: unknown[] }>;
    expect(topics.find((item) => item.arn === ALARMS)?.subscriptions).toHaveLength(2);
  });

  it("answers ListTopics, GetTopicAttributes, ListSubscriptions(ByTopic) and GetSubscriptionAttributes", async () => {
    const resources = [
      ...ordersStack(),
      topic("orders-ordered-d6b103d.fifo", {
        contentBasedDeduplication: true,
        fifoThroughputScope: "MessageGroup",
        fifoTopic: true,
      }),
      {
        type: "aws:sns/topicPolicy:TopicPolicy",
        name: "orders-order-events-policy",
        urn: "urn:pulumi:dev::switchyard::switchyard:kit:Topic$aws:sns/topicPolicy:TopicPolicy::orders-order-events-policy",
        custom: true,
        inputs: { arn: ORDERS, policy: '{"Version":"2012-10-17","Statement":[]}' },
        outputs: { arn: ORDERS },
        id: "orders-order-events-policy-46a7f7e2",
      },
    ];
    const { client } = await start(resources);
    const listed = await client.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((item) => item.TopicArn).sort()).toEqual([ORDERED, ORDERS].sort());

    const plain = await client.send(new GetTopicAttributesCommand({ TopicArn: ORDERS }));
    expect(plain.Attributes).toMatchObject({
      TopicArn: ORDERS,
      DisplayName: "Switchyard order events",
      KmsMasterKeyId: "alias/aws/sns",
      SubscriptionsConfirmed: "2",
      Policy: '{"Version":"2012-10-17","Statement":[]}',
    });
    expect(plain.Attributes?.FifoTopic).toBeUndefined();
    const fifo = await client.send(new GetTopicAttributesCommand({ TopicArn: ORDERED }));
    expect(fifo.Attributes).toMatchObject({ FifoTopic: "true", ContentBasedDeduplication: "true" });
    await expect(
      client.send(new GetTopicAttributesCommand({ TopicArn: topicArn("nope") })),
    ).rejects.toBeInstanceOf(NotFoundException);

    const byTopic = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: ORDERS }));
    expect(byTopic.Subscriptions?.map((item) => item.Endpoint).sort()).toEqual([
      queueArn("orders-customer-notifications-queue"),
      queueArn("orders-inventory-queue"),
    ]);
    const all = await client.send(new ListSubscriptionsCommand({}));
    expect(all.Subscriptions).toHaveLength(2);

    const inventory = byTopic.Subscriptions?.find(
      (item) => item.Endpoint === queueArn("orders-inventory-queue"),
    );
    const attributes = await client.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: inventory?.SubscriptionArn }),
    );
    expect(attributes.Attributes).toMatchObject({
      Protocol: "sqs",
      RawMessageDelivery: "true",
      FilterPolicy: JSON.stringify({ eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] }),
      FilterPolicyScope: "MessageAttributes",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("orders-inventory-queue-dlq") }),
      PendingConfirmation: "false",
    });
    await expect(
      client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: `${ORDERS}:nope` })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});
