/** Time source of the sender; the default reads the real (or vitest-faked) clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Slots are kept to 0.1 ms; comparisons allow this much floating-point error (far below 0.1 ms). */
const EPSILON = 1e-6;

/** One reserved send: when (epoch ms) and how many parts. */
export interface SendSlot {
  at: number;
  parts: number;
  /**
   * When its sender had the provider's answer (epoch ms): the carrier saw the send no later than that. Absent
   * while the send is reserved or in flight.
   */
  answeredAt?: number;
}

/** The carrier's window: it counts parts per second. */
export const CARRIER_WINDOW_MS = 1000;

/**
 * How long a send without a recorded answer is taken to be possibly in flight (the provider clients time out well
 * before: `PROVIDER_TIMEOUT_MS`). A sender that died after its slot without recording an answer holds its parts
 * for this long, never longer.
 */
export const IN_FLIGHT_MS = 10_000;

/** The provider call's timeout: a request is at the carrier, or abandoned, by then. */
export const PROVIDER_TIMEOUT_MS = 5_000;

/** How long a sender waits before looking again when sends still in flight fill the carrier's second (longer than
 * a shared read lives, `SHARED_READ_MS`, so the next look reads again). */
export const IN_FLIGHT_POLL_MS = 25;

/** When a send may go, by `admitDelay`: 0 now, N ms later, or `IN_FLIGHT` (look again after the answers). */
export const IN_FLIGHT = "in-flight" as const;

/** Whether a send can still share a carrier second with a send starting at `now`. */
const mayShareCarrierSecond = (slot: SendSlot, now: number): boolean =>
  slot.answeredAt === undefined ? slot.at > now - IN_FLIGHT_MS : slot.answeredAt > now - CARRIER_WINDOW_MS;

/** What one lane's limiter keeps: every send reserved in the last window and ahead, in time order. */
export interface LimiterState {
  slots: SendSlot[];
}

/** The lane's rule: at most `budget` parts in any window of `windowMs`. */
export interface LimiterRule {
  /** B: parts per window, the lane's budget. */
  budget: number;
  /** W: 1000 ms plus the margin for the jitter between a slot and when the carrier sees the send. */
  windowMs: number;
}

/**
 * Reserves send times for messages of `parts` parts each, in order, on the lane's shared schedule. Two rules:
 *
 * - **window**: the parts reserved in any half-open window `(t - W, t]` never exceed B. A message of p parts goes at
 *   the earliest t at or after the last reserved slot where the window ending at t holds at most B - p parts;
 * - **gap**: consecutive sends are at least W / B apart (one part's worth), so sends are spread instead of bursting.
 *   A multi-part message does not push the next send further: the window alone keeps the count.
 *
 * In a backlog this is exactly B parts per W whatever the mix of lengths: the earliest schedule is never later than
 * the evenly spaced one (each part 1 / B of the window, a message at its first part's time), which satisfies both
 * rules... for one-part messages. Messages are indivisible, so with multi-part messages and a small B some windows
 * cannot be filled exactly; to lose less, a message that must wait for room lets a shorter message of the same
 * batch go first (order within a batch is not kept; SQS standard queues do not keep it either). Slots after
 * `deadline` are not reserved (undefined: the caller defers those messages). Entries that can no longer share a
 * window with a future send are dropped. Pure: the caller persists the returned state.
 */
export const reserveSlots = (
  state: LimiterState,
  parts: readonly number[],
  rule: LimiterRule,
  now: number,
  deadline: number = Number.POSITIVE_INFINITY,
  readAt: number = now,
): { slots: Array<number | undefined>; state: LimiterState } => {
  const { budget, windowMs } = rule;
  const gap = windowMs / budget;
  // Kept: what a new send's window can hold, and what the carrier gate may still count (`admitDelay`) for any send
  // that reads the schedule after `readAt` (when this state was read; `now` may be later, see the adapter).
  const kept = state.slots.filter((s) => s.at > now - windowMs || mayShareCarrierSecond(s, readAt));
  /** The earliest time a message of p parts may go after everything in `kept`. */
  const earliest = (p: number): number => {
    const last = kept.at(-1);
    let at = Math.max(now, last ? last.at + gap : now);
    // Parts inside (at - W, at]; while the message does not fit, move past the oldest send in the window.
    let first = kept.findIndex((s) => s.at > at - windowMs + EPSILON);
    if (first < 0) first = kept.length;
    let inWindow = 0;
    for (let i = first; i < kept.length; i++) inWindow += kept[i]?.parts ?? 0;
    while (inWindow + p > budget && first < kept.length) {
      const oldest = kept[first] as SendSlot;
      at = Math.max(at, oldest.at + windowMs);
      inWindow -= oldest.parts;
      first++;
      while (first < kept.length && (kept[first] as SendSlot).at <= at - windowMs + EPSILON) {
        inWindow -= (kept[first] as SendSlot).parts;
        first++;
      }
    }
    // Stored to 0.1 ms, rounded up: a send counted later than it goes is counted conservatively.
    return Math.ceil(at * 10) / 10;
  };
  const slots: Array<number | undefined> = parts.map(() => undefined);
  const pending = parts.map((p, i) => ({ p, i })).filter(({ p }) => p <= budget);
  while (pending.length > 0) {
    // The message that can go first; the earliest in the batch on a tie. A longer message waiting for room in
    // the window lets shorter ones of the same batch go ahead instead of leaving the window part-empty.
    let best = 0;
    let bestAt = earliest((pending[0] as { p: number }).p);
    for (let k = 1; k < pending.length && bestAt > now; k++) {
      const at = earliest((pending[k] as { p: number }).p);
      if (at < bestAt) {
        best = k;
        bestAt = at;
      }
    }
    if (bestAt > deadline) break;
    const [chosen] = pending.splice(best, 1) as [{ p: number; i: number }];
    kept.push({ at: bestAt, parts: chosen.p });
    slots[chosen.i] = bestAt;
  }
  return { slots, state: { slots: kept } };
};

