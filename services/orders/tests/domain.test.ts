import type { OrderEvent } from "@switchyard/contracts";
import { PermanentError, TransientError } from "@switchyard/runtime-kit";
import { describe, expect, it } from "vitest";
import { highValueAlert } from "../src/domain/alert";
import { stockChanges } from "../src/domain/inventory";
import { type OrderState, transition } from "../src/domain/processing";
import { order } from "./fakes";

const state = (status: OrderState["status"], version: number): OrderState => ({
  orderId: "o-1",
  status,
  version,
});

describe("transition", () => {
  it.each<[string, OrderState | undefined, Partial<OrderEvent>, string]>([
    ["creates a new order", undefined, { version: 1 }, "CREATED"],
    ["ships a created order", state("CREATED", 1), { version: 2, eventType: "ORDER_SHIPPED" }, "SHIPPED"],
    [
      "delivers a shipped order",
      state("SHIPPED", 2),
      { version: 3, eventType: "ORDER_DELIVERED" },
      "DELIVERED",
    ],
    [
      "cancels a created order",
      state("CREATED", 1),
      { version: 2, eventType: "ORDER_CANCELLED" },
      "CANCELLED",
    ],
  ])("%s", (_case, current, event, status) => {
    expect(transition(current, order(event))).toEqual({
      kind: "apply",
      next: { orderId: "o-1", status, version: event.version },
    });
  });

  it("reports an already applied version as a duplicate", () => {
    expect(transition(state("SHIPPED", 2), order({ version: 2 }))).toEqual({ kind: "duplicate" });
  });

  it("waits (transient) for a missing earlier version", () => {
    expect(() => transition(undefined, order({ version: 2 }))).toThrow(TransientError);
  });

  it.each<[OrderState | undefined, Partial<OrderEvent>]>([
    [state("CREATED", 1), { version: 2, eventType: "ORDER_DELIVERED" }],
    [state("CANCELLED", 2), { version: 3, eventType: "ORDER_SHIPPED" }],
    [undefined, { version: 1, eventType: "ORDER_CANCELLED" }],
  ])("refuses (permanently) an impossible transition from %j", (current, event) => {
    expect(() => transition(current, order(event))).toThrow(PermanentError);
  });
});

describe("stockChanges", () => {
  it("reserves on created and releases on cancelled, merged per SKU in a stable order", () => {
    const items = [
      { sku: "b", quantity: 1 },
      { sku: "a", quantity: 2 },
      { sku: "b", quantity: 3 },
    ];
    expect(stockChanges(order({ items }))).toEqual([
      { sku: "a", delta: 2 },
      { sku: "b", delta: 4 },
    ]);
    expect(stockChanges(order({ items, eventType: "ORDER_CANCELLED" }))).toEqual([
      { sku: "a", delta: -2 },
      { sku: "b", delta: -4 },
    ]);
  });
});

describe("highValueAlert", () => {
  it("keeps the subject within SNS's 100 characters", () => {
    expect(highValueAlert(order({ orderId: "x".repeat(64) }), 1000).subject.length).toBeLessThanOrEqual(100);
  });
});
