import { z } from "zod";

/** Widths (px) renditions are resized to when config gives none. */
export const DEFAULT_RENDITION_WIDTHS = [320, 1280] as const;
/** Largest image (bytes) resized when config gives no cap: 25 MiB. */
export const DEFAULT_MAX_IMAGE_BYTES = 25 * 1024 * 1024;
/** Prefix of the uploads that trigger the pipeline when config gives none. */
export const DEFAULT_FILTER_PREFIX = "uploads/";

const days = (what: string) =>
  z
    .int({ error: `expected ${what} as a whole number of days` })
    .min(1, { error: `expected ${what} >= 1 day` });

/** One lifecycle rule of the uploads bucket. */
export const lifecycleRuleSchema = z
  .object({
    id: z
      .string({ error: "expected an id (1-255 characters)" })
      .min(1, { error: "expected an id (1-255 characters)" })
      .max(255, { error: "expected an id (1-255 characters)" }),
    /** Only keys under this prefix; every key when absent. */
    prefix: z.string({ error: "expected prefix to be a string" }).optional(),
    /** Delete current objects this many days after creation. */
    expirationDays: days("expirationDays").optional(),
    /** Delete noncurrent versions this many days after they became noncurrent (versioned buckets). */
    noncurrentVersionExpirationDays: days("noncurrentVersionExpirationDays").optional(),
    /** Abort multipart uploads left incomplete this many days. */
    abortIncompleteMultipartUploadDays: days("abortIncompleteMultipartUploadDays").optional(),
  })
  .strict()
  .refine(
    (rule) =>
      rule.expirationDays !== undefined ||
      rule.noncurrentVersionExpirationDays !== undefined ||
      rule.abortIncompleteMultipartUploadDays !== undefined,
    {
      error:
        "expected at least one of expirationDays, noncurrentVersionExpirationDays, abortIncompleteMultipartUploadDays",
    },
  );
export type LifecycleRule = z.infer<typeof lifecycleRuleSchema>;

const httpsUrl = z.string().refine(
  (value) => {
    try {
      return new URL(value).protocol === "https:";
    } catch {
      return false;
    }
  },
  { error: "expected an https URL" },
);

/**
 * The `switchyard:s3-pipeline` block of the stack config: what the S3 pipeline needs besides the platform.
 * The root config module embeds it; the component takes the parsed values.
 */
export const s3PipelineConfigSchema = z
  .object({
    /** Rendition widths in pixels, each 16-8192, distinct, at most 10. */
    renditionWidths: z
      .array(
        z
          .int({ error: "expected each rendition width to be a whole number of pixels" })
          .min(16, { error: "expected each rendition width >= 16 px" })
          .max(8192, { error: "expected each rendition width <= 8192 px" }),
        { error: "expected renditionWidths to be a list of pixel widths" },
      )
      .min(1, { error: "expected at least one rendition width" })
      .max(10, { error: "expected at most 10 rendition widths" })
      .refine((widths) => new Set(widths).size === widths.length, {
        error: "expected distinct rendition widths",
      })
      .default([...DEFAULT_RENDITION_WIDTHS]),
    /** Images larger than this (bytes) are not resized: they fail permanently, with the reason, to the DLQ. */
    maxImageBytes: z
      .int({ error: "expected maxImageBytes to be a whole number of bytes" })
      .min(1024, { error: "expected maxImageBytes >= 1024" })
      .max(512 * 1024 * 1024, { error: "expected maxImageBytes <= 536870912 (512 MiB)" })
      .default(DEFAULT_MAX_IMAGE_BYTES),
    /** Only keys under this prefix notify the pipeline ("" = every key). */
    filterPrefix: z
      .string({ error: "expected filterPrefix to be a string" })
      .max(1024, { error: "expected filterPrefix of at most 1024 characters" })
      .default(DEFAULT_FILTER_PREFIX),
    /** Only keys ending with this notify the pipeline. */
    filterSuffix: z
      .string({ error: "expected filterSuffix to be a string" })
      .max(1024, { error: "expected filterSuffix of at most 1024 characters" })
      .optional(),
    /** Lifecycle rules of the uploads bucket. */
    lifecycleRules: z
      .array(lifecycleRuleSchema, { error: "expected lifecycleRules to be a list" })
      .max(100, { error: "expected at most 100 lifecycle rules" })
      .refine((rules) => new Set(rules.map((rule) => rule.id)).size === rules.length, {
        error: "expected distinct lifecycle rule ids",
      })
      .default([]),
    /**
     * Where the uploader acts on a "renditions ready" notification; the object key is added as `?key=`.
     * Without it no notification is sent.
     */
    notificationCallbackUrl: httpsUrl.optional(),
  })
  .strict();

export type S3PipelineConfig = z.infer<typeof s3PipelineConfigSchema>;
export type S3PipelineConfigInput = z.input<typeof s3PipelineConfigSchema>;
