import { createHash, randomUUID } from "node:crypto";
import { s3ToSns } from "../../iam/deliveries";
import type { RecordLog } from "../../persist/journal";
import type { LocalContext } from "../../types";
import { isRecord } from "../../values";
import { s3RequestIds, s3UrlEncode } from "./identifiers";

/**
 * S3 event notifications: the bucket's configuration (from `aws:s3/bucketNotification:BucketNotification`),
 * which configurations an event matches (event type wildcards, prefix/suffix filters on the key), the
 * event message S3 sends (event version 2.1, one record per message, key URL-encoded with spaces as `+`),
 * and delivery to SNS (subject "Amazon S3 Notification"), SQS and Lambda (asynchronous invocation), and
 * to EventBridge ("Object Created"/"Object Deleted") when `eventbridge` is on.
 *
 * Delivery happens after the response, in order, once per matching configuration. A destination that
 * fails (topic or queue missing, emulator not running) is logged; S3 itself would have refused such a
 * configuration when it was put.
 */

/** One notification configuration of a bucket. */
export interface NotificationTarget {
  kind: "topic" | "queue" | "lambda";
  id: string;
  arn: string;
  events: string[];
  filterPrefix?: string;
  filterSuffix?: string;
}

/** A bucket's notification configuration. */
export interface NotificationConfig {
  targets: NotificationTarget[];
  eventbridge: boolean;
}

/** An object event, before it is shaped for a destination. */
export interface ObjectEvent {
  /** Without the `s3:` prefix, e.g. `ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`. */
  eventName: string;
  bucket: string;
  /** The key as stored (decoded). */
  key: string;
  size?: number;
  /** Unquoted. */
  eTag?: string;
  /** Present when the version is not the `null` version. */
  versionId?: string;
  sequencer: string;
  time: Date;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
  /** EventBridge `reason`: PutObject, CopyObject, CompleteMultipartUpload, DeleteObject, Lifecycle Expiration. */
  reason: string;
}

/** What S3's journal holds: events accepted and handed on, and notification configurations clients put. */
export type NotificationJournalRecord =
  | {
      kind: "pending";
      id: string;
      event: Omit<ObjectEvent, "time"> & { time: string };
      config: NotificationConfig;
    }
  | { kind: "delivered"; id: string }
  | { kind: "configuration"; bucket: string; config: NotificationConfig };

/** One delivery, as the `s3/events` view shows it. */
export interface DeliveryRecord {
  at: string;
  bucket: string;
  key: string;
  eventName: string;
  sequencer?: string;
  deliveries: Array<{ kind: string; arn: string; configurationId?: string; error?: string }>;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The notification configuration a BucketNotification resource declares. */
export function notificationConfig(inputs: Record<string, unknown>): NotificationConfig {
  const targets: NotificationTarget[] = [];
  const read = (list: unknown, kind: NotificationTarget["kind"], arnField: string) => {
    if (!Array.isArray(list)) return;
    for (const [index, entry] of list.entries()) {
      if (!isRecord(entry) || typeof entry[arnField] !== "string") continue;
      const arn = entry[arnField] as string;
      const id =
        typeof entry.id === "string" && entry.id !== ""
          ? entry.id
          : // S3 generates an id when none is given; a stable one keeps events comparable across runs.
            createHash("sha1").update(`${kind}:${arn}:${index}`).digest("base64").slice(0, 27);
      targets.push({
        kind,
        id,
        arn,
        events: strings(entry.events),
        ...(typeof entry.filterPrefix === "string" && entry.filterPrefix !== ""
          ? { filterPrefix: entry.filterPrefix }
          : {}),
        ...(typeof entry.filterSuffix === "string" && entry.filterSuffix !== ""
          ? { filterSuffix: entry.filterSuffix }
          : {}),
      });
    }
  };
  read(inputs.topics, "topic", "topicArn");
  read(inputs.queues, "queue", "queueArn");
  read(inputs.lambdaFunctions, "lambda", "lambdaFunctionArn");
  return { targets, eventbridge: inputs.eventbridge === true };
}

/** Whether a configured event type (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`) covers an event name. */
export function eventTypeMatches(pattern: string, eventName: string): boolean {
  const full = `s3:${eventName}`;
  if (pattern === full) return true;
  return pattern.endsWith(":*") && full.startsWith(pattern.slice(0, -1));
}

/** Whether a configuration wants the event (type and key filters). */
export function targetMatches(target: NotificationTarget, eventName: string, key: string): boolean {
  if (!target.events.some((pattern) => eventTypeMatches(pattern, eventName))) return false;
  if (target.filterPrefix !== undefined && !key.startsWith(target.filterPrefix)) return false;
  if (target.filterSuffix !== undefined && !key.endsWith(target.filterSuffix)) return false;
  return true;
}

/**
 * S3's sequencers: hexadecimal, increasing for successive events (across keys too, and across restarts:
 * they start from the clock), 16 upper-case digits, so that left-padding and comparing as strings orders
 * them.
 */
export class Sequencer {
  private last = 0n;

