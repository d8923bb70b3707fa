import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  openSync,
  writeFileSync,
} from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { RecordLog } from "../../persist/journal";
import { readBody } from "../../protocol";
import { type LocalContext, type LocalResource, LocalServiceError, type ServiceEmulator } from "../../types";
import { isRecord, records } from "../../values";
import {
  aclXml,
  type BucketDeclaration,
  bucketTaggingXml,
  encryptionXml,
  lifecycleXml,
  notificationXml,
  ownershipXml,
  parseNotificationXml,
  policyText,
  publicAccessBlockXml,
  s3NotEmulated,
  s3OperationName,
} from "./configuration";
import {
  type NotificationConfig,
  NotificationDispatcher,
  type NotificationJournalRecord,
  notificationConfig,
  type ObjectEvent,
  ownerPrincipal,
  Sequencer,
} from "./notifications";
import {
  type Change,
  compareKeys,
  type MultipartUpload,
  S3Store,
  type StoredBucket,
  type StoredObject,
} from "./store";
import {
  AwsChunkedDecoder,
  contentEncoding,
  el,
  isAwsChunked,
  noSuchBucket,
  noSuchKey,
  S3_XMLNS,
  S3Error,
  s3RequestIds,
  s3UrlEncode,
  sendS3Error,
  sendXml,
  xmlElements,
  xmlText,
} from "./xml";

/**
 * The S3 emulator: a compact, in-house S3 (REST-XML, path-style and `<bucket>.<host>` virtual-hosted
 * addressing) with event notifications.
 *
 * Why not s3rver: s3rver 3.7.1 works with the SDK v3 client for simple calls only once the signature
 * is stripped (it knows only its own `S3RVER` key), but it stores `aws-chunked` bodies verbatim (the SDK
 * streams uploads of known length that way, with a trailing CRC32, so the object held the chunk framing
 * instead of the bytes), reports multipart completions as `ObjectCreated:Post` with a plain-MD5 ETag,
 * has no versioning, and its events carry millisecond-clock sequencers that do not increase reliably.
 * Wrapping all that would cost more than this module.
 *
 * Operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 * Get/PutBucketVersioning, ListObjects (v1), ListObjectsV2, ListObjectVersions, PutObject, GetObject
 * (single ranges, conditional headers, `response-*` overrides), HeadObject, DeleteObject, DeleteObjects,
 * CopyObject (metadata/tagging directives), Create/UploadPart/Complete/AbortMultipartUpload,
 * Get/Put/DeleteObjectTagging. Others answer `NotImplemented` (501). Object bytes are exactly the payload:
 * `aws-chunked` framing is decoded, Content-MD5 and CRC32/SHA-1/SHA-256 checksums are verified (`BadDigest`)
 * and the verified checksum is returned on full-object reads when the client asks (`x-amz-checksum-mode`).
 * ETag is the quoted MD5 (`"<md5 of part MD5s>-<n>"` for multipart). Versioning: unversioned, enabled
 * (new version ids, delete markers) and suspended (`null` versions, `null` delete markers) as S3 does.
 *
 * Events (see notifications.ts) follow real writes only, after the response: `ObjectCreated:Put`, `:Copy`,
 * `:CompleteMultipartUpload`, `ObjectRemoved:Delete`, `:DeleteMarkerCreated`, and
 * `LifecycleExpiration:Delete` / `:DeleteMarkerCreated` from lifecycle rules. Sequencers increase for
 * every event. S3's `s3:TestEvent` goes to each SNS/SQS destination when a bucket's notification
 * configuration is new or changed (with `--persist`, not again on every start).
 *
 * Lifecycle rules (`expiration.days`/`date`, `expiredObjectDeleteMarker`, `noncurrentVersionExpiration`,
 * `abortIncompleteMultipartUpload`; filters by prefix, tags and size) apply as S3 computes them (creation
 * time plus days, rounded up to the next midnight UTC), checked every `lifecycleSweepMs`. Transitions
 * (storage classes) are ignored.
 *
 * Recorded, not enforced: bucket policies (the dev stack's DenyInsecureTransport would refuse the
 * engine's plain HTTP), public access blocks, ownership controls, ACLs. Default encryption only shows in
 * the `x-amz-server-side-encryption` header. No request signatures are checked.
 */

/** Options of the S3 emulator. */
export interface S3Options {
  /** Send S3's `s3:TestEvent` to SNS/SQS destinations when a notification configuration is new or changed. @default true */
  testEvents?: boolean;
  /** How often lifecycle rules are applied, in milliseconds. @default 60000 */
  lifecycleSweepMs?: number;
}

/** The S3 emulator with its test hooks. */
export interface S3Emulator extends ServiceEmulator {
  /** Applies lifecycle rules as if it were `at` (default now). @returns how many versions/uploads expired */
  sweepLifecycle(at?: Date): number;
  /** Resolves when every queued event notification was handed to its destination. */
  flushNotifications(): Promise<void>;
}

interface LifecycleRule {
  id: string;
  prefix: string;
  tags: Record<string, string>;
  sizeGreaterThan?: number;
  sizeLessThan?: number;
  expirationDays?: number;
  expirationDate?: number;
  expiredObjectDeleteMarker?: boolean;
  noncurrentDays?: number;
  abortDays?: number;
}

/** What the program (or a client) declared about a bucket, with its lifecycle rules compiled. */
interface BucketConfig extends BucketDeclaration {
  lifecycle?: LifecycleRule[];
}

interface S3Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  bucketName?: string;
  key?: string;
  ids: { requestId: string; hostId: string };
  principalId: string;
  sourceIp: string;
}

