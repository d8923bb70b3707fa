import { isPlainObject } from "./json";
import {
  compileFieldMatch,
  type FieldMatch,
  OPERATOR_NAMES,
  type PresenceTest,
  UninterpretableRuleError,
} from "./operators";

/** One key of a policy or pattern, flattened to its dot-joined path as Event Ruler does. */
export interface FieldSpec {
  readonly path: string;
  readonly match: FieldMatch;
}

/** A conjunction of fields; a rule with `$or` expands to several branches, any of which may match. */
export type Branch = readonly FieldSpec[];

export interface CompiledRule {
  readonly branches: readonly Branch[];
  /** Every path a field tests: only leaves under these paths are collected from a message. */
  readonly paths: ReadonlySet<string>;
  /** Every dot-boundary prefix of those paths: parts of a message outside them are never visited. */
  readonly prefixes: ReadonlySet<string>;
}

/** Far above what AWS accepts (150 for SNS, 1000 for EventBridge); only guards against runaway `$or` nesting. */
const MAX_BRANCHES = 10_000;

/**
 * `$or` is an OR only when its value is an array of at least two objects and none of those objects uses an
 * operator name as a key; otherwise it is an ordinary field called "$or".
 * https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html#or-operator
 */
export function isOrClause(key: string, value: unknown): value is Record<string, unknown>[] {
  return (
    key === "$or" &&
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((item) => isPlainObject(item) && !Object.keys(item).some((name) => OPERATOR_NAMES.has(name)))
  );
}

export function joinPath(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

export interface RuleOptions {
  /** SNS MessageAttributes scope accepts no nested keys. */
  readonly allowNesting: boolean;
  readonly isPresent: PresenceTest;
}

function expand(
  node: Record<string, unknown>,
  parent: string,
  branches: Branch[],
  options: RuleOptions,
): Branch[] {
  let current = branches;
  for (const [key, value] of Object.entries(node)) {
    if (isOrClause(key, value)) {
      const next: Branch[] = [];
      for (const alternative of value) next.push(...expand(alternative, parent, current, options));
      if (next.length > MAX_BRANCHES) throw new UninterpretableRuleError("too many $or combinations");
      current = next;
      continue;
    }
    const path = joinPath(parent, key);
    if (isPlainObject(value)) {
      if (!options.allowNesting) throw new UninterpretableRuleError(`nested key ${path}`);
      current = expand(value, path, current, options);
    } else if (Array.isArray(value)) {
      const field: FieldSpec = { path, match: compileFieldMatch(value, options.isPresent) };
      current = current.map((branch) => [...branch, field]);
    } else {
      throw new UninterpretableRuleError(`${path} must be an object or an array`);
    }
  }
  return current;
}

/** Compiles a parsed policy or pattern; throws UninterpretableRuleError when its meaning cannot be determined. */
export function compileRule(document: Record<string, unknown>, options: RuleOptions): CompiledRule {
  const branches = expand(document, "", [[]], options);
  const paths = new Set<string>();
  const prefixes = new Set<string>();
  for (const branch of branches) {
    for (const { path } of branch) {
      paths.add(path);
      for (let dot = path.indexOf("."); dot !== -1; dot = path.indexOf(".", dot + 1))
        prefixes.add(path.slice(0, dot));
      prefixes.add(path);
    }
  }
  return { branches, paths, prefixes };
}
