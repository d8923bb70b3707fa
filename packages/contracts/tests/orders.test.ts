import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from "@aws-sdk/client-sns";
import { PermanentError, TransientError, ValidationError } from "@switchyard/runtime-kit";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { type OrderEvent, orderEventAttributes, parseOrderEvent, publishOrderEvents } from "../src/index";

const sns = mockClient(SNSClient);
const client = new SNSClient({ region: "us-east-1" });
const TOPIC = "arn:aws:sns:us-east-1:123456789012:order-events";
const FIFO_TOPIC = "arn:aws:sns:us-east-1:123456789012:orders-ordered.fifo";
const noWait = { sleep: async () => {}, random: () => 0.5 };

const order = (n: number, overrides: Partial<OrderEvent> = {}): OrderEvent => ({
  eventType: "ORDER_CREATED",
  orderId: `o-${n}`,
  version: 1,
  customerId: `c-${n % 3}`,
  priority: "NORMAL",
  orderValue: 100 + n,
  currency: "EUR",
  occurredAt: "2026-11-22T10:00:00Z",
  items: [{ sku: "sku-1", quantity: 1 }],
  ...overrides,
});

/** Answers every PublishBatch; entries for which `failing` is true fail with the given fault. */
function answer(failing: (message: OrderEvent, call: number) => false | "throttle" | "sender" = () => false) {
  let call = 0;
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    call++;
    const Successful: { Id: string; MessageId: string }[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    for (const entry of input.PublishBatchRequestEntries ?? []) {
      const fault = failing(JSON.parse(entry.Message ?? "{}") as OrderEvent, call);
      if (fault === "throttle")
        Failed.push({ Id: entry.Id ?? "", Code: "Throttled", Message: "Rate exceeded", SenderFault: false });
      else if (fault === "sender")
        Failed.push({ Id: entry.Id ?? "", Code: "InvalidParameter", Message: "bad", SenderFault: true });
      else Successful.push({ Id: entry.Id ?? "", MessageId: `m-${call}-${entry.Id}` });
    }
    return { Successful, Failed };
  });
}

const sentBatches = () =>
  sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries ?? []);

beforeEach(() => sns.reset());

describe("parseOrderEvent", () => {
  it("accepts a shipped event with a tracking URL", () => {
    const event = order(1, { eventType: "ORDER_SHIPPED", trackingUrl: "https://track.example.com/1" });
    expect(parseOrderEvent(event)).toEqual(event);
  });

  it.each([
    ["an unknown eventType", { eventType: "ORDER_LOST" }, /eventType must be one of/],
    ["a missing orderId", { orderId: undefined }, /orderId/],
    ["a version of 0", { version: 0 }, /version: version must be at least 1/],
    [
      "a customerId with a space",
      { customerId: "c 1" },
      /customerId: customerId must hold only printable ASCII/,
    ],
    ["a customerId over 128 characters", { customerId: "c".repeat(129) }, /at most 128 characters/],
    ["an orderValue above the filter range", { orderValue: 2e9 }, /orderValue must be at most 1000000000/],
    ["an orderValue with 3 decimals", { orderValue: 10.005 }, /at most 2 decimals/],
    ["a priority in lower case", { priority: "high" }, /priority must be one of HIGH, NORMAL, LOW/],
    ["no items", { items: [] }, /items must hold at least one line/],
    // An integer JavaScript accepts but DynamoDB's document client refuses to marshal (not a safe integer).
    [
      "a quantity DynamoDB cannot store exactly",
      { items: [{ sku: "s", quantity: 1e300 }] },
      /quantity must be at most 1000000/,
    ],
    [
      "a shipped event without trackingUrl",
      { eventType: "ORDER_SHIPPED" },
      /trackingUrl is required for ORDER_SHIPPED/,
    ],
    ["an unknown field", { note: "x" }, /note/],
  ])("refuses %s, naming the field", (_case, overrides, message) => {
    const input = { ...order(1), ...overrides };
    expect(() => parseOrderEvent(input)).toThrow(ValidationError);
    expect(() => parseOrderEvent(input)).toThrow(message);
  });
});

describe("orderEventAttributes", () => {
  it("sets eventType and priority as String and orderValue as Number", () => {
    expect(orderEventAttributes(order(1, { orderValue: 1500.5, priority: "HIGH" }))).toEqual({
      eventType: { DataType: "String", StringValue: "ORDER_CREATED" },
      priority: { DataType: "String", StringValue: "HIGH" },
      orderValue: { DataType: "Number", StringValue: "1500.5" },
    });
  });
});

