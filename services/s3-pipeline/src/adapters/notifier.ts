import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { type NotificationTarget, sendUserNotification, type UserNotification } from "@switchyard/contracts";
import { NOTIFICATION_SOURCE } from "../constants";

/** Asks the notifications service to tell a user something (the A2P leg). */
export interface Notifier {
  notify(notification: UserNotification): Promise<void>;
}

/** A Notifier putting `Send User Notification` events on the notifications bus (shared contract). */
export function eventBridgeNotifier(client: EventBridgeClient, eventBusName: string): Notifier {
  const target: NotificationTarget = { eventBusName, source: NOTIFICATION_SOURCE };
  return {
    async notify(notification) {
      await sendUserNotification(client, target, [notification]);
    },
  };
}
