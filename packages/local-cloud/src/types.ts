import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { RecordedResource } from "@switchyard/testing";
import { LocalCloudError } from "./errors";
import type { IamEngine } from "./iam";

/**
 * The contracts between the engine and its service emulators. Every emulator is constructed with the
 * `LocalContext` and reaches the others through it (lazily, at call time), so provisioning order never
 * matters: a subscription to a queue that is provisioned later resolves when the first message flows.
 */

/** One resource as the program registered it: type, logical name, URN, resolved inputs and the outputs returned. */
export type LocalResource = RecordedResource;

export interface LocalLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** An SQS message attribute as the JSON protocol carries it. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string; // base64
}

/** What other emulators (SNS, EventBridge, S3, Lambda destinations, redrive) hand to a queue. */
export interface InternalSendInput {
  body: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  /** FIFO queues: required. */
  messageGroupId?: string;
  /** FIFO queues: required unless the queue has content-based deduplication. */
  messageDeduplicationId?: string;
  delaySeconds?: number;
  /** Who sent it: the `SenderId` system attribute (e.g. the topic's ARN for SNS deliveries). @default the account id */
  senderId?: string;
}

/** A message handed to an event source mapping: the shape of an SQS event record (`aws-lambda` SQSRecord). */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
  md5OfBody: string;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed */
  delayed: number;
  /** Age in seconds of the oldest message (ApproximateAgeOfOldestMessage), 0 when empty. */
  oldestAgeSeconds: number;
}

/** SQS as the rest of the engine sees it. Queues are addressed by ARN. */
export interface SqsEngine {
  hasQueue(queueArn: string): boolean;
  /** The local queue URL (`<endpoint>/<account>/<name>`). @throws when the queue does not exist */
  queueUrl(queueArn: string): string;
  /** Sends like SendMessage (same size, FIFO and delay rules). @throws LocalServiceError */
  send(queueArn: string, input: InternalSendInput): { messageId: string; sequenceNumber?: string };
  /**
   * Receives like ReceiveMessage (long poll up to `waitSeconds`, all system attributes), honouring FIFO
   * group ordering; counts a receive and redrives to the DLQ past maxReceiveCount as AWS does.
   */
  receive(
    queueArn: string,
    options: {
      maxMessages: number;
      waitSeconds: number;
      visibilityTimeoutSeconds?: number;
      signal?: AbortSignal;
    },
  ): Promise<ReceivedMessage[]>;
  /** @returns false when the receipt handle is no longer valid */
  deleteMessage(queueArn: string, receiptHandle: string): boolean;
  changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): boolean;
  /**
   * Keeps a received message invisible while an event source mapping's invocation runs; the returned
   * release lets it become visible again no earlier than its visibility timeout from the receive. AWS gets
   * the same from its rule that a mapped queue's visibility timeout is at least the function timeout; the
   * local engine needs it when its time is scaled (`msPerSecond`) but handlers run in real time.
   * Releasing a deleted message does nothing.
   */
  hold(queueArn: string, receiptHandle: string): () => void;
  depth(queueArn: string): QueueDepth;
  /** Every queue: ARN, URL, name, whether it is FIFO. */
  list(): Array<{ arn: string; url: string; name: string; fifo: boolean }>;
}

/** SNS as the rest of the engine sees it (S3 notifications and alarm actions publish through it). */
export interface SnsEngine {
  hasTopic(topicArn: string): boolean;
  publish(
    topicArn: string,
    input: {
      message: string;
      subject?: string;
      messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
      messageGroupId?: string;
      messageDeduplicationId?: string;
    },
  ): { messageId: string; sequenceNumber?: string };
  /** What was delivered to subscriptions the engine cannot reach (email, sms, http): for tests and the console. */
  outbox(
    topicArn?: string,
  ): Array<{ topicArn: string; protocol: string; endpoint: string; message: string; at: number }>;
}

export interface EventsEngine {
  /** Puts events like PutEvents; returns one result per entry. */
  putEvents(
    entries: Array<{
      Source?: string;
      DetailType?: string;
      Detail?: string;
      EventBusName?: string;
      Resources?: string[];
      Time?: string | Date;
    }>,
  ): Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
}

/** The result of a synchronous invocation. */
export interface InvokeResult {
  /** The handler's return value (JSON-serialisable), undefined for void handlers. */
  payload?: unknown;
  /** Set when the handler threw, timed out or crashed: `errorType` as Lambda reports it. */
  error?: { errorType: string; errorMessage: string };
  durationMs: number;
}

export interface LambdaEngine {
  /** Accepts a function name, ARN, qualified ARN or an API Gateway integration URI. */
  hasFunction(nameOrArn: string): boolean;
  /**
   * RequestResponse invocation: waits for a free slot (at most the function's reserved concurrency, or
   * `maxConcurrency` when given, e.g. an event source mapping's maximumConcurrency), runs the handler in a
   * worker thread with the function's environment, kills it at its timeout.
   */
  invoke(
    nameOrArn: string,
    event: unknown,
    options?: { maxConcurrency?: number; source?: string },
  ): Promise<InvokeResult>;
  /**
   * Event (asynchronous) invocation: queued; on error retried per the function's FunctionEventInvokeConfig
   * (maximumRetryAttempts, default 2; maximumEventAgeInSeconds) and then sent to its on-failure destination.
   */
  invokeAsync(nameOrArn: string, event: unknown, options?: { source?: string }): void;
}

export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
  unit?: string;
  timestamp: number;
}

