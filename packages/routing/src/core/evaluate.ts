import { isPlainObject, isScalar, type JsonScalar } from "./json";
import type { PresenceTest } from "./operators";
import type { Branch, CompiledRule } from "./rule";

/**
 * A scalar found in a message, with the arrays it sits in: pairs of (array id, element index). Event Ruler only
 * accepts a match whose fields come from the same element of any array they share ("array-consistent" matching).
 * https://github.com/aws/event-ruler#json-array-matching
 */
interface Leaf {
  readonly value: JsonScalar;
  readonly trail: readonly number[];
}

type Leaves = ReadonlyMap<string, readonly Leaf[]>;

const NO_LEAVES: readonly Leaf[] = [];
const ROOT_TRAIL: readonly number[] = [];

/**
 * Collects the leaves under the rule's paths. Keys are joined with "." as Event Ruler does, so
 * {"a": {"b": 1}} and {"a.b": 1} are the same field; arrays are crossed transparently.
 */
function collectLeaves(message: Record<string, unknown>, rule: CompiledRule): Leaves {
  const leaves = new Map<string, Leaf[]>();
  let nextArrayId = 0;
  const visit = (value: unknown, path: string, trail: readonly number[]): void => {
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      for (let index = 0; index < value.length; index++) visit(value[index], path, [...trail, id, index]);
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        const child = path === "" ? key : `${path}.${key}`;
        if (rule.prefixes.has(child)) visit(value[key], child, trail);
      }
    } else if (rule.paths.has(path) && isScalar(value)) {
      const list = leaves.get(path);
      if (list) list.push({ value, trail });
      else leaves.set(path, [{ value, trail }]);
    }
  };
  visit(message, "", ROOT_TRAIL);
  return leaves;
}

/** Picks one leaf per field so that no two come from different elements of the same array. */
function consistentChoice(fields: (readonly Leaf[])[]): boolean {
  if (fields.length < 2) return true;
  fields.sort((a, b) => a.length - b.length);
  const chosen = new Map<number, number>();
  const pick = (fieldIndex: number): boolean => {
    const candidates = fields[fieldIndex];
    if (candidates === undefined) return true;
    for (const leaf of candidates) {
      const added: number[] = [];
      let consistent = true;
      for (let i = 0; i < leaf.trail.length; i += 2) {
        const arrayId = leaf.trail[i] as number;
        const index = leaf.trail[i + 1] as number;
        const current = chosen.get(arrayId);
        if (current === undefined) {
          chosen.set(arrayId, index);
          added.push(arrayId);
        } else if (current !== index) {
          consistent = false;
          break;
        }
      }
      if (consistent && pick(fieldIndex + 1)) return true;
      for (const arrayId of added) chosen.delete(arrayId);
    }
    return false;
  };
  return pick(0);
}

function branchMatches(branch: Branch, leaves: Leaves, isPresent: PresenceTest): boolean {
  const constrained: (readonly Leaf[])[] = [];
  for (const { path, match } of branch) {
    const found = leaves.get(path) ?? NO_LEAVES;
    const hits = found.filter((leaf) => match.tests.some((test) => test(leaf.value)));
    if (hits.length === 0) {
      if (match.matchesAbsence && !found.some((leaf) => isPresent(leaf.value))) continue;
      return false;
    }
    // A hit outside every array cannot conflict with any other field.
    if (!hits.some((leaf) => leaf.trail.length === 0)) constrained.push(hits);
  }
  return consistentChoice(constrained);
}

/** Evaluates a compiled rule against a JSON object (an event, a message body, or attributes as JSON). */
export function evaluateRule(
  rule: CompiledRule,
  message: Record<string, unknown>,
  isPresent: PresenceTest,
): boolean {
  const leaves = collectLeaves(message, rule);
  return rule.branches.some((branch) => branchMatches(branch, leaves, isPresent));
}
