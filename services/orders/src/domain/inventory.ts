import type { OrderEvent } from "@switchyard/contracts";
import { PermanentError } from "@switchyard/runtime-kit";

/** A change to the reserved quantity of one SKU. */
export interface StockChange {
  sku: string;
  /** Positive reserves stock, negative releases it. */
  delta: number;
}

/**
 * What an order event does to stock: a created order reserves its lines, a cancelled one releases them.
 * Lines of the same SKU are merged (DynamoDB refuses two updates of one item in a transaction).
 */
export function stockChanges(event: OrderEvent): StockChange[] {
  const sign = event.eventType === "ORDER_CREATED" ? 1 : event.eventType === "ORDER_CANCELLED" ? -1 : 0;
  if (sign === 0) {
    // The subscription's filter policy should never deliver these; a change there must not move stock.
    throw new PermanentError(`inventory does not handle ${event.eventType}`);
  }
  const totals = new Map<string, number>();
  for (const line of event.items) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([sku, quantity]) => ({ sku, delta: sign * quantity }));
}

/** The idempotency key of an event: the same order and version is the same event, however often delivered. */
export const eventKey = (event: Pick<OrderEvent, "orderId" | "version">): string =>
  `${event.orderId}#${event.version}`;
