import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { LocalServiceError } from "../types";

/**
 * The `aws-chunked` content encoding the SDKs use for streamed uploads of known length with trailing
 * checksums (S3's PutObject and UploadPart): chunk framing around the payload, then trailing headers.
 */

/** Whether a request body is `aws-chunked` (streamed with chunk framing and maybe trailing checksums). */
export function isAwsChunked(req: IncomingMessage): boolean {
  const encoding = String(req.headers["content-encoding"] ?? "");
  const sha = String(req.headers["x-amz-content-sha256"] ?? "");
  return encoding.split(",").some((part) => part.trim() === "aws-chunked") || sha.startsWith("STREAMING-");
}

/** The object's own Content-Encoding: the header without the `aws-chunked` transfer framing. */
export function contentEncoding(req: IncomingMessage): string | undefined {
  const parts = String(req.headers["content-encoding"] ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "" && part !== "aws-chunked");
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/**
 * Decodes `aws-chunked` framing (`<hex size>[;chunk-signature=...]\r\n<bytes>\r\n ... 0\r\n<trailers>\r\n`)
 * into the payload; `trailers` holds the trailing headers (e.g. `x-amz-checksum-crc32`) once it ends.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  private buffer: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private state: "size" | "data" | "crlf" | "trailer" | "done" = "size";

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== "done" && !(this.state === "trailer" && this.buffer.length === 0)) {
      callback(
        new LocalServiceError(
          "IncompleteBody",
          "The request body terminated unexpectedly (aws-chunked framing).",
        ),
      );
      return;
    }
    callback();
  }

  private line(): string | undefined {
    const end = this.buffer.indexOf("\r\n");
    if (end < 0) return undefined;
    const text = this.buffer.subarray(0, end).toString("latin1");
    this.buffer = this.buffer.subarray(end + 2);
    return text;
  }

  private drain(): void {
    for (;;) {
      if (this.state === "size") {
        const header = this.line();
        if (header === undefined) return;
        const size = Number.parseInt(header.split(";")[0] ?? "", 16);
        if (!Number.isFinite(size) || size < 0) {
          throw new LocalServiceError("InvalidRequest", "Malformed aws-chunked body: bad chunk size.");
        }
        this.remaining = size;
        this.state = size === 0 ? "trailer" : "data";
      } else if (this.state === "data") {
        if (this.buffer.length === 0) return;
        const take = Math.min(this.remaining, this.buffer.length);
        this.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return;
        this.state = "crlf";
      } else if (this.state === "crlf") {
        if (this.buffer.length < 2) return;
        this.buffer = this.buffer.subarray(2);
        this.state = "size";
      } else if (this.state === "trailer") {
        const header = this.line();
        if (header === undefined) return;
        if (header === "") {
          this.state = "done";
          continue;
        }
        const colon = header.indexOf(":");
        if (colon > 0)
          this.trailers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
      } else {
        this.buffer = Buffer.alloc(0);
        return;
      }
    }
  }
}
