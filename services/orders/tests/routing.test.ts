import { type OrderEvent, orderEventAttributes } from "@switchyard/contracts";
import { routeEvent, routeMessage } from "@switchyard/routing";
import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { OrdersFanOut } from "../src/index";
import { baseArgs, KEY_ARN } from "./helpers";

// Routing is derived from the synthesized stack: the filter policies the component declared, evaluated by
// the routing package on the attributes the contracts publisher really sets.
let mocks: PulumiMocks;
let topicArn: string;
let fifoTopicArn: string;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  new OrdersFanOut("orders", baseArgs({ kmsKeyArn: KEY_ARN }));
  topicArn = String(
    (await mocks.findResource("aws:sns/topic:Topic", "orders-order-events-topic")).outputs.arn,
  );
  fifoTopicArn = String(
    (await mocks.findResource("aws:sns/topic:Topic", "orders-ordered-topic")).outputs.arn,
  );
}, 120_000);

const event = (
  eventType: OrderEvent["eventType"],
  priority: OrderEvent["priority"],
  orderValue: number,
): OrderEvent => ({
  eventType,
  orderId: "o-1",
  version: 1,
  customerId: "c-1",
  priority,
  orderValue,
  currency: "EUR",
  occurredAt: "2026-11-22T10:00:00Z",
  items: [{ sku: "sku-1", quantity: 1 }],
  ...(eventType === "ORDER_SHIPPED" || eventType === "ORDER_DELIVERED"
    ? { trackingUrl: "https://t.example.com/1" }
    : {}),
});

// The router caches per resources array: hand it a snapshot of what is declared so far.
const route = (e: OrderEvent, arn = topicArn) =>
  routeMessage([...mocks.resources], {
    topicArn: arn,
    messageAttributes: orderEventAttributes(e),
    body: JSON.stringify(e),
  });

describe("which subscribers receive each order event", () => {
  it.each<[OrderEvent["eventType"], OrderEvent["priority"], number, string[], string[]]>([
    ["ORDER_SHIPPED", "LOW", 50, ["analytics", "archive"], []],
    ["ORDER_CREATED", "NORMAL", 1500, ["inventory", "analytics", "archive"], ["high-value-alert"]],
    ["ORDER_CREATED", "HIGH", 999.99, ["inventory", "analytics", "archive"], []],
    ["ORDER_CANCELLED", "LOW", 1000.01, ["inventory", "analytics", "archive"], ["high-value-alert"]],
    ["ORDER_SHIPPED", "HIGH", 20, ["customer-notifications", "analytics", "archive"], []],
    ["ORDER_DELIVERED", "HIGH", 1000, ["customer-notifications", "analytics", "archive"], []],
    ["ORDER_DELIVERED", "NORMAL", 5000, ["analytics", "archive"], ["high-value-alert"]],
  ])(
    "%s priority=%s orderValue=%d reaches queues %j and direct functions %j",
    (type, priority, value, queues, direct) => {
      const result = route(event(type, priority, value));

      expect(result.queueNames).toEqual(queues.map((q) => `orders-${q}-queue`));
      const consumers = queues.map((q) => (q === "archive" ? "archiver" : q));
      expect([...result.functionNames].sort()).toEqual(
        [...consumers, ...direct].map((f) => `orders-${f}-function`).sort(),
      );
    },
  );

  it("treats a forged replayName attribute as nothing: the event is live for the archive and every consumer", () => {
    const live = event("ORDER_SHIPPED", "HIGH", 1500);
    const plain = routeMessage([...mocks.resources], {
      topicArn,
      messageAttributes: orderEventAttributes(live),
    });
    const forged = routeMessage([...mocks.resources], {
      topicArn,
      messageAttributes: {
        ...orderEventAttributes(live),
        replayName: { DataType: "String", StringValue: "orders-2026-11-22" },
      },
    });

    expect(forged.queueNames).toEqual(plain.queueNames);
    expect(forged.queueNames).toEqual(
      expect.arrayContaining(["orders-archive-queue", "orders-customer-notifications-queue"]),
    );
  });

  it("sends an archive replay on the orders bus to the republisher, and a live event nowhere", () => {
    const bus = mocks.resources.find(
      (r) => r.type === "aws:cloudwatch/eventBus:EventBus" && r.name === "orders-bus",
    );
    const put = (extra: Record<string, unknown>) =>
      routeEvent([...mocks.resources], {
        eventBusName: String(bus?.outputs.name),
        event: {
          source: "switchyard.orders",
          "detail-type": "ORDER_CREATED",
          detail: event("ORDER_CREATED", "LOW", 1),
          ...extra,
        },
      });

    expect(put({ "replay-name": "orders-2026-11-22" }).functionNames).toEqual([
      "orders-republisher-function",
    ]);
    expect(put({}).functionNames).toEqual([]);
  });

  it("delivers the ordered path to the FIFO queue and its consumer only", () => {
    const result = route(event("ORDER_SHIPPED", "LOW", 10), fifoTopicArn);

    expect(result.queueNames).toEqual(["orders-order-processing-queue"]);
    expect(result.queues[0]).toMatch(/:orders-order-processing-.*\.fifo$/);
    expect(result.functionNames).toEqual(["orders-order-processing-function"]);
  });

  it("follows a changed threshold into the alert subscription", async () => {
    new OrdersFanOut("strict", baseArgs({ highValueThreshold: 100 }));
    const strictTopic = await mocks.findResource("aws:sns/topic:Topic", "strict-order-events-topic");
    const result = route(event("ORDER_SHIPPED", "LOW", 150), String(strictTopic.outputs.arn));

    expect(result.functionNames).toContain("strict-high-value-alert-function");
  });
});
