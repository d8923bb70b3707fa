import { MAX_NOTIFICATION_MESSAGE_BYTES } from "@switchyard/contracts";
import { z } from "zod";

/** The WebSocket subprotocol a browser offers (with its token) in `Sec-WebSocket-Protocol`. */
export const SUBPROTOCOL = "switchyard.v1";

/** Most notification ids one `markRead` frame may name. */
export const MAX_MARK_READ_IDS = 100;

/** Most unread notifications one `listUnread` answer carries (the count is always exact). */
export const MAX_LISTED_UNREAD = 50;

/** Actions a client may send; `$default` answers with this list. */
export const CLIENT_ACTIONS = ["markRead", "listUnread"] as const;

const notificationId = z.string().min(1, { error: "id must not be empty" }).max(128);

// ------------------------------------------------------------------------------------------------
// Client -> server

export const markReadRequestSchema = z
  .object({
    action: z.literal("markRead"),
    ids: z
      .array(notificationId, { error: "ids must be a list of notification ids" })
      .min(1, { error: "ids must name at least one notification" })
      .max(MAX_MARK_READ_IDS, { error: `ids must name at most ${MAX_MARK_READ_IDS} notifications` })
      .optional(),
    all: z.literal(true, { error: "all must be true when given" }).optional(),
  })
  .strict()
  .refine((request) => (request.ids === undefined) !== (request.all === undefined), {
    error: "markRead needs exactly one of ids and all",
  });
export type MarkReadRequest = z.infer<typeof markReadRequestSchema>;

export const listUnreadRequestSchema = z.object({ action: z.literal("listUnread") }).strict();
export type ListUnreadRequest = z.infer<typeof listUnreadRequestSchema>;

// ------------------------------------------------------------------------------------------------
// Server -> client

const message = z.string().min(1);

/** An actionable notification: stored in the inbox as unread until the user marks it read. */
export const actionableFrameSchema = z
  .object({
    type: z.literal("actionable"),
    id: notificationId,
    message,
    callback: z.url({ protocol: /^https$/ }),
    createdAt: z.iso.datetime(),
    /** The user's unread count including this one (pushes carry it; list items do not). */
    unreadCount: z.number().int().nonnegative().optional(),
  })
  .strict();

/**
 * Progress of long-running work: delivered to open connections only, never stored. `id` is the notification's
 * id: a retried delivery carries the same one, so a client drops a copy it has already shown.
 */
export const feedbackFrameSchema = z
  .object({ type: z.literal("feedback"), id: notificationId, message })
  .strict();

/** The user's unread count (the red badge), after connect (`listUnread`), a new notification or `markRead`. */
export const unreadCountFrameSchema = z
  .object({ type: z.literal("unreadCount"), unreadCount: z.number().int().nonnegative() })
  .strict();

/** Answer to `listUnread`: the count and the newest unread notifications. */
export const unreadListFrameSchema = z
  .object({
    type: z.literal("unreadList"),
    unreadCount: z.number().int().nonnegative(),
    notifications: z.array(actionableFrameSchema).max(MAX_LISTED_UNREAD),
  })
  .strict();

/** Answer to a frame the server cannot act on (`$default`, or an invalid action). */
export const errorFrameSchema = z
  .object({
    type: z.literal("error"),
    message,
    actions: z.array(z.enum(CLIENT_ACTIONS)),
  })
  .strict();

export const serverFrameSchema = z.discriminatedUnion("type", [
  actionableFrameSchema,
  feedbackFrameSchema,
  unreadCountFrameSchema,
  unreadListFrameSchema,
  errorFrameSchema,
]);
export type ActionableFrame = z.infer<typeof actionableFrameSchema>;
export type FeedbackFrame = z.infer<typeof feedbackFrameSchema>;
export type UnreadCountFrame = z.infer<typeof unreadCountFrameSchema>;
export type UnreadListFrame = z.infer<typeof unreadListFrameSchema>;
export type ErrorFrame = z.infer<typeof errorFrameSchema>;
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** Re-exported for the AsyncAPI agreement test and clients: the longest message a notification carries. */
export { MAX_NOTIFICATION_MESSAGE_BYTES };
