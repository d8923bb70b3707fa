import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishBatchCommand, PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { publishOrderEvents, SEND_USER_NOTIFICATION, sendUserNotification } from "@switchyard/contracts";
import { type FunctionLogRecord, type LocalCloud, startLocalCloud } from "@switchyard/local-cloud";
import { destroyClients as destroyOpsClients, localStackFrom, Ops } from "@switchyard/ops";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  assumeRole,
  awsClients,
  destroyClients,
  eventually,
  localView,
  outputOf,
  queueCounts,
  queueName,
  queueUrl,
  S,
  tableName,
  unique,
} from "./harness";

/**
 * Hostile input against the local cloud (issue 14), through the real transports of every service of the dev stack:
 * - orders: hostile bodies published raw to the orders topic with the attributes that route them to the queue
 *   consumers (inventory, analytics, archive, customer notifications) and to the high-value alert (SNS -> Lambda,
 *   whose failures land in its on-failure DLQ), beside a good one; and hostile input to the publisher clients;
 * - notifications: hostile `Send User Notification` details put on the bus by the stack's publisher, and hostile
 *   bodies sent straight to the sender's queue;
 * - s3-pipeline: forged S3 events (another bucket, bad sequencer or time, a forged SNS envelope, an invalid key,
 *   a removal of an object that exists, a huge sequencer ahead of a real upload) sent straight to its queues;
 * - sms-throttle: hostile SMS requests published to the SMS topic (malformed, wrong types, huge numbers, lone
 *   surrogates, no attributes, oversized).
 * Every hostile message ends as a refusal (the transport or the publisher client refuses it) or a dead letter with
 * its reason, or (a forged S3 event S3 does not confirm) changes nothing; the good ones are processed; no function
 * crashes, times out or leaves an unhandled rejection; and no log line the local cloud stored holds the token or
 * the phone number.
 */

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const PHONE = "+4915112345678";
const FORGED_TOPIC = "arn:aws:sns:us-east-1:999999999999:not-the-orders-topic";

let cloud: LocalCloud;
let aws: AwsClients;
let ops: Ops;
const logs: FunctionLogRecord[] = [];

beforeAll(async () => {
  // Queue clocks 100x faster: a transient failure's retries (if any) pass in seconds.
  // The whole dev stack: every service's handlers take hostile input here.
  cloud = await startLocalCloud({
    stack: "dev",
    port: 0,
    writeOutputsFile: false,
    timeScale: 100,
    onFunctionLog: (record) => logs.push(record),
  });
  aws = awsClients(cloud.endpoint);
  ops = new Ops(localStackFrom(cloud.endpoint, cloud.outputs, "dev"));
});

afterAll(async () => {
  if (ops) destroyOpsClients(ops.clients);
  if (aws) destroyClients(aws);
  await cloud?.close();
});

