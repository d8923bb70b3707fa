import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createLogger, parseEnv, traced } from "@switchyard/runtime-kit";
import { z } from "zod";
import { createConnectionPoster } from "../adapters/connections";
import { createStore } from "../adapters/store";
import { parseClientFrame } from "../domain/actions";
import { deliverToUser } from "../domain/deliver";
import { encodeFrame, errorFrame, unreadCountFrame } from "../domain/frames";
import { FUNCTION_ENV } from "../env";
import { MAX_LISTED_UNREAD, type ServerFrame } from "../protocol";
import type { WebSocketRequest, WebSocketResponse } from "./websocket";

const env = parseEnv(z.object(FUNCTION_ENV.messages));
const store = createStore(DynamoDBDocumentClient.from(traced(new DynamoDBClient({}))), env.TABLE_NAME);
const post = createConnectionPoster(
  traced(new ApiGatewayManagementApiClient({ endpoint: env.CONNECTIONS_ENDPOINT })),
);
const logger = createLogger();

const answer = (frame: ServerFrame): WebSocketResponse => ({ statusCode: 200, body: encodeFrame(frame) });

/**
 * `markRead`, `listUnread` and `$default`. Each answer goes back to the calling connection as the route
 * response; `markRead` also pushes the new unread count to the user's other connections.
 */
export const handler = async (event: WebSocketRequest): Promise<WebSocketResponse> => {
  const { connectionId } = event.requestContext;
  const parsed = parseClientFrame(event.body);
  if ("problem" in parsed) return answer(errorFrame(parsed.problem));

  // Authorizers run on $connect only: later frames are trusted through the stored connection.
  const userId = await store.userOf(connectionId);
  if (!userId) return answer(errorFrame("this connection is not registered: reconnect"));

  const { request } = parsed;
  if (request.action === "listUnread") {
    const [unreadCount, unread] = await Promise.all([
      store.unreadCount(userId),
      store.listUnread(userId, MAX_LISTED_UNREAD),
    ]);
    return answer({
      type: "unreadList",
      unreadCount,
      notifications: unread.map((entry) => ({
        type: "actionable",
        id: entry.notificationId,
        message: entry.message,
        callback: entry.callback,
        createdAt: entry.createdAt,
      })),
    });
  }

  const readAt = new Date().toISOString();
  const changed = request.ids
    ? await store.markRead(userId, request.ids, readAt)
    : await store.markAllRead(userId, readAt);
  const frame = unreadCountFrame(await store.unreadCount(userId));
  if (changed > 0) {
    try {
      await deliverToUser(
        {
          connectionsOf: store.connectionsOf,
          deleteConnection: store.deleteConnection,
          post,
        },
        userId,
        encodeFrame(frame),
        env.POST_CONCURRENCY,
        connectionId,
      );
    } catch (error) {
      // The caller's own answer matters more; other tabs refresh on their next listUnread.
      logger.warn("could not push the unread count to every connection", {
        connectionId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return answer(frame);
};
