import { isRecord } from "../../values";

/** DynamoDB items: the attribute values the JSON protocol carries, and their plain JSON view (admin views). */

/** A DynamoDB attribute value as the JSON protocol carries it. */
export type AttributeValue = Record<string, unknown>;
/** An item or key: attribute name -> attribute value. */
export type Item = Record<string, AttributeValue>;

/** A DynamoDB attribute value as plain JSON (for the admin views). */
export function unmarshall(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case "S":
    case "B":
      return inner;
    case "N": {
      const n = Number(inner);
      return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : inner;
    }
    case "BOOL":
      return inner;
    case "NULL":
      return null;
    case "SS":
    case "BS":
      return inner;
    case "NS":
      return Array.isArray(inner) ? inner.map(Number) : inner;
    case "L":
      return Array.isArray(inner) ? inner.map(unmarshall) : inner;
    case "M":
      return isRecord(inner) ? unmarshallItem(inner as Item) : inner;
    default:
      return value;
  }
}

/** An item as plain JSON. */
export function unmarshallItem(item: Item): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, unmarshall(value)]));
}

/** The key of `item` under a table's key attribute names. */
export function keyOf(item: Item, keyNames: readonly string[]): Item {
  return Object.fromEntries(keyNames.map((name) => [name, item[name]])) as Item;
}