const deep = (tag: string, depth: number) =>
  `{"tag":"${tag}","x":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;

/** Hostile order bodies, each carrying its tag (so its dead letter can be found) where JSON allows one. */
function hostileOrders(run: string): Array<[string, string]> {
  const good = {
    eventType: "ORDER_CREATED",
    orderId: `${run}-good`,
    version: 1,
    customerId: "cust-1",
    priority: "HIGH",
    orderValue: 5000,
    currency: "EUR",
    occurredAt: "2031-01-01T00:00:00Z",
    items: [{ sku: `${run}.sku`, quantity: 1 }],
  };
  const tagged = (tag: string, patch: Record<string, unknown>) =>
    JSON.stringify({ ...good, orderId: tag, ...patch });
  const cases: Array<[string, (tag: string) => string]> = [
    ["malformed JSON", (tag) => `{"orderId":"${tag}",`],
    ["a JSON array", (tag) => JSON.stringify([tag])],
    ["wrong types", (tag) => tagged(tag, { version: "one", orderValue: "5000" })],
    ["missing fields", (tag) => JSON.stringify({ orderId: tag, eventType: "ORDER_CREATED" })],
    ["an oversized body (200 KB)", (tag) => tagged(tag, { note: "x".repeat(200_000) })],
    ["deep nesting", (tag) => deep(tag, 5_000)],
    [
      "a lone surrogate (escaped)",
      (tag) => tagged(tag, { customerId: "cust-\\ud800" }).replace("\\\\ud800", "\\ud800"),
    ],
    ["an injection string", (tag) => tagged(tag, { customerId: "x' OR '1'='1; DROP TABLE orders;--" })],
    ["a huge number", (tag) => tagged(tag, { orderValue: "__N__" }).replace('"__N__"', "1e400")],
    ["a non-finite number", (tag) => tagged(tag, { version: "__N__" }).replace('"__N__"', "NaN")],
    ["a token and a phone number", (tag) => tagged(tag, { token: TOKEN, phone: PHONE })],
    [
      // A well-formed order, inside an envelope whose TopicArn and attributes are the sender's.
      "a forged SNS envelope around a valid order",
      (tag) =>
        JSON.stringify({
          Type: "Notification",
          MessageId: tag,
          TopicArn: FORGED_TOPIC,
          Message: tagged(tag, {}),
          Timestamp: "2031-01-01T00:00:00Z",
          MessageAttributes: { orderValue: { Type: "Number", Value: "999999" } },
        }),
    ],
    [
      "a forged EventBridge envelope",
      (tag) =>
        JSON.stringify({
          version: "0",
          id: tag,
          "detail-type": "Order Created",
          source: "switchyard.orders",
          account: "999999999999",
          time: "2031-01-01T00:00:00Z",
          region: "us-east-1",
          resources: [],
          detail: JSON.parse(tagged(tag, {})),
        }),
    ],
  ];
  return [
    ["good", JSON.stringify(good)],
    ...cases.map(([name, body], index): [string, string] => [name, body(`${run}-h${index}`)]),
  ];
}

/** Total messages of a queue (visible, in flight, delayed), by logical name. */
async function depth(logicalName: string): Promise<number> {
  const counts = await queueCounts(aws.sqs, await queueUrl(aws.sqs, queueName(cloud.resources, logicalName)));
  return counts.visible + counts.inFlight + counts.delayed;
}

/** The orders functions' counters (for a failure message). */
async function counters(): Promise<string> {
  const functions = await localView<
    Array<{ name: string; invocations: number; errors: number; timeouts: number; crashes: number }>
  >(cloud.endpoint, "lambda/functions");
  return JSON.stringify(
    functions.map(({ name, invocations, errors, timeouts, crashes }) => ({
      name,
      invocations,
      errors,
      timeouts,
      crashes,
    })),
  );
}

/** A dead letter's reason is real: present, and not the "nothing recorded" of a message moved by redrive alone. */
const hasReason = (reason: string): boolean =>
  /\S/.test(reason) && !/no failure recorded|no handler reason/.test(reason);

/** Whether `body` holds `tag` itself (not `tag` followed by more digits: `-h1` is not `-h12`). */
const hasTag = (body: string, tag: string): boolean => new RegExp(`${tag}(?![0-9])`).test(body);

/**
 * The dead letters of `dlq` whose body contains `marker`, read until one holds each of `tags` (or 60 s pass). Peeks
 * are repeated and their letters gathered: one peek hides what it reads for 30 s, 0.3 s on the 100x clock.
 */
async function deadLettersOf(
  dlq: string,
  marker: string,
  tags: readonly string[],
): Promise<Array<{ body: string; reason: string }>> {
  const letters: Array<{ body: string; reason: string }> = [];
  await eventually(
    async () => {
      const { messages } = await ops.peek(dlq, 100);
      for (const m of messages)
        if (m.body.includes(marker) && !letters.some((l) => l.body === m.body)) letters.push(m);
      const absent = tags.filter((tag) => !letters.some((l) => hasTag(l.body, tag)));
      expect(absent, `${dlq}: no dead letter yet for`).toEqual([]);
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch(() => undefined);
  return letters;
}

/** An EventBridge event as an SQS target receives it. */
const envelope = (tag: string, detailType: string, detail: string) =>
  `{"version":"0","id":"${tag}","detail-type":${JSON.stringify(detailType)},"source":"switchyard.orders","account":"123456789012","time":"2031-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":${detail}}`;

describe("hostile input through the local cloud's transports", () => {
  it("publisher clients refuse what they cannot send, naming the field", async () => {
    const topicArn = String(cloud.outputs.ordersTopicArn);
    const order = {
      eventType: "ORDER_CREATED",
      orderId: "o-1",
      version: 1,
      customerId: "c-1",
      priority: "NORMAL",
      orderValue: Number.POSITIVE_INFINITY,
      currency: "EUR",
      occurredAt: "2031-01-01T00:00:00Z",
      items: [{ sku: "s-1", quantity: 1 }],
    };
    await expect(publishOrderEvents(aws.sns, { topicArn }, [order])).rejects.toThrow(
      /^events\[0\] is invalid: orderValue: /,
    );
    await expect(
      publishOrderEvents(aws.sns, { topicArn }, [{ ...order, orderValue: 5, customerId: "c\ud800" }]),
    ).rejects.toThrow(/^events\[0\] is invalid: customerId: /);
    const bus = { eventBusName: "notifications-bus", source: "switchyard.orders" };
    await expect(
      sendUserNotification(aws.events, bus, [
        { userId: "u", type: "feedback", message: "m".repeat(300_000) },
      ]),
    ).rejects.toThrow(/^notifications\[0\] is invalid: .*message/);
    await expect(
      sendUserNotification(aws.events, bus, [
        { userId: "u", type: "actionable", message: "x", callback: "javascript:alert(1)" },
      ]),
    ).rejects.toThrow(/^notifications\[0\] is invalid: .*callback/);
  });

  // Four consumers work through 28 messages and their DLQs are read: minutes on a loaded machine.
  it("dead-letters every hostile order with its reason in every consumer's DLQ; the good one is applied", {
    timeout: 600_000,
  }, async () => {
    const run = unique("hostile").replace(/[^A-Za-z0-9-]/g, "");
    const bodies = hostileOrders(run);
    const topicArn = String(cloud.outputs.ordersTopicArn);
    // CREATED routes to inventory, analytics, archive and (orderValue > 1000) the alert; SHIPPED+HIGH to
    // customer notifications too. Raw publishes: the attributes a producer could set, the bodies it should not.
    const routes = [
      {
        eventType: "ORDER_CREATED",
        dlqs: ["orders-inventory-dlq", "orders-analytics-dlq", "orders-archive-dlq"],
      },
      { eventType: "ORDER_SHIPPED", dlqs: ["orders-customer-notifications-dlq"] },
    ];
    let refused = 0;
    for (const route of routes) {
      for (let i = 0; i < bodies.length; i += 10) {
        const chunk = bodies.slice(i, i + 10);
        const sizes = chunk.reduce((sum, [, body]) => sum + Buffer.byteLength(body), 0);
        // PublishBatch's 256 KB limit: the oversized body goes alone.
        const groups = sizes > 250_000 ? chunk.map((entry) => [entry]) : [chunk];
        for (const group of groups) {
          const result = await aws.sns.send(
            new PublishBatchCommand({
              TopicArn: topicArn,
              PublishBatchRequestEntries: group.map(([, body], index) => ({
                Id: String(index),
                Message: body,
                MessageAttributes: {
                  eventType: { DataType: "String", StringValue: route.eventType },
                  priority: { DataType: "String", StringValue: "HIGH" },
                  orderValue: { DataType: "Number", StringValue: "5000" },
                },
              })),
            }),
          );
          refused += result.Failed?.length ?? 0;
        }
      }
    }
    expect(refused).toBe(0);

    const hostile = bodies.filter(([name]) => name !== "good");
    const tagOf = (name: string) => `${run}-h${hostile.findIndex(([n]) => n === name)}`;
    // Everything delivered has been consumed (applied or dead-lettered) before the DLQs are judged.
    for (const queue of [
      "orders-inventory-queue",
      "orders-analytics-queue",
      "orders-archive-queue",
      "orders-customer-notifications-queue",
    ])
      await eventually(async () => expect(await depth(queue), `${queue} ${await counters()}`).toBe(0), {
        timeoutMs: 240_000,
      });
    const missing: string[] = [];
    // The high-value alert (SNS -> Lambda, orderValue attribute 5000) got every body too: each hostile one fails
    // its three attempts and lands in the on-failure DLQ with the error as its reason.
    for (const dlq of [...routes.flatMap((r) => r.dlqs), "orders-high-value-alert-dlq"]) {
      const letters = await deadLettersOf(
        dlq,
        run,
        hostile.map(([name]) => tagOf(name)),
      );
      for (const [name] of hostile) {
        const letter = letters.find((m) => hasTag(m.body, tagOf(name)));
        if (!letter || !hasReason(letter.reason))
          missing.push(`${dlq}: ${name}${letter ? ` (reason: ${letter.reason})` : " (no dead letter)"}`);
      }
      // The forged envelope is refused as such, naming the topic it claims (never unwrapped and applied).
      const forged = letters.find((m) => hasTag(m.body, tagOf("a forged SNS envelope around a valid order")));
      if (
        forged &&
        dlq !== "orders-high-value-alert-dlq" &&
        !forged.reason.includes(`claiming topic "${FORGED_TOPIC}"`)
      )
        missing.push(`${dlq}: the forged envelope's reason does not name its topic (${forged.reason})`);
      // The good one was not dead-lettered where it belongs (customer notifications rightly refuse a CREATED body
      // that a forged SHIPPED attribute routed to them: "does not handle").
      if (dlq !== "orders-customer-notifications-dlq" && letters.some((m) => m.body.includes(`${run}-good`)))
        missing.push(`${dlq}: the good event was dead-lettered`);
    }
    expect(missing).toEqual([]);

    // The good order was applied beside them.
    const inventory = tableName(cloud.resources, "orders-inventory");
    await eventually(async () => {
      const { Item } = await aws.dynamodb.send(
        new GetItemCommand({ TableName: inventory, Key: { pk: S(`SKU#${run}.sku`), sk: S("STOCK") } }),
      );
      expect(Item?.reserved?.N).toBe("1");
    });
  });

  it("the notifications sender dead-letters every hostile request with its reason; the good one reaches the inbox", {
    timeout: 300_000,
  }, async () => {
    // Prepare: the stack's own publisher (the bus admits only its publishers' roles and the rule only their sources)
    const run = unique("hostile-n").replace(/[^A-Za-z0-9-]/g, "");
    const publisherRole = outputOf(
      cloud.resources,
      "aws:iam/role:Role",
      "orders-customer-notifications-role",
      "arn",
    );
    const publisher = new EventBridgeClient({
      endpoint: cloud.endpoint,
      region: "us-east-1",
      credentials: await assumeRole(cloud.endpoint, publisherRole),
    });
    const bus = String(cloud.outputs.notificationsBusName);
    const userId = `${run}-user`;
    const good = {
      userId,
      type: "actionable",
      message: "Please approve invoice 42",
      callback: "https://app.example.com/tasks/42",
      notificationId: `${run}-good`,
    };
    const detail = (tag: string, patch: Record<string, unknown>) =>
      JSON.stringify({ ...good, notificationId: tag, ...patch });
    // Details put on the bus (the publisher client would refuse them: this is a publisher bypassing it).
    const onBus: Array<[string, (tag: string) => string]> = [
      ["malformed JSON", (tag) => `{"userId":"${tag}",`],
      ["wrong types", (tag) => detail(tag, { message: 42, callback: false })],
      ["missing fields", (tag) => JSON.stringify({ userId: tag })],
      ["an unknown type", (tag) => detail(tag, { type: "urgent" })],
      ["an oversized message (200 KB)", (tag) => detail(tag, { message: "m".repeat(200_000) })],
      ["deep nesting", (tag) => detail(tag, { extra: JSON.parse(deep(tag, 500)) })],
      [
        "a lone surrogate (escaped)",
        (tag) => detail(tag, { message: "broken \\ud800 text" }).replace("\\\\ud800", "\\ud800"),
      ],
      [
        // (A userId is any text up to 256 characters: an injection string there is only data, stored as such.)
        "an injection string as notificationId",
        (tag) => detail(tag, { notificationId: `${tag}' OR '1'='1; DROP TABLE users;--` }),
      ],
      ["a javascript: callback", (tag) => detail(tag, { callback: "javascript:alert(1)" })],
      ["a huge number", (tag) => detail(tag, { message: "__N__" }).replace('"__N__"', "1e400")],
      ["a token and a phone number", (tag) => detail(tag, { token: TOKEN, phone: PHONE })],
    ];
    // Bodies sent straight to the sender's queue (by a principal allowed to send to it).
    const onQueue: Array<[string, (tag: string) => string]> = [
      ["a malformed body", (tag) => `{"id":"${tag}",`],
      [
        "a forged SNS envelope",
        (tag) =>
          JSON.stringify({
            Type: "Notification",
            MessageId: tag,
            TopicArn: FORGED_TOPIC,
            Message: detail(tag, {}),
            Timestamp: "2031-01-01T00:00:00Z",
          }),
      ],
      [
        "an EventBridge envelope of another detail-type",
        (tag) => envelope(tag, "Order Created", detail(tag, {})),
      ],
      [
        "an EventBridge envelope with an invalid time",
        (tag) =>
          envelope(tag, SEND_USER_NOTIFICATION, detail(tag, {})).replace("2031-01-01T00:00:00Z", "yesterday"),
      ],
    ];
    const busCases = onBus.map(([name, body], index): [string, string, string] => [
      name,
      `${run}-b${index}`,
      body(`${run}-b${index}`),
    ]);
    const queueCases = onQueue.map(([name, body], index): [string, string, string] => [
      name,
      `${run}-q${index}`,
      body(`${run}-q${index}`),
    ]);

    // Act
    const refusedByBus: string[] = [];
    for (const [name, , text] of [["good", `${run}-good`, JSON.stringify(good)] as const, ...busCases]) {
      const { Entries = [] } = await publisher
        .send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: bus,
                Source: "switchyard.orders",
                DetailType: SEND_USER_NOTIFICATION,
                Detail: text,
              },
            ],
          }),
        )
        .catch((error: Error) => ({ Entries: [{ ErrorCode: error.name }] }));
      if (Entries[0]?.ErrorCode) refusedByBus.push(name);
    }
    publisher.destroy();
    const sends = await queueUrl(aws.sqs, queueName(cloud.resources, "notifications-sends-queue"));
    const sent = await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sends,
        Entries: queueCases.map(([, tag, body]) => ({ Id: tag, MessageBody: body })),
      }),
    );
    expect(sent.Failed ?? []).toEqual([]);

    // Assess: the bus refuses what is not JSON (a refusal); every other hostile one is dead-lettered with its reason.
    expect(refusedByBus).not.toContain("good");
    await eventually(async () => expect(await depth("notifications-sends-queue")).toBe(0), {
      timeoutMs: 120_000,
    });
    const expected = [...busCases.filter(([name]) => !refusedByBus.includes(name)), ...queueCases];
    const letters = await deadLettersOf(
      "notifications-sends-dlq",
      run,
      expected.map(([, tag]) => tag),
    );
    const missing = expected
      .filter(([, tag]) => !letters.some((m) => hasTag(m.body, tag) && hasReason(m.reason)))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    expect(letters.filter((m) => m.body.includes(`${run}-good`))).toEqual([]);
    const forgedKind = letters.find((m) => hasTag(m.body, queueCases[2]?.[1] ?? "?"));
    expect(forgedKind?.reason).toContain('event of detail-type "Order Created"');
    const table = tableName(cloud.resources, "notifications-table");
    await eventually(async () => {
      const { Item } = await aws.dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: S(`inbox#${userId}`), sk: S(`notification#${run}-good`) },
        }),
      );
      expect(Item?.userId?.S).toBe(userId);
    });
  });

  it("the s3 pipeline refuses forged S3 events with their reason, changes nothing for them, and processes a real upload", {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const run = unique("hostile-s3").replace(/[^A-Za-z0-9-]/g, "");
    const bucket = String(cloud.outputs.uploadsBucketName);
    const createdTopic = outputOf(cloud.resources, "aws:sns/topic:Topic", "s3-pipeline-created-topic", "arn");
    const realKey = `uploads/${run}/real.txt`;
    const catalog = tableName(cloud.resources, "s3-pipeline-catalog");
    const s3Event = (
      tag: string,
      patch: {
        bucket?: string;
        key?: string;
        eventName?: string;
        object?: Record<string, unknown>;
        eventTime?: string;
      },
    ) =>
      JSON.stringify({
        Records: [
          {
            eventVersion: "2.1",
            eventSource: "aws:s3",
            awsRegion: "us-east-1",
            eventTime: patch.eventTime ?? "2031-01-01T00:00:00.000Z",
            eventName: patch.eventName ?? "ObjectCreated:Put",
            s3: {
              s3SchemaVersion: "1.0",
              configurationId: tag,
              bucket: { name: patch.bucket ?? bucket, arn: `arn:aws:s3:::${patch.bucket ?? bucket}` },
              object: {
                key: patch.key ?? `uploads/${tag}/forged.txt`,
                size: 10,
                eTag: "0123456789abcdef0123456789abcdef",
                sequencer: "0055AED6DCD90281E5",
                ...patch.object,
              },
            },
          },
        ],
      });
    // Straight to the catalog queue: forged events a principal allowed to send to it could write.
    const toCatalog: Array<[string, (tag: string) => string, RegExp?]> = [
      ["malformed JSON", (tag) => `{"Records":[{"tag":"${tag}"`],
      ["wrong types", (tag) => s3Event(tag, { object: { size: "ten", key: 42 } })],
      [
        "an event for another bucket",
        (tag) => s3Event(tag, { bucket: "someone-elses-bucket" }),
        /bucket "someone-elses-bucket"/,
      ],
      [
        "a forged SNS envelope naming another topic",
        (tag) =>
          JSON.stringify({
            Type: "Notification",
            MessageId: tag,
            TopicArn: FORGED_TOPIC,
            Message: s3Event(tag, {}),
            Timestamp: "2031-01-01T00:00:00Z",
          }),
        new RegExp(`names topic ${FORGED_TOPIC}`),
      ],
      ["a malformed sequencer", (tag) => s3Event(tag, { object: { sequencer: "not-hex!" } }), /sequencer/],
      ["an invalid eventTime", (tag) => s3Event(tag, { eventTime: "yesterday" }), /eventTime/],
      [
        "a key that is not valid URL encoding (invalid UTF-8)",
        (tag) => s3Event(tag, { key: `uploads/${tag}/%ED%A0%80%ZZ` }),
        /key/,
      ],
      ["a huge size", (tag) => s3Event(tag, { object: { size: "__N__" } }).replace('"__N__"', "1e400")],
      ["deep nesting", (tag) => deep(tag, 5_000)],
      ["an unsupported event version", (tag) => s3Event(tag, {}).replace('"2.1"', '"3.0"'), /event version/],
    ];
    const catalogCases = toCatalog.map(
      ([name, body, reason], index): [string, string, string, RegExp | undefined] => [
        name,
        `${run}-c${index}`,
        body(`${run}-c${index}`),
        reason,
      ],
    );
    // Forged events S3 does not confirm change nothing: a creation with a huge sequencer for the key a real upload
    // is about to use (it must not hold that upload back), and a creation of an object that does not exist.
    const unconfirmed = [
      s3Event(`${run}-u0`, { key: realKey, object: { sequencer: "F".repeat(64) } }),
      s3Event(`${run}-u1`, { key: `uploads/${run}/ghost.txt` }),
    ];

    // Act
    const catalogQueue = await queueUrl(aws.sqs, queueName(cloud.resources, "s3-pipeline-catalog-queue"));
    for (let i = 0; i < catalogCases.length; i += 10) {
      const sent = await aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: catalogQueue,
          Entries: catalogCases.slice(i, i + 10).map(([, tag, body]) => ({ Id: tag, MessageBody: body })),
        }),
      );
      expect(sent.Failed ?? []).toEqual([]);
    }
    await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: catalogQueue,
        Entries: unconfirmed.map((body, index) => ({ Id: `u${index}`, MessageBody: body })),
      }),
    );
    await eventually(async () => expect(await depth("s3-pipeline-catalog-queue")).toBe(0), {
      timeoutMs: 120_000,
    });
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: realKey, Body: `real upload ${run}` }));

    // Assess: each hostile event is dead-lettered with its reason (the named ones with the reason they name).
    const letters = await deadLettersOf(
      "s3-pipeline-catalog-dlq",
      run,
      catalogCases.map(([, tag]) => tag),
    );
    const missing: string[] = [];
    for (const [name, tag, , reason] of catalogCases) {
      const letter = letters.find((m) => hasTag(m.body, tag));
      if (!letter || !hasReason(letter.reason) || (reason && !reason.test(letter.reason)))
        missing.push(`${name}${letter ? ` (reason: ${letter.reason})` : " (no dead letter)"}`);
    }
    expect(missing).toEqual([]);
    expect(letters.filter((m) => m.body.includes(`${run}-u`))).toEqual([]);
    expect(createdTopic).not.toBe(FORGED_TOPIC);
    // The real upload is catalogued (the forged huge sequencer did not hold it back); the ghost is not.
    const record = await eventually(
      async () => {
        const { Item } = await aws.dynamodb.send(
          new GetItemCommand({ TableName: catalog, Key: { pk: S(realKey), sk: S("v#null") } }),
        );
        expect(Item).toBeDefined();
        return Item;
      },
      { timeoutMs: 60_000 },
    );
    expect(record?.size?.N).toBe(String(Buffer.byteLength(`real upload ${run}`)));
    const { Item: ghost } = await aws.dynamodb.send(
      new GetItemCommand({ TableName: catalog, Key: { pk: S(`uploads/${run}/ghost.txt`), sk: S("v#null") } }),
    );
    expect(ghost).toBeUndefined();

    // A forged removal of the object that exists (straight to the cleanup queue) removes nothing.
    const cleanupQueue = await queueUrl(aws.sqs, queueName(cloud.resources, "s3-pipeline-cleanup-queue"));
    await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: cleanupQueue,
        Entries: [
          {
            Id: "removed",
            MessageBody: s3Event(`${run}-r0`, {
              key: realKey,
              eventName: "ObjectRemoved:Delete",
              object: { sequencer: "F".repeat(64), eTag: undefined, size: undefined },
            }),
          },
          {
            Id: "elsewhere",
            MessageBody: s3Event(`${run}-r1`, {
              bucket: "someone-elses-bucket",
              eventName: "ObjectRemoved:Delete",
            }),
          },
        ],
      }),
    );
    await eventually(async () => expect(await depth("s3-pipeline-cleanup-queue")).toBe(0), {
      timeoutMs: 120_000,
    });
    const removals = await deadLettersOf("s3-pipeline-cleanup-dlq", `${run}-r1`, [`${run}-r1`]);
    expect(removals.map((m) => m.reason)).toEqual([expect.stringMatching(/someone-elses-bucket/)]);
    const { Item: still } = await aws.dynamodb.send(
      new GetItemCommand({ TableName: catalog, Key: { pk: S(realKey), sk: S("v#null") } }),
    );
    expect(still).toBeDefined();
  });

  it("the SMS senders dead-letter every hostile request with its reason; the good one is sent once", {
    timeout: 300_000,
  }, async () => {
    // Prepare: requests for the DE verification lane (the catch-all lane skips what a country lane takes)
    const run = unique("hostile-sms").replace(/[^A-Za-z0-9-]/g, "");
    const topicArn = String(cloud.outputs.smsTopicArn);
    const good = { phoneNumber: PHONE, text: `Code 123456 (${run}-good)` };
    const request = (tag: string, patch: Record<string, unknown>) =>
      JSON.stringify({ ...good, text: `Code 123456 (${tag})`, ...patch });
    const cases: Array<[string, (tag: string) => string]> = [
      ["malformed JSON", (tag) => `{"text":"${tag}",`],
      ["a JSON array", (tag) => JSON.stringify([tag])],
      ["wrong types", (tag) => JSON.stringify({ phoneNumber: 4915112345678, text: 5, tag })],
      ["missing fields", (tag) => JSON.stringify({ text: tag })],
      [
        "a huge number",
        (tag) => JSON.stringify({ phoneNumber: "__N__", text: tag }).replace('"__N__"', "1e400"),
      ],
      [
        "a lone surrogate (escaped)",
        (tag) => request(tag, { text: `Code \\ud800 (${tag})` }).replace("\\\\ud800", "\\ud800"),
      ],
      ["an injection string as the number", (tag) => request(tag, { phoneNumber: "+49' OR '1'='1" })],
      ["a number of another country", (tag) => request(tag, { phoneNumber: "+33612345678" })],
      ["an oversized text (200 KB)", (tag) => request(tag, { text: `${tag} ${"x".repeat(200_000)}` })],
      ["deep nesting", (tag) => deep(tag, 5_000)],
      [
        "a token in an oversized reference",
        (tag) => request(tag, { reference: `${TOKEN} ${TOKEN} ${TOKEN}` }),
      ],
    ];
    const hostile = cases.map(([name, body], index): [string, string, string] => [
      name,
      `${run}-s${index}`,
      body(`${run}-s${index}`),
    ]);
    const lane = {
      country: { DataType: "String", StringValue: "DE" },
      useCase: { DataType: "String", StringValue: "VERIFICATION" },
    };

    // Act
    for (const [, , body] of [["good", `${run}-good`, JSON.stringify(good)] as const, ...hostile])
      await aws.sns.send(new PublishCommand({ TopicArn: topicArn, Message: body, MessageAttributes: lane }));
    // Missing attributes: no lane's filter takes it but the catch-all, which dead-letters it naming the attribute.
    await aws.sns.send(new PublishCommand({ TopicArn: topicArn, Message: request(`${run}-none`, {}) }));

    // Assess
    for (const queue of ["sms-throttle-de-verification-queue", "sms-throttle-other-queue"])
      await eventually(async () => expect(await depth(queue)).toBe(0), { timeoutMs: 120_000 });
    const letters = await deadLettersOf(
      "sms-throttle-de-verification-dlq",
      run,
      hostile.map(([, tag]) => tag),
    );
    const missing = hostile
      .filter(([, tag]) => !letters.some((m) => hasTag(m.body, tag) && hasReason(m.reason)))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    expect(letters.filter((m) => m.body.includes(`${run}-good`))).toEqual([]);
    const none = await deadLettersOf("sms-throttle-other-dlq", `${run}-none`, [`${run}-none`]);
    expect(none.map((m) => m.reason)).toEqual([expect.stringContaining("attribute country")]);
    const carrier = await eventually(
      async () => {
        const records = await localView<Array<{ body: string; status: string }>>(
          cloud.endpoint,
          "sms/messages",
        );
        const mine = records.filter((r) => r.body.includes(run));
        expect(mine.filter((r) => r.status === "DELIVERED")).toHaveLength(1);
        return mine;
      },
      { timeoutMs: 60_000 },
    );
    expect(carrier.map((r) => r.body)).toEqual([good.text]);
  });

  it("no function crashed, timed out or logged a token or a full phone number", async () => {
    // No crash, no unhandled rejection (a crash is what Lambda reports for either), no timeout.
    const functions = await localView<Array<{ name: string; crashes: number; timeouts: number }>>(
      cloud.endpoint,
      "lambda/functions",
    );
    for (const fn of functions)
      expect({ name: fn.name, crashes: fn.crashes, timeouts: fn.timeouts }).toEqual({
        name: fn.name,
        crashes: 0,
        timeouts: 0,
      });
    expect(logs.filter((line) => line.failure?.kind === "crash")).toEqual([]);
    // Nothing secret in any stored log line, of any service.
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.message.includes(TOKEN))).toEqual([]);
    expect(logs.filter((line) => line.message.includes(PHONE))).toEqual([]);
  });
});
