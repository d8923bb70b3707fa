import {
  encodeS3Key,
  lambdaContext,
  s3Event,
  s3TestEvent,
  s3ViaSnsSqsRecord,
  sqsEvent,
} from "@switchyard/testing";
import type { SQSRecord } from "aws-lambda";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from "vitest";
import type { Notifier } from "../src/adapters/notifier";
import { ObjectStore } from "../src/adapters/object-store";
import { PipelineTable } from "../src/adapters/pipeline-table";
import { padSequencer } from "../src/domain/sequencer";
import { type CatalogDeps, catalogHandler } from "../src/workflows/catalog";
import { type CleanupDeps, cleanupHandler } from "../src/workflows/cleanup";
import { type RenditionsDeps, renditionsHandler } from "../src/workflows/renditions";
import {
  fakeS3,
  fakeTable,
  image,
  RENDITIONS,
  recordingDeadLetter,
  recordingLogger,
  TABLE_NAME,
  UPLOADS,
} from "./fakes";

const WIDTHS = [320, 1280];
const CALLBACK = "https://app.example.com/uploads";

let s3: ReturnType<typeof fakeS3>;
let table: ReturnType<typeof fakeTable>;
let log: ReturnType<typeof recordingLogger>;
let dlq: ReturnType<typeof recordingDeadLetter>;
let notify: Mock<Notifier["notify"]>;

beforeEach(() => {
  s3 = fakeS3();
  table = fakeTable();
  log = recordingLogger();
  dlq = recordingDeadLetter();
  notify = vi.fn<Notifier["notify"]>(async () => undefined);
});

afterEach(() => {
  s3.mock.restore();
  table.mock.restore();
});

function renditionsDeps(overrides: Partial<RenditionsDeps> = {}): RenditionsDeps {
  return {
    uploads: new ObjectStore(s3.client, UPLOADS),
    renditions: new ObjectStore(s3.client, RENDITIONS),
    table: new PipelineTable(table.client, TABLE_NAME),
    widths: WIDTHS,
    maxImageBytes: 5 * 1024 * 1024,
    notifications: { notifier: { notify }, callbackUrl: CALLBACK },
    logger: log.logger,
    deadLetter: dlq.adapter,
    ...overrides,
  };
}
const renditions = (overrides: Partial<RenditionsDeps> = {}) => renditionsHandler(renditionsDeps(overrides));
const catalog = (overrides: Partial<CatalogDeps> = {}) =>
  catalogHandler({
    uploads: new ObjectStore(s3.client, UPLOADS),
    table: new PipelineTable(table.client, TABLE_NAME),
    logger: log.logger,
    deadLetter: dlq.adapter,
    ...overrides,
  });
const cleanup = (overrides: Partial<CleanupDeps> = {}) =>
  cleanupHandler({
    uploads: new ObjectStore(s3.client, UPLOADS),
    renditions: new ObjectStore(s3.client, RENDITIONS),
    table: new PipelineTable(table.client, TABLE_NAME),
    widths: WIDTHS,
    logger: log.logger,
    deadLetter: dlq.adapter,
    ...overrides,
  });

interface EventSpec {
  key: string;
  eventName?: string;
  sequencer?: string;
  versionId?: string;
  /** @default the ETag of the object stored now under `key` (what S3 would send), for created events */
  eTag?: string;
  /** @default UPLOADS */
  bucket?: string;
}
/** One SQS record carrying an S3 event through SNS, the way the pipeline's subscriptions deliver it (raw). */
function record(spec: EventSpec, messageId = `m-${spec.key}-${spec.sequencer ?? "x"}`): SQSRecord {
  const eventName = spec.eventName ?? "ObjectCreated:Put";
  const eTag = spec.eTag ?? (eventName.startsWith("ObjectCreated:") ? s3.etag(UPLOADS, spec.key) : undefined);
  const event = s3Event({
    bucket: spec.bucket ?? UPLOADS,
    records: [
      {
        key: encodeS3Key(spec.key),
        eventName,
        ...(eTag ? { eTag } : {}),
        ...(spec.sequencer ? { sequencer: spec.sequencer } : {}),
        ...(spec.versionId ? { versionId: spec.versionId } : {}),
      },
    ],
  });
  return s3ViaSnsSqsRecord({ event, raw: true, messageId });
}
const run = (handler: ReturnType<typeof renditions>, ...records: SQSRecord[]) =>
  handler(sqsEvent(records), lambdaContext());

