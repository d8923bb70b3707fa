import { createObservability, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import { z } from "zod";
import { createDocumentClient, createS3Client, createSqsClient } from "../adapters/clients";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { CONSUMER_ENV, FUNCTION_ENV } from "../env";
import { cleanupHandler } from "../workflows/cleanup";

const env = parseEnv(z.object({ ...FUNCTION_ENV.cleanup, ...CONSUMER_ENV }));
const { logger, metrics } = createObservability();

const s3 = createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false });

export const handler = cleanupHandler({
  uploads: new ObjectStore(s3, env.UPLOADS_BUCKET),
  renditions: new ObjectStore(s3, env.RENDITIONS_BUCKET),
  table: new PipelineTable(createDocumentClient(), env.TABLE_NAME),
  widths: env.RENDITION_WIDTHS,
  logger,
  metrics,
  deadLetter: sqsDeadLetter(createSqsClient(), env.DLQ_URL),
  ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
});
