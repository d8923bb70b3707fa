import { createHash, randomBytes, randomUUID } from "node:crypto";
import type {
  APIGatewayEventWebsocketRequestContextV2,
  EventBridgeEvent,
  S3Event,
  S3EventRecord,
  SQSEvent,
  SQSMessageAttribute,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const DEFAULT_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:test-queue`;
const DEFAULT_FIFO_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:test-queue.fifo`;
const DEFAULT_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:test-topic`;
const DEFAULT_API_ID = "abcdef123";
const DEFAULT_STAGE = "default";
const FIXED_TIME = "2025-01-21T12:00:00.000Z";

const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");
const asText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

// ---------------------------------------------------------------------------------------------------------------
// SQS

/** A message attribute: a string is a `String` attribute, a number a `Number` one; or the full Lambda shape. */
export type SqsAttributeInput = string | number | SQSMessageAttribute;

export interface SqsRecordInput {
  /** The body; a non-string is JSON-encoded. */
  body: unknown;
  /** @default a fresh UUID */
  messageId?: string;
  /** Merged over the defaults (`ApproximateReceiveCount: "1"`, timestamps, `SenderId`). */
  attributes?: Partial<SQSRecordAttributes>;
  messageAttributes?: Record<string, SqsAttributeInput>;
  /** @default `arn:aws:sqs:us-east-1:123456789012:test-queue` (`test-queue.fifo` when `messageGroupId` is set) */
  eventSourceARN?: string;
  /** Makes a FIFO record: sets `MessageGroupId`, `MessageDeduplicationId` and `SequenceNumber`. */
  messageGroupId?: string;
}

/** Turns shorthand attributes into the Lambda SQS shape (`{ stringValue, dataType }`). */
export const sqsMessageAttributesOf = (
  input: Record<string, SqsAttributeInput> = {},
): SQSMessageAttributes => {
  const attributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === "string") attributes[name] = { dataType: "String", stringValue: value };
    else if (typeof value === "number") attributes[name] = { dataType: "Number", stringValue: String(value) };
    else attributes[name] = value;
  }
  return attributes;
};

let sequence = 0;

/** One SQS record as Lambda delivers it (real `md5OfBody`, fresh `messageId` and receipt handle). */
export const sqsRecord = (input: SqsRecordInput): SQSRecord => {
  const body = asText(input.body);
  const messageId = input.messageId ?? randomUUID();
  const sentAt = String(Date.now());
  sequence += 1;
  const fifo =
    input.messageGroupId !== undefined
      ? {
          MessageGroupId: input.messageGroupId,
          MessageDeduplicationId: md5(`${messageId}:${body}`),
          SequenceNumber: String(18_000_000_000_000_000_000n + BigInt(sequence)),
        }
      : {};
  return {
    messageId,
    receiptHandle: `AQEB${randomUUID().replace(/-/g, "")}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: sentAt,
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: sentAt,
      ...fifo,
      ...input.attributes,
    },
    messageAttributes: sqsMessageAttributesOf(input.messageAttributes),
    md5OfBody: md5(body),
    eventSource: "aws:sqs",
    eventSourceARN:
      input.eventSourceARN ??
      (input.messageGroupId !== undefined ? DEFAULT_FIFO_QUEUE_ARN : DEFAULT_QUEUE_ARN),
    awsRegion: REGION,
  };
};

/** An SQS event from records (or record inputs). */
export const sqsEvent = (records: readonly (SQSRecord | SqsRecordInput)[]): SQSEvent => ({
  Records: records.map((record) => ("receiptHandle" in record ? record : sqsRecord(record))),
});

// ---------------------------------------------------------------------------------------------------------------
// SNS -> SQS

/** An attribute as SNS delivers it in the envelope. */
export interface SnsEnvelopeAttribute {
  Type: string;
  Value: string;
}

/** A string is a `String` attribute, a number a `Number` one, a string array a `String.Array` one. */
export type SnsAttributeInput = string | number | readonly string[] | SnsEnvelopeAttribute;

