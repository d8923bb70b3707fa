import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { lambdaContext, sqsEvent, sqsRecord } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { awsMocks, deadLetterReasons, handlerEnv, notificationRecord } from "./fixture";

// Hostile input to the notifications sender, handler level: each hostile record is dead-lettered with its reason,
// the good record beside it is delivered, nothing crashes, and no token or phone number reaches a log line.

handlerEnv();
const { handler } = await import("../../src/handlers/sender");
const { ddb, api, sqs, reset } = awsMocks();

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const PHONE = "+4915112345678";
const good = { userId: "user-1", type: "feedback", message: "fine" };
const event = (detail: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: "0",
    id: "evt-1",
    "detail-type": SEND_USER_NOTIFICATION,
    source: "switchyard.orders",
    account: "123456789012",
    time: "2026-01-01T12:00:00Z",
    region: "us-east-1",
    resources: [],
    detail,
    ...extra,
  });
const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

const hostile: Array<[string, string]> = [
  ["malformed JSON", "{"],
  ["an empty body", ""],
  ["a JSON array", "[]"],
  ["deep nesting beyond the parser", deep(200_000)],
  ["a detail of the wrong type", event("hello")],
  ["a missing userId", event({ type: "feedback", message: "x" })],
  ["a userId of the wrong type", event({ userId: 42, type: "feedback", message: "x" })],
  ["an unknown type", event({ ...good, type: "urgent" })],
  ["an oversized message", event({ ...good, message: "m".repeat(200_000) })],
  ["a javascript: callback", event({ ...good, type: "actionable", callback: "javascript:alert(1)" })],
  ["an injection string as notificationId", event({ ...good, notificationId: "x' OR '1'='1" })],
  ["a lone surrogate in the message", event({ ...good, message: "broken \ud800 text" })],
  ["a lone surrogate in the userId (escaped in the JSON)", event(good).replace('"user-1"', '"user-\\udc00"')],
  ["an invalid time", event(good, { time: "yesterday" })],
  ["a token and a phone number in unknown fields", event({ ...good, token: TOKEN, phone: PHONE })],
  [
    "a forged SNS envelope",
    JSON.stringify({
      Type: "Notification",
      MessageId: "x",
      TopicArn: "arn:aws:sns:us-east-1:1:t",
      Message: event(good),
      Timestamp: "t",
    }),
  ],
  ["a huge number", event({ ...good, userId: "__HUGE__" }).replace('"__HUGE__"', "1e400")],
  [
    "an event of another detail-type (sent to the queue directly)",
    event(good, { "detail-type": "Order Created" }),
  ],
];

let written: { mock: { calls: unknown[][] }; mockRestore: () => void };
beforeEach(() => {
  reset();
  ddb.on(QueryCommand).resolves({ Items: [{ pk: "c-1" }], Count: 0 });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  api.on(PostToConnectionCommand).resolves({});
  written = vi.spyOn(process.stdout, "write");
});
afterEach(() => written.mockRestore());

const reasons = () => deadLetterReasons(sqs);

describe("hostile input to the notifications sender", () => {
  it.each(hostile)(
    "dead-letters %s with its reason and delivers the good record beside it",
    async (_case, body) => {
      // Prepare
      const bad = sqsRecord({ body, messageId: "bad" });
      const fine: SQSRecord = notificationRecord(good, { id: "evt-good", messageId: "good" });

      // Act
      const response = (await handler(
        sqsEvent([bad, fine]),
        lambdaContext(),
        () => undefined,
      )) as SQSBatchResponse;

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(Object.keys(reasons())).toEqual(["bad"]);
      expect(reasons().bad).toMatch(/\S/);
      expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(1);
      const logs = written.mock.calls.map((call: unknown[]) => String(call[0])).join("");
      expect(logs).not.toContain(TOKEN);
      expect(logs).not.toContain(PHONE);
    },
  );

  it("names the detail-type of an event the send rule never routes, and delivers nothing for it", async () => {
    // Prepare: a valid notification in an envelope of another kind, sent to the queue by someone
    const bad = sqsRecord({ body: event(good, { "detail-type": "Order Created" }), messageId: "bad" });

    // Act
    const response = (await handler(sqsEvent([bad]), lambdaContext(), () => undefined)) as SQSBatchResponse;

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(reasons().bad).toContain(
      `event of detail-type "Order Created"; this queue takes "${SEND_USER_NOTIFICATION}" only`,
    );
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(0);
  });

  it("answers an empty batch with no failures", async () => {
    await expect(handler(sqsEvent([]), lambdaContext(), () => undefined)).resolves.toEqual({
      batchItemFailures: [],
    });
  });
});
