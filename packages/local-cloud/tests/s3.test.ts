import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createS3, type S3Emulator, type S3Options } from "../src/services/s3";
import type {
  InternalSendInput,
  LambdaEngine,
  LocalResource,
  ServiceEmulator,
  SnsEngine,
  SqsEngine,
} from "../src/types";

const ACCOUNT = "123456789012";
const UPLOADS = "s3-pipeline-uploads-2f8d097";
const CREATED_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:s3-pipeline-created-topic`;
const DELETED_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:s3-pipeline-deleted-topic`;
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:thumbs`;
const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:on-upload`;

// ---- fake destinations: they record what S3 hands them ----

interface Published {
  topicArn: string;
  message: string;
  subject?: string;
}

function recorders() {
  const published: Published[] = [];
  const sent: Array<{ queueArn: string; input: InternalSendInput }> = [];
  const invoked: Array<{ arn: string; event: unknown; source?: string }> = [];
  const inert = { provision() {}, handle() {} };
  const sns = () =>
    ({
      ...inert,
      signingNames: ["fake-sns"],
      hasTopic: () => true,
      publish(topicArn: string, input: { message: string; subject?: string }) {
        published.push({
          topicArn,
          message: input.message,
          ...(input.subject ? { subject: input.subject } : {}),
        });
        return { messageId: String(published.length) };
      },
      outbox: () => [],
    }) as unknown as ServiceEmulator & SnsEngine;
  const sqs = () =>
    ({
      ...inert,
      signingNames: ["fake-sqs"],
      send(queueArn: string, input: InternalSendInput) {
        sent.push({ queueArn, input });
        return { messageId: String(sent.length) };
      },
    }) as unknown as ServiceEmulator & SqsEngine;
  const lambda = () =>
    ({
      ...inert,
      signingNames: ["fake-lambda"],
      hasFunction: () => true,
      invokeAsync(arn: string, event: unknown, options?: { source?: string }) {
        invoked.push({ arn, event, ...(options?.source ? { source: options.source } : {}) });
      },
    }) as unknown as ServiceEmulator & LambdaEngine;
  return { published, sent, invoked, factories: { sns, sqs, lambda } };
}

