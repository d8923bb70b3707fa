import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { classifyError, PermanentError, TransientError, traced } from "@switchyard/runtime-kit";

/** One client per container; the SDK reads the endpoint (AWS_ENDPOINT_URL) and region from the environment. */
export const documentClient = DynamoDBDocumentClient.from(traced(new DynamoDBClient({})));

/**
 * The document client refuses some values before sending anything (numbers beyond 2^53 or non-finite,
 * undefined, unsupported types): a plain Error, not an AWS error, which no retry can fix.
 */
const MARSHALL_ERRORS =
  /Number .* (greater|less) than Number\.(MAX|MIN)_SAFE_INTEGER|Special numeric value|removeUndefinedValues|Unsupported type passed/;

/** Classifies a DynamoDB call's error: a value the document client cannot marshal is permanent, with reason. */
export function classifyDynamoError(error: unknown): Error {
  if (error instanceof Error && !("$metadata" in error) && MARSHALL_ERRORS.test(error.message)) {
    return new PermanentError(`DynamoDB cannot store a value of this event: ${error.message}`, {
      cause: error,
    });
  }
  return classifyError(error);
}

/** An atomic update of one item (`ADD` counters). */
export interface ItemUpdate {
  key: Record<string, string>;
  expression: string;
  names?: Record<string, string>;
  values: Record<string, unknown>;
}

/** DynamoDB TransactWriteItems takes at most 100 actions. */
const MAX_TRANSACTION_ITEMS = 100;

/**
 * Applies updates exactly once per idempotency key: one transaction puts a marker item (refused when it
 * exists) together with the updates, so a redelivered event changes nothing. Markers expire with TTL after
 * `markerTtlSeconds`, well beyond any SQS redelivery.
 */
export async function applyOnce(
  tableName: string,
  marker: Record<string, string>,
  updates: readonly ItemUpdate[],
  markerTtlSeconds: number,
  now: () => number = Date.now,
): Promise<"applied" | "duplicate"> {
  if (updates.length + 1 > MAX_TRANSACTION_ITEMS) {
    throw new PermanentError(
      `event needs ${updates.length} item updates; a transaction takes ${MAX_TRANSACTION_ITEMS - 1}`,
    );
  }
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { ...marker, expiresAt: Math.floor(now() / 1000) + markerTtlSeconds },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          ...updates.map((update) => ({
            Update: {
              TableName: tableName,
              Key: update.key,
              UpdateExpression: update.expression,
              ...(update.names ? { ExpressionAttributeNames: update.names } : {}),
              ExpressionAttributeValues: update.values,
            },
          })),
        ],
      }),
    );
    return "applied";
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === "TransactionCanceledException" && reasons) {
      if (reasons[0]?.Code === "ConditionalCheckFailed") return "duplicate";
      // Conflicts with a concurrent transaction and throttling clear up on retry.
      throw new TransientError(`transaction cancelled (${reasons.map((r) => r.Code ?? "None").join(", ")})`, {
        cause: error,
      });
    }
    throw classifyDynamoError(error);
  }
}

/** Reads one item, or undefined. */
export async function getItem<T>(tableName: string, key: Record<string, string>): Promise<T | undefined> {
  try {
    const result = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item as T | undefined;
  } catch (error) {
    throw classifyDynamoError(error);
  }
}

/**
 * Writes an item only if `versionAttribute` still holds `expectedVersion` (or the item is absent when it
 * is 0): optimistic locking. Losing the race is transient: the retry reads the new state.
 */
export async function putIfVersion(
  tableName: string,
  item: Record<string, unknown>,
  versionAttribute: string,
  expectedVersion: number,
): Promise<void> {
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(#v)" : "#v = :expected",
        ExpressionAttributeNames: { "#v": versionAttribute },
        ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ":expected": expectedVersion } }),
      }),
    );
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") {
      throw new TransientError(
        `item changed concurrently (expected ${versionAttribute} ${expectedVersion})`,
        {
          cause: error,
        },
      );
    }
    throw classifyDynamoError(error);
  }
}
