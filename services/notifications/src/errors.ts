import { componentArgsMessage } from "@switchyard/infra-kit/errors";

const NOTIFICATIONS_ERROR: unique symbol = Symbol.for("@switchyard/notifications:error");

/**
 * Base class of every error this service throws: a refused token, a frame too large to deliver, a component
 * arg it cannot honour. Refusals that must keep a runtime-kit class (`FrameTooLargeError` is a `PermanentError`,
 * so batch processing dead-letters it with its reason) are marked with `notificationsError()` and are then
 * instances of this class too. Free of Pulumi imports: the handlers bundle it.
 */
export class NotificationsError extends Error {
  override name = "NotificationsError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    notificationsError(this);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep ordinary `instanceof`; only the base class also accepts marked runtime-kit errors.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof` (maybe a subclass).
    if (this !== NotificationsError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && NOTIFICATIONS_ERROR in value;
  }
}

/** Marks an error this service throws as a `NotificationsError` (keeping its own class); returns it. */
export function notificationsError<E extends Error>(error: E): E {
  Object.defineProperty(error, NOTIFICATIONS_ERROR, { value: true });
  return error;
}

/** `NotificationsApi` was given args it cannot honour; the message names the component, instance and arg. */
export class NotificationsArgsError extends NotificationsError {
  override name = "NotificationsArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(componentArgsMessage(component, instance, arg, detail));
  }
}
