import { LocalServiceError } from "../../types";
import { notEmulated } from "../../wire/rest-json";

/** EventBridge's errors as the AWS JSON 1.1 protocol carries them (`__type`, HTTP 400). */

export function validation(message: string): LocalServiceError {
  return new LocalServiceError("ValidationException", message);
}

export function notFound(message: string): LocalServiceError {
  return new LocalServiceError("ResourceNotFoundException", message);
}

export function alreadyExists(message: string): LocalServiceError {
  return new LocalServiceError("ResourceAlreadyExistsException", message);
}

export function limitExceeded(message: string): LocalServiceError {
  return new LocalServiceError("LimitExceededException", message);
}

export function invalidPattern(problems: string[]): LocalServiceError {
  return new LocalServiceError(
    "InvalidEventPatternException",
    `Event pattern is not valid. Reason: ${problems.join(" ")}`,
  );
}

/** An EventBridge operation the local cloud does not serve (UnknownOperationException naming it). */
export function eventsNotEmulated(operation: string): LocalServiceError {
  return notEmulated("events", operation, "json");
}