const DAY_MS = 24 * 3600 * 1000;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;
const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** Checksums the emulator computes (and so verifies and returns). */
const VERIFIED = new Set<ChecksumAlgorithm>(["crc32", "sha1", "sha256"]);
const STORED_HEADERS: Array<[keyof StoredObject, string]> = [
  ["contentEncoding", "content-encoding"],
  ["contentDisposition", "content-disposition"],
  ["contentLanguage", "content-language"],
  ["cacheControl", "cache-control"],
  ["expires", "expires"],
];

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(",").some((candidate) => {
    const value = candidate.trim();
    return value === "*" || unquote(value) === unquote(etag);
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The next midnight UTC at or after a time (how S3 rounds lifecycle expiry). */
function nextMidnight(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

function parseTags(query: string | undefined): Record<string, string> {
  if (!query) return {};
  return Object.fromEntries(new URLSearchParams(query));
}

function lifecycleRules(inputs: Record<string, unknown>): LifecycleRule[] {
  const rules: LifecycleRule[] = [];
  const list = Array.isArray(inputs.rules) ? inputs.rules : [];
  for (const [index, raw] of list.entries()) {
    if (!isRecord(raw) || raw.status !== "Enabled") continue;
    const filter = isRecord(raw.filter) ? raw.filter : {};
    const and = isRecord(filter.and) ? filter.and : {};
    const tags: Record<string, string> = {};
    if (isRecord(filter.tag) && typeof filter.tag.key === "string")
      tags[filter.tag.key] = String(filter.tag.value ?? "");
    if (isRecord(and.tags)) for (const [k, v] of Object.entries(and.tags)) tags[k] = String(v);
    const num = (value: unknown) => (typeof value === "number" ? value : undefined);
    const expiration = isRecord(raw.expiration) ? raw.expiration : {};
    const noncurrent = isRecord(raw.noncurrentVersionExpiration) ? raw.noncurrentVersionExpiration : {};
    const abort = isRecord(raw.abortIncompleteMultipartUpload) ? raw.abortIncompleteMultipartUpload : {};
    const prefix =
      [filter.prefix, and.prefix, raw.prefix].find((p): p is string => typeof p === "string") ?? "";
    const date = typeof expiration.date === "string" ? Date.parse(expiration.date) : Number.NaN;
    rules.push({
      id: typeof raw.id === "string" ? raw.id : `rule-${index + 1}`,
      prefix,
      tags,
      sizeGreaterThan: num(filter.objectSizeGreaterThan) ?? num(and.objectSizeGreaterThan),
      sizeLessThan: num(filter.objectSizeLessThan) ?? num(and.objectSizeLessThan),
      expirationDays: num(expiration.days),
      expirationDate: Number.isNaN(date) ? undefined : date,
      expiredObjectDeleteMarker: expiration.expiredObjectDeleteMarker === true,
      noncurrentDays: num(noncurrent.noncurrentDays),
      abortDays: num(abort.daysAfterInitiation),
    });
  }
  return rules;
}

function ruleApplies(rule: LifecycleRule, object: StoredObject): boolean {
  if (!object.key.startsWith(rule.prefix)) return false;
  for (const [k, v] of Object.entries(rule.tags)) if (object.tags[k] !== v) return false;
  if (rule.sizeGreaterThan !== undefined && !(object.size > rule.sizeGreaterThan)) return false;
  if (rule.sizeLessThan !== undefined && !(object.size < rule.sizeLessThan)) return false;
  return true;
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

/**
 * Creates the S3 emulator (signing name `s3`).
 * @param options.testEvents send `s3:TestEvent` on new notification configurations (default true)
 * @param options.lifecycleSweepMs how often lifecycle rules run (default 60 s)
 */
export function createS3(ctx: LocalContext, options: S3Options = {}): S3Emulator {
  const root = join(ctx.persistDir ?? ctx.workDir, "s3");
  const store = new S3Store(root, ctx.log);
  const configs = new Map<string, BucketConfig>();
  const sequencer = new Sequencer();
  const journal = new RecordLog<NotificationJournalRecord>(ctx, "s3");
  const restored = journal.records();
  const dispatcher = new NotificationDispatcher(ctx, 200, journal);
  const testEvents = options.testEvents ?? true;
  let started = false;
  let lifecycleTimer: NodeJS.Timeout | undefined;

  const config = (bucket: string): BucketConfig => {
    let entry = configs.get(bucket);
    if (!entry) {
      entry = { resources: [] };
      configs.set(bucket, entry);
    }
    return entry;
  };

  const requireBucket = (name: string | undefined): StoredBucket => {
    const bucket = name ? store.bucket(name) : undefined;
    if (!bucket) throw noSuchBucket(name ?? "");
    return bucket;
  };

  /** Reads (GET/HEAD/tagging) name the version whenever versioning was ever configured, `null` included. */
  const versionHeader = (bucket: StoredBucket, object: StoredObject): Record<string, string> =>
    bucket.versioning === "Unversioned" ? {} : { "x-amz-version-id": object.versionId };

  /** Writes name the version they created; a `null` version (suspended bucket) is not named. */
  const writtenVersionHeader = (object: StoredObject): Record<string, string> =>
    object.versionId === "null" ? {} : { "x-amz-version-id": object.versionId };

  const encryptionHeaders = (bucket: string): Record<string, string> => {
    const sse = configs.get(bucket)?.encryption;
    if (!sse) return { "x-amz-server-side-encryption": "AES256" };
    return {
      "x-amz-server-side-encryption": sse.algorithm,
      ...(sse.kmsKeyId ? { "x-amz-server-side-encryption-aws-kms-key-id": sse.kmsKeyId } : {}),
      ...(sse.bucketKeyEnabled ? { "x-amz-server-side-encryption-bucket-key-enabled": "true" } : {}),
    };
  };

  // ---- events ----

  const emit = (
    bucket: StoredBucket,
    eventName: string,
    object: { key: string; size?: number; etag?: string; versionId?: string },
    call: Pick<S3Call, "ids" | "principalId" | "sourceIp">,
    reason: string,
  ): void => {
    const event: ObjectEvent = {
      eventName,
      bucket: bucket.name,
      key: object.key,
      ...(object.size !== undefined ? { size: object.size } : {}),
      ...(object.etag ? { eTag: unquote(object.etag) } : {}),
      ...(object.versionId !== undefined && object.versionId !== "null"
        ? { versionId: object.versionId }
        : {}),
      sequencer: sequencer.next(),
      time: new Date(),
      principalId: call.principalId,
      sourceIp: call.sourceIp,
      requestId: call.ids.requestId,
      hostId: call.ids.hostId,
      reason,
    };
    dispatcher.emit(event, configs.get(bucket.name)?.notifications);
  };

  /** The event of a delete: a delete marker, or a version removed for good. */
  const emitDelete = (
    bucket: StoredBucket,
    key: string,
    change: Change,
    versionId: string | undefined,
    call: Pick<S3Call, "ids" | "principalId" | "sourceIp">,
    prefix: "ObjectRemoved" | "LifecycleExpiration",
  ): void => {
    const reason = prefix === "ObjectRemoved" ? "DeleteObject" : "Lifecycle Expiration";
    if (change.written?.deleteMarker) {
      emit(
        bucket,
        `${prefix}:DeleteMarkerCreated`,
        { key, versionId: change.written.versionId },
        call,
        reason,
      );
    } else {
      emit(
        bucket,
        `${prefix}:Delete`,
        { key, ...(versionId !== undefined ? { versionId } : {}) },
        call,
        reason,
      );
    }
  };

  const sendTestEvents = (): void => {
    for (const [name, entry] of configs) {
      if (!entry.notificationsPending || !entry.notifications) continue;
      const bucket = store.bucket(name);
      if (!bucket) continue;
      entry.notificationsPending = false;
      const hash = createHash("sha256").update(JSON.stringify(entry.notifications)).digest("hex");
      if (bucket.state.notificationHash === hash) continue;
      bucket.state.notificationHash = hash;
      store.saveBucket(bucket);
      if (testEvents) dispatcher.emitTestEvent(name, entry.notifications);
    }
  };

  // ---- request plumbing ----

  const target = (req: IncomingMessage, url: URL): { bucketName?: string; key?: string } => {
    const host = (header(req, "host") ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    const path = url.pathname;
    if (host && !isIP(host) && host !== "localhost" && host.includes(".")) {
      const candidates = store
        .list()
        .map((b) => b.name)
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

  /** Reads a small request document (XML), decoding aws-chunked framing. */
  const readDocument = async (req: IncomingMessage): Promise<string> => {
    if (!isAwsChunked(req)) return (await readBody(req)).toString("utf8");
    const decoder = new AwsChunkedDecoder();
    const chunks: Buffer[] = [];
    decoder.on("data", (chunk: Buffer) => chunks.push(chunk));
    await pipeline(req, decoder);
    return Buffer.concat(chunks).toString("utf8");
  };

  const requestedChecksum = (req: IncomingMessage): ChecksumAlgorithm | undefined => {
    for (const algorithm of CHECKSUM_ALGORITHMS)
      if (req.headers[`x-amz-checksum-${algorithm}`]) return algorithm;
    const trailer = header(req, "x-amz-trailer")?.toLowerCase();
    const fromTrailer = CHECKSUM_ALGORITHMS.find((algorithm) => trailer === `x-amz-checksum-${algorithm}`);
    if (fromTrailer) return fromTrailer;
    const sdk = header(req, "x-amz-sdk-checksum-algorithm")?.toLowerCase();
    return CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === sdk);
  };

  /** Streams the request body into a new blob, verifying lengths, Content-MD5 and checksums. */
  const receive = async (
    bucket: StoredBucket,
    req: IncomingMessage,
  ): Promise<{
    blob: string;
    size: number;
    md5: Buffer;
    checksum?: { algorithm: string; value: string };
  }> => {
    const { blob, path } = store.newBlob(bucket);
    const algorithm = requestedChecksum(req);
    const meter = new Meter(algorithm);
    const decoder = isAwsChunked(req) ? new AwsChunkedDecoder() : undefined;
    try {
      if (decoder) await pipeline(req, decoder, meter, createWriteStream(path));
      else await pipeline(req, meter, createWriteStream(path));
      const md5 = meter.md5.digest();
      const declared = header(req, "x-amz-decoded-content-length");
      if (decoder && declared !== undefined && Number(declared) !== meter.size) {
        throw new S3Error(
          "IncompleteBody",
          `You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${declared}, got ${meter.size}).`,
        );
      }
      const contentMd5 = header(req, "content-md5");
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
        const sent = header(req, name) ?? decoder?.trailers[name];
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
      store.discardBlob(bucket, blob);
      if (error instanceof LocalServiceError) throw error;
      throw new S3Error(
        "IncompleteBody",
        `The request body could not be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  /** Object attributes from request headers (PutObject, CreateMultipartUpload, CopyObject with REPLACE). */
  const attributesFrom = (req: IncomingMessage): MultipartUpload["template"] => {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith("x-amz-meta-") && value !== undefined) {
        metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
      }
    }
    const attributes: MultipartUpload["template"] = {
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
  };

  const objectHeaders = (bucket: StoredBucket, object: StoredObject): Record<string, string | number> => {
    const headers: Record<string, string | number> = {
      etag: object.etag,
      "last-modified": new Date(object.lastModified).toUTCString(),
      "content-type": object.contentType ?? "binary/octet-stream",
      "accept-ranges": "bytes",
      ...encryptionHeaders(bucket.name),
      ...versionHeader(bucket, object),
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
  };

  /** The version a GET/HEAD/tagging call addresses, with S3's answers for missing keys and delete markers. */
  const resolveObject = (bucket: StoredBucket, key: string, versionId: string | null): StoredObject => {
    if (versionId !== null) {
      const version = bucket.version(key, versionId);
      if (!version) {
        throw new S3Error("NoSuchVersion", "The specified version does not exist.", 404, {
          Key: key,
          VersionId: versionId,
        });
      }
      if (version.deleteMarker) {
        throw new S3Error(
          "MethodNotAllowed",
          "The specified method is not allowed against this resource.",
          405,
          {},
          {
            "x-amz-delete-marker": "true",
            "x-amz-version-id": version.versionId,
          },
        );
      }
      return version;
    }
    const current = bucket.current(key);
    if (!current) throw noSuchKey(key);
    if (current.deleteMarker) {
      throw noSuchKey(key, { "x-amz-delete-marker": "true", "x-amz-version-id": current.versionId });
    }
    return current;
  };

  // ---- operations ----

  const listBuckets = (call: S3Call): void => {
    const buckets = store
      .list()
      .map(
        (b) =>
          `<Bucket><Name>${b.name}</Name><CreationDate>${iso(b.state.createdAt)}</CreationDate></Bucket>`,
      )
      .join("");
    sendXml(
      call.res,
      200,
      `<ListAllMyBucketsResult xmlns="${S3_XMLNS}"><Owner><ID>${ownerPrincipal(ctx.accountId)}</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`,
      call.ids,
    );
  };

  const createBucket = (call: S3Call, name: string): void => {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes("..") || isIP(name)) {
      throw new S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: name });
    }
    const { created } = store.createBucket(name);
    if (!created && ctx.region !== "us-east-1") {
      throw new S3Error(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
        {
          BucketName: name,
        },
      );
    }
    call.res.writeHead(200, {
      location: `/${name}`,
      "x-amz-request-id": call.ids.requestId,
      "content-length": 0,
    });
    call.res.end();
  };

  const deleteBucket = (call: S3Call, bucket: StoredBucket): void => {
    if (bucket.versionCount() > 0) {
      throw new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, {
        BucketName: bucket.name,
      });
    }
    store.deleteBucket(bucket.name);
    call.res.writeHead(204, { "x-amz-request-id": call.ids.requestId });
    call.res.end();
  };

  interface Page<T> {
    entries: T[];
    prefixes: string[];
    truncated: boolean;
    next?: string;
  }

  /** Walks sorted entries as S3 lists: prefix, delimiter roll-up into common prefixes, a start point, max keys. */
  const paginate = <T extends { key: string }>(
    all: readonly T[],
    query: { prefix: string; delimiter: string; maxKeys: number; skip: (entry: T) => boolean },
  ): Page<T> & { lastKey?: T } => {
    const page: Page<T> & { lastKey?: T } = { entries: [], prefixes: [], truncated: false };
    let count = 0;
    for (const entry of all) {
      if (!entry.key.startsWith(query.prefix) || query.skip(entry)) continue;
      let commonPrefix: string | undefined;
      if (query.delimiter !== "") {
        const at = entry.key.indexOf(query.delimiter, query.prefix.length);
        if (at >= 0) commonPrefix = entry.key.slice(0, at + query.delimiter.length);
      }
      if (commonPrefix !== undefined && page.prefixes[page.prefixes.length - 1] === commonPrefix) continue;
      if (count >= query.maxKeys) {
        page.truncated = true;
        break;
      }
      count += 1;
      if (commonPrefix !== undefined) {
        page.prefixes.push(commonPrefix);
        page.next = commonPrefix;
      } else {
        page.entries.push(entry);
        page.next = entry.key;
        page.lastKey = entry;
      }
    }
    return page;
  };

  const maxKeysOf = (url: URL): number => {
    const raw = url.searchParams.get("max-keys");
    if (raw === null) return 1000;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
      throw new S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", 400, {
        ArgumentName: "max-keys",
        ArgumentValue: raw,
      });
    return Math.min(value, 1000);
  };

  const after = (marker: string | undefined, delimiter: string) => (entry: { key: string }) => {
    if (!marker) return false;
    if (compareKeys(entry.key, marker) <= 0) return true;
    return delimiter !== "" && marker.endsWith(delimiter) && entry.key.startsWith(marker);
  };

  const contentsXml = (object: StoredObject, encode: (value: string) => string, owner: boolean): string =>
    `<Contents><Key>${encode(object.key)}</Key><LastModified>${iso(object.lastModified)}</LastModified>${el("ETag", object.etag)}<Size>${object.size}</Size>${owner ? `<Owner><ID>${ownerPrincipal(ctx.accountId)}</ID></Owner>` : ""}<StorageClass>${object.storageClass ?? "STANDARD"}</StorageClass></Contents>`;

  const listObjects = (call: S3Call, bucket: StoredBucket, v2: boolean): void => {
    const q = call.url.searchParams;
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeys = maxKeysOf(call.url);
    const urlEncoded = q.get("encoding-type") === "url";
    const encode = (value: string) =>
      urlEncoded ? s3UrlEncode(value) : value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    let marker: string | undefined;
    const token = q.get("continuation-token");
    if (v2) {
      if (token !== null) {
        marker = Buffer.from(token, "base64url").toString("utf8");
        if (token === "" || !marker)
          throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", 400, {
            ArgumentName: "continuation-token",
          });
      } else marker = q.get("start-after") ?? undefined;
    } else marker = q.get("marker") ?? undefined;
    const page = paginate(bucket.listCurrent(), {
      prefix,
      delimiter,
      maxKeys,
      skip: after(marker, delimiter),
    });
    const contents = page.entries
      .map((object) => contentsXml(object, encode, !v2 || q.get("fetch-owner") === "true"))
      .join("");
    const prefixes = page.prefixes
      .map((p) => `<CommonPrefixes><Prefix>${encode(p)}</Prefix></CommonPrefixes>`)
      .join("");
    const common = `<Name>${bucket.name}</Name><Prefix>${encode(prefix)}</Prefix>${delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : ""}<MaxKeys>${maxKeys}</MaxKeys>${urlEncoded ? "<EncodingType>url</EncodingType>" : ""}<IsTruncated>${page.truncated}</IsTruncated>`;
    const body = v2
      ? `${common}<KeyCount>${page.entries.length + page.prefixes.length}</KeyCount>${token !== null ? el("ContinuationToken", token) : ""}${q.get("start-after") !== null ? `<StartAfter>${encode(q.get("start-after") ?? "")}</StartAfter>` : ""}${page.truncated && page.next ? el("NextContinuationToken", Buffer.from(page.next).toString("base64url")) : ""}`
      : `${common}<Marker>${encode(marker ?? "")}</Marker>${page.truncated && delimiter && page.next ? `<NextMarker>${encode(page.next)}</NextMarker>` : ""}`;
    sendXml(
      call.res,
      200,
      `<ListBucketResult xmlns="${S3_XMLNS}">${body}${contents}${prefixes}</ListBucketResult>`,
      call.ids,
    );
  };

  const listObjectVersions = (call: S3Call, bucket: StoredBucket): void => {
    const q = call.url.searchParams;
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeys = maxKeysOf(call.url);
    const keyMarker = q.get("key-marker") ?? "";
    const versionMarker = q.get("version-id-marker") ?? "";
    const all = bucket.listVersions();
    let passedVersionMarker = versionMarker === "";
    const skip = (entry: StoredObject): boolean => {
      if (keyMarker === "") return false;
      const order = compareKeys(entry.key, keyMarker);
      if (order < 0) return true;
      if (order > 0) return after(keyMarker, delimiter)(entry);
      if (versionMarker === "") return true;
      if (!passedVersionMarker) {
        if (entry.versionId === versionMarker) passedVersionMarker = true;
        return true;
      }
      return false;
    };
    const page = paginate(all, { prefix, delimiter, maxKeys, skip });
    const owner = `<Owner><ID>${ownerPrincipal(ctx.accountId)}</ID></Owner>`;
    const entries = page.entries
      .map((version) => {
        const latest = bucket.current(version.key) === version;
        const common = `<Key>${version.key.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</Key><VersionId>${version.versionId}</VersionId><IsLatest>${latest}</IsLatest><LastModified>${iso(version.lastModified)}</LastModified>`;
        return version.deleteMarker
          ? `<DeleteMarker>${common}${owner}</DeleteMarker>`
          : `<Version>${common}${el("ETag", version.etag)}<Size>${version.size}</Size><StorageClass>${version.storageClass ?? "STANDARD"}</StorageClass>${owner}</Version>`;
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
    sendXml(
      call.res,
      200,
      `<ListVersionsResult xmlns="${S3_XMLNS}"><Name>${bucket.name}</Name><Prefix>${prefix}</Prefix><KeyMarker>${keyMarker}</KeyMarker><VersionIdMarker>${versionMarker}</VersionIdMarker><MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${delimiter}</Delimiter>` : ""}<IsTruncated>${page.truncated}</IsTruncated>${next}${entries}${prefixes}</ListVersionsResult>`,
      call.ids,
    );
  };

  const putObject = async (call: S3Call, bucket: StoredBucket, key: string): Promise<void> => {
    const ifNoneMatch = header(call.req, "if-none-match");
    const ifMatch = header(call.req, "if-match");
    const checkPreconditions = () => {
      const current = bucket.current(key);
      const live = current && !current.deleteMarker ? current : undefined;
      if (ifNoneMatch === "*" && live) {
        throw new S3Error(
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
          412,
          { Condition: "If-None-Match" },
        );
      }
      if (ifMatch !== undefined) {
        if (!live) throw noSuchKey(key);
        if (!etagMatches(ifMatch, live.etag)) {
          throw new S3Error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            { Condition: "If-Match" },
          );
        }
      }
    };
    checkPreconditions();
    const attributes = attributesFrom(call.req);
    const body = await receive(bucket, call.req);
    try {
      checkPreconditions();
    } catch (error) {
      store.discardBlob(bucket, body.blob);
      throw error;
    }
    const { written } = store.put(bucket, {
      ...attributes,
      key,
      deleteMarker: false,
      blob: body.blob,
      size: body.size,
      etag: `"${body.md5.toString("hex")}"`,
      lastModified: Date.now(),
      ...(body.checksum ? { checksum: body.checksum } : {}),
    });
    if (!written) throw new Error("PutObject wrote nothing");
    const headers: Record<string, string | number> = {
      etag: written.etag,
      "x-amz-request-id": call.ids.requestId,
      "x-amz-id-2": call.ids.hostId,
      "content-length": 0,
      ...encryptionHeaders(bucket.name),
      ...writtenVersionHeader(written),
    };
    if (body.checksum) headers[`x-amz-checksum-${body.checksum.algorithm}`] = body.checksum.value;
    call.res.writeHead(200, headers);
    call.res.end();
    emit(
      bucket,
      "ObjectCreated:Put",
      { key, size: written.size, etag: written.etag, versionId: written.versionId },
      call,
      "PutObject",
    );
  };

  const getObject = (call: S3Call, bucket: StoredBucket, key: string, head: boolean): void => {
    const q = call.url.searchParams;
    const object = resolveObject(bucket, key, q.get("versionId"));
    const headers = objectHeaders(bucket, object);
    const modifiedS = Math.floor(object.lastModified / 1000);
    const ifMatch = header(call.req, "if-match");
    const ifNoneMatch = header(call.req, "if-none-match");
    const since = (name: string) => {
      const value = header(call.req, name);
      const parsed = value ? Date.parse(value) : Number.NaN;
      return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
    };
    const unmodifiedSince = since("if-unmodified-since");
    const modifiedSince = since("if-modified-since");
    if (
      ifMatch !== undefined
        ? !etagMatches(ifMatch, object.etag)
        : unmodifiedSince !== undefined && modifiedS > unmodifiedSince
    ) {
      throw new S3Error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        {
          Condition: ifMatch !== undefined ? "If-Match" : "If-Unmodified-Since",
        },
      );
    }
    if (
      ifNoneMatch !== undefined
        ? etagMatches(ifNoneMatch, object.etag)
        : modifiedSince !== undefined && modifiedS <= modifiedSince
    ) {
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
    let start = 0;
    let end = object.size - 1;
    let status = 200;
    const range = header(call.req, "range");
    const match = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
    if (match && (match[1] !== "" || match[2] !== "")) {
      if (match[1] === "") {
        start = Math.max(0, object.size - Number(match[2]));
      } else {
        start = Number(match[1]);
        if (match[2] !== "") end = Math.min(end, Number(match[2]));
      }
      if (start >= object.size || start > end) {
        throw new S3Error("InvalidRange", "The requested range is not satisfiable", 416, {
          RangeRequested: range ?? "",
          ActualObjectSize: String(object.size),
        });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${object.size}`;
    } else if (object.checksum && header(call.req, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED") {
      headers[`x-amz-checksum-${object.checksum.algorithm}`] = object.checksum.value;
    }
    const length = object.size === 0 ? 0 : end - start + 1;
    headers["content-length"] = length;
    headers["x-amz-request-id"] = call.ids.requestId;
    headers["x-amz-id-2"] = call.ids.hostId;
    if (head || length === 0 || !object.blob) {
      call.res.writeHead(status, headers);
      call.res.end();
      return;
    }
    // Opened now, so a concurrent overwrite (which unlinks the old file) cannot pull it from under us.
    const fd = openSync(bucket.blobPath(object.blob), "r");
    if (fstatSync(fd).size < end + 1) {
      closeSync(fd);
      throw new S3Error("InternalError", "The object's stored bytes are incomplete.", 500);
    }
    call.res.writeHead(status, headers);
    const stream = createReadStream("", { fd, start, end });
    stream.on("error", () => call.res.destroy());
    stream.pipe(call.res);
  };

  const deleteObject = (call: S3Call, bucket: StoredBucket, key: string): void => {
    const versionId = call.url.searchParams.get("versionId") ?? undefined;
    const change = store.delete(bucket, key, versionId);
    const headers: Record<string, string | number> = {
      "x-amz-request-id": call.ids.requestId,
      "x-amz-id-2": call.ids.hostId,
    };
    if (change.written?.deleteMarker) {
      headers["x-amz-delete-marker"] = "true";
      headers["x-amz-version-id"] = change.written.versionId;
    } else if (versionId !== undefined) {
      headers["x-amz-version-id"] = versionId;
      if (change.removed.some((version) => version.deleteMarker)) headers["x-amz-delete-marker"] = "true";
    }
    call.res.writeHead(204, headers);
    call.res.end();
    emitDelete(bucket, key, change, versionId, call, "ObjectRemoved");
  };

  const deleteObjects = async (call: S3Call, bucket: StoredBucket): Promise<void> => {
    const xml = await readDocument(call.req);
    const objects = xmlElements(xml, "Object");
    if (!/<Delete[\s>]/.test(xml) || objects.length === 0 || objects.length > MAX_DELETE_KEYS) {
      throw new S3Error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
      );
    }
    const quiet = xmlText(xml, "Quiet") === "true";
    const results: string[] = [];
    const done: Array<() => void> = [];
    for (const object of objects) {
      const key = xmlText(object, "Key");
      const versionId = xmlText(object, "VersionId");
      if (key === undefined || key === "") {
        results.push(
          `<Error><Key></Key><Code>UserKeyMustBeSpecified</Code><Message>The key must be specified.</Message></Error>`,
        );
        continue;
      }
      const change = store.delete(bucket, key, versionId);
      done.push(() => emitDelete(bucket, key, change, versionId, call, "ObjectRemoved"));
      if (quiet) continue;
      const marker = change.written?.deleteMarker
        ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${change.written.versionId}</DeleteMarkerVersionId>`
        : change.removed.some((version) => version.deleteMarker) && versionId !== undefined
          ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${versionId}</DeleteMarkerVersionId>`
          : "";
      results.push(`<Deleted>${el("Key", key)}${el("VersionId", versionId)}${marker}</Deleted>`);
    }
    sendXml(call.res, 200, `<DeleteResult xmlns="${S3_XMLNS}">${results.join("")}</DeleteResult>`, call.ids);
    for (const event of done) event();
  };

  const copyObject = async (call: S3Call, bucket: StoredBucket, key: string): Promise<void> => {
    const source = header(call.req, "x-amz-copy-source") ?? "";
    const [rawPath = "", rawQuery = ""] = source.split("?");
    const path = decodeURIComponent(rawPath).replace(/^\//, "");
    const slash = path.indexOf("/");
    if (slash <= 0 || slash === path.length - 1) {
      throw new S3Error(
        "InvalidArgument",
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        400,
        {
          ArgumentName: "x-amz-copy-source",
          ArgumentValue: source,
        },
      );
    }
    const sourceBucket = requireBucket(path.slice(0, slash));
    const sourceKey = path.slice(slash + 1);
    const sourceVersion = new URLSearchParams(rawQuery).get("versionId");
    const original = resolveObject(sourceBucket, sourceKey, sourceVersion);
    const ifMatch = header(call.req, "x-amz-copy-source-if-match");
    const ifNoneMatch = header(call.req, "x-amz-copy-source-if-none-match");
    if (
      (ifMatch !== undefined && !etagMatches(ifMatch, original.etag)) ||
      (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, original.etag))
    ) {
      throw new S3Error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
      );
    }
    const replaceMetadata = header(call.req, "x-amz-metadata-directive")?.toUpperCase() === "REPLACE";
    const replaceTags = header(call.req, "x-amz-tagging-directive")?.toUpperCase() === "REPLACE";
    if (
      sourceBucket === bucket &&
      sourceKey === key &&
      !replaceMetadata &&
      !header(call.req, "x-amz-storage-class") &&
      sourceVersion === null
    ) {
      throw new S3Error(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const fresh = attributesFrom(call.req);
    const attributes: MultipartUpload["template"] = replaceMetadata
      ? fresh
      : {
          contentType: original.contentType,
          metadata: { ...original.metadata },
          tags: {},
          ...Object.fromEntries(
            STORED_HEADERS.map(([field]) => [field, original[field]]).filter(([, v]) => v !== undefined),
          ),
          ...(original.storageClass ? { storageClass: original.storageClass } : {}),
        };
    attributes.tags = replaceTags ? fresh.tags : { ...original.tags };
    const { blob, path: target } = store.newBlob(bucket);
    if (original.blob) copyFileSync(sourceBucket.blobPath(original.blob), target);
    else writeFileSync(target, "");
    // A copy is one upload: a multipart source's `<md5>-<n>` ETag becomes the MD5 of the bytes.
    let etag = original.etag;
    if (etag.includes("-")) {
      const hash = createHash("md5");
      for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
      etag = `"${hash.digest("hex")}"`;
    }
    const { written } = store.put(bucket, {
      ...attributes,
      key,
      deleteMarker: false,
      blob,
      size: original.size,
      etag,
      lastModified: Date.now(),
      ...(original.checksum ? { checksum: original.checksum } : {}),
    });
    if (!written) throw new Error("CopyObject wrote nothing");
    sendXml(
      call.res,
      200,
      `<CopyObjectResult xmlns="${S3_XMLNS}"><LastModified>${iso(written.lastModified)}</LastModified>${el("ETag", written.etag)}</CopyObjectResult>`,
      call.ids,
      {
        ...encryptionHeaders(bucket.name),
        ...writtenVersionHeader(written),
        ...(sourceBucket.versioning !== "Unversioned"
          ? { "x-amz-copy-source-version-id": original.versionId }
          : {}),
      },
    );
    emit(
      bucket,
      "ObjectCreated:Copy",
      { key, size: written.size, etag: written.etag, versionId: written.versionId },
      call,
      "CopyObject",
    );
  };

  const createMultipartUpload = (call: S3Call, bucket: StoredBucket, key: string): void => {
    const uploadId = createHash("sha256")
      .update(`${bucket.name}/${key}/${Date.now()}/${Math.random()}`)
      .digest("base64url");
    bucket.uploads.set(uploadId, {
      uploadId,
      key,
      initiated: Date.now(),
      parts: new Map(),
      template: attributesFrom(call.req),
    });
    sendXml(
      call.res,
      200,
      `<InitiateMultipartUploadResult xmlns="${S3_XMLNS}"><Bucket>${bucket.name}</Bucket>${el("Key", key)}<UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      call.ids,
      encryptionHeaders(bucket.name),
    );
  };

  const upload = (bucket: StoredBucket, key: string, uploadId: string | null): MultipartUpload => {
    const found = uploadId ? bucket.uploads.get(uploadId) : undefined;
    if (!found || found.key !== key) {
      throw new S3Error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        404,
        { UploadId: uploadId ?? "" },
      );
    }
    return found;
  };

  const uploadPart = async (call: S3Call, bucket: StoredBucket, key: string): Promise<void> => {
    const q = call.url.searchParams;
    if (header(call.req, "x-amz-copy-source")) throw s3NotEmulated("UploadPartCopy");
    const target = upload(bucket, key, q.get("uploadId"));
    const partNumber = Number(q.get("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw new S3Error(
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
        400,
        {
          ArgumentName: "partNumber",
          ArgumentValue: String(q.get("partNumber")),
        },
      );
    }
    const body = await receive(bucket, call.req);
    const previous = target.parts.get(partNumber);
    if (previous) store.discardBlob(bucket, previous.blob);
    const etag = `"${body.md5.toString("hex")}"`;
    target.parts.set(partNumber, {
      partNumber,
      blob: body.blob,
      size: body.size,
      etag,
      lastModified: Date.now(),
    });
    const headers: Record<string, string | number> = {
      etag,
      "x-amz-request-id": call.ids.requestId,
      "content-length": 0,
      ...encryptionHeaders(bucket.name),
    };
    if (body.checksum) headers[`x-amz-checksum-${body.checksum.algorithm}`] = body.checksum.value;
    call.res.writeHead(200, headers);
    call.res.end();
  };

  const completeMultipartUpload = async (call: S3Call, bucket: StoredBucket, key: string): Promise<void> => {
    const target = upload(bucket, key, call.url.searchParams.get("uploadId"));
    const xml = await readDocument(call.req);
    const listed = xmlElements(xml, "Part").map((part) => ({
      partNumber: Number(xmlText(part, "PartNumber")),
      etag: xmlText(part, "ETag") ?? "",
    }));
    if (listed.length === 0) {
      throw new S3Error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
      );
    }
    const parts = listed.map((entry, index) => {
      const previous = listed[index - 1];
      if (previous && entry.partNumber <= previous.partNumber) {
        throw new S3Error(
          "InvalidPartOrder",
          "The list of parts was not in ascending order. Parts must be ordered by part number.",
        );
      }
      const part = target.parts.get(entry.partNumber);
      if (!part || unquote(part.etag) !== unquote(entry.etag)) {
        throw new S3Error(
          "InvalidPart",
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
          { UploadId: target.uploadId, PartNumber: String(entry.partNumber), ETag: entry.etag },
        );
      }
      return part;
    });
    for (const [index, part] of parts.entries()) {
      if (index < parts.length - 1 && part.size < MIN_PART_SIZE) {
        throw new S3Error(
          "EntityTooSmall",
          "Your proposed upload is smaller than the minimum allowed object size.",
          400,
          {
            ProposedSize: String(part.size),
            MinSizeAllowed: String(MIN_PART_SIZE),
            PartNumber: String(part.partNumber),
            ETag: part.etag,
          },
        );
      }
    }
    const { blob, path } = store.newBlob(bucket);
    const out = createWriteStream(path);
    try {
      for (const part of parts)
        await pipeline(createReadStream(bucket.blobPath(part.blob)), out, { end: false });
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      store.discardBlob(bucket, blob);
      throw error;
    }
    const md5s = Buffer.concat(parts.map((part) => Buffer.from(unquote(part.etag), "hex")));
    const etag = `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`;
    bucket.uploads.delete(target.uploadId);
    for (const part of target.parts.values()) store.discardBlob(bucket, part.blob);
    const { written } = store.put(bucket, {
      ...target.template,
      key,
      deleteMarker: false,
      blob,
      size: parts.reduce((sum, part) => sum + part.size, 0),
      etag,
      lastModified: Date.now(),
    });
    if (!written) throw new Error("CompleteMultipartUpload wrote nothing");
    const location = `${ctx.endpoint}/${bucket.name}/${s3UrlEncode(key)}`;
    sendXml(
      call.res,
      200,
      `<CompleteMultipartUploadResult xmlns="${S3_XMLNS}">${el("Location", location)}<Bucket>${bucket.name}</Bucket>${el("Key", key)}${el("ETag", etag)}</CompleteMultipartUploadResult>`,
      call.ids,
      { ...encryptionHeaders(bucket.name), ...writtenVersionHeader(written) },
    );
    emit(
      bucket,
      "ObjectCreated:CompleteMultipartUpload",
      { key, size: written.size, etag, versionId: written.versionId },
      call,
      "CompleteMultipartUpload",
    );
  };

  const abortMultipartUpload = (call: S3Call, bucket: StoredBucket, key: string): void => {
    const target = upload(bucket, key, call.url.searchParams.get("uploadId"));
    bucket.uploads.delete(target.uploadId);
    for (const part of target.parts.values()) store.discardBlob(bucket, part.blob);
    call.res.writeHead(204, { "x-amz-request-id": call.ids.requestId });
    call.res.end();
  };

  const objectTagging = async (call: S3Call, bucket: StoredBucket, key: string): Promise<void> => {
    const object = resolveObject(bucket, key, call.url.searchParams.get("versionId"));
    const headers = versionHeader(bucket, object);
    if (call.method === "GET") {
      const tags = Object.entries(object.tags)
        .map(([k, v]) => `<Tag>${el("Key", k)}${el("Value", v)}</Tag>`)
        .join("");
      sendXml(
        call.res,
        200,
        `<Tagging xmlns="${S3_XMLNS}"><TagSet>${tags}</TagSet></Tagging>`,
        call.ids,
        headers,
      );
      return;
    }
    if (call.method === "PUT") {
      const xml = await readDocument(call.req);
      const tags = Object.fromEntries(
        xmlElements(xml, "Tag").map((tag) => [xmlText(tag, "Key") ?? "", xmlText(tag, "Value") ?? ""]),
      );
      if (Object.keys(tags).length > 10)
        throw new S3Error("BadRequest", "Object tags cannot be greater than 10");
      store.setTags(bucket, object, tags);
      call.res.writeHead(200, { ...headers, "x-amz-request-id": call.ids.requestId, "content-length": 0 });
      call.res.end();
      return;
    }
    store.setTags(bucket, object, {});
    call.res.writeHead(204, { ...headers, "x-amz-request-id": call.ids.requestId });
    call.res.end();
  };

  const bucketVersioning = async (call: S3Call, bucket: StoredBucket): Promise<void> => {
    if (call.method === "GET") {
      const status = bucket.versioning === "Unversioned" ? "" : `<Status>${bucket.versioning}</Status>`;
      sendXml(
        call.res,
        200,
        `<VersioningConfiguration xmlns="${S3_XMLNS}">${status}</VersioningConfiguration>`,
        call.ids,
      );
      return;
    }
    const status = xmlText(await readDocument(call.req), "Status");
    if (status !== "Enabled" && status !== "Suspended") {
      throw new S3Error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
      );
    }
    store.setVersioning(bucket, status);
    call.res.writeHead(200, { "x-amz-request-id": call.ids.requestId, "content-length": 0 });
    call.res.end();
  };

  /**
   * PutBucketNotificationConfiguration, for clients and provisioning alike: S3 checks that each destination
   * exists (unless told to skip it), then the configuration replaces the bucket's and, when new or changed,
   * `s3:TestEvent` goes to its SNS and SQS destinations.
   */
  const putNotificationConfiguration = (
    name: string,
    notifications: NotificationConfig,
    options: { validateDestinations: boolean },
  ): void => {
    if (options.validateDestinations) {
      const missing = notifications.targets.filter((target) => !destinationExists(target.kind, target.arn));
      if (missing.length > 0) {
        throw new S3Error(
          "InvalidArgument",
          "Unable to validate the following destination configurations",
          400,
          Object.fromEntries(
            missing.flatMap((target) => [
              ["ArgumentName", target.arn],
              ["ArgumentValue", "The destination does not exist"],
            ]),
          ),
        );
      }
    }
    const entry = config(name);
    entry.notifications = notifications;
    entry.notificationsPending = true;
    if (started) sendTestEvents();
  };

  /** Whether an SNS topic, SQS queue or function exists here (true when its emulator is not running). */
  const destinationExists = (kind: "topic" | "queue" | "lambda", arn: string): boolean => {
    try {
      if (kind === "topic") return ctx.sns.hasTopic(arn);
      if (kind === "queue") return ctx.sqs.hasQueue(arn);
      return ctx.lambda.hasFunction(arn);
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") return true;
      throw error;
    }
  };

  const sendDocument = (call: S3Call, body: string): void => sendXml(call.res, 200, body, call.ids);

  /** The bucket configuration sub-resources the local S3 serves. @returns false when the request is not one */
  const bucketConfiguration = async (call: S3Call, bucket: StoredBucket): Promise<boolean> => {
    const { method, url } = call;
    const q = url.searchParams;
    const entry = configs.get(bucket.name);
    if (method === "GET") {
      if (q.has("notification")) sendDocument(call, notificationXml(entry?.notifications));
      else if (q.has("lifecycle")) sendDocument(call, lifecycleXml(bucket.name, entry?.lifecycleRules));
      else if (q.has("encryption")) sendDocument(call, encryptionXml(entry?.encryption));
      else if (q.has("publicAccessBlock"))
        sendDocument(call, publicAccessBlockXml(bucket.name, entry?.publicAccessBlock));
      else if (q.has("ownershipControls")) sendDocument(call, ownershipXml(bucket.name, entry?.ownership));
      else if (q.has("tagging")) sendDocument(call, bucketTaggingXml(entry?.tags));
      else if (q.has("acl")) sendDocument(call, aclXml(ownerPrincipal(ctx.accountId)));
      else if (q.has("policy")) {
        const text = policyText(bucket.name, entry?.policy);
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
      const notifications = parseNotificationXml(await readDocument(call.req));
      putNotificationConfiguration(bucket.name, notifications, {
        validateDestinations: header(call.req, "x-amz-skip-destination-validation") !== "true",
      });
      journal.append({ kind: "configuration", bucket: bucket.name, config: notifications });
      call.res.writeHead(200, { "x-amz-request-id": call.ids.requestId, "content-length": 0 });
      call.res.end();
      return true;
    }
    return false;
  };

  const route = async (call: S3Call): Promise<void> => {
    const { method, url, bucketName, key } = call;
    const q = url.searchParams;
    if (!bucketName) {
      if (method === "GET") return listBuckets(call);
      throw new S3Error(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
      );
    }
    if (key === undefined) {
      if (method === "PUT" && [...q.keys()].filter((k) => k !== "x-id").length === 0)
        return createBucket(call, bucketName);
      const bucket = requireBucket(bucketName);
      if (q.has("versioning") && (method === "GET" || method === "PUT"))
        return bucketVersioning(call, bucket);
      if (method === "GET" && q.has("location")) {
        const constraint = ctx.region === "us-east-1" ? "" : ctx.region;
        return sendXml(
          call.res,
          200,
          `<LocationConstraint xmlns="${S3_XMLNS}">${constraint}</LocationConstraint>`,
          call.ids,
        );
      }
      if (method === "GET" && q.has("versions")) return listObjectVersions(call, bucket);
      if (method === "POST" && q.has("delete")) return deleteObjects(call, bucket);
      if (await bucketConfiguration(call, bucket)) return;
      const subresources = [...q.keys()].filter(
        (k) =>
          ![
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
          ].includes(k) && !k.startsWith("X-Amz-"),
      );
      if (subresources.length > 0) throw s3NotEmulated(s3OperationName(method, false, q));
      if (method === "GET") return listObjects(call, bucket, q.get("list-type") === "2");
      if (method === "HEAD") {
        call.res.writeHead(200, {
          "x-amz-bucket-region": ctx.region,
          "x-amz-request-id": call.ids.requestId,
        });
        call.res.end();
        return;
      }
      if (method === "DELETE") return deleteBucket(call, bucket);
      throw new S3Error(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
      );
    }
    const bucket = requireBucket(bucketName);
    if (key.length > 1024) throw new S3Error("KeyTooLongError", "Your key is too long", 400);
    if (q.has("tagging")) return objectTagging(call, bucket, key);
    if (method === "PUT") {
      if (q.has("uploadId")) return uploadPart(call, bucket, key);
      if (header(call.req, "x-amz-copy-source")) return copyObject(call, bucket, key);
      const extra = [...q.keys()].filter((k) => k !== "x-id" && !k.startsWith("X-Amz-"));
      if (extra.length > 0) throw s3NotEmulated(s3OperationName(method, true, q));
      return putObject(call, bucket, key);
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
      return getObject(call, bucket, key, method === "HEAD");
    }
    if (method === "DELETE") {
      if (q.has("uploadId")) return abortMultipartUpload(call, bucket, key);
      return deleteObject(call, bucket, key);
    }
    if (method === "POST") {
      if (q.has("uploads")) return createMultipartUpload(call, bucket, key);
      if (q.has("uploadId")) return completeMultipartUpload(call, bucket, key);
      if (q.has("restore") || q.has("select")) throw s3NotEmulated(s3OperationName(method, true, q));
    }
    throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ids = s3RequestIds();
    const url = new URL(req.url ?? "/", "http://local");
    try {
      let addressed: { bucketName?: string; key?: string };
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
      const failure =
        error instanceof LocalServiceError
          ? error
          : new S3Error(
              "InternalError",
              `We encountered an internal error: ${error instanceof Error ? error.message : String(error)}`,
              500,
            );
      if (failure.status >= 500 && failure.code !== "NotImplemented") {
        ctx.log.error("s3 request failed", { method: req.method, url: req.url, error: failure.message });
      }
      sendS3Error(req, res, failure, ids);
    }
  };

  // ---- lifecycle ----

  const sweepLifecycle = (at: Date = new Date()): number => {
    const now = at.getTime();
    const call = { ids: s3RequestIds(), principalId: "s3.amazonaws.com", sourceIp: "s3.amazonaws.com" };
    let expired = 0;
    for (const [name, entry] of configs) {
      const rules = entry.lifecycle ?? [];
      const bucket = store.bucket(name);
      if (!bucket || rules.length === 0) continue;
      for (const key of [...bucket.keys.keys()]) {
        const versions = bucket.keys.get(key) ?? [];
        const current = versions[versions.length - 1];
        if (!current) continue;
        // Noncurrent versions: expire `noncurrentDays` after the next version replaced them.
        for (const [index, version] of versions.slice(0, -1).entries()) {
          const replacedAt = versions[index + 1]?.lastModified ?? now;
          const rule = rules.find(
            (r) =>
              r.noncurrentDays !== undefined &&
              ruleApplies(r, version) &&
              nextMidnight(replacedAt + r.noncurrentDays * DAY_MS) <= now,
          );
          if (!rule) continue;
          const change = store.delete(bucket, key, version.versionId);
          emitDelete(
            bucket,
            key,
            change,
            version.versionId === "null" ? undefined : version.versionId,
            call,
            "LifecycleExpiration",
          );
          expired += 1;
        }
        const latest = bucket.current(key);
        if (!latest) continue;
        if (latest.deleteMarker) {
          const alone = (bucket.keys.get(key) ?? []).length === 1;
          if (alone && rules.some((r) => r.expiredObjectDeleteMarker && key.startsWith(r.prefix))) {
            store.delete(bucket, key, latest.versionId);
            expired += 1;
          }
          continue;
        }
        const due = rules.some((r) => {
          if (!ruleApplies(r, latest)) return false;
          if (r.expirationDate !== undefined && r.expirationDate <= now) return true;
          return (
            r.expirationDays !== undefined &&
            nextMidnight(latest.lastModified + r.expirationDays * DAY_MS) <= now
          );
        });
        if (!due) continue;
        const change = store.delete(bucket, key);
        emitDelete(bucket, key, change, undefined, call, "LifecycleExpiration");
        expired += 1;
      }
      for (const pending of [...bucket.uploads.values()]) {
        const rule = rules.find(
          (r) =>
            r.abortDays !== undefined &&
            pending.key.startsWith(r.prefix) &&
            nextMidnight(pending.initiated + r.abortDays * DAY_MS) <= now,
        );
        if (!rule) continue;
        bucket.uploads.delete(pending.uploadId);
        for (const part of pending.parts.values()) store.discardBlob(bucket, part.blob);
        expired += 1;
      }
    }
    return expired;
  };

  // ---- provisioning ----

  const bucketOf = (resource: LocalResource): string | undefined => {
    const inputs = resource.inputs as Record<string, unknown>;
    return typeof inputs.bucket === "string" ? inputs.bucket : undefined;
  };

  const applyVersioning = (name: string): void => {
    const status = configs.get(name)?.versioning;
    const bucket = store.bucket(name);
    if (!bucket || !status) return;
    if (status === "Enabled" || status === "Suspended") {
      if (bucket.versioning !== status) store.setVersioning(bucket, status);
    }
  };

  const provision = (resource: LocalResource): void => {
    const type = resource.type.replace(/V2/g, "");
    if (!type.startsWith("aws:s3/")) return;
    const inputs = resource.inputs as Record<string, unknown>;
    if (type === "aws:s3/bucket:Bucket") {
      const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
      const name =
        (typeof outputs.bucket === "string" && outputs.bucket) ||
        (typeof inputs.bucket === "string" && inputs.bucket) ||
        resource.id ||
        resource.name;
      const { created } = store.createBucket(String(name));
      const entry = config(String(name));
      entry.resources.push(resource.name);
      // pulumi-aws's deprecated inline arguments.
      if (isRecord(inputs.versioning) && inputs.versioning.enabled === true) entry.versioning = "Enabled";
      if (isRecord(inputs.tags))
        entry.tags = Object.fromEntries(Object.entries(inputs.tags).map(([k, v]) => [k, String(v)]));
      applyVersioning(String(name));
      ctx.log.debug(created ? "s3 bucket created" : "s3 bucket kept", { bucket: name });
      if (started) sendTestEvents();
      return;
    }
    const name = bucketOf(resource);
    if (!name) return;
    const entry = config(name);
    entry.resources.push(resource.name);
    switch (type) {
      case "aws:s3/bucketNotification:BucketNotification":
        // Provisioning order is the program's, not AWS's: destinations may come later, so no check here.
        putNotificationConfiguration(name, notificationConfig(inputs), { validateDestinations: false });
        break;
      case "aws:s3/bucketVersioning:BucketVersioning": {
        const vc = isRecord(inputs.versioningConfiguration) ? inputs.versioningConfiguration : {};
        const status = vc.status;
        if (status === "Enabled" || status === "Suspended" || status === "Disabled")
          entry.versioning = status;
        applyVersioning(name);
        break;
      }
      case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        entry.lifecycle = lifecycleRules(inputs);
        entry.lifecycleRules = records(inputs.rules);
        break;
      case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        const rule = Array.isArray(inputs.rules) ? inputs.rules.find(isRecord) : undefined;
        const byDefault =
          rule && isRecord(rule.applyServerSideEncryptionByDefault)
            ? rule.applyServerSideEncryptionByDefault
            : {};
        entry.encryption = {
          algorithm: typeof byDefault.sseAlgorithm === "string" ? byDefault.sseAlgorithm : "AES256",
          ...(typeof byDefault.kmsMasterKeyId === "string" ? { kmsKeyId: byDefault.kmsMasterKeyId } : {}),
          ...(rule?.bucketKeyEnabled === true ? { bucketKeyEnabled: true } : {}),
        };
        break;
      }
      case "aws:s3/bucketPolicy:BucketPolicy":
        entry.policy = typeof inputs.policy === "string" ? safeJson(inputs.policy) : inputs.policy;
        break;
      case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        entry.publicAccessBlock = { ...inputs };
        delete entry.publicAccessBlock.bucket;
        break;
      case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
        entry.ownership =
          isRecord(inputs.rule) && typeof inputs.rule.objectOwnership === "string"
            ? inputs.rule.objectOwnership
            : undefined;
        break;
      default:
        ctx.log.debug("s3 resource recorded only", { type: resource.type, bucket: name });
    }
  };

  // ---- views ----

  const bucketsView = () =>
    store.list().map((bucket) => {
      const entry = configs.get(bucket.name);
      const notifications = entry?.notifications;
      return {
        name: bucket.name,
        arn: `arn:aws:s3:::${bucket.name}`,
        createdAt: iso(bucket.state.createdAt),
        objectCount: bucket.listCurrent().length,
        versioning: bucket.versioning,
        uploadsInProgress: bucket.uploads.size,
        notifications: notifications
          ? {
              topics: notifications.targets.filter((t) => t.kind === "topic"),
              queues: notifications.targets.filter((t) => t.kind === "queue"),
              lambdaFunctions: notifications.targets.filter((t) => t.kind === "lambda"),
              eventbridge: notifications.eventbridge,
            }
          : undefined,
        lifecycleRules: entry?.lifecycle?.map((rule) => rule.id) ?? [],
        encryption: entry?.encryption?.algorithm ?? "AES256",
        ...(entry?.publicAccessBlock ? { publicAccessBlock: entry.publicAccessBlock } : {}),
        ...(entry?.ownership ? { ownership: entry.ownership } : {}),
        hasPolicy: entry?.policy !== undefined,
        resources: entry?.resources ?? [],
      };
    });

  const objectsView = (query: URLSearchParams) => {
    const name = query.get("bucket");
    if (!name)
      throw new LocalServiceError("InvalidArgument", "Give the bucket: s3/objects?bucket=<name>&prefix=");
    const bucket = store.bucket(name);
    if (!bucket) throw new LocalServiceError("NoSuchBucket", `No bucket ${name}.`, 404);
    const prefix = query.get("prefix") ?? "";
    return bucket
      .listCurrent()
      .filter((object) => object.key.startsWith(prefix))
      .map((object) => ({
        key: object.key,
        size: object.size,
        etag: object.etag,
        lastModified: iso(object.lastModified),
        contentType: object.contentType,
        ...(object.versionId !== "null" ? { versionId: object.versionId } : {}),
        metadata: object.metadata,
        ...(Object.keys(object.tags).length > 0 ? { tags: object.tags } : {}),
      }));
  };

  return {
    signingNames: ["s3"],
    rawBody: true,
    provision,
    handle: (req, res) => handle(req, res),
    adminRoutes: {
      "s3/buckets": () => bucketsView(),
      "s3/objects": (query) => objectsView(query),
      "s3/events": () => dispatcher.history(),
    },
    start(): void {
      // Configurations clients put in earlier runs, then the events accepted but not handed on before a crash.
      for (const record of restored) {
        if (record.kind === "configuration" && store.bucket(record.bucket))
          putNotificationConfiguration(record.bucket, record.config, { validateDestinations: false });
      }
      const resumed = dispatcher.resumePending(restored);
      if (resumed > 0) ctx.log.info(`s3: ${resumed} event notifications from the last run delivered now`);
      restored.length = 0;
      started = true;
      sendTestEvents();
      if (!lifecycleTimer) {
        lifecycleTimer = setInterval(() => {
          try {
            sweepLifecycle();
          } catch (error) {
            ctx.log.warn("s3 lifecycle sweep failed", { error: String(error) });
          }
        }, options.lifecycleSweepMs ?? 60_000);
        lifecycleTimer.unref();
      }
    },
    async stop(): Promise<void> {
      if (lifecycleTimer) clearInterval(lifecycleTimer);
      lifecycleTimer = undefined;
      await dispatcher.flush();
      journal.close();
    },
    sweepLifecycle,
    flushNotifications: () => dispatcher.flush(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
