import type { SQSRecord } from "aws-lambda";
import { z } from "zod";
import {
  S3_EVENT_VERSION_PATTERN,
  S3_MAX_ENCODED_KEY_LENGTH,
  S3_MAX_SEQUENCER_DIGITS,
  S3_SEQUENCER_PATTERN,
  S3_TEST_EVENT,
} from "../constants";
import type { S3Notification, S3ObjectEvent } from "../types";
import { isRecord, parseJson, parseWith, subjectOf } from "./parse";
import { isSnsNotification, snsNotificationSchema } from "./sns";

/**
 * Decodes an S3 event key: `+` is a space, then percent-decoding (`red+flower.jpg` -> `red flower.jpg`,
 * `a%2Bb.txt` -> `a+b.txt`). Throws `URIError` on a malformed `%` sequence.
 */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, " "));

const isDecodable = (key: string): boolean => {
  try {
    decodeS3Key(key);
    return true;
  } catch {
    return false;
  }
};

const s3TestEventSchema = z.object({
  Service: z.literal("Amazon S3"),
  Event: z.literal(S3_TEST_EVENT),
  Time: z.string(),
  Bucket: z.string().min(1),
});

const s3RecordSchema = z.object({
  eventVersion: z.string().regex(S3_EVENT_VERSION_PATTERN, {
    error: (issue) => `unsupported event version ${JSON.stringify(issue.input)}; expected 2.x`,
  }),
  eventSource: z.literal("aws:s3"),
  awsRegion: z.string(),
  eventTime: z.iso.datetime({ offset: true, error: "must be an ISO 8601 timestamp" }),
  eventName: z.string().min(1).max(64),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z
        .string()
        .min(1)
        .max(S3_MAX_ENCODED_KEY_LENGTH)
        .refine(isDecodable, { error: "is not a valid URL-encoded key" }),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().max(128).optional(),
      versionId: z.string().min(1).max(1024).optional(),
      sequencer: z
        .string()
        .regex(S3_SEQUENCER_PATTERN, {
          error: `must be 1 to ${S3_MAX_SEQUENCER_DIGITS} hexadecimal digits`,
        })
        .optional(),
    }),
  }),
});

const s3EventSchema = z.object({ Records: z.array(s3RecordSchema) });

type S3RecordInput = z.output<typeof s3RecordSchema>;

const toObjectEvent = (record: S3RecordInput): S3ObjectEvent => {
  const { object } = record.s3;
  return {
    eventName: record.eventName,
    eventTime: record.eventTime,
    eventVersion: record.eventVersion,
    region: record.awsRegion,
    bucket: record.s3.bucket.name,
    key: decodeS3Key(object.key),
    encodedKey: object.key,
    ...(object.size !== undefined ? { size: object.size } : {}),
    ...(object.eTag !== undefined ? { eTag: object.eTag } : {}),
    ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
    ...(object.sequencer !== undefined ? { sequencer: object.sequencer } : {}),
  };
};

/**
 * Unwraps an S3 event notification that reached SQS directly, through SNS with raw delivery, or through
 * SNS wrapped (the body's `Message` is the S3 event as a JSON string, so it is parsed twice).
 *
 * Sequencers must be hexadecimal (at most 64 digits) and `eventTime` an ISO 8601 timestamp: anything else is a
 * permanent `ValidationError`. With wrapped delivery the SNS `TopicArn` is returned as `topicArn`, so a consumer
 * can refuse events that did not come through its topic (raw delivery carries no topic).
 *
 * Returns `{ kind: "test" }` for the `s3:TestEvent` S3 sends when notifications are configured, otherwise
 * `{ kind: "records", records }` with each key URL-decoded. Event versions `2.x` are accepted.
 *
 * @throws ValidationError naming the field, e.g. `body.Message.Records.0.eventVersion: unsupported event version "3.0"`
 */
export const parseS3Records = (record: SQSRecord): S3Notification => {
  const subject = subjectOf(record);
  let at = "body";
  let document = parseJson(record.body, at, subject);
  let topicArn: string | undefined;
  if (isSnsNotification(document)) {
    const notification = parseWith(snsNotificationSchema, document, at, subject);
    topicArn = notification.TopicArn;
    at = "body.Message";
    document = parseJson(notification.Message, at, subject);
  }
  const via = topicArn === undefined ? {} : { topicArn };
  if (isRecord(document) && document.Event === S3_TEST_EVENT) {
    const test = parseWith(s3TestEventSchema, document, at, subject);
    return { kind: "test", bucket: test.Bucket, time: test.Time, ...via };
  }
  const event = parseWith(s3EventSchema, document, at, subject);
  return { kind: "records", records: event.Records.map(toObjectEvent), ...via };
};

/**
 * Orders two S3 sequencers of the same key: left-pads the shorter with zeros, then compares
 * lexicographically (case-insensitively; they are hex). Returns -1, 0 or 1. Meaningless across keys.
 */
export const compareSequencers = (a: string, b: string): -1 | 0 | 1 => {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padStart(width, "0");
  const right = b.toUpperCase().padStart(width, "0");
  if (left === right) return 0;
  return left < right ? -1 : 1;
};

/**
 * True when `candidate` is a later event than `current` for the same key (or there is no `current`).
 * Use it to drop stale or duplicate S3 events: S3 delivers at least once and out of order.
 */
export const isNewerSequencer = (candidate: string, current: string | undefined): boolean =>
  current === undefined || compareSequencers(candidate, current) > 0;
