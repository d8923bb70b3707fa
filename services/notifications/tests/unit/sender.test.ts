import {
  ApiGatewayManagementApiClient,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { MAX_NOTIFICATION_MESSAGE_BYTES, SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { PermanentError } from "@switchyard/runtime-kit";
import { eventBridgeSqsRecord, lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { encodeFrame, FrameTooLargeError } from "../../src/domain/frames";
import { NotificationsError } from "../../src/errors";
import { serverFrameSchema } from "../../src/protocol";

const DLQ_URL = vi.hoisted(() => {
  const url = "https://sqs.us-east-1.amazonaws.com/123456789012/notifications-sends-dlq";
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    TABLE_NAME: "notifications-table",
    CONNECTIONS_ENDPOINT: "https://abc123.execute-api.us-east-1.amazonaws.com/test",
    DLQ_URL: url,
    INBOX_RETENTION_DAYS: "30",
    POST_CONCURRENCY: "4",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  return url;
});

const { handler } = await import("../../src/handlers/sender");

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const sqs = mockClient(SQSClient);

const gone = () => new GoneException({ message: "Gone", $metadata: { httpStatusCode: 410 } });
const throttled = () =>
  new LimitExceededException({ message: "Slow down", $metadata: { httpStatusCode: 429 } });
const serverError = () =>
  Object.assign(new Error("Internal failure"), {
    name: "InternalServerErrorException",
    $fault: "server",
    $metadata: { httpStatusCode: 500 },
  });

/** Stored connections per user, as GSI1 answers them. */
function givenConnections(byUser: Record<string, string[]>, unread = 1): void {
  ddb
    .on(QueryCommand)
    .callsFake((input: { ExpressionAttributeValues: Record<string, string>; Select?: string }) => {
      const user = input.ExpressionAttributeValues[":user"] ?? "";
      if (input.ExpressionAttributeValues[":sk"] === "user#") {
        return { Items: (byUser[user] ?? []).map((pk) => ({ pk })) };
      }
      return { Count: unread };
    });
}

const record = (detail: unknown, id = "evt-1", messageId = `m-${id}`): SQSRecord =>
  eventBridgeSqsRecord(
    {
      source: "switchyard.orders",
      detailType: SEND_USER_NOTIFICATION,
      detail,
      id,
      time: "2026-01-01T12:00:00Z",
    },
    { messageId },
  );

const run = (...records: SQSRecord[]): Promise<SQSBatchResponse> =>
  handler(
    sqsEvent(records),
    lambdaContext({ functionName: "notifications-sender" }),
    () => undefined,
  ) as Promise<SQSBatchResponse>;

const posted = () =>
  api.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId,
    frame: JSON.parse(String(call.args[0].input.Data)),
  }));

const feedback = { userId: "user-1", type: "feedback", message: "Export 40% done" };
const actionable = {
  userId: "user-1",
  type: "actionable",
  message: "Approve the refund",
  callback: "https://app.example.com/r/1",
};

