export {
  DEFAULT_FILTER_PREFIX,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_RENDITION_WIDTHS,
  type LifecycleRule,
  lifecycleRuleSchema,
  type S3PipelineConfig,
  type S3PipelineConfigInput,
  s3PipelineConfigSchema,
} from "./config";
export { IMAGE_CONTENT_TYPES, NOTIFICATION_SOURCE, USER_ID_METADATA_KEY } from "./constants";
export { S3PipelineArgsError, S3PipelineError } from "./errors";
export { S3EventPipeline, type S3EventPipelineArgs, SHARP_NODE_MODULES } from "./s3-event-pipeline";
