import { createObservability, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import { z } from "zod";
import {
  createDocumentClient,
  createEventBridgeClient,
  createS3Client,
  createSqsClient,
} from "../adapters/clients";
import { eventBridgeNotifier } from "../adapters/notifier";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { CONSUMER_ENV, FUNCTION_ENV, RENDITIONS_NOTIFICATIONS_ENV } from "../env";
import { renditionsHandler } from "../workflows/renditions";

const env = parseEnv(
  z.object({ ...FUNCTION_ENV.renditions, ...RENDITIONS_NOTIFICATIONS_ENV, ...CONSUMER_ENV }),
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
  ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
});
