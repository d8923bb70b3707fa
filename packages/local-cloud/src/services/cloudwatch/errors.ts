import { LocalServiceError } from "../../types";

/**
 * CloudWatch errors: the JSON and CBOR protocols' code (`__type`, the SDK's exception name), the query
 * protocol's code (also sent in `x-amzn-query-error`), and the HTTP status.
 */

/** The Smithy namespace of CloudWatch errors. */
export const CLOUDWATCH_NAMESPACE = "com.amazonaws.cloudwatch";

const QUERY_CODES: Record<string, string> = {
  InvalidParameterValueException: "InvalidParameterValue",
  MissingRequiredParameterException: "MissingParameter",
  InvalidParameterCombinationException: "InvalidParameterCombination",
  ResourceNotFound: "ResourceNotFound",
  InvalidNextToken: "InvalidNextToken",
  InvalidFormatFault: "InvalidFormat",
  LimitExceededFault: "LimitExceeded",
  InternalServiceFault: "InternalServiceError",
};

const STATUS: Record<string, number> = { ResourceNotFound: 404, InternalServiceFault: 500 };

/** A CloudWatch error: `code` is the SDK's exception name, the awsQuery code goes in `x-amzn-query-error`. */
export function cloudWatchError(code: string, message: string): LocalServiceError {
  return new LocalServiceError(code, message, STATUS[code] ?? 400, QUERY_CODES[code] ?? code);
}
