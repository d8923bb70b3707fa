import { componentArgsMessage } from "@switchyard/infra-kit/errors";

/**
 * Base class of every error this service throws: a component arg it cannot honour, a broken invariant. Free of Pulumi imports (the kit's `errors` module has none either), so handlers may bundle it.
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
    super(componentArgsMessage(component, instance, arg, detail));
  }
}
