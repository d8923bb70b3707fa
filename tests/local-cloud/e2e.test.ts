import { createHash, createHmac } from "node:crypto";
import { GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { publishOrderEvents, sendUserNotification } from "@switchyard/contracts";
import { loadStackConfig } from "@switchyard/infra/synth";
import { type LocalCloud, REPO_ROOT, startLocalCloud } from "@switchyard/local-cloud";
import { awsCli, boto3 } from "@switchyard/testing/aws-cli";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  assumeRole,
  awsClients,
  denialsSince,
  destroyClients,
  eventually,
  localView,
  maxInWindow,
  N,
  outputOf,
  type PlainItem,
  queueCounts,
  queueName,
  queueUrl,
  RecordingSocket,
  S,
  tableName,
  UpgradeRefused,
  unique,
  unmarshall,
} from "./harness";
import {
  covers,
  describeStatement,
  list,
  names,
  replayWithout,
  type Statement,
  type StatementRow,
  statementsOf,
  without,
} from "./iam-replay";

/**
 * The end-to-end scenarios of issue #8 against the local cloud: the dev stack's real program, provisioned
 * into the engine, its real handler bundles running in the Lambda emulator, driven from here only through
 * the real AWS SDK v3 clients and a real WebSocket client. Effects are observed through AWS APIs (DynamoDB
 * items, S3 objects, SQS attributes, DescribeAlarms) and the WebSocket; the `/_local` views are used only
 * where AWS has no API (the carrier's records, the alarm topic's email outbox, Lambda's invocation list).
 *
 * One cloud for the whole file (bundling the 18 handlers takes tens of seconds); every scenario uses its
 * own users, orders and keys, so they do not see each other's effects.
 */

const STACK = "dev";
const devConfig = loadStackConfig(STACK, REPO_ROOT).config;

let cloud: LocalCloud;
let aws: AwsClients;
/**
 * EventBridge as a declared publisher of the notifications bus: its policy lets only the publishers' roles put
 * events (the administrator too is denied), so the scenarios sign as the orders service's publisher role.
 */
let notificationsPublisher: EventBridgeClient;
const sockets: RecordingSocket[] = [];
/** Users that opened a connection (their rows are gone once $disconnect ran). */
const connectedUsers = new Set<string>();

/** The stack's root exports (local URLs). */
const output = (key: string): string => {
  const value = cloud.outputs[key];
  if (typeof value !== "string" || value === "") throw new Error(`the ${STACK} stack exports no ${key}`);
  return value;
};

/** Opens a WebSocket to the notifications API as `userId` (token in the query string), kept for afterAll. */
async function connectAs(userId: string): Promise<RecordingSocket> {
  const token = await cloud.token(userId);
  const socket = await RecordingSocket.open(
    `${output("notificationsWebSocketUrl")}?token=${encodeURIComponent(token)}`,
  );
  sockets.push(socket);
  connectedUsers.add(userId);
  return socket;
}

/** Tries to open a WebSocket with this URL suffix; returns the HTTP status of the refusal. */
async function refusedStatus(suffix: string, protocols?: string[]): Promise<number> {
  try {
    const socket = await RecordingSocket.open(`${output("notificationsWebSocketUrl")}${suffix}`, {
      protocols,
    });
    sockets.push(socket);
  } catch (error) {
    if (error instanceof UpgradeRefused) return error.statusCode;
    throw error;
  }
  throw new Error(`the upgrade with ${suffix.slice(0, 40)}… was accepted`);
}

/** The connection rows of a user, the way the sender finds them (GSI1, `GSI1SK = "user#"`). */
async function connectionRows(userId: string): Promise<PlainItem[]> {
  const { Items = [] } = await aws.dynamodb.send(
    new QueryCommand({
      TableName: tableName(cloud.resources, "notifications-table"),
      IndexName: "GSI1",
      KeyConditionExpression: "GSI1PK = :user AND GSI1SK = :sk",
      ExpressionAttributeValues: { ":user": S(userId), ":sk": S("user#") },
    }),
  );
  return Items.map(unmarshall);
}

/** One item by key, or undefined. */
async function getItem(table: string, key: Record<string, string>): Promise<PlainItem | undefined> {
  const { Item } = await aws.dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: Object.fromEntries(Object.entries(key).map(([name, value]) => [name, S(value)])),
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** Every item of a partition. */
async function partition(table: string, pk: string): Promise<PlainItem[]> {
  const { Items = [] } = await aws.dynamodb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": S(pk) },
      ConsistentRead: true,
    }),
  );
  return Items.map(unmarshall);
}

/** Visible + in flight + delayed messages of a queue (by logical name), through GetQueueAttributes. */
async function queueTotal(logicalName: string): Promise<number> {
  const counts = await queueCounts(aws.sqs, await queueUrl(aws.sqs, queueName(cloud.resources, logicalName)));
  return counts.visible + counts.inFlight + counts.delayed;
}

/** What the local SNS delivered to subscriptions the engine cannot reach (the alarm topic's email). */
interface OutboxEntry {
  topicArn: string;
  protocol: string;
  endpoint: string;
  message: string;
  at: number;
}
const outbox = (topicArn: string): Promise<OutboxEntry[]> =>
  localView<OutboxEntry[]>(cloud.endpoint, "sns/outbox", { topicArn });

/** The local carrier's records (AWS has no API that lists sent SMS). */
interface CarrierRecord {
  id: string;
  destination: string;
  country: string;
  body: string;
  parts: number;
  messageType?: string;
  at: number;
  status: "DELIVERED" | "THROTTLED" | "INVALID";
}
const carrierRecords = (): Promise<CarrierRecord[]> =>
  localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");

/** An HS256 JWT like the local token, but signed with another secret (a forged or foreign token). */
function forgedToken(validToken: string, userId: string): string {
  const [header, payload] = validToken.split(".") as [string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  const body = Buffer.from(JSON.stringify({ ...claims, sub: userId })).toString("base64url");
  const signature = createHmac("sha256", "not-the-local-secret")
    .update(`${header}.${body}`)
    .digest("base64url");
  return `${header}.${body}.${signature}`;
}

beforeAll(async () => {
  // Queue timers and alarm periods run 100 times faster than AWS (a 180 s visibility timeout lasts 1.8 s), so the
  // poison-message scenario takes seconds; handlers still run in real time.
  cloud = await startLocalCloud({ stack: STACK, port: 0, writeOutputsFile: false, timeScale: 100 });
  aws = awsClients(cloud.endpoint);
  // What each function's role is asked for from here on, for scenario 12 (the statement-removal replay).
  cloud.engine.iam.recordCalls();
  const publisherRole = outputOf(
    cloud.resources,
    "aws:iam/role:Role",
    "orders-customer-notifications-role",
    "arn",
  );
  notificationsPublisher = new EventBridgeClient({
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: await assumeRole(cloud.endpoint, publisherRole),
  });
});

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  // Let $disconnect finish before the engine stops its workers (else it is cut off mid-invocation).
  if (cloud && aws) {
    await eventually(
      async () => {
        for (const userId of connectedUsers) expect(await connectionRows(userId)).toEqual([]);
      },
      { timeoutMs: 5_000 },
    ).catch(() => undefined);
  }
  if (aws) destroyClients(aws);
  notificationsPublisher?.destroy();
  await cloud?.close();
});

