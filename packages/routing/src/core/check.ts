import { parseCidr } from "./cidr";
import { isPlainObject, isScalar, show } from "./json";
import { type NumericLimits, numericLimitProblem, parseNumeric } from "./numeric";
import { OPERATOR_NAMES } from "./operators";
import { isOrClause, joinPath } from "./rule";
import { wildcardProblem } from "./wildcard";

/** What a service accepts, where SNS filter policies and EventBridge patterns differ. */
export interface Dialect {
  /** How errors name the document: "Filter policy" or "Event pattern". */
  readonly label: string;
  readonly allowNesting: boolean;
  /** Why nesting is refused, appended to the error when it is. */
  readonly nestingHint: string;
  /** `{"prefix": {"equals-ignore-case": "x"}}` and the suffix form. */
  readonly affixIgnoreCase: boolean;
  /** Operators allowed inside `{"anything-but": {...}}`. */
  readonly anythingButOperators: readonly string[];
  /** Whether those inner operators also take a list of strings. */
  readonly anythingButLists: boolean;
  readonly numeric: NumericLimits;
}

/** Collects error sentences, each naming the key and the rule it breaks. */
export class Problems {
  readonly sentences: string[] = [];

  constructor(private readonly label: string) {}

  atKey(path: string, phrase: string): void {
    this.sentences.push(`${this.label} key "${path}": ${phrase}.`);
  }

  overall(sentence: string): void {
    this.sentences.push(`${this.label} ${sentence}.`);
  }
}

const OPERATOR_LIST = [...OPERATOR_NAMES].join(", ");

interface StringListRule {
  readonly what: string;
  readonly allowList: boolean;
  readonly nonEmpty: boolean;
  readonly each?: (item: string) => string | undefined;
}

function checkStringList(value: unknown, rule: StringListRule): string | undefined {
  const list = rule.allowList && Array.isArray(value) ? value : [value];
  const expected = `${rule.what} must be a ${rule.nonEmpty ? "non-empty " : ""}string${rule.allowList ? " or a list of them" : ""}`;
  if (list.length === 0) return `${expected} (got an empty list)`;
  for (const item of list) {
    if (typeof item !== "string") return `${expected} (got ${show(value)})`;
    if (rule.nonEmpty && item === "") return `${expected} (got "")`;
    const problem = rule.each?.(item);
    if (problem) return problem;
  }
  return undefined;
}

function checkAnythingBut(argument: unknown, dialect: Dialect): string | undefined {
  const inner = dialect.anythingButOperators.join(", ");
  if (typeof argument === "string" || (typeof argument === "number" && Number.isFinite(argument)))
    return undefined;
  if (Array.isArray(argument)) {
    if (argument.length === 0) return "anything-but must not be an empty list";
    const bad = argument.find((item) => typeof item !== "string" && typeof item !== "number");
    return bad === undefined
      ? undefined
      : `anything-but lists may hold only strings and numbers (got ${show(bad)})`;
  }
  if (isPlainObject(argument)) {
    const entries = Object.entries(argument);
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined) {
      return `anything-but takes exactly one of ${inner} (got ${entries.length} keys)`;
    }
    const [operator, value] = entry;
    if (!dialect.anythingButOperators.includes(operator)) {
      return `anything-but does not support "${operator}" here; it supports ${inner}`;
    }
    return checkStringList(value, {
      what: `anything-but ${operator}`,
      allowList: dialect.anythingButLists,
      // AWS refuses an empty prefix or suffix under anything-but ("Null prefix/suffix not allowed").
      nonEmpty: operator === "prefix" || operator === "suffix",
      ...(operator === "wildcard" ? { each: wildcardProblem } : {}),
    });
  }
  return `anything-but takes a string, a number, a list of them, or an object with one of ${inner} (got ${show(argument)})`;
}

function checkAffix(operator: string, argument: unknown, dialect: Dialect): string | undefined {
  if (typeof argument === "string") return undefined;
  if (dialect.affixIgnoreCase) {
    const entries = isPlainObject(argument) ? Object.entries(argument) : [];
    const [entry] = entries;
    if (entries.length === 1 && entry?.[0] === "equals-ignore-case" && typeof entry[1] === "string")
      return undefined;
    return `${operator} must be a string or {"equals-ignore-case": "..."} (got ${show(argument)})`;
  }
  return `${operator} must be a string (got ${show(argument)})`;
}

