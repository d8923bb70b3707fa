import { LocalServiceError } from "../../types";

/**
 * CloudWatch Logs filter patterns (FilterLogEvents `filterPattern`), as AWS documents them in "Filter pattern
 * syntax for metric filters, subscription filters, filter log events, and Live Tail"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 * - terms: `ERROR timeout` matches events holding every term (case-sensitive); `"exact phrase"` quotes one;
 *   `?ERROR ?WARN` matches events holding any of the `?` terms; `-term` excludes events holding it;
 * - JSON: `{ $.level = "ERROR" }`, `{ $.latency > 500 }`, `{ ($.a = "x") && ($.b != 2) || $.c IS TRUE }`, with
 *   `=`, `!=`, `<`, `<=`, `>`, `>=`, `*` wildcards in string values, `IS TRUE|FALSE|NULL`, `NOT EXISTS`,
 *   selectors `$.a.b` and `$.list[0]`; an event that is not JSON never matches.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are refused with an error that says so.
 */

export type LogMatcher = (message: string) => boolean;

function invalid(message: string): LocalServiceError {
  return new LocalServiceError("InvalidParameterException", message, 400);
}

/** Compiles a filter pattern. @throws InvalidParameterException for a pattern it cannot read */
export function compileFilterPattern(pattern: string | undefined): LogMatcher {
  const text = (pattern ?? "").trim();
  if (text === "" || text === '""') return () => true;
  if (text.startsWith("{")) return compileJson(text);
  if (text.startsWith("[")) {
    throw invalid(
      `Invalid filter pattern ${text}: space-delimited patterns ([...]) are not supported by the local cloud; use terms or a JSON pattern`,
    );
  }
  return compileTerms(text);
}

/** Splits terms on spaces, keeping quoted phrases (with `\"` escapes) whole. */
function terms(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    let prefix = "";
    if ((text[i] === "?" || text[i] === "-") && text[i + 1] === '"') {
      prefix = text[i] as string;
      i++;
    }
    if (text[i] === '"') {
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== '"') throw invalid(`Invalid filter pattern: unterminated quote in ${text}`);
      i++;
      out.push(`${prefix}\u0000${value}`);
      continue;
    }
    let value = "";
    while (i < text.length && text[i] !== " " && text[i] !== "\t") value += text[i++];
    out.push(value);
  }
  return out;
}

function compileTerms(text: string): LogMatcher {
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const raw of terms(text)) {
    const quoted = raw.includes("\u0000");
    const [sign, value] = quoted
      ? [raw.slice(0, raw.indexOf("\u0000")), raw.slice(raw.indexOf("\u0000") + 1)]
      : raw.startsWith("?") || raw.startsWith("-")
        ? [raw[0] as string, raw.slice(1)]
        : ["", raw];
    if (value === "") continue;
    if (sign === "?") any.push(value);
    else if (sign === "-") none.push(value);
    else all.push(value);
  }
  return (message) =>
    all.every((term) => message.includes(term)) &&
    (any.length === 0 || any.some((term) => message.includes(term))) &&
    !none.some((term) => message.includes(term));
}

// ---- JSON patterns ---------------------------------------------------------------------------------------

type Token =
  | { kind: "(" | ")" | "&&" | "||" }
  | { kind: "selector"; path: Array<string | number> }
  | { kind: "op"; op: "=" | "!=" | "<" | "<=" | ">" | ">=" }
  | { kind: "string"; value: string }
  | { kind: "word"; value: string };

function tokenize(body: string, pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === " " || c === "\t" || c === "\n") {
      i++;
    } else if (c === "(" || c === ")") {
      tokens.push({ kind: c });
      i++;
    } else if (body.startsWith("&&", i) || body.startsWith("||", i)) {
      tokens.push({ kind: body.slice(i, i + 2) as "&&" | "||" });
      i += 2;
    } else if (c === "$") {
      let j = i + 1;
      const path: Array<string | number> = [];
      while (j < body.length && (body[j] === "." || body[j] === "[")) {
        if (body[j] === ".") {
          let name = "";
          j++;
          while (j < body.length && /[A-Za-z0-9_\-@$]/.test(body[j] as string)) name += body[j++];
          if (name === "") throw invalid(`Invalid filter pattern ${pattern}: empty selector`);
          path.push(name);
        } else {
          const close = body.indexOf("]", j);
          if (close < 0) throw invalid(`Invalid filter pattern ${pattern}: unclosed [ in selector`);
          const index = Number(body.slice(j + 1, close));
          if (!Number.isInteger(index)) throw invalid(`Invalid filter pattern ${pattern}: bad index`);
          path.push(index);
          j = close + 1;
        }
      }
      tokens.push({ kind: "selector", path });
      i = j;
    } else if (c === "!" || c === "=" || c === "<" || c === ">") {
      const two = body.slice(i, i + 2);
      if (two === "!=" || two === "<=" || two === ">=") {
        tokens.push({ kind: "op", op: two });
        i += 2;
      } else if (c === "!") {
        throw invalid(`Invalid filter pattern ${pattern}: unexpected !`);
      } else {
        tokens.push({ kind: "op", op: c as "=" | "<" | ">" });
        i++;
      }
    } else if (c === '"') {
      let value = "";
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === "\\" && i + 1 < body.length) i++;
        value += body[i++];
      }
      if (body[i] !== '"') throw invalid(`Invalid filter pattern ${pattern}: unterminated quote`);
      i++;
      tokens.push({ kind: "string", value });
    } else {
      let value = "";
      while (i < body.length && !/[\s()&|=<>!"]/.test(body[i] as string)) value += body[i++];
      if (value === "") throw invalid(`Invalid filter pattern ${pattern}: unexpected ${c}`);
      tokens.push({ kind: "word", value });
    }
  }
  return tokens;
}

