export { processSqsBatch } from "./batch";
export { classifyAwsError, classifyError, isPermanent, isTransient } from "./classify";
export {
  BATCH_METRICS,
  DEAD_LETTER_ATTRIBUTES,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_PII_KEYS,
  DEFAULT_SERVICE_NAME,
  REDACTED,
  S3_TEST_EVENT,
  SQS_MAX_MESSAGE_BYTES,
} from "./constants";
export { type SqsConsumerOptions, sqsConsumer } from "./consumer";
export { type SqsDeadLetterOptions, sqsDeadLetter } from "./dead-letter";
export { envSchemas, parseEnv } from "./env";
export { eventBridgeEventSchema, parseEventBridgeBody } from "./envelopes/eventbridge";
export { compareSequencers, decodeS3Key, isNewerSequencer, parseS3Records } from "./envelopes/s3";
export {
  isSnsNotification,
  parseSnsSqsMessage,
  type SnsNotification,
  snsNotificationSchema,
  unwrapSnsSqsRecord,
} from "./envelopes/sns";
export { parseSqsBody, sqsMessageAttributes } from "./envelopes/sqs";
export {
  DeadLetterError,
  EnvironmentError,
  PermanentError,
  RuntimeKitError,
  TransientError,
  ValidationError,
  type ValidationIssue,
} from "./errors";
export { maskEmail, maskPhone, maskPii, piiJsonReplacer, piiMatcher, redact } from "./mask";
export { createLogger, createObservability, traced } from "./observability";
export type {
  DeadLetterAdapter,
  DeadLetterDetails,
  EnvSource,
  EventBridgeMessage,
  FailureKind,
  LoggerLike,
  MessageAttribute,
  MessageAttributes,
  MetricsLike,
  Observability,
  ObservabilityOptions,
  ProcessSqsBatchOptions,
  S3Notification,
  S3ObjectEvent,
  SnsDelivery,
  SnsParseOptions,
  SnsSqsMessage,
  SqsRecordHandler,
} from "./types";