describe("renditions", () => {
  it.each([
    ["image/jpeg", "jpeg"],
    ["image/png", "png"],
    ["image/webp", "webp"],
  ] as const)(
    "resizes a %s into every width, under renditions/<width>/<decoded key>",
    async (contentType, format) => {
      // Prepare
      const key = "uploads/holiday photos/red flower+1.img";
      s3.put(UPLOADS, key, { body: await image(format), contentType });

      // Act
      const result = await run(renditions(), record({ key, sequencer: "0A1" }));

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(s3.keys(RENDITIONS)).toEqual([`renditions/1280/${key}`, `renditions/320/${key}`]);
      const small = s3.objects.get(`${RENDITIONS}/renditions/320/${key}`);
      const large = s3.objects.get(`${RENDITIONS}/renditions/1280/${key}`);
      const smallMeta = await sharp(small?.body).metadata();
      const largeMeta = await sharp(large?.body).metadata();
      expect(smallMeta).toMatchObject({ width: 320, height: 240, format });
      // No upscaling: a 640 px source stays 640 px wide in the 1280 rendition.
      expect(largeMeta).toMatchObject({ width: 640, format });
      expect(small?.contentType).toBe(contentType);
    },
  );

  it("acknowledges S3's test event and writes nothing", async () => {
    // Prepare
    const test = s3ViaSnsSqsRecord({ event: s3TestEvent(UPLOADS), raw: true, messageId: "test" });

    // Act
    const result = await run(renditions(), test);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(s3.keys(RENDITIONS)).toEqual([]);
    expect(log.lines.filter((l) => l.message === "S3 test event acknowledged")).toHaveLength(1);
  });

  it("skips a non-image with a log line", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/report.pdf", {
      body: Buffer.from("%PDF-1.7 ..."),
      contentType: "application/pdf",
    });

    // Act
    const result = await run(renditions(), record({ key: "uploads/report.pdf", sequencer: "01" }));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(s3.keys(RENDITIONS)).toEqual([]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        message: "not an image, skipped",
        extra: { contentType: "application/pdf" },
      }),
    );
  });

  it.each([
    [
      "a corrupt image",
      Buffer.from("this is not a jpeg at all"),
      "image/jpeg",
      /cannot be decoded as image\/jpeg/,
    ],
    ["a truncated image", "truncated", "image/png", /cannot be decoded as image\/png/],
    ["an image above the size cap", "large", "image/png", /renditions are made up to 6000 bytes/],
  ] as const)(
    "sends %s to the DLQ with its reason, once, without retry",
    async (_case, body, contentType, reason) => {
      // Prepare
      const png = await image("png");
      const bytes = body === "truncated" ? png.subarray(0, 100) : body === "large" ? png : body;
      s3.put(UPLOADS, "uploads/bad", { body: bytes, contentType });
      s3.put(UPLOADS, "uploads/good.png", { body: await image("png", 40, 30), contentType: "image/png" });
      const handler = renditions(body === "large" ? { maxImageBytes: 6000 } : {});

      // Act
      const result = await run(
        handler,
        record({ key: "uploads/bad", sequencer: "01" }, "bad"),
        record({ key: "uploads/good.png", sequencer: "01" }, "good"),
      );

      // Assess: the bad record is dead-lettered (reported processed), the good one is done.
      expect(result.batchItemFailures).toEqual([]);
      expect(dlq.sent).toEqual([{ messageId: "bad", reason: expect.stringMatching(reason) }]);
      expect(s3.keys(RENDITIONS)).toEqual([
        "renditions/1280/uploads/good.png",
        "renditions/320/uploads/good.png",
      ]);
    },
  );

  it("reports only the failing record of a batch when S3 fails transiently", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/ok.png", { body: await image("png"), contentType: "image/png" });
    const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
    s3.mock
      .on(HeadObjectCommand, { Key: "uploads/flaky.png" })
      .rejects(
        Object.assign(new Error("slow down"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } }),
      );

    // Act
    const result = await run(
      renditions(),
      record({ key: "uploads/flaky.png", sequencer: "01" }, "flaky"),
      record({ key: "uploads/ok.png", sequencer: "01" }, "ok"),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "flaky" }]);
    expect(dlq.sent).toEqual([]);
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
  });

  it("ignores a creation delivered after the deletion that followed it", async () => {
    // Prepare: the object was deleted (sequencer 0B) before the older creation (0A) is delivered.
    s3.put(UPLOADS, "uploads/late.png", { body: await image("png"), contentType: "image/png" });
    const creation = record({ key: "uploads/late.png", sequencer: "0A" });
    s3.remove(UPLOADS, "uploads/late.png");
    await run(
      cleanup(),
      record({ key: "uploads/late.png", eventName: "ObjectRemoved:Delete", sequencer: "0B" }),
    );

    // Act
    const result = await run(renditions(), creation);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(s3.keys(RENDITIONS)).toEqual([]);
    expect(notify).not.toHaveBeenCalled();
    expect(log.lines.map((l) => l.message)).toContain("object no longer exists, skipped");
  });

  it("compares sequencers of different lengths as S3 says: left-padded with zeros", async () => {
    // Prepare: "FF" (255) is older than "100" (256) although it sorts after it as plain text.
    s3.put(UPLOADS, "uploads/pad.png", { body: await image("png"), contentType: "image/png" });
    await run(renditions(), record({ key: "uploads/pad.png", sequencer: "100" }));
    s3.objects.delete(`${RENDITIONS}/renditions/320/uploads/pad.png`);

    // Act
    await run(renditions(), record({ key: "uploads/pad.png", sequencer: "FF" }));

    // Assess
    expect(s3.keys(RENDITIONS)).toEqual(["renditions/1280/uploads/pad.png"]);
    expect(table.get("uploads/pad.png", "#latest")?.sequencer).toBe(padSequencer("100"));
  });

  it("notifies the uploader named in the object's metadata once, however often the event is delivered", async () => {
    // Prepare
    const key = "uploads/me & you.jpg";
    s3.put(UPLOADS, key, {
      body: await image("jpeg"),
      contentType: "image/jpeg",
      metadata: { "user-id": "user-42" },
      versionId: "v1",
    });
    const event = record({ key, sequencer: "0C", versionId: "v1" });

    // Act
    await run(renditions(), event);
    await run(renditions(), event);

    // Assess
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify).toHaveBeenCalledWith({
      userId: "user-42",
      type: "actionable",
      message: "Your image me & you.jpg is ready in 2 sizes (320, 1280 px).",
      callback: `${CALLBACK}?key=uploads%2Fme+%26+you.jpg`,
      notificationId: expect.stringMatching(/^n-[0-9a-f]{40}$/),
    });
    expect(table.sortKeys(key)).toContain("n#v1");
  });

  it.each([
    ["no user id in the metadata", {}, true],
    ["notifications not configured", { "user-id": "user-42" }, false],
  ])("does not notify with %s", async (_case, metadata, configured) => {
    // Prepare
    s3.put(UPLOADS, "uploads/quiet.png", { body: await image("png"), contentType: "image/png", metadata });
    const deps = renditionsDeps();
    const handler = renditionsHandler(configured ? deps : { ...deps, notifications: undefined });

    // Act
    await run(handler, record({ key: "uploads/quiet.png", sequencer: "01" }));

    // Assess
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
    expect(notify).not.toHaveBeenCalled();
  });

  it("leaves a notification failure to SQS to retry (the renditions are rewritten idempotently)", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/n.png", {
      body: await image("png"),
      contentType: "image/png",
      metadata: { "user-id": "u" },
    });
    notify.mockRejectedValueOnce(new Error("EventBridge refused 1 of 1 notifications"));

    // Act
    const first = await run(renditions(), record({ key: "uploads/n.png", sequencer: "01" }, "n"));
    const second = await run(renditions(), record({ key: "uploads/n.png", sequencer: "01" }, "n"));

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: "n" }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(notify).toHaveBeenCalledTimes(2);
  });
});

