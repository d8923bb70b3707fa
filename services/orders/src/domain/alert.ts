import type { OrderEvent } from "@switchyard/contracts";

export interface Alert {
  /** SNS subjects are at most 100 ASCII characters. */
  subject: string;
  message: string;
}

/** A concise ops alert for a high-value order: no customer data beyond the ids ops need to look it up. */
export function highValueAlert(event: OrderEvent, threshold: number): Alert {
  const value = `${event.orderValue.toFixed(2)} ${event.currency}`;
  return {
    subject: `High-value order ${event.orderId}`.slice(0, 100),
    message: [
      `High-value order: ${event.eventType} of order ${event.orderId} (version ${event.version}) worth ${value}, above the ${threshold} threshold.`,
      `Customer: ${event.customerId}. Priority: ${event.priority}. Occurred at ${event.occurredAt}.`,
    ].join("\n"),
  };
}

/** Whether the order's own value (the validated body, never a message attribute) is above the threshold. */
export function isHighValue(event: Pick<OrderEvent, "orderValue">, threshold: number): boolean {
  return event.orderValue > threshold;
}
