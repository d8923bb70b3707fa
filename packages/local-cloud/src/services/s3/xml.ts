import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { LocalServiceError } from "../../types";
import { xmlEscape } from "../../wire/xml";

/**
 * S3's REST-XML wire format: error documents, response headers, the few request documents the emulator
 * reads (DeleteObjects, CompleteMultipartUpload, versioning, tagging), and the `aws-chunked` content
 * encoding the SDK v3 uses for streamed uploads with trailing checksums.
 */

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** An S3 error: code, message, status and the extra elements S3 puts in its error document (Key, BucketName...). */
export class S3Error extends LocalServiceError {
  constructor(
    code: string,
    message: string,
    status = 400,
    readonly details: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket });

export const noSuchKey = (key: string, headers: Record<string, string> = {}): S3Error =>
  new S3Error("NoSuchKey", "The specified key does not exist.", 404, { Key: key }, headers);

/** S3's request ids: 16 upper-case hex digits, and the extended id. */
export function s3RequestIds(): { requestId: string; hostId: string } {
  return {
    requestId: randomBytes(8).toString("hex").toUpperCase(),
    hostId: randomBytes(32).toString("base64"),
  };
}

/** Writes an XML document with the request-id headers. */
export function sendXml(
  res: ServerResponse,
  status: number,
  xml: string,
  ids: { requestId: string; hostId: string },
  headers: Record<string, string | number> = {},
): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(text),
    "x-amz-request-id": ids.requestId,
    "x-amz-id-2": ids.hostId,
    server: "AmazonS3",
    ...headers,
  });
  res.end(text);
}

/** Writes an error: the XML error document, or headers only for HEAD requests (S3 sends no body then). */
export function sendS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  error: LocalServiceError,
  ids: { requestId: string; hostId: string },
): void {
  const details = error instanceof S3Error ? error.details : {};
  const headers = error instanceof S3Error ? error.headers : {};
  if (req.method === "HEAD") {
    res.writeHead(error.status, {
      "x-amz-request-id": ids.requestId,
      "x-amz-id-2": ids.hostId,
      server: "AmazonS3",
      ...headers,
    });
    res.end();
    return;
  }
  const extra = Object.entries(details)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join("");
  sendXml(
    res,
    error.status,
    `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>${extra}<RequestId>${ids.requestId}</RequestId><HostId>${ids.hostId}</HostId></Error>`,
    ids,
    headers,
  );
}

/** An XML element, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes XML character references and entities. */
export function xmlDecode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? "";
  });
}

/** The raw inner XML of every `<name>` element (not nested in one another), in order. */
export function xmlElements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}>)`, "g");
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** The decoded text of the first `<name>` element, or undefined. */
export function xmlText(xml: string, name: string): string | undefined {
  const inner = xmlElements(xml, name)[0];
  if (inner === undefined) return undefined;
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(inner.trim());
  return cdata ? (cdata[1] ?? "") : xmlDecode(inner);
}

/** S3's listing / event key encoding: URL encoding with spaces as `+` and `/` kept. */
export function s3UrlEncode(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, "+")
    .replace(/%2F/g, "/")
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

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
        new S3Error("IncompleteBody", "The request body terminated unexpectedly (aws-chunked framing)."),
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
          throw new S3Error("InvalidRequest", "Malformed aws-chunked body: bad chunk size.");
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
