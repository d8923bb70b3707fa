import { closeSync, createReadStream, fstatSync, openSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { pipeline } from "node:stream/promises";
import { readBody } from "../../protocol";
import { type LocalContext, LocalServiceError } from "../../types";
import { AwsChunkedDecoder, contentEncoding, isAwsChunked } from "../../wire/aws-chunked";
import { el, elementText, xmlElements } from "../../wire/rest-xml";
import { xmlEscape } from "../../wire/xml";
import type { GetObjectOutput, ObjectAttributes, Requester, S3Api } from "./api";
import { STORED_HEADERS } from "./api";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type ObjectBody } from "./body";
import {
  aclXml,
  bucketTaggingXml,
  encryptionXml,
  lifecycleXml,
  notificationXml,
  ownershipXml,
  parseNotificationXml,
  policyText,
  publicAccessBlockXml,
} from "./configuration-xml";
import { malformedXml, methodNotAllowed, S3Error, s3NotEmulated } from "./errors";
import { S3_XMLNS, s3RequestIds, s3UrlEncode } from "./identifiers";
import type { BucketEncryption, StoredObject } from "./model";
import { ownerPrincipal } from "./notifications";
import { s3OperationName } from "./operation-names";

/**
 * S3's REST-XML protocol: path-style and `<bucket>.<host>` virtual-hosted addressing, the operation a
 * method + sub-resource names, its input read from the path, query, headers and body (small XML documents;
 * object bytes stream to the API), the output written back as headers and XML, errors as S3's error
 * document (headers only for HEAD).
 */

/** One request on its way through the codec. */
interface S3Call extends Requester {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  bucketName?: string;
  key?: string;
}

/** Query parameters of ListObjects (v1 and v2), not sub-resources. */
const LIST_PARAMETERS = [
  "x-id",
  "list-type",
  "prefix",
  "delimiter",
  "max-keys",
  "continuation-token",
  "start-after",
  "encoding-type",
  "fetch-owner",
  "marker",
];

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function parseTags(query: string | undefined): Record<string, string> {
  if (!query) return {};
  return Object.fromEntries(new URLSearchParams(query));
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

/** An empty answer with the request id (and the operation's headers). */
function sendEmpty(call: S3Call, status: number, headers: Record<string, string | number> = {}): void {
  call.res.writeHead(status, {
    "x-amz-request-id": call.ids.requestId,
    ...(status === 204 ? {} : { "content-length": 0 }),
    ...headers,
  });
  call.res.end();
}

function encryptionHeaders(sse: BucketEncryption): Record<string, string> {
  return {
    "x-amz-server-side-encryption": sse.algorithm,
    ...(sse.kmsKeyId ? { "x-amz-server-side-encryption-aws-kms-key-id": sse.kmsKeyId } : {}),
    ...(sse.bucketKeyEnabled ? { "x-amz-server-side-encryption-bucket-key-enabled": "true" } : {}),
  };
}

/** Reads (GET/HEAD/tagging) name the version whenever versioning was ever configured, `null` included. */
function versionHeader(versioned: boolean, object: StoredObject): Record<string, string> {
  return versioned ? { "x-amz-version-id": object.versionId } : {};
}

/** Writes name the version they created; a `null` version (suspended bucket) is not named. */
function writtenVersionHeader(object: StoredObject): Record<string, string> {
  return object.versionId === "null" ? {} : { "x-amz-version-id": object.versionId };
}

function objectHeaders(read: {
  object: StoredObject;
  versioned: boolean;
  encryption: BucketEncryption;
}): Record<string, string | number> {
  const { object } = read;
  const headers: Record<string, string | number> = {
    etag: object.etag,
    "last-modified": new Date(object.lastModified).toUTCString(),
    "content-type": object.contentType ?? "binary/octet-stream",
    "accept-ranges": "bytes",
    ...encryptionHeaders(read.encryption),
    ...versionHeader(read.versioned, object),
  };
  for (const [field, name] of STORED_HEADERS) {
    const value = object[field];
    if (typeof value === "string") headers[name] = value;
  }
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  const tagCount = Object.keys(object.tags).length;
  if (tagCount > 0) headers["x-amz-tagging-count"] = tagCount;
  if (object.storageClass) headers["x-amz-storage-class"] = object.storageClass;
  return headers;
}

/** Object attributes from request headers (PutObject, CreateMultipartUpload, CopyObject with REPLACE). */
function attributesFrom(req: IncomingMessage): ObjectAttributes {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) {
      metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
    }
  }
  const attributes: ObjectAttributes = {
    contentType: header(req, "content-type") ?? "binary/octet-stream",
    metadata,
    tags: parseTags(header(req, "x-amz-tagging")),
  };
  const encoding = contentEncoding(req);
  if (encoding) attributes.contentEncoding = encoding;
  for (const [field, name] of STORED_HEADERS) {
    if (field === "contentEncoding") continue;
    const value = header(req, name);
    if (value !== undefined) (attributes as Record<string, unknown>)[field] = value;
  }
  const storageClass = header(req, "x-amz-storage-class");
  if (storageClass && storageClass !== "STANDARD") attributes.storageClass = storageClass;
  return attributes;
}

