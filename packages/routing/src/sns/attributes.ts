import { isPlainObject } from "../core/json";

/**
 * One SNS message attribute, in the shape Publish takes ({DataType, StringValue}) or the shape SQS receives and
 * the SNS documentation's filter examples use ({Type, Value}).
 */
export interface SnsMessageAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: unknown;
  Type?: string;
  Value?: string;
}

export type SnsMessageAttributes = Readonly<Record<string, SnsMessageAttribute>>;

function numberFrom(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== "string" || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Turns a MessageAttributes map into the JSON object a filter policy is evaluated against:
 * - `String` (and custom `String.x`) → the string;
 * - `Number` (and `Number.x`) → a JSON number, so numeric operators and exact numbers compare by value
 *   (301.5 and 3.015e2 are equal), while a `String` attribute holding "5" stays a string and matches only "5";
 * - `String.Array` → the parsed JSON array, whose elements each match on their own;
 * - `Binary` → left out: SNS does not compare binary attributes.
 * Returns undefined when `input` is not a map at all.
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */
export function attributesToDocument(input: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(input)) return undefined;
  const document: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(input)) {
    if (!isPlainObject(attribute)) continue;
    const type = attribute.DataType ?? attribute.Type;
    const raw = attribute.StringValue ?? attribute.Value;
    if (typeof type !== "string" || type.startsWith("Binary")) continue;
    if (type.startsWith("String.Array")) {
      if (Array.isArray(raw)) document[name] = raw;
      else if (typeof raw === "string") {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (Array.isArray(parsed)) document[name] = parsed;
        } catch {
          // SNS rejects such a Publish; an unparsable array carries no comparable value.
        }
      }
    } else if (type.startsWith("Number")) {
      const value = numberFrom(raw);
      if (value !== undefined) document[name] = value;
    } else if (type.startsWith("String") && (typeof raw === "string" || typeof raw === "number")) {
      document[name] = String(raw);
    }
  }
  return document;
}
