const CONTRACTS_ERROR: unique symbol = Symbol.for("@switchyard/contracts:error");

/**
 * Base class of every error this package throws. The package's refusals keep their runtime-kit class too
 * (`ValidationError`, `PermanentError`, `TransientError`), because `processSqsBatch` and `classifyError` sort
 * failures by that class; they are marked with `contractsError()` and are then also instances of this class:
 * `error instanceof ContractsError` tells a caller the contract (not its own code) refused.
 */
export class ContractsError extends Error {
  override name = "ContractsError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    contractsError(this);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep ordinary `instanceof`; only the base class also accepts marked runtime-kit errors.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof` (maybe a subclass).
    if (this !== ContractsError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && CONTRACTS_ERROR in value;
  }
}

/** Marks an error this package throws as a `ContractsError` (keeping its own class); returns it for `throw`. */
export function contractsError<E extends Error>(error: E): E {
  Object.defineProperty(error, CONTRACTS_ERROR, { value: true });
  return error;
}
