import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishBatchCommand } from "@aws-sdk/client-sns";
import { publishOrderEvents, sendUserNotification } from "@switchyard/contracts";
import { type FunctionLogRecord, type LocalCloud, startLocalCloud } from "@switchyard/local-cloud";
import { destroyClients as destroyOpsClients, localStackFrom, Ops } from "@switchyard/ops";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  queueCounts,
  queueName,
  queueUrl,
  S,
  tableName,
  unique,
} from "./harness";

/**
 * Hostile input against the local cloud (issue 14), through the real transports: hostile bodies published to the
 * orders topic (raw, with the attributes that route them to the queue consumers: inventory, analytics, archive
 * and customer notifications), beside a good one, and hostile input to the publisher clients. Every hostile message ends as a refusal (the transport or the publisher
 * client refuses it) or a dead letter with its reason; the good ones are processed; no function crashes or
 * leaves an unhandled rejection; and no log line the local cloud stored holds the token or the phone number.
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
  cloud = await startLocalCloud({
    stack: "dev",
    service: "orders",
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
    for (const dlq of routes.flatMap((r) => r.dlqs)) {
      const letters: Array<{ body: string; reason: string }> = [];
      for (let read = 0; read < 5 && letters.length < hostile.length; read++) {
        const { messages } = await ops.peek(dlq, 100);
        for (const m of messages)
          if (m.body.includes(run) && !letters.some((l) => l.body === m.body)) letters.push(m);
      }
      for (const [name] of hostile) {
        const letter = letters.find((m) => m.body.includes(tagOf(name)));
        if (!letter || !/\S/.test(letter.reason) || /no failure recorded/.test(letter.reason))
          missing.push(`${dlq}: ${name}${letter ? ` (reason: ${letter.reason})` : " (no dead letter)"}`);
      }
      // The forged envelope is refused as such, naming the topic it claims (never unwrapped and applied).
      const forged = letters.find((m) => m.body.includes(tagOf("a forged SNS envelope around a valid order")));
      if (forged && !forged.reason.includes(`claiming topic "${FORGED_TOPIC}"`))
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
    // Nothing secret in any stored log line.
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.message.includes(TOKEN))).toEqual([]);
    expect(logs.filter((line) => line.message.includes(PHONE))).toEqual([]);
  });
});
