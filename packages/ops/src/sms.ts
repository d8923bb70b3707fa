import { matchesFilterPolicy, type SnsMessageAttributes } from "@switchyard/routing";
import { nameOfArn, type SubscriptionInfo } from "./discover";

/**
 * What the console's SMS chart draws: delivered message parts per second over the last minute for each lane of the
 * sms-throttle service (a country and priority class, or the catch-all), against the lane's declared budget, and
 * per carrier limit (a country's cap, or the catch-all's shared one).
 *
 * Each message the carrier recorded is put in the lane whose subscription to the requests topic takes its `country`
 * and `useCase` (the filter policies the lanes are provisioned with, evaluated by @switchyard/routing); a lane without
 * a filter policy is the catch-all, which takes what no other lane does.
 */

/** A message as the local carrier records it (`/_local/sms/messages`), the fields used here. */
export interface CarrierMessage {
  country: string;
  parts: number;
  status: string;
  at: number;
  /** The country limit it counted against (`DE`, or `*` for the shared catch-all). */
  limitKey?: string;
  originationIdentity?: string;
  /** Why the carrier refused it (a refused message's status is not DELIVERED). */
  reason?: string;
  context?: { useCase?: string };
}

/** A country's counters and limit as `/_local/sms/stats` has them. */
export interface CarrierStats {
  limit: number | null;
  limitKey: string | null;
}

export interface SmsLaneSeries {
  /** The lane id of `smsThrottleLanes` (`de-verification`, `other`). */
  lane: string;
  queue: string;
  /** What its subscription takes (`country DE, useCase VERIFICATION`), or `every other message` for the catch-all. */
  takes: string;
  budgetPartsPerSecond: number | null;
  /** Delivered parts in each second, oldest first; the last is the second ending at `until`. */
  parts: number[];
}

export interface SmsLimitSeries {
  /** `DE`, or `*` for the catch-all's shared limit. */
  key: string;
  limitPartsPerSecond: number | null;
  /** Delivered parts counted against this limit in each second. */
  parts: number[];
}

export interface SmsChart {
  seconds: number;
  until: number;
  lanes: SmsLaneSeries[];
  limits: SmsLimitSeries[];
  /** Delivered messages of the window put in no lane: sent without a recorded use case, or no lane takes them. */
  unrouted: number;
  /** What the carrier refused, newest first (at most `REFUSED_SHOWN`). */
  refused: Array<Pick<CarrierMessage, "at" | "country" | "parts" | "status" | "reason">>;
}

/** How many of the carrier's refusals the chart hands back. */
export const REFUSED_SHOWN = 50;

const laneIdOf = (queueName: string, laneIds: readonly string[]): string | undefined =>
  // The longest id first: `de-bulk` must not be taken for a lane `bulk`.
  [...laneIds].sort((a, b) => b.length - a.length).find((id) => queueName.includes(`-${id}-queue`));

function describeFilter(policy: unknown): string {
  if (policy === undefined) return "every other message";
  if (typeof policy !== "object" || policy === null) return JSON.stringify(policy);
  return Object.entries(policy as Record<string, unknown>)
    .map(
      ([key, rule]) =>
        `${key} ${Array.isArray(rule) ? rule.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("|") : JSON.stringify(rule)}`,
    )
    .join(", ");
}

/**
 * The chart of the last `seconds` seconds up to `now` from the carrier's records, the requests topic's subscriptions
 * and the stack output `smsThrottleLanes` (lane id -> `{ budgetPartsPerSecond }`).
 */
export function smsChart(
  subscriptions: readonly SubscriptionInfo[],
  lanesOutput: unknown,
  messages: readonly CarrierMessage[],
  stats: Record<string, CarrierStats>,
  now: number,
  seconds = 60,
): SmsChart {
  const declared =
    typeof lanesOutput === "object" && lanesOutput !== null
      ? (lanesOutput as Record<string, { budgetPartsPerSecond?: unknown }>)
      : {};
  const laneIds = Object.keys(declared);
  const lanes = subscriptions
    .map((subscription) => {
      const queue = nameOfArn(subscription.endpoint);
      const lane = laneIdOf(queue, laneIds);
      if (!lane) return undefined;
      const budget = declared[lane]?.budgetPartsPerSecond;
      return {
        subscription,
        series: {
          lane,
          queue,
          takes: describeFilter(subscription.filterPolicy),
          budgetPartsPerSecond: typeof budget === "number" ? budget : null,
          parts: new Array<number>(seconds).fill(0),
        } satisfies SmsLaneSeries,
      };
    })
    .filter((entry) => entry !== undefined);
  const filtered = lanes.filter((l) => l.subscription.filterPolicy !== undefined);
  const catchAll = lanes.find((l) => l.subscription.filterPolicy === undefined);

  const laneCache = new Map<string, SmsLaneSeries | undefined>();
  const laneOf = (country: string, useCase: string): SmsLaneSeries | undefined => {
    const key = `${country}\u0000${useCase}`;
    if (!laneCache.has(key)) {
      const attributes: SnsMessageAttributes = {
        country: { DataType: "String", StringValue: country },
        useCase: { DataType: "String", StringValue: useCase },
      };
      const match = filtered.find((l) =>
        matchesFilterPolicy(l.subscription.filterPolicy, attributes, l.subscription.filterPolicyScope),
      );
      laneCache.set(key, (match ?? catchAll)?.series);
    }
    return laneCache.get(key);
  };

  const limits = new Map<string, SmsLimitSeries>();
  for (const [country, entry] of Object.entries(stats)) {
    const key = entry.limitKey ?? country;
    if (!limits.has(key))
      limits.set(key, { key, limitPartsPerSecond: entry.limit, parts: new Array<number>(seconds).fill(0) });
  }
  let unrouted = 0;
  for (const m of messages) {
    if (m.status !== "DELIVERED") continue;
    const i = seconds - 1 - Math.floor((now - m.at) / 1000);
    if (i < 0 || i >= seconds) continue;
    // Without its use case (a Pinpoint send records none) a message cannot be put in a lane; it still counts
    // against its carrier limit.
    const useCase = m.context?.useCase;
    const lane = useCase ? laneOf(m.country, useCase) : undefined;
    if (lane) lane.parts[i] = (lane.parts[i] ?? 0) + m.parts;
    else unrouted++;
    const key = m.limitKey ?? m.country;
    let limit = limits.get(key);
    if (!limit) {
      limit = { key, limitPartsPerSecond: null, parts: new Array<number>(seconds).fill(0) };
      limits.set(key, limit);
    }
    limit.parts[i] = (limit.parts[i] ?? 0) + m.parts;
  }
  return {
    seconds,
    until: now,
    lanes: lanes.map((l) => l.series),
    limits: [...limits.values()].sort((a, b) =>
      a.key === "*" ? 1 : b.key === "*" ? -1 : a.key.localeCompare(b.key),
    ),
    unrouted,
    refused: messages
      .filter((m) => m.status !== "DELIVERED")
      .slice(-REFUSED_SHOWN)
      .reverse()
      .map(({ at, country, parts, status, reason }) => ({
        at,
        country,
        parts,
        status,
        ...(reason ? { reason } : {}),
      })),
  };
}
