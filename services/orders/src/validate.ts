/**
 * Argument checks for this service's components. infra-kit's ArgChecker is internal to that package, so this
 * is a small local copy with the same message shape: `<type> "<name>": <arg> <rule> (got <value>)`.
 */
export class OrdersArgsError extends Error {
  override readonly name = "OrdersArgsError";
}

export class Checker {
  constructor(
    readonly component: string,
    readonly instance: string,
  ) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(instance)) {
      this.fail("name", `must be lower-case letters, digits and hyphens (got ${JSON.stringify(instance)})`);
    }
  }

  fail(arg: string, detail: string): never {
    throw new OrdersArgsError(`${this.component} "${this.instance}": ${arg} ${detail}`);
  }

  required<T>(arg: string, value: T | undefined | null): T {
    if (value === undefined || value === null) this.fail(arg, `is required (got ${String(value)})`);
    return value;
  }

  int(arg: string, value: number | undefined, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(arg, `must be an integer from ${min} to ${max} (got ${String(value)})`);
    }
    return value;
  }

  oneOf<T extends string | number>(arg: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (!allowed.includes(value))
      this.fail(arg, `must be one of ${allowed.join(", ")} (got ${String(value)})`);
    return value;
  }
}

/** A value for an error message, cut to a readable length. */
export function brief(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
