import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type SNSClient,
} from "@aws-sdk/client-sns";
import { PermanentError, TransientError, ValidationError } from "@switchyard/runtime-kit/errors";
import { z } from "zod";
import { contractsError } from "./errors";
import { LIMITS, utf8Bytes } from "./limits";
import { backoffMs, type RetryOptions, sleep } from "./retry";

/** The order lifecycle events published on the `order-events` topic (the `eventType` message attribute). */
export const ORDER_EVENT_TYPES = [
  "ORDER_CREATED",
  "ORDER_CANCELLED",
  "ORDER_SHIPPED",
  "ORDER_DELIVERED",
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

export const ORDER_PRIORITIES = ["HIGH", "NORMAL", "LOW"] as const;
export type OrderPriority = (typeof ORDER_PRIORITIES)[number];

/** SNS FIFO: MessageGroupId and MessageDeduplicationId are at most 128 characters (docs/aws-reference.md §2, §3). */
export const MAX_FIFO_ID_LENGTH = 128;
/** SNS filter policies compare numbers within ±1e9 (docs/aws-reference.md §1); an orderValue outside could never match. */
export const MAX_ORDER_VALUE = 1_000_000_000;

/** Largest quantity of one order line: 50 lines of it still add up to an exact integer. */
export const MAX_LINE_QUANTITY = 1_000_000;

// Group and deduplication ids: alphanumeric and punctuation only (printable ASCII without space).
const fifoSafe = /^[\x21-\x7E]+$/;

const orderId = z
  .string({ error: "orderId is required" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "orderId must be 1 to 64 letters, digits, '_' or '-'" });
const customerId = z
  .string({ error: "customerId is required" })
  .min(1, { error: "customerId must not be empty" })
  .max(MAX_FIFO_ID_LENGTH, { error: `customerId must be at most ${MAX_FIFO_ID_LENGTH} characters` })
  .regex(fifoSafe, { error: "customerId must hold only printable ASCII without spaces" });
const httpsUrl = z.string().refine(
  (value) => {
    try {
      return new URL(value).protocol === "https:";
    } catch {
      return false;
    }
  },
  { error: "trackingUrl must be an https URL" },
);

/**
 * One order event. `version` increases by one with every event of an order, so `<orderId>-<version>`
 * identifies an event (FIFO deduplication id, idempotency key). Shipped and delivered events carry the
 * `trackingUrl` the customer notification links to.
 */
export const orderEventSchema = z
  .object({
    eventType: z.enum(ORDER_EVENT_TYPES, {
      error: `eventType must be one of ${ORDER_EVENT_TYPES.join(", ")}`,
    }),
    orderId,
    version: z
      .number({ error: "version is required" })
      .int({ error: "version must be an integer" })
      .min(1, { error: "version must be at least 1" })
      .max(999_999_999, { error: "version must be at most 999999999" }),
    customerId,
    priority: z.enum(ORDER_PRIORITIES, { error: `priority must be one of ${ORDER_PRIORITIES.join(", ")}` }),
    orderValue: z
      .number({ error: "orderValue is required" })
      .min(0, { error: "orderValue must not be negative" })
      .max(MAX_ORDER_VALUE, { error: `orderValue must be at most ${MAX_ORDER_VALUE}` })
      .refine((value) => Math.round(value * 100) / 100 === value, {
        error: "orderValue must have at most 2 decimals",
      }),
    currency: z.string().regex(/^[A-Z]{3}$/, { error: "currency must be an ISO 4217 code such as EUR" }),
    occurredAt: z.iso.datetime({ error: "occurredAt must be an ISO 8601 UTC timestamp" }),
    items: z
      .array(
        z
          .object({
            sku: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
              error: "sku must be 1 to 64 letters, digits, '_', '.' or '-'",
            }),
            // Bounded so every sum a consumer stores stays an exact (safe) integer DynamoDB accepts.
            quantity: z
              .number()
              .int({ error: "quantity must be an integer" })
              .min(1, { error: "quantity must be at least 1" })
              .max(MAX_LINE_QUANTITY, { error: `quantity must be at most ${MAX_LINE_QUANTITY}` }),
          })
          .strict(),
        { error: "items must be a list" },
      )
      .min(1, { error: "items must hold at least one line" })
      .max(50, { error: "items must hold at most 50 lines" }),
    trackingUrl: httpsUrl.optional(),
  })
  .strict()
  .superRefine((event, ctx) => {
    if (
      (event.eventType === "ORDER_SHIPPED" || event.eventType === "ORDER_DELIVERED") &&
      !event.trackingUrl
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["trackingUrl"],
        message: `trackingUrl is required for ${event.eventType}`,
      });
    }
  });
