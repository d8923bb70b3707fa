export { ContractsError, contractsError } from "./errors";
export { chunk, LIMITS, utf8Bytes } from "./limits";
export {
  MAX_NOTIFICATION_MESSAGE_BYTES,
  NOTIFICATION_ID_PATTERN,
  type NotificationTarget,
  notificationIdFor,
  parseUserNotification,
  putEventsEntryBytes,
  SEND_USER_NOTIFICATION,
  type SendResult,
  sendUserNotification,
  type UserNotification,
  userNotificationSchema,
} from "./notifications";
export * from "./orders";
export { backoffMs, type RetryOptions, sleep } from "./retry";
export { countSmsParts, SMS_SEGMENTS, type SmsEncoding, type SmsPartCount, smsEncoding } from "./sms-parts";
