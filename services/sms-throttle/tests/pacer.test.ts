import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PartsPacer } from "../src/domain/pacer";

/** The most parts inside any one-second window [t, t + 1000) that starts at a send. */
const worstWindow = (sends: { at: number; parts: number }[]): number =>
  Math.max(
    0,
    ...sends.map((s) =>
      sends.filter((o) => o.at >= s.at && o.at < s.at + 1000).reduce((sum, o) => sum + o.parts, 0),
    ),
  );

/** Sends every message as soon as the pacer allows, recording when. */
async function burst(pacer: PartsPacer, messages: number[]): Promise<{ at: number; parts: number }[]> {
  const sends: { at: number; parts: number }[] = [];
  const done = (async () => {
    for (const parts of messages) {
      await pacer.acquire(parts);
      sends.push({ at: Date.now(), parts });
    }
  })();
  await vi.runAllTimersAsync();
  await done;
  return sends;
}

describe("PartsPacer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe.each([
    ["100 one-part messages at 10 parts/s", 10, Array(100).fill(1) as number[]],
    ["40 three-part messages at 12 parts/s", 12, Array(40).fill(3) as number[]],
    ["mixed 1-3 part messages at 5 parts/s", 5, Array.from({ length: 60 }, (_, i) => (i % 3) + 1)],
    ["50 two-part messages at 2 parts/s", 2, Array(50).fill(2) as number[]],
    ["mixed 1-3 part messages at 10 parts/s", 10, Array.from({ length: 60 }, (_, i) => (i % 3) + 1)],
  ])("%s", (_name, rate, messages) => {
    const total = messages.reduce((sum, p) => sum + p, 0);

    it("takes N/B seconds: no faster than the budget, and at least 75% of it with mixed part counts", async () => {
      // Prepare
      const pacer = new PartsPacer(rate);

      // Act
      const sends = await burst(pacer, messages);

      // Assess
      const last = sends.at(-1)?.at ?? 0;
      expect(sends).toHaveLength(messages.length);
      const ideal = (total / rate) * 1000;
      expect(last).toBeGreaterThanOrEqual(ideal - 1000);
      expect(last).toBeLessThanOrEqual(ideal / 0.75);
    });

    it("never sends more than B parts in any one-second window", async () => {
      // Prepare
      const pacer = new PartsPacer(rate);

      // Act
      const sends = await burst(pacer, messages);

      // Assess
      expect(worstWindow(sends)).toBeLessThanOrEqual(rate);
      expect(worstWindow(sends)).toBeGreaterThan(rate - 3);
    });
  });

  it("spreads sends instead of bursting at the top of the second", async () => {
    // Prepare
    const pacer = new PartsPacer(10);

    // Act
    const sends = await burst(pacer, Array(10).fill(1) as number[]);

    // Assess
    expect(sends.map((s) => s.at)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it("counts a send from when the provider answered: a slow first call does not crowd the next ones into its second", async () => {
    // Prepare: a cold container's first call takes 600 ms to reach the carrier, later ones 5 ms.
    const pacer = new PartsPacer(2);
    const arrivals: { at: number; parts: number }[] = [];
    const done = (async () => {
      for (let i = 0; i < 6; i++) {
        const paced = await pacer.acquire(1);
        await new Promise((resolve) => setTimeout(resolve, i === 0 ? 600 : 5));
        arrivals.push({ at: Date.now(), parts: 1 });
        paced.sent();
      }
    })();

    // Act
    await vi.runAllTimersAsync();
    await done;

    // Assess: at the carrier, never more than the share in any second, and still evenly spaced.
    expect(worstWindow(arrivals)).toBeLessThanOrEqual(2);
    expect(arrivals.map((a) => a.at)).toEqual([600, 1105, 1610, 2115, 2620, 3125]);
  });

  it("refuses a message with more parts than the share", () => {
    expect(() => new PartsPacer(2).waitFor(3)).toThrow("a message of 3 parts can never fit a share of 2");
  });

  it.each([0, 1.5, -1])("refuses a rate of %s", (rate) => {
    expect(() => new PartsPacer(rate)).toThrow(`partsPerSecond must be a whole number >= 1 (got ${rate})`);
  });

  it("reports how long until its last window has passed", async () => {
    // Prepare
    const pacer = new PartsPacer(4);
    await pacer.acquire(2);
    vi.advanceTimersByTime(300);

    // Act
    const drain = pacer.drainMs();

    // Assess
    expect(drain).toBe(700);
  });
});