// ---- resources shaped like the dev stack's ----

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
): LocalResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::switchyard::${type}::${name}`,
    custom: true,
    id: name,
    inputs,
    outputs,
  } as unknown as LocalResource;
}

const bucket = (name: string) =>
  resource(
    "aws:s3/bucket:Bucket",
    name.replace(/-[0-9a-f]{7}$/, ""),
    { bucketPrefix: "x-", forceDestroy: true },
    {
      bucket: name,
      arn: `arn:aws:s3:::${name}`,
    },
  );

const uploadsNotification = resource(
  "aws:s3/bucketNotification:BucketNotification",
  "s3-pipeline-uploads-notification",
  {
    bucket: UPLOADS,
    queues: [],
    topics: [
      {
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "uploads/",
        id: "s3-pipeline-uploads-1",
        topicArn: CREATED_TOPIC,
      },
      {
        events: ["s3:ObjectRemoved:*"],
        filterPrefix: "uploads/",
        id: "s3-pipeline-uploads-2",
        topicArn: DELETED_TOPIC,
      },
    ],
  },
);

const versioning = (name: string, status: string) =>
  resource("aws:s3/bucketVersioning:BucketVersioning", `${name}-versioning`, {
    bucket: name,
    versioningConfiguration: { status },
  });

let engines: Engine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const engine of engines) await engine.close();
  engines = [];
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(resources: LocalResource[], options: S3Options & { persistDir?: string } = {}) {
  const fakes = recorders();
  const engine = await Engine.listen({
    emulators: { s3: (ctx) => createS3(ctx, options), ...fakes.factories },
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
  });
  engines.push(engine);
  await engine.provision(resources);
  const s3 = new S3Client({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const emulator = engine.emulator<S3Emulator>("s3");
  if (!emulator) throw new Error("no s3 emulator");
  const flush = () => emulator.flushNotifications();
  return { engine, s3, emulator, flush, ...fakes };
}

/** One S3 event record as the tests read it. */
interface S3Record {
  eventName: string;
  eventTime: string;
  userIdentity: { principalId: string };
  responseElements: Record<string, string>;
  s3: {
    configurationId: string;
    bucket: { name: string; arn: string; ownerIdentity: { principalId: string } };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
}

/** The S3 event records among published messages (test events have no Records). */
function records(messages: Array<{ message: string }>): S3Record[] {
  return messages.flatMap((entry) => (JSON.parse(entry.message) as { Records?: S3Record[] }).Records ?? []);
}

const text = async (body: unknown) =>
  Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

describe("s3 objects through the real client", () => {
  it("round-trips put/get/head/list/delete with exact bytes, metadata and content type", async () => {
    const { s3 } = await start([bucket(UPLOADS)]);
    const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: UPLOADS,
        Key: "uploads/red flower.jpg",
        Body: binary,
        ContentType: "image/jpeg",
        Metadata: { "user-id": "u-42" },
      }),
    );
    expect(put.ETag).toBe(`"${createHash("md5").update(binary).digest("hex")}"`);
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt", Body: "héllo wörld" }));
    // A stream of known length: the SDK sends it aws-chunked with a trailing CRC32.
    await s3.send(
      new PutObjectCommand({
        Bucket: UPLOADS,
        Key: "notes/streamed.bin",
        Body: Readable.from([binary.subarray(0, 100), binary.subarray(100)]),
        ContentLength: binary.length,
      }),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "uploads/red flower.jpg" }));
    expect((await text(got.Body)).equals(binary)).toBe(true);
    expect(got.ContentType).toBe("image/jpeg");
    expect(got.Metadata).toEqual({ "user-id": "u-42" });
    expect(got.ETag).toBe(put.ETag);
    expect(
      (
        await text((await s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt" }))).Body)
      ).toString(),
    ).toBe("héllo wörld");
    const streamed = await s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "notes/streamed.bin" }));
    expect((await text(streamed.Body)).equals(binary)).toBe(true);

    const head = await s3.send(new HeadObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt" }));
    expect(head.ContentLength).toBe(Buffer.byteLength("héllo wörld"));
    expect(head.ETag).toBe(`"${createHash("md5").update("héllo wörld").digest("hex")}"`);
    expect(head.LastModified).toBeInstanceOf(Date);

    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: UPLOADS, Key: "uploads/red flower.jpg", Range: "bytes=10-19" }),
    );
    expect((await text(ranged.Body)).equals(binary.subarray(10, 20))).toBe(true);
    expect(ranged.ContentRange).toBe("bytes 10-19/512");

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS, Delimiter: "/" }));
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["notes/", "uploads/"]);
    expect(listed.Contents ?? []).toEqual([]);
    const notes = await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS, Prefix: "notes/", MaxKeys: 1 }));
    expect(notes.Contents?.map((c) => c.Key)).toEqual(["notes/a.txt"]);
    expect(notes.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListObjectsV2Command({
        Bucket: UPLOADS,
        Prefix: "notes/",
        ContinuationToken: notes.NextContinuationToken,
      }),
    );
    expect(rest.Contents?.map((c) => c.Key)).toEqual(["notes/streamed.bin"]);
    expect(rest.Contents?.[0]?.Size).toBe(512);

    await s3.send(new DeleteObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt" }));
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt" })),
    ).rejects.toMatchObject({
      name: "NotFound",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "notes/a.txt" })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "x" })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
  });

  it("copies objects, deletes in batches and refuses a body whose Content-MD5 does not match", async () => {
    const { s3 } = await start([bucket(UPLOADS)]);
    await s3.send(
      new PutObjectCommand({
        Bucket: UPLOADS,
        Key: "a.txt",
        Body: "alpha",
        ContentType: "text/plain",
        Metadata: { k: "v" },
      }),
    );
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: UPLOADS, Key: "b.txt", CopySource: `${UPLOADS}/a.txt` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe('"2c1743a391305fbf367df8e4f069f9f9"');
    const b = await s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "b.txt" }));
    expect((await text(b.Body)).toString()).toBe("alpha");
    expect(b.ContentType).toBe("text/plain");
    expect(b.Metadata).toEqual({ k: "v" });
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: UPLOADS, Key: "a.txt", CopySource: `${UPLOADS}/a.txt` })),
    ).rejects.toMatchObject({ name: "InvalidRequest" });

    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: UPLOADS,
        Delete: { Objects: [{ Key: "a.txt" }, { Key: "b.txt" }, { Key: "never" }] },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key)).toEqual(["a.txt", "b.txt", "never"]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS }))).KeyCount).toBe(0);

    const failure = await s3
      .send(
        new PutObjectCommand({
          Bucket: UPLOADS,
          Key: "bad.txt",
          Body: "payload",
          ContentMD5: "AAAAAAAAAAAAAAAAAAAAAA==",
        }),
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(S3ServiceException);
    expect((failure as S3ServiceException).name).toBe("BadDigest");
    expect((await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS }))).KeyCount).toBe(0);
  });

  it("assembles multipart uploads with S3's multipart ETag", async () => {
    const { s3 } = await start([bucket(UPLOADS)]);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: "big.bin", ContentType: "video/mp4" }),
    );
    const first = Buffer.alloc(5 * 1024 * 1024, 1);
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: UPLOADS, Key: "big.bin", UploadId, PartNumber: 1, Body: first }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: UPLOADS, Key: "big.bin", UploadId, PartNumber: 2, Body: "tail" }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: UPLOADS,
        Key: "big.bin",
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: UPLOADS, Key: "big.bin" }));
    expect(head.ContentLength).toBe(first.length + 4);
    expect(head.ContentType).toBe("video/mp4");
    const tail = await s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "big.bin", Range: "bytes=-5" }));
    expect((await text(tail.Body)).toString("latin1")).toBe("\u0001tail");

    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: UPLOADS, Key: "copy.bin", CopySource: `${UPLOADS}/big.bin` }),
    );
    const whole = createHash("md5")
      .update(Buffer.concat([first, Buffer.from("tail")]))
      .digest("hex");
    expect(copy.CopyObjectResult?.ETag).toBe(`"${whole}"`);

    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: "gone.bin" }));
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: UPLOADS, Key: "gone.bin", UploadId: other.UploadId }),
    );
    await expect(
      s3.send(
        new UploadPartCommand({
          Bucket: UPLOADS,
          Key: "gone.bin",
          UploadId: other.UploadId,
          PartNumber: 1,
          Body: "x",
        }),
      ),
    ).rejects.toMatchObject({ name: "NoSuchUpload" });
  });
});

describe("s3 event notifications", () => {
  it("sends the test event, then one ObjectCreated:Put per matching put, in S3's shape", async () => {
    const { s3, flush, published } = await start([bucket(UPLOADS), uploadsNotification]);
    await flush();
    expect(published.map((p) => [p.topicArn, JSON.parse(p.message).Event])).toEqual([
      [CREATED_TOPIC, "s3:TestEvent"],
      [DELETED_TOPIC, "s3:TestEvent"],
    ]);
    published.length = 0;

    const body = Buffer.from("jpeg bytes");
    const put = await s3.send(
      new PutObjectCommand({ Bucket: UPLOADS, Key: "uploads/red flower+1.jpg", Body: body }),
    );
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "elsewhere/red.jpg", Body: body }));
    await flush();

    expect(published).toHaveLength(1);
    expect(published[0]?.topicArn).toBe(CREATED_TOPIC);
    expect(published[0]?.subject).toBe("Amazon S3 Notification");
    const [record] = records(published);
    expect(record).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: "AWS:local" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "s3-pipeline-uploads-1",
        bucket: { name: UPLOADS, arn: `arn:aws:s3:::${UPLOADS}` },
        object: { key: "uploads/red+flower%2B1.jpg", size: body.length, eTag: put.ETag?.replace(/"/g, "") },
      },
    });
    expect(Date.parse(record?.eventTime ?? "")).not.toBeNaN();
    expect(record?.responseElements["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
    expect(record?.s3.bucket.ownerIdentity.principalId).toEqual(expect.any(String));
    expect(record?.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(record?.s3.object.versionId).toBeUndefined();
  });

  it("publishes ObjectRemoved:Delete on delete, with sequencers that increase per key", async () => {
    const { s3, flush, published } = await start([bucket(UPLOADS), uploadsNotification], {
      testEvents: false,
    });
    const key = "uploads/cat.png";
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: "v1" }));
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: "v2" }));
    await s3.send(new DeleteObjectCommand({ Bucket: UPLOADS, Key: key }));
    await s3.send(
      new DeleteObjectsCommand({ Bucket: UPLOADS, Delete: { Objects: [{ Key: key }], Quiet: true } }),
    );
    await flush();
    const events = records(published);
    expect(events.map((e) => [e.eventName, e.s3.configurationId])).toEqual([
      ["ObjectCreated:Put", "s3-pipeline-uploads-1"],
      ["ObjectCreated:Put", "s3-pipeline-uploads-1"],
      ["ObjectRemoved:Delete", "s3-pipeline-uploads-2"],
      ["ObjectRemoved:Delete", "s3-pipeline-uploads-2"],
    ]);
    expect(published.map((p) => p.topicArn)).toEqual([
      CREATED_TOPIC,
      CREATED_TOPIC,
      DELETED_TOPIC,
      DELETED_TOPIC,
    ]);
    const removed = events[2]?.s3.object;
    expect(removed).toBeDefined();
    expect(removed?.size).toBeUndefined();
    expect(removed?.eTag).toBeUndefined();
    // The s3-pipeline's rule: left-pad to equal length, compare as strings.
    const sequencers = events.map((e) => String(e.s3.object.sequencer));
    const width = Math.max(...sequencers.map((s) => s.length));
    const padded = sequencers.map((s) => s.padStart(width, "0"));
    for (let i = 1; i < padded.length; i++) expect((padded[i] ?? "") > (padded[i - 1] ?? "")).toBe(true);
  });

  it("sends nothing for a failed request", async () => {
    const { s3, flush, published } = await start([bucket(UPLOADS), uploadsNotification], {
      testEvents: false,
    });
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: UPLOADS,
          Key: "uploads/x",
          Body: "x",
          ContentMD5: "AAAAAAAAAAAAAAAAAAAAAA==",
        }),
      ),
    ).rejects.toMatchObject({ name: "BadDigest" });
    await expect(
      s3.send(
        new CopyObjectCommand({
          Bucket: UPLOADS,
          Key: "uploads/y",
          CopySource: `${UPLOADS}/uploads/missing`,
        }),
      ),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await flush();
    expect(published).toEqual([]);
  });

  it("routes copies and multipart completions to queues and functions by suffix", async () => {
    const notification = resource("aws:s3/bucketNotification:BucketNotification", "n", {
      bucket: UPLOADS,
      queues: [{ events: ["s3:ObjectCreated:Copy"], filterSuffix: ".jpg", id: "copies", queueArn: QUEUE }],
      lambdaFunctions: [
        {
          events: ["s3:ObjectCreated:CompleteMultipartUpload"],
          id: "multipart",
          lambdaFunctionArn: FUNCTION,
        },
      ],
    });
    const { s3, flush, sent, invoked } = await start([bucket(UPLOADS), notification]);
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "a.jpg", Body: "a" }));
    await s3.send(new CopyObjectCommand({ Bucket: UPLOADS, Key: "b.jpg", CopySource: `${UPLOADS}/a.jpg` }));
    await s3.send(new CopyObjectCommand({ Bucket: UPLOADS, Key: "b.png", CopySource: `${UPLOADS}/a.jpg` }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: "m.bin" }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket: UPLOADS, Key: "m.bin", UploadId, PartNumber: 1, Body: "only" }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: UPLOADS,
        Key: "m.bin",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    await flush();
    const bodies = sent.map((s) => JSON.parse(s.input.body) as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ Event: "s3:TestEvent", Bucket: UPLOADS, Service: "Amazon S3" });
    expect(
      records(sent.slice(1).map((s) => ({ message: s.input.body }))).map((r) => [
        r.eventName,
        r.s3.object.key,
      ]),
    ).toEqual([["ObjectCreated:Copy", "b.jpg"]]);
    expect(invoked).toHaveLength(1);
    expect(invoked[0]?.arn).toBe(FUNCTION);
    expect(records([{ message: JSON.stringify(invoked[0]?.event) }])[0]).toMatchObject({
      eventName: "ObjectCreated:CompleteMultipartUpload",
      s3: { configurationId: "multipart", object: { key: "m.bin", size: 4 } },
    });
  });

  it("follows bucket versioning: suspended deletes create null delete markers, enabled ones versioned markers", async () => {
    const renditions = "s3-pipeline-renditions-ac36d54";
    const all = resource("aws:s3/bucketNotification:BucketNotification", "all", {
      bucket: renditions,
      queues: [{ events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], id: "all", queueArn: QUEUE }],
    });
    const { s3, flush, sent } = await start(
      [
        bucket(UPLOADS),
        bucket(renditions),
        versioning(UPLOADS, "Suspended"),
        versioning(renditions, "Enabled"),
        all,
      ],
      { testEvents: false },
    );
    const suspendedPut = await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "k", Body: "1" }));
    expect(suspendedPut.VersionId).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: UPLOADS, Key: "k" }))).VersionId).toBe("null");
    const suspendedDelete = await s3.send(new DeleteObjectCommand({ Bucket: UPLOADS, Key: "k" }));
    expect(suspendedDelete.DeleteMarker).toBe(true);
    expect(suspendedDelete.VersionId).toBe("null");

    const v1 = await s3.send(new PutObjectCommand({ Bucket: renditions, Key: "r", Body: "one" }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: renditions, Key: "r", Body: "two" }));
    expect(v1.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    const old = await s3.send(
      new GetObjectCommand({ Bucket: renditions, Key: "r", VersionId: v1.VersionId }),
    );
    expect((await text(old.Body)).toString()).toBe("one");
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: renditions, Key: "r" }));
    expect(marker.DeleteMarker).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: renditions, Key: "r" }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: renditions }));
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([v2.VersionId, v1.VersionId]);
    expect(versions.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([[marker.VersionId, true]]);
    await s3.send(new DeleteObjectCommand({ Bucket: renditions, Key: "r", VersionId: v1.VersionId }));

    await flush();
    const events = records(sent.map((s) => ({ message: s.input.body })));
    expect(events.map((e) => [e.eventName, e.s3.object.versionId])).toEqual([
      ["ObjectCreated:Put", v1.VersionId],
      ["ObjectCreated:Put", v2.VersionId],
      ["ObjectRemoved:DeleteMarkerCreated", marker.VersionId],
      ["ObjectRemoved:Delete", v1.VersionId],
    ]);
  });

  it("expires objects by lifecycle rule at the midnight after creation plus days", async () => {
    const lifecycle = resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lc", {
      bucket: UPLOADS,
      rules: [
        { expiration: { days: 7 }, filter: { prefix: "tmp/" }, id: "expire-tmp", status: "Enabled" },
        {
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          filter: { prefix: "" },
          id: "abandoned",
          status: "Enabled",
        },
      ],
    });
    const expirations = resource("aws:s3/bucketNotification:BucketNotification", "n", {
      bucket: UPLOADS,
      queues: [{ events: ["s3:LifecycleExpiration:*"], id: "expired", queueArn: QUEUE }],
    });
    const { s3, emulator, flush, sent } = await start([bucket(UPLOADS), lifecycle, expirations], {
      testEvents: false,
    });
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "tmp/x", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: "keep/y", Body: "y" }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: "tmp/upload" }));
    const day = 24 * 3600 * 1000;
    expect(emulator.sweepLifecycle(new Date(Date.now() + 6 * day))).toBe(1);
    expect(emulator.sweepLifecycle(new Date(Date.now() + 8 * day))).toBe(1);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(["keep/y"]);
    await flush();
    const events = records(sent.map((s) => ({ message: s.input.body })));
    expect(events.map((e) => [e.eventName, e.s3.object.key, e.userIdentity.principalId])).toEqual([
      ["LifecycleExpiration:Delete", "tmp/x", "s3.amazonaws.com"],
    ]);
  });
});

describe("s3 persistence and views", () => {
  it("keeps objects across engines with the same persistDir without re-sending test events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s3-persist-"));
    dirs.push(dir);
    const first = await start([bucket(UPLOADS), uploadsNotification], { persistDir: dir });
    const bytes = Buffer.from([0, 255, 1, 254]);
    await first.s3.send(
      new PutObjectCommand({ Bucket: UPLOADS, Key: "uploads/p.bin", Body: bytes, Metadata: { a: "b" } }),
    );
    await first.flush();
    expect(first.published.filter((p) => JSON.parse(p.message).Event === "s3:TestEvent")).toHaveLength(2);
    await first.engine.close();
    engines = engines.filter((engine) => engine !== first.engine);

    const second = await start([bucket(UPLOADS), uploadsNotification], { persistDir: dir });
    const got = await second.s3.send(new GetObjectCommand({ Bucket: UPLOADS, Key: "uploads/p.bin" }));
    expect((await text(got.Body)).equals(bytes)).toBe(true);
    expect(got.Metadata).toEqual({ a: "b" });
    await second.flush();
    expect(second.published).toEqual([]);
  });

  it("serves buckets, objects and events views", async () => {
    const { engine, s3, flush } = await start([bucket(UPLOADS), uploadsNotification]);
    await s3.send(new CreateBucketCommand({ Bucket: "scratch-bucket" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: UPLOADS,
        Key: "uploads/v.txt",
        Body: "view",
        ContentType: "text/plain",
      }),
    );
    await flush();
    const get = async <T>(route: string): Promise<T> =>
      (await (await fetch(`${engine.endpoint}/_local/${route}`)).json()) as T;
    const buckets =
      await get<Array<{ name: string; notifications?: { topics: Array<{ id: string }> } }>>("s3/buckets");
    expect(buckets.map((b) => b.name)).toEqual([UPLOADS, "scratch-bucket"]);
    expect(buckets[0]).toMatchObject({ objectCount: 1, versioning: "Unversioned" });
    expect(buckets[0]?.notifications?.topics.map((t) => t.id)).toEqual([
      "s3-pipeline-uploads-1",
      "s3-pipeline-uploads-2",
    ]);
    const objects = await get<unknown[]>(`s3/objects?bucket=${UPLOADS}&prefix=uploads/`);
    expect(objects).toEqual([
      expect.objectContaining({ key: "uploads/v.txt", size: 4, contentType: "text/plain" }),
    ]);
    const events = await get<Array<{ eventName: string }>>("s3/events");
    expect(events.map((e) => e.eventName)).toEqual(["s3:TestEvent", "s3:TestEvent", "ObjectCreated:Put"]);
  });
});