beforeEach(() => {
  ddb.reset();
  api.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
  ddb.on(PutCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});

describe("sender: delivery", () => {
  it("posts a feedback frame to every connection of the user and stores nothing", async () => {
    // Prepare
    givenConnections({ "user-1": ["c1", "c2", "c3"] });
    api.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await run(record(feedback));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(posted()).toEqual(
      ["c1", "c2", "c3"].map((connectionId) => ({
        connectionId,
        frame: { type: "feedback", id: "evt-1", message: "Export 40% done" },
      })),
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    for (const { frame } of posted()) expect(serverFrameSchema.safeParse(frame).success).toBe(true);
  });

  it("stores an actionable notification as unread (keyed by the event id) and pushes it with the count", async () => {
    // Prepare
    givenConnections({ "user-1": ["c1"] }, 3);
    api.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await run(record(actionable, "evt-42"));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(put?.Item).toMatchObject({
      pk: "inbox#user-1",
      sk: "notification#evt-42",
      GSI1PK: "user-1",
      GSI1SK: "unread#2026-01-01T12:00:00.000Z#evt-42",
      status: "unread",
      ttl: Date.parse("2026-01-01T12:00:00Z") / 1000 + 30 * 86_400,
    });
    expect(posted()).toEqual([
      {
        connectionId: "c1",
        frame: {
          type: "actionable",
          id: "evt-42",
          message: "Approve the refund",
          callback: "https://app.example.com/r/1",
          createdAt: "2026-01-01T12:00:00.000Z",
          unreadCount: 3,
        },
      },
    ]);
  });

  it("does not store a redelivered actionable notification twice, and still delivers it", async () => {
    // Prepare
    givenConnections({ "user-1": ["c1"] });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }));
    api.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await run(record(actionable));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(posted()).toHaveLength(1);
  });

  it("treats a user with no open connection as success", async () => {
    // Prepare
    givenConnections({});

    // Act
    const result = await run(record(actionable), record(feedback, "evt-2"));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it("deletes a stale connection on 410 Gone and counts the record as done", async () => {
    // Prepare
    givenConnections({ "user-1": ["live", "stale"] });
    api.on(PostToConnectionCommand, { ConnectionId: "live" }).resolves({});
    api.on(PostToConnectionCommand, { ConnectionId: "stale" }).rejects(gone());

    // Act
    const result = await run(record(feedback));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: "stale", sk: "connection#" },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe("sender: partial batch failures", () => {
  it.each([
    ["a throttle (429)", throttled],
    ["a 5xx", serverError],
  ])("fails only the record whose post hit %s, so SQS retries it", async (_, error) => {
    // Prepare
    givenConnections({ "user-1": ["c1"], "user-2": ["c2"] });
    api.on(PostToConnectionCommand, { ConnectionId: "c1" }).resolves({});
    api.on(PostToConnectionCommand, { ConnectionId: "c2" }).rejects(error());

    // Act
    const result = await run(record(feedback, "ok"), record({ ...feedback, userId: "user-2" }, "bad"));

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-bad" }]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("still posts to the user's other connections when one fails", async () => {
    // Prepare
    givenConnections({ "user-1": ["c1", "c2", "c3"] });
    api.on(PostToConnectionCommand).resolves({});
    api.on(PostToConnectionCommand, { ConnectionId: "c2" }).rejects(throttled());

    // Act
    const result = await run(record(feedback));

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-evt-1" }]);
    expect(
      posted()
        .map((call) => call.connectionId)
        .sort(),
    ).toEqual(["c1", "c2", "c3"]);
  });
});

describe("sender: invalid notifications go straight to the DLQ with a reason", () => {
  const tooLong = "é".repeat(MAX_NOTIFICATION_MESSAGE_BYTES / 2 + 1);
  it.each([
    ["an unknown type", { ...feedback, type: "urgent" }, /type/],
    ["a missing userId", { type: "feedback", message: "hi" }, /userId/],
    [
      "a non-https callback",
      { ...actionable, callback: "http://app.example.com/r/1" },
      /callback must be an https URL/,
    ],
    ["an actionable one without callback", { ...actionable, callback: undefined }, /callback/],
    ["a message over the size limit", { ...feedback, message: tooLong }, /at most 16384 bytes/],
  ])("%s", async (_, detail, reason) => {
    // Prepare
    givenConnections({ "user-1": ["c1"] });
    api.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await run(record(detail, "poison"));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args[0].input.QueueUrl).toBe(DLQ_URL);
    expect(sent[0]?.args[0].input.MessageAttributes?.["switchyard.failure.reason"]?.StringValue).toMatch(
      reason,
    );
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe("frame size", () => {
  it("refuses, as permanent, a frame over API Gateway's 128 KB payload", () => {
    // Prepare
    const message = "x".repeat(131_072);

    // Act
    const encode = () => encodeFrame({ type: "feedback", id: "n-1", message });

    // Assess
    expect(encode).toThrow(FrameTooLargeError);
    expect(encode).toThrow(PermanentError);
    expect(encode).toThrow(NotificationsError);
    expect(encode).toThrow(
      /feedback frame is 131\d{3} bytes; API Gateway WebSocket messages take at most 131072/,
    );
  });

  it("keeps the largest valid notification, fully escaped, under the limit", () => {
    // Prepare: every character escapes to \u00XX (6 bytes) in JSON
    const message = "\u0001".repeat(MAX_NOTIFICATION_MESSAGE_BYTES);

    // Act
    const text = encodeFrame({
      type: "actionable",
      id: "x".repeat(128),
      message,
      callback: `https://example.com/${"a".repeat(2000)}`,
      createdAt: "2026-01-01T12:00:00.000Z",
      unreadCount: Number.MAX_SAFE_INTEGER,
    });

    // Assess
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(131_072);
  });
});

describe("sender: one notification per cause (redelivered or re-published)", () => {
  /** An inbox that keeps its items: the conditional put refuses a second item with the same key. */
  function statefulInbox() {
    const items = new Map<string, Record<string, unknown>>();
    const keyOf = (key: { pk?: unknown; sk?: unknown }) => `${String(key.pk)}|${String(key.sk)}`;
    ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      const key = keyOf(input.Item);
      const old = items.get(key);
      if (old) {
        throw Object.assign(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }), {
          Item: old,
        });
      }
      items.set(key, { ...input.Item });
      return {};
    });
    ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
      const item = items.get(keyOf(input.Key));
      if (item) item.deliveredAt ??= "2026-01-01T12:00:01Z";
      return {};
    });
    ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
      Item: items.get(keyOf(input.Key)),
    }));
    return items;
  }

  it("stores and sends a re-published ORDER_SHIPPED notification once (same notificationId, new event id)", async () => {
    // Prepare
    const items = statefulInbox();
    givenConnections({ "user-1": ["c-1"] });
    api.on(PostToConnectionCommand).resolves({});
    const shipped = { ...actionable, notificationId: "n-order-42-v3-shipped" };

    // Act: the first event, its SQS redelivery, and a re-publish (new EventBridge event id).
    const results = [
      await run(record(shipped, "evt-1")),
      await run(record(shipped, "evt-1")),
      await run(record(shipped, "evt-2")),
    ];

    // Assess
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], [], []]);
    expect([...items.keys()]).toEqual(["inbox#user-1|notification#n-order-42-v3-shipped"]);
    expect(posted()).toEqual([
      {
        connectionId: "c-1",
        frame: expect.objectContaining({ type: "actionable", id: "n-order-42-v3-shipped" }),
      },
    ]);
  });

  it("posts again, with the same id, when the first attempt did not reach every connection", async () => {
    // Prepare
    statefulInbox();
    givenConnections({ "user-1": ["c-1", "c-2"] });
    let c2Posts = 0;
    api.on(PostToConnectionCommand).callsFake((input: { ConnectionId: string }) => {
      if (input.ConnectionId === "c-2" && c2Posts++ === 0) throw throttled();
      return {};
    });
    const request = { ...actionable, notificationId: "n-retry" };

    // Act
    const first = await run(record(request, "evt-1"));
    const retry = await run(record(request, "evt-1"));

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(retry.batchItemFailures).toEqual([]);
    const ids = posted().map((p) => `${p.connectionId}:${p.frame.id}`);
    expect(ids.filter((id) => id === "c-2:n-retry")).toHaveLength(2);
    expect(new Set(posted().map((p) => p.frame.id))).toEqual(new Set(["n-retry"]));
  });

  it("gives feedback frames the notification id, so a client drops a retry's copy", async () => {
    // Prepare
    givenConnections({ "user-1": ["c-1"] });
    api.on(PostToConnectionCommand).resolves({});

    // Act
    await run(record({ ...feedback, notificationId: "n-progress-40" }, "evt-9"));

    // Assess
    expect(posted()[0]?.frame).toEqual({ type: "feedback", id: "n-progress-40", message: "Export 40% done" });
  });
});
