import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../src/config";
import { InfraError } from "../src/errors";
import { loadProgram, loadStackConfig, ProgramLoadError, StackConfigError } from "../src/synth";

const ROOT = resolve(import.meta.dirname, "../..");
const errorOf = async (act: () => unknown): Promise<unknown> => {
  try {
    await act();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
};

describe("InfraError", () => {
  it.each([
    ["bad stack config", () => parseStackConfig({ environment: "qa" }), ConfigError],
    ["a stack without a stack file", () => loadStackConfig("nope", ROOT), StackConfigError],
    ["a program module that is not there", () => loadProgram(resolve(ROOT, "missing.ts")), ProgramLoadError],
  ])("is the base of the error for %s, which keeps its own class", async (_case, act, type) => {
    const error = await errorOf(act);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(InfraError);
  });
});
