import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
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

handlerEnv({ INVENTORY_TABLE: "inventory" });
const { handler } = await import("../src/handlers/inventory");
const run = (records: ReturnType<typeof recordOf>[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  acceptDeadLetters();
});

describe("inventory consumer", () => {
  it("reserves stock for a created order and releases it for a cancelled one", async () => {
    const table = fakeTable();

    await run([recordOf(order(), "m-1")]);
    await run([
      recordOf(
        order({ eventType: "ORDER_CANCELLED", version: 2, items: [{ sku: "sku-a", quantity: 2 }] }),
        "m-2",
      ),
    ]);

    expect(table.get("SKU#sku-a", "STOCK")?.reserved).toBe(0);
    expect(table.get("SKU#sku-b", "STOCK")?.reserved).toBe(1);
  });

  it("changes stock once when the same event is delivered twice, and reports both as processed", async () => {
    const table = fakeTable();

    const first = await run([recordOf(order(), "m-1")]);
    const second = await run([recordOf(order(), "m-1-again"), recordOf(order(), "m-1-third")]);

    expect(table.get("SKU#sku-a", "STOCK")?.reserved).toBe(2);
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
  });

  it("merges lines of one SKU into one update", async () => {
    const table = fakeTable();
    const lines = [
      { sku: "sku-a", quantity: 1 },
      { sku: "sku-a", quantity: 4 },
    ];

    await run([recordOf(order({ items: lines }), "m-1")]);

    expect(table.get("SKU#sku-a", "STOCK")?.reserved).toBe(5);
  });

  it("dead-letters at once, with the reason, a value the document client refuses to marshal", async () => {
    // The document client throws a plain Error before sending (no $metadata): no retry can fix it.
    fakeTable({
      failWhen: (input) =>
        JSON.stringify(input).includes("EVENT#o-2#1")
          ? new Error("Number 1e+300 is greater than Number.MAX_SAFE_INTEGER. Use BigInt.")
          : undefined,
    });

    const response = await run([recordOf(order(), "m-1"), recordOf(order({ orderId: "o-2" }), "m-2")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettered()).toEqual({
      "m-2": expect.stringMatching(/^DynamoDB cannot store a value of this event: Number 1e\+300/),
    });
  });

  it("retries (does not dead-letter at once) a missing table: a configuration problem", async () => {
    fakeTable({
      failWhen: () =>
        Object.assign(new Error("Requested resource not found"), {
          name: "ResourceNotFoundException",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        }),
    });

    const response = await run([recordOf(order(), "m-1")]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect(deadLettered()).toEqual({});
  });

  it("fails only the throttled record so SQS retries it", async () => {
    fakeTable({
      failWhen: (input) =>
        JSON.stringify(input).includes("EVENT#o-2#1")
          ? Object.assign(new Error("slow down"), {
              name: "ProvisionedThroughputExceededException",
              $fault: "client",
            })
          : undefined,
    });

    const response = await run([recordOf(order(), "m-1"), recordOf(order({ orderId: "o-2" }), "m-2")]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
    expect(deadLettered()).toEqual({});
  });

  it.each([
    ["a body that is not JSON", "not json", /not valid JSON|JSON/],
    ["an event without items", { ...order(), items: [] }, /items/],
    ["an unknown event type", { ...order(), eventType: "ORDER_LOST" }, /eventType/],
  ])("dead-letters %s at once with the reason, never retried", async (_case, body, reason) => {
    const table = fakeTable();

    const response = await run([recordOf(body, "m-bad"), recordOf(order(), "m-good")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(Object.keys(deadLettered())).toEqual(["m-bad"]);
    expect(deadLettered()["m-bad"]).toMatch(reason);
    expect(table.get("SKU#sku-a", "STOCK")?.reserved).toBe(2);
  });

  it("dead-letters an event type the filter policy should have kept away, moving no stock", async () => {
    const table = fakeTable();
    const shipped = order({ eventType: "ORDER_SHIPPED", trackingUrl: "https://t.example.com/1" });

    await run([recordOf(shipped, "m-1")]);

    expect(deadLettered()["m-1"]).toMatch(/inventory does not handle ORDER_SHIPPED/);
    expect(table.count()).toBe(0);
  });
});
