import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { LocalResource } from "@switchyard/local-cloud";
import WebSocket from "ws";

/**
 * Helpers of the end-to-end scenarios against the local cloud: timing-robust waits, the real AWS SDK v3
 * clients pointed at the engine, a WebSocket client that records every frame, the local read-only views,
 * and small lookups into what the program registered.
 */

/** Credentials the engine accepts (any): requests are signed, the signing name routes them. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface WaitOptions {
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 100 */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns without throwing (assertions included) and returns its value; after
 * `timeoutMs` rethrows the last failure, so the test reports what was still wrong. Never a fixed sleep.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  if (lastError instanceof Error) {
    lastError.message = `still failing after ${timeoutMs} ms: ${lastError.message}`;
  }
  throw lastError;
}

/** The SDK clients the scenarios drive the cloud with, all on the engine's one endpoint. */
export function awsClients(endpoint: string) {
  const config = { endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS };
  return {
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    events: new EventBridgeClient(config),
    dynamodb: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    cloudwatch: new CloudWatchClient(config),
    sms: new PinpointSMSVoiceV2Client(config),
    /** `@connections` of a WebSocket stage (`https://…/<stage>` in AWS; the local stage URL here). */
    connections: (stageUrl: string) =>
      new ApiGatewayManagementApiClient({ ...config, endpoint: stageUrl.replace(/^ws/, "http") }),
  };
}
export type AwsClients = ReturnType<typeof awsClients>;

/**
 * Credentials of a role of the stack, through the local STS (`AssumeRole` by the administrator): the local
 * cloud enforces IAM, so a scenario that plays a publisher signs as that publisher's role.
 */
export async function assumeRole(endpoint: string, roleArn: string, sessionName = "e2e") {
  const sts = new STSClient({ endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
    };
  } finally {
    sts.destroy();
  }
}

/** Destroys every client (their sockets would keep the worker alive). */
export function destroyClients(clients: AwsClients): void {
  for (const client of [
    clients.sqs,
    clients.sns,
    clients.events,
    clients.dynamodb,
    clients.s3,
    clients.cloudwatch,
    clients.sms,
  ]) {
    client.destroy();
  }
}

/** `GET <endpoint>/_local/<route>?<query>`: the engine's read-only JSON views (unsigned). */
export async function localView<T = unknown>(
  endpoint: string,
  route: string,
  query: Record<string, string> = {},
): Promise<T> {
  const url = new URL(`/_local/${route}`, endpoint);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url.pathname}${url.search} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A refusal the local cloud's IAM recorded (`/_local/iam/denials`). */
export interface RecordedDenial {
  principal: string;
  action: string;
  resource: string;
  at: string;
  source?: string;
  reason?: string;
}

/** The refusals IAM recorded at or after `since` (an ISO time taken before the act under test). */
export async function denialsSince(endpoint: string, since: string): Promise<RecordedDenial[]> {
  const { denials } = await localView<{ denials: RecordedDenial[] }>(endpoint, "iam/denials");
  return denials.filter((denial) => denial.at >= since);
}

/** The one registered resource of a type with that logical name. @throws when there is none or several */
export function resourceNamed(
  resources: readonly LocalResource[],
  type: string,
  name: string,
): LocalResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    const names = resources.filter((r) => r.type === type).map((r) => r.name);
    throw new Error(
      `expected one ${type} named ${name} (found ${found.length}; that type has: ${names.join(", ")})`,
    );
  }
  return found[0] as LocalResource;
}

/** A string output of a registered resource (`name`, `arn`, `bucket`, …). */
export function outputOf(
  resources: readonly LocalResource[],
  type: string,
  name: string,
  key: string,
): string {
  const value = resourceNamed(resources, type, name).outputs[key];
  if (typeof value !== "string" || value === "")
    throw new Error(`${type} ${name} has no string output ${key}`);
  return value;
}

/** Physical name of a queue the program declared, by logical name (e.g. `orders-inventory-queue`). */
export const queueName = (resources: readonly LocalResource[], logicalName: string): string =>
  outputOf(resources, "aws:sqs/queue:Queue", logicalName, "name");

