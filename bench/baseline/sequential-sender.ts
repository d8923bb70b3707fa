/**
 * The fan-out benchmark's baseline, the seed design issue 16 compares against: a sender that posts to a
 * user's connections one after another (look the connections up, post to each in turn, delete the ones
 * that are gone), handling the records of a batch one after another too. The bench bundles it and deploys
 * it beside the real sender on a copy of its pipeline (bus, rule, queue, event source mapping); the
 * program never deploys it.
 *
 * Same store (`services/notifications/src/adapters/store.ts`: the connection query and the delete of a gone
 * connection), same clients and same frame as `services/notifications` (feedback notifications only: the bench
 * sends nothing else), so the only difference measured is the sending strategy.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createStore } from "../../services/notifications/src/adapters/store";

const tableName = process.env.TABLE_NAME;
const endpoint = process.env.CONNECTIONS_ENDPOINT;
if (!tableName || !endpoint)
  throw new Error("sequential sender: TABLE_NAME and CONNECTIONS_ENDPOINT are required");
// The real sender's store: the same connection query and delete, so only the posting strategy differs.
const store = createStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName);
const api = new ApiGatewayManagementApiClient({ endpoint });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    try {
      const { detail } = JSON.parse(record.body) as { detail: { userId: string; message: string } };
      const frame = JSON.stringify({ type: "feedback", message: detail.message });
      for (const connectionId of await store.connectionsOf(detail.userId)) {
        try {
          await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: frame }));
        } catch (error) {
          if (!(error instanceof GoneException)) throw error;
          await store.deleteConnection(connectionId);
        }
      }
    } catch (error) {
      console.error("sequential sender: record failed", record.messageId, error);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
