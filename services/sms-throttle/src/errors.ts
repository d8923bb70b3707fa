import { componentArgsMessage } from "@switchyard/infra-kit/errors";

/**
 * Base class of every error this service throws: a component arg it cannot honour, a request over a transport's limits (`TransportLimitError`). The sender's outcomes for SQS batch processing stay runtime-kit's `PermanentError`/`TransientError`. Free of Pulumi imports (the kit's `errors` module has none either), so handlers may bundle it.
 */
export class SmsThrottleError extends Error {
  override name = "SmsThrottleError";
}

/** `SmsThrottle` was given args it cannot honour; the message names the component, instance and arg. */
export class SmsThrottleArgsError extends SmsThrottleError {
  override name = "SmsThrottleArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(componentArgsMessage(component, instance, arg, detail));
  }
}
