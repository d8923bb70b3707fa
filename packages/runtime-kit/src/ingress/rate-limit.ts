import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { TransientError } from "../errors";

/** Key prefix of the per-client rate items in the ingress table (Powertools idempotency records never start so). */
export const RATE_KEY_PREFIX = "rate#";

export interface ClientRate {
  /** Steady requests per second each client may make. */
  ratePerSecond: number;
  /** Requests a client may make at once after being idle. */
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Per-client throttling with the generic cell rate algorithm: one item per client (`rate#<clientId>`) holds its
 * theoretical arrival time (`tat`, epoch ms). A request is allowed when moving `tat` one interval on stays within
 * `burst` intervals of now; the new `tat` is written only if nobody else wrote since it was read (conditional put,
 * retried), so concurrent invocations of the function share one budget per client. Items expire through the table's
 * TTL (`expiration`) once the client has been idle for longer than a full burst.
 */
export function createClientRateLimiter(options: {
  client: DynamoDBClient;
  tableName: string;
  rate: ClientRate;
  now?: () => number;
  /** Conditional-write races retried before giving up (the request then fails as transient). @default 20 */
  maxRaces?: number;
}): (clientId: string) => Promise<RateDecision> {
  const { client, tableName, rate } = options;
  const now = options.now ?? Date.now;
  const interval = 1000 / rate.ratePerSecond;
  const window = rate.burst * interval;
  return async (clientId) => {
    const id = `${RATE_KEY_PREFIX}${clientId}`;
    for (let race = 0; race < (options.maxRaces ?? 20); race++) {
      const current = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }),
      );
      const stored = current.Item?.tat?.N;
      const at = now();
      const tat = Math.max(stored === undefined ? at : Number(stored), at) + interval;
      if (tat - at > window) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((tat - at - window) / 1000)) };
      }
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: id },
              tat: { N: String(Math.round(tat)) },
              expiration: { N: String(Math.ceil((tat + window) / 1000) + 60) },
            },
            ...(stored === undefined
              ? { ConditionExpression: "attribute_not_exists(id)" }
              : {
                  ConditionExpression: "tat = :previous",
                  ExpressionAttributeValues: { ":previous": { N: stored } },
                }),
          }),
        );
        return { allowed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new TransientError(`per-client rate item for ${clientId} kept changing under concurrent requests`);
  };
}
