/** Content types the renditions function resizes; anything else is skipped with a log line. */
export const IMAGE_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];

/** User metadata key (`x-amz-meta-user-id` on upload) naming the uploader to notify. */
export const USER_ID_METADATA_KEY = "user-id";

/** Folder of the renditions bucket; a rendition lives at `renditions/<width>/<source key>`. */
export const RENDITIONS_PREFIX = "renditions";

/** EventBridge `source` of the notifications this pipeline asks for. */
export const NOTIFICATION_SOURCE = "switchyard.s3-pipeline";

/** Table layout: one partition per object key. */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** The item holding the newest sequencer seen for the key (the stale-event gate). */
  latestSortKey: "#latest",
  /** Prefix of the catalog record of one object version. */
  versionPrefix: "v#",
  /** Prefix of the marker saying the uploader was notified for one version. */
  notifiedPrefix: "n#",
} as const;

/** Width sequencers are left-padded to, so DynamoDB's string comparison orders them as S3 does. */
export const SEQUENCER_WIDTH = 64;
