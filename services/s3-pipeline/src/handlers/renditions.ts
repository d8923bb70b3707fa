import { createObservability, envSchemas, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import {
  createDocumentClient,
  createEventBridgeClient,
  createS3Client,
  createSqsClient,
} from "../adapters/clients";
import { eventBridgeNotifier } from "../adapters/notifier";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { renditionsHandler } from "../workflows/renditions";
import { commonEnv, widthsEnv } from "./env";

const env = parseEnv(
  commonEnv.extend({
    RENDITIONS_BUCKET: envSchemas.string,
    RENDITION_WIDTHS: widthsEnv,
    MAX_IMAGE_BYTES: envSchemas.positiveInt,
    NOTIFICATION_BUS_NAME: envSchemas.string.optional(),
    NOTIFICATION_CALLBACK_URL: envSchemas.url.optional(),
  }),
);
const { logger, metrics } = createObservability();
const s3 = createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false });

export const handler = renditionsHandler({
  uploads: new ObjectStore(s3, env.UPLOADS_BUCKET),
  renditions: new ObjectStore(s3, env.RENDITIONS_BUCKET),
  table: new PipelineTable(createDocumentClient(), env.TABLE_NAME),
  widths: env.RENDITION_WIDTHS,
  maxImageBytes: env.MAX_IMAGE_BYTES,
  ...(env.NOTIFICATION_BUS_NAME && env.NOTIFICATION_CALLBACK_URL
    ? {
        notifications: {
          notifier: eventBridgeNotifier(createEventBridgeClient(), env.NOTIFICATION_BUS_NAME),
          callbackUrl: env.NOTIFICATION_CALLBACK_URL,
        },
      }
    : {}),
  logger,
  metrics,
  deadLetter: sqsDeadLetter(createSqsClient(), env.DLQ_URL),
});
