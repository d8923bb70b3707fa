/**
 * The fan-out benchmark's baseline, the seed design issue 16 compares against: a sender that posts to a
 * user's connections one after another (look the connections up, post to each in turn, delete the ones
 * that are gone), handling the records of a batch one after another too. The bench bundles it and deploys
 * it beside the real sender on a copy of its pipeline (bus, rule, queue, event source mapping); the
 * program never deploys it.
 *
 * Same table layout, same clients and same frame as `services/notifications` (feedback notifications
 * only: the bench sends nothing else), so the only difference measured is the sending strategy.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { connectionKey, TABLE } from "../../services/notifications/src/domain/table";

const tableName = process.env.TABLE_NAME;
const endpoint = process.env.CONNECTIONS_ENDPOINT;
if (!tableName || !endpoint)
  throw new Error("sequential sender: TABLE_NAME and CONNECTIONS_ENDPOINT are required");
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const api = new ApiGatewayManagementApiClient({ endpoint });

async function connectionsOf(userId: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: TABLE.index,
        KeyConditionExpression: "GSI1PK = :user AND GSI1SK = :sk",
        ExpressionAttributeValues: { ":user": userId, ":sk": TABLE.connectionIndexSk },
        ProjectionExpression: "pk",
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) if (typeof item.pk === "string") ids.push(item.pk);
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    try {
      const { detail } = JSON.parse(record.body) as { detail: { userId: string; message: string } };
      const frame = JSON.stringify({ type: "feedback", message: detail.message });
      for (const connectionId of await connectionsOf(detail.userId)) {
        try {
          await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: frame }));
        } catch (error) {
          if (!(error instanceof GoneException)) throw error;
          await doc.send(new DeleteCommand({ TableName: tableName, Key: connectionKey(connectionId) }));
        }
      }
    } catch (error) {
      console.error("sequential sender: record failed", record.messageId, error);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
