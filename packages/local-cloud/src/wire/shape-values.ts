import { CborTimestamp } from "./cbor";
import type { Shape } from "./shapes";

/**
 * Walks a JSON-shaped output along its shape, replacing values of one scalar kind: e.g. timestamps (epoch
 * seconds) with {@link CborTimestamp} for CBOR, blobs (base64) with bytes.
 */
export function mapScalars(
  value: unknown,
  shape: Shape | undefined,
  kind: string,
  map: (value: unknown) => unknown,
): unknown {
  if (value === undefined || value === null || !shape) return value;
  switch (shape.kind) {
    case "structure": {
      if (typeof value !== "object") return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        out[key] = mapScalars(item, shape.members[key]?.shape, kind, map);
      }
      return out;
    }
    case "list":
      return Array.isArray(value) ? value.map((item) => mapScalars(item, shape.member, kind, map)) : value;
    case "map":
      return typeof value === "object"
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([key, item]) => [
              key,
              mapScalars(item, shape.value, kind, map),
            ]),
          )
        : value;
    default:
      return shape.kind === kind ? map(value) : value;
  }
}

/** CBOR's encoding of a JSON-shaped output: timestamps as epoch-time tags, blobs as byte strings. */
export function forCbor(value: unknown, shape: Shape | undefined): unknown {
  const timed = mapScalars(value, shape, "timestamp", (item) =>
    typeof item === "number" ? new CborTimestamp(item) : item,
  );
  return mapScalars(timed, shape, "blob", (item) =>
    typeof item === "string" ? Buffer.from(item, "base64") : item,
  );
}
