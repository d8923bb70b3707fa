import { createHash } from "node:crypto";
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { TransientError, ValidationError } from "@switchyard/runtime-kit/errors";
import { z } from "zod";
import { contractsError } from "./errors";
import { chunk, LIMITS, utf8Bytes } from "./limits";
import { backoffMs, type RetryOptions, sleep } from "./retry";

/** EventBridge `detail-type` of a notification request; the notifications service's rule matches it. */
export const SEND_USER_NOTIFICATION = "Send User Notification";

/**
 * Largest notification message, in UTF-8 bytes. A notification is short text; this bound keeps the
 * WebSocket frame the sender builds (message plus envelope, even fully JSON-escaped) under API Gateway's
 * 128 KB payload limit and the EventBridge entry well under 256 KB.
 */
export const MAX_NOTIFICATION_MESSAGE_BYTES = 16_384;

const userId = z
  .string({ error: "userId is required" })
  .min(1, { error: "userId must not be empty" })
  .max(256, { error: "userId must be at most 256 characters" })
  .refine((text) => !LONE_SURROGATE.test(text), {
    error: "userId must be well-formed Unicode (it holds a lone surrogate)",
  });
/** A lone UTF-16 surrogate: text that has no UTF-8 encoding (it would reach the user as U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const message = z
  .string({ error: "message is required" })
  .min(1, { error: "message must not be empty" })
  .refine((text) => !LONE_SURROGATE.test(text), {
    error: "message must be well-formed Unicode (it holds a lone surrogate)",
  })
  .refine((text) => utf8Bytes(text) <= MAX_NOTIFICATION_MESSAGE_BYTES, {
    error: `message must be at most ${MAX_NOTIFICATION_MESSAGE_BYTES} bytes of UTF-8`,
  });
const httpsUrl = z.string({ error: "callback is required for actionable notifications" }).refine(
  (value) => {
    try {
      return new URL(value).protocol === "https:";
    } catch {
      return false;
    }
  },
  { error: "callback must be an https URL" },
);

/** A notification id: letters, digits and `_ . : # -`, at most 128 characters. */
export const NOTIFICATION_ID_PATTERN = /^[A-Za-z0-9_.:#-]{1,128}$/;
const notificationId = z
  .string()
  .regex(NOTIFICATION_ID_PATTERN, {
    error: "notificationId must be 1 to 128 letters, digits, '_', '.', ':', '#' or '-'",
  })
  .optional();

/**
 * The id of the notification a cause gives rise to (e.g. `orders:<orderId>#<version>:ORDER_SHIPPED`): the same
 * cause, however often it is delivered or re-published, gives the same id, so the inbox stores it once and
 * clients drop a second copy. A SHA-256 of the cause, so the id reveals nothing and stays short.
 */
export function notificationIdFor(cause: string): string {
  return `n-${createHash("sha256").update(cause, "utf8").digest("hex").slice(0, 40)}`;
}

/**
 * The event detail of `Send User Notification`. `actionable`: the user must act (stored in the inbox as
 * unread; `callback` is where the action happens). `feedback`: progress of long work (never stored).
 * `notificationId` (see {@link notificationIdFor}) makes delivery idempotent: the same id is stored and shown
 * once. Without it the notifications service uses the EventBridge event id, which a re-publish changes.
 */
export const userNotificationSchema = z.discriminatedUnion(
  "type",
  [
    z.object({ userId, type: z.literal("actionable"), message, callback: httpsUrl, notificationId }).strict(),
    z.object({ userId, type: z.literal("feedback"), message, notificationId }).strict(),
  ],
  { error: 'type must be "actionable" or "feedback"' },
);
export type UserNotification = z.infer<typeof userNotificationSchema>;

/** Parses a notification, throwing a ValidationError that names each bad field. */
export function parseUserNotification(input: unknown, subject = "notification"): UserNotification {
  const result = userNotificationSchema.safeParse(input);
  if (!result.success) throw contractsError(ValidationError.fromZod(result.error, { subject }));
  return result.data;
}

export interface NotificationTarget {
  /** Name or ARN of the notifications event bus (the root stack hands it to publishers). */
  eventBusName: string;
  /** The `source` of the events: who asks for the notification, e.g. `switchyard.orders`. */
  source: string;
}

export interface SendResult {
  /** EventBridge event ids, in the order of the notifications given. */
  eventIds: string[];
  /** PutEvents calls made, retries included. */
  calls: number;
}

function entryOf(target: NotificationTarget, notification: UserNotification): PutEventsRequestEntry {
  return {
    EventBusName: target.eventBusName,
    Source: target.source,
    DetailType: SEND_USER_NOTIFICATION,
    Detail: JSON.stringify(notification),
  };
}

/** PutEvents entry size as EventBridge counts it (source, detail type, detail, resources; time when set). */
export function putEventsEntryBytes(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    utf8Bytes(entry.Source ?? "") +
    utf8Bytes(entry.DetailType ?? "") +
    utf8Bytes(entry.Detail ?? "") +
    (entry.Resources ?? []).reduce((sum, resource) => sum + utf8Bytes(resource), 0)
  );
}

