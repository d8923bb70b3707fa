import { createObservability, envSchemas, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import { createDocumentClient, createS3Client, createSqsClient } from "../adapters/clients";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { cleanupHandler } from "../workflows/cleanup";
import { commonEnv, widthsEnv } from "./env";

const env = parseEnv(commonEnv.extend({ RENDITIONS_BUCKET: envSchemas.string, RENDITION_WIDTHS: widthsEnv }));
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
});
