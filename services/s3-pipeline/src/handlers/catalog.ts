import { sqsConsumer } from "@switchyard/runtime-kit";
import { createDocumentClient, createS3Client, createSqsClient } from "../adapters/clients";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { FUNCTION_ENV } from "../env";
import { catalogHandler } from "../workflows/catalog";

// The SQS consumer prelude: environment plus DLQ_URL and MAX_RECEIVE_COUNT, observability, the dead-letter adapter.
const { env, logger, metrics, deadLetter } = sqsConsumer(FUNCTION_ENV.catalog, createSqsClient());

export const handler = catalogHandler({
  uploads: new ObjectStore(
    createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false }),
    env.UPLOADS_BUCKET,
  ),
  table: new PipelineTable(createDocumentClient(), env.TABLE_NAME),
  logger,
  metrics,
  deadLetter,
  ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
});
