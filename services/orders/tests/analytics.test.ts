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

handlerEnv({ ANALYTICS_TABLE: "analytics" });
const { handler } = await import("../src/handlers/analytics");
const run = (records: ReturnType<typeof recordOf>[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  acceptDeadLetters();
});

describe("analytics consumer", () => {
  it("counts events and adds order values in cents per UTC day, event type and currency", async () => {
    const table = fakeTable();

    await run([
      recordOf(order({ orderId: "o-1", orderValue: 10.1 }), "m-1"),
      recordOf(order({ orderId: "o-2", orderValue: 0.2 }), "m-2"),
      recordOf(order({ orderId: "o-3", occurredAt: "2026-11-23T00:00:01Z" }), "m-3"),
    ]);

    expect(table.get("DAY#2026-11-22", "ORDER_CREATED#EUR")).toMatchObject({
      eventCount: 2,
      totalCents: 1030,
    });
    expect(table.get("DAY#2026-11-23", "ORDER_CREATED#EUR")).toMatchObject({
      eventCount: 1,
      totalCents: 12050,
    });
  });

  it("counts a redelivered event once", async () => {
    const table = fakeTable();

    await run([recordOf(order(), "m-1")]);
    await run([recordOf(order(), "m-1-redelivered")]);

    expect(table.get("DAY#2026-11-22", "ORDER_CREATED#EUR")).toMatchObject({
      eventCount: 1,
      totalCents: 12050,
    });
  });

  it("counts different event types of one order version separately", async () => {
    const table = fakeTable();
    const shipped = order({ eventType: "ORDER_SHIPPED", trackingUrl: "https://t.example.com/1" });

    await run([recordOf(order(), "m-1"), recordOf(shipped, "m-2")]);

    expect(table.get("DAY#2026-11-22", "ORDER_SHIPPED#EUR")).toMatchObject({ eventCount: 1 });
    expect(table.get("DAY#2026-11-22", "ORDER_CREATED#EUR")).toMatchObject({ eventCount: 1 });
  });

  it("retries a record whose transaction conflicted, and dead-letters a malformed one", async () => {
    fakeTable({
      failWhen: (input) =>
        JSON.stringify(input).includes("EVENT#o-2#")
          ? Object.assign(new Error("conflict"), {
              name: "TransactionCanceledException",
              CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }],
            })
          : undefined,
    });

    const response = await run([
      recordOf(order(), "m-1"),
      recordOf(order({ orderId: "o-2" }), "m-2"),
      recordOf({ orderId: "o-3" }, "m-3"),
    ]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
    expect(Object.keys(deadLettered())).toEqual(["m-3"]);
    expect(deadLettered()["m-3"]).toMatch(/eventType/);
  });
});