export type OrderEvent = z.infer<typeof orderEventSchema>;

/** Parses an order event, throwing a ValidationError that names each bad field. */
export function parseOrderEvent(input: unknown, subject = "order event"): OrderEvent {
  const result = orderEventSchema.safeParse(input);
  if (!result.success) throw contractsError(ValidationError.fromZod(result.error, { subject }));
  return result.data;
}

/**
 * The message attributes subscribers filter on: `eventType`, `priority` (String) and `orderValue` (Number).
 * Routing only: consumers decide on the validated body, never on these (a publisher can set any attribute).
 */
export function orderEventAttributes(event: OrderEvent): Record<string, MessageAttributeValue> {
  return {
    eventType: { DataType: "String", StringValue: event.eventType },
    priority: { DataType: "String", StringValue: event.priority },
    orderValue: { DataType: "Number", StringValue: String(event.orderValue) },
  };
}

/** FIFO ids: the customer's events stay in order; `<orderId>-<version>` makes a re-publish a duplicate. */
export function orderFifoIds(event: OrderEvent): { MessageGroupId: string; MessageDeduplicationId: string } {
  const deduplicationId = `${event.orderId}-${event.version}`;
  // The schema bounds both (customerId <= 128; orderId <= 64 plus 10 digits); guard against schema drift.
  if (deduplicationId.length > MAX_FIFO_ID_LENGTH || event.customerId.length > MAX_FIFO_ID_LENGTH) {
    throw contractsError(
      new ValidationError([
        { path: "orderId", message: `FIFO ids must be at most ${MAX_FIFO_ID_LENGTH} characters` },
      ]),
    );
  }
  return { MessageGroupId: event.customerId, MessageDeduplicationId: deduplicationId };
}

/** Size SNS counts for one message: the body plus every attribute's name, type and value, in UTF-8 bytes. */
export function publishEntryBytes(entry: PublishBatchRequestEntry): number {
  let bytes = utf8Bytes(entry.Message ?? "");
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += utf8Bytes(name) + utf8Bytes(value.DataType ?? "") + utf8Bytes(value.StringValue ?? "");
  }
  return bytes;
}

export interface OrderEventsTarget {
  /** The `order-events` topic, or the ordered (FIFO) topic. */
  topicArn: string;
  /** Set FIFO group and deduplication ids. @default true when the ARN ends in `.fifo` */
  fifo?: boolean;
}

export interface PublishResult {
  /** SNS message ids, in the order of the events given. */
  messageIds: string[];
  /** PublishBatch calls made, retries included. */
  calls: number;
}

interface Pending {
  index: number;
  entry: PublishBatchRequestEntry;
  bytes: number;
  group: string | undefined;
  failures: number;
}

/** The next batch: at most 10 entries and 256 KB; on FIFO only the first pending entry of each group. */
function nextBatch(pending: readonly Pending[], fifo: boolean): Pending[] {
  const batch: Pending[] = [];
  const groupsSeen = new Set<string>();
  let bytes = 0;
  for (const item of pending) {
    if (batch.length === LIMITS.snsBatchEntries) break;
    if (fifo && item.group !== undefined) {
      if (groupsSeen.has(item.group)) continue;
      groupsSeen.add(item.group);
    }
    if (batch.length > 0 && bytes + item.bytes > LIMITS.snsMessageBytes) continue;
    batch.push(item);
    bytes += item.bytes;
  }
  return batch;
}

