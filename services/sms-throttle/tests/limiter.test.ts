import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { dynamoLimiter } from "../src/adapters/limiter";
import {
  admitDelay,
  answersOf,
  decodeState,
  encodeState,
  IN_FLIGHT,
  type LimiterState,
  releaseSlots,
  reserveSlots,
  type SendSlot,
  slotKey,
  withAnswers,
} from "../src/domain/limiter";

/** The most parts inside any half-open window (t - w, t] ending at a send, as the carrier measures it. */
const worstWindow = (sends: readonly SendSlot[], w: number): number =>
  Math.max(
    0,
    ...sends.map((s) =>
      sends.filter((o) => o.at > s.at - w + 1e-6 && o.at <= s.at + 1e-6).reduce((sum, o) => sum + o.parts, 0),
    ),
  );

/** A deterministic mix: every `every`-th message has `long` parts, the rest one. */
const mix = (n: number, every: number, long: number): number[] =>
  Array.from({ length: n }, (_, i) => (every > 0 && i % every === every - 1 ? long : 1));

/** Pseudo-random 1..max parts (a fixed LCG, so the test is reproducible). */
const randomParts = (n: number, max: number): number[] => {
  let seed = 42;
  return Array.from({ length: n }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return 1 + (seed % max);
  });
};

/**
 * `senders` senders share one schedule, each reserving `batch` messages at a time as soon as its previous batch's
 * last slot has passed (plus `turnoverMs`), in the order they come back: a lane in a backlog.
 */
function simulate(
  parts: readonly number[],
  rule: { budget: number; windowMs: number },
  senders: number,
  batch: number,
  turnoverMs: number,
) {
  let state: LimiterState = { slots: [] };
  const sends: SendSlot[] = [];
  const freeAt = Array.from({ length: senders }, (_, i) => i); // staggered by 1 ms
  let next = 0;
  while (next < parts.length) {
    const s = freeAt.indexOf(Math.min(...freeAt));
    const now = freeAt[s] as number;
    const chunk = parts.slice(next, next + batch);
    const result = reserveSlots(state, chunk, rule, now);
    state = result.state;
    const got: number[] = [];
    result.slots.forEach((at, i) => {
      if (at === undefined) return;
      got.push(at);
      sends.push({ at, parts: chunk[i] as number });
    });
    next += got.length;
    freeAt[s] = Math.max(now, ...got) + turnoverMs;
  }
  return sends.sort((a, b) => a.at - b.at);
}

/** Parts per second while backlogged: all parts but the last message's, over first to last send. */
const rate = (sends: readonly SendSlot[]): number => {
  const first = sends[0] as SendSlot;
  const last = sends.at(-1) as SendSlot;
  return ((sends.reduce((sum, s) => sum + s.parts, 0) - last.parts) * 1000) / (last.at - first.at);
};

