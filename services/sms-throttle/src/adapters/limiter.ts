import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  correctSlot,
  decodeState,
  encodeState,
  type LimiterRule,
  type LimiterState,
  releaseSlots,
  reserveSlots,
  type SendSlot,
} from "../domain/limiter";

/** One lane's shared limiter: every sender of the lane, in every container, reserves on the same schedule. */
export interface SlotLimiter {
  /**
   * Reserves a send time (epoch ms) for each message, none after `deadline`: undefined for a message that could
   * not go in time. Throws when the schedule could not be updated.
   */
  reserve(parts: readonly number[], deadline: number): Promise<Array<number | undefined>>;
  /**
   * Gives back sends reserved but not made (their sender woke up late: `releaseSlots`) and reserves new times for
   * `parts`, in one conditional write. Same answer and failures as `reserve`.
   */
  reschedule(
    released: readonly SendSlot[],
    parts: readonly number[],
    deadline: number,
  ): Promise<Array<number | undefined>>;
  /** Moves the send reserved at `at` to `actual` (when the provider answered), if later (`correctSlot`). */
  correct(at: number, parts: number, actual: number): Promise<void>;
}

/** The state table's key of a lane's limiter (the sender's grant names it). */
export const limiterKey = (lane: string): string => `limiter#${lane}`;

/** The limiter item expires a day after its last use, so a removed lane leaves nothing behind. */
const LIMITER_TTL_SECONDS = 24 * 3600;

/** New slots start at most this far after the read (a write slower than that is an outage, not a lead). */
const MAX_LEAD_MS = 1000;

export interface DynamoLimiterOptions {
  /** Conditional writes tried before giving up (another sender wrote in between). @default 8 */
  maxTries?: number;
  now?: () => number;
  /** Pause before a retry, in ms (jittered by the caller's random). @default 5-25 ms */
  backoff?: (attempt: number) => Promise<void>;
}

/**
 * The lane's schedule in one DynamoDB item (`pk = limiter#<lane>`): the reserved sends of the last window and ahead
 * (`slots`, encoded by `encodeState`) and a `version`. A reservation reads the item (strongly consistent), computes
 * the new slots (`reserveSlots`) and writes the item back on the condition that `version` did not change; if another
 * sender wrote first, it reads again and recomputes. One read and one write per batch, not per message.
 */
export const dynamoLimiter = (
  client: DynamoDBClient,
  tableName: string,
  lane: string,
  rule: LimiterRule,
  options: DynamoLimiterOptions = {},
): SlotLimiter => {
  const now = options.now ?? (() => Date.now());
  const maxTries = options.maxTries ?? 8;
  const backoff =
    options.backoff ??
    ((attempt: number) => new Promise<void>((r) => setTimeout(r, 5 + Math.random() * 20 * attempt)));
  const key = { pk: { S: limiterKey(lane) } };
  /**
   * How long this container's last conditional write took. New slots start no earlier than `now` plus that: a slot
   * placed at the read's `now` would already be past when the write returns, and the sender would send it late,
   * closer to the slots after it than the schedule allows.
   */
  let writeMs = 0;
  /** Read, change, write back if nobody wrote in between; again on a lost race (up to maxTries). */
  const update = async <T>(
    change: (state: LimiterState, at: number) => { state?: LimiterState; value: T },
  ) => {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      const version = Item?.version?.N;
      const at = now();
      const { state, value } = change(decodeState(Item?.slots?.S), at + writeMs);
      if (!state) return value;
      const writing = now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key,
              slots: { S: encodeState(state) },
              version: { N: String(Number(version ?? "0") + 1) },
              expiresAt: { N: String(Math.floor(at / 1000) + LIMITER_TTL_SECONDS) },
            },
            ConditionExpression: version === undefined ? "attribute_not_exists(pk)" : "version = :v",
            ...(version === undefined ? {} : { ExpressionAttributeValues: { ":v": { N: version } } }),
          }),
        );
        writeMs = Math.min(Math.max(0, now() - writing), MAX_LEAD_MS);
        return value;
      } catch (error) {
        const conflict = error instanceof Error && error.name === "ConditionalCheckFailedException";
        if (!conflict || attempt >= maxTries) throw error;
        await backoff(attempt);
      }
    }
  };
  return {
    reserve: async (parts, deadline) => {
      if (parts.length === 0) return [];
      return update((current, at) => {
        const { slots, state } = reserveSlots(current, parts, rule, at, deadline);
        return slots.every((slot) => slot === undefined) ? { value: slots } : { state, value: slots };
      });
    },
    reschedule: async (released, parts, deadline) =>
      update((current, at) => {
        const freed = releaseSlots(current, released);
        const { slots, state } = reserveSlots(freed, parts, rule, at, deadline);
        const changed = freed !== current || slots.some((slot) => slot !== undefined);
        return changed ? { state, value: slots } : { value: slots };
      }),
    correct: async (at, parts, actual) => {
      await update((current) => {
        const state = correctSlot(current, at, parts, actual);
        return state === current ? { value: undefined } : { state, value: undefined };
      });
    },
  };
};
