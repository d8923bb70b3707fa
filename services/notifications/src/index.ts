export { type NotificationsConfig, notificationsConfigSchema } from "./config";
export { NotificationsArgsError, NotificationsError, notificationsError } from "./errors";
export {
  NotificationsApi,
  type NotificationsApiArgs,
  type NotificationsAuth,
  type NotificationsDomain,
} from "./notifications-api";
export {
  type ActionableFrame,
  actionableFrameSchema,
  CLIENT_ACTIONS,
  type ErrorFrame,
  errorFrameSchema,
  type FeedbackFrame,
  feedbackFrameSchema,
  type ListUnreadRequest,
  listUnreadRequestSchema,
  MAX_LISTED_UNREAD,
  MAX_MARK_READ_IDS,
  type MarkReadRequest,
  markReadRequestSchema,
  type ServerFrame,
  SUBPROTOCOL,
  serverFrameSchema,
  type UnreadCountFrame,
  type UnreadListFrame,
  unreadCountFrameSchema,
  unreadListFrameSchema,
} from "./protocol";
