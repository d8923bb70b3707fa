import { notificationIdFor } from "@switchyard/contracts";
import { IMAGE_CONTENT_TYPES, type ImageContentType, RENDITIONS_PREFIX, TABLE } from "../constants";

export type EventKind = "created" | "removed" | "other";

/** What an S3 event name says happened to the object. */
export function eventKind(eventName: string): EventKind {
  if (eventName.startsWith("ObjectCreated:")) return "created";
  if (eventName.startsWith("ObjectRemoved:")) return "removed";
  return "other";
}

/** Key of the rendition of `key` at `width` in the renditions bucket. */
export function renditionKey(width: number, key: string): string {
  return `${RENDITIONS_PREFIX}/${width}/${key}`;
}

/** The image type a Content-Type header names (parameters and case ignored), or undefined for non-images. */
export function imageContentType(contentType: string | undefined): ImageContentType | undefined {
  const base = contentType?.split(";")[0]?.trim().toLowerCase();
  return IMAGE_CONTENT_TYPES.find((type) => type === base);
}

/** Sort key of the catalog record of one object version (`null` is S3's version id when versioning is off). */
export function versionSortKey(versionId: string | undefined): string {
  return `${TABLE.versionPrefix}${versionId ?? "null"}`;
}

/**
 * Which catalog records a removal deletes. Deleting one version for good (a versioned `ObjectRemoved:Delete`)
 * removes that version's record; any other removal (unversioned delete, delete marker) removes the object as
 * the reader sees it: every version's record and the renditions.
 */
export function removalScope(
  eventName: string,
  versionId: string | undefined,
): { kind: "version"; versionId: string } | { kind: "object" } {
  return eventName === "ObjectRemoved:Delete" && versionId !== undefined
    ? { kind: "version", versionId }
    : { kind: "object" };
}

/** The uploader's notification when the renditions of an upload are ready. */
export function renditionsReadyNotification(input: {
  userId: string;
  key: string;
  /** What identifies the upload (its version, else sequencer or ETag): the notification id derives from it. */
  upload: string;
  widths: readonly number[];
  callbackUrl: string;
}): { userId: string; type: "actionable"; message: string; callback: string; notificationId: string } {
  const name = input.key.split("/").pop() || input.key;
  const callback = new URL(input.callbackUrl);
  callback.searchParams.set("key", input.key);
  return {
    userId: input.userId,
    type: "actionable",
    message: `Your image ${name} is ready in ${input.widths.length} sizes (${input.widths.join(", ")} px).`,
    callback: callback.toString(),
    notificationId: notificationIdFor(`s3:${input.key}#${input.upload}`),
  };
}
