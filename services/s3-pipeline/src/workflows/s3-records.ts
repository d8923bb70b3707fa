import {
  type DeadLetterAdapter,
  type LoggerLike,
  type MetricsLike,
  PermanentError,
  type ProcessSqsBatchOptions,
  parseS3Records,
  type S3ObjectEvent,
} from "@switchyard/runtime-kit";
import type { SQSRecord } from "aws-lambda";
import type { ObjectHead, ObjectStore } from "../adapters/object-store";
import type { LatestEntry, LatestState, PipelineTable } from "../adapters/pipeline-table";

/** What each pipeline consumer hands `processSqsBatch` besides its record handler. */
export interface ConsumerDeps {
  logger: LoggerLike;
  metrics?: MetricsLike;
  /** Where permanent failures, and transient ones on their last receive, go with their reason. */
  deadLetter?: DeadLetterAdapter;
  /**
   * The queue's `maxReceiveCount` (`MAX_RECEIVE_COUNT`): a record still failing transiently on that receive is
   * dead-lettered with its reason instead of being moved by SQS without one.
   */
  maxReceiveCount?: number;
}

/** The batch options of a pipeline consumer. */
export const batchOptions = (deps: ConsumerDeps): ProcessSqsBatchOptions => ({
  logger: deps.logger,
  ...(deps.metrics ? { metrics: deps.metrics } : {}),
  ...(deps.deadLetter ? { deadLetter: deps.deadLetter } : {}),
  ...(deps.maxReceiveCount !== undefined ? { maxReceiveCount: deps.maxReceiveCount } : {}),
});

/** Where a consumer's events may come from: the uploads bucket. */
export interface EventSource {
  bucket: string;
}

/**
 * Hands each object event of one SQS record to `handle`, in order. The pipeline's queues are subscribed to its
 * topics with raw message delivery (S3 -> SNS -> SQS, the body is S3's event itself), so a body shaped like an SNS
 * envelope was never wrapped by SNS: someone sent it to the queue, with a TopicArn of their choosing, and it is
 * refused naming the topic it claims (never unwrapped). S3's one-time `s3:TestEvent` is logged and acknowledged.
 * An event for another bucket is refused too. Refusals are PermanentErrors: dead-lettered at once with the reason.
 */
export async function forEachObjectEvent(
  record: SQSRecord,
  logger: LoggerLike,
  source: EventSource,
  handle: (event: S3ObjectEvent) => Promise<void>,
): Promise<void> {
  const notification = parseS3Records(record);
  if (notification.topicArn !== undefined) {
    throw new PermanentError(
      `the body is an SNS envelope that names topic ${notification.topicArn.slice(0, 256)}, but the pipeline's queues are subscribed with raw message delivery (SNS never wraps their messages): refused as forged`,
    );
  }
  if (notification.kind === "test") {
    logger.info("S3 test event acknowledged", { bucket: notification.bucket });
    return;
  }
  for (const event of notification.records) {
    if (event.bucket !== source.bucket) {
      throw new PermanentError(
        `the event is for bucket ${JSON.stringify(event.bucket.slice(0, 100))}; this pipeline processes ${source.bucket} only`,
      );
    }
  }
  for (const event of notification.records) await handle(event);
}

/** Whether the head S3 returns now is the object a created event describes (same version, else same ETag). */
export function isObjectOf(
  head: ObjectHead | undefined,
  event: Pick<S3ObjectEvent, "eTag" | "versionId">,
): boolean {
  if (!head) return false;
  if (event.versionId !== undefined) return head.versionId === event.versionId;
  return event.eTag !== undefined && head.eTag === event.eTag;
}

/** Whether S3's current state still matches a recorded confirmed event. */
function stillHolds(recorded: LatestState, current: ObjectHead | undefined): boolean {
  if (recorded.kind === "removed") return current === undefined;
  return isObjectOf(current, recorded);
}

/**
 * The per-key sequencer gate, passed only by events S3 has confirmed: false for a stale event (a newer confirmed
 * event for the same key was recorded, and S3 still agrees with it), which must change nothing. A recorded entry
 * S3 no longer agrees with (superseded, or recorded from a forged event whose sequencer is huge) is replaced, so
 * no sequencer can hold back a real upload for good. Events without a sequencer cannot be ordered and pass.
 */
export async function admitted(
  deps: { table: PipelineTable; uploads: ObjectStore; logger: LoggerLike },
  event: S3ObjectEvent,
  state: LatestState,
): Promise<boolean> {
  const { logger } = deps;
  if (event.sequencer === undefined) {
    logger.warn("S3 event without a sequencer: cannot be ordered, processed as is", {
      eventName: event.eventName,
    });
    return true;
  }
  const replaceIf = async (recorded: LatestEntry): Promise<boolean> =>
    !stillHolds(recorded.state, await deps.uploads.head(event.key));
  const fresh = await deps.table.admit(event.key, event.sequencer, event.eventName, state, replaceIf);
  if (!fresh) {
    logger.info("stale S3 event skipped: a newer event for this key was processed", {
      eventName: event.eventName,
      sequencer: event.sequencer,
    });
  }
  return fresh;
}
