import { LocalServiceError } from "../../types";
import { notEmulated } from "../../wire/rest-json";
import type { Item } from "./items";

/**
 * DynamoDB's errors as its AWS JSON 1.0 protocol carries them: `__type` is `<namespace>#<Code>`, where the
 * namespace is DynamoDB's for service errors, Coral's validation namespace for `ValidationException`, and
 * Coral's service namespace for an unknown operation; every error is HTTP 400.
 */

/** The DynamoDB JSON namespace of service errors (what `__type` prefixes). */
export const DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810";

/** The namespace `__type` carries for an error code. */
export function errorNamespace(code: string): string {
  return code === "ValidationException" ? "com.amazon.coral.validate" : DYNAMODB_NAMESPACE;
}

/** The error code of a DynamoDB JSON error body (`com.amazon...#Code` -> `Code`). */
export function errorCode(body: Record<string, unknown>): string {
  const type = typeof body.__type === "string" ? body.__type : "InternalFailure";
  return type.slice(type.lastIndexOf("#") + 1);
}

export function validation(message: string): LocalServiceError {
  return new LocalServiceError("ValidationException", message);
}

/** The ResourceNotFoundException DynamoDB answers for a missing table (data plane, TTL). */
export function tableResourceNotFound(table: string): LocalServiceError {
  return new LocalServiceError(
    "ResourceNotFoundException",
    `Requested resource not found: Table: ${table} not found`,
  );
}

/** The TableNotFoundException of the continuous-backups operations. */
export function tableNotFound(table: string): LocalServiceError {
  return new LocalServiceError("TableNotFoundException", `Table not found: ${table}`);
}

/** A DynamoDB operation the local cloud does not serve (UnknownOperationException naming it). */
export function dynamoDbNotEmulated(operation: string): LocalServiceError {
  return notEmulated("dynamodb", operation, "json");
}

/** The namespace of the UnknownOperationException `__type`. */
export const UNKNOWN_OPERATION_NAMESPACE = "com.amazon.coral.service";

/** One action's outcome in a cancelled transaction. */
export interface CancellationReason {
  Code: string;
  Message?: string;
  Item?: Item;
}

/** A transaction that was cancelled: the JSON error body carries the reasons. */
export class TransactionCanceledError extends LocalServiceError {
  constructor(readonly reasons: CancellationReason[]) {
    super(
      "TransactionCanceledException",
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    );
  }
}
