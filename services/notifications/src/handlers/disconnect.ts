import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createLogger, parseEnv, traced } from "@switchyard/runtime-kit";
import { z } from "zod";
import { createStore } from "../adapters/store";
import { FUNCTION_ENV } from "../env";
import type { WebSocketRequest, WebSocketResponse } from "./websocket";

const env = parseEnv(z.object(FUNCTION_ENV.disconnect));
const store = createStore(DynamoDBDocumentClient.from(traced(new DynamoDBClient({}))), env.TABLE_NAME);
const logger = createLogger();

/**
 * `$disconnect`: deletes the connection, best effort. A missed delete is covered by the item's TTL and
 * by the sender, which deletes a connection that answers 410.
 */
export const handler = async (event: WebSocketRequest): Promise<WebSocketResponse> => {
  const { connectionId } = event.requestContext;
  try {
    await store.deleteConnection(connectionId);
  } catch (error) {
    logger.warn("could not delete a closed connection; its TTL will", {
      connectionId,
      errorName: error instanceof Error ? error.name : String(error),
    });
  }
  return { statusCode: 200 };
};