describe("catalog", () => {
  it("writes one record per version with the sniffed type, size, sha256 and upload time", async () => {
    // Prepare: the uploader claims text/plain, the bytes say PNG.
    const body = await image("png", 64, 64);
    s3.put(UPLOADS, "uploads/a b.png", { body, contentType: "text/plain", versionId: "v1" });
    const { createHash } = await import("node:crypto");

    // Act
    const result = await run(catalog(), record({ key: "uploads/a b.png", sequencer: "0A", versionId: "v1" }));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(table.get("uploads/a b.png", "v#v1")).toMatchObject({
      key: "uploads/a b.png",
      versionId: "v1",
      size: body.length,
      contentType: "image/png",
      sha256: createHash("sha256").update(body).digest("hex"),
      uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sequencer: padSequencer("0A"),
    });
  });

  it("is idempotent: a redelivered event writes nothing new", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/x.bin", { body: Buffer.from([1, 2, 3]) });
    const event = record({ key: "uploads/x.bin", sequencer: "0A" });
    await run(catalog(), event);
    const { PutCommand } = await import("@aws-sdk/lib-dynamodb");
    const putsBefore = table.mock.commandCalls(PutCommand).length;

    // Act
    const result = await run(catalog(), event);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(table.sortKeys("uploads/x.bin")).toEqual(["#latest", "v#null"]);
    expect(table.get("uploads/x.bin", "v#null")?.contentType).toBe("application/octet-stream");
    expect(table.mock.commandCalls(PutCommand).length).toBe(putsBefore + 1);
    expect(log.lines.map((l) => l.message)).toContain("catalog record already present");
  });

  it("replaces an unversioned record only with a newer upload", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/t.txt", { body: Buffer.from("second version") });
    await run(catalog(), record({ key: "uploads/t.txt", sequencer: "0B" }));

    // Act: the older upload's event arrives late.
    await run(catalog(), record({ key: "uploads/t.txt", sequencer: "0A" }));

    // Assess
    expect(table.get("uploads/t.txt", "v#null")).toMatchObject({ size: 14, sequencer: padSequencer("0B") });
  });

  it("skips an object deleted before its event was processed", async () => {
    // Act
    const result = await run(catalog(), record({ key: "uploads/gone.png", sequencer: "01" }));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    // Nothing recorded, not even the sequencer: only events S3 confirms move the gate.
    expect(table.sortKeys("uploads/gone.png")).toEqual([]);
  });
});