/** The SNS notification JSON an SQS subscriber receives when raw delivery is off. */
export interface SnsNotificationEnvelope {
  Type: "Notification";
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, SnsEnvelopeAttribute>;
}

export interface SnsEnvelopeInput {
  /** The published message; a non-string is JSON-encoded. */
  message: unknown;
  /** @default `arn:aws:sns:us-east-1:123456789012:test-topic` */
  topicArn?: string;
  messageAttributes?: Record<string, SnsAttributeInput>;
  subject?: string;
  /** @default a fresh UUID */
  messageId?: string;
  timestamp?: string;
}

/** Turns shorthand attributes into the envelope shape (`{ Type, Value }`). */
export const snsEnvelopeAttributesOf = (
  input: Record<string, SnsAttributeInput> = {},
): Record<string, SnsEnvelopeAttribute> => {
  const attributes: Record<string, SnsEnvelopeAttribute> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === "string") attributes[name] = { Type: "String", Value: value };
    else if (typeof value === "number") attributes[name] = { Type: "Number", Value: String(value) };
    else if (Array.isArray(value)) attributes[name] = { Type: "String.Array", Value: JSON.stringify(value) };
    else attributes[name] = value as SnsEnvelopeAttribute;
  }
  return attributes;
};

/** The envelope as an object (see {@link snsEnvelope} for the string SQS receives). */
export const snsNotification = (input: SnsEnvelopeInput): SnsNotificationEnvelope => {
  const topicArn = input.topicArn ?? DEFAULT_TOPIC_ARN;
  const messageId = input.messageId ?? randomUUID();
  const attributes = snsEnvelopeAttributesOf(input.messageAttributes);
  return {
    Type: "Notification",
    MessageId: messageId,
    TopicArn: topicArn,
    ...(input.subject !== undefined ? { Subject: input.subject } : {}),
    Message: asText(input.message),
    Timestamp: input.timestamp ?? new Date().toISOString(),
    SignatureVersion: "1",
    Signature: Buffer.from(`signature:${messageId}`).toString("base64"),
    SigningCertURL: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem`,
    UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${randomUUID()}`,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
};

/** The wrapped SNS notification JSON string, as the SQS body of a non-raw subscription. */
export const snsEnvelope = (input: SnsEnvelopeInput): string => JSON.stringify(snsNotification(input));

export interface SnsToSqsRecordInput
  extends SnsEnvelopeInput,
    Omit<SqsRecordInput, "body" | "messageAttributes"> {
  /** Raw message delivery on the subscription. */
  raw: boolean;
}

/**
 * An SQS record carrying an SNS message. Raw delivery: the body is the message and the attributes are SQS
 * message attributes. Wrapped: the body is the {@link snsEnvelope} with `{Type, Value}` attributes.
 */
export const snsToSqsRecord = (input: SnsToSqsRecordInput): SQSRecord => {
  const { raw, message, topicArn, messageAttributes, subject, timestamp, ...sqs } = input;
  if (!raw) {
    return sqsRecord({
      ...sqs,
      body: snsEnvelope({ message, topicArn, messageAttributes, subject, timestamp }),
    });
  }
  const sqsAttributes: Record<string, SqsAttributeInput> = {};
  for (const [name, { Type, Value }] of Object.entries(snsEnvelopeAttributesOf(messageAttributes))) {
    sqsAttributes[name] =
      Type === "Binary" ? { dataType: Type, binaryValue: Value } : { dataType: Type, stringValue: Value };
  }
  return sqsRecord({ ...sqs, body: asText(message), messageAttributes: sqsAttributes });
};

// ---------------------------------------------------------------------------------------------------------------
// S3 -> (SNS) -> SQS

/** Encodes a key as S3 writes it into event notifications: form encoding (space is `+`), `/` kept. */
export const encodeS3Key = (key: string): string =>
  encodeURIComponent(key)
    .replace(/%20/g, "+")
    .replace(/%2F/gi, "/")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface S3RecordInput {
  /** The key as S3 sends it, already URL-encoded (use {@link encodeS3Key}). */
  key: string;
  /** @default "ObjectCreated:Put" */
  eventName?: string;
  /** Created events only. @default 1024 for created events, absent for removed ones */
  size?: number;
  /** @default derived from the key for created events, absent for removed ones */
  eTag?: string;
  /** Present for PUTs and DELETEs in reality. @default a hex sequencer increasing with each call */
  sequencer?: string;
  versionId?: string;
  /** @default "2.1" */
  eventVersion?: string;
  /** @default a fixed time */
  eventTime?: string;
}

export interface S3EventInput {
  bucket: string;
  records: readonly S3RecordInput[];
  region?: string;
}

let sequencerCounter = 0;

/** An S3 event notification (`{ Records: [...] }`). Removed events carry no `size` or `eTag`, as in AWS. */
export const s3Event = (input: S3EventInput): S3Event => {
  const region = input.region ?? REGION;
  return {
    Records: input.records.map((record): S3EventRecord => {
      const eventName = record.eventName ?? "ObjectCreated:Put";
      const created = !eventName.startsWith("ObjectRemoved");
      sequencerCounter += 1;
      const object = {
        key: record.key,
        ...(record.size !== undefined || created ? { size: record.size ?? 1024 } : {}),
        ...(record.eTag !== undefined || created ? { eTag: record.eTag ?? md5(record.key) } : {}),
        ...(record.versionId !== undefined ? { versionId: record.versionId } : {}),
        sequencer: record.sequencer ?? `0067${sequencerCounter.toString(16).toUpperCase().padStart(12, "0")}`,
      } as S3EventRecord["s3"]["object"];
      return {
        eventVersion: record.eventVersion ?? "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: record.eventTime ?? FIXED_TIME,
        eventName,
        userIdentity: { principalId: "AWS:AIDAINPONIXQXHT3IKHL2" },
        requestParameters: { sourceIPAddress: "203.0.113.10" },
        responseElements: {
          "x-amz-request-id": "C3D13FE58DE4C810",
          "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "switchyard-notification",
          bucket: {
            name: input.bucket,
            ownerIdentity: { principalId: "A3NL1KOZZKExample" },
            arn: `arn:aws:s3:::${input.bucket}`,
          },
          object,
        },
      };
    }),
  };
};

/** The message S3 sends once when notifications are configured; it has no `Records`. */
export interface S3TestEvent {
  Service: "Amazon S3";
  Event: "s3:TestEvent";
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

export const s3TestEvent = (bucket: string): S3TestEvent => ({
  Service: "Amazon S3",
  Event: "s3:TestEvent",
  Time: FIXED_TIME,
  Bucket: bucket,
  RequestId: "5582815E1AEA5ADF",
  HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
});

export interface S3ViaSnsSqsRecordInput extends Omit<SqsRecordInput, "body" | "messageAttributes"> {
  event: S3Event | S3TestEvent;
  /** Raw message delivery on the SNS -> SQS subscription. */
  raw: boolean;
  topicArn?: string;
}

/**
 * An SQS record carrying an S3 notification that went through SNS. Wrapped: the body is the SNS envelope
 * (Subject "Amazon S3 Notification") whose `Message` is the S3 event JSON. Raw: the body is the S3 event JSON.
 */
export const s3ViaSnsSqsRecord = (input: S3ViaSnsSqsRecordInput): SQSRecord => {
  const { event, raw, topicArn, ...sqs } = input;
  return raw
    ? sqsRecord({ ...sqs, body: JSON.stringify(event) })
    : snsToSqsRecord({
        ...sqs,
        raw: false,
        message: JSON.stringify(event),
        topicArn,
        subject: "Amazon S3 Notification",
      });
};

// ---------------------------------------------------------------------------------------------------------------
// EventBridge -> SQS

export interface EventBridgeEventInput<TDetail> {
  source: string;
  detailType: string;
  detail: TDetail;
  id?: string;
  account?: string;
  region?: string;
  time?: string;
  resources?: string[];
}

/** An EventBridge event, as a rule target receives it. */
export const eventBridgeEvent = <TDetail>(
  input: EventBridgeEventInput<TDetail>,
): EventBridgeEvent<string, TDetail> => ({
  version: "0",
  id: input.id ?? randomUUID(),
  "detail-type": input.detailType,
  source: input.source,
  account: input.account ?? ACCOUNT,
  time: input.time ?? FIXED_TIME,
  region: input.region ?? REGION,
  resources: input.resources ?? [],
  detail: input.detail,
});

/** An SQS record whose body is a whole EventBridge event (SQS as the rule target). */
export const eventBridgeSqsRecord = <TDetail>(
  event: EventBridgeEvent<string, TDetail> | EventBridgeEventInput<TDetail>,
  sqs: Omit<SqsRecordInput, "body"> = {},
): SQSRecord =>
  sqsRecord({ ...sqs, body: JSON.stringify("detail-type" in event ? event : eventBridgeEvent(event)) });

// ---------------------------------------------------------------------------------------------------------------
// API Gateway WebSocket

/** Headers as API Gateway passes them: single- and multi-value. */
export type HeaderMap = Record<string, string>;

/** The request context of a WebSocket proxy event (`messageId` only on MESSAGE events, as in AWS). */
export interface WebSocketRequestContext extends Omit<APIGatewayEventWebsocketRequestContextV2, "messageId"> {
  messageId?: string;
  identity: { sourceIp: string; userAgent?: string };
  /** The authorizer's `context` (values stringified) plus `principalId`; `$connect` with an authorizer only. */
  authorizer?: Record<string, string>;
}

/** An API Gateway WebSocket Lambda-proxy event for `$connect`, `$disconnect`, `$default` or a custom route. */
export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  isBase64Encoded: boolean;
  body?: string;
  headers?: HeaderMap;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  stageVariables?: Record<string, string>;
}

export interface WebSocketEventInput {
  /** `$connect`, `$disconnect`, `$default` or a custom route key. */
  routeKey: string;
  /** @default a fresh id */
  connectionId?: string;
  /** A non-string is JSON-encoded. MESSAGE events only. */
  body?: unknown;
  /** Authorizer context values; they reach the integration stringified. */
  authorizer?: Record<string, string | number | boolean>;
  queryStringParameters?: Record<string, string>;
  /** @default the handshake headers for `$connect`, none otherwise */
  headers?: HeaderMap;
  domainName?: string;
  stage?: string;
  apiId?: string;
  sourceIp?: string;
}

// Real connection ids look like "L0SM9cOFvHcCIhw=": 11 random bytes in base64.
const connectionIdOf = (): string => randomBytes(11).toString("base64");

const eventTypeOf = (routeKey: string): WebSocketRequestContext["eventType"] => {
  if (routeKey === "$connect") return "CONNECT";
  if (routeKey === "$disconnect") return "DISCONNECT";
  return "MESSAGE";
};

const handshakeHeaders = (domainName: string, extra: HeaderMap = {}): HeaderMap => ({
  Host: domainName,
  "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
  "Sec-WebSocket-Key": Buffer.from(randomUUID().slice(0, 16)).toString("base64"),
  "Sec-WebSocket-Version": "13",
  "X-Amzn-Trace-Id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, "").slice(0, 24)}`,
  "X-Forwarded-For": "203.0.113.10",
  "X-Forwarded-Port": "443",
  "X-Forwarded-Proto": "https",
  ...extra,
});

const multiValue = (single: Record<string, string>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(single).map(([key, value]) => [key, [value]]));

const requestTimeOf = (epochMs: number): string => {
  const date = new Date(epochMs);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
};

/** An API Gateway WebSocket proxy event (see docs/aws-reference.md §5): `eventType` follows the route key. */
export const webSocketEvent = (input: WebSocketEventInput): WebSocketEvent => {
  const apiId = input.apiId ?? DEFAULT_API_ID;
  const domainName = input.domainName ?? `${apiId}.execute-api.${REGION}.amazonaws.com`;
  const eventType = eventTypeOf(input.routeKey);
  const now = Date.now();
  const headers = input.headers ?? (eventType === "CONNECT" ? handshakeHeaders(domainName) : undefined);
  const authorizer =
    input.authorizer === undefined
      ? undefined
      : Object.fromEntries(Object.entries(input.authorizer).map(([key, value]) => [key, String(value)]));
  return {
    requestContext: {
      routeKey: input.routeKey,
      eventType,
      ...(eventType === "MESSAGE" ? { messageId: randomUUID().replace(/-/g, "").slice(0, 16) } : {}),
      extendedRequestId: randomUUID(),
      requestTime: requestTimeOf(now),
      messageDirection: "IN",
      stage: input.stage ?? DEFAULT_STAGE,
      connectedAt: now - (eventType === "CONNECT" ? 0 : 60_000),
      requestTimeEpoch: now,
      identity: { sourceIp: input.sourceIp ?? "203.0.113.10" },
      requestId: randomUUID(),
      domainName,
      connectionId: input.connectionId ?? connectionIdOf(),
      apiId,
      ...(authorizer ? { authorizer } : {}),
    },
    isBase64Encoded: false,
    ...(input.body !== undefined ? { body: asText(input.body) } : {}),
    ...(headers ? { headers, multiValueHeaders: multiValue(headers) } : {}),
    ...(input.queryStringParameters
      ? {
          queryStringParameters: input.queryStringParameters,
          multiValueQueryStringParameters: multiValue(input.queryStringParameters),
        }
      : {}),
  };
};

/** The input of a `$connect` REQUEST authorizer (see docs/aws-reference.md §5). No `pathParameters`, no HTTP verb in `methodArn`. */
export interface WebSocketAuthorizerEvent {
  type: "REQUEST";
  methodArn: string;
  headers: HeaderMap;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  stageVariables: Record<string, string>;
  requestContext: WebSocketRequestContext;
}

export interface WebSocketAuthorizerEventInput {
  /** Put in the query string as `token` (browsers cannot set headers on a WebSocket). */
  token?: string;
  /** The `Sec-WebSocket-Protocol` header, the other place clients put a token. */
  protocolHeader?: string;
  /** @default `arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect` */
  methodArn?: string;
  headers?: HeaderMap;
  queryStringParameters?: Record<string, string>;
  connectionId?: string;
}

/** The event a WebSocket `$connect` REQUEST authorizer receives. */
export const webSocketAuthorizerEvent = (
  input: WebSocketAuthorizerEventInput = {},
): WebSocketAuthorizerEvent => {
  const methodArn =
    input.methodArn ?? `arn:aws:execute-api:${REGION}:${ACCOUNT}:${DEFAULT_API_ID}/${DEFAULT_STAGE}/$connect`;
  const [, apiAndPath = ""] = methodArn.split(`:${ACCOUNT}:`);
  const [apiId = DEFAULT_API_ID, stage = DEFAULT_STAGE] = apiAndPath.split("/");
  const queryStringParameters = {
    ...(input.token !== undefined ? { token: input.token } : {}),
    ...input.queryStringParameters,
  };
  const connect = webSocketEvent({
    routeKey: "$connect",
    apiId,
    stage,
    connectionId: input.connectionId,
    headers: handshakeHeaders(`${apiId}.execute-api.${REGION}.amazonaws.com`, {
      Connection: "upgrade",
      "content-length": "0",
      Upgrade: "websocket",
      ...(input.protocolHeader !== undefined ? { "Sec-WebSocket-Protocol": input.protocolHeader } : {}),
      ...input.headers,
    }),
  });
  const headers = connect.headers ?? {};
  return {
    type: "REQUEST",
    methodArn,
    headers,
    multiValueHeaders: multiValue(headers),
    queryStringParameters,
    multiValueQueryStringParameters: multiValue(queryStringParameters),
    stageVariables: {},
    requestContext: connect.requestContext,
  };
};
