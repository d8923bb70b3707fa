import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, createWriteStream, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { pipeline } from "node:stream/promises";
import { type LocalContext, LocalServiceError } from "../../types";
import { type ObjectBody, receiveBody } from "./body";
import {
  invalidArgument,
  malformedXml,
  noSuchBucket,
  noSuchKey,
  preconditionFailed,
  S3Error,
} from "./errors";
import { s3UrlEncode } from "./identifiers";
import { compileLifecycleRules, sweepLifecycle } from "./lifecycle";
import {
  type BucketConfig,
  type BucketEncryption,
  type Change,
  compareKeys,
  type LifecycleRuleInput,
  type MultipartUpload,
  type S3Model,
  type StoredBucket,
  type StoredObject,
} from "./model";
import type { NotificationConfig, NotificationDispatcher, ObjectEvent } from "./notifications";
import { Sequencer } from "./notifications";

/**
 * The S3 API: one typed function per operation the local S3 serves, over the model. Inputs carry S3's member
 * names (Bucket, Key, VersionId...); the REST-XML codec (rest-xml.ts) reads them off the request and writes
 * the outputs back as headers and XML, provisioning (provisioning.ts) calls the bucket operations with the
 * program's inputs. Writes that S3 reports as events (ObjectCreated, ObjectRemoved, LifecycleExpiration) hand
 * them to the notification dispatcher (notifications.ts), which delivers them after the response.
 */

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Object attributes a write sets (PutObject, CreateMultipartUpload, CopyObject with REPLACE). */
export type ObjectAttributes = MultipartUpload["template"];

/** The object fields that come from (and go back to) plain HTTP headers. */
export const STORED_HEADERS: Array<[keyof StoredObject, string]> = [
  ["contentEncoding", "content-encoding"],
  ["contentDisposition", "content-disposition"],
  ["contentLanguage", "content-language"],
  ["cacheControl", "cache-control"],
  ["expires", "expires"],
];

/** Who made a request, for the events it causes. */
export interface Requester {
  ids: { requestId: string; hostId: string };
  principalId: string;
  sourceIp: string;
}

/**
 * Who calls: a client (undefined), the program's declaration (`program`: no "already exists" error, what S3
 * would refuse is logged), or the journal replaying a client's earlier call (`journal`).
 */
export type Origin = "program" | "journal" | undefined;

