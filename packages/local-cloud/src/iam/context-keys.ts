/**
 * What of a request's context keys an IAM decision can depend on, for the decision cache: a context value enters
 * a decision only through a `Condition` naming its key or a policy variable (`${key}`) naming it, so two
 * requests whose values no policy can tell apart share one decision. Without this, every
 * `dynamodb:LeadingKeys` value (one per item written) was a separate cache entry and a separate evaluation.
 *
 * The index is built from every policy the evaluator can be given (identity and resource policies) and rebuilt
 * whenever a policy changes (the decision cache is dropped at the same moment). For each context key:
 * - named by no policy: its value is irrelevant (only whether it is present, and how many values it has);
 * - named only by string conditions (`StringEquals`, `StringLike` and their `Not`, `IgnoreCase`, `IfExists`,
 *   `ForAllValues:`/`ForAnyValue:` forms) with literal patterns: each value is reduced to how it compares with
 *   each pattern (equal, equal ignoring case, matching the pattern's `*`/`?` wildcards, with `?` as a wildcard
 *   or as a character, case-sensitively or not), which is finer than anything those operators can observe;
 *   values outside printable ASCII keep their text, so no case folding or line-break subtlety of a matcher
 *   can be missed;
 * - named any other way (numeric, date, ARN, Bool, Null or IP conditions, policy variables, patterns with
 *   `${...}`, values that are not strings): the value itself is part of the cache key, as before.
 * A policy whose `Condition` is not the usual object of objects makes every value part of the key.
 */

const STRING_OPERATORS = new Set([
  "stringequals",
  "stringnotequals",
  "stringequalsignorecase",
  "stringnotequalsignorecase",
  "stringlike",
  "stringnotlike",
]);

/** A string condition's pattern, as the matchers it can be compared with. */
interface Pattern {
  text: string;
  lower: string;
  /** `*` any run of characters, `?` any one character. */
  like: RegExp;
  likeIgnoringCase: RegExp;
  /** `*` any run of characters, `?` itself. */
  likeLiteralQuestionMark: RegExp;
  likeLiteralQuestionMarkIgnoringCase: RegExp;
}

interface KeyUse {
  /** The value is part of the decision's cache key as it is. */
  raw: boolean;
  patterns: Map<string, Pattern>;
}

/** Printable ASCII only: the values whose comparisons the pattern bits describe completely. */
const PLAIN = /^[\x20-\x7e]*$/;

function globSource(pattern: string, questionMarkIsWildcard: boolean): string {
  let source = "^";
  for (const character of pattern) {
    if (character === "*") source += ".*";
    else if (character === "?" && questionMarkIsWildcard) source += ".";
    else source += character.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return `${source}$`;
}

function compile(text: string): Pattern {
  const like = globSource(text, true);
  const literal = globSource(text, false);
  return {
    text,
    lower: text.toLowerCase(),
    like: new RegExp(like, "s"),
    likeIgnoringCase: new RegExp(like, "si"),
    likeLiteralQuestionMark: new RegExp(literal, "s"),
    likeLiteralQuestionMarkIgnoringCase: new RegExp(literal, "si"),
  };
}

function statementsOf(document: unknown): unknown[] {
  if (!document || typeof document !== "object") return [];
  const statement = (document as { Statement?: unknown }).Statement;
  if (Array.isArray(statement)) return statement;
  return statement === undefined ? [] : [statement];
}

export class ConditionKeyIndex {
  private readonly keys = new Map<string, KeyUse>();
  /** A policy this index cannot read: every context value is part of the cache key. */
  private opaque = false;

  /** The index of these policy documents. */
  constructor(documents: Iterable<unknown>) {
    for (const document of documents) this.add(document);
  }

  /**
   * The context as a decision's cache key: equal for two contexts the policies cannot tell apart. The key
   * names are kept, values are reduced as described above.
   */
  signature(context: Record<string, string | string[]> | undefined): string {
    if (!context) return "";
    if (this.opaque) return JSON.stringify(context);
    const parts: string[] = [];
    for (const [key, value] of Object.entries(context)) {
      const use = this.keys.get(key.toLowerCase());
      if (!use) {
        parts.push(`${key}:${Array.isArray(value) ? `[${value.length}]` : typeof value}`);
      } else if (use.raw) {
        parts.push(`${key}=${JSON.stringify(value)}`);
      } else {
        const values = Array.isArray(value) ? value : [value];
        const reduced = values.map((item) => this.reduce(item, use));
        parts.push(`${key}~${Array.isArray(value) ? `[${reduced.join(",")}]` : reduced[0]}`);
      }
    }
    return parts.join("\n");
  }

  private reduce(value: unknown, use: KeyUse): string {
    if (typeof value !== "string" || !PLAIN.test(value)) return `=${JSON.stringify(value)}`;
    const lower = value.toLowerCase();
    let bits = "";
    for (const pattern of use.patterns.values()) {
      bits += value === pattern.text ? "1" : "0";
      bits += lower === pattern.lower ? "1" : "0";
      bits += pattern.like.test(value) ? "1" : "0";
      bits += pattern.likeIgnoringCase.test(value) ? "1" : "0";
      bits += pattern.likeLiteralQuestionMark.test(value) ? "1" : "0";
      bits += pattern.likeLiteralQuestionMarkIgnoringCase.test(value) ? "1" : "0";
    }
    return bits;
  }

  private use(key: string): KeyUse {
    const name = key.toLowerCase();
    let use = this.keys.get(name);
    if (!use) {
      use = { raw: false, patterns: new Map() };
      this.keys.set(name, use);
    }
    return use;
  }

  private add(document: unknown): void {
    // Policy variables (`${aws:username}`, `${dynamodb:LeadingKeys}`) may stand anywhere in a statement.
    for (const match of JSON.stringify(document ?? null).matchAll(/\$\{([^}]*)\}/g)) {
      const name = (match[1] ?? "").split(",")[0]?.trim() ?? "";
      if (name !== "") this.use(name).raw = true;
    }
    for (const statement of statementsOf(document)) {
      if (!statement || typeof statement !== "object") continue;
      const condition = (statement as { Condition?: unknown }).Condition;
      if (condition === undefined) continue;
      if (!condition || typeof condition !== "object" || Array.isArray(condition)) {
        this.opaque = true;
        continue;
      }
      for (const [operator, block] of Object.entries(condition)) {
        if (!block || typeof block !== "object" || Array.isArray(block)) {
          this.opaque = true;
          continue;
        }
        const base = operator
          .replace(/^(ForAllValues|ForAnyValue):/i, "")
          .replace(/IfExists$/i, "")
          .toLowerCase();
        for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
          const use = this.use(key);
          const list = Array.isArray(values) ? values : [values];
          if (
            !STRING_OPERATORS.has(base) ||
            !list.every((item) => typeof item === "string" && !item.includes("${"))
          ) {
            use.raw = true;
            continue;
          }
          for (const item of list as string[])
            if (!use.patterns.has(item)) use.patterns.set(item, compile(item));
        }
      }
    }
  }
}
