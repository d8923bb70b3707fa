import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { eventBridgeSqsRecord, lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { acceptDeadLetters, DLQ_URL, deadLettered, handlerEnv, order, sqs } from "./fakes";

const INVENTORY = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-inventory-queue";
const ANALYTICS = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-analytics-queue";
handlerEnv({
  REPLAY_TARGETS: JSON.stringify([
    {
      name: "inventory",
      queueUrl: INVENTORY,
      filterPolicy: { eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] },
    },
    { name: "analytics", queueUrl: ANALYTICS },
  ]),
});
const { handler } = await import("../src/handlers/republisher");
const run = (records: SQSRecord[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;
const replayed = (detail: unknown, messageId: string, replayName?: string) => {
  const record = eventBridgeSqsRecord(
    { source: "switchyard.orders", detailType: "ORDER_CREATED", detail },
    { messageId },
  );
  if (replayName === undefined) return record;
  const body = JSON.parse(record.body) as Record<string, unknown>;
  return { ...record, body: JSON.stringify({ ...body, "replay-name": replayName }) };
};

beforeEach(() => {
  sqs.reset();
  acceptDeadLetters();
});

/** Replays handed to subscriber queues (not dead letters). */
const handedOver = () =>
  sqs
    .commandCalls(SendMessageCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.QueueUrl !== DLQ_URL);

describe("republisher", () => {
  it("hands a replayed event to the queues whose filter policy it matches, never to order-events", async () => {
    const response = await run([
      replayed(order(), "r-1", "orders-replay-1"),
      replayed(
        order({ eventType: "ORDER_SHIPPED", trackingUrl: "https://t.example.com/1" }),
        "r-2",
        "orders-replay-1",
      ),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    const sent = handedOver();
    expect(
      sent.map((input) => [input.QueueUrl, JSON.parse(input.MessageBody ?? "{}").eventType]).sort(),
    ).toEqual(
      [
        [ANALYTICS, "ORDER_CREATED"],
        [ANALYTICS, "ORDER_SHIPPED"],
        [INVENTORY, "ORDER_CREATED"],
      ].sort(),
    );
    expect(sent[0]?.MessageAttributes).toMatchObject({
      eventType: { DataType: "String", StringValue: expect.any(String) },
      replayName: { DataType: "String", StringValue: "orders-replay-1" },
    });
  });

  it("dead-letters an event without replay-name and one whose detail is not an order event", async () => {
    const response = await run([
      replayed(order(), "r-1"),
      replayed({ orderId: "x" }, "r-2", "orders-replay-1"),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettered()["r-1"]).toMatch(/without replay-name/);
    expect(deadLettered()["r-2"]).toMatch(/eventType/);
    expect(handedOver()).toHaveLength(0);
  });
});
