import { sqsConsumer } from "@switchyard/runtime-kit";
import {
  createDocumentClient,
  createEventBridgeClient,
  createS3Client,
  createSqsClient,
} from "../adapters/clients";
import { eventBridgeNotifier } from "../adapters/notifier";
import { ObjectStore } from "../adapters/object-store";
import { PipelineTable } from "../adapters/pipeline-table";
import { FUNCTION_ENV, RENDITIONS_NOTIFICATIONS_ENV } from "../env";
import { renditionsHandler } from "../workflows/renditions";

// The SQS consumer prelude: environment plus DLQ_URL and MAX_RECEIVE_COUNT, observability, the dead-letter adapter.
const { env, logger, metrics, deadLetter } = sqsConsumer(
  { ...FUNCTION_ENV.renditions, ...RENDITIONS_NOTIFICATIONS_ENV },
  createSqsClient(),
);
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
  deadLetter,
  ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
});
