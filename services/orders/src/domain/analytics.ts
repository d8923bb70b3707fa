import type { OrderEvent, OrderEventType } from "@switchyard/contracts";

/** One increment of the per-day statistics of an event type. */
export interface DailyIncrement {
  /** UTC day of the event, `YYYY-MM-DD`. */
  day: string;
  eventType: OrderEventType;
  count: 1;
  /** Order value in cents (integers add up exactly), per currency. */
  totalCents: number;
  currency: string;
}

/** The statistics one event adds to: counted on the UTC day it occurred, not the day it was delivered. */
export function dailyIncrement(event: OrderEvent): DailyIncrement {
  return {
    day: event.occurredAt.slice(0, 10),
    eventType: event.eventType,
    count: 1,
    totalCents: Math.round(event.orderValue * 100),
    currency: event.currency,
  };
}