  next(): string {
    const fromClock = BigInt(Date.now()) << 20n;
    this.last = fromClock > this.last ? fromClock : this.last + 1n;
    return this.last.toString(16).toUpperCase().padStart(16, "0");
  }
}

/** A stable stand-in for the bucket owner's canonical id in event records. */
export function ownerPrincipal(accountId: string): string {
  return `A${createHash("sha1").update(accountId).digest("hex").slice(0, 13).toUpperCase()}`;
}

/** The S3 event message (one record) for one configuration, as S3 sends it. */
export function eventMessage(
  event: ObjectEvent,
  configurationId: string,
  ctx: { region: string; accountId: string },
): { Records: Array<Record<string, unknown>> } {
  const object: Record<string, unknown> = { key: s3UrlEncode(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.eTag !== undefined) object.eTag = event.eTag;
  if (event.versionId !== undefined) object.versionId = event.versionId;
  object.sequencer = event.sequencer;
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: ctx.region,
        eventTime: event.time.toISOString(),
        eventName: event.eventName,
        userIdentity: { principalId: event.principalId },
        requestParameters: { sourceIPAddress: event.sourceIp },
        responseElements: { "x-amz-request-id": event.requestId, "x-amz-id-2": event.hostId },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId,
          bucket: {
            name: event.bucket,
            ownerIdentity: { principalId: ownerPrincipal(ctx.accountId) },
            arn: `arn:aws:s3:::${event.bucket}`,
          },
          object,
        },
      },
    ],
  };
}

/** The EventBridge event S3 sends for an object event (keys are not URL-encoded there). */
export function eventBridgeEntry(
  event: ObjectEvent,
  accountId: string,
): {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources: string[];
  Time: Date;
} {
  const created = event.eventName.startsWith("ObjectCreated:");
  const object: Record<string, unknown> = { key: event.key };
  if (event.size !== undefined) object.size = event.size;
  if (event.eTag !== undefined) object.etag = event.eTag;
  if (event.versionId !== undefined) object["version-id"] = event.versionId;
  object.sequencer = event.sequencer;
  const detail: Record<string, unknown> = {
    version: "0",
    bucket: { name: event.bucket },
    object,
    "request-id": event.requestId,
    requester: accountId,
    "source-ip-address": event.sourceIp,
    reason: event.reason,
  };
  if (!created) {
    detail["deletion-type"] = event.eventName.endsWith("DeleteMarkerCreated")
      ? "Delete Marker Created"
      : "Permanently Deleted";
  }
  return {
    Source: "aws.s3",
    DetailType: created ? "Object Created" : "Object Deleted",
    Detail: JSON.stringify(detail),
    Resources: [`arn:aws:s3:::${event.bucket}`],
    Time: event.time,
  };
}

/** Delivers events to the configured destinations, asynchronously and in order. */
export class NotificationDispatcher {
  private readonly queue: Array<() => void> = [];
  private scheduled = false;
  private readonly recent: DeliveryRecord[] = [];

  constructor(
    private readonly ctx: LocalContext,
    private readonly recentLimit = 200,
    /** With --persist: every event is journaled when accepted and again when handed on, so a crash loses none. */
    private readonly journal?: RecordLog<NotificationJournalRecord>,
  ) {}

  /** Queues again the events a previous run accepted but had not handed on when it stopped (or crashed). */
  resumePending(records: NotificationJournalRecord[]): number {
    const done = new Set(records.flatMap((record) => (record.kind === "delivered" ? [record.id] : [])));
    let resumed = 0;
    for (const record of records) {
      if (record.kind !== "pending" || done.has(record.id)) continue;
      this.dispatch(record.id, { ...record.event, time: new Date(record.event.time) }, record.config);
      resumed++;
    }
    return resumed;
  }

  /** The last deliveries, oldest first. */
  history(): DeliveryRecord[] {
    return [...this.recent];
  }