/**
 * Publishes order events: validates every event first (nothing is sent if one is invalid; the error names
 * the index and the field), sets the filter attributes, and sends them with PublishBatch (at most 10 entries
 * and 256 KB per call), retrying only the entries SNS failed, with jittered backoff.
 *
 * On a FIFO topic every entry gets `MessageGroupId = customerId` and `MessageDeduplicationId =
 * <orderId>-<version>`, and a batch holds at most one event per customer, so a failed entry is retried
 * before any later event of the same customer is sent: per-customer order survives partial failures.
 *
 * Entries SNS rejects as the sender's fault are not retried and throw a PermanentError; entries still
 * failing after `maxAttempts` throw a TransientError (on FIFO the customer's later events are then not
 * sent at all). Consumers are idempotent per `<orderId>-<version>`, so re-publishing the whole call is safe.
 */
export async function publishOrderEvents(
  client: SNSClient,
  target: OrderEventsTarget,
  events: readonly unknown[],
  options: RetryOptions = {},
): Promise<PublishResult> {
  if (!target.topicArn?.startsWith("arn:")) {
    throw contractsError(new ValidationError([{ path: "topicArn", message: "must be an SNS topic ARN" }]));
  }
  const fifo = target.fifo ?? target.topicArn.endsWith(".fifo");
  const parsed = events.map((event, index) => parseOrderEvent(event, `events[${index}]`));
  let pending: Pending[] = parsed.map((event, index) => {
    const entry: PublishBatchRequestEntry = {
      Id: `e${index}`,
      Message: JSON.stringify(event),
      MessageAttributes: orderEventAttributes(event),
      ...(fifo ? orderFifoIds(event) : {}),
    };
    const bytes = publishEntryBytes(entry);
    if (bytes > LIMITS.snsMessageBytes) {
      throw contractsError(
        new ValidationError([
          {
            path: `events[${index}]`,
            message: `is ${bytes} bytes; SNS takes at most ${LIMITS.snsMessageBytes}`,
          },
        ]),
      );
    }
    return { index, entry, bytes, group: fifo ? event.customerId : undefined, failures: 0 };
  });

  const maxAttempts = options.maxAttempts ?? 4;
  const wait = options.sleep ?? sleep;
  const messageIds: string[] = new Array(parsed.length).fill("");
  const rejected: string[] = [];
  const exhausted: string[] = [];
  let calls = 0;

  while (pending.length > 0) {
    const batch = nextBatch(pending, fifo);
    calls++;
    const response = await client.send(
      new PublishBatchCommand({
        TopicArn: target.topicArn,
        PublishBatchRequestEntries: batch.map((p) => p.entry),
      }),
    );
    const ok = new Map((response.Successful ?? []).map((s) => [s.Id, s.MessageId]));
    const failed = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
    const done = new Set<Pending>();
    const abandonedGroups = new Set<string>();
    let worstFailures = 0;
    for (const item of batch) {
      const messageId = ok.get(item.entry.Id);
      if (messageId) {
        messageIds[item.index] = messageId;
        done.add(item);
        continue;
      }
      const failure = failed.get(item.entry.Id);
      const reason = `${failure?.Code ?? "NoResult"}: ${failure?.Message ?? "no entry in the response"}`;
      item.failures++;
      worstFailures = Math.max(worstFailures, item.failures);
      if (failure?.SenderFault) {
        rejected.push(`events[${item.index}] ${reason}`);
        done.add(item);
      } else if (item.failures >= maxAttempts) {
        exhausted.push(reason);
        done.add(item);
      } else {
        continue;
      }
      if (item.group !== undefined && !messageId) abandonedGroups.add(item.group);
    }
    // On FIFO, a customer's later events must not overtake one that was given up on.
    pending = pending.filter(
      (item) => !done.has(item) && !(item.group !== undefined && abandonedGroups.has(item.group)),
    );
    if (worstFailures > 0 && pending.length > 0)
      await wait(backoffMs(worstFailures, 100, 5_000, options.random));
  }

  const unsent = messageIds.filter((id) => id === "").length;
  if (rejected.length > 0) {
    throw contractsError(
      new PermanentError(
        `SNS rejected ${rejected.length} of ${parsed.length} order events (${rejected.join("; ")})`,
      ),
    );
  }
  if (unsent > 0) {
    throw contractsError(
      new TransientError(
        `SNS did not accept ${unsent} of ${parsed.length} order events after ${maxAttempts} attempts (${[...new Set(exhausted)].join("; ")})`,
      ),
    );
  }
  return { messageIds, calls };
}
