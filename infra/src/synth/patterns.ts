/**
 * Compact, human-readable summaries of SNS filter policies and EventBridge event patterns (they share
 * their matching syntax): one line per field, e.g. `eventType: ORDER_CREATED, ORDER_CANCELLED`,
 * `orderValue > 1000`, `detail.customer.tier: gold*`.
 */

const MAX_LINE = 80;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.map(scalar).join(", ") : scalar(value);
}

function truncate(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}

/** Parses a JSON string; returns objects as they are and undefined for anything unparsable. */
export function parseJsonish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

interface Piece {
  text: string;
  /** Reads as `field <text>` (`> 5`, `not A`, `exists`) rather than as a value (`A`, `ORD*`). */
  operator: boolean;
}

function matcher(m: Record<string, unknown>): Piece {
  const [kind, arg] = Object.entries(m)[0] ?? ["", undefined];
  switch (kind) {
    case "numeric": {
      const parts = Array.isArray(arg) ? arg : [];
      const conditions: string[] = [];
      for (let i = 0; i + 1 < parts.length; i += 2)
        conditions.push(`${scalar(parts[i])} ${scalar(parts[i + 1])}`);
      return { text: conditions.join(" and "), operator: true };
    }
    case "prefix":
      return isRecord(arg)
        ? { text: `${list(arg["equals-ignore-case"])}* (any case)`, operator: false }
        : { text: `${scalar(arg)}*`, operator: false };
    case "suffix":
      return isRecord(arg)
        ? { text: `*${list(arg["equals-ignore-case"])} (any case)`, operator: false }
        : { text: `*${scalar(arg)}`, operator: false };
    case "anything-but": {
      if (isRecord(arg)) {
        const inner = matcher(arg);
        return { text: `not ${inner.text}`, operator: true };
      }
      return { text: `not ${list(arg)}`, operator: true };
    }
    case "exists":
      return { text: arg === false ? "absent" : "exists", operator: true };
    case "equals-ignore-case":
      return { text: `${scalar(arg)} (any case)`, operator: false };
    case "wildcard":
      return { text: scalar(arg), operator: false };
    case "cidr":
      return { text: `in ${scalar(arg)}`, operator: true };
    default:
      return { text: JSON.stringify(m), operator: false };
  }
}

function field(name: string, values: unknown[]): string {
  const plain: string[] = [];
  const pieces: Piece[] = [];
  for (const value of values) {
    if (isRecord(value)) pieces.push(matcher(value));
    else plain.push(scalar(value));
  }
  const [only] = pieces;
  if (plain.length === 0 && pieces.length === 1 && only?.operator) return `${name} ${only.text}`;
  return `${name}: ${[...plain, ...pieces.map((piece) => piece.text)].join(", ")}`;
}

function walk(pattern: unknown, prefix: string, lines: string[]): void {
  if (!isRecord(pattern)) return;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === "$or" && Array.isArray(value)) {
      const alternatives = value
        .map((alternative) => {
          const inner: string[] = [];
          walk(alternative, prefix, inner);
          return inner.join("; ");
        })
        .filter((text) => text.length > 0);
      if (alternatives.length > 0) lines.push(alternatives.map((text) => `(${text})`).join(" or "));
      continue;
    }
    const name = `${prefix}${key}`;
    if (Array.isArray(value)) lines.push(field(name, value));
    else if (isRecord(value)) walk(value, `${name}.`, lines);
    else lines.push(`${name}: ${scalar(value)}`);
  }
}

/**
 * One line per matched field of a filter policy / event pattern (object or JSON string). Empty when
 * the pattern matches everything (absent, `{}` or unparsable).
 */
export function summarizePattern(pattern: unknown): string[] {
  const lines: string[] = [];
  walk(parseJsonish(pattern), "", lines);
  return lines.map(truncate);
}
