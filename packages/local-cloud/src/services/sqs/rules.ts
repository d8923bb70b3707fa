import { createHash } from "node:crypto";
import { md5 } from "../../protocol";
import type { MessageAttributeValue } from "../../types";
import { invalidParameter, missingParameter, sqsError } from "./errors";

/**
 * SQS rules shared by the API and the model: limits, message and attribute validation, sizes, the MD5
 * digests AWS returns, and the readers of the JSON-shaped input parameters.
 */

/** Largest message a queue may accept (MaximumMessageSize upper bound), and the batch payload limit. */
export const MAX_MESSAGE_SIZE = 1_048_576;
/** MaximumMessageSize lower bound. */
export const MIN_MESSAGE_SIZE = 1_024;
export const MAX_DELAY_SECONDS = 900;
export const MAX_VISIBILITY_TIMEOUT = 43_200;
export const MAX_WAIT_SECONDS = 20;
export const MIN_RETENTION_SECONDS = 60;
export const MAX_RETENTION_SECONDS = 1_209_600;
export const MAX_BATCH_ENTRIES = 10;
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** FIFO deduplication interval. */
export const DEDUP_WINDOW_SECONDS = 300;

/** Whether SQS accepts a code point in bodies and string attribute values. */
function allowedCodePoint(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** @throws InvalidMessageContents when the text has a character outside the allowed set (lone surrogates included) */
export function checkCharacters(text: string, what = "message body"): void {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (allowedCodePoint(code)) continue;
    throw sqsError(
      "InvalidMessageContents",
      `Invalid binary character '#x${code.toString(16).toUpperCase()}' was found in the ${what}, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

/**
 * Validates message attributes like SendMessage (at most 10; names of `A-Za-z0-9_-.`, no `AWS.` /
 * `Amazon.` prefix, no leading/trailing/double dots; `String`/`Number`/`Binary` types with a value).
 * @returns a normalised copy (only the DataType and the value of its transport type)
 */
export function validateMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  if (!attributes) return out;
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameter(
      "MessageAttributes",
      names.length,
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    const value = attributes[name];
    if (
      name.length === 0 ||
      name.length > 256 ||
      !ATTRIBUTE_NAME.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw invalidParameter(
        "MessageAttributes",
        name,
        `Message (user) attribute name '${name}' is invalid.`,
      );
    }
    if (
      !value ||
      typeof value.DataType !== "string" ||
      !DATA_TYPE.test(value.DataType) ||
      value.DataType.length > 256
    ) {
      throw invalidParameter(
        "MessageAttributes",
        name,
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    const transport = value.DataType.split(".")[0];
    if (transport === "Binary") {
      if (typeof value.BinaryValue !== "string" || Buffer.from(value.BinaryValue, "base64").length === 0) {
        throw invalidParameter(
          "MessageAttributes",
          name,
          `Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`,
        );
      }
      out[name] = { DataType: value.DataType, BinaryValue: value.BinaryValue };
    } else {
      if (typeof value.StringValue !== "string" || value.StringValue.length === 0) {
        throw invalidParameter(
          "MessageAttributes",
          name,
          `Message (user) attribute '${name}' must contain a non-empty value of type '${transport}'.`,
        );
      }
      if (
        transport === "Number" &&
        !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.StringValue.trim())
      ) {
        throw invalidParameter(
          "MessageAttributes",
          name,
          `Could not cast message (user) attribute '${name}' value to number.`,
        );
      }
      checkCharacters(value.StringValue, `message (user) attribute '${name}'`);
      out[name] = { DataType: value.DataType, StringValue: value.StringValue };
    }
  }
  return out;
}

/** Bytes a message counts against MaximumMessageSize: body plus each attribute's name, type and value. */
export function messageSize(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let size = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType, "utf8");
    size +=
      value.BinaryValue !== undefined
        ? Buffer.from(value.BinaryValue, "base64").length
        : Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return size;
}

/**
 * MD5OfMessageAttributes as AWS computes it: for each attribute in name order, the length-prefixed
 * (4-byte big-endian) UTF-8 name and data type, a transport byte (1 string/number, 2 binary) and the
 * length-prefixed value bytes; the hex MD5 of it all. Undefined when there are no attributes.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const push = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    push(Buffer.from(name, "utf8"));
    push(Buffer.from(value.DataType, "utf8"));
    if (value.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]));
      push(Buffer.from(value.BinaryValue ?? "", "base64"));
    } else {
      parts.push(Buffer.from([1]));
      push(Buffer.from(value.StringValue ?? "", "utf8"));
    }
  }
  return md5(Buffer.concat(parts));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** MessageGroupId / MessageDeduplicationId: 1-128 alphanumeric or punctuation characters. */
export function checkFifoToken(name: string, value: string): void {
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
    throw invalidParameter(
      name,
      value,
      `${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

/** A batch entry Id: at most 80 characters of `A-Za-z0-9_-`. */
export function checkBatchIds(ids: readonly unknown[]): void {
  if (ids.length === 0) {
    throw sqsError(
      "EmptyBatchRequest",
      "There should be at least one SendMessageBatchRequestEntry in the request.",
    );
  }
  if (ids.length > MAX_BATCH_ENTRIES) {
    throw sqsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${ids.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw sqsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (seen.has(id)) throw sqsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    seen.add(id);
  }
}

/**
 * Which names a ReceiveMessage `MessageAttributeNames` list selects: `All` or `.*` for every one,
 * `prefix.*` for a prefix, otherwise exact names.
 */
export function attributeSelector(requested: readonly string[] | undefined): (name: string) => boolean {
  if (!requested || requested.length === 0) return () => false;
  if (requested.includes("All") || requested.includes(".*")) return () => true;
  const exact = new Set(requested.filter((name) => !name.endsWith(".*")));
  const prefixes = requested.filter((name) => name.endsWith(".*")).map((name) => name.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

/** The message system attributes ReceiveMessage can return. */
export const SYSTEM_ATTRIBUTE_NAMES = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageDeduplicationId",
  "MessageGroupId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

/** Reads a JSON number (or numeric string) parameter as an integer within bounds. */
export function intParam(
  input: Record<string, unknown>,
  name: string,
  bounds: { min: number; max: number; reason?: string },
): number | undefined {
  const raw = input[name];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalidParameter(name, raw, "Must be an integer.");
  }
  if (value < bounds.min || value > bounds.max) {
    throw invalidParameter(
      name,
      raw,
      bounds.reason ?? `Must be >= ${bounds.min} and <= ${bounds.max}, if provided.`,
    );
  }
  return value;
}

export function stringParam(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParameter(name, value, "Must be a string.");
  return value;
}

export function requiredString(input: Record<string, unknown>, name: string): string {
  const value = stringParam(input, name);
  if (value === undefined || value === "") throw missingParameter(name);
  return value;
}

export function stringList(input: Record<string, unknown>, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw invalidParameter(name, JSON.stringify(value), "Must be a list of strings.");
  }
  return value as string[];
}

export function stringMap(input: Record<string, unknown>, name: string): Record<string, string> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalidParameter(name, JSON.stringify(value), "Must be a map of strings.");
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = typeof item === "string" ? item : String(item);
  }
  return out;
}

export function attributeMap(
  input: Record<string, unknown>,
  name: string,
): Record<string, MessageAttributeValue> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalidParameter(name, JSON.stringify(value), "Must be a map of message attribute values.");
  }
  return value as Record<string, MessageAttributeValue>;
}
