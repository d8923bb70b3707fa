import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { OrderEvent } from "@switchyard/contracts";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { acceptDeadLetters, deadLettered, dynamo, handlerEnv, order, recordOf, sqs } from "./fakes";

handlerEnv({ ORDER_STATE_TABLE: "order-state" });
const { handler } = await import("../src/handlers/order-processing");
const FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:orders-order-processing-abc.fifo";
const run = (records: ReturnType<typeof recordOf>[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;
const fifoRecord = (event: Partial<OrderEvent>, messageId: string) => {
  const full = order({
    ...event,
    ...(event.eventType === "ORDER_SHIPPED" || event.eventType === "ORDER_DELIVERED"
      ? { trackingUrl: "https://t.example.com/1" }
      : {}),
  });
  return recordOf(full, messageId, { messageGroupId: full.customerId, eventSourceARN: FIFO_ARN });
};

/** An order-state table with optimistic locking on `version`. */
function fakeStateTable(options: { throttle?: (orderId: string) => boolean } = {}) {
  const rows = new Map<string, Record<string, unknown>>();
  dynamo.on(GetCommand).callsFake(async (input) => {
    const orderId = String(input.Key?.orderId);
    if (options.throttle?.(orderId)) {
      throw Object.assign(new Error("slow down"), { name: "ThrottlingException", $fault: "client" });
    }
    return { Item: rows.get(orderId) };
  });
  dynamo.on(PutCommand).callsFake(async (input) => {
    const item = input.Item ?? {};
    const current = rows.get(String(item.orderId));
    const expected = input.ExpressionAttributeValues?.[":expected"];
    if ((expected === undefined && current) || (expected !== undefined && current?.version !== expected)) {
      throw Object.assign(new Error("conditional"), { name: "ConditionalCheckFailedException" });
    }
    rows.set(String(item.orderId), item);
    return {};
  });
  return rows;
}

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  acceptDeadLetters();
});

describe("order-processing consumer (FIFO)", () => {
  it("applies a customer's events in order", async () => {
    const rows = fakeStateTable();

    const response = await run([
      fifoRecord({ version: 1 }, "m-1"),
      fifoRecord({ version: 2, eventType: "ORDER_SHIPPED" }, "m-2"),
      fifoRecord({ version: 3, eventType: "ORDER_DELIVERED" }, "m-3"),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    expect(rows.get("o-1")).toEqual({ orderId: "o-1", status: "DELIVERED", version: 3 });
  });

  it("holds back the rest of a failing customer's group and carries on with the other groups", async () => {
    const rows = fakeStateTable({ throttle: (orderId) => orderId === "o-a" });

    const response = await run([
      fifoRecord({ customerId: "a", orderId: "o-a", version: 1 }, "a-1"),
      fifoRecord({ customerId: "b", orderId: "o-b", version: 1 }, "b-1"),
      fifoRecord({ customerId: "a", orderId: "o-a", version: 2, eventType: "ORDER_SHIPPED" }, "a-2"),
      fifoRecord({ customerId: "b", orderId: "o-b", version: 2, eventType: "ORDER_CANCELLED" }, "b-2"),
    ]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["a-1", "a-2"]);
    expect(rows.get("o-b")).toEqual({ orderId: "o-b", status: "CANCELLED", version: 2 });
    expect(rows.has("o-a")).toBe(false);
  });

  it("treats a redelivered version as done, and dead-letters an impossible transition", async () => {
    const rows = fakeStateTable();
    await run([fifoRecord({ version: 1 }, "m-1")]);

    const response = await run([
      fifoRecord({ version: 1 }, "m-1-again"),
      fifoRecord({ version: 2, eventType: "ORDER_DELIVERED" }, "m-2"),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettered()["m-2"]).toMatch(/ORDER_DELIVERED is not allowed from CREATED/);
    expect(rows.get("o-1")).toMatchObject({ status: "CREATED", version: 1 });
  });
});
