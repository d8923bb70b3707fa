import { createHash } from "node:crypto";
import { LocalServiceError, type MessageAttributeValue } from "../../types";

/**
 * What SNS does to one published message before and while delivering it: validating attributes, subject and
 * size as Publish does, and shaping the JSON envelope SQS/HTTP/email-json subscribers receive and the event
 * record a Lambda subscriber receives.
 */

/** A Publish `MessageAttributes` map ({DataType, StringValue | BinaryValue(base64)}). */
export type SnsAttributes = Record<string, MessageAttributeValue>;

/** One message SNS accepted, as every subscription sees it. */
export interface SnsNotification {
  messageId: string;
  topicArn: string;
  /** The published string; with `MessageStructure=json`, the per-protocol map (`default` always present). */
  message: string;
  perProtocol?: Record<string, string>;
  subject?: string;
  attributes: SnsAttributes;
  /** ISO-8601 with milliseconds, as SNS stamps it. */
  timestamp: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
}

/** Largest message a standard or FIFO topic accepts: 256 KB (262,144 bytes) body plus attributes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** At most this many attributes reach a raw-delivery SQS subscription (SQS's own limit). */
export const SNS_RAW_SQS_MAX_ATTRIBUTES = 10;

/** awsQuery code of InvalidParameterException. */
export const INVALID_PARAMETER = "InvalidParameter";
/** awsQuery code the SDK maps to InvalidParameterValueException (the model's `ParameterValueInvalid`). */
export const INVALID_PARAMETER_VALUE = "ParameterValueInvalid";

const NAME_CHARS = /^[A-Za-z0-9_\-.]+$/;
const TYPE_PATTERN = /^(String|Number|Binary)(\.[A-Za-z0-9_\-.]+)?$/;
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;

function invalidValue(message: string): LocalServiceError {
  return new LocalServiceError(INVALID_PARAMETER_VALUE, message);
}

function invalidParameter(message: string): LocalServiceError {
  return new LocalServiceError(INVALID_PARAMETER, message);
}

