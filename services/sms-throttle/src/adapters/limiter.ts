import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  admitDelay,
  answersOf,
  decodeState,
  encodeState,
  type IN_FLIGHT,
  type LimiterRule,
  type LimiterState,
  releaseSlots,
  reserveSlots,
  type SendSlot,
  slotKey,
  withAnswers,
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
  /**
   * The carrier gate: how long (ms) after `at` the send reserved at `slot.at` must still wait (0: it may go at `at`
   * or later; `IN_FLIGHT`: sends in flight fill the second, ask again later; `admitDelay`), from the lane's
   * schedule and answers as read after this send was reserved. Throws when the schedule cannot be read.
   */
  admit(slot: SendSlot, at: number): Promise<number | typeof IN_FLIGHT>;
  /** Records when the send reserved at `slot.at` had its answer (`answeredAt`), whatever the outcome. */
  answered(slot: SendSlot, at: number): Promise<void>;
}

/** The state table's key of a lane's limiter (the sender's grant names it). */
export const limiterKey = (lane: string): string => `limiter#${lane}`;

/** The limiter item expires a day after its last use, so a removed lane leaves nothing behind. */
const LIMITER_TTL_SECONDS = 24 * 3600;

/** New slots start at most this far after the read (a write slower than that is an outage, not a lead). */
const MAX_LEAD_MS = 1000;

/**
 * A read of the schedule serves every gate question of the container asked within this long after it (and after
 * the container's last reservation): an older read can only count more sends, never fewer (`admitDelay`).
 */
const SHARED_READ_MS = 20;

export interface DynamoLimiterOptions {
  /** Conditional writes tried before giving up (another sender wrote in between). @default 8 */
  maxTries?: number;
  now?: () => number;
  /** Pause before a retry, in ms (jittered by the caller's random). @default 5-25 ms */
  backoff?: (attempt: number) => Promise<void>;
}

/**
 * The lane's schedule in one DynamoDB item (`pk = limiter#<lane>`): the reserved sends of the last window and ahead
 * (`slots`, encoded by `encodeState`), the answers of the sends the carrier gate still counts (`answers`, a map
 * from `slotKey` to epoch ms) and a `version`. A reservation reads the item (strongly consistent), computes the new
 * slots (`reserveSlots`) and writes the item back on the condition that `version` did not change; if another sender
 * wrote first, it reads again and recomputes: one read and one write per batch. The carrier gate (`admit`) reads
 * the item strongly consistently, one read shared by the container's sends of the same `SHARED_READ_MS`; answers
 * are written by one unconditional update per group (`answered`: sets them and increments `version`, so a
 * reservation that read before it rereads instead of dropping them).
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
  /** The item's schedule with its recorded answers. */
  const stateOf = (item: Record<string, AttributeValue> | undefined): LimiterState => {
    const answers: Record<string, number> = {};
    for (const [slot, value] of Object.entries(item?.answers?.M ?? {})) {
      const at = Number(value.N);
      if (Number.isFinite(at)) answers[slot] = at;
    }
    return withAnswers(decodeState(item?.slots?.S), answers);
  };
  /**
   * How long this container's last conditional write took. New slots start no earlier than `now` plus that: a slot
   * placed at the read's `now` would already be past when the write returns, and the sender would send it late,
   * closer to the slots after it than the schedule allows.
   */
  let writeMs = 0;
  /** This container's reservations written so far: a gate read must be issued after the last one. */
  let reservations = 0;
  /** The latest gate read (issued at `at`, after `reservations` writes), shared by the container's sends. */
  let shared: { at: number; reservations: number; state: Promise<LimiterState> } | undefined;
  /** Answers not yet written, flushed together in one update. */
  let answers: Array<{ slot: SendSlot; at: number; done: (error?: unknown) => void }> = [];
  /** Read, change, write back if nobody wrote in between; again on a lost race (up to maxTries). */
  const update = async <T>(
    change: (state: LimiterState, at: number, readAt: number) => { state?: LimiterState; value: T },
  ) => {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      const version = Item?.version?.N;
      const at = now();
      const { state, value } = change(stateOf(Item), at + writeMs, at);
      if (!state) return value;
      const writing = now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key,
              slots: { S: encodeState(state) },
              answers: {
                M: Object.fromEntries(
                  Object.entries(answersOf(state)).map(([slot, answeredAt]) => [
                    slot,
                    { N: String(answeredAt) },
                  ]),
                ),
              },
              version: { N: String(Number(version ?? "0") + 1) },
              expiresAt: { N: String(Math.floor(at / 1000) + LIMITER_TTL_SECONDS) },
            },
            ConditionExpression: version === undefined ? "attribute_not_exists(pk)" : "version = :v",
            ...(version === undefined ? {} : { ExpressionAttributeValues: { ":v": { N: version } } }),
          }),
        );
        writeMs = Math.min(Math.max(0, now() - writing), MAX_LEAD_MS);
        reservations++;
        return value;
      } catch (error) {
        const conflict = error instanceof Error && error.name === "ConditionalCheckFailedException";
        if (!conflict || attempt >= maxTries) throw error;
        await backoff(attempt);
      }
    }
  };
  /** Writes the pending answers in one update: `SET answers.#a0 = :a0, ..., version = version + 1`. */
  const flushAnswers = async () => {
    const batch = answers;
    answers = [];
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ":one": { N: "1" } };
    const sets = batch.map(({ slot, at }, i) => {
      names[`#a${i}`] = slotKey(slot.at);
      values[`:a${i}`] = { N: String(at) };
      return `answers.#a${i} = :a${i}`;
    });
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(", ")}, version = version + :one`,
          ConditionExpression: "attribute_exists(answers)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      for (const answer of batch) answer.done();
    } catch (error) {
      // No item (expired), or one written before answers existed (the next reservation adds them): the sends
      // then count as in flight until IN_FLIGHT_MS, never less.
      const missing = error instanceof Error && error.name === "ConditionalCheckFailedException";
      for (const answer of batch) answer.done(missing ? undefined : error);
    }
  };
  return {
    reserve: async (parts, deadline) => {
      if (parts.length === 0) return [];
      return update((current, at, readAt) => {
        const { slots, state } = reserveSlots(current, parts, rule, at, deadline, readAt);
        return slots.every((slot) => slot === undefined) ? { value: slots } : { state, value: slots };
      });
    },
    reschedule: async (released, parts, deadline) =>
      update((current, at, readAt) => {
        const freed = releaseSlots(current, released);
        const { slots, state } = reserveSlots(freed, parts, rule, at, deadline, readAt);
        const changed = freed !== current || slots.some((slot) => slot !== undefined);
        return changed ? { state, value: slots } : { value: slots };
      }),
    admit: async (slot, at) => {
      const issued = now();
      if (!shared || shared.reservations !== reservations || shared.at < issued - SHARED_READ_MS) {
        const read = client
          .send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))
          .then(({ Item }) => stateOf(Item));
        shared = { at: issued, reservations, state: read };
        read.catch(() => {
          if (shared?.state === read) shared = undefined;
        });
      }
      return admitDelay(await shared.state, slot, rule.budget, at);
    },
    answered: (slot, at) =>
      new Promise<void>((resolve, reject) => {
        // Every answer that comes in the same timer turn: one update for all of them.
        if (answers.length === 0) setTimeout(() => void flushAnswers(), 0);
        answers.push({ slot, at, done: (error) => (error === undefined ? resolve() : reject(error)) });
      }),
  };
};
