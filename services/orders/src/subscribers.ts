import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import type { EnvShape, Grant } from "@switchyard/infra-kit";
import { FUNCTION_ENV } from "./env";

/** Resources of the component a subscriber may be given access to (grant + environment variable). */
export type OrdersResource =
  | "inventoryTable"
  | "analyticsTable"
  | "notificationBus"
  | "alarmTopic"
  | "idempotencyTable";

/** One consumer of `order-events`. */
export interface OrderSubscriber {
  /**
   * `queue`: a ReliableQueue (raw delivery, subscription DLQ) drained by the handler through a QueueConsumer.
   * `function`: SNS invokes the handler directly, with its own DLQ (TopicFunctionSubscription).
   * @default "queue"
   */
  delivery?: "queue" | "function";
  /** Absolute path of the handler's entry file. */
  entry: string;
  /**
   * SNS filter policy on the message attributes `eventType`, `priority` and `orderValue` (Number).
   * @default undefined (every event)
   */
  filterPolicy?: Record<string, unknown>;
  /**
   * Component resources the handler uses; each is linked (infra-kit `link()`): its exact grants and one environment
   * variable, named in `LINK_ENV` of `src/env.ts` (`INVENTORY_TABLE`, `ANALYTICS_TABLE`, `NOTIFICATION_BUS_NAME`,
   * `ALARM_TOPIC_ARN`, `IDEMPOTENCY_TABLE` with `IDEMPOTENCY_KEY_PREFIX`: the handler's Powertools idempotency must use
   * that `keyPrefix`, the only keys its grant allows).
   * @default []
   */
  uses?: OrdersResource[];
  /**
   * The handler's environment shape (what it parses); given, the links (`uses`, and `ORDER_EVENTS_TOPIC_ARN` for
   * function delivery) must set exactly its variables besides `environment`, so the handler never reads a variable
   * nobody sets and no variable is set that it does not read.
   * @default undefined (not checked)
   */
  reads?: EnvShape;
  /**
   * Whether archive replays are handed to this subscriber (queue delivery only): its queue then also receives
   * replayed events matching its filter policy, straight from the replay path (never through `order-events`).
   * Only idempotent consumers should take replays.
   * @default false
   */
  replays?: boolean;
  /**
   * Function timeout in seconds.
   * @default 30
   */
  timeout?: number;
  /**
   * Extra environment variables.
   * @default {}
   */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Extra grants (exact actions on exact ARNs) for resources outside the component.
   * @default []
   */
  grants?: Grant[];
}

const handler = (file: string): string => fileURLToPath(new URL(`./handlers/${file}.ts`, import.meta.url));

/** Events worth an ops alert: SNS compares the `orderValue` Number attribute. */
export const highValueFilter = (threshold: number): Record<string, unknown> => ({
  orderValue: [{ numeric: [">", threshold] }],
});

/** The four consumers of the issue; `subscribers` in the component's args is merged over these. */
export function defaultOrderSubscribers(highValueThreshold: number): Record<string, OrderSubscriber> {
  return {
    inventory: {
      entry: handler("inventory"),
      filterPolicy: { eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] },
      uses: ["inventoryTable"],
      reads: FUNCTION_ENV.inventory,
      replays: true,
    },
    "customer-notifications": {
      entry: handler("customer-notifications"),
      // Replays never reach this queue (they go to `replays: true` subscribers only).
      filterPolicy: { eventType: ["ORDER_SHIPPED", "ORDER_DELIVERED"], priority: ["HIGH"] },
      uses: ["notificationBus"],
      reads: FUNCTION_ENV["customer-notifications"],
    },
    analytics: {
      entry: handler("analytics"),
      uses: ["analyticsTable"],
      reads: FUNCTION_ENV.analytics,
      replays: true,
    },
    "high-value-alert": {
      delivery: "function",
      entry: handler("high-value-alert"),
      filterPolicy: highValueFilter(highValueThreshold),
      uses: ["alarmTopic", "idempotencyTable"],
      reads: FUNCTION_ENV["high-value-alert"],
      environment: { HIGH_VALUE_THRESHOLD: String(highValueThreshold) },
    },
  };
}

/**
 * Partition-key prefixes each table's writers use (handlers/inventory.ts, handlers/analytics.ts): their grants are
 * bounded to them with `dynamodb:LeadingKeys`. A handler writing a new item family must add its prefix here.
 */
export const TABLE_KEY_PREFIXES = {
  inventoryTable: ["EVENT#", "SKU#"],
  analyticsTable: ["EVENT#", "DAY#"],
} as const satisfies Partial<Record<OrdersResource, readonly string[]>>;

/** Internal handlers of the component (not subscribers a team configures). */
export const INTERNAL_HANDLERS = {
  archiver: handler("archiver"),
  orderProcessing: handler("order-processing"),
  republisher: handler("republisher"),
} as const;
