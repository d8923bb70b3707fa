import { LocalServiceError } from "../../types";

/**
 * SQS errors: the JSON protocol's code (`__type`), the query protocol's code (also sent in the JSON
 * protocol's `x-amzn-query-error` header), the HTTP status, and the query protocol's message where it
 * differs from the JSON one (AWS's wording is older there).
 */

/** The Smithy namespace of SQS errors (`__type: "com.amazonaws.sqs#QueueDoesNotExist"`). */
export const SQS_NAMESPACE = "com.amazonaws.sqs";

/**
 * The awsQuery-compatible codes SQS sends in `x-amzn-query-error` (the SDK maps them back to its
 * exception classes, e.g. `AWS.SimpleQueueService.NonExistentQueue` -> `QueueDoesNotExist`).
 */
const QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: "AWS.SimpleQueueService.NonExistentQueue",
  BatchEntryIdsNotDistinct: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
  BatchRequestTooLong: "AWS.SimpleQueueService.BatchRequestTooLong",
  EmptyBatchRequest: "AWS.SimpleQueueService.EmptyBatchRequest",
  InvalidBatchEntryId: "AWS.SimpleQueueService.InvalidBatchEntryId",
  TooManyEntriesInBatchRequest: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
  MessageNotInflight: "AWS.SimpleQueueService.MessageNotInflight",
  PurgeQueueInProgress: "AWS.SimpleQueueService.PurgeQueueInProgress",
  UnsupportedOperation: "AWS.SimpleQueueService.UnsupportedOperation",
  QueueDeletedRecently: "AWS.SimpleQueueService.QueueDeletedRecently",
  QueueNameExists: "QueueAlreadyExists",
};

const STATUS: Record<string, number> = {
  ReceiptHandleIsInvalid: 404,
  ResourceNotFoundException: 404,
  PurgeQueueInProgress: 403,
  OverLimit: 403,
  InternalError: 500,
};

/** The query protocol's message for a code, when AWS words it differently there. */
export const QUERY_MESSAGES: Record<string, string> = {
  QueueDoesNotExist: "The specified queue does not exist for this wsdl version.",
};

/** An SQS error with the HTTP status and awsQuery code AWS uses for `code`. */
export function sqsError(code: string, message: string): LocalServiceError {
  return new LocalServiceError(code, message, STATUS[code] ?? 400, QUERY_CODES[code] ?? code);
}

export const queueDoesNotExist = (): LocalServiceError =>
  sqsError("QueueDoesNotExist", "The specified queue does not exist.");

export const invalidParameter = (name: string, value: unknown, reason: string): LocalServiceError =>
  sqsError(
    "InvalidParameterValue",
    `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );

export const missingParameter = (name: string): LocalServiceError =>
  sqsError("MissingParameter", `The request must contain the parameter ${name}.`);