describe("local cloud end to end (dev stack)", () => {
  it("1. a connected user receives a notification put on the notifications bus", async () => {
    const userId = unique("user-1");
    const socket = await connectAs(userId);
    // $connect ran (and stored the connection) before the upgrade completed, as API Gateway does.
    const table = tableName(cloud.resources, "notifications-table");
    const rows = await connectionRows(userId);
    expect(rows).toHaveLength(1);
    const connectionId = String(rows[0]?.pk);
    const row = await getItem(table, { pk: connectionId, sk: "connection#" });
    expect(row).toMatchObject({ userId, GSI1PK: userId, GSI1SK: "user#", ipAddress: "127.0.0.1" });
    // connectedAt comes from the request context; the TTL is counted from it (CONNECTION_TTL_SECONDS: dev
    // sets no connectionTtlSeconds, so the component's default of 9000 s).
    expect(Math.abs(Number(row?.connectedAt) - Date.now())).toBeLessThan(60_000);
    expect(row?.ttl).toBe(Math.floor(Number(row?.connectedAt) / 1000) + 9000);

    const callback = "https://app.example.com/tasks/1";
    // The send rule accepts only the sources of known publishers (any other source reaches no one).
    const sent = await sendUserNotification(
      notificationsPublisher,
      { eventBusName: output("notificationsBusName"), source: "switchyard.orders" },
      [
        { userId, type: "actionable", message: "Please approve invoice 42", callback },
        { userId, type: "feedback", message: "Export 60% done" },
      ],
    );
    expect(sent.eventIds).toHaveLength(2);

    const actionable = await socket.waitFor((f) => f.type === "actionable");
    expect(actionable).toEqual({
      type: "actionable",
      id: sent.eventIds[0],
      message: "Please approve invoice 42",
      callback,
      createdAt: expect.any(String),
      unreadCount: 1,
    });
    await socket.waitFor((f) => f.type === "feedback" && f.message === "Export 60% done");

    // The inbox keeps it: a two-way route answers with the unread list.
    const since = Date.now();
    socket.send({ action: "listUnread" });
    const list = await socket.waitFor((f) => f.type === "unreadList", { since });
    expect(list.unreadCount).toBe(1);
    expect(list.notifications).toEqual([expect.objectContaining({ id: sent.eventIds[0], callback })]);

    // Closing the tab runs $disconnect, which deletes the connection.
    await socket.close();
    await eventually(async () => {
      expect(await getItem(table, { pk: connectionId, sk: "connection#" })).toBeUndefined();
    });
  });

  it("2. a bad token is refused at $connect with 401 and stores no connection", async () => {
    const userId = unique("intruder");
    const valid = await cloud.token(userId);
    // Lambda has no API listing invocations: the local view tells whether the connect integration ran.
    const connectInvocations = async () =>
      (
        await localView<unknown[]>(cloud.endpoint, "lambda/invocations", {
          function: "notifications-connect-function",
        })
      ).length;
    const connectsBefore = await connectInvocations();
    expect(await refusedStatus(`?token=${encodeURIComponent(forgedToken(valid, userId))}`)).toBe(401);
    expect(await refusedStatus("?token=not.a.jwt")).toBe(401);
    expect(await refusedStatus("")).toBe(401); // no token at all
    expect(await refusedStatus("", ["switchyard.v1", forgedToken(valid, userId)])).toBe(401);
    expect(await connectionRows(userId)).toEqual([]);
    // The authorizer refused each before the integration: the connect function never ran for them.
    expect(await connectInvocations()).toBe(connectsBefore);

    // The same user with a genuine token gets in (the refusals were about the tokens, not the route).
    await connectAs(userId);
    expect(await connectionRows(userId)).toHaveLength(1);
  });

  it("3. a closed connection is cleaned up after a 410; the user's live connection still gets the message", async () => {
    const userId = unique("user-3");
    const table = tableName(cloud.resources, "notifications-table");
    const live = await connectAs(userId);

    // A connection row written the way the connect handler writes it (domain/table.ts connectionItem), for a
    // connection API Gateway no longer has: its tab was closed and $disconnect never ran.
    const staleId = "c3RhbGVDb25uMDE=";
    const connectedAt = Date.now() - 60_000;
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: S(staleId),
          sk: S("connection#"),
          GSI1PK: S(userId),
          GSI1SK: S("user#"),
          userId: S(userId),
          ipAddress: S("203.0.113.7"),
          connectedAt: N(connectedAt),
          ttl: N(Math.floor(connectedAt / 1000) + 9000),
        },
      }),
    );
    expect(await connectionRows(userId)).toHaveLength(2);

    // @connections answers 410 Gone for it, as API Gateway does for a closed connection.
    const management = aws.connections(output("notificationsWebSocketUrl"));
    try {
      await expect(
        management.send(new PostToConnectionCommand({ ConnectionId: staleId, Data: "ping" })),
      ).rejects.toBeInstanceOf(GoneException);
    } finally {
      management.destroy();
    }

    await sendUserNotification(
      notificationsPublisher,
      { eventBusName: output("notificationsBusName"), source: "switchyard.orders" },
      [{ userId, type: "feedback", message: "Your report is ready" }],
    );
    await live.waitFor((f) => f.type === "feedback" && f.message === "Your report is ready");
    await eventually(async () => {
      expect(await getItem(table, { pk: staleId, sk: "connection#" })).toBeUndefined();
    });
    const remaining = await connectionRows(userId);
    expect(remaining).toHaveLength(1);
    expect(remaining[0]?.pk).not.toBe(staleId);
    // Nothing went to the DLQ: a 410 counts as done.
    expect(await queueTotal("notifications-sends-dlq")).toBe(0);
  });

  it("4. order events fan out as the filter policies say, idempotently, and a shipped HIGH order reaches the customer", async () => {
    const run = unique("o4").replace(/[^A-Za-z0-9_-]/g, "");
    const customerId = `cust-${run}`;
    const socket = await connectAs(customerId);
    const inventory = tableName(cloud.resources, "orders-inventory");
    const analytics = tableName(cloud.resources, "orders-analytics");
    const notificationsTable = tableName(cloud.resources, "notifications-table");
    const day = "2031-03-14";
    const base = { customerId, currency: "EUR", occurredAt: `${day}T10:00:00Z` };
    const sku = (name: string) => `${run}.${name}`;

    const created = {
      ...base,
      eventType: "ORDER_CREATED",
      orderId: `${run}-c`,
      version: 1,
      priority: "NORMAL",
      orderValue: 40.5,
      items: [
        { sku: sku("a"), quantity: 2 },
        { sku: sku("b"), quantity: 1 },
      ],
    };
    const cancelled = {
      ...base,
      eventType: "ORDER_CANCELLED",
      orderId: `${run}-x`,
      version: 2,
      priority: "LOW",
      orderValue: 1000, // exactly the threshold: not above it, no alert
      items: [{ sku: sku("c"), quantity: 3 }],
    };
    const shippedHigh = {
      ...base,
      eventType: "ORDER_SHIPPED",
      orderId: `${run}-s`,
      version: 2,
      priority: "HIGH",
      orderValue: 2500,
      items: [{ sku: sku("d"), quantity: 1 }],
      trackingUrl: `https://track.example.com/${run}-s`,
    };
    const shippedNormal = {
      ...base,
      eventType: "ORDER_SHIPPED",
      orderId: `${run}-n`,
      version: 2,
      priority: "NORMAL",
      orderValue: 30,
      items: [{ sku: sku("e"), quantity: 1 }],
      trackingUrl: `https://track.example.com/${run}-n`,
    };
    const topicArn = output("ordersTopicArn");
    await publishOrderEvents(aws.sns, { topicArn }, [created, cancelled, shippedHigh, shippedNormal]);
    // The same event again (a producer retry): a second SNS message, a second SQS delivery.
    await publishOrderEvents(aws.sns, { topicArn }, [created]);

    // A shipped HIGH order reaches the customer's open tab (customer-notifications -> notifications bus -> sender).
    const frame = await socket.waitFor((f) => f.type === "actionable", { timeoutMs: 20_000 });
    expect(frame).toMatchObject({
      message: `Your order ${shippedHigh.orderId} has shipped.`,
      callback: shippedHigh.trackingUrl,
    });

    // analytics sees every event, once each (the duplicate counted once).
    await eventually(
      async () => {
        for (const event of [created, cancelled, shippedHigh, shippedNormal]) {
          expect(
            await getItem(analytics, {
              pk: `EVENT#${event.orderId}#${event.version}#${event.eventType}`,
              sk: "APPLIED",
            }),
            `analytics marker of ${event.orderId}`,
          ).toBeDefined();
        }
        expect(await getItem(analytics, { pk: `DAY#${day}`, sk: "ORDER_SHIPPED#EUR" })).toMatchObject({
          eventCount: 2,
          totalCents: 253_000,
        });
      },
      { timeoutMs: 20_000 },
    );

    // Everything delivered has been consumed (the duplicate included) before anything is judged absent.
    await eventually(
      async () => {
        for (const queue of [
          "orders-inventory-queue",
          "orders-customer-notifications-queue",
          "orders-analytics-queue",
          "orders-archive-queue",
        ]) {
          expect(await queueTotal(queue), queue).toBe(0);
        }
      },
      { timeoutMs: 20_000 },
    );

    // analytics: the duplicated ORDER_CREATED counted once.
    expect(await getItem(analytics, { pk: `DAY#${day}`, sk: "ORDER_CREATED#EUR" })).toMatchObject({
      eventCount: 1,
      totalCents: 4050,
    });
    expect(await getItem(analytics, { pk: `DAY#${day}`, sk: "ORDER_CANCELLED#EUR" })).toMatchObject({
      eventCount: 1,
      totalCents: 100_000,
    });

    // inventory: CREATED and CANCELLED only, the duplicate applied once.
    expect(await getItem(inventory, { pk: `SKU#${sku("a")}`, sk: "STOCK" })).toMatchObject({ reserved: 2 });
    expect(await getItem(inventory, { pk: `SKU#${sku("b")}`, sk: "STOCK" })).toMatchObject({ reserved: 1 });
    expect(await getItem(inventory, { pk: `SKU#${sku("c")}`, sk: "STOCK" })).toMatchObject({ reserved: -3 });
    expect(await getItem(inventory, { pk: `EVENT#${created.orderId}#1`, sk: "APPLIED" })).toBeDefined();
    expect(await getItem(inventory, { pk: `EVENT#${shippedHigh.orderId}#2`, sk: "APPLIED" })).toBeUndefined();
    expect(await getItem(inventory, { pk: `SKU#${sku("d")}`, sk: "STOCK" })).toBeUndefined();
    expect(await getItem(inventory, { pk: `SKU#${sku("e")}`, sk: "STOCK" })).toBeUndefined();

    // customer-notifications: the shipped HIGH order only; the shipped NORMAL one never reached the customer.
    const inbox = await partition(notificationsTable, `inbox#${customerId}`);
    // (At least once: SQS may redeliver, and customer notifications are not deduplicated; see the README.)
    expect(inbox.length).toBeGreaterThanOrEqual(1);
    expect(new Set(inbox.map((item) => item.message))).toEqual(
      new Set([`Your order ${shippedHigh.orderId} has shipped.`]),
    );
    expect(socket.frames.filter((f) => JSON.stringify(f.data).includes(shippedNormal.orderId))).toEqual([]);

    // A consumer that got an event its policy should keep away dead-letters it ("does not handle"): none did.
    for (const dlq of [
      "orders-inventory-dlq",
      "orders-customer-notifications-dlq",
      "orders-analytics-dlq",
      "orders-archive-dlq",
      "orders-high-value-alert-dlq",
    ]) {
      expect(await queueTotal(dlq), dlq).toBe(0);
    }

    // high-value-alert: orderValue > 1000 only; it publishes to the ops topic, whose subscriber is an email.
    const alarmTopicArn = output("alarmTopicArn");
    const alerts = await eventually(async () => {
      const mine = (await outbox(alarmTopicArn)).filter((entry) => entry.message.includes(run));
      expect(mine.some((entry) => entry.message.includes(shippedHigh.orderId))).toBe(true);
      return mine;
    });
    for (const alert of alerts) {
      expect(alert).toMatchObject({ protocol: "email", endpoint: "switchyard-dev-alerts@example.com" });
      expect(alert.message).toContain(shippedHigh.orderId);
    }
  });

  it("5. SMS for one country drain no faster than its budget and the carrier throttles none", async () => {
    const sms = devConfig["switchyard:sms-throttle"] as {
      countries: Record<string, { capPartsPerSecond: number; budgets: Record<string, number> }>;
    };
    const de = sms.countries.DE as { capPartsPerSecond: number; budgets: Record<string, number> };
    const run = unique("sms");
    const perClass = 10;
    const requests = [
      ...Array.from({ length: perClass }, (_, i) => ({
        useCase: "VERIFICATION",
        text: `Code ${100_000 + i} (${run} verification)`,
      })),
      ...Array.from({ length: perClass }, (_, i) => ({
        useCase: "TRANSACTIONAL",
        text: `Parcel ${i} is on its way (${run} bulk)`,
      })),
    ];
    const started = Date.now();
    await Promise.all(
      requests.map((request, i) =>
        aws.sns.send(
          new PublishCommand({
            TopicArn: output("smsTopicArn"),
            Message: JSON.stringify({
              phoneNumber: `+491511234${String(5600 + i)}`,
              text: request.text,
              reference: `${run}-${i}`,
            }),
            MessageAttributes: {
              country: { DataType: "String", StringValue: "DE" },
              useCase: { DataType: "String", StringValue: request.useCase },
            },
          }),
        ),
      ),
    );

    // Every request delivered, and the lanes idle (nothing left to send, re-enqueued or deferred).
    const mine = await eventually(
      async () => {
        const records = (await carrierRecords()).filter((r) => r.body.includes(run));
        expect(new Set(records.filter((r) => r.status === "DELIVERED").map((r) => r.body)).size).toBe(
          requests.length,
        );
        for (const queue of ["sms-throttle-de-verification-queue", "sms-throttle-de-bulk-queue"])
          expect(await queueTotal(queue), queue).toBe(0);
        return records;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(mine.every((r) => r.country === "DE" && r.parts === 1)).toBe(true);
    expect(mine.filter((r) => r.status !== "DELIVERED")).toEqual([]);
    // No THROTTLED record for the country at all during this scenario.
    const throttled = (await carrierRecords()).filter(
      (r) => r.country === "DE" && r.status === "THROTTLED" && r.at >= started,
    );
    expect(throttled).toEqual([]);

    const weighted = (records: CarrierRecord[]) => records.map((r) => ({ at: r.at, weight: r.parts }));
    expect(maxInWindow(weighted(mine), 1_000)).toBeLessThanOrEqual(de.capPartsPerSecond);
    for (const [lane, marker] of [
      ["verification", "verification)"],
      ["bulk", "bulk)"],
    ] as const) {
      const budget = de.budgets[lane] as number;
      const laneRecords = mine.filter((r) => r.body.endsWith(marker));
      expect(new Set(laneRecords.map((r) => r.body)).size).toBe(perClass);
      expect(maxInWindow(weighted(laneRecords), 1_000), `${lane} parts in any second`).toBeLessThanOrEqual(
        budget,
      );
      // No faster than the budget: n parts at B per second span at least ceil(n / B) - 1 seconds.
      const times = laneRecords.map((r) => r.at);
      const span = Math.max(...times) - Math.min(...times);
      expect(span, `${lane} drain time`).toBeGreaterThanOrEqual((Math.ceil(perClass / budget) - 1) * 1_000);
    }
    for (const dlq of [
      "sms-throttle-de-verification-dlq",
      "sms-throttle-de-bulk-dlq",
      "sms-throttle-other-dlq",
    ]) {
      expect(await queueTotal(dlq), dlq).toBe(0);
    }
  });

  describe("6. an uploaded image", () => {
    const uploaderId = unique("uploader");
    const fileName = `${unique("photo")}.png`;
    const key = `uploads/${uploaderId}/${fileName}`;
    let socket: RecordingSocket;
    let png: Buffer;

    beforeAll(async () => {
      socket = await connectAs(uploaderId);
      png = await sharp({
        create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 90 } },
      })
        .png()
        .toBuffer();
      await aws.s3.send(
        new PutObjectCommand({
          Bucket: output("uploadsBucketName"),
          Key: key,
          Body: png,
          ContentType: "image/png",
          Metadata: { "user-id": uploaderId },
        }),
      );
    });

    it("6a. produces its renditions and a catalog record", async () => {
      const widths = (devConfig["switchyard:s3-pipeline"] as { renditionWidths: number[] }).renditionWidths;
      for (const width of widths) {
        const rendition = await eventually(
          async () => {
            const object = await aws.s3.send(
              new GetObjectCommand({
                Bucket: output("renditionsBucketName"),
                Key: `renditions/${width}/${key}`,
              }),
            );
            return {
              contentType: object.ContentType,
              bytes: Buffer.from(
                await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
              ),
            };
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        expect(rendition.contentType).toBe("image/png");
        const meta = await sharp(rendition.bytes).metadata();
        expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
          format: "png",
          width,
          height: Math.round((480 * width) / 640),
        });
      }

      const catalog = tableName(cloud.resources, "s3-pipeline-catalog");
      const record = await eventually(async () => {
        const item = await getItem(catalog, { pk: key, sk: "v#null" });
        expect(item).toBeDefined();
        return item as PlainItem;
      });
      expect(record).toMatchObject({
        key,
        size: png.length,
        contentType: "image/png",
        sha256: createHash("sha256").update(png).digest("hex"),
      });
      for (const dlq of ["s3-pipeline-renditions-dlq", "s3-pipeline-catalog-dlq"])
        expect(await queueTotal(dlq), dlq).toBe(0);
    });

    it("6b. notifies the uploader over their WebSocket", async () => {
      // The renditions function notifies the user named in the object's `user-id` metadata, when the stack
      // configures `switchyard:s3-pipeline.notificationCallbackUrl` (see services/s3-pipeline README, "notify"); without
      // it (Pulumi.dev.yaml sets none today) the pipeline never notifies, and this fails.
      const frame = await socket.waitFor((f) => f.type === "actionable", { timeoutMs: 30_000 });
      expect(String(frame.message)).toContain(fileName);
      expect(new URL(String(frame.callback)).searchParams.get("key")).toBe(key);
    });

    it("6c. deleting the upload removes its renditions and catalog record (S3 confirms the key is gone)", async () => {
      // The cleanup function confirms with HeadObject that the key is gone: a 404 it gets only with
      // s3:ListBucket on the uploads bucket (without it S3, and the local S3, answer 403 and it would retry).
      await aws.s3.send(new DeleteObjectCommand({ Bucket: output("uploadsBucketName"), Key: key }));
      const catalog = tableName(cloud.resources, "s3-pipeline-catalog");
      await eventually(
        async () => expect(await getItem(catalog, { pk: key, sk: "v#null" })).toBeUndefined(),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const { Contents = [] } = await aws.s3.send(
        new ListObjectsV2Command({ Bucket: output("renditionsBucketName"), Prefix: "renditions/" }),
      );
      expect(Contents.map((object) => object.Key).filter((name) => name?.endsWith(`/${key}`))).toEqual([]);
      expect(await queueTotal("s3-pipeline-cleanup-dlq")).toBe(0);
    });
  });

  it("7. a message that fails on every receive ends in the DLQ after maxReceiveCount and the DLQ alarm fires", async () => {
    // The ordered consumer treats a version gap as transient (an earlier event has not arrived yet), so an
    // order whose version 1 never comes fails on every receive, and on its last receive (maxReceiveCount) the
    // handler moves it to the DLQ itself, with the reason, where the redrive policy would have moved it without.
    // Between receives the message waits out the queue's visibility timeout (dev: 180 s = 6 x the function
    // timeout): at AWS's pace maxReceiveCount x 180 s, here 1.8 s each (timeScale 100, see beforeAll).
    const maxReceiveCount = (devConfig["switchyard:queues"] as { maxReceiveCount: number }).maxReceiveCount;
    const started = Date.now();
    const orderId = unique("gap").replace(/[^A-Za-z0-9_-]/g, "");
    await publishOrderEvents(aws.sns, { topicArn: output("ordersFifoTopicArn") }, [
      {
        eventType: "ORDER_CREATED",
        orderId,
        version: 2,
        customerId: `cust-${orderId}`,
        priority: "NORMAL",
        orderValue: 12,
        currency: "EUR",
        occurredAt: "2031-03-14T11:00:00Z",
        items: [{ sku: "gap-sku", quantity: 1 }],
      },
    ]);

    const dlqUrl = await queueUrl(aws.sqs, queueName(cloud.resources, "orders-order-processing-dlq"));
    await eventually(
      async () => {
        expect((await queueCounts(aws.sqs, dlqUrl)).visible).toBe(1);
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(await queueTotal("orders-order-processing-queue")).toBe(0);

    const alarmName = "orders-order-processing-dlq-alarm";
    await eventually(
      async () => {
        const { MetricAlarms = [] } = await aws.cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: [alarmName] }),
        );
        expect(MetricAlarms.map((a) => [a.AlarmName, a.StateValue])).toEqual([[alarmName, "ALARM"]]);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // The alarm's action: CloudWatch's notification on the ops topic, delivered to its email subscriber.
    await eventually(async () => {
      const alarmMails = (await outbox(output("alarmTopicArn"))).filter((entry) => {
        if (entry.protocol !== "email") return false;
        try {
          const notification = JSON.parse(entry.message) as { AlarmName?: string; NewStateValue?: string };
          return notification.AlarmName === alarmName && notification.NewStateValue === "ALARM";
        } catch {
          return false;
        }
      });
      expect(alarmMails).toHaveLength(1);
    });

    // It is the original message, received maxReceiveCount times; on its last receive the handler dead-lettered
    // it itself, with the reason (the redrive policy would have moved it without one).
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    expect(Messages).toHaveLength(1);
    const [dead] = Messages;
    expect(JSON.parse(String(dead?.Body))).toMatchObject({ orderId, version: 2 });
    expect(dead?.MessageAttributes?.["switchyard.failure.reason"]?.StringValue).toMatch(
      new RegExp(
        `^still failing after ${maxReceiveCount} receives \\(transient\\): .*version 2 arrived before version 1`,
      ),
    );
    expect(await getItem(tableName(cloud.resources, "orders-order-state"), { orderId })).toBeUndefined();

    // Received (and failed) exactly maxReceiveCount times: nothing else uses the ordered path in this file.
    // Lambda has no API listing invocations, hence the local view.
    const invocations = await localView<Array<{ source: string; startedAt: string }>>(
      cloud.endpoint,
      "lambda/invocations",
      {
        function: "orders-order-processing-function",
      },
    );
    expect(
      invocations.filter((i) => i.source.startsWith("sqs:") && Date.parse(i.startedAt) >= started),
    ).toHaveLength(maxReceiveCount);
  });

  it("8. IAM is on and refused nothing: every function's role grants what its scenario needed", async () => {
    // Runs last: every scenario above ran with IAM enforced (each function as its own role, deliveries checked
    // against the queue and topic policies); one missing grant would be listed here with its principal,
    // action and resource.
    const view = await localView<{ enabled: boolean; denials: unknown[] }>(cloud.endpoint, "iam/denials");
    expect(view.enabled).toBe(true);
    expect(view.denials).toEqual([]);
  });

  /**
   * Each statement of a function's role that the order fan-out (scenario 4) needs, removed one at a time: the
   * same scenario then fails, and the refusal names the role, an action of the removed statement and its
   * resource. The rows are the statements the scenario exercises (the DLQ statements only serve failures and the
   * logs statements the runtime's own writing, so they are not rows). The customer-notifications role's
   * `events:PutEvents` is not a row either: the notifications bus policy names that role as a publisher, and
   * within one account a resource policy naming the principal allows on its own, so removing the role's
   * statement changes nothing, here as on AWS. Only the affected scenario runs; the cloud is shared.
   */
  describe("9. a role statement the scenario needs, removed, fails it with the action and resource named", () => {
    const rows: Array<{ role: string; action: string }> = [
      { role: "orders-inventory-role", action: "dynamodb:PutItem" },
      { role: "orders-inventory-role", action: "sqs:ReceiveMessage" },
      { role: "orders-analytics-role", action: "dynamodb:PutItem" },
      { role: "orders-analytics-role", action: "sqs:ReceiveMessage" },
      { role: "orders-customer-notifications-role", action: "sqs:ReceiveMessage" },
      { role: "orders-high-value-alert-role", action: "sns:Publish" },
      { role: "orders-high-value-alert-role", action: "dynamodb:PutItem" },
    ];

    it.each(rows)("$role without its $action statement", async ({ role, action }) => {
      const roleArn = outputOf(cloud.resources, "aws:iam/role:Role", role, "arn");
      const { policies } = cloud.engine.iam;
      const original = policies.identityPolicies(roleArn);
      const removed = statementsOf(original).find(({ statement }) =>
        list(statement.Action).includes(action),
      )?.statement;
      if (!removed) throw new Error(`${role} has no statement with ${action}`);
      const since = new Date().toISOString();
      policies.setIdentityPolicies(roleArn, without(original, removed));
      try {
        const run = unique("o9").replace(/[^A-Za-z0-9_-]/g, "");
        const base = { customerId: `cust-${run}`, currency: "EUR", occurredAt: "2031-03-15T10:00:00Z" };
        await publishOrderEvents(aws.sns, { topicArn: output("ordersTopicArn") }, [
          {
            ...base,
            eventType: "ORDER_CREATED",
            orderId: `${run}-c`,
            version: 1,
            priority: "NORMAL",
            orderValue: 10,
            items: [{ sku: `${run}.a`, quantity: 1 }],
          },
          {
            ...base,
            eventType: "ORDER_SHIPPED",
            orderId: `${run}-s`,
            version: 2,
            priority: "HIGH",
            orderValue: 2500,
            items: [{ sku: `${run}.b`, quantity: 1 }],
            trackingUrl: `https://track.example.com/${run}`,
          },
        ]);
        const denial = await eventually(
          async () => {
            const found = (await denialsSince(cloud.endpoint, since)).find(
              (d) =>
                d.principal.includes(`:assumed-role/${role}/`) && list(removed.Action).includes(d.action),
            );
            if (!found) throw new Error(`no refusal of ${role} yet`);
            return found;
          },
          { timeoutMs: 20_000 },
        );
        // The refusal names an action of the removed statement and a resource it covered.
        expect(list(removed.Resource).some((arn) => covers(arn, denial.resource))).toBe(true);
      } finally {
        policies.setIdentityPolicies(roleArn, original);
      }
    });
  });

  it("10. without its Lambda permission, API Gateway may not invoke the $connect function: the connection is refused", async () => {
    const fn = outputOf(
      cloud.resources,
      "aws:lambda/function:Function",
      "notifications-connect-function",
      "arn",
    );
    const { policies } = cloud.engine.iam;
    const permission = policies.resourcePolicy(fn);
    expect(permission).toBeDefined();
    const since = new Date().toISOString();
    policies.setResourcePolicy(fn, undefined);
    try {
      const userId = unique("no-permission");
      const status = await refusedStatus(`?token=${encodeURIComponent(await cloud.token(userId))}`);
      expect(status).toBeGreaterThanOrEqual(500);
      expect(await denialsSince(cloud.endpoint, since)).toContainEqual(
        expect.objectContaining({
          principal: "apigateway.amazonaws.com",
          action: "lambda:InvokeFunction",
          resource: fn,
        }),
      );
      expect(await connectionRows(userId)).toEqual([]);
    } finally {
      policies.setResourcePolicy(fn, permission);
    }
  });
  it("11. the ingress APIs accept an SMS and an order event through their authorizer and route functions, IAM refusing nothing", async () => {
    // HTTP API -> Lambda (authorizer and route) checked against the functions' permissions with the route's
    // source ARN; the route functions then run as their own roles (DynamoDB, SNS).
    const since = new Date().toISOString();
    const token = await cloud.token(unique("ingress-app"));
    const post = (base: string, path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "idempotency-key": unique("key"),
        },
        body: JSON.stringify(body),
      });
    const text = `Your code is 0815 (${unique("ingress")})`;
    const sms = await post(output("smsThrottleIngressUrl"), "/sms", {
      phoneNumber: "+4915112345698",
      text,
      useCase: "VERIFICATION",
    });
    expect(sms.status, await sms.clone().text()).toBe(202);
    const run = unique("i11").replace(/[^A-Za-z0-9_-]/g, "");
    const order = await post(output("ordersIngressUrl"), "/orders/events", {
      eventType: "ORDER_CREATED",
      orderId: `${run}-1`,
      version: 1,
      customerId: `cust-${run}`,
      priority: "NORMAL",
      orderValue: 12.5,
      currency: "EUR",
      occurredAt: "2031-03-16T10:00:00Z",
      items: [{ sku: `${run}.a`, quantity: 1 }],
    });
    expect(order.status, await order.clone().text()).toBe(202);
    await eventually(async () => expect((await carrierRecords()).map((r) => r.body)).toContain(text), {
      timeoutMs: 20_000,
    });
    await eventually(async () => {
      const items = await partition(tableName(cloud.resources, "orders-inventory"), `SKU#${run}.a`);
      expect(items.length).toBeGreaterThan(0);
    });
    expect(await denialsSince(cloud.endpoint, since)).toEqual([]);
  });

  /**
   * Each statement of the role of each function the scenarios ran, removed one at a time, replayed against the
   * calls that function made (recorded from `beforeAll` on: every distinct IAM decision of its role's sessions,
   * its runtime's requests, the KMS checks they implied, and its event source mapping's polling): each statement a
   * scenario needs refuses at least one of those calls, and every refusal names the role's session, an action of
   * the removed statement and a resource it covered, with IAM's reason. Re-running the affected scenario per
   * statement (scenario 9 does it for the order fan-out) would add minutes to the suite (over 40 rows, seconds to
   * tens of seconds each); the replay asks the evaluator the questions the requests asked, with the same context,
   * so a row fails exactly when that request would be refused. That a refused call then fails its scenario is
   * the handlers' error handling, which scenario 9 shows end to end for the fan-out.
   * The second table lists the statements no scenario needs, each with why: the test fails when a scenario comes
   * to need one (move it to the first table) and when a statement of these roles is in neither table.
   */
  describe("12. each statement a scenario needs, removed from its function's role, refuses a call the function made, naming action and resource", () => {
    /** The roles of the functions the scenarios run (each made calls, except the authorizers: they only verify tokens). */
    const exercised = [
      "notifications-connect-role",
      "notifications-disconnect-role",
      "notifications-messages-role",
      "notifications-sender-role",
      "orders-inventory-role",
      "orders-analytics-role",
      "orders-customer-notifications-role",
      "orders-high-value-alert-role",
      "orders-archiver-role",
      "orders-republisher-role",
      "orders-order-processing-role",
      "sms-throttle-de-verification-sender-role",
      "sms-throttle-de-bulk-sender-role",
      "sms-throttle-other-sender-role",
      "s3-pipeline-renditions-role",
      "s3-pipeline-catalog-role",
      "s3-pipeline-cleanup-role",
      "sms-throttle-ingress-post-sms-role",
      "orders-ingress-post-orders-events-role",
    ];
    const authorizers = [
      "notifications-authorizer-role",
      "sms-throttle-ingress-authorizer-role",
      "orders-ingress-authorizer-role",
    ];
    /** An event source mapping polls with the function's role (Lambda with SQS): each consumer's queue statement. */
    const polls = (role: string, queue: string): StatementRow => ({
      role,
      action: "sqs:ReceiveMessage",
      resource: `:${queue}`,
    });
    const needed: StatementRow[] = [
      {
        role: "notifications-connect-role",
        action: "dynamodb:PutItem",
        resource: "table/notifications-table",
      },
      {
        role: "notifications-disconnect-role",
        action: "dynamodb:DeleteItem",
        resource: "table/notifications-table",
      },
      {
        role: "notifications-messages-role",
        action: "dynamodb:GetItem",
        resource: "table/notifications-table",
      },
      { role: "notifications-messages-role", action: "dynamodb:Query", resource: "/index/GSI1" },
      {
        role: "notifications-sender-role",
        action: "dynamodb:DeleteItem",
        resource: "table/notifications-table",
      },
      {
        role: "notifications-sender-role",
        action: "dynamodb:PutItem",
        resource: "table/notifications-table",
      },
      { role: "notifications-sender-role", action: "dynamodb:Query", resource: "/index/GSI1" },
      {
        role: "notifications-sender-role",
        action: "execute-api:ManageConnections",
        resource: "/@connections/",
      },
      polls("notifications-sender-role", "notifications-sends-queue"),
      { role: "orders-inventory-role", action: "dynamodb:PutItem", resource: "table/orders-inventory" },
      polls("orders-inventory-role", "orders-inventory-queue"),
      { role: "orders-analytics-role", action: "dynamodb:PutItem", resource: "table/orders-analytics" },
      polls("orders-analytics-role", "orders-analytics-queue"),
      polls("orders-customer-notifications-role", "orders-customer-notifications-queue"),
      {
        role: "orders-high-value-alert-role",
        action: "sns:Publish",
        resource: ":switchyard-alarms-ops-topic",
      },
      // The ops topic is under the platform's customer managed key: publishing needs it too (kms:ViaService sns).
      { role: "orders-high-value-alert-role", action: "kms:GenerateDataKey", resource: ":key/" },
      {
        role: "orders-high-value-alert-role",
        action: "dynamodb:PutItem",
        resource: "table/orders-idempotency",
      },
      { role: "orders-archiver-role", action: "events:PutEvents", resource: "event-bus/orders-bus" },
      { role: "orders-archiver-role", action: "dynamodb:PutItem", resource: "table/orders-idempotency" },
      polls("orders-archiver-role", "orders-archive-queue"),
      polls("orders-republisher-role", "orders-replay-queue"),
      {
        role: "orders-order-processing-role",
        action: "dynamodb:GetItem",
        resource: "table/orders-order-state",
      },
      polls("orders-order-processing-role", "orders-order-processing-"),
      // Scenario 7: on its last receive the handler dead-letters the message itself.
      {
        role: "orders-order-processing-role",
        action: "sqs:SendMessage",
        resource: ":orders-order-processing-dlq-",
      },
      {
        role: "sms-throttle-de-verification-sender-role",
        action: "sms-voice:SendTextMessage",
        resource: "sender-id/SWITCHYARD/DE",
      },
      {
        role: "sms-throttle-de-verification-sender-role",
        action: "dynamodb:GetItem",
        resource: "table/sms-throttle-state",
      },
      polls("sms-throttle-de-verification-sender-role", "sms-throttle-de-verification-queue"),
      {
        role: "sms-throttle-de-bulk-sender-role",
        action: "sms-voice:SendTextMessage",
        resource: "sender-id/SWITCHYARD/DE",
      },
      {
        role: "sms-throttle-de-bulk-sender-role",
        action: "dynamodb:GetItem",
        resource: "table/sms-throttle-state",
      },
      polls("sms-throttle-de-bulk-sender-role", "sms-throttle-de-bulk-queue"),
      polls("sms-throttle-other-sender-role", "sms-throttle-other-queue"),
      { role: "s3-pipeline-renditions-role", action: "s3:GetObject", resource: ":::s3-pipeline-uploads-" },
      { role: "s3-pipeline-renditions-role", action: "s3:PutObject", resource: ":::s3-pipeline-renditions-" },
      {
        role: "s3-pipeline-renditions-role",
        action: "dynamodb:GetItem",
        resource: "table/s3-pipeline-catalog",
      },
      polls("s3-pipeline-renditions-role", "s3-pipeline-renditions-queue"),
      { role: "s3-pipeline-catalog-role", action: "s3:GetObject", resource: ":::s3-pipeline-uploads-" },
      { role: "s3-pipeline-catalog-role", action: "dynamodb:PutItem", resource: "table/s3-pipeline-catalog" },
      polls("s3-pipeline-catalog-role", "s3-pipeline-catalog-queue"),
      polls("s3-pipeline-cleanup-role", "s3-pipeline-cleanup-queue"),
      // Scenario 6c: HeadObject of the deleted key (a 404 only with s3:ListBucket), its one-byte GET that tells a
      // missing key from a missing bucket, then the renditions and the catalog record removed.
      { role: "s3-pipeline-cleanup-role", action: "s3:ListBucket", resource: ":::s3-pipeline-uploads-" },
      { role: "s3-pipeline-cleanup-role", action: "s3:GetObject", resource: ":::s3-pipeline-uploads-" },
      { role: "s3-pipeline-cleanup-role", action: "s3:DeleteObject", resource: ":::s3-pipeline-renditions-" },
      {
        role: "s3-pipeline-cleanup-role",
        action: "dynamodb:DeleteItem",
        resource: "table/s3-pipeline-catalog",
      },
      {
        role: "sms-throttle-ingress-post-sms-role",
        action: "sns:Publish",
        resource: ":sms-throttle-requests-topic",
      },
      {
        role: "sms-throttle-ingress-post-sms-role",
        action: "dynamodb:PutItem",
        resource: "table/sms-throttle-ingress-state",
      },
      {
        role: "orders-ingress-post-orders-events-role",
        action: "sns:Publish",
        resource: ":orders-order-events-topic",
      },
      {
        role: "orders-ingress-post-orders-events-role",
        action: "dynamodb:PutItem",
        resource: "table/orders-ingress-state",
      },
    ];
    /** Statements no scenario needs, and why (`*`: of every role above). */
    const notNeeded: Array<StatementRow & { why: string }> = [
      {
        role: "*",
        action: "logs:PutLogEvents",
        resource: ":log-group:/aws/lambda/",
        why: "Lambda's runtime writes the function's logs itself, not through the CloudWatch Logs API (locally too)",
      },
      {
        role: "*",
        action: "sqs:SendMessage",
        resource: "-dlq",
        why: "a handler dead-letters a message only when it fails permanently; no scenario but 7 (a row above) fails one",
      },
      {
        role: "*",
        action: "s3:ListBucket",
        resource: ":::s3-pipeline-uploads-",
        why: "only tells a missing key (404) from a refused one (403): only cleanup (a row above) reads a key that is not there",
      },
      {
        role: "notifications-messages-role",
        action: "dynamodb:UpdateItem",
        resource: "table/notifications-table",
        why: "markRead: no scenario marks a notification read",
      },
      {
        role: "notifications-messages-role",
        action: "execute-api:ManageConnections",
        resource: "/@connections/",
        why: "markRead pushes the new unread count to the user's other connections: no scenario marks one read",
      },
      ...["orders-customer-notifications-role", "s3-pipeline-renditions-role"].map((role) => ({
        role,
        action: "events:PutEvents",
        resource: "event-bus/notifications-bus",
        why: "the notifications bus policy names this role as a publisher, which alone allows within one account (here as on AWS)",
      })),
      {
        role: "orders-republisher-role",
        action: "sqs:SendMessage",
        resource: ":orders-inventory-queue",
        why: "republishes a replayed archive: no scenario replays one",
      },
      ...["de-verification", "de-bulk", "other"].map((lane) => ({
        role: `sms-throttle-${lane}-sender-role`,
        action: "sqs:SendMessage",
        resource: `:sms-throttle-${lane}-queue`,
        why: "re-enqueues a delayed copy of a message the carrier throttled; in scenario 5 the carrier throttles none",
      })),
      {
        role: "sms-throttle-other-sender-role",
        action: "sms-voice:SendTextMessage",
        resource: ":pool/",
        why: "no scenario sends to a country outside DE",
      },
      {
        role: "sms-throttle-other-sender-role",
        action: "dynamodb:GetItem",
        resource: "table/sms-throttle-state",
        why: "no scenario sends to a country outside DE",
      },
    ];
    const roleArn = (role: string) => outputOf(cloud.resources, "aws:iam/role:Role", role, "arn");
    const neededRow = (role: string, statement: Statement) =>
      needed.find((row) => row.role === role && names(row, statement));
    const notNeededRow = (role: string, statement: Statement) =>
      notNeeded.find((row) => (row.role === role || row.role === "*") && names(row, statement));

    it("every function above made calls, and each statement of their roles is in exactly one of the tables", () => {
      const { iam } = cloud.engine;
      const unlisted: string[] = [];
      for (const role of [...exercised, ...authorizers]) {
        const calls = iam.recordedCalls(roleArn(role)).filter((call) => call.allowed);
        if (authorizers.includes(role)) expect(calls, role).toEqual([]);
        else expect(calls.length, `${role} made no call`).toBeGreaterThan(0);
        for (const { statement } of statementsOf(iam.policies.identityPolicies(roleArn(role)))) {
          const rows = needed.filter((row) => row.role === role && names(row, statement)).length;
          if (rows > 1 || (rows === 0 && !notNeededRow(role, statement)))
            unlisted.push(`${role}: ${describeStatement(statement)} (${rows} rows of needed)`);
        }
      }
      expect(unlisted).toEqual([]);
    });

    it.each(needed)("$role without its $action statement (on …$resource)", async (row) => {
      // Each refusal names the function's session, an action of the removed statement and a resource it covered ...
      const denials = await replayWithout(cloud.engine.iam, roleArn(row.role), row);
      // ... and says why, as IAM does.
      for (const denial of denials)
        expect(denial.reason).toBe(`because no identity-based policy allows the ${denial.action} action`);
    });

    it("the statements of the second table are needed by no scenario (move a row to the first when one is)", async () => {
      const { iam } = cloud.engine;
      const needless: string[] = [];
      for (const role of exercised) {
        const arn = roleArn(role);
        const policies = iam.policies.identityPolicies(arn);
        const calls = iam.recordedCalls(arn).filter((call) => call.allowed);
        for (const { statement } of statementsOf(policies)) {
          if (neededRow(role, statement) || !notNeededRow(role, statement)) continue;
          const denials = await iam.replay(calls, without(policies, statement));
          if (denials.length > 0) needless.push(`${role}: ${describeStatement(statement)}`);
        }
      }
      expect(needless).toEqual([]);
    });
  });

  it("13. a developer acts as a function's role with the AWS CLI and boto3: what the role may do succeeds, the rest is refused naming principal, action and resource", async () => {
    const role = "orders-inventory-role";
    const roleArn = (name: string) => outputOf(cloud.resources, "aws:iam/role:Role", name, "arn");
    const session = (name: string) => `arn:aws:sts::123456789012:assumed-role/${role}/${name}`;
    const inventoryQueue = await queueUrl(aws.sqs, queueName(cloud.resources, "orders-inventory-queue"));
    const analyticsQueue = await queueUrl(aws.sqs, queueName(cloud.resources, "orders-analytics-queue"));
    const analyticsArn = outputOf(cloud.resources, "aws:sqs/queue:Queue", "orders-analytics-queue", "arn");
    const inventoryTable = outputOf(cloud.resources, "aws:dynamodb/table:Table", "orders-inventory", "arn");

    const { Credentials } = (await awsCli(cloud.endpoint)(
      "sts",
      "assume-role",
      "--role-arn",
      roleArn(role),
      "--role-session-name",
      "me",
    )) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    const keys = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
    };
    const asRole = awsCli(cloud.endpoint, keys);
    // Each command starts Python (at most two at once); boto3 assumes the role itself, as session "py".
    const [me, allowed, refused, outside, py] = await Promise.all([
      asRole("sts", "get-caller-identity"),
      // The role may read its own queue's attributes (its event source mapping polls with it) ...
      asRole("sqs", "get-queue-attributes", "--queue-url", inventoryQueue, "--attribute-names", "QueueArn"),
      // ... but not send to another service's queue (SQS query protocol: AccessDenied) ...
      asRole.fails("sqs", "send-message", "--queue-url", analyticsQueue, "--message-body", "not mine"),
      // ... nor write an item outside its partition-key prefixes (dynamodb:LeadingKeys; JSON: AccessDeniedException).
      asRole.fails(
        "dynamodb",
        "put-item",
        "--table-name",
        tableName(cloud.resources, "orders-inventory"),
        "--item",
        JSON.stringify({ pk: { S: "CUSTOMER#cli" }, sk: { S: "cli" } }),
      ),
      boto3(
        cloud.endpoint,
        `
import botocore.exceptions
sts = boto3.client("sts", endpoint_url=ENDPOINT)
c = sts.assume_role(RoleArn=${JSON.stringify(roleArn(role))}, RoleSessionName="py")["Credentials"]
keys = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
out = {"arn": boto3.client("sts", endpoint_url=ENDPOINT, **keys).get_caller_identity()["Arn"]}
sqs = boto3.client("sqs", endpoint_url=ENDPOINT, **keys)
out["queueArn"] = sqs.get_queue_attributes(QueueUrl=${JSON.stringify(inventoryQueue)}, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
try:
    sqs.send_message(QueueUrl=${JSON.stringify(analyticsQueue)}, MessageBody="not mine")
except botocore.exceptions.ClientError as e:
    out["error"] = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps(out))
`,
      ) as Promise<Record<string, unknown>>,
    ]);
    expect(me).toMatchObject({ Arn: session("me") });
    expect(allowed).toEqual({
      Attributes: {
        QueueArn: outputOf(cloud.resources, "aws:sqs/queue:Queue", "orders-inventory-queue", "arn"),
      },
    });
    expect(refused).toContain("An error occurred (AccessDenied) when calling the SendMessage operation");
    expect(refused).toContain(
      `User: ${session("me")} is not authorized to perform: sqs:SendMessage on resource: ${analyticsArn} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expect(outside).toContain("An error occurred (AccessDeniedException) when calling the PutItem operation");
    expect(outside).toContain(
      `User: ${session("me")} is not authorized to perform: dynamodb:PutItem on resource: ${inventoryTable}`,
    );
    // The same with boto3.
    expect(py).toEqual({
      arn: session("py"),
      queueArn: outputOf(cloud.resources, "aws:sqs/queue:Queue", "orders-inventory-queue", "arn"),
      error: {
        code: "AccessDenied",
        status: 403,
        message: `User: ${session("py")} is not authorized to perform: sqs:SendMessage on resource: ${analyticsArn} because no identity-based policy allows the sqs:SendMessage action`,
      },
    });
  }, 180_000);

  it("14. without its Lambda permission, the HTTP API may not invoke the POST /sms function: 500, nothing published", async () => {
    const fn = outputOf(
      cloud.resources,
      "aws:lambda/function:Function",
      "sms-throttle-ingress-post-sms-function",
      "arn",
    );
    const { policies } = cloud.engine.iam;
    const permission = policies.resourcePolicy(fn);
    expect(permission).toBeDefined();
    // The route function's invocations: the refusal comes before it runs, so nothing can be published.
    const invocations = async () =>
      (await localView<Array<{ arn: string; invocations: number }>>(cloud.endpoint, "lambda/functions")).find(
        (f) => f.arn === fn,
      )?.invocations;
    const before = await invocations();
    expect(before).toBeTypeOf("number");
    const since = new Date().toISOString();
    policies.setResourcePolicy(fn, undefined);
    try {
      const text = `never sent (${unique("no-permission")})`;
      const answer = await fetch(`${output("smsThrottleIngressUrl")}/sms`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await cloud.token(unique("ingress-app"))}`,
        },
        body: JSON.stringify({ phoneNumber: "+4915112345697", text, useCase: "VERIFICATION" }),
      });
      expect(answer.status).toBe(500);
      expect(await denialsSince(cloud.endpoint, since)).toEqual([
        expect.objectContaining({
          principal: "apigateway.amazonaws.com",
          action: "lambda:InvokeFunction",
          resource: fn,
          source: expect.stringMatching(/^arn:aws:execute-api:us-east-1:123456789012:[^/]+\/dev\/POST\/sms$/),
        }),
      ]);
      expect(await invocations()).toBe(before);
    } finally {
      policies.setResourcePolicy(fn, permission);
    }
  });
  it("15. without its Lambda permission, SNS may not invoke the high-value alert: the delivery goes to the subscription's DLQ, logged", async () => {
    const fn = outputOf(
      cloud.resources,
      "aws:lambda/function:Function",
      "orders-high-value-alert-function",
      "arn",
    );
    const { policies } = cloud.engine.iam;
    const permission = policies.resourcePolicy(fn);
    expect(permission).toBeDefined();
    const dlqUrl = await queueUrl(aws.sqs, queueName(cloud.resources, "orders-high-value-alert-dlq"));
    const since = new Date().toISOString();
    const orderId = unique("o15").replace(/[^A-Za-z0-9_-]/g, "");
    policies.setResourcePolicy(fn, undefined);
    try {
      await publishOrderEvents(aws.sns, { topicArn: output("ordersTopicArn") }, [
        {
          eventType: "ORDER_SHIPPED",
          orderId,
          version: 2,
          customerId: `cust-${orderId}`,
          priority: "HIGH",
          orderValue: 2500,
          currency: "EUR",
          occurredAt: "2031-03-16T11:00:00Z",
          items: [{ sku: `${orderId}.a`, quantity: 1 }],
          trackingUrl: `https://track.example.com/${orderId}`,
        },
      ]);
      // AWS: a client-side error (the function's policy refuses SNS) is not retried; the subscription's DLQ gets it.
      const dead = await eventually(
        async () => {
          const { Messages = [] } = await aws.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          const found = Messages.find((m) => String(m.Body).includes(orderId));
          expect(found).toBeDefined();
          return found as { ReceiptHandle?: string };
        },
        { timeoutMs: 20_000 },
      );
      await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: dead.ReceiptHandle }));
      expect(await denialsSince(cloud.endpoint, since)).toContainEqual(
        expect.objectContaining({
          principal: "sns.amazonaws.com",
          action: "lambda:InvokeFunction",
          resource: fn,
          source: expect.stringContaining(output("ordersTopicArn")),
        }),
      );
    } finally {
      policies.setResourcePolicy(fn, permission);
    }
  });
});
