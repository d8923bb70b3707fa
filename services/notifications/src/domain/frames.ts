import { LIMITS, type UserNotification, utf8Bytes } from "@switchyard/contracts";
import { PermanentError } from "@switchyard/runtime-kit";
import { NotificationsError, notificationsError } from "../errors";
import {
  type ActionableFrame,
  CLIENT_ACTIONS,
  type ErrorFrame,
  type FeedbackFrame,
  type ServerFrame,
  type UnreadCountFrame,
} from "../protocol";

/** A frame too large for API Gateway's 128 KB message payload: it could never be delivered. */
export class FrameTooLargeError extends PermanentError {
  override name = "FrameTooLargeError";
  constructor(reason: string) {
    super(reason);
    notificationsError(this);
  }
}

/** JSON text of a frame, refused (permanently) when over the WebSocket message payload limit. */
export function encodeFrame(frame: ServerFrame, limit: number = LIMITS.webSocketPayloadBytes): string {
  const text = JSON.stringify(frame);
  const bytes = utf8Bytes(text);
  if (bytes > limit) {
    throw new FrameTooLargeError(
      `${frame.type} frame is ${bytes} bytes; API Gateway WebSocket messages take at most ${limit}`,
    );
  }
  return text;
}

/** The frame a user's connections receive for a notification. */
export function notificationFrame(
  notification: UserNotification,
  stored: { id: string; createdAt?: string; unreadCount?: number },
): ActionableFrame | FeedbackFrame {
  if (notification.type === "feedback")
    return { type: "feedback", id: stored.id, message: notification.message };
  if (stored.createdAt === undefined || stored.unreadCount === undefined) {
    throw new NotificationsError("an actionable notification is framed only once it is stored");
  }
  return {
    type: "actionable",
    id: stored.id,
    message: notification.message,
    callback: notification.callback,
    createdAt: stored.createdAt,
    unreadCount: stored.unreadCount,
  };
}

export const unreadCountFrame = (unreadCount: number): UnreadCountFrame => ({
  type: "unreadCount",
  unreadCount,
});

export const errorFrame = (message: string): ErrorFrame => ({
  type: "error",
  message,
  actions: [...CLIENT_ACTIONS],
});
