import { Buffer } from "node:buffer";
import { checkNode, countCombinations, type Dialect, Problems, topLevelKeysPerBranch } from "../core/check";
import { isPlainObject, parseDocument, show } from "../core/json";
import type { FilterPolicyScope } from "./match";

/**
 * SNS filter policy limits.
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */
export const FILTER_POLICY_LIMITS = {
  maxKeys: 5,
  maxCombinations: 150,
  maxBytes: 256 * 1024,
  numericBound: 1e9,
  numericDecimals: 5,
} as const;

const SCOPES: readonly unknown[] = ["MessageAttributes", "MessageBody"];

function dialectFor(scope: FilterPolicyScope): Dialect {
  return {
    label: "Filter policy",
    allowNesting: scope === "MessageBody",
    nestingHint:
      "in the MessageAttributes scope; set FilterPolicyScope to MessageBody to filter on nested properties",
    // SNS documents neither prefix/suffix with equals-ignore-case nor anything-but with equals-ignore-case or lists.
    affixIgnoreCase: false,
    anythingButOperators: ["prefix", "suffix", "wildcard"],
    anythingButLists: false,
    numeric: { bound: FILTER_POLICY_LIMITS.numericBound, decimals: FILTER_POLICY_LIMITS.numericDecimals },
  };
}

/**
 * Lists the reasons SNS would refuse this filter policy (SetSubscriptionAttributes / Subscribe), one sentence each;
 * [] when SNS would accept it. The policy is a JSON string (as Pulumi's `filterPolicy` takes it) or an object.
 * Checks: valid JSON object; at most 5 keys (per `$or` alternative); at most 150 value combinations, counted as
 * AWS does (values multiplied across keys, each list weighted by its nesting level, `$or` alternatives summed);
 * no nesting in the MessageAttributes scope; known, case-sensitive operators with arguments of the right type;
 * numeric operands within ±1,000,000,000 with at most 5 decimals; at most 256 KB.
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 * https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
 */
export function validateFilterPolicy(
  policy: unknown,
  scope: FilterPolicyScope = "MessageAttributes",
): string[] {
  const problems = new Problems("Filter policy");
  if (!SCOPES.includes(scope)) {
    problems.overall(`scope ${show(scope)} is not valid; use "MessageAttributes" or "MessageBody"`);
    return problems.sentences;
  }
  const parsed = parseDocument(policy);
  if (!parsed.ok) {
    problems.overall(`is not valid JSON (${parsed.error.replace(/\.$/, "")})`);
    return problems.sentences;
  }
  const document = parsed.value;
  if (!isPlainObject(document)) {
    problems.overall(
      `must be a JSON object such as {"eventType": ["ORDER_CREATED"]} (got ${show(document)})`,
    );
    return problems.sentences;
  }
  const bytes = Buffer.byteLength(typeof policy === "string" ? policy : JSON.stringify(document));
  if (bytes > FILTER_POLICY_LIMITS.maxBytes) {
    problems.overall(`is ${bytes} bytes; AWS allows at most ${FILTER_POLICY_LIMITS.maxBytes} bytes (256 KB)`);
  }

  const combinations = countCombinations(document, (values, depth) => values * depth);
  if (combinations > FILTER_POLICY_LIMITS.maxCombinations) {
    problems.overall(
      `has ${combinations} value combinations (values multiplied across keys, nested lists weighted by depth, $or alternatives summed); AWS allows at most ${FILTER_POLICY_LIMITS.maxCombinations}`,
    );
  } else {
    for (const keys of topLevelKeysPerBranch(document)) {
      if (keys.size > FILTER_POLICY_LIMITS.maxKeys) {
        problems.overall(
          `has ${keys.size} keys (${[...keys].join(", ")}); AWS allows at most ${FILTER_POLICY_LIMITS.maxKeys}`,
        );
        break;
      }
    }
  }
  checkNode(document, "", dialectFor(scope), problems);
  return problems.sentences;
}