describe("cleanup", () => {
  async function uploadAndProcess(key: string, sequencer: string, versionId?: string) {
    s3.put(UPLOADS, key, {
      body: await image("png", 640 + Number.parseInt(sequencer, 16), 480),
      contentType: "image/png",
      ...(versionId ? { versionId } : {}),
    });
    const event = record({ key, sequencer, ...(versionId ? { versionId } : {}) });
    await run(renditions(), event);
    await run(catalog(), event);
  }

  it("removes the renditions and catalog records of a deleted object, and is idempotent", async () => {
    // Prepare
    await uploadAndProcess("uploads/c d.png", "0A");
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
    const deletion = record({ key: "uploads/c d.png", eventName: "ObjectRemoved:Delete", sequencer: "0B" });
    s3.remove(UPLOADS, "uploads/c d.png");

    // Act
    const first = await run(cleanup(), deletion);
    const again = await run(cleanup(), deletion);

    // Assess
    expect([first.batchItemFailures, again.batchItemFailures]).toEqual([[], []]);
    expect(s3.keys(RENDITIONS)).toEqual([]);
    expect(table.sortKeys("uploads/c d.png")).toEqual(["#latest"]);
  });

  it("removes only that version's record when one version is deleted for good", async () => {
    // Prepare
    await uploadAndProcess("uploads/v.png", "0A", "v1");
    await uploadAndProcess("uploads/v.png", "0B", "v2");
    s3.removeVersion(UPLOADS, "uploads/v.png", "v1");

    // Act
    await run(
      cleanup(),
      record({ key: "uploads/v.png", eventName: "ObjectRemoved:Delete", sequencer: "0C", versionId: "v1" }),
    );

    // Assess
    expect(table.sortKeys("uploads/v.png")).toEqual(["#latest", "v#v2"]);
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
  });

  it("ignores a deletion older than the latest upload of the key", async () => {
    // Prepare: re-uploaded (0C) after a deletion (0B) that is delivered late.
    await uploadAndProcess("uploads/r.png", "0C");

    // Act
    await run(
      cleanup(),
      record({ key: "uploads/r.png", eventName: "ObjectRemoved:DeleteMarkerCreated", sequencer: "0B" }),
    );

    // Assess
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
    expect(table.sortKeys("uploads/r.png")).toEqual(["#latest", "v#null"]);
  });
});