/** A page of a listing: entries and common prefixes in key order. */
export interface ListPage<T> {
  entries: T[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix listed (the next marker). */
  next?: string;
  /** The last entry listed. */
  lastKey?: T;
}

/** What every object read answers with besides the object. */
export interface ObjectRead {
  object: StoredObject;
  /** Whether the bucket ever had versioning configured (reads then name the version, `null` included). */
  versioned: boolean;
  encryption: BucketEncryption;
}

/** GetObject / HeadObject. */
export interface GetObjectInput {
  Bucket: string;
  Key: string;
  VersionId: string | null;
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: string;
  IfUnmodifiedSince?: string;
  Range?: string;
  ChecksumMode?: string;
}

export interface GetObjectOutput extends ObjectRead {
  /** 304 Not Modified: no body. */
  notModified: boolean;
  /** 206 for a range. */
  range?: { start: number; end: number };
  /** The stored checksum to return (full-object reads with `ChecksumMode: ENABLED`). */
  checksum?: { algorithm: string; value: string };
  /** The byte range to send (inclusive). */
  start: number;
  end: number;
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

/** Walks sorted entries as S3 lists: prefix, delimiter roll-up into common prefixes, a start point, max keys. */
function paginate<T extends { key: string }>(
  all: readonly T[],
  query: { prefix: string; delimiter: string; maxKeys: number; skip: (entry: T) => boolean },
): ListPage<T> {
  const page: ListPage<T> = { entries: [], prefixes: [], truncated: false };
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
}

const after = (marker: string | undefined, delimiter: string) => (entry: { key: string }) => {
  if (!marker) return false;
  if (compareKeys(entry.key, marker) <= 0) return true;
  return delimiter !== "" && marker.endsWith(delimiter) && entry.key.startsWith(marker);
};

export type S3Api = ReturnType<typeof createS3Api>;

/**
 * The S3 API over the model.
 * @param options.testEvents send `s3:TestEvent` on new notification configurations
 */
export function createS3Api(
  ctx: LocalContext,
  model: S3Model,
  dispatcher: NotificationDispatcher,
  options: { testEvents: boolean },
) {
  const sequencer = new Sequencer();
  let started = false;

  const requireBucket = (name: string | undefined): StoredBucket => {
    const bucket = name ? model.bucket(name) : undefined;
    if (!bucket) throw noSuchBucket(name ?? "");
    return bucket;
  };

  const objectBucket = (name: string, key: string): StoredBucket => {
    const bucket = requireBucket(name);
    if (key.length > 1024) throw new S3Error("KeyTooLongError", "Your key is too long", 400);
    return bucket;
  };

  const read = (bucket: StoredBucket, object: StoredObject): ObjectRead => ({
    object,
    versioned: bucket.versioning !== "Unversioned",
    encryption: model.encryptionOf(bucket.name),
  });

  // ---- events ----

  const emit = (
    bucket: StoredBucket,
    eventName: string,
    object: { key: string; size?: number; etag?: string; versionId?: string },
    call: Requester,
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
    dispatcher.emit(event, model.configs.get(bucket.name)?.notifications);
  };

  /** The event of a delete: a delete marker, or a version removed for good. */
  const emitDelete = (
    bucket: StoredBucket,
    key: string,
    change: Change,
    versionId: string | undefined,
    call: Requester,
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

  /** Sends `s3:TestEvent` for every notification configuration that is new or changed (once started). */
  const sendTestEvents = (): void => {
    if (!started) return;
    for (const [name, entry] of model.configs) {
      if (!entry.notificationsPending || !entry.notifications) continue;
      const bucket = model.bucket(name);
      if (!bucket) continue;
      entry.notificationsPending = false;
      const hash = createHash("sha256").update(JSON.stringify(entry.notifications)).digest("hex");
      if (bucket.state.notificationHash === hash) continue;
      bucket.state.notificationHash = hash;
      model.saveBucket(bucket);
      if (options.testEvents) dispatcher.emitTestEvent(name, entry.notifications);
    }
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

  /** The declared versioning applied once both the declaration and the bucket exist. */
  const applyVersioning = (name: string): void => {
    const status = model.configs.get(name)?.versioning;
    const bucket = model.bucket(name);
    if (!bucket || !status) return;
    if (status === "Enabled" || status === "Suspended") {
      if (bucket.versioning !== status) model.setVersioning(bucket, status);
    }
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

  const findUpload = (bucket: StoredBucket, key: string, uploadId: string | null): MultipartUpload => {
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

  /** The bucket's configuration entry, for the Get*Configuration reads (after checking the bucket). */
  const configOf = (name: string): BucketConfig | undefined => {
    requireBucket(name);
    return model.configs.get(name);
  };

  return {
    /** Marks the emulator started: from now on new notification configurations send their test event. */
    start(): void {
      started = true;
      sendTestEvents();
    },

    // ---- buckets ----

    ListBuckets(): { Buckets: Array<{ Name: string; CreationDate: number }> } {
      return {
        Buckets: model.list().map((b) => ({ Name: b.name, CreationDate: b.state.createdAt })),
      };
    },

    CreateBucket(input: { Bucket: string }, origin?: Origin): { Location: string } {
      const name = input.Bucket;
      if (!BUCKET_NAME.test(name) || name.includes("..") || isIP(name)) {
        const error = new S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, {
          BucketName: name,
        });
        if (origin === undefined) throw error;
        ctx.log.warn(`s3: bucket ${name}: ${error.message} (created anyway, as declared)`);
      }
      const { created } = model.createBucket(name);
      if (!created && origin === undefined && ctx.region !== "us-east-1") {
        throw new S3Error(
          "BucketAlreadyOwnedByYou",
          "Your previous request to create the named bucket succeeded and you already own it.",
          409,
          { BucketName: name },
        );
      }
      if (origin === "program") {
        ctx.log.debug(created ? "s3 bucket created" : "s3 bucket kept", { bucket: name });
        applyVersioning(name);
        sendTestEvents();
      }
      return { Location: `/${name}` };
    },

    HeadBucket(input: { Bucket: string }): { BucketRegion: string } {
      requireBucket(input.Bucket);
      return { BucketRegion: ctx.region };
    },

    DeleteBucket(input: { Bucket: string }): void {
      const bucket = requireBucket(input.Bucket);
      if (bucket.versionCount() > 0) {
        throw new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, {
          BucketName: bucket.name,
        });
      }
      model.deleteBucket(bucket.name);
    },

    GetBucketLocation(input: { Bucket: string }): { LocationConstraint: string } {
      requireBucket(input.Bucket);
      return { LocationConstraint: ctx.region === "us-east-1" ? "" : ctx.region };
    },

    GetBucketVersioning(input: { Bucket: string }): { Status?: "Enabled" | "Suspended" } {
      const bucket = requireBucket(input.Bucket);
      return bucket.versioning === "Unversioned" ? {} : { Status: bucket.versioning };
    },

    /** A client's call needs the bucket and Enabled/Suspended; the program's is recorded until its bucket exists. */
    PutBucketVersioning(input: { Bucket: string; Status?: string }, origin?: Origin): void {
      const status = input.Status;
      if (origin === "program") {
        if (status === "Enabled" || status === "Suspended" || status === "Disabled")
          model.config(input.Bucket).versioning = status;
        applyVersioning(input.Bucket);
        return;
      }
      const bucket = requireBucket(input.Bucket);
      if (status !== "Enabled" && status !== "Suspended") throw malformedXml();
      model.setVersioning(bucket, status);
    },

    GetBucketNotificationConfiguration(input: { Bucket: string }): NotificationConfig | undefined {
      return configOf(input.Bucket)?.notifications;
    },

    /**
     * PutBucketNotificationConfiguration, for clients and provisioning alike: S3 checks that each destination
     * exists (unless told to skip it), then the configuration replaces the bucket's and, when new or changed,
     * `s3:TestEvent` goes to its SNS and SQS destinations. Provisioning order is the program's, not AWS's:
     * destinations may come later, so the program's configuration (and a replayed one) is not checked.
     */
    PutBucketNotificationConfiguration(
      input: {
        Bucket: string;
        NotificationConfiguration: NotificationConfig;
        SkipDestinationValidation?: boolean;
      },
      origin?: Origin,
    ): void {
      if (origin === undefined) requireBucket(input.Bucket);
      const notifications = input.NotificationConfiguration;
      if (origin === undefined && !input.SkipDestinationValidation) {
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
      const entry = model.config(input.Bucket);
      entry.notifications = notifications;
      entry.notificationsPending = true;
      sendTestEvents();
    },

    GetBucketLifecycleConfiguration(input: { Bucket: string }): { Rules?: LifecycleRuleInput[] } {
      const rules = configOf(input.Bucket)?.lifecycleRules;
      return rules ? { Rules: rules } : {};
    },

    /** The rules in Pulumi's declaration shape (the local S3 takes lifecycle rules from the program only). */
    PutBucketLifecycleConfiguration(input: { Bucket: string; Rules: LifecycleRuleInput[] }): void {
      const entry = model.config(input.Bucket);
      entry.lifecycle = compileLifecycleRules({ rules: input.Rules });
      entry.lifecycleRules = input.Rules;
    },

    GetBucketEncryption(input: { Bucket: string }): BucketEncryption | undefined {
      return configOf(input.Bucket)?.encryption;
    },

    PutBucketEncryption(input: { Bucket: string; Encryption: BucketEncryption }): void {
      model.config(input.Bucket).encryption = input.Encryption;
    },

    GetBucketPolicy(input: { Bucket: string }): { Policy?: unknown } {
      const policy = configOf(input.Bucket)?.policy;
      return policy === undefined ? {} : { Policy: policy };
    },

    PutBucketPolicy(input: { Bucket: string; Policy: unknown }): void {
      model.config(input.Bucket).policy = input.Policy;
    },

    GetPublicAccessBlock(input: { Bucket: string }): Record<string, unknown> | undefined {
      return configOf(input.Bucket)?.publicAccessBlock;
    },

    PutPublicAccessBlock(input: {
      Bucket: string;
      PublicAccessBlockConfiguration: Record<string, unknown>;
    }): void {
      model.config(input.Bucket).publicAccessBlock = input.PublicAccessBlockConfiguration;
    },

    GetBucketOwnershipControls(input: { Bucket: string }): { ObjectOwnership?: string } {
      const ownership = configOf(input.Bucket)?.ownership;
      return ownership === undefined ? {} : { ObjectOwnership: ownership };
    },

    PutBucketOwnershipControls(input: { Bucket: string; ObjectOwnership?: string }): void {
      model.config(input.Bucket).ownership = input.ObjectOwnership;
    },

    GetBucketTagging(input: { Bucket: string }): { Tags?: Record<string, string> } {
      const tags = configOf(input.Bucket)?.tags;
      return tags === undefined ? {} : { Tags: tags };
    },

    PutBucketTagging(input: { Bucket: string; Tags: Record<string, string> }): void {
      model.config(input.Bucket).tags = input.Tags;
    },

    /** Records that a program resource configures the bucket (for the views). */
    declare(bucket: string, resourceName: string): void {
      model.config(bucket).resources.push(resourceName);
    },

    // ---- listings ----

    ListObjects(input: {
      Bucket: string;
      Prefix: string;
      Delimiter: string;
      MaxKeys: number;
      Marker?: string;
    }): ListPage<StoredObject> & { bucket: string } {
      const bucket = requireBucket(input.Bucket);
      const page = paginate(bucket.listCurrent(), {
        prefix: input.Prefix,
        delimiter: input.Delimiter,
        maxKeys: input.MaxKeys,
        skip: after(input.Marker, input.Delimiter),
      });
      return { ...page, bucket: bucket.name };
    },

    ListObjectsV2(input: {
      Bucket: string;
      Prefix: string;
      Delimiter: string;
      MaxKeys: number;
      ContinuationToken?: string;
      StartAfter?: string;
    }): ListPage<StoredObject> & { bucket: string; NextContinuationToken?: string } {
      const bucket = requireBucket(input.Bucket);
      let marker = input.StartAfter;
      if (input.ContinuationToken !== undefined) {
        marker = Buffer.from(input.ContinuationToken, "base64url").toString("utf8");
        if (input.ContinuationToken === "" || !marker)
          throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", 400, {
            ArgumentName: "continuation-token",
          });
      }
      const page = paginate(bucket.listCurrent(), {
        prefix: input.Prefix,
        delimiter: input.Delimiter,
        maxKeys: input.MaxKeys,
        skip: after(marker, input.Delimiter),
      });
      return {
        ...page,
        bucket: bucket.name,
        ...(page.truncated && page.next
          ? { NextContinuationToken: Buffer.from(page.next).toString("base64url") }
          : {}),
      };
    },

    ListObjectVersions(input: {
      Bucket: string;
      Prefix: string;
      Delimiter: string;
      MaxKeys: number;
      KeyMarker: string;
      VersionIdMarker: string;
    }): ListPage<StoredObject & { latest: boolean }> & { bucket: string } {
      const bucket = requireBucket(input.Bucket);
      const { KeyMarker: keyMarker, VersionIdMarker: versionMarker, Delimiter: delimiter } = input;
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
      const page = paginate(bucket.listVersions(), {
        prefix: input.Prefix,
        delimiter,
        maxKeys: input.MaxKeys,
        skip,
      });
      const latest = (version: StoredObject) => ({
        ...version,
        latest: bucket.current(version.key) === version,
      });
      return {
        ...page,
        entries: page.entries.map(latest),
        lastKey: page.lastKey ? latest(page.lastKey) : undefined,
        bucket: bucket.name,
      };
    },

    // ---- objects ----

    async PutObject(
      input: { Bucket: string; Key: string; IfMatch?: string; IfNoneMatch?: string; Body: ObjectBody },
      attributes: ObjectAttributes,
      call: Requester,
    ): Promise<{
      object: StoredObject;
      encryption: BucketEncryption;
      checksum?: { algorithm: string; value: string };
    }> {
      const { Key: key, IfMatch: ifMatch, IfNoneMatch: ifNoneMatch } = input;
      const bucket = objectBucket(input.Bucket, key);
      const checkPreconditions = () => {
        const current = bucket.current(key);
        const live = current && !current.deleteMarker ? current : undefined;
        if (ifNoneMatch === "*" && live) throw preconditionFailed("If-None-Match");
        if (ifMatch !== undefined) {
          if (!live) throw noSuchKey(key);
          if (!etagMatches(ifMatch, live.etag)) throw preconditionFailed("If-Match");
        }
      };
      checkPreconditions();
      const body = await receiveBody(model, bucket, input.Body);
      try {
        checkPreconditions();
      } catch (error) {
        model.discardBlob(bucket, body.blob);
        throw error;
      }
      const { written } = model.put(bucket, {
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
      emit(
        bucket,
        "ObjectCreated:Put",
        { key, size: written.size, etag: written.etag, versionId: written.versionId },
        call,
        "PutObject",
      );
      return {
        object: written,
        encryption: model.encryptionOf(bucket.name),
        ...(body.checksum ? { checksum: body.checksum } : {}),
      };
    },

    /** GetObject and HeadObject: the version addressed, its conditions and range; the codec sends the bytes. */
    GetObject(input: GetObjectInput): GetObjectOutput {
      const bucket = objectBucket(input.Bucket, input.Key);
      const object = resolveObject(bucket, input.Key, input.VersionId);
      const modifiedS = Math.floor(object.lastModified / 1000);
      const since = (value: string | undefined) => {
        const parsed = value ? Date.parse(value) : Number.NaN;
        return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
      };
      const unmodifiedSince = since(input.IfUnmodifiedSince);
      const modifiedSince = since(input.IfModifiedSince);
      if (
        input.IfMatch !== undefined
          ? !etagMatches(input.IfMatch, object.etag)
          : unmodifiedSince !== undefined && modifiedS > unmodifiedSince
      ) {
        throw preconditionFailed(input.IfMatch !== undefined ? "If-Match" : "If-Unmodified-Since");
      }
      const base = { ...read(bucket, object), notModified: false, start: 0, end: object.size - 1 };
      if (
        input.IfNoneMatch !== undefined
          ? etagMatches(input.IfNoneMatch, object.etag)
          : modifiedSince !== undefined && modifiedS <= modifiedSince
      ) {
        return { ...base, notModified: true };
      }
      const range = input.Range;
      const match = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
      if (match && (match[1] !== "" || match[2] !== "")) {
        let start: number;
        let end = object.size - 1;
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
        return { ...base, range: { start, end }, start, end };
      }
      if (object.checksum && input.ChecksumMode?.toUpperCase() === "ENABLED") {
        return { ...base, checksum: object.checksum };
      }
      return base;
    },

    /** The path of a version's bytes on disk (for the codec to stream). */
    blobPath(bucketName: string, object: StoredObject): string | undefined {
      const bucket = model.bucket(bucketName);
      return bucket && object.blob ? bucket.blobPath(object.blob) : undefined;
    },

    DeleteObject(
      input: { Bucket: string; Key: string; VersionId?: string },
      call: Requester,
    ): { DeleteMarker?: boolean; VersionId?: string } {
      const bucket = objectBucket(input.Bucket, input.Key);
      const change = model.delete(bucket, input.Key, input.VersionId);
      let output: { DeleteMarker?: boolean; VersionId?: string } = {};
      if (change.written?.deleteMarker) {
        output = { DeleteMarker: true, VersionId: change.written.versionId };
      } else if (input.VersionId !== undefined) {
        output = {
          VersionId: input.VersionId,
          ...(change.removed.some((version) => version.deleteMarker) ? { DeleteMarker: true } : {}),
        };
      }
      emitDelete(bucket, input.Key, change, input.VersionId, call, "ObjectRemoved");
      return output;
    },

    DeleteObjects(
      input: { Bucket: string; Objects: Array<{ Key?: string; VersionId?: string }>; Quiet: boolean },
      call: Requester,
    ): {
      Deleted: Array<{
        Key: string;
        VersionId?: string;
        DeleteMarker?: boolean;
        DeleteMarkerVersionId?: string;
      }>;
      Errors: Array<{ Key: string; Code: string; Message: string }>;
      /** Every result in request order (S3 answers in that order). */
      results: Array<{ deleted: DeletedObject } | { error: { Key: string; Code: string; Message: string } }>;
    } {
      const bucket = requireBucket(input.Bucket);
      if (input.Objects.length === 0 || input.Objects.length > MAX_DELETE_KEYS) throw malformedXml();
      const results: Array<
        { deleted: DeletedObject } | { error: { Key: string; Code: string; Message: string } }
      > = [];
      const done: Array<() => void> = [];
      for (const object of input.Objects) {
        const { Key: key, VersionId: versionId } = object;
        if (key === undefined || key === "") {
          results.push({
            error: { Key: "", Code: "UserKeyMustBeSpecified", Message: "The key must be specified." },
          });
          continue;
        }
        const change = model.delete(bucket, key, versionId);
        done.push(() => emitDelete(bucket, key, change, versionId, call, "ObjectRemoved"));
        if (input.Quiet) continue;
        const marker = change.written?.deleteMarker
          ? { DeleteMarker: true, DeleteMarkerVersionId: change.written.versionId }
          : change.removed.some((version) => version.deleteMarker) && versionId !== undefined
            ? { DeleteMarker: true, DeleteMarkerVersionId: versionId }
            : {};
        results.push({
          deleted: { Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}), ...marker },
        });
      }
      for (const event of done) event();
      return {
        Deleted: results.flatMap((result) => ("deleted" in result ? [result.deleted] : [])),
        Errors: results.flatMap((result) => ("error" in result ? [result.error] : [])),
        results,
      };
    },

    async CopyObject(
      input: {
        Bucket: string;
        Key: string;
        CopySource: string;
        CopySourceIfMatch?: string;
        CopySourceIfNoneMatch?: string;
        MetadataDirective?: string;
        TaggingDirective?: string;
        StorageClass?: string;
      },
      fresh: ObjectAttributes,
      call: Requester,
    ): Promise<{ object: StoredObject; encryption: BucketEncryption; CopySourceVersionId?: string }> {
      const { Key: key } = input;
      const bucket = objectBucket(input.Bucket, key);
      const source = input.CopySource;
      const [rawPath = "", rawQuery = ""] = source.split("?");
      const path = decodeURIComponent(rawPath).replace(/^\//, "");
      const slash = path.indexOf("/");
      if (slash <= 0 || slash === path.length - 1) {
        throw invalidArgument(
          "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
          "x-amz-copy-source",
          source,
        );
      }
      const sourceBucket = requireBucket(path.slice(0, slash));
      const sourceKey = path.slice(slash + 1);
      const sourceVersion = new URLSearchParams(rawQuery).get("versionId");
      const original = resolveObject(sourceBucket, sourceKey, sourceVersion);
      const ifMatch = input.CopySourceIfMatch;
      const ifNoneMatch = input.CopySourceIfNoneMatch;
      if (
        (ifMatch !== undefined && !etagMatches(ifMatch, original.etag)) ||
        (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, original.etag))
      ) {
        throw preconditionFailed();
      }
      const replaceMetadata = input.MetadataDirective?.toUpperCase() === "REPLACE";
      const replaceTags = input.TaggingDirective?.toUpperCase() === "REPLACE";
      if (
        sourceBucket === bucket &&
        sourceKey === key &&
        !replaceMetadata &&
        !input.StorageClass &&
        sourceVersion === null
      ) {
        throw new S3Error(
          "InvalidRequest",
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const attributes: ObjectAttributes = replaceMetadata
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
      const { blob, path: target } = model.newBlob(bucket);
      if (original.blob) copyFileSync(sourceBucket.blobPath(original.blob), target);
      else writeFileSync(target, "");
      // A copy is one upload: a multipart source's `<md5>-<n>` ETag becomes the MD5 of the bytes.
      let etag = original.etag;
      if (etag.includes("-")) {
        const hash = createHash("md5");
        for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
        etag = `"${hash.digest("hex")}"`;
      }
      const { written } = model.put(bucket, {
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
      emit(
        bucket,
        "ObjectCreated:Copy",
        { key, size: written.size, etag: written.etag, versionId: written.versionId },
        call,
        "CopyObject",
      );
      return {
        object: written,
        encryption: model.encryptionOf(bucket.name),
        ...(sourceBucket.versioning !== "Unversioned" ? { CopySourceVersionId: original.versionId } : {}),
      };
    },

    CreateMultipartUpload(
      input: { Bucket: string; Key: string },
      attributes: ObjectAttributes,
    ): { UploadId: string; encryption: BucketEncryption } {
      const bucket = objectBucket(input.Bucket, input.Key);
      const uploadId = createHash("sha256")
        .update(`${bucket.name}/${input.Key}/${Date.now()}/${Math.random()}`)
        .digest("base64url");
      bucket.uploads.set(uploadId, {
        uploadId,
        key: input.Key,
        initiated: Date.now(),
        parts: new Map(),
        template: attributes,
      });
      return { UploadId: uploadId, encryption: model.encryptionOf(bucket.name) };
    },

    async UploadPart(input: {
      Bucket: string;
      Key: string;
      UploadId: string | null;
      PartNumber: string | null;
      Body: ObjectBody;
    }): Promise<{
      ETag: string;
      encryption: BucketEncryption;
      checksum?: { algorithm: string; value: string };
    }> {
      const bucket = objectBucket(input.Bucket, input.Key);
      const target = findUpload(bucket, input.Key, input.UploadId);
      const partNumber = Number(input.PartNumber);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
        throw invalidArgument(
          "Part number must be an integer between 1 and 10000, inclusive",
          "partNumber",
          String(input.PartNumber),
        );
      }
      const body = await receiveBody(model, bucket, input.Body);
      const previous = target.parts.get(partNumber);
      if (previous) model.discardBlob(bucket, previous.blob);
      const etag = `"${body.md5.toString("hex")}"`;
      target.parts.set(partNumber, {
        partNumber,
        blob: body.blob,
        size: body.size,
        etag,
        lastModified: Date.now(),
      });
      return {
        ETag: etag,
        encryption: model.encryptionOf(bucket.name),
        ...(body.checksum ? { checksum: body.checksum } : {}),
      };
    },

    async CompleteMultipartUpload(
      input: {
        Bucket: string;
        Key: string;
        UploadId: string | null;
        Parts: Array<{ PartNumber: number; ETag: string }>;
      },
      call: Requester,
    ): Promise<{ object: StoredObject; Location: string; encryption: BucketEncryption }> {
      const { Key: key } = input;
      const bucket = objectBucket(input.Bucket, key);
      const target = findUpload(bucket, key, input.UploadId);
      const listed = input.Parts;
      if (listed.length === 0) throw malformedXml();
      const parts = listed.map((entry, index) => {
        const previous = listed[index - 1];
        if (previous && entry.PartNumber <= previous.PartNumber) {
          throw new S3Error(
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
          );
        }
        const part = target.parts.get(entry.PartNumber);
        if (!part || unquote(part.etag) !== unquote(entry.ETag)) {
          throw new S3Error(
            "InvalidPart",
            "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            400,
            { UploadId: target.uploadId, PartNumber: String(entry.PartNumber), ETag: entry.ETag },
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
      const { blob, path } = model.newBlob(bucket);
      const out = createWriteStream(path);
      try {
        for (const part of parts)
          await pipeline(createReadStream(bucket.blobPath(part.blob)), out, { end: false });
        await new Promise<void>((resolve, reject) =>
          out.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      } catch (error) {
        model.discardBlob(bucket, blob);
        throw error;
      }
      const md5s = Buffer.concat(parts.map((part) => Buffer.from(unquote(part.etag), "hex")));
      const etag = `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`;
      bucket.uploads.delete(target.uploadId);
      for (const part of target.parts.values()) model.discardBlob(bucket, part.blob);
      const { written } = model.put(bucket, {
        ...target.template,
        key,
        deleteMarker: false,
        blob,
        size: parts.reduce((sum, part) => sum + part.size, 0),
        etag,
        lastModified: Date.now(),
      });
      if (!written) throw new Error("CompleteMultipartUpload wrote nothing");
      emit(
        bucket,
        "ObjectCreated:CompleteMultipartUpload",
        { key, size: written.size, etag, versionId: written.versionId },
        call,
        "CompleteMultipartUpload",
      );
      return {
        object: written,
        Location: `${ctx.endpoint}/${bucket.name}/${s3UrlEncode(key)}`,
        encryption: model.encryptionOf(bucket.name),
      };
    },

    AbortMultipartUpload(input: { Bucket: string; Key: string; UploadId: string | null }): void {
      const bucket = objectBucket(input.Bucket, input.Key);
      const target = findUpload(bucket, input.Key, input.UploadId);
      bucket.uploads.delete(target.uploadId);
      for (const part of target.parts.values()) model.discardBlob(bucket, part.blob);
    },

    GetObjectTagging(input: { Bucket: string; Key: string; VersionId: string | null }): ObjectRead {
      const bucket = objectBucket(input.Bucket, input.Key);
      return read(bucket, resolveObject(bucket, input.Key, input.VersionId));
    },

    PutObjectTagging(input: {
      Bucket: string;
      Key: string;
      VersionId: string | null;
      Tags: Record<string, string>;
    }): ObjectRead {
      const bucket = objectBucket(input.Bucket, input.Key);
      const object = resolveObject(bucket, input.Key, input.VersionId);
      if (Object.keys(input.Tags).length > 10)
        throw new S3Error("BadRequest", "Object tags cannot be greater than 10");
      model.setTags(bucket, object, input.Tags);
      return read(bucket, object);
    },

    DeleteObjectTagging(input: { Bucket: string; Key: string; VersionId: string | null }): ObjectRead {
      const bucket = objectBucket(input.Bucket, input.Key);
      const object = resolveObject(bucket, input.Key, input.VersionId);
      model.setTags(bucket, object, {});
      return read(bucket, object);
    },

    // ---- lifecycle ----

    /** Applies lifecycle rules as if it were `at`, with S3's LifecycleExpiration events. */
    sweepLifecycle(at: Date, ids: { requestId: string; hostId: string }): number {
      const call = { ids, principalId: "s3.amazonaws.com", sourceIp: "s3.amazonaws.com" };
      return sweepLifecycle(model, at, (bucket, key, change, versionId) =>
        emitDelete(bucket, key, change, versionId, call, "LifecycleExpiration"),
      );
    },
  };
}

/** One entry of DeleteObjects' answer. */
export interface DeletedObject {
  Key: string;
  VersionId?: string;
  DeleteMarker?: boolean;
  DeleteMarkerVersionId?: string;
}