export interface CloudWatchEngine {
  putMetric(datum: MetricDatum): void;
  /** Reads Embedded Metric Format log lines (Powertools Metrics) out of a function's output. */
  ingestLogLine(line: string): void;
  alarms(): Array<{
    name: string;
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
    reason: string;
    updatedAt: number;
  }>;
  /** Evaluates every alarm now (the engine also does it on a timer). */
  evaluate(): void;
}

/** An SMS the local carrier accepted or refused. */
export interface CarrierRecord {
  id: string;
  provider: "sms-voice" | "pinpoint";
  destination: string;
  country: string;
  body: string;
  parts: number;
  messageType?: string;
  at: number;
  status: "DELIVERED" | "THROTTLED" | "INVALID";
  originationIdentity?: string;
}

export interface CarrierEngine {
  records(): CarrierRecord[];
  /** Parts per second the carrier allows per country (ISO alpha-2), from the stack's sms config. */
  limits(): Record<string, number>;
}

/** A request the engine could not route to a service; also how emulators signal AWS errors. */
export class LocalServiceError extends LocalCloudError {
  override name = "LocalServiceError";
  constructor(
    /** AWS error code, e.g. `QueueDoesNotExist`, `InvalidParameterValue`. */
    readonly code: string,
    message: string,
    /** HTTP status. @default 400 */
    readonly status = 400,
    /** awsQuery-compatible code (SQS JSON sends it in `x-amzn-query-error`). */
    readonly queryCode?: string,
  ) {
    super(message);
  }
}

/** An emulator of one AWS service. */
export interface ServiceEmulator {
  /** The SigV4 signing names it answers (`sqs`, `sns`, `events`, `dynamodb`, `s3`, `execute-api`, ...). */
  readonly signingNames: readonly string[];
  /**
   * Creates what the program declared for the resource types it owns; ignores other types.
   * Called once per resource, in registration order, after the program has settled.
   */
  provision(resource: LocalResource): void | Promise<void>;
  /**
   * When true, `handle` gets the request unread (`body` is empty) to stream it itself (S3, DynamoDB
   * through dynalite). @default false: the engine reads the whole body first
   */
  readonly rawBody?: boolean;
  /** Serves one HTTP request signed for one of its signing names. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void | Promise<void>;
  /** WebSocket upgrade requests (API Gateway only). @returns true when it took the socket */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Read-only JSON views served at `GET /_local/<route>` (e.g. `sms/messages`), for tests, the CLI and
   * the future browser console. The handler gets the query string.
   */
  readonly adminRoutes?: Record<string, (query: URLSearchParams) => unknown>;
  /** Called after every resource is provisioned (start pollers, timers). */
  start?(): void | Promise<void>;
  /** Stops timers and pollers, closes sockets and stores. */
  stop?(): void | Promise<void>;
}

/** What every emulator gets: the engine's identity, its endpoint, and the other emulators. */
export interface LocalContext {
  /** IAM: who signed a request, the stack's policies, delivery checks (every answer "allowed" with IAM off). */
  readonly iam: IamEngine;
  /** True once the engine is closing: a failure the stop causes (an invocation cut short) is not news. */
  readonly stopping: boolean;
  readonly accountId: string;
  readonly region: string;
  /** `http://127.0.0.1:<port>`: known before the program runs. */
  readonly endpoint: string;
  /** Where state lives when `--persist <dir>` is given; undefined for in-memory. */
  readonly persistDir?: string;
  /** Scratch space for this run (bundles, s3 objects when not persisting). */
  readonly workDir: string;
  /** Stack config as the program saw it (fully qualified keys, JSON strings for objects). */
  readonly config: Readonly<Record<string, string>>;
  readonly log: LocalLogger;
  /** Every resource the program registered (for lookups by ARN/name across types). */
  readonly resources: readonly LocalResource[];
  readonly sqs: SqsEngine;
  readonly sns: SnsEngine;
  readonly events: EventsEngine;
  readonly lambda: LambdaEngine;
  readonly cloudwatch: CloudWatchEngine;
  readonly logs: LogsEngine;
}

/** One line of a function's log, as the Lambda runtime hands it to CloudWatch Logs. */
export interface FunctionLogRecord {
  functionName: string;
  /** `/aws/lambda/<function>` unless the function's `loggingConfig.logGroup` says otherwise. */
  logGroupName: string;
  /** `YYYY/MM/DD/[$LATEST]<32 hex>`: one per execution environment (worker). */
  logStreamName: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  requestId?: string;
  /** What the code wrote (stdout, stderr) or the runtime's own lines (START, END, REPORT, timeouts). */
  source: "stdout" | "stderr" | "platform";
  /** Set on the line that reports a failed invocation: the handler threw, timed out or its runtime died. */
  failure?: { kind: "error" | "timeout" | "crash"; errorType: string; errorMessage: string };
}

/** What the CloudWatch Logs emulator offers the others (the Lambda runtime writes function logs through it). */
export interface LogsEngine {
  /** Appends a function's log line to its group and stream (created as Lambda creates them) and tells subscribers. */
  putFunctionLog(record: FunctionLogRecord): void;
  /**
   * A function's latest log lines from its group (every stream, in the order written), optionally of one
   * request: what `/_local/lambda/logs` and the console show.
   */
  functionLogs(
    logGroupName: string,
    options?: { requestId?: string; tail?: number },
  ): Array<{ timestamp: number; message: string; requestId?: string }>;
  /** Calls `listener` with every function log line from now on; returns the unsubscribe function. */
  subscribe(listener: (record: FunctionLogRecord) => void): () => void;
}
