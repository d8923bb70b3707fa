import { join } from "node:path";
import { RecordLog } from "../../persist/journal";
import { type LocalContext, type LocalResource, LocalServiceError, type ServiceEmulator } from "../../types";
import { createS3Api, type S3Api } from "./api";
import { s3RequestIds } from "./identifiers";
import { S3Model } from "./model";
import { NotificationDispatcher, type NotificationJournalRecord } from "./notifications";
import { provisionS3 } from "./provisioning";
import { createS3Codec } from "./rest-xml";

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
 * Layout: model.ts (buckets, versions, blobs and bucket configuration), api.ts (one function per operation),
 * rest-xml.ts (the REST-XML codec), configuration-xml.ts (configuration documents), body.ts (object bytes in,
 * verified), lifecycle.ts (lifecycle rules), notifications.ts (event notifications and their delivery to
 * SNS, SQS, Lambda and EventBridge), provisioning.ts (the program's resources through the API), errors.ts,
 * operation-names.ts (every S3 operation's name, for NotImplemented).
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

/**
 * What S3's journal must keep (its compaction): the last notification configuration a client put per bucket,
 * and the events accepted but not yet handed on (a `pending` record without its `delivered` one).
 */
export function liveS3Records(records: NotificationJournalRecord[]): NotificationJournalRecord[] {
  const delivered = new Set(records.flatMap((record) => (record.kind === "delivered" ? [record.id] : [])));
  const lastConfiguration = new Map<string, number>();
  for (const [index, record] of records.entries())
    if (record.kind === "configuration") lastConfiguration.set(record.bucket, index);
  return records.filter((record, index) =>
    record.kind === "pending"
      ? !delivered.has(record.id)
      : record.kind === "configuration" && lastConfiguration.get(record.bucket) === index,
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The API with every notification configuration a client puts (no `origin`: the program declares its own
 * again on every start) written to the journal once it succeeded, before the answer goes out.
 */
function journaled(api: S3Api, journal: RecordLog<NotificationJournalRecord>): S3Api {
  return {
    ...api,
    PutBucketNotificationConfiguration(input, origin) {
      api.PutBucketNotificationConfiguration(input, origin);
      if (origin === undefined)
        journal.append({
          kind: "configuration",
          bucket: input.Bucket,
          config: input.NotificationConfiguration,
        });
    },
  };
}

/**
 * Creates the S3 emulator (signing name `s3`).
 * @param options.testEvents send `s3:TestEvent` on new notification configurations (default true)
 * @param options.lifecycleSweepMs how often lifecycle rules run (default 60 s)
 */
export function createS3(ctx: LocalContext, options: S3Options = {}): S3Emulator {
  const model = new S3Model(join(ctx.persistDir ?? ctx.workDir, "s3"), ctx.log);
  const journal = new RecordLog<NotificationJournalRecord>(ctx, "s3", { live: liveS3Records });
  const restored = journal.records();
  const dispatcher = new NotificationDispatcher(ctx, 200, journal);
  const api = journaled(
    createS3Api(ctx, model, dispatcher, { testEvents: options.testEvents ?? true }),
    journal,
  );
  const codec = createS3Codec(ctx, api, () => model.list().map((bucket) => bucket.name));
  let lifecycleTimer: NodeJS.Timeout | undefined;

  const sweepLifecycle = (at: Date = new Date()): number => api.sweepLifecycle(at, s3RequestIds());

  const bucketsView = () =>
    model.list().map((bucket) => {
      const entry = model.configs.get(bucket.name);
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
    const bucket = model.bucket(name);
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
    provision: (resource: LocalResource) => provisionS3(ctx, api, resource),
    handle: (req, res) => codec.handle(req, res),
    adminRoutes: {
      "s3/buckets": () => bucketsView(),
      "s3/objects": (query) => objectsView(query),
      "s3/events": () => dispatcher.history(),
    },
    start(): void {
      // Configurations clients put in earlier runs, then the events accepted but not handed on before a crash.
      for (const record of restored) {
        if (record.kind === "configuration" && model.bucket(record.bucket))
          api.PutBucketNotificationConfiguration(
            { Bucket: record.bucket, NotificationConfiguration: record.config },
            "journal",
          );
      }
      const resumed = dispatcher.resumePending(restored);
      if (resumed > 0) ctx.log.info(`s3: ${resumed} event notifications from the last run delivered now`);
      restored.length = 0;
      api.start();
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