describe("reserveSlots: one schedule shared by a lane's senders", () => {
  it("spreads one-part messages evenly, one part's worth (W / B) apart", () => {
    // Act
    const { slots } = reserveSlots({ slots: [] }, [1, 1, 1, 1, 1], { budget: 5, windowMs: 1000 }, 0);

    // Assess
    expect(slots).toEqual([0, 200, 400, 600, 800]);
  });

  it("keeps a multi-part message inside the window count, letting a shorter one of the batch go first", () => {
    // Act: B = 4: 1, 1, 1 at 0, 250, 500; a 2-part message at 750 would make (-250, 750] hold 5, so the last
    // one-part message takes 750 and the 2-part one waits until (250, 1250] holds 2.
    const { slots } = reserveSlots({ slots: [] }, [1, 1, 1, 2, 1], { budget: 4, windowMs: 1000 }, 0);

    // Assess
    expect(slots).toEqual([0, 250, 500, 1250, 750]);
  });

  it("continues from what other senders reserved, and forgets sends that can share no window with a new one", () => {
    // Prepare
    const first = reserveSlots({ slots: [] }, [1, 1], { budget: 2, windowMs: 1000 }, 0);

    // Act
    const second = reserveSlots(first.state, [1], { budget: 2, windowMs: 1000 }, 100);
    const later = reserveSlots(second.state, [1], { budget: 2, windowMs: 1000 }, 5_000);
    const answered = {
      slots: second.state.slots.map((slot) => ({ ...slot, answeredAt: slot.at + 10 })),
    };
    const afterAnswers = reserveSlots(answered, [1], { budget: 2, windowMs: 1000 }, 5_000);
    const muchLater = reserveSlots(second.state, [1], { budget: 2, windowMs: 1000 }, 12_000);

    // Assess: unanswered sends are kept while they may be in flight (IN_FLIGHT_MS), answered ones a second after
    // their answer.
    expect(second.slots).toEqual([1000]);
    expect(later.slots).toEqual([5000]);
    expect(later.state.slots.map((slot) => slot.at)).toEqual([0, 500, 1000, 5000]);
    expect(afterAnswers.state.slots).toEqual([{ at: 5000, parts: 1 }]);
    expect(muchLater.state.slots).toEqual([{ at: 12_000, parts: 1 }]);
  });

  it("reserves nothing past the deadline (the rest is deferred) and never a message longer than B", () => {
    // Act
    const timed = reserveSlots({ slots: [] }, [1, 1, 1, 1], { budget: 2, windowMs: 1000 }, 0, 900);
    const tooLong = reserveSlots({ slots: [] }, [3], { budget: 2, windowMs: 1000 }, 0);

    // Assess
    expect(timed.slots).toEqual([0, 500, undefined, undefined]);
    expect(tooLong.slots).toEqual([undefined]);
  });

  it.each([
    // name, B, parts, the least rate / (B x 1000 / W) while backlogged
    ["one-part messages", 4, mix(400, 0, 1), 0.99],
    ["one-part messages", 100, mix(5_000, 0, 1), 0.99],
    ["a quarter two-part", 100, mix(5_000, 4, 2), 0.99],
    ["random 1-3 parts", 100, randomParts(5_000, 3), 0.99],
    // Indivisible messages cannot always fill a small window exactly (see the README's limits).
    ["a quarter two-part", 4, mix(400, 4, 2), 0.93],
    ["random 1-3 parts", 6, randomParts(600, 3), 0.9],
  ])(
    "%s at B = %i: never above B in any window, and close to B per window while backlogged",
    (_name, budget, parts, least) => {
      // Prepare: a 25 ms margin on the window, C = 6 senders of 10, 300 ms turnover.
      const rule = { budget, windowMs: 1025 };

      // Act
      const sends = simulate(parts, rule, 6, 10, 300);

      // Assess
      expect(sends).toHaveLength(parts.length);
      expect(worstWindow(sends, 1025)).toBeLessThanOrEqual(budget);
      expect(worstWindow(sends, 1000)).toBeLessThanOrEqual(budget);
      expect(rate(sends)).toBeGreaterThanOrEqual(((budget * 1000) / 1025) * least);
    },
  );

  it("admits a send only when the sends before it that the carrier may still count leave room for its parts", () => {
    // Prepare: B = 2. Sends reserved at 0 (answered at 300), 500 (answered at 520), 1000 (in flight), 1500.
    const state: LimiterState = {
      slots: [
        { at: 0, parts: 1, answeredAt: 300 },
        { at: 500, parts: 1, answeredAt: 520 },
        { at: 1000, parts: 1 },
        { at: 1500, parts: 1 },
      ],
    };

    // Act / Assess
    // At 1000: the first answered at 300 may share the carrier's second (700, 1000]... with 500: full until 1300.
    expect(admitDelay(state, { at: 1000, parts: 1 }, 2, 1000)).toBe(300);
    expect(admitDelay(state, { at: 1000, parts: 1 }, 2, 1300)).toBe(0);
    // At 1520 the second (answered 520) has left, the third is still in flight: it counts, there is room for one.
    expect(admitDelay(state, { at: 1500, parts: 1 }, 2, 1521)).toBe(0);
    // A two-part send there must wait for the in-flight one to answer: look again shortly.
    expect(admitDelay(state, { at: 1500, parts: 2 }, 2, 1521)).toBe(IN_FLIGHT);
    // Sends reserved after it never hold it back.
    expect(admitDelay(state, { at: 0, parts: 2 }, 2, 0)).toBe(0);
    // An unanswered send older than IN_FLIGHT_MS no longer counts.
    expect(admitDelay({ slots: [{ at: 0, parts: 2 }] }, { at: 20_000, parts: 1 }, 2, 20_000)).toBe(0);
    expect(admitDelay({ slots: [{ at: 15_000, parts: 2 }] }, { at: 20_000, parts: 1 }, 2, 20_000)).toBe(
      IN_FLIGHT,
    );
  });

  it("keeps what the gate still counts when it reserves, and stores answers by slot apart from the schedule", () => {
    // Prepare: an old send answered late (still in the carrier's second) and an old one answered long ago.
    const state: LimiterState = {
      slots: [
        { at: 0, parts: 1, answeredAt: 100 },
        { at: 250.3, parts: 1, answeredAt: 2_900 },
      ],
    };

    // Act
    const rule = { budget: 4, windowMs: 1000 };
    const { state: next } = reserveSlots(state, [1], rule, 3_000);
    const stored = answersOf(next);

    // Assess
    expect(next.slots).toEqual([
      { at: 250.3, parts: 1, answeredAt: 2_900 },
      { at: 3_000, parts: 1 },
    ]);
    expect(stored).toEqual({ [slotKey(250.3)]: 2_900 });
    expect(withAnswers(decodeState(encodeState(next)), stored)).toEqual(next);
    // New slots may start later than the read (the adapter leads by its last write's time): what is kept is judged
    // at the read, so a sender reading right after this write still finds every send it must count.
    const led = reserveSlots(
      { slots: [{ at: 0, parts: 1, answeredAt: 2_100 }] },
      [1],
      rule,
      3_200,
      undefined,
      3_000,
    );
    expect(led.state.slots.map((slot) => slot.at)).toEqual([0, 3_200]);
  });

  it("gives back sends never made: their windows regain the parts, unknown entries are ignored", () => {
    // Prepare: B = 2, sends reserved at 0 and 500 (full until 1000); the one at 500 was never made.
    const rule = { budget: 2, windowMs: 1000 };
    const { state } = reserveSlots({ slots: [] }, [1, 1], rule, 0);

    // Act
    const freed = releaseSlots(state, [{ at: 500, parts: 1 }]);
    const unknown = releaseSlots(state, [{ at: 250, parts: 1 }]);

    // Assess: without the release a send at 600 has to wait for 1000; with it, it goes at 600.
    expect(freed.slots).toEqual([{ at: 0, parts: 1 }]);
    expect(unknown).toBe(state);
    expect(reserveSlots(state, [1], rule, 600).slots).toEqual([1000]);
    expect(reserveSlots(freed, [1], rule, 600).slots).toEqual([600]);
  });

  it("round-trips its stored form, and reads a malformed one as an empty schedule", () => {
    // Prepare
    const state = {
      slots: [
        { at: 1_700_000_000_000, parts: 1 },
        { at: 1_700_000_000_250, parts: 3 },
      ],
    };

    // Act / Assess
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(decodeState("x;1:2")).toEqual({ slots: [] });
    expect(decodeState(undefined)).toEqual({ slots: [] });
  });
});

