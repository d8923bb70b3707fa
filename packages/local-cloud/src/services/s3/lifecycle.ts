import { isRecord } from "../../values";
import type { Change, S3Model, StoredBucket, StoredObject } from "./model";

/**
 * S3 lifecycle rules: the enabled rules compiled from their declaration (`expiration.days`/`date`,
 * `expiredObjectDeleteMarker`, `noncurrentVersionExpiration`, `abortIncompleteMultipartUpload`; filters by
 * prefix, tags and size), and the sweep that applies them as S3 computes them (creation time plus days,
 * rounded up to the next midnight UTC). Transitions (storage classes) are ignored.
 */

const DAY_MS = 24 * 3600 * 1000;

/** One enabled lifecycle rule, compiled. */
export interface LifecycleRule {
  id: string;
  prefix: string;
  tags: Record<string, string>;
  sizeGreaterThan?: number;
  sizeLessThan?: number;
  expirationDays?: number;
  expirationDate?: number;
  expiredObjectDeleteMarker?: boolean;
  noncurrentDays?: number;
  abortDays?: number;
}

/** The next midnight UTC at or after a time (how S3 rounds lifecycle expiry). */
function nextMidnight(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

/** The enabled rules of a lifecycle configuration as declared (Pulumi's `rules` input). */
export function compileLifecycleRules(inputs: Record<string, unknown>): LifecycleRule[] {
  const rules: LifecycleRule[] = [];
  const list = Array.isArray(inputs.rules) ? inputs.rules : [];
  for (const [index, raw] of list.entries()) {
    if (!isRecord(raw) || raw.status !== "Enabled") continue;
    const filter = isRecord(raw.filter) ? raw.filter : {};
    const and = isRecord(filter.and) ? filter.and : {};
    const tags: Record<string, string> = {};
    if (isRecord(filter.tag) && typeof filter.tag.key === "string")
      tags[filter.tag.key] = String(filter.tag.value ?? "");
    if (isRecord(and.tags)) for (const [k, v] of Object.entries(and.tags)) tags[k] = String(v);
    const num = (value: unknown) => (typeof value === "number" ? value : undefined);
    const expiration = isRecord(raw.expiration) ? raw.expiration : {};
    const noncurrent = isRecord(raw.noncurrentVersionExpiration) ? raw.noncurrentVersionExpiration : {};
    const abort = isRecord(raw.abortIncompleteMultipartUpload) ? raw.abortIncompleteMultipartUpload : {};
    const prefix =
      [filter.prefix, and.prefix, raw.prefix].find((p): p is string => typeof p === "string") ?? "";
    const date = typeof expiration.date === "string" ? Date.parse(expiration.date) : Number.NaN;
    rules.push({
      id: typeof raw.id === "string" ? raw.id : `rule-${index + 1}`,
      prefix,
      tags,
      sizeGreaterThan: num(filter.objectSizeGreaterThan) ?? num(and.objectSizeGreaterThan),
      sizeLessThan: num(filter.objectSizeLessThan) ?? num(and.objectSizeLessThan),
      expirationDays: num(expiration.days),
      expirationDate: Number.isNaN(date) ? undefined : date,
      expiredObjectDeleteMarker: expiration.expiredObjectDeleteMarker === true,
      noncurrentDays: num(noncurrent.noncurrentDays),
      abortDays: num(abort.daysAfterInitiation),
    });
  }
  return rules;
}

function ruleApplies(rule: LifecycleRule, object: StoredObject): boolean {
  if (!object.key.startsWith(rule.prefix)) return false;
  for (const [k, v] of Object.entries(rule.tags)) if (object.tags[k] !== v) return false;
  if (rule.sizeGreaterThan !== undefined && !(object.size > rule.sizeGreaterThan)) return false;
  if (rule.sizeLessThan !== undefined && !(object.size < rule.sizeLessThan)) return false;
  return true;
}

/**
 * Applies every bucket's lifecycle rules as if it were `at`: expires current and noncurrent versions, lone
 * delete markers and stale multipart uploads. `onExpired` hears of each version removed (for its event).
 * @returns how many versions/uploads expired
 */
export function sweepLifecycle(
  model: S3Model,
  at: Date,
  onExpired: (bucket: StoredBucket, key: string, change: Change, versionId: string | undefined) => void,
): number {
  const now = at.getTime();
  let expired = 0;
  for (const [name, entry] of model.configs) {
    const rules = entry.lifecycle ?? [];
    const bucket = model.bucket(name);
    if (!bucket || rules.length === 0) continue;
    for (const key of [...bucket.keys.keys()]) {
      const versions = bucket.keys.get(key) ?? [];
      const current = versions[versions.length - 1];
      if (!current) continue;
      // Noncurrent versions: expire `noncurrentDays` after the next version replaced them.
      for (const [index, version] of versions.slice(0, -1).entries()) {
        const replacedAt = versions[index + 1]?.lastModified ?? now;
        const rule = rules.find(
          (r) =>
            r.noncurrentDays !== undefined &&
            ruleApplies(r, version) &&
            nextMidnight(replacedAt + r.noncurrentDays * DAY_MS) <= now,
        );
        if (!rule) continue;
        const change = model.delete(bucket, key, version.versionId);
        onExpired(bucket, key, change, version.versionId === "null" ? undefined : version.versionId);
        expired += 1;
      }
      const latest = bucket.current(key);
      if (!latest) continue;
      if (latest.deleteMarker) {
        const alone = (bucket.keys.get(key) ?? []).length === 1;
        if (alone && rules.some((r) => r.expiredObjectDeleteMarker && key.startsWith(r.prefix))) {
          model.delete(bucket, key, latest.versionId);
          expired += 1;
        }
        continue;
      }
      const due = rules.some((r) => {
        if (!ruleApplies(r, latest)) return false;
        if (r.expirationDate !== undefined && r.expirationDate <= now) return true;
        return (
          r.expirationDays !== undefined &&
          nextMidnight(latest.lastModified + r.expirationDays * DAY_MS) <= now
        );
      });
      if (!due) continue;
      const change = model.delete(bucket, key);
      onExpired(bucket, key, change, undefined);
      expired += 1;
    }
    for (const pending of [...bucket.uploads.values()]) {
      const rule = rules.find(
        (r) =>
          r.abortDays !== undefined &&
          pending.key.startsWith(r.prefix) &&
          nextMidnight(pending.initiated + r.abortDays * DAY_MS) <= now,
      );
      if (!rule) continue;
      bucket.uploads.delete(pending.uploadId);
      for (const part of pending.parts.values()) model.discardBlob(bucket, part.blob);
      expired += 1;
    }
  }
  return expired;
}
