import { processSqsBatch, type S3ObjectEvent } from "@switchyard/runtime-kit";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { digestStream } from "../adapters/digest";
import type { ObjectStore } from "../adapters/object-store";
import type { PipelineTable } from "../adapters/pipeline-table";
import { eventKind, versionSortKey } from "../domain/objects";
import { sniffContentType } from "../domain/sniff";
import { admitted, batchOptions, type ConsumerDeps, forEachObjectEvent } from "./s3-records";

export interface CatalogDeps extends ConsumerDeps {
  uploads: ObjectStore;
  table: PipelineTable;
}

/** Writes the catalog record of one uploaded object version, once. */
export async function catalogObject(deps: CatalogDeps, event: S3ObjectEvent): Promise<void> {
  const { logger } = deps;
  if (eventKind(event.eventName) !== "created") {
    logger.info("not an object creation, skipped", { eventName: event.eventName });
    return;
  }
  // Confirm with S3: the version exists and carries the event's ETag.
  const head = await deps.uploads.head(event.key, event.versionId);
  if (!head) {
    logger.info("object no longer exists, skipped", { eventName: event.eventName });
    return;
  }
  if (event.eTag === undefined || head.eTag !== event.eTag) {
    logger.info("the event's ETag is not the object's (superseded or forged), skipped", {
      eventName: event.eventName,
    });
    return;
  }
  const state = {
    kind: "created" as const,
    eTag: head.eTag,
    ...(head.versionId ? { versionId: head.versionId } : {}),
  };
  if (!(await admitted(deps, event, state))) return;
  const stream = await deps.uploads.open(event.key, event.versionId);
  if (!stream) {
    logger.info("object no longer exists, skipped", { eventName: event.eventName });
    return;
  }
  const digest = await digestStream(stream);
  const written = await deps.table.putVersion(
    {
      key: event.key,
      versionId: event.versionId,
      size: digest.size,
      contentType: sniffContentType(digest.head),
      sha256: digest.sha256,
      uploadedAt: event.eventTime,
      eTag: event.eTag,
      sequencer: event.sequencer,
    },
    versionSortKey(event.versionId),
  );
  logger.info(written ? "catalog record written" : "catalog record already present", {
    versionId: event.versionId ?? "null",
  });
  if (written) deps.metrics?.addMetric("CatalogRecordsWritten", "Count", 1);
}

export function catalogHandler(
  deps: CatalogDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return (event, context) =>
    processSqsBatch(
      event,
      context,
      (record) =>
        forEachObjectEvent(record, deps.logger, { bucket: deps.uploads.bucket }, (objectEvent) =>
          catalogObject(deps, objectEvent),
        ),
      batchOptions(deps),
    );
}
