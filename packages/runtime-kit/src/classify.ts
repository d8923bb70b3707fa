import { PermanentError, TransientError } from "./errors";
import type { FailureKind } from "./types";

// Mirrors the AWS SDK v3 retry classification (@smithy/service-error-classification) so that
// what the SDK would retry, we retry too.
const THROTTLING_NAMES = new Set([
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
  "LimitExceededException",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TransactionInProgressException",
  "KMSThrottlingException",
]);

const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
  "InternalServerError",
  "InternalServerException",
  "InternalFailure",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "ServiceException",
]);

// 4xx errors that say nothing about the message: the environment is wrong (credentials, clock,
// permissions still propagating, a resource not deployed yet). Retrying the message is right;
// dead-lettering every message during an outage of that kind is not.
const ENVIRONMENT_NAMES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AuthFailure",
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "IDPCommunicationError",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "KMSAccessDeniedException",
  "KMSDisabledException",
  "KMSInvalidStateException",
  "NoSuchBucket",
  "NotFoundException",
  "QueueDoesNotExist",
  "RequestExpired",
  "RequestInTheFuture",
  "RequestTimeTooSkewed",
  "ResourceNotFoundException",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
]);

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Classifies an AWS SDK v3 error (or a Node network error) as `"transient"` or `"permanent"`.
 *
 * Transient: throttling names (`ThrottlingException`, `TooManyRequestsException`,
 * `ProvisionedThroughputExceededException`, `RequestLimitExceeded`, …), `$retryable`, HTTP 408/429/5xx,
 * `$fault: "server"`, `TimeoutError`, network codes (`ECONNRESET`, `ETIMEDOUT`, …), and 4xx errors about
 * the environment rather than the message (`AccessDeniedException`, `ExpiredToken`, `ResourceNotFoundException`, `NoSuchBucket`: a
 * missing table, bucket, topic or grant is a configuration problem, so the record is retried, reaches the DLQ through
 * `maxReceiveCount` and the DLQ alarm fires, instead of every message being dead-lettered at once).
 * Permanent: any other 4xx / `$fault: "client"` (`ValidationException`, `ConditionalCheckFailedException`, …).
 * Anything unrecognised is transient: retrying a message by mistake is cheaper than losing it.
 */
export const classifyAwsError = (error: unknown): FailureKind => {
  if (typeof error !== "object" || error === null) return "transient";
  const e = error as AwsLikeError;
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : "";
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;

  if (THROTTLING_NAMES.has(name) || TRANSIENT_NAMES.has(name) || ENVIRONMENT_NAMES.has(name))
    return "transient";
  if (NETWORK_CODES.has(code)) return "transient";
  if (e.$retryable !== undefined && e.$retryable !== null) return "transient";
  if (status !== undefined) {
    if (status === 408 || status === 429 || status >= 500) return "transient";
    if (status === 401 || status === 403) return "transient";
    if (status >= 400) return "permanent";
  }
  if (e.$fault === "server") return "transient";
  if (e.$fault === "client") return "permanent";
  return "transient";
};

const describe = (error: unknown): string => {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
  return `Non-error thrown: ${String(error)}`;
};

/**
 * Turns anything thrown into a `PermanentError` or a `TransientError`.
 * The kit's own errors are returned as they are; others are classified with {@link classifyAwsError}
 * and wrapped (the original is the `cause`).
 */
export const classifyError = (error: unknown): PermanentError | TransientError => {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  const reason = describe(error);
  return classifyAwsError(error) === "permanent"
    ? new PermanentError(reason, { cause: error })
    : new TransientError(reason, { cause: error });
};

/** True when retrying cannot help: a `PermanentError` (incl. `ValidationError`) or an AWS 4xx client error. */
export const isPermanent = (error: unknown): boolean => classifyError(error) instanceof PermanentError;

/** True when the error should be retried (the complement of {@link isPermanent}). */
export const isTransient = (error: unknown): boolean => !isPermanent(error);
