import { DEFAULT_PII_KEYS, REDACTED } from "./constants";

type Masker = (value: string) => string;

const stars = (count: number): string => "*".repeat(Math.max(count, 0));

/**
 * Masks a phone number, keeping the `+` and two leading digits (about the country code) and the last four:
 * `maskPhone("+4915112345678") === "+49*******5678"`. Spaces, dashes, dots and parentheses are dropped first.
 * Numbers too short to keep that much keep only their last two characters.
 */
export const maskPhone = (phone: string): string => {
  const compact = phone.replace(/[\s\-.()]/g, "");
  const plus = compact.startsWith("+") ? "+" : "";
  const digits = compact.slice(plus.length);
  if (digits.length >= 10)
    return `${plus}${digits.slice(0, 2)}${stars(digits.length - 6)}${digits.slice(-4)}`;
  if (digits.length > 4) return `${plus}${stars(digits.length - 2)}${digits.slice(-2)}`;
  return `${plus}${stars(digits.length)}`;
};

/**
 * Masks the local part of an e-mail address, keeping its first character and the domain:
 * `maskEmail("jane.doe@example.com") === "j*******@example.com"`. A string without `@` is fully masked.
 */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf("@");
  if (at <= 0) return stars(email.length);
  const local = email.slice(0, at);
  return `${local.slice(0, 1)}${stars(local.length - 1)}${email.slice(at)}`;
};

/** Replaces a secret with a fixed `****`, so not even its length shows. */
export const redact = (_value: unknown): string => REDACTED;

const normalise = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, "");

const maskerFor = (normalisedKey: string): Masker => {
  if (/(phone|mobile|msisdn)(numbers?|s)?$/.test(normalisedKey)) return maskPhone;
  if (/e?mails?(address(es)?)?$/.test(normalisedKey)) return maskEmail;
  return redact;
};

/**
 * Returns a function telling, for a field name, how to mask its value, or `undefined` when the field is
 * not PII. A name matches a key when, ignoring case and `-`/`_`, it equals the key or ends with it.
 */
export const piiMatcher = (
  keys: Iterable<string> = DEFAULT_PII_KEYS,
): ((key: string) => Masker | undefined) => {
  const wanted = [...new Set([...keys].map(normalise))].filter((key) => key !== "");
  const cache = new Map<string, Masker | undefined>();
  return (key) => {
    if (cache.has(key)) return cache.get(key);
    const name = normalise(key);
    const hit = wanted.find((candidate) => name === candidate || name.endsWith(candidate));
    const masker = hit === undefined ? undefined : maskerFor(name);
    cache.set(key, masker);
    return masker;
  };
};

const maskValue = (value: unknown, masker: Masker): unknown => {
  if (typeof value === "string") return masker(value);
  if (typeof value === "number" || typeof value === "bigint") return masker(String(value));
  if (Array.isArray(value)) return value.map((item) => maskValue(item, masker));
  if (value === null || value === undefined) return value;
  return REDACTED;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Deep-copies `value`, masking every field whose name is PII (see {@link piiMatcher}): phone-like names
 * with {@link maskPhone}, e-mail-like names with {@link maskEmail}, everything else (tokens, passwords,
 * authorization, …) with `****`. Plain objects and arrays are copied; other objects are kept as they are.
 * The input is never modified.
 *
 * @example maskPii({ to: { phoneNumber: "+4915112345678" }, token: "abc" }, ["phoneNumber", "token"])
 * // { to: { phoneNumber: "+49*******5678" }, token: "****" }
 */
export const maskPii = <T>(value: T, keys: Iterable<string> = DEFAULT_PII_KEYS): T => {
  const match = piiMatcher(keys);
  const seen = new WeakMap<object, unknown>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      if (seen.has(node)) return seen.get(node);
      const copy: unknown[] = [];
      seen.set(node, copy);
      for (const item of node) copy.push(walk(item));
      return copy;
    }
    if (isPlainObject(node)) {
      if (seen.has(node)) return seen.get(node);
      const copy: Record<string, unknown> = {};
      seen.set(node, copy);
      for (const [key, child] of Object.entries(node)) {
        const masker = match(key);
        copy[key] = masker ? maskValue(child, masker) : walk(child);
      }
      return copy;
    }
    return node;
  };
  return walk(value) as T;
};

/**
 * A `JSON.stringify` replacer that masks PII fields by name; pass it as the Powertools Logger's
 * `jsonReplacerFn` (`createObservability` does).
 */
export const piiJsonReplacer = (
  keys: Iterable<string> = DEFAULT_PII_KEYS,
): ((key: string, value: unknown) => unknown) => {
  const match = piiMatcher(keys);
  return (key, value) => {
    if (key === "") return value;
    const masker = match(key);
    return masker ? maskValue(value, masker) : value;
  };
};
