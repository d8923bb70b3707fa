import { compileCache, NEVER, type Predicate } from "../core/cache";
import { evaluateRule } from "../core/evaluate";
import { isPlainObject, type JsonScalar, parseDocument, toJsonObject } from "../core/json";
import { UninterpretableRuleError } from "../core/operators";
import { compileRule } from "../core/rule";
import { attributesToDocument } from "./attributes";

/** Where SNS looks for the values a filter policy names. */
export type FilterPolicyScope = "MessageAttributes" | "MessageBody";

/**
 * `{"exists": true}` in SNS needs "a non-null and non-empty value"; `{"exists": false}` matches when there is none.
 * https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
 */
const snsPresence = (value: JsonScalar): boolean => value !== null && value !== "";

function compile(policy: unknown, scope: FilterPolicyScope): Predicate {
  const parsed = parseDocument(policy);
  if (!parsed.ok || !isPlainObject(parsed.value)) return NEVER;
  let rule: ReturnType<typeof compileRule>;
  try {
    rule = compileRule(parsed.value, { allowNesting: scope === "MessageBody", isPresent: snsPresence });
  } catch (error) {
    if (error instanceof UninterpretableRuleError) return NEVER;
    throw error;
  }
  if (scope === "MessageBody") {
    return (body) => {
      const message = toJsonObject(body);
      return message !== undefined && evaluateRule(rule, message, snsPresence);
    };
  }
  const matchesEverything = rule.paths.size === 0;
  return (attributes) => {
    const message = attributesToDocument(attributes);
    if (message === undefined) return false;
    if (matchesEverything) return true;
    // "An empty set of attributes results in the filter not matching", even for {"exists": false}.
    if (Object.keys(message).length === 0) return false;
    return evaluateRule(rule, message, snsPresence);
  };
}

const cached: Record<FilterPolicyScope, (policy: unknown) => Predicate> = {
  MessageAttributes: compileCache((policy) => compile(policy, "MessageAttributes")),
  MessageBody: compileCache((policy) => compile(policy, "MessageBody")),
};

/**
 * Compiles an SNS subscription filter policy (a JSON string or an object) into a predicate over one message:
 * - scope `MessageAttributes` (default): the input is the Publish `MessageAttributes` map;
 * - scope `MessageBody`: the input is the raw message body; a body that is not a JSON object never matches.
 * A policy that is not a JSON object, or whose operators cannot be interpreted, yields a predicate that matches
 * nothing (AWS would refuse to attach it); use validateFilterPolicy to learn why. Never throws.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html
 */
export function compileFilterPolicy(
  policy: unknown,
  scope: FilterPolicyScope = "MessageAttributes",
): Predicate {
  const compileForScope = cached[scope];
  return compileForScope ? compileForScope(policy) : NEVER;
}

/**
 * Whether SNS would deliver a message to a subscription with this filter policy. Compiled policies are cached, so
 * calling this per message does not re-parse the policy.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html
 */
export function matchesFilterPolicy(
  policy: unknown,
  input: unknown,
  scope: FilterPolicyScope = "MessageAttributes",
): boolean {
  return compileFilterPolicy(policy, scope)(input);
}
