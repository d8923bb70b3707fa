import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import {
  DEAD_LETTER_ATTRIBUTES,
  MAX_FAILURE_REASON_LENGTH,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  SQS_MAX_MESSAGE_BYTES,
} from "./constants";
import { DeadLetterError } from "./errors";
import type { DeadLetterAdapter, DeadLetterDetails } from "./types";

export interface SqsDeadLetterOptions {
  /**
   * Largest message (body + attributes) the DLQ accepts. Set it to the queue's `MaximumMessageSize`
   * if that is lower than the SQS maximum.
   * @default 1_048_576 (1 MiB)
   */
  maxMessageBytes?: number;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

const nonEmpty = (text: string | undefined, fallback: string): string =>
  text === undefined || text === "" ? fallback : text;

// SQS measures a message as body + every attribute's name, type and value.
const messageBytes = (body: string, attributes: Record<string, MessageAttributeValue>): number => {
  let total = utf8Bytes(body);
  for (const [name, value] of Object.entries(attributes)) {
    total += utf8Bytes(name) + utf8Bytes(value.DataType ?? "");
    total +=
      value.StringValue !== undefined ? utf8Bytes(value.StringValue) : (value.BinaryValue?.byteLength ?? 0);
  }
  return total;
};

const failureAttributes = (
  record: SQSRecord,
  reason: string,
  details: DeadLetterDetails | undefined,
): Record<string, MessageAttributeValue> => {
  const text = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value });
  return {
    [DEAD_LETTER_ATTRIBUTES.reason]: text(
      truncate(nonEmpty(reason, "unspecified"), MAX_FAILURE_REASON_LENGTH),
    ),
    [DEAD_LETTER_ATTRIBUTES.source]: text(nonEmpty(details?.source, "unknown")),
    [DEAD_LETTER_ATTRIBUTES.queue]: text(nonEmpty(record.eventSourceARN, "unknown")),
    [DEAD_LETTER_ATTRIBUTES.messageId]: text(nonEmpty(record.messageId, "unknown")),
  };
};

// The original attributes travel along while there is room (SQS allows 10); ours take precedence.
const originalAttributes = (record: SQSRecord, room: number): Record<string, MessageAttributeValue> => {
  const copied: Record<string, MessageAttributeValue> = {};
  for (const [name, attribute] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(copied).length >= room) break;
    if (name.startsWith("switchyard.failure.")) continue;
    if (attribute.stringValue !== undefined) {
      copied[name] = { DataType: attribute.dataType, StringValue: attribute.stringValue };
    } else if (attribute.binaryValue !== undefined) {
      copied[name] = {
        DataType: attribute.dataType,
        BinaryValue: Buffer.from(attribute.binaryValue, "base64"),
      };
    }
  }
  return copied;
};

/**
 * A dead-letter adapter that sends the failed record's body, unchanged, to the SQS queue at `queueUrl`
 * (typically from env `DLQ_URL`), with the failure in message attributes: `switchyard.failure.reason`,
 * `switchyard.failure.source` (who failed it), `switchyard.failure.queue` (where it was consumed from) and
 * `switchyard.failure.messageId`. Original attributes are kept while SQS's limit of 10 allows.
 *
 * For a FIFO DLQ (`.fifo` URL) the message keeps its `MessageGroupId` and is deduplicated by the source
 * message id, so a retried batch does not dead-letter it twice.
 *
 * A message that would exceed `maxMessageBytes` is refused (never truncated): `send` throws a
 * `DeadLetterError`, and `processSqsBatch` then reports the record failed so the redrive policy moves it.
 */
export const sqsDeadLetter = (
  client: Pick<SQSClient, "send">,
  queueUrl: string,
  options: SqsDeadLetterOptions = {},
): DeadLetterAdapter => {
  const maxBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
  const fifo = queueUrl.endsWith(".fifo");
  return {
    async send(record, reason, details) {
      const ours = failureAttributes(record, reason, details);
      const attributes = {
        ...originalAttributes(record, SQS_MAX_MESSAGE_ATTRIBUTES - Object.keys(ours).length),
        ...ours,
      };
      const size = messageBytes(record.body, attributes);
      if (size > maxBytes) {
        throw new DeadLetterError(
          `SQS message ${record.messageId} is ${size} bytes with its failure attributes; ` +
            `the dead-letter queue accepts at most ${maxBytes}. Not sent.`,
        );
      }
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: record.body,
            MessageAttributes: attributes,
            ...(fifo
              ? {
                  MessageGroupId: record.attributes?.MessageGroupId ?? "dead-letter",
                  MessageDeduplicationId: record.messageId,
                }
              : {}),
          }),
        );
      } catch (error) {
        throw new DeadLetterError(`Could not send SQS message ${record.messageId} to the dead-letter queue`, {
          cause: error,
        });
      }
    },
  };
};
