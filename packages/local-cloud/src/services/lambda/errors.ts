import { LocalServiceError } from "../../types";
import { notEmulated } from "../../wire/rest-json";

/** Lambda's errors as its REST-JSON protocol carries them (`x-amzn-ErrorType`, the HTTP status AWS uses). */

/** ResourceNotFoundException (404) for a function: `Function not found: <arn>`. */
export function functionNotFound(arn: string): LocalServiceError {
  return new LocalServiceError("ResourceNotFoundException", `Function not found: ${arn}`, 404);
}

/** ResourceNotFoundException (404) with the message given (a policy, a mapping, an event-invoke config). */
export function resourceNotFound(message: string): LocalServiceError {
  return new LocalServiceError("ResourceNotFoundException", message, 404);
}

/** InvalidParameterValueException (400). */
export function invalidParameter(message: string): LocalServiceError {
  return new LocalServiceError("InvalidParameterValueException", message);
}

/** RequestTooLargeException (413): an Invoke payload over the limit of its invocation type. */
export function requestTooLarge(limit: number): LocalServiceError {
  return new LocalServiceError(
    "RequestTooLargeException",
    `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
    413,
  );
}

/** InvalidRequestContentException (400): an Invoke payload that is not JSON. */
export function invalidRequestContent(detail: string): LocalServiceError {
  return new LocalServiceError(
    "InvalidRequestContentException",
    `Could not parse request body into json: ${detail}`,
  );
}

/** A Lambda operation the local cloud does not serve (NotImplemented naming it). */
export function lambdaNotEmulated(operation: string): LocalServiceError {
  return notEmulated("lambda", operation);
}
