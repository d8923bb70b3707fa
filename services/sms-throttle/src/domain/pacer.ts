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

/** A send the pacer let go; `sent()` records when the provider call returned (idempotent). */
export interface PacedSend {
  sent(): void;
}

/**
 * A token bucket over message parts for one sender invocation's share of the budget.
 *
 * Two rules hold together:
 * - spacing: after a message of p parts, the next may go p / rate seconds later, so sends are spread evenly instead
 *   of bursting at the top of each second;
 * - window: the parts sent in any one-second window never exceed the rate (a spent part's token comes back one
 *   second after it was spent), so a multi-part message cannot push a window over the carrier's limit.
 *
 * A send counts from when it is known to have reached the carrier at the latest: `acquire` reserves it at the
 * time it may go, and the returned `sent()` moves it to when the provider call returned. A slow call (a cold
 * container's first TLS handshake can take half a second) would otherwise let the next sends, spaced from
 * the earlier reservation, arrive at the carrier inside the same second as the slow one.
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

  /** Takes the tokens if the message may go now; call the returned `sent()` once the provider answered. */
  tryAcquire(parts: number): PacedSend | undefined {
    if (this.waitFor(parts) > 0) return undefined;
    return this.record(parts);
  }

  /** Waits until the message may go, then takes its tokens; call `sent()` once the provider answered. */
  async acquire(parts: number): Promise<PacedSend> {
    for (let wait = this.waitFor(parts); wait > 0; wait = this.waitFor(parts)) {
      await this.clock.sleep(wait);
    }
    return this.record(parts);
  }

  /** Milliseconds until nothing sent by this pacer is inside a one-second window any more. */
  drainMs(): number {
    const last = this.sent.at(-1);
    return last === undefined ? 0 : Math.max(0, Math.ceil(last.at + WINDOW_MS - this.clock.now()));
  }

  private record(parts: number): PacedSend {
    const now = this.clock.now();
    const entry = { at: now, parts };
    this.sent.push(entry);
    this.nextAt = now + (parts * 1000) / this.partsPerSecond;
    let done = false;
    return {
      sent: () => {
        if (done) return;
        done = true;
        const at = this.clock.now();
        if (at <= entry.at) return;
        entry.at = at;
        this.sent.sort((a, b) => a.at - b.at);
        this.nextAt = Math.max(this.nextAt, at + (parts * 1000) / this.partsPerSecond);
      },
    };
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && (this.sent[0]?.at ?? now) <= now - WINDOW_MS) this.sent.shift();
  }
}
