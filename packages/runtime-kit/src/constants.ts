/** Service name used when neither the caller nor `POWERTOOLS_SERVICE_NAME` provides one. */
export const DEFAULT_SERVICE_NAME = "switchyard";

/** CloudWatch namespace used when neither the caller nor `POWERTOOLS_METRICS_NAMESPACE` provides one. */
export const DEFAULT_METRICS_NAMESPACE = "Switchyard";

/** Metric names emitted by `processSqsBatch` (unit: Count, one data point per batch). */
export const BATCH_METRICS = {
  /** The record handler returned normally. */
  processed: "RecordsProcessed",
  /** The record handler threw a transient (or unclassified) error; the record is reported for retry. */
  failedTransient: "RecordsFailedTransient",
  /** The record handler threw a `PermanentError`, whether or not it could be dead-lettered. */
  failedPermanent: "RecordsFailedPermanent",
  /** Permanent failures sent straight to the dead-letter queue by the `deadLetter` adapter. */
  deadLettered: "RecordsDeadLettered",
  /** FIFO only: records not attempted because an earlier record of their message group failed. */
  skipped: "RecordsSkipped",
} as const;

/**
 * Message attributes the dead-letter adapter puts on a dead-lettered message.
 * Names follow the SQS rules (alphanumerics, `-`, `_`, `.`; no `AWS.`/`Amazon.` prefix).
 */
export const DEAD_LETTER_ATTRIBUTES = {
  /** Why the message was dead-lettered (the `PermanentError` reason). */
  reason: "switchyard.failure.reason",
  /** Who failed it: the consumer (by default the Lambda function name). */
  source: "switchyard.failure.source",
  /** The queue the message was consumed from (the record's `eventSourceARN`). */
  queue: "switchyard.failure.queue",
  /** The SQS message id the message had on the source queue. */
  messageId: "switchyard.failure.messageId",
  /** Only when the body had to be parked or cut to fit the DLQ: what was done, the original size and SHA-256. */
  body: "switchyard.failure.body",
} as const;

/** SQS hard limit on one message, body plus attributes: 1 MiB. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** SQS limit on message attributes per message. */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

/** Longest reason put in the `switchyard.failure.reason` attribute; longer reasons are cut with "…". */
export const MAX_FAILURE_REASON_LENGTH = 1_024;

/** `Event` value of the test message S3 sends when notifications are first configured. */
export const S3_TEST_EVENT = "s3:TestEvent";

/** S3 event notification versions accepted: any `2.x` (AWS says to test the major version only). */
export const S3_EVENT_VERSION_PATTERN = /^2(\.\d+)*$/;

/**
 * Longest S3 sequencer accepted, in hex digits. S3 documents sequencers as hexadecimal strings compared after
 * left-padding with zeros (today they are about 18 digits); anything longer or not hex is a forgery or garbage.
 */
export const S3_MAX_SEQUENCER_DIGITS = 64;
export const S3_SEQUENCER_PATTERN = /^[0-9A-Fa-f]{1,64}$/;

/** S3 keys are at most 1,024 bytes; URL-encoded, up to three times as many characters. */
export const S3_MAX_ENCODED_KEY_LENGTH = 3 * 1024;

/** Replacement for values that must not be shown at all (tokens, passwords, …). */
export const REDACTED = "****";

/**
 * Field names treated as PII by `maskPii` and by the logger of `createObservability`.
 * Matching ignores case and `-`/`_`, and also catches names that end in one of these
 * (`customerPhone`, `deviceToken`, `x-api-key`).
 */
export const DEFAULT_PII_KEYS: readonly string[] = [
  "phone",
  "phoneNumber",
  "mobile",
  "msisdn",
  "email",
  "emailAddress",
  "token",
  "authorization",
  "password",
  "secret",
  "apiKey",
  "cookie",
  "setCookie",
  "credentials",
];
