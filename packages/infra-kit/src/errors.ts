/**
 * A component was given arguments it cannot honour. The message names the component type, the
 * instance, the argument, what was expected and what was given, so the failing line of a stack is
 * obvious from the error alone.
 */
export class ComponentArgsError extends Error {
  override readonly name = "ComponentArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(`${component} "${instance}": ${arg} ${detail}`);
  }
}

/** Something was added to a component after its policy or settings were already rendered. */
export class LateBindingError extends Error {
  override readonly name = "LateBindingError";
}

/** esbuild could not bundle a handler; the message names the entry and the first error's location. */
export class BundleError extends Error {
  override readonly name = "BundleError";
  constructor(
    readonly entry: string,
    readonly detail: string,
  ) {
    super(`esbuild could not bundle ${entry}: ${detail}`);
  }
}
