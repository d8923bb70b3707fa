/** A compiled filter policy or event pattern: call it once per message. */
export type Predicate = (input: unknown) => boolean;

/** Text policies repeat (every subscription of a stack); bounded so a long-lived local cloud cannot grow it forever. */
const MAX_TEXT_ENTRIES = 1_000;

/**
 * Memoizes compilation so callers that pass the raw policy on every message (matchesFilterPolicy,
 * matchesEventPattern) do not parse and compile it each time. Objects are keyed by identity and must not be
 * mutated after first use.
 */
export function compileCache(compile: (document: unknown) => Predicate): (document: unknown) => Predicate {
  const byText = new Map<string, Predicate>();
  const byObject = new WeakMap<object, Predicate>();
  return (document) => {
    if (typeof document === "string") {
      let predicate = byText.get(document);
      if (!predicate) {
        if (byText.size >= MAX_TEXT_ENTRIES) byText.clear();
        predicate = compile(document);
        byText.set(document, predicate);
      }
      return predicate;
    }
    if (typeof document === "object" && document !== null) {
      let predicate = byObject.get(document);
      if (!predicate) {
        predicate = compile(document);
        byObject.set(document, predicate);
      }
      return predicate;
    }
    return compile(document);
  };
}

export const NEVER: Predicate = () => false;
