import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";

/**
 * Where the sender keeps how many times a message was re-enqueued. Only the sender writes it: a publisher can
 * put any attribute on a message (including the old `sms.attempt`), so the count never travels in one. A
 * re-enqueued copy carries a random token (`sms.retry`); the count sits in the lane's state table under that token.
 * A token nobody stored (a publisher's invention) reads as 0 re-enqueues.
 */
export interface AttemptStore {
  /** Re-enqueues recorded under `token`; 0 when none is (unknown, forged or expired token). */
  get(token: string): Promise<number>;
  /** Records `attempt` re-enqueues under `token` (before the copy carrying the token is sent). */
  put(token: string, attempt: number): Promise<void>;
}

/** A retry token as the sender makes them (`crypto.randomUUID()`): anything else is not looked up. */
export const RETRY_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** How long a count is kept: well beyond maxAttempts x the longest SQS delay (1000 x 900 s = 10.4 days). */
export const ATTEMPT_TTL_SECONDS = 14 * 24 * 3600;

/** The state table's key of a lane's retry counts: the sender's IAM grant is limited to `retry#<lane>#*`. */
export const attemptKey = (lane: string, token: string): string => `retry#${lane}#${token}`;

/** The attempt counts of one lane in the state table (`pk`, `attempt`, TTL `expiresAt`). */
export const dynamoAttemptStore = (
  client: DynamoDBClient,
  tableName: string,
  lane: string,
  now: () => number = () => Date.now(),
): AttemptStore => ({
  async get(token) {
    if (!RETRY_TOKEN.test(token)) return 0;
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: attemptKey(lane, token) } },
        ConsistentRead: true,
      }),
    );
    const attempt = Number(Item?.attempt?.N ?? "0");
    const expiresAt = Number(Item?.expiresAt?.N ?? "0");
    // DynamoDB deletes expired items lazily: an expired one is as good as gone.
    if (!Number.isInteger(attempt) || attempt < 0 || expiresAt * 1000 <= now()) return 0;
    return attempt;
  },
  async put(token, attempt) {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: attemptKey(lane, token) },
          attempt: { N: String(attempt) },
          expiresAt: { N: String(Math.floor(now() / 1000) + ATTEMPT_TTL_SECONDS) },
        },
      }),
    );
  },
});
