import { ValidationError } from "@switchyard/runtime-kit";
import { describe, expect, it } from "vitest";
import { ContractsError, contractsError, parseOrderEvent } from "../src/index";

const errorOf = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
};

describe("ContractsError", () => {
  it("is the base of a contract's refusal, which keeps its runtime-kit class for batch classification", () => {
    const error = errorOf(() => parseOrderEvent({ orderId: 42 }));
    expect(error).toBeInstanceOf(ContractsError);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/order event is invalid: .*orderId/);
  });

  it("counts only errors the package marked or built, and keeps subclasses' own instanceof", () => {
    class NarrowError extends ContractsError {}
    expect(new ValidationError([{ path: "x", message: "bad" }])).not.toBeInstanceOf(ContractsError);
    expect(contractsError(new Error("refused"))).toBeInstanceOf(ContractsError);
    expect(new NarrowError("narrow")).toBeInstanceOf(ContractsError);
    expect(new ContractsError("plain")).not.toBeInstanceOf(NarrowError);
    expect(new Error("foreign")).not.toBeInstanceOf(ContractsError);
  });
});