describe("dynamoLimiter: the schedule in one item, updated with conditional writes", () => {
  const ddb = mockClient(DynamoDBClient);
  const item = new Map<string, Record<string, AttributeValue>>();

  beforeEach(() => {
    ddb.reset();
    item.clear();
    ddb.on(GetItemCommand).callsFake(async (input) => ({ Item: item.get(String(input.Key?.pk?.S)) }));
    ddb.on(PutItemCommand).callsFake(async (input) => {
      const key = String(input.Item?.pk?.S);
      const current = item.get(key)?.version?.N;
      const expected = input.ExpressionAttributeValues?.[":v"]?.N;
      const ok =
        input.ConditionExpression === "attribute_not_exists(pk)"
          ? current === undefined
          : current === expected;
      if (!ok)
        throw new ConditionalCheckFailedException({
          message: "The conditional request failed",
          $metadata: {},
        });
      item.set(key, input.Item as Record<string, AttributeValue>);
      return {};
    });
    // What `answered` sends: SET answers.#a0 = :a0, ..., version = version + :one IF attribute_exists(answers).
    ddb.on(UpdateItemCommand).callsFake(async (input) => {
      const key = String(input.Key?.pk?.S);
      const current = item.get(key) as Record<string, AttributeValue> | undefined;
      if (!current?.answers?.M)
        throw new ConditionalCheckFailedException({ message: "no answers", $metadata: {} });
      expect(input.UpdateExpression).toMatch(/^SET (answers\.#a\d+ = :a\d+, )+version = version \+ :one$/);
      for (const [name, slot] of Object.entries(input.ExpressionAttributeNames ?? {}) as [string, string][])
        current.answers.M[slot] = input.ExpressionAttributeValues?.[`:${name.slice(1)}`] as AttributeValue;
      current.version = { N: String(Number(current.version?.N) + 1) };
      return {};
    });
  });

  const limiter = (now: () => number) =>
    dynamoLimiter(
      new DynamoDBClient({ region: "us-east-1" }),
      "sms-throttle-state",
      "de-bulk",
      { budget: 4, windowMs: 1000 },
      {
        now,
        backoff: async () => undefined,
      },
    );

  it("two senders racing for the same slots: one rereads and continues after the other", async () => {
    // Prepare: both read the empty schedule before either writes.
    const a = limiter(() => 0);
    const b = limiter(() => 0);

    // Act
    const [slotsA, slotsB] = await Promise.all([a.reserve([1, 1], 10_000), b.reserve([1, 1], 10_000)]);

    // Assess: four distinct slots, one part's worth apart, all recorded under the lane's key with a TTL.
    expect([...slotsA, ...slotsB].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([0, 250, 500, 750]);
    const stored = item.get("limiter#de-bulk");
    expect(decodeState(stored?.slots?.S).slots.map((s) => s.at)).toEqual([0, 250, 500, 750]);
    expect(stored?.version?.N).toBe("2");
    expect(Number(stored?.expiresAt?.N)).toBeGreaterThan(0);
    expect(ddb.commandCalls(PutItemCommand).length).toBe(3); // one lost the race once
  });

  it("reschedules late sends in one write: the missed slots leave the schedule, new ones follow it", async () => {
    // Prepare: four sends reserved at 0, 250, 500, 750; the sender woke at 900 for those at 500 and 750.
    const early = limiter(() => 0);
    await early.reserve([1, 1, 1, 1], 10_000);
    const late = limiter(() => 900);

    // Act
    const slots = await late.reschedule(
      [
        { at: 500, parts: 1 },
        { at: 750, parts: 1 },
      ],
      [1, 1],
      10_000,
    );

    // Assess: the missed sends no longer count, so (-100, 900] holds 2 of 4: the late ones go at 900 and 1150
    // (one part's worth apart); one write.
    expect(slots).toEqual([900, 1150]);
    const stored = decodeState(item.get("limiter#de-bulk")?.slots?.S);
    expect(stored.slots.map((s) => s.at)).toEqual([0, 250, 900, 1150]);
    expect(ddb.commandCalls(PutItemCommand).length).toBe(2);
  });

  it("starts new slots no earlier than its last write took: a slot is never already past when it is handed out", async () => {
    // Prepare: every write takes 40 ms.
    let t = 0;
    const put = ddb.on(PutItemCommand);
    put.callsFake(async (input) => {
      t += 40;
      item.set(String(input.Item?.pk?.S), input.Item as Record<string, AttributeValue>);
      return {};
    });
    const l = limiter(() => t);

    // Act: the first reservation cannot know yet; the next one, at 1000, starts at 1040.
    const [first] = await l.reserve([1], 10_000);
    t = 1000;
    const [second] = await l.reserve([1], 10_000);

    // Assess
    expect(first).toBe(0);
    expect(second).toBe(1040);
  });

  it("records answers apart, keeps them through a racing reservation, and admits from them", async () => {
    // Prepare: B = 4 (slots 250 ms apart); four sends reserved at 0..750.
    let t = 0;
    const l = limiter(() => t);
    await l.reserve([1, 1, 1, 1], 10_000);

    // Act: the first answered late (at 400); a reservation that read before the answer must reread.
    await l.answered({ at: 0, parts: 1 }, 400);
    t = 1000;
    const [next] = await l.reserve([1], 10_000);
    const waitAt1000 = await l.admit({ at: 1000, parts: 1 }, 1000);
    t = 1400;
    const waitAt1400 = await l.admit({ at: 1000, parts: 1 }, 1400);

    // Assess: the answer is stored by slot and survives the reservation; the fifth send (slot 1000) waits until
    // the first has left the carrier's second (400 + 1000), then goes.
    expect(next).toBe(1000);
    expect(item.get("limiter#de-bulk")?.answers?.M).toEqual({ [slotKey(0)]: { N: "400" } });
    expect(waitAt1000).toBe(400);
    expect(waitAt1400).toBe(0);
  });

  it("a reservation that read before an answer was recorded rereads instead of dropping it", async () => {
    // Prepare: one send reserved at 0; the answer lands between another sender's read and its write.
    const l = limiter(() => 0);
    await l.reserve([1], 10_000);
    let once = true;
    const get = ddb.commandCalls(GetItemCommand).length;
    ddb.on(GetItemCommand).callsFake(async (input) => {
      const read = structuredClone(item.get(String(input.Key?.pk?.S)));
      if (once) {
        once = false;
        await l.answered({ at: 0, parts: 1 }, 900);
      }
      return { Item: read };
    });

    // Act
    await l.reserve([1], 10_000);

    // Assess: two reads (the first lost to the answer's version bump); the answer is still there.
    expect(ddb.commandCalls(GetItemCommand).length - get).toBe(2);
    expect(item.get("limiter#de-bulk")?.answers?.M).toEqual({ [slotKey(0)]: { N: "900" } });
  });

  it("gives up after maxTries conflicts (the caller defers the batch) instead of sending unpaced", async () => {
    // Prepare
    ddb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: "conflict", $metadata: {} }));

    // Act / Assess
    await expect(limiter(() => 0).reserve([1], 10_000)).rejects.toThrow("conflict");
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(8);
  });
});
