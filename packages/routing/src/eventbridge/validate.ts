import { checkNode, countCombinations, type Dialect, Problems } from "../core/check";
import { isPlainObject, parseDocument, show } from "../core/json";

/**
 * EventBridge event pattern limits.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export const EVENT_PATTERN_LIMITS = {
  /** `$or` may expand to at most this many rule combinations. */
  maxCombinations: 1000,
  /** Event Ruler's numeric range: ±5.0e9 with six decimal places. */
  numericBound: 5e9,
  numericDecimals: 6,
} as const;

const DIALECT: Dialect = {
  label: "Event pattern",
  allowNesting: true,
  nestingHint: "",
  affixIgnoreCase: true,
  anythingButOperators: ["prefix", "suffix", "equals-ignore-case", "wildcard"],
  anythingButLists: true,
  numeric: { bound: EVENT_PATTERN_LIMITS.numericBound, decimals: EVENT_PATTERN_LIMITS.numericDecimals },
};

/**
 * Lists the reasons EventBridge would refuse this event pattern (PutRule / TestEventPattern,
 * InvalidEventPatternException), one sentence each; [] when it would accept it. The pattern is a JSON string (as
 * Pulumi's `eventPattern` takes it) or an object. Checks: valid JSON object; every leaf is a non-empty list of
 * match values; known, case-sensitive operators with arguments of the right type (anything-but with prefix,
 * suffix, equals-ignore-case or wildcard; prefix/suffix with equals-ignore-case; wildcard escapes and consecutive
 * `*`); numeric operands within ±5e9; `$or` expanding to at most 1000 combinations.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function validateEventPattern(pattern: unknown): string[] {
  const problems = new Problems("Event pattern");
  const parsed = parseDocument(pattern);
  if (!parsed.ok) {
    problems.overall(`is not valid JSON (${parsed.error.replace(/\.$/, "")})`);
    return problems.sentences;
  }
  const document = parsed.value;
  if (!isPlainObject(document)) {
    problems.overall(`must be a JSON object such as {"source": ["my.app"]} (got ${show(document)})`);
    return problems.sentences;
  }
  const combinations = countCombinations(document, () => 1);
  if (combinations > EVENT_PATTERN_LIMITS.maxCombinations) {
    problems.overall(
      `expands to ${combinations} $or combinations; AWS allows at most ${EVENT_PATTERN_LIMITS.maxCombinations}`,
    );
  }
  checkNode(document, "", DIALECT, problems);
  return problems.sentences;
}
