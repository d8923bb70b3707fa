import { createHash } from "node:crypto";
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
  /**
   * Stores a body too large to travel with its failure attributes and returns a reference to it (e.g.
   * `s3://bucket/key`); the DLQ message then holds the reference. Without it such a body is cut.
   * @default undefined (cut the body)
   */
  parkBody?: (record: SQSRecord) => Promise<string>;
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

/** Reason length kept when a message must shrink to fit the DLQ. */
const SHORT_REASON_LENGTH = 256;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, at a character boundary (no half characters). */
export const truncateUtf8 = (text: string, maxBytes: number): string => {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Step back over continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
};

/**
 * What goes to the DLQ: the body unchanged with the failure attributes when it fits; otherwise, in this order,
 * the original attributes are dropped, the reason is shortened, and last the body is parked (with `parkBody`)
 * or cut, with `switchyard.failure.body` saying what was done. The reason is always there.
 */
const fitForDeadLetter = async (
  record: SQSRecord,
  reason: string,
  details: DeadLetterDetails | undefined,
  maxBytes: number,
  parkBody: SqsDeadLetterOptions["parkBody"],
): Promise<{ body: string; attributes: Record<string, MessageAttributeValue> }> => {
  const ours = failureAttributes(record, reason, details);
  const full = {
    ...originalAttributes(record, SQS_MAX_MESSAGE_ATTRIBUTES - Object.keys(ours).length),
    ...ours,
  };
  if (messageBytes(record.body, full) <= maxBytes) return { body: record.body, attributes: full };
  const note = (text: string): MessageAttributeValue => ({ DataType: "String", StringValue: text });
  const originalBytes = utf8Bytes(record.body);
  if (messageBytes(record.body, ours) <= maxBytes) {
    return { body: record.body, attributes: ours };
  }
  const short = failureAttributes(
    record,
    truncate(nonEmpty(reason, "unspecified"), SHORT_REASON_LENGTH),
    details,
  );
  const sha256 = createHash("sha256").update(record.body, "utf8").digest("hex");
  if (parkBody) {
    const reference = await parkBody(record);
    const body = JSON.stringify({ parkedBody: reference, bytes: originalBytes, sha256 });
    return {
      body,
      attributes: {
        ...short,
        [DEAD_LETTER_ATTRIBUTES.body]: note(
          `parked: ${originalBytes} bytes at ${reference}; sha256 ${sha256}`,
        ),
      },
    };
  }
  const truncated = (kept: number) =>
    note(`truncated: kept the first ${kept} of ${originalBytes} bytes; sha256 of the original ${sha256}`);
  // Room computed with the widest note (kept = original size); the real note is never longer.
  const room =
    maxBytes - messageBytes("", { ...short, [DEAD_LETTER_ATTRIBUTES.body]: truncated(originalBytes) });
  const body = truncateUtf8(record.body, room);
  return { body, attributes: { ...short, [DEAD_LETTER_ATTRIBUTES.body]: truncated(utf8Bytes(body)) } };
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
 * Every dead letter carries its reason, whatever its size. A message that would exceed `maxMessageBytes` with
 * its failure attributes (a body near SQS's 1 MiB) first loses the original attributes, then the reason is cut to
 * 256 characters, and last the body is parked through `parkBody` (e.g. in S3; the DLQ body then names it) or,
 * without it, cut at a character boundary; `switchyard.failure.body` then says so, with the original size and
 * SHA-256.
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
      const { body, attributes } = await fitForDeadLetter(
        record,
        reason,
        details,
        maxBytes,
        options.parkBody,
      );
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: body,
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
