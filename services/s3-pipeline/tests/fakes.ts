import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { LoggerLike } from "@switchyard/runtime-kit";
import { mockClient } from "aws-sdk-client-mock";
import sharp from "sharp";
import { vi } from "vitest";

export const UPLOADS = "s3-pipeline-uploads-abc";
export const RENDITIONS = "s3-pipeline-renditions-abc";
export const TABLE_NAME = "s3-pipeline-catalog";

/** A small generated image (a gradient, so resizing has something to do). */
export async function image(format: "jpeg" | "png" | "webp", width = 640, height = 480): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    const x = (i / 3) % width;
    pixels[i] = (x * 255) / width;
    pixels[i + 1] = 128;
    pixels[i + 2] = 255 - (pixels[i] ?? 0);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Set for objects of a versioned bucket. */
  versionId?: string;
}

/** S3's ETag of a single-part upload: the MD5 of the bytes (quoted in headers, bare in events). */
export const etagOf = (body: Buffer): string => createHash("md5").update(body).digest("hex");

const notFound = (name: string) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 } });

/**
 * In-memory S3 behind aws-sdk-client-mock: buckets of objects, keyed `bucket/key`, with their ETags, and the
 * versions of versioned objects (`put` with a `versionId`) readable by version id.
 */
export function fakeS3() {
  const objects = new Map<string, StoredObject>();
  const versions = new Map<string, StoredObject>();
  const mock = mockClient(S3Client);
  const at = (bucket?: string, key?: string) => `${bucket}/${key}`;
  const find = (input: { Bucket?: string; Key?: string; VersionId?: string }) =>
    input.VersionId !== undefined
      ? versions.get(`${at(input.Bucket, input.Key)}#${input.VersionId}`)
      : objects.get(at(input.Bucket, input.Key));
  mock.on(HeadObjectCommand).callsFake((input) => {
    const object = find(input);
    if (!object) throw notFound("NotFound");
    return {
      ContentType: object.contentType,
      ContentLength: object.body.length,
      ETag: `"${etagOf(object.body)}"`,
      ...(object.versionId ? { VersionId: object.versionId } : {}),
      Metadata: object.metadata ?? {},
    };
  });
  mock.on(GetObjectCommand).callsFake((input) => {
    const object = find(input);
    if (!object) throw notFound(input.VersionId !== undefined ? "NoSuchVersion" : "NoSuchKey");
    // Several chunks, as a network stream delivers them.
    const chunks = [];
    for (let i = 0; i < object.body.length; i += 1024) chunks.push(object.body.subarray(i, i + 1024));
    return { Body: Readable.from(chunks), ContentType: object.contentType };
  });
  mock.on(PutObjectCommand).callsFake((input) => {
    objects.set(at(input.Bucket, input.Key), {
      body: Buffer.from(input.Body as Uint8Array),
      contentType: input.ContentType,
      metadata: input.Metadata,
    });
    return {};
  });
  mock.on(DeleteObjectsCommand).callsFake((input) => {
    for (const { Key } of input.Delete?.Objects ?? []) objects.delete(at(input.Bucket, Key));
    return { Deleted: input.Delete?.Objects ?? [] };
  });
  const client = new S3Client({ region: "us-east-1" });
  return {
    mock,
    client,
    objects,
    put: (bucket: string, key: string, object: StoredObject) => {
      objects.set(at(bucket, key), object);
      if (object.versionId) versions.set(`${at(bucket, key)}#${object.versionId}`, object);
    },
    /** Removes the current object (a delete, or a delete marker: versions stay readable by id). */
    remove: (bucket: string, key: string) => objects.delete(at(bucket, key)),
    /** Removes one version for good. */
    removeVersion: (bucket: string, key: string, versionId: string) => {
      versions.delete(`${at(bucket, key)}#${versionId}`);
      if (objects.get(at(bucket, key))?.versionId === versionId) objects.delete(at(bucket, key));
    },
    /** The bare ETag of the current object (what S3 puts in an ObjectCreated event). */
    etag: (bucket: string, key: string) => {
      const object = objects.get(at(bucket, key));
      return object ? etagOf(object.body) : undefined;
    },
    keys: (bucket: string) =>
      [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/`))
        .map((k) => k.slice(bucket.length + 1))
        .sort(),
  };
}

type Item = Record<string, unknown>;
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

/**
 * In-memory DynamoDB table for the pipeline's few access patterns. It evaluates the condition expressions the
 * adapter sends (`attribute_not_exists(#pk) OR #seq <= :seq`, `... < :seq`), so idempotency and the stale-event
 * gate are exercised for real.
 */
export function fakeTable() {
  const items = new Map<string, Item>();
  const id = (key: Record<string, unknown> | undefined) => `${key?.pk}|${key?.sk}`;
  const mock = mockClient(DynamoDBDocumentClient);
  // Each OR-ed clause of the adapter's conditions, evaluated on the existing item.
  const clause = (text: string, existing: Item | undefined, values: Record<string, unknown>): boolean => {
    const seq = String(values[":seq"]);
    switch (text.trim()) {
      case "attribute_not_exists(#pk)":
        return existing === undefined;
      case "#seq <= :seq":
        return existing !== undefined && String(existing.sequencer) <= seq;
      case "#seq < :seq":
        return existing !== undefined && String(existing.sequencer) < seq;
      case "#seq = :recorded":
        return existing !== undefined && existing.sequencer === values[":recorded"];
      case "#etag <> :etag":
        return existing !== undefined && existing.eTag !== values[":etag"];
      default:
        throw new Error(`the fake table does not know the condition ${text}`);
    }
  };
  const holds = (
    condition: string | undefined,
    existing: Item | undefined,
    values: Record<string, unknown> = {},
  ) => !condition || condition.split(" OR ").some((text) => clause(text, existing, values));
  mock.on(UpdateCommand).callsFake((input) => {
    const existing = items.get(id(input.Key));
    if (!holds(input.ConditionExpression, existing, input.ExpressionAttributeValues)) throw conditionFailed();
    items.set(id(input.Key), {
      ...existing,
      ...input.Key,
      sequencer: input.ExpressionAttributeValues?.[":seq"],
      eventName: input.ExpressionAttributeValues?.[":event"],
      state: input.ExpressionAttributeValues?.[":state"],
    });
    return {};
  });
  mock.on(PutCommand).callsFake((input) => {
    const item = input.Item as Item;
    const existing = items.get(id(item));
    if (!holds(input.ConditionExpression, existing, input.ExpressionAttributeValues)) throw conditionFailed();
    items.set(id(item), item);
    return {};
  });
  mock.on(GetCommand).callsFake((input) => ({ Item: items.get(id(input.Key)) }));
  mock.on(DeleteCommand).callsFake((input) => {
    items.delete(id(input.Key));
    return {};
  });
  mock.on(QueryCommand).callsFake((input) => {
    const pk = input.ExpressionAttributeValues?.[":pk"];
    const prefix = String(input.ExpressionAttributeValues?.[":prefix"]);
    return {
      Items: [...items.values()]
        .filter((item) => item.pk === pk && String(item.sk).startsWith(prefix))
        .map((item) => ({ sk: item.sk })),
    };
  });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
  return {
    mock,
    client,
    items,
    get: (pk: string, sk: string) => items.get(`${pk}|${sk}`),
    sortKeys: (pk: string) =>
      [...items.values()]
        .filter((item) => item.pk === pk)
        .map((item) => String(item.sk))
        .sort(),
  };
}

/** A logger that records its lines. */
export function recordingLogger() {
  const lines: Array<{ level: string; message: string; extra?: unknown }> = [];
  const log = (level: string) =>
    vi.fn((message: unknown, extra?: unknown) => {
      lines.push({ level, message: String(message), extra });
    });
  const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return { logger: logger as unknown as LoggerLike, lines };
}

/** A dead-letter adapter that records what it was given. */
export function recordingDeadLetter() {
  const sent: Array<{ messageId: string; reason: string }> = [];
  return {
    sent,
    adapter: {
      async send(record: { messageId: string }, reason: string) {
        sent.push({ messageId: record.messageId, reason });
      },
    },
  };
}

export { SQSClient };
