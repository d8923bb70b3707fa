import { resolve } from "node:path";
import { type SynthResult, synthesize } from "@switchyard/infra/synth";

export const ROOT = resolve(import.meta.dirname, "..");
export const STACKS = ["dev", "staging", "prod"] as const;

const cache = new Map<string, Promise<SynthResult>>();

/** Each committed stack synthesized once per test file (synthesis is deterministic). */
export function synthStack(stack: (typeof STACKS)[number]): Promise<SynthResult> {
  let result = cache.get(stack);
  if (!result) {
    result = synthesize({ stack, root: ROOT });
    cache.set(stack, result);
  }
  return result;
}