  /** Queues the event for every configuration it matches. */
  emit(event: ObjectEvent, config: NotificationConfig | undefined): void {
    if (!config) return;
    const targets = config.targets.filter((target) => targetMatches(target, event.eventName, event.key));
    if (targets.length === 0 && !config.eventbridge) return;
    const id = randomUUID();
    this.journal?.append({
      kind: "pending",
      id,
      event: { ...event, time: event.time.toISOString() },
      config,
    });
    this.dispatch(id, event, config);
  }

  private dispatch(id: string, event: ObjectEvent, config: NotificationConfig): void {
    const targets = config.targets.filter((target) => targetMatches(target, event.eventName, event.key));
    this.enqueue(() => {
      const record: DeliveryRecord = {
        at: event.time.toISOString(),
        bucket: event.bucket,
        key: event.key,
        eventName: event.eventName,
        sequencer: event.sequencer,
        deliveries: [],
      };
      for (const target of targets) {
        const message = JSON.stringify(eventMessage(event, target.id, this.ctx));
        record.deliveries.push({
          kind: target.kind,
          arn: target.arn,
          configurationId: target.id,
          ...this.deliver(target, message),
        });
      }
      if (config.eventbridge) {
        const entry = eventBridgeEntry(event, this.ctx.accountId);
        const outcome = this.attempt(() => {
          const [result] = this.ctx.events.putEvents([entry]);
          if (result?.ErrorCode) throw new Error(`${result.ErrorCode}: ${result.ErrorMessage ?? ""}`);
        });
        record.deliveries.push({ kind: "eventbridge", arn: "default", ...outcome });
      }
      this.remember(record);
      this.journal?.append({ kind: "delivered", id });
    });
  }

  /** Queues S3's `s3:TestEvent` to each SNS topic and SQS queue of a configuration. */
  emitTestEvent(bucket: string, config: NotificationConfig): void {
    const seen = new Set<string>();
    for (const target of config.targets) {
      if (target.kind === "lambda" || seen.has(target.arn)) continue;
      seen.add(target.arn);
      this.enqueue(() => {
        const ids = s3RequestIds();
        const message = JSON.stringify({
          Service: "Amazon S3",
          Event: "s3:TestEvent",
          Time: new Date().toISOString(),
          Bucket: bucket,
          RequestId: ids.requestId,
          HostId: ids.hostId,
        });
        const outcome = this.attempt(() => this.send(target, message));
        this.remember({
          at: new Date().toISOString(),
          bucket,
          key: "",
          eventName: "s3:TestEvent",
          deliveries: [{ kind: target.kind, arn: target.arn, ...outcome }],
        });
      });
    }
  }

  private deliver(target: NotificationTarget, message: string): { error?: string } {
    if (target.kind === "lambda") {
      return this.attempt(() =>
        this.ctx.lambda.invokeAsync(target.arn, JSON.parse(message), { source: "aws:s3" }),
      );
    }
    return this.attempt(() => this.send(target, message));
  }

  private send(target: NotificationTarget, message: string): void {
    if (target.kind === "topic") {
      const check = s3ToSns(target.arn, message);
      // The source names the bucket (sourceArn) and the notification's id, which alone would not say whose it is.
      this.ctx.iam.deliverChecked(check, `${check.sourceArn} ${target.id}`, () =>
        this.ctx.sns.publish(target.arn, { message, subject: "Amazon S3 Notification" }),
      );
    } else if (target.kind === "queue") this.ctx.sqs.send(target.arn, { body: message });
  }

  private attempt(action: () => void): { error?: string } {
    try {
      action();
      return {};
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const text =
        error instanceof Error
          ? `${typeof code === "string" ? `${code}: ` : ""}${error.message}`
          : String(error);
      this.ctx.log.warn("s3: event notification not delivered", { error: text });
      return { error: text };
    }
  }

  private remember(record: DeliveryRecord): void {
    this.recent.push(record);
    if (this.recent.length > this.recentLimit) this.recent.shift();
  }

  private enqueue(task: () => void): void {
    this.queue.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (let task = this.queue.shift(); task; task = this.queue.shift()) {
        try {
          task();
        } catch (error) {
          this.ctx.log.error("s3: event delivery failed", { error: String(error) });
        }
      }
    });
  }

  /** Resolves once every queued delivery ran (for tests and shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) await new Promise((resolve) => setImmediate(resolve));
  }
}
