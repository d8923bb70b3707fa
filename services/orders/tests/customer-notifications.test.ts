import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { notificationIdFor, SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { acceptDeadLetters, deadLettered, handlerEnv, order, recordOf, sqs } from "./fakes";

handlerEnv({ NOTIFICATION_BUS_NAME: "notifications-bus" });
const eventBridge = mockClient(EventBridgeClient);
const { handler } = await import("../src/handlers/customer-notifications");
const run = (records: ReturnType<typeof recordOf>[]) =>
  handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;
const shipped = (orderId = "o-1") =>
  order({
    orderId,
    eventType: "ORDER_SHIPPED",
    priority: "HIGH",
    trackingUrl: `https://t.example.com/${orderId}`,
  });

beforeEach(() => {
  eventBridge.reset();
  sqs.reset();
  acceptDeadLetters();
});

describe("customer-notifications consumer", () => {
  it.each([
    ["ORDER_SHIPPED", "Your order o-1 has shipped."],
    ["ORDER_DELIVERED", "Your order o-1 has been delivered."],
  ] as const)(
    "asks the notifications bus for an actionable notification on %s",
    async (eventType, message) => {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

      const response = await run([recordOf({ ...shipped(), eventType }, "m-1")]);

      expect(response.batchItemFailures).toEqual([]);
      const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
      expect(entry).toMatchObject({
        EventBusName: "notifications-bus",
        Source: "switchyard.orders",
        DetailType: SEND_USER_NOTIFICATION,
      });
      expect(JSON.parse(entry?.Detail ?? "{}")).toEqual({
        userId: "c-1",
        type: "actionable",
        message,
        callback: "https://t.example.com/o-1",
        notificationId: notificationIdFor(`orders:o-1#1:${eventType}`),
      });
    },
  );

  it("asks for the same notification id when the event is redelivered or re-published", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

    await run([recordOf(shipped(), "m-1")]);
    await run([recordOf(shipped(), "m-2")]);

    const ids = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? "{}").notificationId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it("fails only the record whose notification EventBridge kept refusing", async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => {
      const failing = String(input.Entries?.[0]?.Detail).includes("o-2");
      return failing
        ? {
            FailedEntryCount: 1,
            Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
          }
        : { FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] };
    });

    const response = await run([recordOf(shipped("o-1"), "m-1"), recordOf(shipped("o-2"), "m-2")]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
  }, 30_000);

  it("dead-letters a created event (not a customer notification) and a malformed body", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

    const response = await run([recordOf(order(), "m-1"), recordOf("{", "m-2")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettered()["m-1"]).toMatch(/customer notifications do not handle ORDER_CREATED/);
    expect(Object.keys(deadLettered())).toEqual(["m-1", "m-2"]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
