import {
  CLIENT_ACTIONS,
  type ListUnreadRequest,
  listUnreadRequestSchema,
  type MarkReadRequest,
  markReadRequestSchema,
} from "../protocol";

export type ClientRequest = MarkReadRequest | ListUnreadRequest;

/**
 * Reads a client frame: a JSON object whose `action` is one of CLIENT_ACTIONS, valid for that action.
 * Returns the request, or a message for the client naming what was wrong.
 */
export function parseClientFrame(
  body: string | undefined | null,
): { request: ClientRequest } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body ?? "");
  } catch {
    return { problem: "expected a JSON object with an action" };
  }
  const action = (value as { action?: unknown } | null)?.action;
  if (action === "markRead") return fromSchema(markReadRequestSchema.safeParse(value));
  if (action === "listUnread") return fromSchema(listUnreadRequestSchema.safeParse(value));
  return {
    problem: `unknown action ${JSON.stringify(action) ?? "undefined"}: expected one of ${CLIENT_ACTIONS.join(", ")}`,
  };
}

function fromSchema(
  result:
    | { success: true; data: ClientRequest }
    | { success: false; error: { issues: { message: string }[] } },
): { request: ClientRequest } | { problem: string } {
  if (result.success) return { request: result.data };
  return { problem: result.error.issues.map((issue) => issue.message).join("; ") };
}
