import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { Context, SQSRecord } from "aws-lambda";

/** Where environment variables are read from; `process.env` in a handler, a plain object in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Whether retrying can help. */
export type FailureKind = "permanent" | "transient";

/** The part of the Powertools `Logger` the kit calls (a real `Logger` fits; so does a test fake). */
export type LoggerLike = Pick<Logger, "debug" | "info" | "warn" | "error"> &
  Partial<Pick<Logger, "addContext">>;

/** The part of the Powertools `Metrics` the kit calls. */
export type MetricsLike = Pick<Metrics, "addMetric" | "publishStoredMetrics">;

export interface ObservabilityOptions {
  /** `service` key in logs and the `service` metric dimension. @default env `POWERTOOLS_SERVICE_NAME`, else "switchyard" */
  serviceName?: string;
  /** CloudWatch metrics namespace. @default env `POWERTOOLS_METRICS_NAMESPACE`, else "Switchyard" */
  namespace?: string;
  /** Extra field names to mask in every log line, added to `DEFAULT_PII_KEYS`. */
  piiKeys?: readonly string[];
  /** Read instead of `process.env` (tests). */
  env?: EnvSource;
}

/** The Powertools trio, created once per container. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  serviceName: string;
  namespace: string;
}

/** A message attribute in one shape, whether it came from an SNS envelope (`{Type, Value}`) or SQS (`{dataType, stringValue}`). */
export interface MessageAttribute {
  /** `String`, `Number`, `Binary`, `String.Array`, or a custom `String.x` type. */
  dataType: string;
  /** The value as delivered; base64 for `Binary`, a JSON array string for `String.Array`. */
  value: string;
}

export type MessageAttributes = Record<string, MessageAttribute>;

/** An SNS message received through SQS, raw or wrapped delivery alike. */
export interface SnsSqsMessage<T = string> {
  message: T;
  attributes: MessageAttributes;
  /** `true` when the subscription uses raw message delivery (the SQS body is the message). */
  raw: boolean;
  /** Wrapped delivery only. */
  topicArn?: string;
  /** The SNS message id (wrapped delivery only; raw delivery drops it). */
  messageId?: string;
  subject?: string;
  /** ISO timestamp of the publish (wrapped delivery only). */
  timestamp?: string;
}

/** How the SNS subscription delivers to SQS. `auto` decides per record (see `unwrapSnsSqsRecord`). */
export type SnsDelivery = "auto" | "raw" | "wrapped";

export interface SnsParseOptions {
  /**
   * How the subscription delivers. With `"raw"` a body that is itself an SNS envelope is refused (forged).
   * @default "auto"
   */
  delivery?: SnsDelivery;
  /**
   * The topic the queue is subscribed to: a wrapped envelope naming another `TopicArn` is refused. Unchecked
   * when absent (raw delivery carries no topic).
   */
  topicArn?: string;
}

/** One S3 object event, with the key decoded. */
export interface S3ObjectEvent {
  /** e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete`. */
  eventName: string;
  eventTime: string;
  eventVersion: string;
  region: string;
  bucket: string;
  /** Decoded key (`red+flower.jpg` in the event becomes `red flower.jpg`). */
  key: string;
  /** The key exactly as S3 sent it (URL-encoded). */
  encodedKey: string;
  /** Absent on delete events. */
  size?: number;
  /** Absent on delete events. */
  eTag?: string;
  /** Versioning-enabled buckets only. */
  versionId?: string;
  /** PUTs and DELETEs only. Compare with `compareSequencers`, for the same key only. */
  sequencer?: string;
}

/** What an S3 notification record carries: the test event S3 sends once, or object events. */
export type S3Notification =
  | { kind: "test"; bucket: string; time: string; topicArn?: string }
  | { kind: "records"; records: S3ObjectEvent[]; topicArn?: string };

/** An EventBridge event received through SQS, with `detail` parsed. */
export interface EventBridgeMessage<T = unknown> {
  id: string;
  version: string;
  source: string;
  detailType: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: T;
  replayName?: string;
}

/** Extra facts handed to a dead-letter adapter. */
export interface DeadLetterDetails {
  /** Who failed the message (default: the Lambda function name). */
  source: string;
  /** The error the record handler threw. */
  error?: unknown;
}

/** Sends a permanently failed record to a dead-letter queue, once. Throw if that is impossible. */
export interface DeadLetterAdapter {
  send(record: SQSRecord, reason: string, details?: DeadLetterDetails): Promise<void>;
}

/** Handles one SQS record. Throw a `PermanentError` for bad input, anything else to retry. */
export type SqsRecordHandler = (record: SQSRecord, context: Context) => unknown;

export interface ProcessSqsBatchOptions {
  /**
   * Use the Powertools FIFO processor: after a transient failure, the remaining records of the same
   * message group are failed too (other groups carry on).
   * @default true when a record's `eventSourceARN` ends in `.fifo`
   */
  fifo?: boolean;
  /** Where failures are logged. @default a shared Powertools `Logger` */
  logger?: LoggerLike;
  /** Where the batch metrics go. Without it, no metrics are emitted. */
  metrics?: MetricsLike;
  /**
   * Flush `metrics` when the batch is done. Set `false` if something else publishes (e.g. `logMetrics` middleware).
   * @default true
   */
  publishMetrics?: boolean;
  /**
   * Sends permanent failures straight to a DLQ and reports them processed, so they are never retried.
   * Without it, permanent failures are logged and reported failed; the redrive policy moves them after
   * `maxReceiveCount` receives.
   */
  deadLetter?: DeadLetterAdapter;
  /** `switchyard.failure.source` on dead-lettered messages. @default `context.functionName` */
  source?: string;
  /**
   * The queue's `maxReceiveCount`: a record still failing transiently on that receive is dead-lettered with its
   * reason (needs `deadLetter`). `sqsConsumer` reads it from `MAX_RECEIVE_COUNT`.
   * @default undefined (the redrive policy moves it, without a reason)
   */
  maxReceiveCount?: number;
  /** Standard queues only: process records concurrently. @default true */
  processInParallel?: boolean;
  /**
   * Throw when every record failed (Powertools' default), instead of returning every id.
   * Either way Lambda retries the whole batch; throwing also counts as a function error.
   * @default false
   */
  throwOnFullBatchFailure?: boolean;
}
