import { ipInCidr, parseCidr } from "./cidr";
import { RoutingError } from "./errors";
import { isPlainObject, isScalar, type JsonScalar } from "./json";
import { parseNumeric } from "./numeric";
import { compileWildcard } from "./wildcard";

/** A test on one leaf value of a message or event. */
export type LeafTest = (value: JsonScalar) => boolean;

/** What the array of match values under one key compiles to: the key matches when any of them does. */
export interface FieldMatch {
  readonly tests: readonly LeafTest[];
  /** `{"exists": false}` is in the array: the key also matches when the message has no value under it. */
  readonly matchesAbsence: boolean;
}

/** Thrown while compiling a policy or pattern whose meaning cannot be determined; the matcher then matches nothing. */
export class UninterpretableRuleError extends RoutingError {
  override name = "UninterpretableRuleError";
}

/** How a dialect decides that a leaf "exists" for `{"exists": true}` (SNS and EventBridge differ on null). */
export type PresenceTest = (value: JsonScalar) => boolean;

/** Operator names Event Ruler reserves; an object using one of them is a match expression, not a nested key. */
export const OPERATOR_NAMES: ReadonlySet<string> = new Set([
  "anything-but",
  "cidr",
  "equals-ignore-case",
  "exists",
  "numeric",
  "prefix",
  "suffix",
  "wildcard",
]);

const fold = (text: string): string => text.toLowerCase();

function fail(message: string): never {
  throw new UninterpretableRuleError(message);
}

function stringList(value: unknown, operator: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => typeof item === "string")) fail(`${operator} needs strings`);
  return list as string[];
}

function affixTest(operator: "prefix" | "suffix", argument: unknown): (text: string) => boolean {
  const ignoreCase =
    isPlainObject(argument) && Object.keys(argument).length === 1 && "equals-ignore-case" in argument;
  const raw = ignoreCase ? (argument as Record<string, unknown>)["equals-ignore-case"] : argument;
  if (typeof raw !== "string") fail(`${operator} needs a string`);
  const needle = ignoreCase ? fold(raw) : raw;
  if (operator === "prefix") {
    return ignoreCase ? (text) => fold(text).startsWith(needle) : (text) => text.startsWith(needle);
  }
  return ignoreCase ? (text) => fold(text).endsWith(needle) : (text) => text.endsWith(needle);
}

/** A string test used inside `anything-but`; any value that is not a string passes `anything-but`. */
function anythingButStringTest(operator: string, argument: unknown): (text: string) => boolean {
  const values = stringList(argument, operator);
  switch (operator) {
    case "prefix":
      return (text) => values.some((value) => text.startsWith(value));
    case "suffix":
      return (text) => values.some((value) => text.endsWith(value));
    case "equals-ignore-case": {
      const folded = new Set(values.map(fold));
      return (text) => folded.has(fold(text));
    }
    case "wildcard": {
      const patterns = values.map(compileWildcard);
      return (text) => patterns.some((matches) => matches(text));
    }
    default:
      return fail(`anything-but does not take ${operator}`);
  }
}

function anythingBut(argument: unknown): LeafTest {
  if (isPlainObject(argument)) {
    const entries = Object.entries(argument);
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined) fail("anything-but takes one operator");
    const excluded = anythingButStringTest(entry[0], entry[1]);
    return (value) => typeof value !== "string" || !excluded(value);
  }
  const list = Array.isArray(argument) ? argument : [argument];
  if (list.length === 0 || !list.every(isScalar)) fail("anything-but needs strings or numbers");
  const excluded = new Set<unknown>(list);
  return (value) => !excluded.has(value);
}

function operatorTest(operator: string, argument: unknown, isPresent: PresenceTest): LeafTest | "absent" {
  switch (operator) {
    case "prefix":
    case "suffix": {
      const test = affixTest(operator, argument);
      return (value) => typeof value === "string" && test(value);
    }
    case "equals-ignore-case": {
      if (typeof argument !== "string") fail("equals-ignore-case needs a string");
      const folded = fold(argument);
      return (value) => typeof value === "string" && fold(value) === folded;
    }
    case "anything-but":
      return anythingBut(argument);
    case "numeric": {
      const condition = parseNumeric(argument);
      if (typeof condition === "string") fail(condition);
      return (value) => typeof value === "number" && condition.test(value);
    }
    case "cidr": {
      const block = typeof argument === "string" ? parseCidr(argument) : "cidr needs a string";
      if (typeof block === "string") fail(block);
      return (value) => typeof value === "string" && ipInCidr(block, value);
    }
    case "wildcard": {
      if (typeof argument !== "string") fail("wildcard needs a string");
      const matches = compileWildcard(argument);
      return (value) => typeof value === "string" && matches(value);
    }
    case "exists":
      if (typeof argument !== "boolean") fail("exists needs true or false");
      return argument ? isPresent : "absent";
    default:
      return fail(`unknown operator ${operator}`);
  }
}

/**
 * Compiles the array of match values under one key. Exact values compare with their JSON type: the string "5"
 * does not match the number 5, and 300 matches 300.0 (both parse to the same number).
 */
export function compileFieldMatch(values: readonly unknown[], isPresent: PresenceTest): FieldMatch {
  if (values.length === 0) fail("empty array");
  const tests: LeafTest[] = [];
  let matchesAbsence = false;
  for (const value of values) {
    if (isScalar(value)) {
      tests.push((leaf) => leaf === value);
      continue;
    }
    if (!isPlainObject(value)) fail("match values must be scalars or operator objects");
    const entries = Object.entries(value);
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined) fail("an operator object has exactly one key");
    const test = operatorTest(entry[0], entry[1], isPresent);
    if (test === "absent") matchesAbsence = true;
    else tests.push(test);
  }
  return { tests, matchesAbsence };
}
