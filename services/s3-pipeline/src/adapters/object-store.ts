import type { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { TransientError } from "@switchyard/runtime-kit";

export interface ObjectHead {
  contentType: string | undefined;
  contentLength: number | undefined;
  /** The ETag without its quotes. */
  eTag: string | undefined;
  /** The version id S3 reports (`null` in a bucket whose versioning is suspended); absent when unversioned. */
  versionId: string | undefined;
  /** User metadata (`x-amz-meta-*`), keys without the prefix, lower case. */
  metadata: Record<string, string>;
}

/** S3's "no such object (version)" answers: the object is gone, which a later removal event will report. */
function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchVersion";
}

/** S3 quotes ETags in headers (`"abc"`) but not in event notifications (`abc`). */
export const unquoteETag = (eTag: string | undefined): string | undefined => eTag?.replace(/^"(.*)"$/, "$1");

/** One bucket, seen through the few calls the pipeline makes. */
export class ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /**
   * The object's head (of `versionId`, else of the current version), or undefined when it does not exist (or
   * the current version is a delete marker). A HEAD answers a missing bucket with the same bodiless 404 as a
   * missing key, so a 404 is confirmed with a one-byte GET: `NoSuchBucket` (a configuration problem, retried)
   * is thrown, never taken for "the object is gone".
   */
  async head(key: string, versionId?: string): Promise<ObjectHead | undefined> {
    const target = { Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) };
    try {
      const out = await this.s3.send(new HeadObjectCommand(target));
      return {
        contentType: out.ContentType,
        contentLength: out.ContentLength,
        eTag: unquoteETag(out.ETag),
        versionId: out.VersionId,
        metadata: out.Metadata ?? {},
      };
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    try {
      const out = await this.s3.send(new GetObjectCommand({ ...target, Range: "bytes=0-0" }));
      (out.Body as Readable | undefined)?.destroy?.();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    throw new TransientError(
      `S3 answered HEAD with 404 but GET with the object, for a key of ${this.bucket}`,
    );
  }

  /** The object's bytes as a stream (never buffered whole), or undefined when it no longer exists. */
  async open(key: string, versionId?: string): Promise<Readable | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      const body = out.Body as Readable | undefined;
      if (!body || typeof body.pipe !== "function") {
        throw new TransientError(`S3 returned no readable body for an object of ${this.bucket}`);
      }
      return body;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: metadata,
      }),
    );
  }

  /** Deletes the keys (missing keys count as deleted, so this is idempotent). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const out = await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const errors = out.Errors ?? [];
    if (errors.length > 0) {
      throw new TransientError(
        `S3 did not delete ${errors.length} of ${keys.length} objects (${[...new Set(errors.map((e) => e.Code))].join(", ")})`,
      );
    }
  }
}
