/**
 * Base class of every error this service throws: a component arg it cannot honour, a broken invariant. Free of Pulumi imports, so handlers may bundle it.
 */
export class OrdersError extends Error {
  override name = "OrdersError";
}

/** `OrdersFanOut` was given args it cannot honour; the message names the component, instance and arg. */
export class OrdersArgsError extends OrdersError {
  override name = "OrdersArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(`${component} "${instance}": ${arg} ${detail}`);
  }
}
