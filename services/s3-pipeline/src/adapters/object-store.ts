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
  /** User metadata (`x-amz-meta-*`), keys without the prefix, lower case. */
  metadata: Record<string, string>;
}

/** S3's "no such object (version)" answers: the object is gone, which a later removal event will report. */
function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchVersion";
}

/** One bucket, seen through the few calls the pipeline makes. */
export class ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** The object's head, or undefined when it no longer exists. */
  async head(key: string, versionId?: string): Promise<ObjectHead | undefined> {
    try {
      const out = await this.s3.send(
        new HeadObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      return { contentType: out.ContentType, contentLength: out.ContentLength, metadata: out.Metadata ?? {} };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
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
