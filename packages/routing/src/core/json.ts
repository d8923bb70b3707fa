/** A JSON value that a filter policy or event pattern compares against: never an object or an array. */
export type JsonScalar = string | number | boolean | null;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isScalar(value: unknown): value is JsonScalar {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

export type ParsedDocument = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Policies and patterns reach us either as the JSON text AWS stores (Pulumi passes `filterPolicy` and
 * `eventPattern` as strings) or as an object a program built; both mean the same document.
 */
export function parseDocument(input: unknown): ParsedDocument {
  if (typeof input !== "string") return { ok: true, value: input };
  try {
    return { ok: true, value: JSON.parse(input) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Parses `input` when it is JSON text; returns the object, or undefined when it is not a JSON object. */
export function toJsonObject(input: unknown): Record<string, unknown> | undefined {
  const parsed = parseDocument(input);
  return parsed.ok && isPlainObject(parsed.value) ? parsed.value : undefined;
}

/** Short, readable rendering of a number for error sentences: 2000000000 reads as 2e9. */
export function formatNumber(value: number): string {
  const plain = String(value);
  const exponent = value.toExponential().replace("e+", "e");
  return exponent.length < plain.length ? exponent : plain;
}

/** Renders a policy value inside an error sentence. */
export function show(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
