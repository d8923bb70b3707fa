/** Time source of the pacer; the default reads the real (or vitest-faked) clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const WINDOW_MS = 1000;

/**
 * A token bucket over message parts for one sender invocation's share of the budget.
 *
 * Two rules hold together:
 * - spacing: after a message of p parts, the next may go p / rate seconds later, so sends are spread evenly instead
 *   of bursting at the top of each second;
 * - window: the parts sent in any one-second window never exceed the rate (a spent part's token comes back one
 *   second after it was spent), so a multi-part message cannot push a window over the carrier's limit.
 *
 * The state lives as long as the container, so consecutive invocations in one container share it.
 */
export class PartsPacer {
  private nextAt = Number.NEGATIVE_INFINITY;
  private readonly sent: { at: number; parts: number }[] = [];

  constructor(
    readonly partsPerSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!Number.isInteger(partsPerSecond) || partsPerSecond < 1) {
      throw new RangeError(`PartsPacer: partsPerSecond must be a whole number >= 1 (got ${partsPerSecond})`);
    }
  }

  /** Milliseconds until a message of `parts` parts may go (0 when it may go now). */
  waitFor(parts: number): number {
    if (parts > this.partsPerSecond) {
      throw new RangeError(
        `PartsPacer: a message of ${parts} parts can never fit a share of ${this.partsPerSecond} parts per second`,
      );
    }
    const now = this.clock.now();
    this.prune(now);
    let at = Math.max(now, this.nextAt);
    let inWindow = this.sent.reduce((sum, s) => sum + (s.at > at - WINDOW_MS ? s.parts : 0), 0);
    for (const entry of this.sent) {
      if (inWindow + parts <= this.partsPerSecond) break;
      if (entry.at <= at - WINDOW_MS) continue;
      at = entry.at + WINDOW_MS;
      inWindow -= entry.parts;
    }
    return Math.max(0, Math.ceil(at - now));
  }

  /** Takes the tokens if the message may go now. */
  tryAcquire(parts: number): boolean {
    if (this.waitFor(parts) > 0) return false;
    this.record(parts);
    return true;
  }

  /** Waits until the message may go, then takes its tokens. */
  async acquire(parts: number): Promise<void> {
    for (let wait = this.waitFor(parts); wait > 0; wait = this.waitFor(parts)) {
      await this.clock.sleep(wait);
    }
    this.record(parts);
  }

  /** Milliseconds until nothing sent by this pacer is inside a one-second window any more. */
  drainMs(): number {
    const last = this.sent.at(-1);
    return last === undefined ? 0 : Math.max(0, Math.ceil(last.at + WINDOW_MS - this.clock.now()));
  }

  private record(parts: number): void {
    const now = this.clock.now();
    this.sent.push({ at: now, parts });
    this.nextAt = now + (parts * 1000) / this.partsPerSecond;
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && (this.sent[0]?.at ?? now) <= now - WINDOW_MS) this.sent.shift();
  }
}
