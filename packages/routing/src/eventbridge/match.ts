import { compileCache, NEVER, type Predicate } from "../core/cache";
import { evaluateRule } from "../core/evaluate";
import { isPlainObject, parseDocument, toJsonObject } from "../core/json";
import { UninterpretableRuleError } from "../core/operators";
import { compileRule } from "../core/rule";

/**
 * Event Ruler treats any leaf, null included, as present; only a missing key, an empty array or an object
 * (an intermediate node) is absent.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-exists-matching
 */
const eventBridgePresence = (): boolean => true;

function compile(pattern: unknown): Predicate {
  const parsed = parseDocument(pattern);
  if (!parsed.ok || !isPlainObject(parsed.value)) return NEVER;
  try {
    const rule = compileRule(parsed.value, { allowNesting: true, isPresent: eventBridgePresence });
    return (event) => {
      const message = toJsonObject(event);
      return message !== undefined && evaluateRule(rule, message, eventBridgePresence);
    };
  } catch (error) {
    if (error instanceof UninterpretableRuleError) return NEVER;
    throw error;
  }
}

const cached = compileCache(compile);

/**
 * Compiles an EventBridge event pattern (a JSON string or an object) into a predicate over one event. The event
 * is an object, or JSON text of one as TestEventPattern takes it; anything else never matches. A pattern that is
 * not a JSON object, or whose operators cannot be interpreted, matches nothing; use validateEventPattern to
 * learn why. Never throws.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export function compileEventPattern(pattern: unknown): Predicate {
  return cached(pattern);
}

/**
 * Whether an EventBridge rule with this pattern matches the event: every field the pattern names must be present
 * with the same nesting and match one of the listed values; an array in the event matches when any element does.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return cached(pattern)(event);
}
