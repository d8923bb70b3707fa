import { LocalServiceError } from "../../types";
import { notEmulated } from "../../wire/rest-json";
import { INVALID_PARAMETER } from "./message";

/** SNS's errors as the awsQuery protocol carries them (code, HTTP status). */

/** InvalidParameter (400): the SDK's InvalidParameterException. */
export function invalidParameter(message: string): LocalServiceError {
  return new LocalServiceError(INVALID_PARAMETER, message);
}

/** NotFound (404): a topic or subscription that does not exist. */
export function notFound(message: string): LocalServiceError {
  return new LocalServiceError("NotFound", message, 404);
}

/** An SNS action the local cloud does not serve (InvalidAction, 400, naming it). */
export function snsNotEmulated(action: string): LocalServiceError {
  return notEmulated("sns", action, "query");
}
