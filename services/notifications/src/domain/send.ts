import type { UserNotification } from "@switchyard/contracts";
import { type DeliveryPorts, type DeliveryReport, deliverToUser } from "./deliver";
import { encodeFrame, notificationFrame } from "./frames";
import { type InboxItem, inboxItem } from "./table";

export interface SendPorts extends DeliveryPorts {
  putInboxItem(item: InboxItem): Promise<"created" | "exists">;
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
  stored: "created" | "exists" | "not stored";
}

// The largest count a frame could carry, so the size check before storing holds for the real frame too.
const WIDEST_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Delivers one notification: an actionable one is first stored in the user's inbox (once, keyed by the
 * event id) and its frame carries the new unread count; a feedback one is only posted. The frame's size
 * is checked before anything is stored, so a notification that could never be delivered leaves no trace.
 */
export async function sendNotification(
  ports: SendPorts,
  event: NotificationEvent,
  options: SendOptions,
): Promise<SendReport> {
  const { detail } = event;
  if (detail.type === "feedback") {
    const frame = encodeFrame(notificationFrame(detail));
    return {
      stored: "not stored",
      ...(await deliverToUser(ports, detail.userId, frame, options.concurrency)),
    };
  }
  const createdAt = new Date(event.time).toISOString();
  const stored = { id: event.id, createdAt };
  encodeFrame(notificationFrame(detail, { ...stored, unreadCount: WIDEST_COUNT }));
  const outcome = await ports.putInboxItem(
    inboxItem(
      { id: event.id, userId: detail.userId, message: detail.message, callback: detail.callback, createdAt },
      options.inboxRetentionDays,
    ),
  );
  const unreadCount = await ports.unreadCount(detail.userId);
  const frame = encodeFrame(notificationFrame(detail, { ...stored, unreadCount }));
  return { stored: outcome, ...(await deliverToUser(ports, detail.userId, frame, options.concurrency)) };
}
