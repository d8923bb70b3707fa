import { randomBytes } from "node:crypto";

/** What S3's responses and event messages share: the XML namespace, request ids and S3's key URL encoding. */

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** S3's request ids: 16 upper-case hex digits, and the extended id. */
export function s3RequestIds(): { requestId: string; hostId: string } {
  return {
    requestId: randomBytes(8).toString("hex").toUpperCase(),
    hostId: randomBytes(32).toString("base64"),
  };
}

/** S3's listing / event key encoding: URL encoding with spaces as `+` and `/` kept. */
export function s3UrlEncode(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, "+")
    .replace(/%2F/g, "/")
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