describe("publishOrderEvents", () => {
  it("publishes every event with its attributes, at most 10 per PublishBatch", async () => {
    answer();
    const result = await publishOrderEvents(
      client,
      { topicArn: TOPIC },
      Array.from({ length: 23 }, (_, n) => order(n)),
      noWait,
    );

    expect(sentBatches().map((b) => b.length)).toEqual([10, 10, 3]);
    expect(sentBatches()[0]?.[0]).toEqual({
      Id: "e0",
      Message: JSON.stringify(order(0)),
      MessageAttributes: orderEventAttributes(order(0)),
    });
    expect(result.messageIds).toHaveLength(23);
    expect(result.messageIds.every((id) => id.startsWith("m-"))).toBe(true);
    expect(result.calls).toBe(3);
  });

  it("keeps each PublishBatch under 256 KB in total", async () => {
    answer();
    const big = (n: number) =>
      order(n, {
        items: Array.from({ length: 50 }, (_, i) => ({ sku: `${"s".repeat(60)}${i}`, quantity: 1 })),
      });
    const events = Array.from({ length: 50 }, (_, n) => big(n));
    const bytes = JSON.stringify(big(0)).length;

    await publishOrderEvents(client, { topicArn: TOPIC }, events, noWait);

    const perCall = Math.floor(262_144 / (bytes + 60));
    expect(sentBatches().every((batch) => batch.length <= Math.min(10, perCall + 1))).toBe(true);
    expect(
      sentBatches().every((batch) => batch.reduce((sum, e) => sum + (e.Message?.length ?? 0), 0) <= 262_144),
    ).toBe(true);
    expect(sentBatches().flat()).toHaveLength(50);
  });

  it("retries only the entries SNS failed", async () => {
    answer((event, call) => (event.orderId === "o-2" && call === 1 ? "throttle" : false));
    const result = await publishOrderEvents(
      client,
      { topicArn: TOPIC },
      [order(1), order(2), order(3)],
      noWait,
    );

    expect(sentBatches().map((batch) => batch.map((e) => e.Id))).toEqual([["e0", "e1", "e2"], ["e1"]]);
    expect(result.messageIds).toEqual(["m-1-e0", "m-2-e1", "m-1-e2"]);
  });

  it("throws a TransientError naming the code when entries keep failing", async () => {
    answer((event) => (event.orderId === "o-2" ? "throttle" : false));

    await expect(
      publishOrderEvents(client, { topicArn: TOPIC }, [order(1), order(2)], { ...noWait, maxAttempts: 3 }),
    ).rejects.toThrow(/did not accept 1 of 2 order events after 3 attempts \(Throttled: Rate exceeded\)/);
    expect(sentBatches()).toHaveLength(3);
  });

  it("does not retry an entry SNS refused as the sender's fault", async () => {
    answer((event) => (event.orderId === "o-2" ? "sender" : false));
    const attempt = publishOrderEvents(client, { topicArn: TOPIC }, [order(1), order(2)], noWait);

    await expect(attempt).rejects.toThrow(PermanentError);
    expect(sentBatches()).toHaveLength(1);
  });

  it("sends nothing when one event is invalid, naming its index and field", async () => {
    answer();
    const attempt = publishOrderEvents(
      client,
      { topicArn: TOPIC },
      [order(1), { ...order(2), priority: "URGENT" }],
      noWait,
    );

    await expect(attempt).rejects.toThrow(/events\[1\][\s\S]*priority/);
    expect(sentBatches()).toHaveLength(0);
  });

  it("refuses a target that is not an ARN", async () => {
    await expect(publishOrderEvents(client, { topicArn: "order-events" }, [order(1)])).rejects.toThrow(
      /topicArn/,
    );
  });
});

describe("publishOrderEvents of replayed events", () => {
  it("groups by customerId and deduplicates by <orderId>-<version>", async () => {
    answer();
    await publishOrderEvents(client, { topicArn: FIFO_TOPIC }, [order(1, { version: 7 })], noWait);

    expect(sentBatches()[0]?.[0]).toMatchObject({ MessageGroupId: "c-1", MessageDeduplicationId: "o-1-7" });
  });

  it("puts at most one event per customer in a batch, keeping each customer's order", async () => {
    answer();
    const events = [
      order(1, { customerId: "a" }),
      order(2, { customerId: "a" }),
      order(3, { customerId: "b" }),
    ];

    await publishOrderEvents(client, { topicArn: FIFO_TOPIC }, events, noWait);

    expect(sentBatches().map((batch) => batch.map((e) => e.MessageDeduplicationId))).toEqual([
      ["o-1-1", "o-3-1"],
      ["o-2-1"],
    ]);
  });

  it("retries a customer's failed event before sending that customer's next one", async () => {
    answer((event, call) => (event.orderId === "o-1" && call === 1 ? "throttle" : false));
    const events = [
      order(1, { customerId: "a" }),
      order(2, { customerId: "a" }),
      order(3, { customerId: "b" }),
    ];

    await publishOrderEvents(client, { topicArn: FIFO_TOPIC }, events, noWait);

    expect(sentBatches().map((batch) => batch.map((e) => e.MessageDeduplicationId))).toEqual([
      ["o-1-1", "o-3-1"],
      ["o-1-1"],
      ["o-2-1"],
    ]);
  });

  it("never sends a customer's later events once an earlier one is given up", async () => {
    answer((event) => (event.orderId === "o-1" ? "throttle" : false));
    const events = [order(1, { customerId: "a" }), order(2, { customerId: "a" })];

    await expect(
      publishOrderEvents(client, { topicArn: FIFO_TOPIC }, events, { ...noWait, maxAttempts: 2 }),
    ).rejects.toThrow(TransientError);
    expect(
      sentBatches()
        .flat()
        .map((e) => e.MessageDeduplicationId),
    ).toEqual(["o-1-1", "o-1-1"]);
  });
});