/**
 * Asks the notifications service to notify users: validates every notification first (nothing is sent
 * if one is invalid; the error names the index and field), puts them on the bus in batches of at most
 * 10 entries and 256 KB, and retries only the entries EventBridge failed, with jittered backoff. Entries
 * still failing after the last attempt throw a TransientError naming their error codes, so a caller
 * inside an SQS consumer fails that record and SQS retries it.
 */
export async function sendUserNotification(
  client: EventBridgeClient,
  target: NotificationTarget,
  notifications: readonly unknown[],
  options: RetryOptions = {},
): Promise<SendResult> {
  if (!target.eventBusName)
    throw contractsError(new ValidationError([{ path: "eventBusName", message: "is required" }]));
  if (!target.source) throw contractsError(new ValidationError([{ path: "source", message: "is required" }]));
  const entries = notifications.map((notification, index) =>
    entryOf(target, parseUserNotification(notification, `notifications[${index}]`)),
  );
  entries.forEach((entry, index) => {
    const bytes = putEventsEntryBytes(entry);
    if (bytes > LIMITS.eventBridgeEntryBytes) {
      throw contractsError(
        new ValidationError([
          {
            path: `notifications[${index}]`,
            message: `is ${bytes} bytes; EventBridge takes at most ${LIMITS.eventBridgeEntryBytes}`,
          },
        ]),
      );
    }
  });

  const maxAttempts = options.maxAttempts ?? 4;
  const wait = options.sleep ?? sleep;
  const eventIds: string[] = new Array(entries.length).fill("");
  let pending = entries.map((entry, index) => ({ entry, index }));
  let calls = 0;
  let lastErrors: string[] = [];

  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 1) await wait(backoffMs(attempt - 1, 100, 5_000, options.random));
    const failed: typeof pending = [];
    lastErrors = [];
    const batches = chunk(
      pending,
      LIMITS.eventBridgeBatchEntries,
      (p) => putEventsEntryBytes(p.entry),
      LIMITS.eventBridgeEntryBytes,
    );
    for (const batch of batches) {
      calls++;
      const response = await client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      batch.forEach((item, position) => {
        const result = response.Entries?.[position];
        if (result?.EventId && !result.ErrorCode) {
          eventIds[item.index] = result.EventId;
        } else {
          failed.push(item);
          lastErrors.push(
            `${result?.ErrorCode ?? "NoResult"}: ${result?.ErrorMessage ?? "no entry in the response"}`,
          );
        }
      });
    }
    pending = failed;
  }
  if (pending.length > 0) {
    throw contractsError(
      new TransientError(
        `EventBridge refused ${pending.length} of ${entries.length} notifications after ${maxAttempts} attempts (${[...new Set(lastErrors)].join("; ")})`,
      ),
    );
  }
  return { eventIds, calls };
}
