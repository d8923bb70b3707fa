/** `source` of order events on the orders bus and of the notification requests the service sends. */
export const ORDERS_EVENT_SOURCE = "switchyard.orders";
