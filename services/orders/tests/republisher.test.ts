import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { eventBridgeSqsRecord, lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { acceptDeadLetters, deadLettered, handlerEnv, order, sqs } from "./fakes";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:orders-order-events-topic";
handlerEnv({ ORDERS_TOPIC_ARN: TOPIC });
const sns = mockClient(SNSClient);
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
  sns.reset();
  sqs.reset();
  acceptDeadLetters();
});

describe("republisher", () => {
  it("re-publishes a replayed event to order-events with its filter attributes and the replayName", async () => {
    sns.on(PublishBatchCommand).callsFake((input) => ({
      Successful: (input.PublishBatchRequestEntries ?? []).map((e: { Id: string }) => ({
        Id: e.Id,
        MessageId: "m",
      })),
    }));

    const response = await run([replayed(order(), "r-1", "orders-replay-1")]);

    expect(response.batchItemFailures).toEqual([]);
    const input = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.PublishBatchRequestEntries?.[0]?.MessageAttributes).toMatchObject({
      eventType: { DataType: "String", StringValue: "ORDER_CREATED" },
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
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });
});
