import { ComponentArgsError } from "./errors";

/**
 * The error an ArgChecker throws: the kit's `ComponentArgsError`, or a service's own args error (a subclass of
 * that service's base error) built with the same arguments, e.g. `OrdersArgsError`.
 */
export type ComponentArgsErrorClass = new (
  component: string,
  instance: string,
  arg: string,
  detail: string,
) => Error;

/**
 * Argument checks for one component instance; each failure throws a `ComponentArgsError`, or `errorClass` when a
 * service passes its own (so a service's refusals are instances of its base error class).
 */
export class ArgChecker {
  constructor(
    readonly component: string,
    readonly instance: string,
    /** @default ComponentArgsError */
    private readonly errorClass: ComponentArgsErrorClass = ComponentArgsError,
  ) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9-]*$/.test(instance)) {
      throw new errorClass(
        component,
        instance,
        "name",
        `must start with a letter or digit and contain only letters, digits and hyphens (got ${JSON.stringify(instance)})`,
      );
    }
  }

  fail(arg: string, detail: string): never {
    throw new this.errorClass(this.component, this.instance, arg, detail);
  }

  /** Refuses a missing required arg (callers typed as JavaScript, or args built from untyped config). */
  required<T>(arg: string, value: T | undefined | null): T {
    if (value === undefined || value === null) this.fail(arg, `is required (got ${String(value)})`);
    return value;
  }

  /** An integer within [min, max], or undefined when optional and absent; returns the value or the default. */
  int(arg: string, value: number | undefined, min: number, max: number, fallback: number): number;
  int(arg: string, value: number | undefined, min: number, max: number): number | undefined;
  int(
    arg: string,
    value: number | undefined,
    min: number,
    max: number,
    fallback?: number,
  ): number | undefined {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(arg, `must be an integer from ${min} to ${max} (got ${String(value)})`);
    }
    return value;
  }

  oneOf<T extends string | number>(arg: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (!allowed.includes(value)) {
      this.fail(arg, `must be one of ${allowed.join(", ")} (got ${String(value)})`);
    }
    return value;
  }

  nonEmpty(arg: string, value: string | undefined): string {
    if (typeof value !== "string" || value.trim() === "") {
      this.fail(arg, `is required and must be a non-empty string (got ${JSON.stringify(value)})`);
    }
    return value;
  }
}

/** A value for an error message, cut to a readable length. */
export function brief(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
