/** The message every component args error carries: `switchyard:orders:OrdersFanOut "orders": subscribers must ...`. */
export const componentArgsMessage = (
  component: string,
  instance: string,
  arg: string,
  detail: string,
): string => `${component} "${instance}": ${arg} ${detail}`;

/** Base class of every error this kit throws; the kit's components and helpers refuse with a subclass. */
export class InfraKitError extends Error {
  override name = "InfraKitError";
}

/**
 * A component was given arguments it cannot honour. The message names the component type, the
 * instance, the argument, what was expected and what was given, so the failing line of a stack is
 * obvious from the error alone.
 */
export class ComponentArgsError extends InfraKitError {
  override name = "ComponentArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(componentArgsMessage(component, instance, arg, detail));
  }
}

/** Something was added to a component after its policy or settings were already rendered. */
export class LateBindingError extends InfraKitError {
  override name = "LateBindingError";
}

/** esbuild could not bundle a handler; the message names the entry and the first error's location. */
export class BundleError extends InfraKitError {
  override name = "BundleError";
  constructor(
    readonly entry: string,
    readonly detail: string,
  ) {
    super(`esbuild could not bundle ${entry}: ${detail}`);
  }
}
