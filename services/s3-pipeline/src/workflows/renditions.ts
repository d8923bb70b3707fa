import { PermanentError, processSqsBatch, type S3ObjectEvent } from "@switchyard/runtime-kit";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Notifier } from "../adapters/notifier";
import type { ObjectStore } from "../adapters/object-store";
import type { PipelineTable } from "../adapters/pipeline-table";
import { resizeImage } from "../adapters/resize";
import { USER_ID_METADATA_KEY } from "../constants";
import { eventKind, imageContentType, renditionKey, renditionsReadyNotification } from "../domain/objects";
import {
  admitted,
  batchOptions,
  type ConsumerDeps,
  type EventSource,
  forEachObjectEvent,
  isObjectOf,
} from "./s3-records";

export interface RenditionsDeps extends ConsumerDeps {
  uploads: ObjectStore;
  renditions: ObjectStore;
  table: PipelineTable;
  widths: readonly number[];
  maxImageBytes: number;
  /** With a callback URL, uploaders named in the object's metadata are notified when their renditions are ready. */
  notifications?: { notifier: Notifier; callbackUrl: string };
}

/** Resizes one uploaded image into every configured width. */
export async function renderObject(deps: RenditionsDeps, event: S3ObjectEvent): Promise<void> {
  const { logger } = deps;
  if (eventKind(event.eventName) !== "created") {
    logger.info("not an object creation, skipped", { eventName: event.eventName });
    return;
  }
  // Confirm with S3 before any work: renditions follow the current object, so the event must describe it.
  const head = await deps.uploads.head(event.key);
  if (!head) {
    logger.info("object no longer exists, skipped", { eventName: event.eventName });
    return;
  }
  if (!isObjectOf(head, event)) {
    logger.info("the event does not describe the current object (superseded or forged), skipped", {
      eventName: event.eventName,
    });
    return;
  }
  const state = {
    kind: "created" as const,
    ...(head.eTag ? { eTag: head.eTag } : {}),
    ...(head.versionId ? { versionId: head.versionId } : {}),
  };
  if (!(await admitted(deps, event, state))) return;
  const contentType = imageContentType(head.contentType);
  if (!contentType) {
    logger.info("not an image, skipped", { contentType: head.contentType ?? "none" });
    return;
  }
  const size = head.contentLength ?? event.size ?? 0;
  if (size > deps.maxImageBytes) {
    throw new PermanentError(
      `the image is ${size} bytes; renditions are made up to ${deps.maxImageBytes} bytes`,
    );
  }
  const source = await deps.uploads.open(event.key, head.versionId ?? event.versionId);
  if (!source) {
    logger.info("object no longer exists, skipped", { eventName: event.eventName });
    return;
  }

  const renditions = await resizeImage(source, deps.widths, contentType);
  const keys = renditions.map((r) => renditionKey(r.width, event.key));
  await Promise.all(
    renditions.map((r, index) =>
      deps.renditions.put(keys[index] as string, r.data, r.contentType, {
        "source-version": event.versionId ?? "null",
        "source-sequencer": event.sequencer ?? "none",
      }),
    ),
  );
  // A removal may have been processed while we resized: then what we just wrote must not outlive the object.
  if (event.sequencer !== undefined && !(await deps.table.isLatest(event.key, event.sequencer))) {
    await deps.renditions.deleteMany(keys);
    logger.info("a newer event arrived while resizing: renditions withdrawn", { sequencer: event.sequencer });
    return;
  }
  deps.metrics?.addMetric("RenditionsWritten", "Count", renditions.length);
  logger.info("renditions written", { widths: deps.widths, contentType });

  await notifyUploader(deps, event, head.metadata[USER_ID_METADATA_KEY]);
}

async function notifyUploader(
  deps: RenditionsDeps,
  event: S3ObjectEvent,
  userId: string | undefined,
): Promise<void> {
  if (!deps.notifications || !userId) return;
  // One notification per version: a redelivered event must not notify twice.
  const marker = event.versionId ?? event.sequencer ?? event.eTag ?? "unversioned";
  if (await deps.table.wasNotified(event.key, marker)) return;
  await deps.notifications.notifier.notify(
    renditionsReadyNotification({
      userId,
      key: event.key,
      upload: marker,
      widths: deps.widths,
      callbackUrl: deps.notifications.callbackUrl,
    }),
  );
  await deps.table.markNotified(event.key, marker, new Date().toISOString());
  deps.metrics?.addMetric("UploadersNotified", "Count", 1);
}

/** The renditions consumer: every record through processSqsBatch, permanent failures to the DLQ with reason. */
export function renditionsHandler(
  deps: RenditionsDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return (event, context) =>
    processSqsBatch(
      event,
      context,
      (record) =>
        forEachObjectEvent(record, deps.logger, sourceOf(deps), (objectEvent) =>
          renderObject(deps, objectEvent),
        ),
      batchOptions(deps),
    );
}

const sourceOf = (deps: { uploads: ObjectStore }): EventSource => ({ bucket: deps.uploads.bucket });
