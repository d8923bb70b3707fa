import { envSchemas } from "@switchyard/runtime-kit";
import { z } from "zod";

/** `320,1280` as `[320, 1280]`. */
export const widthsEnv = envSchemas.csv.pipe(
  z
    .array(
      z
        .string()
        .regex(/^[1-9]\d*$/, { error: "must list pixel widths" })
        .transform(Number),
    )
    .min(1, { error: "must list widths" }),
);

/**
 * Every environment variable the pipeline functions read, written once: the component links a resource with one of
 * these shapes (`link(LINK_ENV.table, { TABLE_NAME: table.tableName }, grant)`, infra-kit), and the handler parses
 * the same shapes (`sqsConsumer(FUNCTION_ENV.catalog, sqs)`, which adds the kit's `DLQ_URL` and `MAX_RECEIVE_COUNT`). Handler-safe: zod and
 * runtime-kit only.
 */
export const LINK_ENV = {
  /** The catalog table. */
  table: { TABLE_NAME: envSchemas.string },
  /** The only bucket whose events are acted on. */
  uploads: { UPLOADS_BUCKET: envSchemas.string },
  /** The bucket renditions are written to (under `renditions/`). */
  renditions: { RENDITIONS_BUCKET: envSchemas.string },
  /** Path-style S3 addressing, for a local cloud; AWS itself wants virtual-hosted style. */
  pathStyle: { S3_FORCE_PATH_STYLE: envSchemas.boolean.optional() },
  /** Rendition widths in pixels. */
  widths: { RENDITION_WIDTHS: widthsEnv },
  /** Largest image the renditions function decodes. */
  maxImageBytes: { MAX_IMAGE_BYTES: envSchemas.positiveInt },
  /** "Renditions ready" notifications: the notifications bus and the link they carry (only when both are set). */
  notifications: { NOTIFICATION_BUS_NAME: envSchemas.string, NOTIFICATION_CALLBACK_URL: envSchemas.url },
} as const;

const catalog = {
  ...LINK_ENV.table,
  ...LINK_ENV.uploads,
  ...LINK_ENV.pathStyle,
} as const;
const cleanup = { ...catalog, ...LINK_ENV.renditions, ...LINK_ENV.widths } as const;

/**
 * The environment each function's links set (besides the kit's `DLQ_URL` and `MAX_RECEIVE_COUNT`). The renditions function also reads
 * `LINK_ENV.notifications` when the notifications link is given (`RENDITIONS_NOTIFICATIONS_ENV`).
 */
export const FUNCTION_ENV = {
  catalog,
  cleanup,
  renditions: { ...cleanup, ...LINK_ENV.maxImageBytes },
} as const;

/** The renditions handler's view of the optional notifications link: both variables, or neither. */
export const RENDITIONS_NOTIFICATIONS_ENV = z.object(LINK_ENV.notifications).partial().shape;
