import type { UserNotification } from "@switchyard/contracts";
import { type DeliveryPorts, type DeliveryReport, deliverToUser } from "./deliver";
import { encodeFrame, notificationFrame } from "./frames";
import { type InboxItem, inboxItem } from "./table";

export interface SendPorts extends DeliveryPorts {
  /** `"exists"`: stored before but not yet delivered everywhere; `"delivered"`: stored and delivered. */
  putInboxItem(item: InboxItem): Promise<"created" | "exists" | "delivered">;
  /** Records that every connection got the item, so a later copy of the same notification sends nothing. */
  markDelivered(userId: string, id: string): Promise<void>;
  unreadCount(userId: string): Promise<number>;
}

export interface SendOptions {
  inboxRetentionDays: number;
  concurrency: number;
}

/** The EventBridge event that asked for the notification: its id and time make redeliveries idempotent. */
export interface NotificationEvent {
  id: string;
  time: string;
  detail: UserNotification;
}

export interface SendReport extends DeliveryReport {
  stored: "created" | "exists" | "delivered" | "not stored";
}

/** The notification's id: the producer's (derived from its cause), else the EventBridge event id. */
export const notificationIdOf = (event: NotificationEvent): string => event.detail.notificationId ?? event.id;

// The largest count a frame could carry, so the size check before storing holds for the real frame too.
const WIDEST_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Delivers one notification: an actionable one is first stored in the user's inbox (once, keyed by its id:
 * the producer's `notificationId`, derived from the cause, else the event id) and its frame carries the new
 * unread count; a feedback one is only posted. The frame's size is checked before anything is stored, so a
 * notification that could never be delivered leaves no trace.
 *
 * Idempotent: a second copy of a notification already stored **and** delivered (a re-published order event, a
 * redelivered record) stores and sends nothing. A copy of one stored but not yet delivered everywhere (the
 * first attempt failed on some connection) is posted again with the same id; clients drop what they have.
 */
export async function sendNotification(
  ports: SendPorts,
  event: NotificationEvent,
  options: SendOptions,
): Promise<SendReport> {
  const { detail } = event;
  const id = notificationIdOf(event);
  if (detail.type === "feedback") {
    const frame = encodeFrame(notificationFrame(detail, { id }));
    return {
      stored: "not stored",
      ...(await deliverToUser(ports, detail.userId, frame, options.concurrency)),
    };
  }
  const createdAt = new Date(event.time).toISOString();
  const stored = { id, createdAt };
  encodeFrame(notificationFrame(detail, { ...stored, unreadCount: WIDEST_COUNT }));
  const outcome = await ports.putInboxItem(
    inboxItem(
      { id, userId: detail.userId, message: detail.message, callback: detail.callback, createdAt },
      options.inboxRetentionDays,
    ),
  );
  if (outcome === "delivered") return { stored: outcome, connections: 0, sent: 0, gone: 0 };
  const unreadCount = await ports.unreadCount(detail.userId);
  const frame = encodeFrame(notificationFrame(detail, { ...stored, unreadCount }));
  const report = await deliverToUser(ports, detail.userId, frame, options.concurrency);
  await ports.markDelivered(detail.userId, id);
  return { stored: outcome, ...report };
}