describe("forged and malformed events (S3 confirms before anything changes)", () => {
  const CREATED_TOPIC = "arn:aws:sns:us-east-1:123456789012:s3-pipeline-created";
  const DELETED_TOPIC = "arn:aws:sns:us-east-1:123456789012:s3-pipeline-deleted";
  const ELSEWHERE = "arn:aws:sns:us-east-1:999999999999:elsewhere";

  async function uploadAndProcess(key: string, sequencer: string) {
    s3.put(UPLOADS, key, { body: await image("png"), contentType: "image/png" });
    const event = record({ key, sequencer });
    await run(renditions(), event);
    await run(catalog(), event);
  }

  it("does nothing on a forged ObjectRemoved for an object that still exists", async () => {
    // Prepare
    await uploadAndProcess("uploads/kept.png", "0A");

    // Act: nobody deleted it; the event says so anyway, with a newer sequencer.
    const result = await run(
      cleanup(),
      record({ key: "uploads/kept.png", eventName: "ObjectRemoved:Delete", sequencer: "0B" }),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
    expect(table.sortKeys("uploads/kept.png")).toEqual(["#latest", "v#null"]);
    expect(table.get("uploads/kept.png", "#latest")?.sequencer).toBe(padSequencer("0A"));
  });

  it("does nothing on a forged version removal of a version that still exists", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/ver.png", {
      body: await image("png"),
      contentType: "image/png",
      versionId: "v1",
    });
    await run(catalog(), record({ key: "uploads/ver.png", sequencer: "0A", versionId: "v1" }));

    // Act
    await run(
      cleanup(),
      record({ key: "uploads/ver.png", eventName: "ObjectRemoved:Delete", sequencer: "0B", versionId: "v1" }),
    );

    // Assess
    expect(table.sortKeys("uploads/ver.png")).toEqual(["#latest", "v#v1"]);
  });

  it("does nothing on a forged ObjectCreated whose ETag is not the object's", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/real.png", { body: await image("png"), contentType: "image/png" });

    // Act
    const event = record({ key: "uploads/real.png", sequencer: "0A", eTag: "0".repeat(32) });
    await run(renditions(), event);
    await run(catalog(), event);

    // Assess
    expect(s3.keys(RENDITIONS)).toEqual([]);
    expect(table.sortKeys("uploads/real.png")).toEqual([]);
  });

  it.each([
    ["a confirmable ObjectCreated (right ETag)", "ObjectCreated:Put"],
    ["an ObjectRemoved for a key that does not exist", "ObjectRemoved:Delete"],
  ])("a huge sequencer on %s does not hold back the next real upload", async (_case, eventName) => {
    // Prepare: the forger's event passes S3's check and records the largest sequencer there is.
    const key = "uploads/poison.png";
    if (eventName.startsWith("ObjectCreated")) {
      s3.put(UPLOADS, key, { body: await image("png", 100, 80), contentType: "image/png" });
    }
    const forged = record({ key, eventName, sequencer: "F".repeat(64) }, "forged");
    await run(eventName.startsWith("ObjectCreated") ? renditions() : cleanup(), forged);
    await run(eventName.startsWith("ObjectCreated") ? catalog() : cleanup(), forged);
    expect(table.get(key, "#latest")?.sequencer).toBe("F".repeat(64));

    // Act: a real upload of new content, with S3's ordinary sequencer.
    s3.put(UPLOADS, key, { body: await image("png", 640, 480), contentType: "image/png" });
    const real = record({ key, sequencer: "0055AED6DCD90281E5" }, "real");
    const results = [await run(renditions(), real), await run(catalog(), real)];

    // Assess
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], []]);
    const rendition = s3.objects.get(`${RENDITIONS}/renditions/320/${key}`);
    expect((await sharp(rendition?.body).metadata()).width).toBe(320);
    expect(table.get(key, "v#null")).toMatchObject({ eTag: s3.etag(UPLOADS, key) });
    expect(table.get(key, "#latest")?.sequencer).toBe(padSequencer("0055AED6DCD90281E5"));
  });

  it("still skips a genuinely stale event: a newer confirmed event S3 agrees with holds it back", async () => {
    // Prepare: v1 then v2 of a versioned key; v2's event is processed first.
    const key = "uploads/order.png";
    s3.put(UPLOADS, key, { body: await image("png", 50, 50), contentType: "image/png", versionId: "v1" });
    const first = record({ key, sequencer: "0A", versionId: "v1" });
    s3.put(UPLOADS, key, { body: await image("png", 60, 60), contentType: "image/png", versionId: "v2" });
    await run(catalog(), record({ key, sequencer: "0B", versionId: "v2" }));

    // Act
    await run(catalog(), first);

    // Assess
    expect(table.sortKeys(key)).toEqual(["#latest", "v#v2"]);
    expect(log.lines.map((l) => l.message)).toContain(
      "stale S3 event skipped: a newer event for this key was processed",
    );
  });

  it("dead-letters an event for another bucket with the reason, and processes the rest of the batch", async () => {
    // Prepare
    s3.put(UPLOADS, "uploads/ok.png", { body: await image("png"), contentType: "image/png" });
    s3.put("someone-elses-bucket", "uploads/ok.png", { body: await image("png"), contentType: "image/png" });

    // Act
    const result = await run(
      cleanup(),
      record(
        { key: "uploads/x.png", eventName: "ObjectRemoved:Delete", bucket: "someone-elses-bucket" },
        "other",
      ),
    );
    const good = await run(renditions(), record({ key: "uploads/ok.png", sequencer: "01" }, "good"));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(good.batchItemFailures).toEqual([]);
    expect(dlq.sent).toEqual([
      {
        messageId: "other",
        reason: `the event is for bucket "someone-elses-bucket"; this pipeline processes ${UPLOADS} only`,
      },
    ]);
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
  });

  // The subscriptions deliver raw (S3's event is the body), so SNS never wraps a message of these queues: a body
  // shaped like an envelope was sent by someone, whatever topic it names, even the pipeline's own.
  it.each([
    ["renditions", "the pipeline's created topic", CREATED_TOPIC],
    ["catalog", "the pipeline's created topic", CREATED_TOPIC],
    ["cleanup", "the pipeline's deleted topic", DELETED_TOPIC],
    ["renditions", "another topic", ELSEWHERE],
    ["cleanup", "another topic", ELSEWHERE],
  ] as const)(
    "%s dead-letters an S3 event wrapped in an SNS envelope naming %s, and acts on nothing",
    async (consumer, _topic, topicArn) => {
      // Prepare: a real object, processed; for a removal, S3 confirms it is gone.
      const key = "uploads/wrapped.png";
      await uploadAndProcess(key, "0A");
      const removal = consumer === "cleanup";
      if (removal) s3.remove(UPLOADS, key);
      const rendered = s3.keys(RENDITIONS);
      const recorded = table.sortKeys(key);
      const genuine = JSON.parse(
        record({ key, sequencer: "0B", ...(removal ? { eventName: "ObjectRemoved:Delete" } : {}) }).body,
      ) as Parameters<typeof s3ViaSnsSqsRecord>[0]["event"];
      const forged = s3ViaSnsSqsRecord({ event: genuine, raw: false, topicArn, messageId: "wrapped" });
      const handler = { renditions: () => renditions(), catalog, cleanup }[consumer]();

      // Act
      const result = await run(handler, forged);

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(dlq.sent).toEqual([
        {
          messageId: "wrapped",
          reason: `the body is an SNS envelope that names topic ${topicArn}, but the pipeline's queues are subscribed with raw message delivery (SNS never wraps their messages): refused as forged`,
        },
      ]);
      expect(s3.keys(RENDITIONS)).toEqual(rendered);
      expect(table.sortKeys(key)).toEqual(recorded);
      expect(table.get(key, "#latest")?.sequencer).toBe(padSequencer("0A"));
    },
  );

  it.each([
    [
      "a malformed sequencer",
      { sequencer: "not-hex!" },
      /s3\.object\.sequencer: must be 1 to 64 hexadecimal digits/,
    ],
    ["an oversized sequencer", { sequencer: "1".repeat(65) }, /s3\.object\.sequencer/],
  ])("dead-letters %s at once, with the reason (never retried)", async (_case, spec, reason) => {
    // Act
    const result = await run(catalog(), record({ key: "uploads/m.png", ...spec }, "bad"));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(dlq.sent).toEqual([{ messageId: "bad", reason: expect.stringMatching(reason) }]);
  });

  it("retries (never dead-letters at once) when the uploads bucket is missing: a configuration problem", async () => {
    // Prepare: HEAD answers a missing bucket with a bodiless 404; the GET that confirms it says NoSuchBucket.
    const { GetObjectCommand, HeadObjectCommand } = await import("@aws-sdk/client-s3");
    const status404 = (name: string) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 } });
    s3.mock.on(HeadObjectCommand).rejects(status404("NotFound"));
    s3.mock.on(GetObjectCommand).rejects(status404("NoSuchBucket"));

    // Act
    const result = await run(
      cleanup(),
      record({ key: "uploads/z.png", eventName: "ObjectRemoved:Delete", sequencer: "0B" }, "cfg"),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "cfg" }]);
    expect(dlq.sent).toEqual([]);
  });
});

