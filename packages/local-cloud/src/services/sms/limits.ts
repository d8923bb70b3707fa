import type { LocalLogger } from "../../types";
import { isRecord } from "../../values";

/**
 * The local carrier's sending limits: what it reads from the stack's `switchyard:sms-throttle` section, the token
 * bucket it enforces per country, and the sliding one-second window it measures deliveries with.
 */

/** The key of the catch-all limit in `limits()` and `sms/stats`: every country the config does not list. */
export const CATCH_ALL = "*";

/** What the carrier takes from the `switchyard:sms-throttle` config section (everything else is the sender's business). */
export interface SmsCarrierConfig {
  /** `countries.<CC>.capPartsPerSecond`, by ISO 3166-1 alpha-2 code. */
  countries: Record<string, number>;
  /** `catchAll.partsPerSecond`: the budget of every country not listed. */
  catchAll?: number;
  /**
   * The origination identities the account owns: `endUserMessaging.originationIdentityArn` and every
   * `countries.<CC>.origination.endUserMessaging.originationIdentityArn` (per-country identities).
   */
  originationIdentityArns: string[];
  /** `pinpoint.applicationId` and every `countries.<CC>.origination.pinpoint.applicationId`. */
  pinpointApplicationIds: string[];
}

/** A positive finite number, also from a numeric string (hand-edited config); undefined otherwise. */
const rate = (value: unknown): number | undefined => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * Reads the `switchyard:sms-throttle` section defensively: a JSON string (as Pulumi hands object config to the
 * program) or an already-parsed object. Anything malformed is skipped with a warning, never thrown: the
 * program validates the section itself (sms-throttle's `smsThrottleConfigSchema`), and a carrier without a
 * limit for a country simply does not throttle it. A country without a usable `capPartsPerSecond` falls
 * back to the sum of its class `budgets` (the most the sender may send there).
 */
export function readSmsCarrierConfig(raw: unknown, log?: LocalLogger): SmsCarrierConfig {
  const config: SmsCarrierConfig = { countries: {}, originationIdentityArns: [], pinpointApplicationIds: [] };
  if (raw === undefined || raw === null || raw === "") return config;
  let section: unknown = raw;
  if (typeof raw === "string") {
    try {
      section = JSON.parse(raw) as unknown;
    } catch (error) {
      log?.warn("sms: switchyard:sms-throttle is not JSON; the carrier enforces no limits", {
        error: String(error),
      });
      return config;
    }
  }
  if (!isRecord(section)) {
    log?.warn("sms: switchyard:sms-throttle is not an object; the carrier enforces no limits");
    return config;
  }
  if (isRecord(section.countries)) {
    for (const [code, spec] of Object.entries(section.countries)) {
      const country = code.toUpperCase();
      if (!/^[A-Z]{2}$/.test(country) || !isRecord(spec)) {
        log?.warn("sms: ignoring a malformed country in switchyard:sms-throttle", { country: code });
        continue;
      }
      let cap = rate(spec.capPartsPerSecond);
      if (cap === undefined && isRecord(spec.budgets)) {
        const sum = Object.values(spec.budgets).reduce<number>((total, b) => total + (rate(b) ?? 0), 0);
        cap = sum > 0 ? sum : undefined;
      }
      if (cap === undefined) {
        log?.warn("sms: country without capPartsPerSecond in switchyard:sms-throttle", { country });
        continue;
      }
      config.countries[country] = cap;
      const own = isRecord(spec.origination) ? spec.origination : {};
      if (isRecord(own.endUserMessaging) && typeof own.endUserMessaging.originationIdentityArn === "string")
        config.originationIdentityArns.push(own.endUserMessaging.originationIdentityArn);
      if (isRecord(own.pinpoint) && typeof own.pinpoint.applicationId === "string")
        config.pinpointApplicationIds.push(own.pinpoint.applicationId);
    }
  }
  if (isRecord(section.catchAll)) {
    const catchAll = rate(section.catchAll.partsPerSecond);
    if (catchAll !== undefined) config.catchAll = catchAll;
  }
  if (
    isRecord(section.endUserMessaging) &&
    typeof section.endUserMessaging.originationIdentityArn === "string"
  ) {
    config.originationIdentityArns.push(section.endUserMessaging.originationIdentityArn);
  }
  if (isRecord(section.pinpoint) && typeof section.pinpoint.applicationId === "string") {
    config.pinpointApplicationIds.push(section.pinpoint.applicationId);
  }
  return config;
}

/**
 * A token bucket over message parts: capacity one second of the rate (plus a jitter allowance of less than
 * one part), refilled continuously, starting full. A message takes its parts at once when the bucket holds
 * them; a message longer than the whole capacity passes only from a full bucket (and leaves it in debt), so
 * a country limit below a message's parts slows it down instead of blocking it forever. A refused message
 * takes nothing.
 */
export class PartsBucket {
  private level: number;
  private last: number;
  readonly capacity: number;

  /**
   * @param ratePerSecond parts per second (<= 0 refuses everything)
   * @param now the clock reading at creation (ms)
   * @param toleranceMs clock jitter to absorb: extra capacity of `rate x toleranceMs`, capped below one part
   */
  constructor(
    readonly ratePerSecond: number,
    now: number,
    toleranceMs = 0,
  ) {
    const extra = Math.min((ratePerSecond * Math.max(0, toleranceMs)) / 1000, 0.999);
    this.capacity = ratePerSecond + (ratePerSecond > 0 ? extra : 0);
    this.level = this.capacity;
    this.last = now;
  }

  /** Takes `parts` tokens at `now` (ms) when available. @returns false when the sender is over the limit */
  take(parts: number, now: number): boolean {
    if (this.ratePerSecond <= 0) return false;
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (this.ratePerSecond * (now - this.last)) / 1000);
      this.last = now;
    }
    const epsilon = 1e-9;
    if (this.level + epsilon >= parts || this.level + epsilon >= this.capacity) {
      this.level -= parts;
      return true;
    }
    return false;
  }

  /** Tokens available now (for views and tests). */
  available(now: number): number {
    const refill = now > this.last ? (this.ratePerSecond * (now - this.last)) / 1000 : 0;
    return Math.min(this.capacity, this.level + refill);
  }
}

/**
 * The most parts delivered in any one-second window, over a half-open sliding window `(t - 1000, t]` that
 * ends at each delivery: the number pacing tests and benchmarks compare with the cap.
 */
export class WindowMax {
  private readonly entries: Array<{ at: number; parts: number }> = [];
  private head = 0;
  private sum = 0;
  private best = 0;

  /** Adds a delivery of `parts` at `at` (ms; deliveries arrive in clock order). */
  add(at: number, parts: number): void {
    while (this.head < this.entries.length) {
      const first = this.entries[this.head];
      if (!first || first.at > at - 1000) break;
      this.sum -= first.parts;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.entries.push({ at, parts });
    this.sum += parts;
    if (this.sum > this.best) this.best = this.sum;
  }

  /** The maximum so far. */
  get max(): number {
    return this.best;
  }
}
