import type { OrderEvent, OrderEventType } from "@switchyard/contracts";
import { PermanentError, TransientError } from "@switchyard/runtime-kit";

export type OrderStatus = "CREATED" | "CANCELLED" | "SHIPPED" | "DELIVERED";

/** The last applied state of an order, as the ordered consumer keeps it. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  version: number;
}

const STATUS_OF: Record<OrderEventType, OrderStatus> = {
  ORDER_CREATED: "CREATED",
  ORDER_CANCELLED: "CANCELLED",
  ORDER_SHIPPED: "SHIPPED",
  ORDER_DELIVERED: "DELIVERED",
};

const ALLOWED_FROM: Record<OrderStatus, readonly (OrderStatus | undefined)[]> = {
  CREATED: [undefined],
  CANCELLED: ["CREATED"],
  SHIPPED: ["CREATED"],
  DELIVERED: ["SHIPPED"],
};

export type Transition = { kind: "apply"; next: OrderState } | { kind: "duplicate" };

/**
 * Applies an event to an order's state. Versions must follow one another: an older or equal version is a
 * duplicate (already applied); a gap means an earlier event has not arrived yet, which is transient (the
 * FIFO group holds back, then retries); an impossible transition (delivered before shipped) is permanent.
 */
export function transition(current: OrderState | undefined, event: OrderEvent): Transition {
  const currentVersion = current?.version ?? 0;
  if (event.version <= currentVersion) return { kind: "duplicate" };
  if (event.version !== currentVersion + 1) {
    throw new TransientError(
      `order ${event.orderId}: version ${event.version} arrived before version ${currentVersion + 1}`,
    );
  }
  const status = STATUS_OF[event.eventType];
  if (!ALLOWED_FROM[status].includes(current?.status)) {
    throw new PermanentError(
      `order ${event.orderId}: ${event.eventType} is not allowed from ${current?.status ?? "no state"}`,
    );
  }
  return { kind: "apply", next: { orderId: event.orderId, status, version: event.version } };
}
