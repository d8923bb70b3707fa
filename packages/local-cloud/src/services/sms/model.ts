import { randomUUID } from "node:crypto";
import type { SmsEncoding } from "@switchyard/contracts/sms";
import type { CarrierRecord, LocalContext } from "../../types";
import { CATCH_ALL, PartsBucket, readSmsCarrierConfig, type SmsCarrierConfig, WindowMax } from "./limits";
import { mask } from "./phone";

/**
 * The carrier itself, without HTTP: the recorded messages, the per-limit token buckets (and Pinpoint's
 * request bucket), the counters per country, and the config it reads lazily. Both APIs (end-user-messaging.ts,
 * pinpoint.ts) validate their requests and hand each message to `attempt` (or `refuse`).
 */

/** A recorded message: the carrier record plus what the console and tests want to see. */
export interface SmsRecord extends CarrierRecord {
  encoding: SmsEncoding;
  /** The limit's key: the country, or `*` for the shared catch-all; absent when the country is unlimited. */
  limitKey?: string;
  /** Why it was refused (THROTTLED / INVALID). */
  reason?: string;
  /** Pinpoint application the message was sent through. */
  applicationId?: string;
  configurationSetName?: string;
  context?: Record<string, string>;
}

/** Per-country (and per shared catch-all `*`) counters of `sms/stats`. */
export interface SmsCountryStats {
  /** Parts per second allowed; null when the carrier does not limit it. */
  limit: number | null;
  /** The bucket the country draws from (`*` when it shares the catch-all). */
  limitKey: string | null;
  delivered: number;
  deliveredParts: number;
  throttled: number;
  throttledParts: number;
  invalid: number;
  /** The most parts delivered in any one-second window `(t - 1 s, t]`: what pacing is compared with. */
  maxPartsInOneSecond: number;
  /** Messages delivered per origination identity (ARN or id as sent; `pinpoint:<app id>` for Pinpoint). */
  identities: Record<string, number>;
}

export interface SmsOptions {
  /** Parts per second by ISO 3166-1 alpha-2 code (`*` = the catch-all); overrides the config per key. */
  limits?: Record<string, number>;
  /** The carrier's clock in ms (tests inject one). @default Date.now */
  now?: () => number;
  /** Whether unlisted countries share one catch-all bucket or get one each. @default "shared" */
  catchAllScope?: "shared" | "perCountry";
  /**
   * Clock jitter (ms) the buckets absorb between a sender's clock and the carrier's: extra capacity of
   * `rate x toleranceMs / 1000`, capped below one part (so a burst of cap + 1 parts is still refused).
   * 0 makes the capacity exactly one second of the rate. @default 25
   */
  toleranceMs?: number;
  /** Pinpoint's account API quota for `SendMessages`. @default 4000 */
  pinpointRequestsPerSecond?: number;
  /** Oldest records are dropped past this many (stats are kept regardless). @default 100000 */
  maxRecords?: number;
}

/** The message types both APIs accept. */
export const MESSAGE_TYPES = ["TRANSACTIONAL", "PROMOTIONAL"] as const;
/** Dry runs are limited to min(5, limit) parts per second, as AWS documents. */
const DRY_RUN_MPS = 5;
/** Stats key of refused messages whose number has no country. */
export const UNKNOWN_COUNTRY = "??";

/** A message as an API hands it to the carrier: everything but what the carrier decides. */
export type SmsSend = Omit<SmsRecord, "id" | "status" | "at" | "limitKey" | "reason">;

/** What a send attempt came to. */
export type Outcome =
  | { status: "DELIVERED"; record: SmsRecord }
  | { status: "THROTTLED"; record: SmsRecord; limit: number; limitKey: string };

/** A country's (or the catch-all's) running counters. */
export interface StatsEntry {
  delivered: number;
  deliveredParts: number;
  throttled: number;
  throttledParts: number;
  invalid: number;
  window: WindowMax;
  identities: Record<string, number>;
}

export const emptyStats = (): StatsEntry => ({
  delivered: 0,
  deliveredParts: 0,
  throttled: 0,
  throttledParts: 0,
  invalid: 0,
  window: new WindowMax(),
  identities: {},
});

/** Who sent a record: its origination identity (ARN or id), or its Pinpoint project (`pinpoint:<app id>`). */
const senderOf = (record: SmsRecord): string =>
  record.applicationId
    ? `pinpoint:${record.applicationId}`
    : (record.originationIdentity ?? "(no origination identity)");

/** The config and the limits the carrier enforces (the config's, overridden by `options.limits`). */
export interface SmsSettings {
  config: SmsCarrierConfig;
  countries: Record<string, number>;
  catchAll?: number;
}

/** Whether `identity` names one of the account's configured origination identities (its ARN or its id). */
export const knownIdentity = (identity: string, configured: readonly string[]): boolean =>
  configured.some((arn) => {
    if (identity === arn) return true;
    // A sender id's ARN ends in `sender-id/<SenderId>/<IsoCountryCode>`; its id is the SenderId.
    const [, id] = /:[a-z-]+\/([^/]+)(?:\/[A-Z]{2})?$/.exec(arn) ?? [];
    return identity === id;
  });

/** The local carrier's state and rules. */
export class SmsModel {
  readonly now: () => number;
  /** Whether unlisted countries share the catch-all bucket (`*`). */
  readonly shared: boolean;
  /** Every recorded message, oldest first. */
  readonly records: SmsRecord[] = [];
  /** Counters by country, `*` (shared catch-all) and `??` (no country). */
  readonly stats = new Map<string, StatsEntry>();
  private readonly toleranceMs: number;
  private readonly maxRecords: number;
  private readonly buckets = new Map<string, PartsBucket>();
  private pinpointBucket: PartsBucket | undefined;
  private resolved: SmsSettings | undefined;