describe("last receive (every consumer: a transient failure on the queue's maxReceiveCount-th receive)", () => {
  const consumers = {
    renditions: () => renditions({ maxReceiveCount: 3 }),
    catalog: () => catalog({ maxReceiveCount: 3 }),
    cleanup: () => cleanup({ maxReceiveCount: 3 }),
  };
  const slowDown = () =>
    Object.assign(new Error("slow down"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });
  const onReceive = (spec: EventSpec, receives: number): SQSRecord => {
    const base = record(spec, `r${receives}`);
    return { ...base, attributes: { ...base.attributes, ApproximateReceiveCount: String(receives) } };
  };

  it.each(Object.keys(consumers) as Array<keyof typeof consumers>)(
    "%s retries before the last receive, then dead-letters the record with its reason (SQS would move it without one)",
    async (name) => {
      // Prepare: S3 keeps failing transiently for this key.
      const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
      s3.mock.on(HeadObjectCommand).rejects(slowDown());
      const eventName = name === "cleanup" ? "ObjectRemoved:Delete" : "ObjectCreated:Put";
      const spec = { key: "uploads/flaky.png", eventName, sequencer: "01", eTag: "e" };

      // Act
      const before = await run(consumers[name](), onReceive(spec, 2));
      const last = await run(consumers[name](), onReceive(spec, 3));

      // Assess
      expect(before.batchItemFailures).toEqual([{ itemIdentifier: "r2" }]);
      expect(last.batchItemFailures).toEqual([]);
      expect(dlq.sent).toEqual([
        { messageId: "r3", reason: expect.stringMatching(/transient.*slow down/is) },
      ]);
    },
  );
});

