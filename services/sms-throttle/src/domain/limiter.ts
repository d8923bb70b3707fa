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
}

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
): { slots: Array<number | undefined>; state: LimiterState } => {
  const { budget, windowMs } = rule;
  const gap = windowMs / budget;
  const kept = state.slots.filter((s) => s.at > now - windowMs);
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
 * Moves a reserved send to when it is known to have reached the carrier at the latest (the provider's answer), when
 * that is later: a cold container's first call (TLS handshake, lazy loading) can take hundreds of ms, and counting it
 * at its slot would let sends reserved after it land in its second at the carrier. Unknown entries are left alone.
 */
export const correctSlot = (state: LimiterState, at: number, parts: number, actual: number): LimiterState => {
  const index = state.slots.findIndex((s) => Math.abs(s.at - at) < EPSILON && s.parts === parts);
  if (index < 0 || actual <= at) return state;
  const slots = state.slots.map((s, i) => (i === index ? { at: Math.ceil(actual * 10) / 10, parts } : s));
  slots.sort((a, b) => a.at - b.at);
  return { slots };
};

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

/** The state as one compact string for storage: `<base>;<dt>:<parts>,...` with times in ms after `base`. */
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
