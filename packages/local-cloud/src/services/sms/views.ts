import { CATCH_ALL } from "./limits";
import { emptyStats, type SmsCountryStats, type SmsModel, type SmsRecord, UNKNOWN_COUNTRY } from "./model";

/**
 * The `/_local/` views of the carrier: `sms/messages[?country=DE&status=THROTTLED&provider=pinpoint&limit=N]`,
 * `sms/limits` (`SmsModel.limits`) and `sms/stats`.
 */

/** Counters per country and for the shared catch-all (`*`), every configured country included. */
export function statsView(model: SmsModel): Record<string, SmsCountryStats> {
  const { countries, catchAll } = model.settings();
  const keys = new Set<string>([...Object.keys(countries), ...model.stats.keys()]);
  if (catchAll !== undefined && model.shared) keys.add(CATCH_ALL);
  const view: Record<string, SmsCountryStats> = {};
  for (const key of [...keys].sort()) {
    const entry = model.stats.get(key) ?? emptyStats();
    const limit =
      key === CATCH_ALL
        ? { key: CATCH_ALL, rate: catchAll ?? 0 }
        : key === UNKNOWN_COUNTRY
          ? undefined
          : model.limitOf(key);
    view[key] = {
      limit: limit ? limit.rate : null,
      limitKey: limit ? limit.key : null,
      delivered: entry.delivered,
      deliveredParts: entry.deliveredParts,
      throttled: entry.throttled,
      throttledParts: entry.throttledParts,
      invalid: entry.invalid,
      maxPartsInOneSecond: entry.window.max,
      identities: { ...entry.identities },
    };
  }
  return view;
}

/** The recorded messages, filtered by `country`, `status` and `provider`, the last `limit` of them. */
export function messagesView(model: SmsModel, query: URLSearchParams): SmsRecord[] {
  const country = query.get("country")?.toUpperCase();
  const status = query.get("status")?.toUpperCase();
  const provider = query.get("provider");
  const limit = Number(query.get("limit") ?? "");
  let selected = model.records.filter(
    (r) =>
      (!country || r.country === country) &&
      (!status || r.status === status) &&
      (!provider || r.provider === provider),
  );
  if (Number.isInteger(limit) && limit > 0) selected = selected.slice(-limit);
  return selected;
}
