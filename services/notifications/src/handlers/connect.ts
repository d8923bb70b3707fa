import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createLogger, parseEnv, traced } from "@switchyard/runtime-kit";
import { z } from "zod";
import { createStore } from "../adapters/store";
import { connectionItem } from "../domain/table";
import { selectedProtocol } from "../domain/token";
import { FUNCTION_ENV } from "../env";
import type { WebSocketRequest, WebSocketResponse } from "./websocket";

const env = parseEnv(z.object(FUNCTION_ENV.connect));
const store = createStore(DynamoDBDocumentClient.from(traced(new DynamoDBClient({}))), env.TABLE_NAME);
const logger = createLogger();

/**
 * `$connect` (after the authorizer allowed it): stores the connection. It cannot post to the socket yet
 * (410 until the upgrade completes), so the client asks for its unread count with `listUnread` on open.
 */
export const handler = async (event: WebSocketRequest): Promise<WebSocketResponse> => {
  const { connectionId, authorizer, identity } = event.requestContext;
  const userId = authorizer?.userId;
  if (typeof userId !== "string" || userId === "") {
    logger.error("$connect without an authorized user; is the authorizer attached?", { connectionId });
    return { statusCode: 401 };
  }
  await store.putConnection(
    connectionItem(
      {
        connectionId,
        userId,
        ipAddress: identity?.sourceIp ?? "unknown",
        connectedAt: event.requestContext.connectedAt ?? Date.now(),
      },
      env.CONNECTION_TTL_SECONDS,
    ),
  );
  const protocol = selectedProtocol(event);
  return { statusCode: 200, ...(protocol ? { headers: { "Sec-WebSocket-Protocol": protocol } } : {}) };
};
