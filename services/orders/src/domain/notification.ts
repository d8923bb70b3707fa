import { notificationIdFor, type OrderEvent, type UserNotification } from "@switchyard/contracts";
import { PermanentError } from "@switchyard/runtime-kit";

/** The actionable notification a customer gets when an order ships or is delivered; it links to tracking. */
export function customerNotification(event: OrderEvent): UserNotification {
  if (event.eventType !== "ORDER_SHIPPED" && event.eventType !== "ORDER_DELIVERED") {
    throw new PermanentError(`customer notifications do not handle ${event.eventType}`);
  }
  if (!event.trackingUrl)
    throw new PermanentError(`${event.eventType} of order ${event.orderId} has no trackingUrl`);
  const what = event.eventType === "ORDER_SHIPPED" ? "has shipped" : "has been delivered";
  return {
    userId: event.customerId,
    type: "actionable",
    message: `Your order ${event.orderId} ${what}.`,
    callback: event.trackingUrl,
    // Derived from the cause: a redelivered or re-published event gives the same id, stored and shown once.
    notificationId: notificationIdFor(`orders:${event.orderId}#${event.version}:${event.eventType}`),
  };
}