/** Physical name of a table the program declared, by logical name. */
export const tableName = (resources: readonly LocalResource[], logicalName: string): string =>
  outputOf(resources, "aws:dynamodb/table:Table", logicalName, "name");

/** A queue's URL, asked of SQS itself (GetQueueUrl). */
export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`GetQueueUrl ${name} returned no URL`);
  return QueueUrl;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** ApproximateNumberOfMessages / NotVisible / Delayed, through GetQueueAttributes. */
export async function queueCounts(sqs: SQSClient, url: string): Promise<QueueCounts> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? Number.NaN),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? Number.NaN),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? Number.NaN),
  };
}

/** A DynamoDB item as plain values (S, N, BOOL, NULL, L, M, SS, NS; binary as base64). */
export type PlainItem = Record<string, unknown>;

function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plain);
  if (value.M !== undefined) return unmarshall(value.M);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return Buffer.from(value.B).toString("base64");
  return undefined;
}

/** Plain values of a DynamoDB item. */
export function unmarshall(item: Record<string, AttributeValue>): PlainItem {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, plain(value)]));
}

/** A string attribute value. */
export const S = (value: string): AttributeValue => ({ S: value });
/** A number attribute value. */
export const N = (value: number): AttributeValue => ({ N: String(value) });

/** A JSON frame a WebSocket client received, with when it arrived. */
export interface ReceivedFrame {
  data: Record<string, unknown>;
  at: number;
}

/** A WebSocket client that keeps every frame it receives, for assertions. */
export class RecordingSocket {
  readonly frames: ReceivedFrame[] = [];
  private closedAt: number | undefined;
  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { unparsable: text };
      }
      this.frames.push({ data: parsed, at: Date.now() });
    });
    socket.on("close", () => {
      this.closedAt = Date.now();
    });
  }

  /** Opens `url`; resolves once the upgrade succeeded. @throws UpgradeRefused when the server answers non-101 */
  static open(
    url: string,
    options: { protocols?: string[]; timeoutMs?: number } = {},
  ): Promise<RecordingSocket> {
    const socket = new WebSocket(url, options.protocols ?? [], {
      handshakeTimeout: options.timeoutMs ?? 15_000,
    });
    const recording = new RecordingSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(recording));
      socket.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        res.on("end", () => {
          socket.terminate();
          reject(new UpgradeRefused(res.statusCode ?? 0, body));
        });
        res.on("error", () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
      });
      socket.once("error", (error) => reject(error));
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN && this.closedAt === undefined;
  }

  /** Sends a JSON frame. */
  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Waits for a frame received since `since` (ms epoch, default: any) that `match` accepts. */
  async waitFor(
    match: (frame: Record<string, unknown>) => boolean,
    options: WaitOptions & { since?: number } = {},
  ): Promise<Record<string, unknown>> {
    const since = options.since ?? 0;
    return eventually(
      () => {
        const found = this.frames.find((f) => f.at >= since && match(f.data));
        if (!found) {
          throw new Error(
            `no matching frame yet; received: ${JSON.stringify(this.frames.map((f) => f.data)).slice(0, 2_000)}`,
          );
        }
        return found.data;
      },
      { timeoutMs: options.timeoutMs ?? 10_000, intervalMs: options.intervalMs ?? 50 },
    );
  }

  /** Closes the socket and waits for the close to complete (or 2 s). */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2_000);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
      else this.socket.close(1000, "test done");
    });
  }
}

/** The server refused the WebSocket upgrade with an HTTP status. */
export class UpgradeRefused extends Error {
  override name = "UpgradeRefused";
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`WebSocket upgrade refused with HTTP ${statusCode}: ${body.slice(0, 300)}`);
  }
}

/** The largest number of `weight`s whose times fall in any window of `windowMs` (sliding, start inclusive). */
export function maxInWindow(events: ReadonlyArray<{ at: number; weight: number }>, windowMs: number): number {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    sum += (sorted[end] as { weight: number }).weight;
    while ((sorted[end] as { at: number }).at - (sorted[start] as { at: number }).at >= windowMs) {
      sum -= (sorted[start] as { weight: number }).weight;
      start++;
    }
    best = Math.max(best, sum);
  }
  return best;
}

/** A run-unique suffix, so names never collide with what an earlier scenario (or run) left behind. */
export const unique = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
