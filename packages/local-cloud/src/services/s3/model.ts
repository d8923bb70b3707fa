import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalLogger } from "../../types";
import type { LifecycleRule } from "./lifecycle";
import type { NotificationConfig } from "./notifications";

/**
 * The S3 model: buckets, their objects' versions and multipart uploads, and each bucket's configuration
 * (notifications, lifecycle, encryption, policy...). No wire format and no Pulumi here: the API (api.ts)
 * works on it, the REST-XML codec (rest-xml.ts) and provisioning (provisioning.ts) call the API.
 *
 * Where the S3 emulator keeps buckets and objects: object bytes in files (`<root>/<bucket>/blobs/<id>`),
 * each key's versions in a small JSON file (`<root>/<bucket>/keys/<sha1 of key>.json`) and the bucket's
 * own state in `<root>/<bucket>/bucket.json`, mirrored in memory. The root is `<persistDir>/s3` with
 * `--persist` (everything survives restarts), else the engine's temporary work folder (removed on close).
 * Multipart uploads in progress live in memory only (their parts are files until completed or aborted).
 */

/** Bucket versioning state. A bucket that never had versioning configured is `Unversioned`. */
export type Versioning = "Unversioned" | "Enabled" | "Suspended";

/** One version of a key: an object or a delete marker. Unversioned and suspended writes have version `null`. */
export interface StoredObject {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  /** File name of the bytes under the bucket's blobs folder. */
  blob?: string;
  size: number;
  /** Quoted, as S3 sends it: `"<md5 hex>"` or `"<md5 of part md5s>-<parts>"`. */
  etag: string;
  /** Epoch milliseconds. */
  lastModified: number;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  /** User metadata (`x-amz-meta-*`), names lower case without the prefix. */
  metadata: Record<string, string>;
  tags: Record<string, string>;
  /** A full-object checksum the uploader sent and the emulator verified. */
  checksum?: { algorithm: string; value: string };
  storageClass?: string;
}

/** One part of a multipart upload. */
export interface UploadPart {
  partNumber: number;
  blob: string;
  size: number;
  /** Quoted MD5. */
  etag: string;
  lastModified: number;
}

/** A multipart upload in progress. */
export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: number;
  parts: Map<number, UploadPart>;
  /** The object attributes given to CreateMultipartUpload. */
  template: Omit<
    StoredObject,
    "versionId" | "deleteMarker" | "blob" | "size" | "etag" | "lastModified" | "key"
  >;
}

interface BucketFile {
  name: string;
  createdAt: number;
  versioning: Versioning;
  /** Hash of the last notification configuration S3 sent test events for. */
  notificationHash?: string;
}

/** A bucket's objects and state. */
export class StoredBucket {
  /** Versions per key, oldest first; the last one is current. */
  readonly keys = new Map<string, StoredObject[]>();
  readonly uploads = new Map<string, MultipartUpload>();

  constructor(
    readonly dir: string,
    readonly state: BucketFile,
  ) {}

  get name(): string {
    return this.state.name;
  }

  get versioning(): Versioning {
    return this.state.versioning;
  }

  blobPath(blob: string): string {
    return join(this.dir, "blobs", blob);
  }

  /** The current version of a key (maybe a delete marker). */
  current(key: string): StoredObject | undefined {
    const versions = this.keys.get(key);
    return versions?.[versions.length - 1];
  }

  /** One version of a key. */
  version(key: string, versionId: string): StoredObject | undefined {
    return this.keys.get(key)?.find((version) => version.versionId === versionId);
  }

  /** Current objects (no delete markers), by key in S3 (UTF-8 byte) order. */
  listCurrent(): StoredObject[] {
    const objects: StoredObject[] = [];
    for (const versions of this.keys.values()) {
      const latest = versions[versions.length - 1];
      if (latest && !latest.deleteMarker) objects.push(latest);
    }
    return objects.sort((a, b) => compareKeys(a.key, b.key));
  }

  /** Every version of every key, keys in S3 order, newest version first. */
  listVersions(): StoredObject[] {
    const keys = [...this.keys.keys()].sort(compareKeys);
    return keys.flatMap((key) => [...(this.keys.get(key) ?? [])].reverse());
  }

