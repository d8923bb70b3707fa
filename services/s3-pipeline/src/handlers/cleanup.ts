import { sqsConsumer } from "@switchyard/runtime-kit";
import { createDocumentClient, createS3Client, createSqsClient } from "../adapters/clients";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { FUNCTION_ENV } from "../env";
import { cleanupHandler } from "../workflows/cleanup";

// The SQS consumer prelude: environment plus DLQ_URL and MAX_RECEIVE_COUNT, observability, the dead-letter adapter.
const { env, logger, metrics, deadLetter } = sqsConsumer(FUNCTION_ENV.cleanup, createSqsClient());

const s3 = createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false });

export const handler = cleanupHandler({
  uploads: new ObjectStore(s3, env.UPLOADS_BUCKET),
  renditions: new ObjectStore(s3, env.RENDITIONS_BUCKET),
  table: new PipelineTable(createDocumentClient(), env.TABLE_NAME),
  widths: env.RENDITION_WIDTHS,
  logger,
  metrics,
  deadLetter,
  ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
});
