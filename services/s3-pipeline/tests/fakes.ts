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

export const UPLOADS = "media-uploads-abc";
export const RENDITIONS = "media-renditions-abc";
export const TABLE_NAME = "media-catalog";

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
}

const notFound = (name: string) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 } });

/** In-memory S3 behind aws-sdk-client-mock: buckets of objects, keyed `bucket/key`. */
export function fakeS3() {
  const objects = new Map<string, StoredObject>();
  const mock = mockClient(S3Client);
  const at = (bucket?: string, key?: string) => `${bucket}/${key}`;
  mock.on(HeadObjectCommand).callsFake((input) => {
    const object = objects.get(at(input.Bucket, input.Key));
    if (!object) throw notFound("NotFound");
    return {
      ContentType: object.contentType,
      ContentLength: object.body.length,
      Metadata: object.metadata ?? {},
    };
  });
  mock.on(GetObjectCommand).callsFake((input) => {
    const object = objects.get(at(input.Bucket, input.Key));
    if (!object) throw notFound("NoSuchKey");
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
    put: (bucket: string, key: string, object: StoredObject) => objects.set(at(bucket, key), object),
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
  const holds = (
    condition: string | undefined,
    existing: Item | undefined,
    values: Record<string, unknown> = {},
  ) => {
    if (!condition) return true;
    if (existing === undefined) return condition.includes("attribute_not_exists(#pk)");
    const seq = String(values[":seq"]);
    if (condition.includes("#seq <= :seq")) return String(existing.sequencer) <= seq;
    if (condition.includes("#seq < :seq")) return String(existing.sequencer) < seq;
    return false;
  };
  mock.on(UpdateCommand).callsFake((input) => {
    const existing = items.get(id(input.Key));
    if (!holds(input.ConditionExpression, existing, input.ExpressionAttributeValues)) throw conditionFailed();
    items.set(id(input.Key), {
      ...existing,
      ...input.Key,
      sequencer: input.ExpressionAttributeValues?.[":seq"],
      eventName: input.ExpressionAttributeValues?.[":event"],
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