  /** How many versions and markers the bucket holds. */
  versionCount(): number {
    let count = 0;
    for (const versions of this.keys.values()) count += versions.length;
    return count;
  }
}

/** S3 orders keys by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** A new S3-style version id (32 URL-safe characters). */
export function newVersionId(): string {
  return randomBytes(24).toString("base64url");
}

function writeJson(path: string, value: unknown): void {
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The outcome of a write or delete: what became current and what was dropped. */
export interface Change {
  /** The version written (object or delete marker); undefined when nothing was written. */
  written?: StoredObject;
  /** Versions removed for good. */
  removed: StoredObject[];
}

/** Pulumi's lifecycle rule input (`aws:s3/bucketLifecycleConfigurationV2`), as declared. */
export type LifecycleRuleInput = Record<string, unknown>;

/** Server-side encryption by default, as a bucket declares it. */
export interface BucketEncryption {
  algorithm: string;
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

/**
 * What the program (or a client) declared about a bucket, by bucket name (resources may come in any order),
 * with its lifecycle rules compiled. Kept in memory: the program declares it again on every start, and
 * notification configurations clients put are journaled (index.ts).
 */
export interface BucketConfig {
  resources: string[];
  notifications?: NotificationConfig;
  /** Set when the notification configuration changed and its `s3:TestEvent` is still to be sent. */
  notificationsPending?: boolean;
  /** The lifecycle rules as declared (every rule, disabled ones and transitions included). */
  lifecycleRules?: LifecycleRuleInput[];
  /** The enabled lifecycle rules, compiled. */
  lifecycle?: LifecycleRule[];
  encryption?: BucketEncryption;
  versioning?: "Enabled" | "Suspended" | "Disabled";
  policy?: unknown;
  publicAccessBlock?: Record<string, unknown>;
  ownership?: string;
  tags?: Record<string, string>;
}

/** Buckets and objects on disk, mirrored in memory, and the buckets' declared configuration. */
export class S3Model {
  private readonly buckets = new Map<string, StoredBucket>();
  /** Bucket configuration by bucket name (a declaration may come before its bucket). */
  readonly configs = new Map<string, BucketConfig>();

  constructor(
    readonly root: string,
    private readonly log: LocalLogger,
  ) {
    mkdirSync(root, { recursive: true });
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (entry.isDirectory()) this.load(entry.name);
    }
  }

  private load(name: string): void {
    const dir = join(this.root, name);
    try {
      const state = JSON.parse(readFileSync(join(dir, "bucket.json"), "utf8")) as BucketFile;
      const bucket = new StoredBucket(dir, state);
      mkdirSync(join(dir, "keys"), { recursive: true });
      mkdirSync(join(dir, "blobs"), { recursive: true });
      for (const file of readdirSync(join(dir, "keys"))) {
        if (!file.endsWith(".json")) continue;
        const entry = JSON.parse(readFileSync(join(dir, "keys", file), "utf8")) as {
          key: string;
          versions: StoredObject[];
        };
        if (entry.versions.length > 0) bucket.keys.set(entry.key, entry.versions);
      }
      this.buckets.set(name, bucket);
    } catch (error) {
      this.log.warn("s3: cannot load a persisted bucket, skipped", { bucket: name, error: String(error) });
    }
  }

  /** The configuration of a bucket, created empty on first use. */
  config(name: string): BucketConfig {
    let entry = this.configs.get(name);
    if (!entry) {
      entry = { resources: [] };
      this.configs.set(name, entry);
    }
    return entry;
  }

  /** The bucket's default encryption (S3 encrypts with SSE-S3, AES256, when none is declared). */
  encryptionOf(name: string): BucketEncryption {
    return this.configs.get(name)?.encryption ?? { algorithm: "AES256" };
  }

  bucket(name: string): StoredBucket | undefined {
    return this.buckets.get(name);
  }

  list(): StoredBucket[] {
    return [...this.buckets.values()].sort((a, b) => compareKeys(a.name, b.name));
  }

  /** Creates a bucket (or returns the existing one). */
  createBucket(name: string): { bucket: StoredBucket; created: boolean } {
    const existing = this.buckets.get(name);
    if (existing) return { bucket: existing, created: false };
    const dir = join(this.root, name);
    mkdirSync(join(dir, "keys"), { recursive: true });
    mkdirSync(join(dir, "blobs"), { recursive: true });
    const bucket = new StoredBucket(dir, { name, createdAt: Date.now(), versioning: "Unversioned" });
    this.saveBucket(bucket);
    this.buckets.set(name, bucket);
    return { bucket, created: true };
  }

  deleteBucket(name: string): void {
    const bucket = this.buckets.get(name);
    if (!bucket) return;
    this.buckets.delete(name);
    rmSync(bucket.dir, { recursive: true, force: true });
  }

  saveBucket(bucket: StoredBucket): void {
    writeJson(join(bucket.dir, "bucket.json"), bucket.state);
  }

  setVersioning(bucket: StoredBucket, status: "Enabled" | "Suspended"): void {
    bucket.state.versioning = status;
    this.saveBucket(bucket);
  }

  /** A fresh blob file name and path in the bucket. */
  newBlob(bucket: StoredBucket): { blob: string; path: string } {
    const blob = randomUUID();
    return { blob, path: bucket.blobPath(blob) };
  }

  discardBlob(bucket: StoredBucket, blob: string): void {
    unlinkQuietly(bucket.blobPath(blob));
  }

  private saveKey(bucket: StoredBucket, key: string): void {
    const file = join(bucket.dir, "keys", `${createHash("sha1").update(key).digest("hex")}.json`);
    const versions = bucket.keys.get(key);
    if (!versions || versions.length === 0) {
      bucket.keys.delete(key);
      unlinkQuietly(file);
      return;
    }
    writeJson(file, { key, versions });
  }

  private drop(bucket: StoredBucket, versions: StoredObject[]): void {
    for (const version of versions) if (version.blob) this.discardBlob(bucket, version.blob);
  }

  /**
   * Writes a new current version as S3 does for the bucket's versioning state: unversioned replaces the
   * object, enabled adds a version with a new id, suspended replaces the `null` version.
   */
  put(bucket: StoredBucket, object: Omit<StoredObject, "versionId">): Change {
    const versions = bucket.keys.get(object.key) ?? [];
    let removed: StoredObject[] = [];
    let versionId = "null";
    if (bucket.versioning === "Enabled") {
      versionId = newVersionId();
    } else if (bucket.versioning === "Suspended") {
      removed = versions.filter((version) => version.versionId === "null");
    } else {
      removed = versions;
    }
    const written: StoredObject = { ...object, versionId };
    bucket.keys.set(object.key, [...versions.filter((version) => !removed.includes(version)), written]);
    this.saveKey(bucket, object.key);
    this.drop(bucket, removed);
    return { written, removed };
  }

  /**
   * Deletes as DeleteObject does: a given version is removed for good; otherwise an unversioned bucket
   * removes the object, an enabled bucket adds a delete marker, a suspended one replaces the `null`
   * version with a `null` delete marker.
   */
  delete(bucket: StoredBucket, key: string, versionId?: string): Change {
    const versions = bucket.keys.get(key) ?? [];
    if (versionId !== undefined) {
      const removed = versions.filter((version) => version.versionId === versionId);
      if (removed.length === 0) return { removed };
      bucket.keys.set(
        key,
        versions.filter((version) => version.versionId !== versionId),
      );
      this.saveKey(bucket, key);
      this.drop(bucket, removed);
      return { removed };
    }
    if (bucket.versioning === "Unversioned") {
      bucket.keys.delete(key);
      this.saveKey(bucket, key);
      this.drop(bucket, versions);
      return { removed: versions };
    }
    const removed =
      bucket.versioning === "Suspended" ? versions.filter((version) => version.versionId === "null") : [];
    const marker: StoredObject = {
      key,
      versionId: bucket.versioning === "Enabled" ? newVersionId() : "null",
      deleteMarker: true,
      size: 0,
      etag: "",
      lastModified: Date.now(),
      metadata: {},
      tags: {},
    };
    bucket.keys.set(key, [...versions.filter((version) => !removed.includes(version)), marker]);
    this.saveKey(bucket, key);
    this.drop(bucket, removed);
    return { written: marker, removed };
  }

  /** Replaces the tags of one version. */
  setTags(bucket: StoredBucket, object: StoredObject, tags: Record<string, string>): void {
    object.tags = tags;
    this.saveKey(bucket, object.key);
  }
}