function requestedChecksum(req: IncomingMessage): ChecksumAlgorithm | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS)
    if (req.headers[`x-amz-checksum-${algorithm}`]) return algorithm;
  const trailer = header(req, "x-amz-trailer")?.toLowerCase();
  const fromTrailer = CHECKSUM_ALGORITHMS.find((algorithm) => trailer === `x-amz-checksum-${algorithm}`);
  if (fromTrailer) return fromTrailer;
  const sdk = header(req, "x-amz-sdk-checksum-algorithm")?.toLowerCase();
  return CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === sdk);
}

/** The request body as the API takes it (PutObject, UploadPart). */
function objectBody(req: IncomingMessage): ObjectBody {
  const algorithm = requestedChecksum(req);
  const declared = header(req, "x-amz-decoded-content-length");
  const contentMd5 = header(req, "content-md5");
  const value = algorithm ? header(req, `x-amz-checksum-${algorithm}`) : undefined;
  return {
    stream: req,
    chunked: isAwsChunked(req),
    ...(declared !== undefined ? { decodedContentLength: declared } : {}),
    ...(contentMd5 !== undefined ? { contentMd5 } : {}),
    ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
    ...(value !== undefined ? { checksumValue: value } : {}),
  };
}

/** Reads a small request document (XML), decoding aws-chunked framing. */
async function readDocument(req: IncomingMessage): Promise<string> {
  if (!isAwsChunked(req)) return (await readBody(req)).toString("utf8");
  const decoder = new AwsChunkedDecoder();
  const chunks: Buffer[] = [];
  decoder.on("data", (chunk: Buffer) => chunks.push(chunk));
  await pipeline(req, decoder);
  return Buffer.concat(chunks).toString("utf8");
}

function maxKeysOf(url: URL): number {
  const raw = url.searchParams.get("max-keys");
  if (raw === null) return 1000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", 400, {
      ArgumentName: "max-keys",
      ArgumentValue: raw,
    });
  return Math.min(value, 1000);
}

/**
 * The REST-XML codec of the local S3: `handle` answers one request through the API.
 * @param ctx the engine context (region, account, log)
 * @param api the S3 API
 * @param bucketNames the buckets that exist (for virtual-hosted addressing)
 */
