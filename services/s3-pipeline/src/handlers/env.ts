import { envSchemas } from "@switchyard/runtime-kit";
import { z } from "zod";

/** Environment every pipeline function gets from the component. */
export const commonEnv = z.object({
  TABLE_NAME: envSchemas.string,
  DLQ_URL: envSchemas.url,
  /** The only bucket whose events are acted on. */
  UPLOADS_BUCKET: envSchemas.string,
  /** Path-style S3 addressing, for a local cloud; AWS itself wants virtual-hosted style. */
  S3_FORCE_PATH_STYLE: envSchemas.boolean.optional(),
});

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