describe("hostile input (every consumer: a dead letter with its reason, the rest of the batch processed)", () => {
  const deep = (depth: number) => `${'{"Records":'.repeat(depth)}1${"}".repeat(depth)}`;
  const valid = () =>
    JSON.parse(record({ key: "uploads/x.png", sequencer: "01" }).body) as { Records: unknown[] };
  const withObject = (object: Record<string, unknown>) => {
    const event = valid() as { Records: Array<{ s3: { object: Record<string, unknown> } }> };
    Object.assign((event.Records[0] as { s3: { object: Record<string, unknown> } }).s3.object, object);
    return JSON.stringify(event);
  };
  const hostile: Array<[string, () => string]> = [
    ["malformed JSON", () => "{"],
    ["an empty body", () => ""],
    ["JSON null", () => "null"],
    ["Records of the wrong type", () => JSON.stringify({ Records: "all of them" })],
    [
      "a record without s3",
      () => JSON.stringify({ Records: [{ eventVersion: "2.1", eventSource: "aws:s3" }] }),
    ],
    ["deep nesting beyond the parser", () => deep(200_000)],
    ["a key with a malformed % sequence", () => withObject({ key: "uploads/%E0%A4%A" })],
    ["a key of 10,000 characters", () => withObject({ key: "k".repeat(10_000) })],
    ["a size of 1e400", () => withObject({ size: "__HUGE__" }).replace('"__HUGE__"', "1e400")],
    ["a negative size", () => withObject({ size: -1 })],
    [
      "an eventSource that is not S3",
      () => JSON.stringify({ Records: [{ ...(valid().Records[0] as object), eventSource: "aws:sqs" }] }),
    ],
    [
      "an event version 3",
      () => JSON.stringify({ Records: [{ ...(valid().Records[0] as object), eventVersion: "3.0" }] }),
    ],
  ];

  it.each(hostile)("%s", async (_case, bodyOf) => {
    // Prepare
    s3.put(UPLOADS, "uploads/fine.png", { body: await image("png", 40, 30), contentType: "image/png" });
    const bad = { ...record({ key: "uploads/fine.png" }), body: bodyOf(), messageId: "bad" };
    const good = record({ key: "uploads/fine.png", sequencer: "02" }, "good");

    // Act
    const results = [
      await run(renditions(), bad, good),
      await run(catalog(), bad, good),
      await run(cleanup(), bad),
    ];

    // Assess
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], [], []]);
    expect(dlq.sent.map((d) => d.messageId)).toEqual(["bad", "bad", "bad"]);
    for (const sent of dlq.sent) expect(sent.reason).toMatch(/\S/);
    expect(s3.keys(RENDITIONS)).toHaveLength(2);
    expect(table.sortKeys("uploads/fine.png")).toContain("v#null");
  });

  it("answers an empty batch with no failures", async () => {
    await expect(run(cleanup())).resolves.toEqual({ batchItemFailures: [] });
  });
});