export function createS3Codec(ctx: LocalContext, api: S3Api, bucketNames: () => string[]) {
  const owner = () => ownerPrincipal(ctx.accountId);

  const target = (req: IncomingMessage, url: URL): { bucketName?: string; key?: string } => {
    const host = (header(req, "host") ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    const path = url.pathname;
    if (host && !isIP(host) && host !== "localhost" && host.includes(".")) {
      const candidates = bucketNames()
        .filter((name) => host.startsWith(`${name}.`))
        .sort((a, b) => b.length - a.length);
      const name = candidates[0];
      if (name) {
        const key = decodeURIComponent(path.slice(1));
        return { bucketName: name, ...(key !== "" ? { key } : {}) };
      }
    }
    const rest = path.slice(1);
    if (rest === "") return {};
    const slash = rest.indexOf("/");
    if (slash < 0) return { bucketName: decodeURIComponent(rest) };
    const key = decodeURIComponent(rest.slice(slash + 1));
    return { bucketName: decodeURIComponent(rest.slice(0, slash)), ...(key !== "" ? { key } : {}) };
  };

  const principal = (req: IncomingMessage, url: URL): string => {
    const auth = header(req, "authorization") ?? "";
    const fromHeader = /Credential=([^/\s,]+)\//.exec(auth)?.[1];
    const fromQuery = url.searchParams.get("X-Amz-Credential")?.split("/")[0];
    return `AWS:${fromHeader ?? fromQuery ?? "anonymous"}`;
  };

  const sendDocument = (call: S3Call, body: string, headers: Record<string, string | number> = {}): void =>
    sendXml(call.res, 200, body, call.ids, headers);

  // ---- buckets ----

  const listBuckets = (call: S3Call): void => {
    const buckets = api
      .ListBuckets()
      .Buckets.map(
        (b) => `<Bucket><Name>${b.Name}</Name><CreationDate>${iso(b.CreationDate)}</CreationDate></Bucket>`,
      )
      .join("");
    sendDocument(
      call,
      `<ListAllMyBucketsResult xmlns="${S3_XMLNS}"><Owner><ID>${owner()}</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`,
    );
  };

  const bucketVersioning = async (call: S3Call, bucket: string): Promise<void> => {
    if (call.method === "GET") {
      const { Status } = api.GetBucketVersioning({ Bucket: bucket });
      sendDocument(
        call,
        `<VersioningConfiguration xmlns="${S3_XMLNS}">${Status ? `<Status>${Status}</Status>` : ""}</VersioningConfiguration>`,
      );
      return;
    }
    const status = elementText(await readDocument(call.req), "Status");
    api.PutBucketVersioning({ Bucket: bucket, ...(status !== undefined ? { Status: status } : {}) });
    sendEmpty(call, 200);
  };

  /** The bucket configuration sub-resources the local S3 serves. @returns false when the request is not one */
  const bucketConfiguration = async (call: S3Call, bucket: string): Promise<boolean> => {
    const { method, url } = call;
    const q = url.searchParams;
    const input = { Bucket: bucket };
    if (method === "GET") {
      if (q.has("notification"))
        sendDocument(call, notificationXml(api.GetBucketNotificationConfiguration(input)));
      else if (q.has("lifecycle"))
        sendDocument(call, lifecycleXml(bucket, api.GetBucketLifecycleConfiguration(input).Rules));
      else if (q.has("encryption")) sendDocument(call, encryptionXml(api.GetBucketEncryption(input)));
      else if (q.has("publicAccessBlock"))
        sendDocument(call, publicAccessBlockXml(bucket, api.GetPublicAccessBlock(input)));
      else if (q.has("ownershipControls"))
        sendDocument(call, ownershipXml(bucket, api.GetBucketOwnershipControls(input).ObjectOwnership));
      else if (q.has("tagging")) sendDocument(call, bucketTaggingXml(api.GetBucketTagging(input).Tags));
      else if (q.has("acl")) {
        api.HeadBucket(input);
        sendDocument(call, aclXml(owner()));
      } else if (q.has("policy")) {
        const text = policyText(bucket, api.GetBucketPolicy(input).Policy);
        call.res.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          "x-amz-request-id": call.ids.requestId,
          "x-amz-id-2": call.ids.hostId,
        });
        call.res.end(text);
      } else return false;
      return true;
    }
    if (method === "PUT" && q.has("notification")) {
      api.PutBucketNotificationConfiguration({
        Bucket: bucket,
        NotificationConfiguration: parseNotificationXml(await readDocument(call.req)),
        SkipDestinationValidation: header(call.req, "x-amz-skip-destination-validation") === "true",
      });
      sendEmpty(call, 200);
      return true;
    }
    return false;
  };

  // ---- listings ----

  const contentsXml = (object: StoredObject, encode: (value: string) => string, withOwner: boolean): string =>
    `<Contents><Key>${encode(object.key)}</Key><LastModified>${iso(object.lastModified)}</LastModified>${el("ETag", object.etag)}<Size>${object.size}</Size>${withOwner ? `<Owner><ID>${owner()}</ID></Owner>` : ""}<StorageClass>${object.storageClass ?? "STANDARD"}</StorageClass></Contents>`;

  const listObjects = (call: S3Call, bucket: string, v2: boolean): void => {
    const q = call.url.searchParams;
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeys = maxKeysOf(call.url);
    const urlEncoded = q.get("encoding-type") === "url";
    const encode = (value: string) =>
      urlEncoded ? s3UrlEncode(value) : value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const token = q.get("continuation-token");
    const startAfter = q.get("start-after");
    const marker = q.get("marker") ?? undefined;
    const page = v2
      ? api.ListObjectsV2({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          MaxKeys: maxKeys,
          ...(token !== null ? { ContinuationToken: token } : {}),
          ...(startAfter !== null ? { StartAfter: startAfter } : {}),
        })
      : api.ListObjects({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          MaxKeys: maxKeys,
          Marker: marker,
        });
    const contents = page.entries
      .map((object) => contentsXml(object, encode, !v2 || q.get("fetch-owner") === "true"))
      .join("");
    const prefixes = page.prefixes
      .map((p) => `<CommonPrefixes><Prefix>${encode(p)}</Prefix></CommonPrefixes>`)
      .join("");
    const common = `<Name>${page.bucket}</Name><Prefix>${encode(prefix)}</Prefix>${delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : ""}<MaxKeys>${maxKeys}</MaxKeys>${urlEncoded ? "<EncodingType>url</EncodingType>" : ""}<IsTruncated>${page.truncated}</IsTruncated>`;
    const nextToken =
      "NextContinuationToken" in page && typeof page.NextContinuationToken === "string"
        ? page.NextContinuationToken
        : undefined;
    const body = v2
      ? `${common}<KeyCount>${page.entries.length + page.prefixes.length}</KeyCount>${token !== null ? el("ContinuationToken", token) : ""}${startAfter !== null ? `<StartAfter>${encode(startAfter)}</StartAfter>` : ""}${nextToken ? el("NextContinuationToken", nextToken) : ""}`
      : `${common}<Marker>${encode(marker ?? "")}</Marker>${page.truncated && delimiter && page.next ? `<NextMarker>${encode(page.next)}</NextMarker>` : ""}`;
    sendDocument(
      call,
      `<ListBucketResult xmlns="${S3_XMLNS}">${body}${contents}${prefixes}</ListBucketResult>`,
    );
  };

  const listObjectVersions = (call: S3Call, bucket: string): void => {
    const q = call.url.searchParams;
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeys = maxKeysOf(call.url);
    const keyMarker = q.get("key-marker") ?? "";
    const versionMarker = q.get("version-id-marker") ?? "";
    const page = api.ListObjectVersions({
      Bucket: bucket,
      Prefix: prefix,
      Delimiter: delimiter,
      MaxKeys: maxKeys,
      KeyMarker: keyMarker,
      VersionIdMarker: versionMarker,
    });
    const ownerXml = `<Owner><ID>${owner()}</ID></Owner>`;
    const entries = page.entries
      .map((version) => {
        const common = `<Key>${version.key.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</Key><VersionId>${version.versionId}</VersionId><IsLatest>${version.latest}</IsLatest><LastModified>${iso(version.lastModified)}</LastModified>`;
        return version.deleteMarker
          ? `<DeleteMarker>${common}${ownerXml}</DeleteMarker>`
          : `<Version>${common}${el("ETag", version.etag)}<Size>${version.size}</Size><StorageClass>${version.storageClass ?? "STANDARD"}</StorageClass>${ownerXml}</Version>`;
      })
      .join("");
    const last = page.lastKey;
    const next =
      page.truncated && page.next
        ? `<NextKeyMarker>${page.next}</NextKeyMarker>${last && last.key === page.next ? `<NextVersionIdMarker>${last.versionId}</NextVersionIdMarker>` : ""}`
        : "";
    const prefixes = page.prefixes
      .map((p) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`)
      .join("");
    sendDocument(
      call,
      `<ListVersionsResult xmlns="${S3_XMLNS}"><Name>${page.bucket}</Name><Prefix>${prefix}</Prefix><KeyMarker>${keyMarker}</KeyMarker><VersionIdMarker>${versionMarker}</VersionIdMarker><MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${delimiter}</Delimiter>` : ""}<IsTruncated>${page.truncated}</IsTruncated>${next}${entries}${prefixes}</ListVersionsResult>`,
    );
  };

  // ---- objects ----

  const putObject = async (call: S3Call, bucket: string, key: string): Promise<void> => {
    const attributes = attributesFrom(call.req);
    const result = await api.PutObject(
      {
        Bucket: bucket,
        Key: key,
        ...(header(call.req, "if-match") !== undefined ? { IfMatch: header(call.req, "if-match") } : {}),
        ...(header(call.req, "if-none-match") !== undefined
          ? { IfNoneMatch: header(call.req, "if-none-match") }
          : {}),
        Body: objectBody(call.req),
      },
      attributes,
      call,
    );
    const headers: Record<string, string | number> = {
      etag: result.object.etag,
      "x-amz-request-id": call.ids.requestId,
      "x-amz-id-2": call.ids.hostId,
      "content-length": 0,
      ...encryptionHeaders(result.encryption),
      ...writtenVersionHeader(result.object),
    };
    if (result.checksum) headers[`x-amz-checksum-${result.checksum.algorithm}`] = result.checksum.value;
    call.res.writeHead(200, headers);
    call.res.end();
  };

  const getObject = (call: S3Call, bucket: string, key: string, head: boolean): void => {
    const q = call.url.searchParams;
    const get = (name: string) => header(call.req, name);
    const result: GetObjectOutput = api.GetObject({
      Bucket: bucket,
      Key: key,
      VersionId: q.get("versionId"),
      IfMatch: get("if-match"),
      IfNoneMatch: get("if-none-match"),
      IfModifiedSince: get("if-modified-since"),
      IfUnmodifiedSince: get("if-unmodified-since"),
      Range: get("range"),
      ChecksumMode: get("x-amz-checksum-mode"),
    });
    const { object } = result;
    const headers = objectHeaders(result);
    if (result.notModified) {
      call.res.writeHead(304, {
        etag: object.etag,
        "last-modified": String(headers["last-modified"] ?? ""),
        "x-amz-request-id": call.ids.requestId,
      });
      call.res.end();
      return;
    }
    if (!head) {
      const overrides: Array<[string, string]> = [
        ["response-content-type", "content-type"],
        ["response-content-disposition", "content-disposition"],
        ["response-content-encoding", "content-encoding"],
        ["response-content-language", "content-language"],
        ["response-cache-control", "cache-control"],
        ["response-expires", "expires"],
      ];
      for (const [param, name] of overrides) {
        const value = q.get(param);
        if (value !== null) headers[name] = value;
      }
    }
    const { start, end } = result;
    let status = 200;
    if (result.range) {
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${object.size}`;
    } else if (result.checksum) {
      headers[`x-amz-checksum-${result.checksum.algorithm}`] = result.checksum.value;
    }
    const length = object.size === 0 ? 0 : end - start + 1;
    headers["content-length"] = length;
    headers["x-amz-request-id"] = call.ids.requestId;
    headers["x-amz-id-2"] = call.ids.hostId;
    const path = api.blobPath(bucket, object);
    if (head || length === 0 || !path) {
      call.res.writeHead(status, headers);
      call.res.end();
      return;
    }
    // Opened now, so a concurrent overwrite (which unlinks the old file) cannot pull it from under us.
    const fd = openSync(path, "r");
    if (fstatSync(fd).size < end + 1) {
      closeSync(fd);
      throw new S3Error("InternalError", "The object's stored bytes are incomplete.", 500);
    }
    call.res.writeHead(status, headers);
    const stream = createReadStream("", { fd, start, end });
    stream.on("error", () => call.res.destroy());
    stream.pipe(call.res);
  };

  const deleteObject = (call: S3Call, bucket: string, key: string): void => {
    const versionId = call.url.searchParams.get("versionId") ?? undefined;
    const result = api.DeleteObject(
      { Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}) },
      call,
    );
    const headers: Record<string, string | number> = {
      "x-amz-request-id": call.ids.requestId,
      "x-amz-id-2": call.ids.hostId,
    };
    if (result.DeleteMarker) headers["x-amz-delete-marker"] = "true";
    if (result.VersionId !== undefined) headers["x-amz-version-id"] = result.VersionId;
    call.res.writeHead(204, headers);
    call.res.end();
  };

  const deleteObjects = async (call: S3Call, bucket: string): Promise<void> => {
    const xml = await readDocument(call.req);
    if (!/<Delete[\s>]/.test(xml)) throw malformedXml();
    const objects = xmlElements(xml, "Object").map((object) => ({
      Key: elementText(object, "Key"),
      VersionId: elementText(object, "VersionId"),
    }));
    const result = api.DeleteObjects(
      { Bucket: bucket, Objects: objects, Quiet: elementText(xml, "Quiet") === "true" },
      call,
    );
    const results = result.results
      .map((entry) => {
        if ("error" in entry)
          return `<Error><Key>${xmlEscape(entry.error.Key)}</Key><Code>${entry.error.Code}</Code><Message>${entry.error.Message}</Message></Error>`;
        const deleted = entry.deleted;
        const marker = deleted.DeleteMarker
          ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${deleted.DeleteMarkerVersionId}</DeleteMarkerVersionId>`
          : "";
        return `<Deleted>${el("Key", deleted.Key)}${el("VersionId", deleted.VersionId)}${marker}</Deleted>`;
      })
      .join("");
    sendDocument(call, `<DeleteResult xmlns="${S3_XMLNS}">${results}</DeleteResult>`);
  };

  const copyObject = async (call: S3Call, bucket: string, key: string): Promise<void> => {
    const get = (name: string) => header(call.req, name);
    const result = await api.CopyObject(
      {
        Bucket: bucket,
        Key: key,
        CopySource: get("x-amz-copy-source") ?? "",
        CopySourceIfMatch: get("x-amz-copy-source-if-match"),
        CopySourceIfNoneMatch: get("x-amz-copy-source-if-none-match"),
        MetadataDirective: get("x-amz-metadata-directive"),
        TaggingDirective: get("x-amz-tagging-directive"),
        StorageClass: get("x-amz-storage-class"),
      },
      attributesFrom(call.req),
      call,
    );
    sendDocument(
      call,
      `<CopyObjectResult xmlns="${S3_XMLNS}"><LastModified>${iso(result.object.lastModified)}</LastModified>${el("ETag", result.object.etag)}</CopyObjectResult>`,
      {
        ...encryptionHeaders(result.encryption),
        ...writtenVersionHeader(result.object),
        ...(result.CopySourceVersionId !== undefined
          ? { "x-amz-copy-source-version-id": result.CopySourceVersionId }
          : {}),
      },
    );
  };

  const createMultipartUpload = (call: S3Call, bucket: string, key: string): void => {
    const result = api.CreateMultipartUpload({ Bucket: bucket, Key: key }, attributesFrom(call.req));
    sendDocument(
      call,
      `<InitiateMultipartUploadResult xmlns="${S3_XMLNS}"><Bucket>${bucket}</Bucket>${el("Key", key)}<UploadId>${result.UploadId}</UploadId></InitiateMultipartUploadResult>`,
      encryptionHeaders(result.encryption),
    );
  };

  const uploadPart = async (call: S3Call, bucket: string, key: string): Promise<void> => {
    const q = call.url.searchParams;
    if (header(call.req, "x-amz-copy-source")) throw s3NotEmulated("UploadPartCopy");
    const result = await api.UploadPart({
      Bucket: bucket,
      Key: key,
      UploadId: q.get("uploadId"),
      PartNumber: q.get("partNumber"),
      Body: objectBody(call.req),
    });
    const headers: Record<string, string | number> = {
      etag: result.ETag,
      "x-amz-request-id": call.ids.requestId,
      "content-length": 0,
      ...encryptionHeaders(result.encryption),
    };
    if (result.checksum) headers[`x-amz-checksum-${result.checksum.algorithm}`] = result.checksum.value;
    call.res.writeHead(200, headers);
    call.res.end();
  };

  const completeMultipartUpload = async (call: S3Call, bucket: string, key: string): Promise<void> => {
    const uploadId = call.url.searchParams.get("uploadId");
    const xml = await readDocument(call.req);
    const result = await api.CompleteMultipartUpload(
      {
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        Parts: xmlElements(xml, "Part").map((part) => ({
          PartNumber: Number(elementText(part, "PartNumber")),
          ETag: elementText(part, "ETag") ?? "",
        })),
      },
      call,
    );
    sendDocument(
      call,
      `<CompleteMultipartUploadResult xmlns="${S3_XMLNS}">${el("Location", result.Location)}<Bucket>${bucket}</Bucket>${el("Key", key)}${el("ETag", result.object.etag)}</CompleteMultipartUploadResult>`,
      { ...encryptionHeaders(result.encryption), ...writtenVersionHeader(result.object) },
    );
  };

  const objectTagging = async (call: S3Call, bucket: string, key: string): Promise<void> => {
    const input = { Bucket: bucket, Key: key, VersionId: call.url.searchParams.get("versionId") };
    if (call.method === "GET") {
      const result = api.GetObjectTagging(input);
      const tags = Object.entries(result.object.tags)
        .map(([k, v]) => `<Tag>${el("Key", k)}${el("Value", v)}</Tag>`)
        .join("");
      sendDocument(
        call,
        `<Tagging xmlns="${S3_XMLNS}"><TagSet>${tags}</TagSet></Tagging>`,
        versionHeader(result.versioned, result.object),
      );
      return;
    }
    if (call.method === "PUT") {
      api.GetObjectTagging(input);
      const xml = await readDocument(call.req);
      const tags = Object.fromEntries(
        xmlElements(xml, "Tag").map((tag) => [
          elementText(tag, "Key") ?? "",
          elementText(tag, "Value") ?? "",
        ]),
      );
      const result = api.PutObjectTagging({ ...input, Tags: tags });
      sendEmpty(call, 200, versionHeader(result.versioned, result.object));
      return;
    }
    const result = api.DeleteObjectTagging(input);
    sendEmpty(call, 204, versionHeader(result.versioned, result.object));
  };

  // ---- routing ----

  const route = async (call: S3Call): Promise<void> => {
    const { method, url, bucketName, key } = call;
    const q = url.searchParams;
    if (!bucketName) {
      if (method === "GET") return listBuckets(call);
      throw methodNotAllowed();
    }
    if (key === undefined) {
      if (method === "PUT" && [...q.keys()].filter((k) => k !== "x-id").length === 0) {
        const { Location } = api.CreateBucket({ Bucket: bucketName });
        sendEmpty(call, 200, { location: Location });
        return;
      }
      api.HeadBucket({ Bucket: bucketName });
      if (q.has("versioning") && (method === "GET" || method === "PUT"))
        return bucketVersioning(call, bucketName);
      if (method === "GET" && q.has("location")) {
        const { LocationConstraint } = api.GetBucketLocation({ Bucket: bucketName });
        return sendDocument(
          call,
          `<LocationConstraint xmlns="${S3_XMLNS}">${LocationConstraint}</LocationConstraint>`,
        );
      }
      if (method === "GET" && q.has("versions")) return listObjectVersions(call, bucketName);
      if (method === "POST" && q.has("delete")) return deleteObjects(call, bucketName);
      if (await bucketConfiguration(call, bucketName)) return;
      const subresources = [...q.keys()].filter(
        (k) => !LIST_PARAMETERS.includes(k) && !k.startsWith("X-Amz-"),
      );
      if (subresources.length > 0) throw s3NotEmulated(s3OperationName(method, false, q));
      if (method === "GET") return listObjects(call, bucketName, q.get("list-type") === "2");
      if (method === "HEAD") {
        const { BucketRegion } = api.HeadBucket({ Bucket: bucketName });
        sendEmpty(call, 200, { "x-amz-bucket-region": BucketRegion });
        return;
      }
      if (method === "DELETE") {
        api.DeleteBucket({ Bucket: bucketName });
        sendEmpty(call, 204);
        return;
      }
      throw methodNotAllowed();
    }
    api.HeadBucket({ Bucket: bucketName });
    if (key.length > 1024) throw new S3Error("KeyTooLongError", "Your key is too long", 400);
    if (q.has("tagging")) return objectTagging(call, bucketName, key);
    if (method === "PUT") {
      if (q.has("uploadId")) return uploadPart(call, bucketName, key);
      if (header(call.req, "x-amz-copy-source")) return copyObject(call, bucketName, key);
      const extra = [...q.keys()].filter((k) => k !== "x-id" && !k.startsWith("X-Amz-"));
      if (extra.length > 0) throw s3NotEmulated(s3OperationName(method, true, q));
      return putObject(call, bucketName, key);
    }
    if (method === "GET" || method === "HEAD") {
      if (
        q.has("uploadId") ||
        q.has("acl") ||
        q.has("attributes") ||
        q.has("retention") ||
        q.has("legal-hold")
      ) {
        throw s3NotEmulated(s3OperationName(method, true, q));
      }
      return getObject(call, bucketName, key, method === "HEAD");
    }
    if (method === "DELETE") {
      if (q.has("uploadId")) {
        api.AbortMultipartUpload({ Bucket: bucketName, Key: key, UploadId: q.get("uploadId") });
        sendEmpty(call, 204);
        return;
      }
      return deleteObject(call, bucketName, key);
    }
    if (method === "POST") {
      if (q.has("uploads")) return createMultipartUpload(call, bucketName, key);
      if (q.has("uploadId")) return completeMultipartUpload(call, bucketName, key);
      if (q.has("restore") || q.has("select")) throw s3NotEmulated(s3OperationName(method, true, q));
    }
    throw methodNotAllowed();
  };

  return {
    /** Answers one S3 request. */
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const ids = s3RequestIds();
      const url = new URL(req.url ?? "/", "http://local");
      let addressed: { bucketName?: string; key?: string } = {};
      try {
        try {
          addressed = target(req, url);
        } catch {
          throw new S3Error("InvalidURI", "Couldn't parse the specified URI.", 400, { URI: req.url ?? "" });
        }
        const call: S3Call = {
          req,
          res,
          method: req.method ?? "GET",
          url,
          ...addressed,
          ids,
          principalId: principal(req, url),
          sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
        };
        await route(call);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        let failure =
          error instanceof LocalServiceError
            ? error
            : new S3Error(
                "InternalError",
                `We encountered an internal error: ${error instanceof Error ? error.message : String(error)}`,
                500,
              );
        // A missing key is news only to a caller who may list the bucket: S3 answers the others 403 (as it
        // would if the key existed and they could not read it), so no one learns which keys exist.
        if (
          failure.code === "NoSuchKey" &&
          addressed.bucketName &&
          !(await ctx.iam.allows(req, "s3:ListBucket", `arn:aws:s3:::${addressed.bucketName}`))
        ) {
          failure = new S3Error("AccessDenied", "Access Denied", 403);
        }
        if (failure.status >= 500 && failure.code !== "NotImplemented") {
          ctx.log.error("s3 request failed", { method: req.method, url: req.url, error: failure.message });
        }
        sendS3Error(req, res, failure, ids);
      }
    },
  };
}
