import { envSchemas } from "@switchyard/runtime-kit";
import { z } from "zod";

/** A subscriber queue the republisher hands replays to, with the filter policy its subscription applies to live events. */
export const replayTargetSchema = z.object({
  name: z.string().min(1),
  queueUrl: z.url(),
  filterPolicy: z.record(z.string(), z.unknown()).optional(),
});
export type ReplayTarget = z.infer<typeof replayTargetSchema>;

/** `REPLAY_TARGETS`: a JSON list of replay targets (set by the component). */
export const replayTargetsEnv = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON" });
      return z.NEVER;
    }
  })
  .pipe(z.array(replayTargetSchema));

/**
 * Every environment variable the orders functions read, written once: the component links a resource with one of
 * these shapes (`link(LINK_ENV.inventoryTable, { INVENTORY_TABLE: table.tableName }, grant)`, infra-kit), and the
 * handler parses the same shapes (`sqsConsumer(FUNCTION_ENV.inventory, sqs)`). The first five are the resources a
 * subscriber may `use` (`OrdersResource`). Handler-safe: zod and runtime-kit only.
 */
export const LINK_ENV = {
  inventoryTable: { INVENTORY_TABLE: envSchemas.string },
  analyticsTable: { ANALYTICS_TABLE: envSchemas.string },
  /** The notifications service's bus (customer notifications). */
  notificationBus: { NOTIFICATION_BUS_NAME: envSchemas.string },
  /** The ops topic (the high-value alert publishes there). */
  alarmTopic: { ALARM_TOPIC_ARN: envSchemas.arnOf("sns") },
  /**
   * Powertools idempotency records, under the function's own key prefix (`<prefix>#<hash>`): the grant is bounded
   * to it (`dynamodb:LeadingKeys`), so no function reads or overwrites another's records.
   */
  idempotencyTable: { IDEMPOTENCY_TABLE: envSchemas.string, IDEMPOTENCY_KEY_PREFIX: envSchemas.string },
  /** `order-events`: a function subscriber refuses records from any other topic. */
  orderEventsTopic: { ORDER_EVENTS_TOPIC_ARN: envSchemas.arnOf("sns") },
  /** The orders bus, whose archive keeps every event (the archiver puts them there). */
  ordersBus: { ORDERS_BUS_NAME: envSchemas.string },
  /** The ordered path's state. */
  orderStateTable: { ORDER_STATE_TABLE: envSchemas.string },
  /** The queues of the subscribers that take replays. */
  replayTargets: { REPLAY_TARGETS: replayTargetsEnv },
  /** The high-value alert's threshold (set in its subscriber's `environment`). */
  highValueThreshold: { HIGH_VALUE_THRESHOLD: envSchemas.number },
} as const;

/** The whole environment each function's handler parses (besides what the kit adds: `DLQ_URL`, `MAX_RECEIVE_COUNT`). */
export const FUNCTION_ENV = {
  inventory: { ...LINK_ENV.inventoryTable },
  "customer-notifications": { ...LINK_ENV.notificationBus },
  analytics: { ...LINK_ENV.analyticsTable },
  "high-value-alert": {
    ...LINK_ENV.alarmTopic,
    ...LINK_ENV.highValueThreshold,
    ...LINK_ENV.idempotencyTable,
    ...LINK_ENV.orderEventsTopic,
  },
  archiver: { ...LINK_ENV.ordersBus, ...LINK_ENV.idempotencyTable },
  orderProcessing: { ...LINK_ENV.orderStateTable },
  republisher: { ...LINK_ENV.replayTargets },
  /** The ingress route (`POST /orders/events`), besides the kit's `ingressEnv`. */
  ingress: { ...LINK_ENV.orderEventsTopic },
} as const;