type Predicate = (document: unknown) => boolean;

function select(document: unknown, path: Array<string | number>): { found: boolean; value: unknown } {
  let current = document;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(current) || key >= current.length) return { found: false, value: undefined };
      current = current[key];
    } else {
      if (!current || typeof current !== "object" || Array.isArray(current) || !(key in current))
        return { found: false, value: undefined };
      current = (current as Record<string, unknown>)[key];
    }
  }
  return { found: true, value: current };
}

function wildcard(value: string): RegExp {
  const escaped = value.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "s");
}

function compileJson(pattern: string): LogMatcher {
  if (!pattern.endsWith("}")) throw invalid(`Invalid filter pattern ${pattern}: a JSON pattern ends with }`);
  const tokens = tokenize(pattern.slice(1, -1), pattern);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];

  const comparison = (): Predicate => {
    const token = next();
    if (token?.kind === "(") {
      const inner = or();
      if (next()?.kind !== ")") throw invalid(`Invalid filter pattern ${pattern}: missing )`);
      return inner;
    }
    if (token?.kind !== "selector")
      throw invalid(`Invalid filter pattern ${pattern}: expected a $. selector`);
    const { path } = token;
    const following = next();
    if (following?.kind === "word" && following.value.toUpperCase() === "IS") {
      const what = next();
      const word = what?.kind === "word" ? what.value.toUpperCase() : "";
      if (word === "TRUE" || word === "FALSE") {
        const expected = word === "TRUE";
        return (doc) => select(doc, path).value === expected;
      }
      if (word === "NULL") return (doc) => select(doc, path).value === null;
      throw invalid(`Invalid filter pattern ${pattern}: IS takes TRUE, FALSE or NULL`);
    }
    if (following?.kind === "word" && following.value.toUpperCase() === "NOT") {
      const what = next();
      if (what?.kind !== "word" || what.value.toUpperCase() !== "EXISTS")
        throw invalid(`Invalid filter pattern ${pattern}: expected NOT EXISTS`);
      return (doc) => !select(doc, path).found;
    }
    if (following?.kind !== "op") throw invalid(`Invalid filter pattern ${pattern}: expected an operator`);
    const { op } = following;
    const operand = next();
    if (operand?.kind !== "string" && operand?.kind !== "word")
      throw invalid(`Invalid filter pattern ${pattern}: expected a value after ${op}`);
    const numeric = operand.kind === "word" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(operand.value);
    if (numeric) {
      const expected = Number(operand.value);
      return (doc) => {
        const { value } = select(doc, path);
        if (typeof value !== "number") return false;
        switch (op) {
          case "=":
            return value === expected;
          case "!=":
            return value !== expected;
          case "<":
            return value < expected;
          case "<=":
            return value <= expected;
          case ">":
            return value > expected;
          case ">=":
            return value >= expected;
        }
      };
    }
    if (op !== "=" && op !== "!=")
      throw invalid(`Invalid filter pattern ${pattern}: ${op} compares numbers, not strings`);
    const matcher = wildcard(operand.value);
    return (doc) => {
      const { found, value } = select(doc, path);
      if (!found || value === null || typeof value === "object") return op === "!=" && found;
      const matches = matcher.test(String(value));
      return op === "=" ? matches : !matches;
    };
  };

  const and = (): Predicate => {
    let left = comparison();
    while (peek()?.kind === "&&") {
      next();
      const right = comparison();
      const l = left;
      left = (doc) => l(doc) && right(doc);
    }
    return left;
  };

  const or = (): Predicate => {
    let left = and();
    while (peek()?.kind === "||") {
      next();
      const right = and();
      const l = left;
      left = (doc) => l(doc) || right(doc);
    }
    return left;
  };

  const predicate = or();
  if (at !== tokens.length)
    throw invalid(`Invalid filter pattern ${pattern}: unexpected text after the condition`);
  return (message) => {
    const start = message.indexOf("{");
    if (start < 0) return false;
    let document: unknown;
    try {
      document = JSON.parse(message.slice(start));
    } catch {
      return false;
    }
    return predicate(document);
  };
}
