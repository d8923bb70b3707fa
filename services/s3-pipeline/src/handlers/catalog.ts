import { createObservability, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import { createDocumentClient, createS3Client, createSqsClient } from "../adapters/clients";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { catalogHandler } from "../workflows/catalog";
import { commonEnv } from "./env";

const env = parseEnv(commonEnv);
const { logger, metrics } = createObservability();

export const handler = catalogHandler({
  uploads: new ObjectStore(
    createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false }),
    env.UPLOADS_BUCKET,
  ),
  table: new PipelineTable(createDocumentClient(), env.TABLE_NAME),
  logger,
  metrics,
  deadLetter: sqsDeadLetter(createSqsClient(), env.DLQ_URL),
});
