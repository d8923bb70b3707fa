/**
 * `wildcard` matching as Event Ruler (the engine behind EventBridge rules and SNS filter policies) defines it:
 * `*` stands for any run of characters, including none; `\*` is a literal `*` and `\\` a literal `\`; any other
 * escape and two consecutive `*` are rejected.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
 */

/**
 * AWS rejects wildcard patterns it judges too complex; the exact scoring is not published. Six wildcards in one
 * value are rejected on AWS (`*:*:*:*:*:event-bus/*`), so more than five is treated as too complex.
 */
export const MAX_WILDCARDS = 5;

const STAR = null;
type Token = string | typeof STAR;

/** Returns the rule a wildcard pattern breaks, as a phrase, or undefined when AWS accepts it. */
export function wildcardProblem(pattern: string): string | undefined {
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") {
      const next = pattern[i + 1];
      if (next !== "*" && next !== "\\") {
        return `wildcard pattern ${JSON.stringify(pattern)} uses "\\" before a character other than "*" or "\\"`;
      }
      i++;
    } else if (char === "*") {
      if (pattern[i + 1] === "*") {
        return `wildcard pattern ${JSON.stringify(pattern)} has two consecutive "*" characters`;
      }
      stars++;
    }
  }
  if (stars > MAX_WILDCARDS) {
    return `wildcard pattern ${JSON.stringify(pattern)} has ${stars} "*" characters, more than the ${MAX_WILDCARDS} AWS accepts before calling a rule too complex`;
  }
  return undefined;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "\\" && (pattern[i + 1] === "*" || pattern[i + 1] === "\\")) {
      tokens.push(pattern[i + 1] as string);
      i++;
    } else {
      tokens.push(char === "*" ? STAR : char);
    }
  }
  return tokens;
}

/**
 * Compiles a wildcard pattern to a predicate. Matching backtracks only to the last `*`, so it stays linear-ish in
 * the value length whatever the pattern (no regular expression, no catastrophic backtracking).
 */
export function compileWildcard(pattern: string): (value: string) => boolean {
  const tokens = tokenize(pattern);
  return (value) => {
    let t = 0;
    let v = 0;
    let starAt = -1;
    let resumeAt = 0;
    while (v < value.length) {
      const token = tokens[t];
      if (t < tokens.length && token !== STAR && token === value[v]) {
        t++;
        v++;
      } else if (t < tokens.length && token === STAR) {
        starAt = t++;
        resumeAt = v;
      } else if (starAt >= 0) {
        t = starAt + 1;
        v = ++resumeAt;
      } else {
        return false;
      }
    }
    while (t < tokens.length && tokens[t] === STAR) t++;
    return t === tokens.length;
  };
}
