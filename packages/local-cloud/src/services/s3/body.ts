import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { LocalServiceError } from "../../types";
import { AwsChunkedDecoder } from "../../wire/aws-chunked";
import { S3Error } from "./errors";
import type { S3Model, StoredBucket } from "./model";

/**
 * An object's bytes on their way in (PutObject, UploadPart): `aws-chunked` framing decoded, the length the
 * client declared checked, Content-MD5 and CRC32/SHA-1/SHA-256 checksums verified (`BadDigest`) while the
 * bytes stream to a new blob, so a stored object is exactly what the client sent.
 */

export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** Checksums the emulator computes (and so verifies and returns). */
const VERIFIED = new Set<ChecksumAlgorithm>(["crc32", "sha1", "sha256"]);

/** A request body as the API receives it: the stream and what the client declared about it. */
export interface ObjectBody {
  stream: Readable;
  /** Framed as `aws-chunked` (the codec decides from Content-Encoding / x-amz-content-sha256). */
  chunked: boolean;
  /** `x-amz-decoded-content-length`: the payload's length inside the framing. */
  decodedContentLength?: string;
  /** `Content-MD5`, base64. */
  contentMd5?: string;
  /** The checksum the client sends (as a header or a trailer). */
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Its value when sent as a header; a trailer's value is read from the framing. */
  checksumValue?: string;
}

/** A body written to its blob. */
export interface ReceivedBody {
  blob: string;
  size: number;
  md5: Buffer;
  checksum?: { algorithm: string; value: string };
}

/** Hashes an upload on its way to disk. */
class Meter extends Transform {
  readonly md5 = createHash("md5");
  size = 0;
  private crc = 0;
  private readonly digest?: ReturnType<typeof createHash>;

  constructor(readonly algorithm: ChecksumAlgorithm | undefined) {
    super();
    if (algorithm === "sha1" || algorithm === "sha256") this.digest = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.md5.update(chunk);
    if (this.algorithm === "crc32") this.crc = crc32(chunk, this.crc);
    this.digest?.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  /** The computed checksum (base64, as S3 headers carry it), for the algorithms the emulator computes. */
  checksum(): string | undefined {
    if (this.algorithm === "crc32") {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(this.crc >>> 0);
      return bytes.toString("base64");
    }
    return this.digest?.digest("base64");
  }
}

/** Streams a body into a new blob of the bucket, verifying lengths, Content-MD5 and checksums. */
export async function receiveBody(
  model: S3Model,
  bucket: StoredBucket,
  body: ObjectBody,
): Promise<ReceivedBody> {
  const { blob, path } = model.newBlob(bucket);
  const algorithm = body.checksumAlgorithm;
  const meter = new Meter(algorithm);
  const decoder = body.chunked ? new AwsChunkedDecoder() : undefined;
  try {
    if (decoder) await pipeline(body.stream, decoder, meter, createWriteStream(path));
    else await pipeline(body.stream, meter, createWriteStream(path));
    const md5 = meter.md5.digest();
    const declared = body.decodedContentLength;
    if (decoder && declared !== undefined && Number(declared) !== meter.size) {
      throw new S3Error(
        "IncompleteBody",
        `You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${declared}, got ${meter.size}).`,
      );
    }
    const contentMd5 = body.contentMd5;
    if (contentMd5 !== undefined) {
      if (Buffer.from(contentMd5, "base64").length !== 16) {
        throw new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
      }
      if (contentMd5 !== md5.toString("base64")) {
        throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
      }
    }
    let checksum: { algorithm: string; value: string } | undefined;
    if (algorithm) {
      const name = `x-amz-checksum-${algorithm}`;
      const sent = body.checksumValue ?? decoder?.trailers[name];
      const computed = meter.checksum();
      if (sent !== undefined && computed !== undefined) {
        if (sent !== computed) {
          throw new S3Error(
            "BadDigest",
            `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
          );
        }
        if (VERIFIED.has(algorithm)) checksum = { algorithm, value: computed };
      }
    }
    return { blob, size: meter.size, md5, ...(checksum ? { checksum } : {}) };
  } catch (error) {
    model.discardBlob(bucket, blob);
    if (error instanceof LocalServiceError) throw error;
    throw new S3Error(
      "IncompleteBody",
      `The request body could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
