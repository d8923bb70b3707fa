import { type LoggerLike, parseS3Records, type S3ObjectEvent } from "@switchyard/runtime-kit";
import type { SQSRecord } from "aws-lambda";
import type { PipelineTable } from "../adapters/pipeline-table";

/**
 * Unwraps one SQS record (S3 -> SNS -> SQS, raw or wrapped, or S3 -> SQS) and hands each object event to
 * `handle`, in order. S3's one-time `s3:TestEvent` is logged and acknowledged.
 */
export async function forEachObjectEvent(
  record: SQSRecord,
  logger: LoggerLike,
  handle: (event: S3ObjectEvent) => Promise<void>,
): Promise<void> {
  const notification = parseS3Records(record);
  if (notification.kind === "test") {
    logger.info("S3 test event acknowledged", { bucket: notification.bucket });
    return;
  }
  for (const event of notification.records) await handle(event);
}

/**
 * Passes the event through the per-key sequencer gate: false for a stale event (a newer one for the same key
 * was seen), which must change nothing. Events without a sequencer cannot be ordered and pass.
 */
export async function admitted(
  table: PipelineTable,
  event: S3ObjectEvent,
  logger: LoggerLike,
): Promise<boolean> {
  if (event.sequencer === undefined) {
    logger.warn("S3 event without a sequencer: cannot be ordered, processed as is", {
      eventName: event.eventName,
    });
    return true;
  }
  const fresh = await table.admit(event.key, event.sequencer, event.eventName);
  if (!fresh) {
    logger.info("stale S3 event skipped: a newer event for this key was processed", {
      eventName: event.eventName,
      sequencer: event.sequencer,
    });
  }
  return fresh;
}