/**
 * Checks a MessageAttributes map as Publish does: names of A-Z a-z 0-9 `_` `-` `.` (no leading, trailing or
 * doubled dot, at most 256 bytes, not starting with the reserved `AWS.`/`Amazon.`), a DataType of String,
 * Number or Binary (optionally with a `.custom` suffix, e.g. `String.Array`), the value field matching it,
 * numbers that parse, and `String.Array` values that are JSON arrays of scalars.
 * @throws LocalServiceError `ParameterValueInvalid` (InvalidParameterValueException) naming the attribute
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */
export function validateAttributes(attributes: SnsAttributes): void {
  for (const [name, attribute] of Object.entries(attributes)) {
    if (Buffer.byteLength(name) > 256) {
      throw invalidValue(
        `Length of message attribute name must be less than 256 bytes (attribute '${name}').`,
      );
    }
    if (name.startsWith("."))
      throw invalidValue("Invalid message attribute name starting with character '.' was found.");
    if (name.endsWith("."))
      throw invalidValue("Invalid message attribute name ending with character '.' was found.");
    if (!NAME_CHARS.test(name)) {
      throw invalidValue(
        `Invalid message attribute name '${name}': it can only include alphanumeric characters, hyphens, underscores, or dots.`,
      );
    }
    if (name.includes(".."))
      throw invalidValue("Message attribute name can not have successive '.' character.");
    if (/^(aws\.|amazon\.)/i.test(name)) {
      throw invalidValue(
        `Message attribute name '${name}' uses a prefix reserved for AWS (AWS. or Amazon.).`,
      );
    }
    const type = attribute.DataType;
    if (!type) {
      throw new LocalServiceError(
        "ValidationError",
        `1 validation error detected: Value null at 'messageAttributes.${name}.member.dataType' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (!TYPE_PATTERN.test(type)) {
      throw invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const binary = type.startsWith("Binary");
    const field = binary ? "BinaryValue" : "StringValue";
    const value = binary ? attribute.BinaryValue : attribute.StringValue;
    const other = binary ? attribute.StringValue : attribute.BinaryValue;
    if (value === undefined && other !== undefined) {
      throw invalidValue(
        `The message attribute '${name}' with type '${type}' must use field '${binary ? "Binary" : "String"}'.`,
      );
    }
    if (value === undefined || value === "") {
      throw invalidValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (type.startsWith("Number") && !Number.isFinite(Number(value))) {
      throw invalidValue(
        `The message attribute '${name}' with type 'Number' has an invalid value '${value}'; ${field} must be a number.`,
      );
    }
    if (type.startsWith("String.Array")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      const scalars =
        Array.isArray(parsed) &&
        parsed.every((item) => item === null || ["string", "number", "boolean"].includes(typeof item));
      if (!scalars) {
        throw invalidValue(
          `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls (got ${value}).`,
        );
      }
    }
  }
}

/**
 * Bytes a Publish counts against the 256 KB limit: the UTF-8 body plus, for every attribute, its name, data
 * type and value ("All parts of the message attribute, including name, type, and value, are included").
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */
export function publishSize(message: string, attributes: SnsAttributes): number {
  let size = Buffer.byteLength(message);
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    if (attribute.StringValue !== undefined) size += Buffer.byteLength(attribute.StringValue);
    if (attribute.BinaryValue !== undefined) size += Buffer.from(attribute.BinaryValue, "base64").length;
  }
  return size;
}

/**
 * The Subject rule: "UTF-8 text with no line breaks or control characters, and less than 100 characters long";
 * an empty subject is refused too.
 * @throws LocalServiceError InvalidParameter
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export function validateSubject(subject: string | undefined): void {
  if (subject === undefined) return;
  if (subject === "") throw invalidParameter("Invalid parameter: Subject (it must not be empty)");
  if ([...subject].length >= 100) {
    throw invalidParameter(
      `Invalid parameter: Subject (${[...subject].length} characters; it must be less than 100)`,
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(subject)) {
    throw invalidParameter(
      "Invalid parameter: Subject (it must not contain line breaks or control characters)",
    );
  }
}

/**
 * `MessageGroupId` / `MessageDeduplicationId`: 1 to 128 alphanumeric or punctuation characters.
 * @throws LocalServiceError InvalidParameter
 */
export function validateFifoId(
  field: "MessageGroupId" | "MessageDeduplicationId",
  value: string | undefined,
): void {
  if (value === undefined) return;
  if (!FIFO_ID.test(value)) {
    throw invalidParameter(
      `Invalid parameter: ${field} Reason: it must be 1 to 128 alphanumeric or punctuation characters (got ${JSON.stringify(value)})`,
    );
  }
}

/**
 * `MessageStructure=json`: the message is a JSON object whose string values are per-protocol messages and which
 * has a `default` entry (non-string values are ignored, as SNS does).
 * @throws LocalServiceError InvalidParameter
 */
export function parseMessageStructure(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  const messages: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === "string") messages[key] = value;
  if (messages.default === undefined) {
    throw invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body");
  }
  return messages;
}

/** The message a subscription of this protocol receives (its own entry under `MessageStructure=json`). */
export function messageFor(notification: SnsNotification, protocol: string): string {
  const perProtocol = notification.perProtocol;
  if (!perProtocol) return notification.message;
  return perProtocol[protocol] ?? perProtocol.default ?? notification.message;
}

/** Attributes as the envelope carries them: `{Name: {Type, Value}}`; none under `MessageStructure=json`. */
export function envelopeAttributes(
  notification: SnsNotification,
): Record<string, { Type: string; Value: string }> {
  const out: Record<string, { Type: string; Value: string }> = {};
  if (notification.perProtocol) return out;
  for (const [name, attribute] of Object.entries(notification.attributes)) {
    out[name] = { Type: attribute.DataType, Value: attribute.StringValue ?? attribute.BinaryValue ?? "" };
  }
  return out;
}

/** A stand-in signature (base64, the length of a real SHA1withRSA one): the local cloud does not sign. */
export function fakeSignature(notification: SnsNotification): string {
  const digest = createHash("sha512").update(`${notification.messageId}\n${notification.message}`).digest();
  return Buffer.concat([digest, digest, digest, digest]).toString("base64").slice(0, 344);
}

/** Where SNS says its signing certificate is (not served locally). */
export function signingCertUrl(region: string): string {
  return `https://sns.${region}.amazonaws.com/SimpleNotificationService-local.pem`;
}

/** The unsubscribe link SNS puts in every notification (points at the local engine). */
export function unsubscribeUrl(endpoint: string, subscriptionArn: string): string {
  return `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;
}

/**
 * The JSON document an SQS (raw delivery off), HTTP/S or email-json subscriber receives:
 * Type, MessageId, [SequenceNumber], TopicArn, [Subject], Message, Timestamp, SignatureVersion, Signature,
 * SigningCertURL, UnsubscribeURL, [MessageAttributes {Name: {Type, Value}}].
 * https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html
 */
export function envelope(
  notification: SnsNotification,
  protocol: string,
  context: { region: string; endpoint: string; subscriptionArn: string },
): Record<string, unknown> {
  const attributes = envelopeAttributes(notification);
  return {
    Type: "Notification",
    MessageId: notification.messageId,
    ...(notification.sequenceNumber !== undefined ? { SequenceNumber: notification.sequenceNumber } : {}),
    TopicArn: notification.topicArn,
    ...(notification.subject !== undefined ? { Subject: notification.subject } : {}),
    Message: messageFor(notification, protocol),
    Timestamp: notification.timestamp,
    SignatureVersion: "1",
    Signature: fakeSignature(notification),
    SigningCertURL: signingCertUrl(context.region),
    UnsubscribeURL: unsubscribeUrl(context.endpoint, context.subscriptionArn),
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
}

/**
 * The event a Lambda subscriber receives: `{Records: [{EventSource: "aws:sns", EventVersion, EventSubscriptionArn,
 * Sns: {...}}]}`. Note the casing differs from the SQS envelope (`SigningCertUrl`, `UnsubscribeUrl`), `Subject` is
 * null when unset and `MessageAttributes` is always present.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
 */
export function lambdaEvent(
  notification: SnsNotification,
  context: { region: string; endpoint: string; subscriptionArn: string },
): { Records: unknown[] } {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: context.subscriptionArn,
        Sns: {
          Type: "Notification",
          MessageId: notification.messageId,
          TopicArn: notification.topicArn,
          Subject: notification.subject ?? null,
          Message: messageFor(notification, "lambda"),
          Timestamp: notification.timestamp,
          SignatureVersion: "1",
          Signature: fakeSignature(notification),
          SigningCertUrl: signingCertUrl(context.region),
          UnsubscribeUrl: unsubscribeUrl(context.endpoint, context.subscriptionArn),
          MessageAttributes: envelopeAttributes(notification),
        },
      },
    ],
  };
}

/** Content-based deduplication id: SHA-256 of the body (not the attributes). */
export function contentDeduplicationId(message: string): string {
  return createHash("sha256").update(message).digest("hex");
}