/**
 * The carrier gate: how long (ms) the send reserved at `self.at` must still wait, at `now`, so that the carrier never
 * counts more than B parts in any of its seconds, whatever the delays between the senders and the carrier (0: it
 * may go now).
 *
 * The carrier sees a send somewhere between its start and its answer. A send j starting at `now` can share a carrier
 * second only with sends the carrier saw after `now - 1000`, so with sends answered after that, or not answered yet.
 * j counts those among the sends reserved before it (`at` < j's), and goes only if they and its own parts fit in B.
 * For any carrier second, the send of it with the latest slot made that check, counting every other send of that
 * second: no second holds more than B. Sends reserved after j are not counted (they count j when they go), so a
 * waiting send never waits for a later one. In steady state the gate costs nothing: a send one window after
 * another finds it answered more than a second ago unless its slot-to-answer time exceeded the window's margin.
 */
export const admitDelay = (
  state: LimiterState,
  self: SendSlot,
  budget: number,
  now: number,
): number | typeof IN_FLIGHT => {
  let used = self.parts;
  const leaving: Array<{ at: number; parts: number }> = [];
  for (const slot of state.slots) {
    if (slot.at >= self.at - EPSILON) continue;
    if (!mayShareCarrierSecond(slot, now)) continue;
    used += slot.parts;
    if (slot.answeredAt !== undefined)
      leaving.push({ at: slot.answeredAt + CARRIER_WINDOW_MS, parts: slot.parts });
  }
  if (used <= budget) return 0;
  // The earliest moment enough answered sends have left the second; if even all of them are not enough, sends
  // still in flight must answer first: the caller looks again after IN_FLIGHT_POLL_MS.
  leaving.sort((a, b) => a.at - b.at);
  let excess = used - budget;
  for (const entry of leaving) {
    excess -= entry.parts;
    if (excess <= 0) return Math.max(1, Math.ceil(entry.at - now));
  }
  return IN_FLIGHT;
};

/** A send's key in the stored answers (its slot in tenths of a millisecond: slots are kept to 0.1 ms). */
export const slotKey = (at: number): string => String(Math.round(at * 10));

/** The recorded answers of a state's sends, by `slotKey`. */
export const answersOf = (state: LimiterState): Record<string, number> => {
  const answers: Record<string, number> = {};
  for (const slot of state.slots)
    if (slot.answeredAt !== undefined) answers[slotKey(slot.at)] = slot.answeredAt;
  return answers;
};

/** Sets each send's `answeredAt` from stored answers (by `slotKey`); answers of unknown sends are ignored. */
export const withAnswers = (
  state: LimiterState,
  answers: Readonly<Record<string, number>>,
): LimiterState => ({
  slots: state.slots.map((slot) => {
    const answeredAt = answers[slotKey(slot.at)];
    return answeredAt === undefined ? slot : { ...slot, answeredAt };
  }),
});

/**
 * Gives back reserved sends that were never made (their sender woke up too late to make them on time): each is
 * removed from the schedule, so the windows it counted in regain its parts. Removing a send that did not happen can
 * only lower a window's count; the caller reserves the messages again (`reserveSlots`), after everything already
 * reserved. Unknown entries are ignored.
 */
export const releaseSlots = (state: LimiterState, released: readonly SendSlot[]): LimiterState => {
  const slots = [...state.slots];
  for (const { at, parts } of released) {
    const index = slots.findIndex((s) => Math.abs(s.at - at) < EPSILON && s.parts === parts);
    if (index >= 0) slots.splice(index, 1);
  }
  return slots.length === state.slots.length ? state : { slots };
};

/**
 * The schedule as one compact string for storage: `<base>;<dt>:<parts>,...` with times in ms after `base` (answers
 * are stored apart: `answersOf`).
 */
export const encodeState = (state: LimiterState): string => {
  const base = state.slots[0]?.at ?? 0;
  return `${base};${state.slots.map((s) => `${s.at - base}:${s.parts}`).join(",")}`;
};

/** Reads `encodeState`'s form; anything malformed reads as an empty schedule (never throws). */
export const decodeState = (text: string | undefined): LimiterState => {
  if (!text) return { slots: [] };
  const [baseText, list = ""] = text.split(";");
  const base = Number(baseText);
  if (!Number.isFinite(base)) return { slots: [] };
  const slots: SendSlot[] = [];
  for (const entry of list.split(",")) {
    if (entry === "") continue;
    const [dt, parts] = entry.split(":").map(Number);
    if (!Number.isFinite(dt) || !Number.isInteger(parts) || (parts as number) < 1) return { slots: [] };
    slots.push({ at: base + (dt as number), parts: parts as number });
  }
  slots.sort((a, b) => a.at - b.at);
  return { slots };
};
