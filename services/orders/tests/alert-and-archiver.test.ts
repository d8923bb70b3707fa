import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SNSEvent, SQSBatchResponse } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  acceptDeadLetters,
  deadLettered,
  fakeIdempotencyTable,
  handlerEnv,
  order,
  recordOf,
  sqs,
} from "./fakes";

const ALARM_TOPIC = "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-ops";
const ORDERS_TOPIC = "arn:aws:sns:us-east-1:123456789012:orders-order-events-topic";
handlerEnv({
  ORDER_EVENTS_TOPIC_ARN: ORDERS_TOPIC,
  ALARM_TOPIC_ARN: ALARM_TOPIC,
  HIGH_VALUE_THRESHOLD: "1000",
  ORDERS_BUS_NAME: "orders-bus",
  IDEMPOTENCY_TABLE: "orders-idempotency",
  IDEMPOTENCY_KEY_PREFIX: "orders-test",
});
const sns = mockClient(SNSClient);
const eventBridge = mockClient(EventBridgeClient);
const alert = await import("../src/handlers/high-value-alert");
const archiver = await import("../src/handlers/archiver");

const snsEvent = (message: string, orderValueAttribute?: string, topicArn = ORDERS_TOPIC): SNSEvent => ({
  Records: [
    {
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: "arn:aws:sns:us-east-1:123456789012:orders-order-events-topic:sub",
      Sns: {
        Type: "Notification",
        MessageId: "sns-1",
        TopicArn: topicArn,
        Subject: "",
        Message: message,
        Timestamp: "2026-11-22T10:00:00Z",
        SignatureVersion: "1",
        Signature: "x",
        SigningCertUrl: "https://example.com",
        UnsubscribeUrl: "https://example.com",
        MessageAttributes: orderValueAttribute
          ? { orderValue: { Type: "Number", Value: orderValueAttribute } }
          : {},
      },
    },
  ],
});

beforeEach(() => {
  sns.reset();
  eventBridge.reset();
  sqs.reset();
  acceptDeadLetters();
  fakeIdempotencyTable();
});

describe("high-value alert", () => {
  it("publishes a concise alert to the ops topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "a-1" });

    await alert.handler(snsEvent(JSON.stringify(order({ orderValue: 1500 }))), lambdaContext(), () => {});

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(ALARM_TOPIC);
    expect(input?.Subject).toBe("High-value order o-1");
    expect(input?.Message).toMatch(
      /ORDER_CREATED of order o-1 \(version 1\) worth 1500\.00 EUR, above the 1000 threshold/,
    );
  });

  it.each([
    ["a body that is not JSON", "nope", /Sns.Message: is not JSON/],
    ["an invalid event", JSON.stringify({ orderId: "o-1" }), /eventType/],
  ])("throws on %s so Lambda retries, then sends it to the DLQ", async (_case, message, error) => {
    await expect(alert.handler(snsEvent(message), lambdaContext(), () => {})).rejects.toThrow(error);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe("high-value alert: only the orders topic", () => {
  it("refuses a record from another topic, naming it, and raises nothing", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "a-1" });
    const forged = "arn:aws:sns:us-east-1:999999999999:not-the-orders-topic";

    await expect(
      alert.handler(
        snsEvent(JSON.stringify(order({ orderValue: 1500 })), "1500", forged),
        lambdaContext(),
        () => {},
      ),
    ).rejects.toThrow(
      `Sns.TopicArn: names topic "${forged}"; this function is subscribed to ${ORDERS_TOPIC} only`,
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe("high-value alert: decisions from the body, once per event", () => {
  it("raises nothing when the attribute says 999999 but the validated body says 5", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "a-1" });

    await alert.handler(
      snsEvent(JSON.stringify(order({ orderValue: 5 })), "999999"),
      lambdaContext(),
      () => {},
    );

    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("alerts once for an event delivered twice or re-published", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "a-1" });
    const body = JSON.stringify(order({ orderValue: 1500 }));

    await alert.handler(snsEvent(body), lambdaContext(), () => {});
    await alert.handler(snsEvent(body), lambdaContext(), () => {});

    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("alerts again for the next version of the order", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "a-1" });

    await alert.handler(snsEvent(JSON.stringify(order({ orderValue: 1500 }))), lambdaContext(), () => {});
    await alert.handler(
      snsEvent(JSON.stringify(order({ orderValue: 1500, version: 2, eventType: "ORDER_CANCELLED" }))),
      lambdaContext(),
      () => {},
    );

    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
  });
});

describe("archiver", () => {
  const run = (records: ReturnType<typeof recordOf>[]) =>
    archiver.handler(sqsEvent(records), lambdaContext(), () => {}) as Promise<SQSBatchResponse>;

  it("puts every order event on the orders bus with its type as detail-type", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

    await run([recordOf(order(), "m-1")]);

    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: "orders-bus",
      Source: "switchyard.orders",
      DetailType: "ORDER_CREATED",
    });
    expect(JSON.parse(entry?.Detail ?? "{}")).toEqual(order());
  });

  it("archives an event once, however often it is delivered", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

    await run([recordOf(order(), "m-1")]);
    await run([recordOf(order(), "m-1")]);
    await run([recordOf(order(), "m-2")]);

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it("retries a refused entry and dead-letters a malformed body", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] });

    const response = await run([recordOf(order(), "m-1"), recordOf("[]", "m-2")]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect(Object.keys(deadLettered())).toEqual(["m-2"]);
  });
});