  constructor(
    readonly ctx: LocalContext,
    private readonly options: SmsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.shared = (options.catchAllScope ?? "shared") === "shared";
    this.toleranceMs = options.toleranceMs ?? 25;
    this.maxRecords = options.maxRecords ?? 100_000;
  }

  /** The config and the limits, read once on first use (config is fixed for the engine's life). */
  settings(): SmsSettings {
    if (this.resolved) return this.resolved;
    const config = readSmsCarrierConfig(this.ctx.config["switchyard:sms-throttle"], this.ctx.log);
    const countries: Record<string, number> = { ...config.countries };
    let catchAll = config.catchAll;
    for (const [key, value] of Object.entries(this.options.limits ?? {})) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) continue;
      if (key === CATCH_ALL) catchAll = value;
      else countries[key.toUpperCase()] = value;
    }
    this.resolved = { config, countries, ...(catchAll !== undefined ? { catchAll } : {}) };
    this.ctx.log.debug("sms: carrier limits", {
      countries,
      catchAll,
      catchAllScope: this.shared ? "shared" : "perCountry",
    });
    return this.resolved;
  }

  /** Parts per second per country, and `*` for the catch-all, as `limits()` and `sms/limits` serve them. */
  limits(): Record<string, number> {
    const { countries, catchAll } = this.settings();
    return { ...countries, ...(catchAll !== undefined ? { [CATCH_ALL]: catchAll } : {}) };
  }

  /** The bucket a country draws from, or undefined when it is not limited. */
  limitOf(country: string): { key: string; rate: number } | undefined {
    const { countries, catchAll } = this.settings();
    const own = countries[country];
    if (own !== undefined) return { key: country, rate: own };
    if (catchAll !== undefined) return { key: this.shared ? CATCH_ALL : country, rate: catchAll };
    return undefined;
  }

  /**
   * Takes one request from Pinpoint's account API quota (the bucket is created on the first request).
   * @returns false when the account is over its request rate
   */
  takePinpointRequest(at: number): boolean {
    const requests =
      this.pinpointBucket ?? new PartsBucket(this.options.pinpointRequestsPerSecond ?? 4000, at);
    this.pinpointBucket = requests;
    return requests.take(1, at);
  }

  /**
   * Tries to deliver one valid message: takes its parts from the country's bucket, records the result.
   * Dry runs use a bucket of their own and are not recorded.
   */
  attempt(base: SmsSend, at: number, dryRun = false): Outcome {
    const limit = this.limitOf(base.country);
    const id = randomUUID();
    if (limit) {
      const rate = dryRun ? Math.min(DRY_RUN_MPS, limit.rate) : limit.rate;
      const bucket = this.bucketFor(dryRun ? `dry-run:${limit.key}` : limit.key, rate, at);
      if (!bucket.take(base.parts, at)) {
        const reason = `Message parts per second limit exceeded for ${limit.key === CATCH_ALL ? `${base.country} (catch-all)` : base.country}: ${rate} parts/s`;
        const record: SmsRecord = { ...base, id, at, status: "THROTTLED", limitKey: limit.key, reason };
        if (!dryRun) {
          this.keep(record);
          this.count(record);
        }
        this.ctx.log.debug("sms: throttled", {
          provider: base.provider,
          destination: mask(base.destination),
          country: base.country,
          parts: base.parts,
          limit: rate,
        });
        return { status: "THROTTLED", record, limit: rate, limitKey: limit.key };
      }
    }
    const record: SmsRecord = {
      ...base,
      id,
      at,
      status: "DELIVERED",
      ...(limit ? { limitKey: limit.key } : {}),
    };
    if (!dryRun) {
      this.keep(record);
      this.count(record);
    }
    this.ctx.log.debug("sms: delivered", {
      provider: base.provider,
      destination: mask(base.destination),
      country: base.country,
      parts: base.parts,
      dryRun,
    });
    return { status: "DELIVERED", record };
  }

  /** Records a refused message (invalid number or request). */
  refuse(base: SmsSend, at: number, reason: string): SmsRecord {
    const record: SmsRecord = { ...base, id: randomUUID(), at, status: "INVALID", reason };
    this.keep(record);
    this.count(record);
    this.ctx.log.debug("sms: invalid", {
      provider: base.provider,
      destination: mask(base.destination),
      reason,
    });
    return record;
  }

  private bucketFor(key: string, rate: number, at: number): PartsBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new PartsBucket(rate, at, this.toleranceMs);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private statsFor(key: string): StatsEntry {
    let entry = this.stats.get(key);
    if (!entry) {
      entry = emptyStats();
      this.stats.set(key, entry);
    }
    return entry;
  }

  private keep(record: SmsRecord): void {
    this.records.push(record);
    if (this.records.length > this.maxRecords) this.records.splice(0, this.records.length - this.maxRecords);
  }

  /** Counts a record in its country's stats and, when it shares the catch-all, in `*` too. */
  private count(record: SmsRecord): void {
    const keys = [record.country || UNKNOWN_COUNTRY];
    if (record.limitKey && record.limitKey !== record.country) keys.push(record.limitKey);
    for (const key of keys) {
      const entry = this.statsFor(key);
      if (record.status === "DELIVERED") {
        entry.delivered++;
        entry.deliveredParts += record.parts;
        entry.window.add(record.at, record.parts);
        const sender = senderOf(record);
        entry.identities[sender] = (entry.identities[sender] ?? 0) + 1;
      } else if (record.status === "THROTTLED") {
        entry.throttled++;
        entry.throttledParts += record.parts;
      } else {
        entry.invalid++;
      }
    }
  }
}