function checkOperator(operator: string, argument: unknown, dialect: Dialect): string[] {
  switch (operator) {
    case "prefix":
    case "suffix":
      return [checkAffix(operator, argument, dialect)].filter((p) => p !== undefined);
    case "equals-ignore-case":
      return typeof argument === "string"
        ? []
        : [`equals-ignore-case must be a string (got ${show(argument)})`];
    case "anything-but":
      return [checkAnythingBut(argument, dialect)].filter((p) => p !== undefined);
    case "numeric": {
      const condition = parseNumeric(argument);
      if (typeof condition === "string") return [condition];
      return condition.operands
        .map((operand) => numericLimitProblem(operand, dialect.numeric))
        .filter((p) => p !== undefined);
    }
    case "cidr": {
      if (typeof argument !== "string")
        return [`cidr must be a string such as "10.0.0.0/24" (got ${show(argument)})`];
      const block = parseCidr(argument);
      return typeof block === "string" ? [block] : [];
    }
    case "wildcard": {
      if (typeof argument !== "string") return [`wildcard must be a string (got ${show(argument)})`];
      const problem = wildcardProblem(argument);
      return problem ? [problem] : [];
    }
    case "exists":
      return typeof argument === "boolean" ? [] : [`exists must be true or false (got ${show(argument)})`];
    default:
      return [
        `"${operator}" is not an operator AWS recognizes (operators are case-sensitive: ${OPERATOR_LIST})`,
      ];
  }
}

function checkMatchValue(value: unknown, path: string, dialect: Dialect, problems: Problems): void {
  if (isScalar(value)) return;
  if (!isPlainObject(value)) {
    problems.atKey(path, `match values must be strings, numbers, true, false or null, not ${show(value)}`);
    return;
  }
  const operators = Object.keys(value);
  const [operator] = operators;
  if (operators.length !== 1 || operator === undefined) {
    problems.atKey(
      path,
      `a match expression takes exactly one operator (got ${operators.length}: ${show(value)})`,
    );
    return;
  }
  for (const phrase of checkOperator(operator, value[operator], dialect)) problems.atKey(path, phrase);
}

/** Checks every key and match value of a parsed policy or pattern against the dialect's rules. */
export function checkNode(
  node: Record<string, unknown>,
  parent: string,
  dialect: Dialect,
  problems: Problems,
): void {
  for (const [key, value] of Object.entries(node)) {
    if (isOrClause(key, value)) {
      for (const alternative of value) checkNode(alternative, parent, dialect, problems);
      continue;
    }
    const path = joinPath(parent, key);
    if (isPlainObject(value)) {
      if (dialect.allowNesting) checkNode(value, path, dialect, problems);
      else problems.atKey(path, `nested keys are not supported ${dialect.nestingHint}`);
    } else if (Array.isArray(value)) {
      if (value.length === 0) problems.atKey(path, "the list of match values must not be empty");
      for (const item of value) checkMatchValue(item, path, dialect, problems);
    } else {
      const expected = dialect.allowNesting
        ? "a list of match values or an object of nested keys"
        : "a list of match values";
      problems.atKey(path, `value must be ${expected}, such as ["a", "b"] (got ${show(value)})`);
    }
  }
}

/**
 * Counts value combinations: within a branch the weights of its keys multiply; `$or` alternatives add up.
 * `weight` says what one list of match values counts for, given its length and nesting depth (top level = 1).
 */
export function countCombinations(
  node: Record<string, unknown>,
  weight: (values: number, depth: number) => number,
  depth = 1,
): number {
  let total = 1;
  for (const [key, value] of Object.entries(node)) {
    if (isOrClause(key, value)) {
      total *= value.reduce((sum, alternative) => sum + countCombinations(alternative, weight, depth), 0);
    } else if (isPlainObject(value)) {
      total *= countCombinations(value, weight, depth + 1);
    } else if (Array.isArray(value)) {
      total *= weight(value.length, depth);
    }
  }
  return total;
}

/** The top-level key names each `$or` branch ends up with. */
export function topLevelKeysPerBranch(node: Record<string, unknown>): Set<string>[] {
  let branches: Set<string>[] = [new Set()];
  for (const [key, value] of Object.entries(node)) {
    if (isOrClause(key, value)) {
      const alternatives = value.flatMap(topLevelKeysPerBranch);
      branches = branches.flatMap((keys) => alternatives.map((extra) => new Set([...keys, ...extra])));
    } else {
      for (const keys of branches) keys.add(key);
    }
  }
  return branches;
}
