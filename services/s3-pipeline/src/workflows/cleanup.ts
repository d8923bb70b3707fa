import { processSqsBatch, type S3ObjectEvent } from "@switchyard/runtime-kit";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { ObjectStore } from "../adapters/object-store";
import type { PipelineTable } from "../adapters/pipeline-table";
import { eventKind, removalScope, renditionKey, versionSortKey } from "../domain/objects";
import { admitted, batchOptions, type ConsumerDeps, forEachObjectEvent } from "./s3-records";

export interface CleanupDeps extends ConsumerDeps {
  /** The uploads bucket, asked whether the object (version) is really gone before anything is removed. */
  uploads: ObjectStore;
  renditions: ObjectStore;
  table: PipelineTable;
  widths: readonly number[];
}

/** Removes what the pipeline derived from a deleted object: its renditions and catalog records. Idempotent. */
export async function cleanUpObject(deps: CleanupDeps, event: S3ObjectEvent): Promise<void> {
  const { logger } = deps;
  if (eventKind(event.eventName) !== "removed") {
    logger.info("not an object removal, skipped", { eventName: event.eventName });
    return;
  }
  const scope = removalScope(event.eventName, event.versionId);
  if (scope.kind === "version") {
    // Confirm with S3 that this version is really deleted. A version removal touches only that version's
    // record, so it neither needs nor moves the sequencer gate.
    if (await deps.uploads.head(event.key, scope.versionId)) {
      logger.info("the version still exists (forged or mistaken event): nothing removed", {
        versionId: scope.versionId,
      });
      return;
    }
    await deps.table.delete(event.key, versionSortKey(scope.versionId));
    logger.info("catalog record of the deleted version removed", { versionId: scope.versionId });
    return;
  }
  // Confirm with S3 that the object is really gone (no current version, or a delete marker).
  if (await deps.uploads.head(event.key)) {
    logger.info("the object still exists (re-uploaded since, or a forged event): nothing removed", {
      eventName: event.eventName,
    });
    return;
  }
  if (!(await admitted(deps, event, { kind: "removed" }))) return;
  await deps.renditions.deleteMany(deps.widths.map((width) => renditionKey(width, event.key)));
  const sortKeys = await deps.table.versionSortKeys(event.key);
  for (const sortKey of sortKeys) await deps.table.delete(event.key, sortKey);
  deps.metrics?.addMetric("ObjectsCleanedUp", "Count", 1);
  logger.info("renditions and catalog records removed", { records: sortKeys.length });
}

export function cleanupHandler(
  deps: CleanupDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return (event, context) =>
    processSqsBatch(
      event,
      context,
      (record) =>
        forEachObjectEvent(record, deps.logger, { bucket: deps.uploads.bucket }, (objectEvent) =>
          cleanUpObject(deps, objectEvent),
        ),
      batchOptions(deps),
    );
}
