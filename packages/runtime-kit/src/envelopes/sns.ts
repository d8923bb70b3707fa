import type { SQSRecord } from "aws-lambda";
import { z } from "zod";
import { ValidationError } from "../errors";
import type { MessageAttributes, SnsParseOptions, SnsSqsMessage } from "../types";
import { isRecord, parseJson, parseWith, subjectOf } from "./parse";
import { sqsMessageAttributes } from "./sqs";

/** The SNS notification document SQS receives when raw message delivery is off. */
export const snsNotificationSchema = z.object({
  Type: z.literal("Notification"),
  MessageId: z.string().min(1),
  TopicArn: z.string().startsWith("arn:"),
  Message: z.string(),
  Timestamp: z.string().min(1),
  Subject: z.string().nullish(),
  MessageAttributes: z
    .record(z.string(), z.object({ Type: z.string().min(1), Value: z.string() }))
    .optional(),
  SignatureVersion: z.string().optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
});

export type SnsNotification = z.output<typeof snsNotificationSchema>;

/**
 * True when `value` looks like a wrapped SNS notification. All of `Type === "Notification"`, a `TopicArn`
 * starting with `arn:`, a string `MessageId` and a string `Message` must hold, so a raw message that
 * merely has a `Type` field is not mistaken for an envelope.
 */
export const isSnsNotification = (value: unknown): boolean =>
  isRecord(value) &&
  value.Type === "Notification" &&
  typeof value.TopicArn === "string" &&
  value.TopicArn.startsWith("arn:") &&
  typeof value.MessageId === "string" &&
  typeof value.Message === "string";

const tryJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The `TopicArn` an envelope claims, quoted and cut short for a message (it is the sender's text). */
const topicOf = (envelope: unknown): string => {
  const arn = isRecord(envelope) ? envelope.TopicArn : undefined;
  return JSON.stringify(typeof arn === "string" ? arn.slice(0, 256) : arn);
};

const envelopeAttributes = (notification: SnsNotification): MessageAttributes => {
  const attributes: MessageAttributes = {};
  for (const [name, { Type, Value }] of Object.entries(notification.MessageAttributes ?? {})) {
    attributes[name] = { dataType: Type, value: Value };
  }
  return attributes;
};

/** Where the SNS message text sits in the record, for validation messages. */
export const snsMessagePath = (message: Pick<SnsSqsMessage<unknown>, "raw">): string =>
  message.raw ? "body" : "body.Message";

/**
 * Unwraps an SNS message delivered through SQS, raw or wrapped.
 *
 * - Wrapped (raw delivery off): the body is the SNS notification JSON; the message is its `Message`,
 *   attributes come from `MessageAttributes` (`{Type, Value}`), and `topicArn`/`messageId`/`subject`/
 *   `timestamp` are filled in.
 * - Raw: the body is the message itself; attributes come from the SQS record's `messageAttributes`.
 *
 * With `delivery: "auto"` (default) a body is wrapped only when it parses as JSON and passes
 * {@link isSnsNotification}. Pass `"raw"` or `"wrapped"` when the subscription is known: with `"raw"` a body
 * that is itself an SNS envelope is refused (SNS never wraps a raw delivery, so it was forged by a sender to the
 * queue or nested by a publisher), naming the topic it claims. Pass `topicArn` (the subscribed topic) so a
 * wrapped envelope naming any other topic is refused: an envelope's `TopicArn` and attributes are only as
 * trustworthy as whoever could send to the queue.
 *
 * @throws ValidationError when a wrapped envelope is malformed (naming the field), when `delivery` is
 * `"wrapped"` and the body is not an envelope, when `delivery` is `"raw"` and the body is an envelope, or when
 * the envelope's `TopicArn` is not `topicArn` (path `body.TopicArn`).
 */
export const unwrapSnsSqsRecord = (
  record: SQSRecord,
  options: SnsParseOptions = {},
): SnsSqsMessage<string> => {
  const delivery = options.delivery ?? "auto";
  const subject = subjectOf(record);
  let candidate: unknown;
  if (delivery === "wrapped") {
    candidate = parseJson(record.body, "body", subject);
    if (!isRecord(candidate)) {
      throw new ValidationError([{ path: "body", message: "is not an SNS notification envelope" }], {
        subject,
      });
    }
  } else {
    const parsed = tryJson(record.body);
    if (isSnsNotification(parsed)) {
      if (delivery === "raw") {
        throw new ValidationError(
          [
            {
              path: "body",
              message: `is an SNS notification envelope claiming topic ${topicOf(parsed)}, but the subscription delivers raw messages: refused as forged`,
            },
          ],
          { subject },
        );
      }
      candidate = parsed;
    }
  }

  if (candidate === undefined) {
    return { message: record.body, attributes: sqsMessageAttributes(record), raw: true };
  }
  const notification = parseWith(snsNotificationSchema, candidate, "body", subject);
  if (options.topicArn !== undefined && notification.TopicArn !== options.topicArn) {
    throw new ValidationError(
      [
        {
          path: "body.TopicArn",
          message: `names topic ${topicOf(notification)}; this queue is subscribed to ${options.topicArn} only`,
        },
      ],
      { subject },
    );
  }
  return {
    message: notification.Message,
    attributes: envelopeAttributes(notification),
    raw: false,
    topicArn: notification.TopicArn,
    messageId: notification.MessageId,
    ...(notification.Subject ? { subject: notification.Subject } : {}),
    timestamp: notification.Timestamp,
  };
};

/**
 * Like {@link unwrapSnsSqsRecord}, then parses the message as JSON and validates it with `schema`.
 *
 * @throws ValidationError naming the field: `body.Message: is not valid JSON`, `body.Message.orderId: ...`
 * (`body...` for raw delivery)
 */
export const parseSnsSqsMessage = <S extends z.ZodType>(
  record: SQSRecord,
  schema: S,
  options: SnsParseOptions = {},
): SnsSqsMessage<z.output<S>> => {
  const unwrapped = unwrapSnsSqsRecord(record, options);
  const subject = subjectOf(record);
  const at = snsMessagePath(unwrapped);
  return { ...unwrapped, message: parseWith(schema, parseJson(unwrapped.message, at, subject), at, subject) };
};
