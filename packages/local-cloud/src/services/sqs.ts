import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonOperation, md5, parseJsonBody, sendJson, sendJsonError } from "../protocol";
import {
  type InternalSendInput,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type MessageAttributeValue,
  type QueueDepth,
  type ReceivedMessage,
  type ServiceEmulator,
  type SqsEngine,
} from "../types";
import {
  attributeMap,
  attributeSelector,
  checkBatchIds,
  checkCharacters,
  checkFifoToken,
  DEDUP_WINDOW_SECONDS,
  intParam,
  invalidParameter,
  MAX_BATCH_ENTRIES,
  MAX_DELAY_SECONDS,
  MAX_MESSAGE_SIZE,
  MAX_RETENTION_SECONDS,
  MAX_VISIBILITY_TIMEOUT,
  MAX_WAIT_SECONDS,
  MIN_MESSAGE_SIZE,
  MIN_RETENTION_SECONDS,
  md5OfMessageAttributes,
  messageSize,
  missingParameter,
  parseJsonInput,
  queueDoesNotExist,
  requiredString,
  SQS_NAMESPACE,
  SYSTEM_ATTRIBUTE_NAMES,
  sha256,
  sqsError,
  stringList,
  stringMap,
  stringParam,
  validateMessageAttributes,
} from "./sqs-model";

/**
 * The local SQS: queues provisioned from the program's `aws:sqs/queue:Queue` resources (plus
 * `aws:sqs/redriveAllowPolicy:RedriveAllowPolicy`, `aws:sqs/redrivePolicy:RedrivePolicy` and
 * `aws:sqs/queuePolicy:QueuePolicy`, recorded), served over the SQS JSON protocol (AwsJson1_0,
 * `X-Amz-Target: AmazonSQS.<Op>`, awsQuery-compatible errors) that `@aws-sdk/client-sqs` v3 speaks, and
 * to the other emulators through {@link SqsEngine}. Both paths apply the same rules: sizes, attributes,
 * delays, visibility timeouts, receive counts and redrive to the dead-letter queue (refused when the
 * DLQ's redrive allow policy does not list the source), FIFO groups, deduplication and sequence numbers,
 * retention, and DLQ redrive move tasks.
 *
 * Operations: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch),
 * GetQueueUrl, GetQueueAttributes, SetQueueAttributes, ListQueues, ListDeadLetterSourceQueues,
 * PurgeQueue, CreateQueue, DeleteQueue, ListQueueTags, TagQueue, UntagQueue, StartMessageMoveTask,
 * ListMessageMoveTasks, CancelMessageMoveTask.
 *
 * A request's QueueUrl may name any host: the queue is found by its `/<account>/<name>` path, so the
 * AWS-shaped URL in the program's outputs works as well as the local one.
 *
 * State is in memory only: queues are re-created from the program on every start and messages do not
 * survive a restart (even with `--persist`).
 */

/** Options of {@link createSqs}. */
export interface SqsOptions {
  /**
   * How many real milliseconds one SQS second lasts: visibility timeouts, delays, long-poll waits,
   * retention, the deduplication window, the purge cooldown and move-task rates are all scaled by it
   * (tests use e.g. 50 so a 1 s visibility timeout lasts 50 ms). Timestamps stay real epoch times.
   * @default 1000
   */
  msPerSecond?: number;
  /** Seconds after a PurgeQueue during which another purge of that queue fails (AWS: 60). @default 60 */
  purgeCooldownSeconds?: number;
}

interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

interface QueueConfig {
  visibilityTimeout: number;
  delaySeconds: number;
  receiveWaitTimeSeconds: number;
  retentionSeconds: number;
  maxMessageSize: number;
  redrivePolicy?: RedrivePolicy;
  /** The raw JSON, as GetQueueAttributes returns it. */
  redrivePolicyJson?: string;
  redriveAllowPolicyJson?: string;
  policy?: string;
  contentBasedDeduplication: boolean;
  deduplicationScope: "queue" | "messageGroup";
  fifoThroughputLimit: "perQueue" | "perMessageGroupId";
  sqsManagedSseEnabled: boolean;
  kmsMasterKeyId?: string;
  kmsDataKeyReusePeriodSeconds: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  traceHeader?: string;
  senderId: string;
  /** SentTimestamp (epoch ms). */
  sentTimestamp: number;
  /** When retention and ApproximateAgeOfOldestMessage count from (epoch ms). */
  enqueuedAt: number;
  expiresAt: number;
  /** Delayed until (epoch ms); 0 when not delayed. */
  delayUntil: number;
  /** In flight until (epoch ms); 0 when never received. */
  inflightUntil: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The latest receipt handle: older ones no longer delete or change the message. */
  receiptHandle?: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  deadLetterSourceArn?: string;
}

interface QueueState {
  name: string;
  arn: string;
  url: string;
  fifo: boolean;
  config: QueueConfig;
  createdAt: number;
  lastModifiedAt: number;
  tags: Record<string, string>;
  /** Enqueue order (Map iteration order). */
  messages: Map<string, StoredMessage>;
  dedup: Map<string, { expiresAt: number; messageId: string; sequenceNumber?: string }>;
  waiters: Set<() => void>;
  lastSequence: bigint;
  lastPurgeAt?: number;
  lastSweepAt: number;
  deleted?: boolean;
}

type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

interface MoveTask {
  taskHandle: string;
  sourceArn: string;
  destinationArn?: string;
  rate?: number;
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
  failureReason?: string;
  startedAt: number;
  /** Message ids to move, oldest first. */
  pending: string[];
  budget: number;
  lastTick: number;
  timer?: NodeJS.Timeout;
}

const SYSTEM_SENDER = (ctx: LocalContext): string => ctx.accountId;

/**
 * Creates the SQS emulator (signing name `sqs`). Admin views: `sqs/queues` (every queue with its depth,
 * DLQ and move tasks) and `sqs/messages?queue=<name|arn|url>` (a peek that does not receive).
 */
export function createSqs(ctx: LocalContext, options: SqsOptions = {}): ServiceEmulator & SqsEngine {
  return new SqsEmulator(ctx, options);
}

class SqsEmulator implements ServiceEmulator, SqsEngine {
  readonly signingNames = ["sqs"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;

  private readonly queues = new Map<string, QueueState>();
  private readonly byArn = new Map<string, QueueState>();
  /** Redrive allow policies and queue policies declared by separate resources, by queue name. */
  private readonly allowPolicies = new Map<string, string>();
  private readonly queuePolicies = new Map<string, string>();
  private readonly redrivePolicies = new Map<string, string>();
  private readonly moveTasks = new Map<string, MoveTask[]>();
  private readonly warned = new Set<string>();
  private readonly msPerSecond: number;
  private readonly purgeCooldownSeconds: number;
  private stopped = false;

  constructor(
    private readonly ctx: LocalContext,
    options: SqsOptions,
  ) {
    this.msPerSecond = options.msPerSecond ?? 1000;
    this.purgeCooldownSeconds = options.purgeCooldownSeconds ?? 60;
    this.adminRoutes = {
      "sqs/queues": () => this.adminQueues(),
      "sqs/messages": (query) => this.adminMessages(query),
    };
  }

  // ---------------------------------------------------------------- provisioning

  provision(resource: LocalResource): void {
    const inputs = (resource.inputs ?? {}) as Record<string, unknown>;
    const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
    switch (resource.type) {
      case "aws:sqs/queue:Queue":
        this.provisionQueue(resource, inputs, outputs);
        return;
      // Policies attached to a queue by URL; kept by queue name (the queue may be provisioned after them).
      case "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy":
        this.attachPolicy(inputs, "redriveAllowPolicy", this.allowPolicies, (queue, json) => {
          queue.config.redriveAllowPolicyJson = json;
        });
        return;
      case "aws:sqs/redrivePolicy:RedrivePolicy":
        this.attachPolicy(inputs, "redrivePolicy", this.redrivePolicies, (queue, json) => {
          this.setRedrivePolicy(queue, json, false);
        });
        return;
      case "aws:sqs/queuePolicy:QueuePolicy":
        this.attachPolicy(inputs, "policy", this.queuePolicies, (queue, json) => {
          queue.config.policy = json;
        });
        return;
      default:
        return;
    }
  }

  private attachPolicy(
    inputs: Record<string, unknown>,
    key: string,
    byName: Map<string, string>,
    apply: (queue: QueueState, json: string) => void,
  ): void {
    const name = this.nameFromUrl(inputs.queueUrl);
    const policy = inputs[key];
    if (!name || policy === undefined) return;
    const json = typeof policy === "string" ? policy : JSON.stringify(policy);
    byName.set(name, json);
    const queue = this.queues.get(name);
    if (queue) apply(queue, json);
  }

  private provisionQueue(
    resource: LocalResource,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown>,
  ): void {
    const fifo = inputs.fifoQueue === true || inputs.fifoQueue === "true";
    let name =
      typeof outputs.name === "string"
        ? outputs.name
        : typeof inputs.name === "string"
          ? inputs.name
          : resource.name;
    if (fifo && !name.endsWith(".fifo")) name = `${name}.fifo`;
    const arn =
      typeof outputs.arn === "string"
        ? outputs.arn
        : `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`;
    const num = (value: unknown, fallback: number): number => {
      const parsed = typeof value === "string" ? Number(value) : value;
      return typeof parsed === "number" && Number.isFinite(parsed) ? parsed : fallback;
    };
    const config: QueueConfig = {
      visibilityTimeout: num(inputs.visibilityTimeoutSeconds, 30),
      delaySeconds: num(inputs.delaySeconds, 0),
      receiveWaitTimeSeconds: num(inputs.receiveWaitTimeSeconds, 0),
      retentionSeconds: num(inputs.messageRetentionSeconds, 345_600),
      maxMessageSize: num(inputs.maxMessageSize, MAX_MESSAGE_SIZE),
      contentBasedDeduplication:
        inputs.contentBasedDeduplication === true || inputs.contentBasedDeduplication === "true",
      deduplicationScope: inputs.deduplicationScope === "messageGroup" ? "messageGroup" : "queue",
      fifoThroughputLimit:
        inputs.fifoThroughputLimit === "perMessageGroupId" ? "perMessageGroupId" : "perQueue",
      sqsManagedSseEnabled:
        inputs.sqsManagedSseEnabled !== false && typeof inputs.kmsMasterKeyId !== "string",
      kmsMasterKeyId: typeof inputs.kmsMasterKeyId === "string" ? inputs.kmsMasterKeyId : undefined,
      kmsDataKeyReusePeriodSeconds: num(inputs.kmsDataKeyReusePeriodSeconds, 300),
      policy:
        typeof inputs.policy === "string" && inputs.policy !== ""
          ? inputs.policy
          : this.queuePolicies.get(name),
      redriveAllowPolicyJson:
        typeof inputs.redriveAllowPolicy === "string" && inputs.redriveAllowPolicy !== ""
          ? inputs.redriveAllowPolicy
          : this.allowPolicies.get(name),
    };
    const tags = (typeof inputs.tags === "object" && inputs.tags !== null ? inputs.tags : {}) as Record<
      string,
      string
    >;
    const existing = this.queues.get(name);
    const queue = existing ?? this.newQueue(name, arn, fifo, config, tags);
    if (existing) {
      existing.config = { ...config, redrivePolicy: undefined };
      existing.tags = tags;
      existing.lastModifiedAt = Date.now();
    }
    const redrive = inputs.redrivePolicy ?? this.redrivePolicies.get(name);
    if (redrive !== undefined && redrive !== "") {
      this.setRedrivePolicy(queue, typeof redrive === "string" ? redrive : JSON.stringify(redrive), false);
    }
    this.ctx.log.debug("sqs: queue provisioned", { name, fifo });
  }

  private newQueue(
    name: string,
    arn: string,
    fifo: boolean,
    config: QueueConfig,
    tags: Record<string, string>,
  ): QueueState {
    const now = Date.now();
    const queue: QueueState = {
      name,
      arn,
      url: `${this.ctx.endpoint}/${this.ctx.accountId}/${name}`,
      fifo,
      config,
      createdAt: now,
      lastModifiedAt: now,
      tags: { ...tags },
      messages: new Map(),
      dedup: new Map(),
      waiters: new Set(),
      lastSequence: 0n,
      lastSweepAt: now,
    };
    this.queues.set(name, queue);
    this.byArn.set(arn, queue);
    return queue;
  }

  /** Parses and stores a RedrivePolicy; `strict` (the wire API) throws on invalid ones, provisioning logs. */
  private setRedrivePolicy(queue: QueueState, json: string, strict: boolean): void {
    const parsed = parseJsonInput(json);
    const target = parsed?.deadLetterTargetArn;
    const count = Number(parsed?.maxReceiveCount);
    if (typeof target !== "string" || !Number.isInteger(count) || count < 1 || count > 1000) {
      const error = invalidParameter(
        "Attributes",
        json,
        "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount (1-1000).",
      );
      if (strict) throw error;
      this.ctx.log.warn(`sqs: ignoring the invalid redrive policy of ${queue.name}`, { redrivePolicy: json });
      return;
    }
    queue.config.redrivePolicy = { deadLetterTargetArn: target, maxReceiveCount: count };
    queue.config.redrivePolicyJson = JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: count });
  }

  start(): void {
    for (const queue of this.queues.values()) {
      const redrive = queue.config.redrivePolicy;
      if (!redrive) continue;
      const dlq = this.byArn.get(redrive.deadLetterTargetArn);
      if (!dlq) {
        this.ctx.log.warn(`sqs: the dead-letter queue of ${queue.name} does not exist`, {
          deadLetterTargetArn: redrive.deadLetterTargetArn,
        });
      } else if (dlq.fifo !== queue.fifo) {
        this.ctx.log.warn(
          `sqs: the dead-letter queue of ${queue.name} must be ${queue.fifo ? "a FIFO" : "a standard"} queue like its source`,
          { deadLetterTargetArn: redrive.deadLetterTargetArn },
        );
      } else if (!this.redriveAllowed(dlq, queue)) {
        this.ctx.log.warn(
          `sqs: the redrive allow policy of ${dlq.name} does not allow ${queue.name} as a source`,
          {
            redriveAllowPolicy: dlq.config.redriveAllowPolicyJson,
          },
        );
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const tasks of this.moveTasks.values()) {
      for (const task of tasks) if (task.timer) clearInterval(task.timer);
    }
    for (const queue of this.queues.values()) this.notify(queue);
  }

  // ---------------------------------------------------------------- lookups

  private nameFromUrl(url: unknown): string | undefined {
    if (typeof url !== "string" || url === "") return undefined;
    let path = url;
    try {
      path = new URL(url).pathname;
    } catch {
      // not a URL: treat as a path
    }
    const parts = path.split("/").filter(Boolean);
    return parts[parts.length - 1];
  }

  /** A queue by its URL, from any host: `<anything>/<account>/<name>`. */
  private queueByUrl(url: string): QueueState {
    let path = url;
    try {
      path = new URL(url).pathname;
    } catch {
      // a bare path
    }
    const parts = path.split("/").filter(Boolean);
    if (parts.length >= 2) {
      const name = decodeURIComponent(parts[parts.length - 1] as string);
      const account = parts[parts.length - 2];
      const queue = this.queues.get(name);
      if (queue && account === this.ctx.accountId) return queue;
    }
    throw queueDoesNotExist();
  }

  /** A queue by ARN (the engine API), URL or name. */
  private queueByRef(ref: string): QueueState {
    const queue = this.byArn.get(ref) ?? this.queues.get(ref);
    if (queue) return queue;
    if (ref.includes("/")) return this.queueByUrl(ref);
    if (ref.startsWith("arn:")) {
      const name = ref.split(":").pop();
      const byName = name ? this.queues.get(name) : undefined;
      if (byName) return byName;
    }
    throw queueDoesNotExist();
  }

  private redriveAllowed(dlq: QueueState, source: QueueState): boolean {
    const policy = parseJsonInput(dlq.config.redriveAllowPolicyJson);
    if (!policy) return true;
    const permission = policy.redrivePermission;
    if (permission === "denyAll") return false;
    if (permission === "byQueue") {
      const arns = Array.isArray(policy.sourceQueueArns) ? policy.sourceQueueArns : [];
      return arns.includes(source.arn);
    }
    return true;
  }

  private sourcesOf(dlq: QueueState): QueueState[] {
    return [...this.queues.values()].filter(
      (queue) => queue.config.redrivePolicy?.deadLetterTargetArn === dlq.arn,
    );
  }

  // ---------------------------------------------------------------- time and state

  private ms(seconds: number): number {
    return seconds * this.msPerSecond;
  }

  private stateOf(message: StoredMessage, now: number): "visible" | "inFlight" | "delayed" {
    if (message.inflightUntil > now) return "inFlight";
    if (message.delayUntil > now) return "delayed";
    return "visible";
  }

  /**
   * Drops messages past retention and expired deduplication ids; at most once per (scaled) second per
   * queue, so a deep queue is not scanned on every send. Readers check expiry themselves as well.
   */
  private sweep(queue: QueueState, now: number, force = false): void {
    if (!force && now - queue.lastSweepAt < Math.min(1000, this.msPerSecond)) return;
    queue.lastSweepAt = now;
    for (const [id, message] of queue.messages) {
      if (message.expiresAt <= now) {
        queue.messages.delete(id);
        this.ctx.log.debug(`sqs: message ${id} expired from ${queue.name}`);
      }
    }
    for (const [key, entry] of queue.dedup) if (entry.expiresAt <= now) queue.dedup.delete(key);
  }

  private notify(queue: QueueState): void {
    const waiters = [...queue.waiters];
    queue.waiters.clear();
    for (const wake of waiters) wake();
  }

  private nextSequence(queue: QueueState): string {
    const candidate = BigInt(Date.now()) * 1_000_000n;
    queue.lastSequence = candidate > queue.lastSequence ? candidate : queue.lastSequence + 1n;
    return queue.lastSequence.toString().padStart(20, "0");
  }

  // ---------------------------------------------------------------- send

  /**
   * Validates and enqueues one message (SendMessage and every internal sender).
   * @returns the message id (the original one for a FIFO duplicate) and the MD5s AWS returns
   */
  private enqueue(
    queue: QueueState,
    input: InternalSendInput & { traceHeader?: string },
    options: { perMessageDelay: boolean },
  ): {
    messageId: string;
    md5OfBody: string;
    md5OfAttributes?: string;
    md5OfSystemAttributes?: string;
    sequenceNumber?: string;
  } {
    const body = input.body;
    if (typeof body !== "string" || body.length === 0) throw missingParameter("MessageBody");
    checkCharacters(body);
    const attributes = validateMessageAttributes(input.messageAttributes);
    const size = messageSize(body, attributes);
    if (size > queue.config.maxMessageSize) {
      throw invalidParameter(
        "MessageBody",
        `(${size} bytes)`,
        `Message must be shorter than ${queue.config.maxMessageSize} bytes.`,
      );
    }
    let delay = queue.config.delaySeconds;
    if (input.delaySeconds !== undefined && options.perMessageDelay) {
      if (
        !Number.isInteger(input.delaySeconds) ||
        input.delaySeconds < 0 ||
        input.delaySeconds > MAX_DELAY_SECONDS
      ) {
        throw invalidParameter(
          "DelaySeconds",
          input.delaySeconds,
          `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`,
        );
      }
      if (queue.fifo) {
        throw invalidParameter(
          "DelaySeconds",
          input.delaySeconds,
          "The request include parameter that is not valid for this queue type.",
        );
      }
      delay = input.delaySeconds;
    }
    let groupId = input.messageGroupId;
    let dedupId = input.messageDeduplicationId;
    if (queue.fifo) {
      if (groupId === undefined || groupId === "") throw missingParameter("MessageGroupId");
      checkFifoToken("MessageGroupId", groupId);
      if (dedupId !== undefined && dedupId !== "") {
        checkFifoToken("MessageDeduplicationId", dedupId);
      } else if (queue.config.contentBasedDeduplication) {
        dedupId = sha256(body);
      } else {
        throw invalidParameter(
          "MessageDeduplicationId",
          "null",
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        );
      }
    } else {
      if (dedupId !== undefined && dedupId !== "") {
        throw invalidParameter(
          "MessageDeduplicationId",
          dedupId,
          "The request include parameter that is not valid for this queue type.",
        );
      }
      dedupId = undefined;
      // Standard queues accept a MessageGroupId (fair queues); it is kept as an attribute.
      if (groupId === "") groupId = undefined;
      if (groupId !== undefined) checkFifoToken("MessageGroupId", groupId);
    }
    if (input.traceHeader !== undefined) checkCharacters(input.traceHeader, "AWSTraceHeader");

    const now = Date.now();
    const md5OfBody = md5(body);
    const md5OfAttributes = md5OfMessageAttributes(attributes);
    const md5OfSystemAttributes =
      input.traceHeader !== undefined
        ? md5OfMessageAttributes({ AWSTraceHeader: { DataType: "String", StringValue: input.traceHeader } })
        : undefined;
    this.sweep(queue, now);
    const dedupKey =
      queue.fifo && dedupId !== undefined
        ? queue.config.deduplicationScope === "messageGroup"
          ? `${groupId}\u0000${dedupId}`
          : dedupId
        : undefined;
    if (dedupKey !== undefined) {
      const seen = queue.dedup.get(dedupKey);
      if (seen && seen.expiresAt > now) {
        this.ctx.log.debug(`sqs: duplicate ${dedupId} on ${queue.name} dropped`);
        return {
          messageId: seen.messageId,
          md5OfBody,
          md5OfAttributes,
          md5OfSystemAttributes,
          sequenceNumber: seen.sequenceNumber,
        };
      }
    }
    const messageId = randomUUID();
    // FIFO messages with a dedup id get the next sequence number and open their deduplication window.
    let sequenceNumber: string | undefined;
    if (dedupKey !== undefined) {
      sequenceNumber = this.nextSequence(queue);
      queue.dedup.set(dedupKey, {
        expiresAt: now + this.ms(DEDUP_WINDOW_SECONDS),
        messageId,
        sequenceNumber,
      });
    }
    this.store(queue, {
      messageId,
      body,
      md5OfBody,
      messageAttributes: attributes,
      traceHeader: input.traceHeader,
      senderId: input.senderId ?? SYSTEM_SENDER(this.ctx),
      sentTimestamp: now,
      enqueuedAt: now,
      expiresAt: now + this.ms(queue.config.retentionSeconds),
      delayUntil: delay > 0 ? now + this.ms(delay) : 0,
      inflightUntil: 0,
      receiveCount: 0,
      groupId,
      ...(sequenceNumber !== undefined ? { dedupId, sequenceNumber } : {}),
    });
    return {
      messageId,
      md5OfBody,
      md5OfAttributes,
      md5OfSystemAttributes,
      ...(sequenceNumber !== undefined ? { sequenceNumber } : {}),
    };
  }

  private store(queue: QueueState, message: StoredMessage): void {
    queue.messages.set(message.messageId, message);
    this.notify(queue);
  }

  // ---------------------------------------------------------------- receive

  /** Takes up to `max` receivable messages now: counts the receive, redrives past maxReceiveCount. */
  private collect(queue: QueueState, max: number, visibilityMs: number, now: number): StoredMessage[] {
    this.sweep(queue, now);
    const taken: StoredMessage[] = [];
    const blockedGroups = new Set<string>();
    // Deleting the current entry (a move to the DLQ) while iterating a Map is safe.
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.expiresAt <= now) {
        queue.messages.delete(message.messageId);
        continue;
      }
      const group = message.groupId ?? "";
      if (queue.fifo && blockedGroups.has(group)) continue;
      if (this.stateOf(message, now) !== "visible") {
        // FIFO: nothing after an in-flight (or delayed) message of the same group.
        if (queue.fifo) blockedGroups.add(group);
        continue;
      }
      const redrive = queue.config.redrivePolicy;
      if (
        redrive &&
        message.receiveCount >= redrive.maxReceiveCount &&
        this.moveToDeadLetter(queue, message, redrive, now)
      ) {
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.inflightUntil = now + visibilityMs;
      message.receiptHandle = Buffer.from(
        `${queue.name}\n${message.messageId}\n${randomUUID()}`,
        "utf8",
      ).toString("base64url");
      taken.push(message);
    }
    return taken;
  }

  /** Moves a message that would exceed maxReceiveCount to the DLQ. @returns false when it cannot (it stays) */
  private moveToDeadLetter(
    queue: QueueState,
    message: StoredMessage,
    redrive: RedrivePolicy,
    now: number,
  ): boolean {
    const dlq = this.byArn.get(redrive.deadLetterTargetArn);
    if (!dlq || dlq.deleted || dlq === queue) {
      this.warnOnce(
        `nodlq:${queue.name}`,
        `sqs: ${queue.name} cannot redrive: its dead-letter queue does not exist`,
        {
          deadLetterTargetArn: redrive.deadLetterTargetArn,
        },
      );
      return false;
    }
    if (!this.redriveAllowed(dlq, queue)) {
      this.warnOnce(
        `denied:${queue.name}`,
        `sqs: ${queue.name} cannot redrive: the redrive allow policy of ${dlq.name} does not allow it`,
        { redriveAllowPolicy: dlq.config.redriveAllowPolicyJson },
      );
      return false;
    }
    queue.messages.delete(message.messageId);
    // Standard queues keep the original enqueue time (retention and age count from it); FIFO resets it.
    const enqueuedAt = dlq.fifo ? now : message.enqueuedAt;
    this.store(dlq, {
      ...message,
      enqueuedAt,
      expiresAt: enqueuedAt + this.ms(dlq.config.retentionSeconds),
      delayUntil: 0,
      inflightUntil: 0,
      receiptHandle: undefined,
      // FIFO: the DLQ copy's deduplication id is the original message id.
      dedupId: dlq.fifo ? message.messageId : undefined,
      sequenceNumber: dlq.fifo ? this.nextSequence(dlq) : undefined,
      deadLetterSourceArn: queue.arn,
    });
    this.ctx.log.info(
      `sqs: message ${message.messageId} moved from ${queue.name} to its dead-letter queue ${dlq.name}`,
      {
        receiveCount: message.receiveCount,
        maxReceiveCount: redrive.maxReceiveCount,
      },
    );
    if (queue.fifo) this.notify(queue);
    return true;
  }

  /** The earliest future moment a message of the queue becomes visible (epoch ms), or Infinity. */
  private nextTransition(queue: QueueState, now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const message of queue.messages.values()) {
      if (message.inflightUntil > now) next = Math.min(next, message.inflightUntil);
      else if (message.delayUntil > now) next = Math.min(next, message.delayUntil);
    }
    return next;
  }

  private waitForChange(queue: QueueState, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        queue.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      queue.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
      timer = setTimeout(done, Math.max(1, Math.min(ms, 2_147_000_000)));
    });
  }

  /** Long-polls: returns as soon as something is received, or empty at the deadline or on abort. */
  private async receiveMessages(
    queue: QueueState,
    max: number,
    waitSeconds: number,
    visibilitySeconds: number,
    signal?: AbortSignal,
  ): Promise<StoredMessage[]> {
    const deadline = Date.now() + this.ms(waitSeconds);
    for (;;) {
      if (signal?.aborted || this.stopped || queue.deleted) return [];
      const now = Date.now();
      const taken = this.collect(queue, max, this.ms(visibilitySeconds), now);
      if (taken.length > 0 || now >= deadline) return taken;
      await this.waitForChange(queue, Math.min(deadline, this.nextTransition(queue, now)) - now, signal);
    }
  }

  private systemAttributes(queue: QueueState, message: StoredMessage): Record<string, string> {
    const attributes: Record<string, string> = {
      SenderId: message.senderId,
      SentTimestamp: String(message.sentTimestamp),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    };
    if (message.groupId !== undefined) attributes.MessageGroupId = message.groupId;
    if (queue.fifo) {
      if (message.dedupId !== undefined) attributes.MessageDeduplicationId = message.dedupId;
      if (message.sequenceNumber !== undefined) attributes.SequenceNumber = message.sequenceNumber;
    }
    if (message.traceHeader !== undefined) attributes.AWSTraceHeader = message.traceHeader;
    if (message.deadLetterSourceArn !== undefined)
      attributes.DeadLetterQueueSourceArn = message.deadLetterSourceArn;
    return attributes;
  }

  // ---------------------------------------------------------------- delete / visibility

  private decodeHandle(queue: QueueState, handle: string): string {
    const parts = Buffer.from(handle, "base64url").toString("utf8").split("\n");
    if (parts.length !== 3 || parts[0] !== queue.name || !parts[1]) {
      throw sqsError(
        "ReceiptHandleIsInvalid",
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    return parts[1];
  }

  /** @returns whether the message was deleted (false: already gone, or a stale receipt handle) */
  private deleteByHandle(queue: QueueState, handle: string): boolean {
    const id = this.decodeHandle(queue, handle);
    const message = queue.messages.get(id);
    if (!message || message.receiptHandle !== handle) return false;
    queue.messages.delete(id);
    if (queue.fifo) this.notify(queue);
    return true;
  }

  private changeByHandle(queue: QueueState, handle: string, seconds: number): void {
    const id = this.decodeHandle(queue, handle);
    const message = queue.messages.get(id);
    if (!message || message.receiptHandle !== handle) {
      throw invalidParameter(
        "ReceiptHandle",
        handle,
        "Message does not exist or is not available for visibility timeout change.",
      );
    }
    const now = Date.now();
    if (message.inflightUntil <= now) {
      throw sqsError("MessageNotInflight", `The message referred to by the receipt handle is not in flight.`);
    }
    message.inflightUntil = now + this.ms(seconds);
    // Visible again (timeout 0) or at another time: long polls re-check.
    this.notify(queue);
  }

  // ---------------------------------------------------------------- SqsEngine

  hasQueue(queueArn: string): boolean {
    try {
      return !this.queueByRef(queueArn).deleted;
    } catch {
      return false;
    }
  }

  queueUrl(queueArn: string): string {
    return this.queueByRef(queueArn).url;
  }

  send(queueArn: string, input: InternalSendInput): { messageId: string; sequenceNumber?: string } {
    const queue = this.queueByRef(queueArn);
    const result = this.enqueue(queue, input, { perMessageDelay: true });
    return { messageId: result.messageId, sequenceNumber: result.sequenceNumber };
  }

  async receive(
    queueArn: string,
    options: {
      maxMessages: number;
      waitSeconds: number;
      visibilityTimeoutSeconds?: number;
      signal?: AbortSignal;
    },
  ): Promise<ReceivedMessage[]> {
    const queue = this.queueByRef(queueArn);
    const max = Math.max(1, Math.min(MAX_BATCH_ENTRIES, Math.floor(options.maxMessages)));
    const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, options.waitSeconds));
    const visibility = options.visibilityTimeoutSeconds ?? queue.config.visibilityTimeout;
    const messages = await this.receiveMessages(queue, max, wait, visibility, options.signal);
    return messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle as string,
      body: message.body,
      attributes: this.systemAttributes(queue, message),
      messageAttributes: structuredClone(message.messageAttributes),
      md5OfBody: message.md5OfBody,
    }));
  }

  deleteMessage(queueArn: string, receiptHandle: string): boolean {
    const queue = this.queueByRef(queueArn);
    try {
      return this.deleteByHandle(queue, receiptHandle);
    } catch (error) {
      if (error instanceof LocalServiceError) return false;
      throw error;
    }
  }

  changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): boolean {
    const queue = this.queueByRef(queueArn);
    if (
      !Number.isInteger(visibilityTimeoutSeconds) ||
      visibilityTimeoutSeconds < 0 ||
      visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT
    ) {
      throw invalidParameter(
        "VisibilityTimeout",
        visibilityTimeoutSeconds,
        `VisibilityTimeout must be an integer between 0 and ${MAX_VISIBILITY_TIMEOUT}.`,
      );
    }
    try {
      this.changeByHandle(queue, receiptHandle, visibilityTimeoutSeconds);
      return true;
    } catch (error) {
      if (error instanceof LocalServiceError) return false;
      throw error;
    }
  }

  hold(queueArn: string, receiptHandle: string): () => void {
    const queue = this.queueByRef(queueArn);
    let message: StoredMessage | undefined;
    try {
      message = queue.messages.get(this.decodeHandle(queue, receiptHandle));
    } catch {
      return () => undefined;
    }
    if (!message || message.receiptHandle !== receiptHandle || message.inflightUntil <= Date.now()) {
      return () => undefined;
    }
    const held = message;
    const visibleAt = held.inflightUntil;
    held.inflightUntil = Number.MAX_SAFE_INTEGER;
    return () => {
      if (queue.messages.get(held.messageId) !== held || held.receiptHandle !== receiptHandle) return;
      if (held.inflightUntil !== Number.MAX_SAFE_INTEGER) return;
      held.inflightUntil = Math.max(Date.now(), visibleAt);
      this.notify(queue);
    };
  }

  depth(queueArn: string): QueueDepth {
    const queue = this.queueByRef(queueArn);
    const now = Date.now();
    this.sweep(queue, now);
    const depth: QueueDepth = { visible: 0, inFlight: 0, delayed: 0, oldestAgeSeconds: 0 };
    let oldest = Number.POSITIVE_INFINITY;
    for (const message of queue.messages.values()) {
      if (message.expiresAt <= now) continue;
      depth[this.stateOf(message, now)] += 1;
      oldest = Math.min(oldest, message.enqueuedAt);
    }
    if (Number.isFinite(oldest))
      depth.oldestAgeSeconds = Math.max(0, Math.floor((now - oldest) / this.msPerSecond));
    return depth;
  }

  list(): Array<{ arn: string; url: string; name: string; fifo: boolean }> {
    return [...this.queues.values()].map((queue) => ({
      arn: queue.arn,
      url: queue.url,
      name: queue.name,
      fifo: queue.fifo,
    }));
  }

  private warnOnce(key: string, message: string, fields?: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.log.warn(message, fields);
  }

  // ---------------------------------------------------------------- wire

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    try {
      const contentType = String(req.headers["content-type"] ?? "");
      if (contentType.includes("x-www-form-urlencoded")) {
        throw sqsError(
          "InvalidAction",
          "The local SQS serves the AWS JSON protocol (X-Amz-Target: AmazonSQS.<Action>) that current AWS SDKs and CLIs use, not the query protocol.",
        );
      }
      const operation = jsonOperation(req);
      const input = parseJsonBody(body);
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      const output = await this.dispatch(operation, input, controller.signal);
      if (res.destroyed || res.writableEnded) return;
      sendJson(res, output);
    } catch (error) {
      if (res.destroyed || res.writableEnded) return;
      const failure =
        error instanceof LocalServiceError
          ? error
          : sqsError("InternalError", error instanceof Error ? error.message : String(error));
      if (failure.status >= 500) this.ctx.log.error("sqs: request failed", { error: failure.message });
      const shaped =
        failure.queryCode === undefined
          ? new LocalServiceError(failure.code, failure.message, failure.status, failure.code)
          : failure;
      sendJsonError(res, shaped, { namespace: SQS_NAMESPACE });
    }
  }

  private async dispatch(
    operation: string,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<unknown> {
    switch (operation) {
      case "SendMessage":
        return this.opSendMessage(input);
      case "SendMessageBatch":
        return this.opSendMessageBatch(input);
      case "ReceiveMessage":
        return this.opReceiveMessage(input, signal);
      case "DeleteMessage":
        return this.opDeleteMessage(input);
      case "DeleteMessageBatch":
        return this.opDeleteMessageBatch(input);
      case "ChangeMessageVisibility":
        return this.opChangeMessageVisibility(input);
      case "ChangeMessageVisibilityBatch":
        return this.opChangeMessageVisibilityBatch(input);
      case "GetQueueUrl":
        return this.opGetQueueUrl(input);
      case "GetQueueAttributes":
        return this.opGetQueueAttributes(input);
      case "SetQueueAttributes":
        return this.opSetQueueAttributes(input);
      case "ListQueues":
        return this.opListQueues(input);
      case "ListDeadLetterSourceQueues":
        return this.opListDeadLetterSourceQueues(input);
      case "PurgeQueue":
        return this.opPurgeQueue(input);
      case "CreateQueue":
        return this.opCreateQueue(input);
      case "DeleteQueue":
        return this.opDeleteQueue(input);
      case "ListQueueTags":
        return { Tags: { ...this.queueByUrl(requiredString(input, "QueueUrl")).tags } };
      case "TagQueue": {
        const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
        Object.assign(queue.tags, stringMap(input, "Tags") ?? {});
        return {};
      }
      case "UntagQueue": {
        const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
        for (const key of stringList(input, "TagKeys") ?? []) delete queue.tags[key];
        return {};
      }
      case "StartMessageMoveTask":
        return this.opStartMessageMoveTask(input);
      case "ListMessageMoveTasks":
        return this.opListMessageMoveTasks(input);
      case "CancelMessageMoveTask":
        return this.opCancelMessageMoveTask(input);
      default:
        throw sqsError("UnsupportedOperation", `The local SQS does not support the ${operation} action.`);
    }
  }

  private sendInput(entry: Record<string, unknown>): InternalSendInput & { traceHeader?: string } {
    const body = entry.MessageBody;
    if (body !== undefined && typeof body !== "string")
      throw invalidParameter("MessageBody", body, "Must be a string.");
    const system = attributeMap(entry, "MessageSystemAttributes");
    let traceHeader: string | undefined;
    if (system) {
      for (const [name, value] of Object.entries(system)) {
        if (name !== "AWSTraceHeader") {
          throw invalidParameter(
            "MessageSystemAttributes",
            name,
            `Message system attribute name '${name}' is invalid.`,
          );
        }
        if (value?.DataType !== "String" || typeof value.StringValue !== "string") {
          throw invalidParameter(
            "MessageSystemAttributes",
            name,
            "AWSTraceHeader must be a String attribute.",
          );
        }
        traceHeader = value.StringValue;
      }
    }
    return {
      body: (body as string | undefined) ?? "",
      messageAttributes: attributeMap(entry, "MessageAttributes"),
      messageGroupId: stringParam(entry, "MessageGroupId"),
      messageDeduplicationId: stringParam(entry, "MessageDeduplicationId"),
      delaySeconds: intParam(entry, "DelaySeconds", {
        min: 0,
        max: MAX_DELAY_SECONDS,
        reason: `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`,
      }),
      traceHeader,
    };
  }

  private opSendMessage(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const result = this.enqueue(queue, this.sendInput(input), { perMessageDelay: true });
    return {
      MessageId: result.messageId,
      MD5OfMessageBody: result.md5OfBody,
      MD5OfMessageAttributes: result.md5OfAttributes,
      MD5OfMessageSystemAttributes: result.md5OfSystemAttributes,
      SequenceNumber: result.sequenceNumber,
    };
  }

  private batchEntries(input: Record<string, unknown>): Array<Record<string, unknown>> {
    const entries = input.Entries;
    if (entries === undefined || entries === null) throw missingParameter("Entries");
    if (!Array.isArray(entries))
      throw invalidParameter("Entries", JSON.stringify(entries), "Must be a list.");
    const records = entries.map((entry) =>
      typeof entry === "object" && entry !== null
        ? (entry as Record<string, unknown>)
        : ({} as Record<string, unknown>),
    );
    checkBatchIds(records.map((entry) => entry.Id));
    return records;
  }

  private batchFailure(
    id: string,
    error: unknown,
  ): { Id: string; SenderFault: boolean; Code: string; Message: string } {
    if (error instanceof LocalServiceError) {
      return { Id: id, SenderFault: error.status < 500, Code: error.code, Message: error.message };
    }
    return { Id: id, SenderFault: false, Code: "InternalError", Message: String(error) };
  }

  private opSendMessageBatch(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const entries = this.batchEntries(input);
    let total = 0;
    for (const entry of entries) {
      const body = typeof entry.MessageBody === "string" ? entry.MessageBody : "";
      const attributes = (attributeMap(entry, "MessageAttributes") ?? {}) as Record<
        string,
        MessageAttributeValue
      >;
      try {
        total += messageSize(body, attributes);
      } catch {
        total += Buffer.byteLength(body, "utf8");
      }
    }
    if (total > MAX_MESSAGE_SIZE) {
      throw sqsError(
        "BatchRequestTooLong",
        `Batch requested message too long. The total size of the batched messages (${total} bytes) must be at most ${MAX_MESSAGE_SIZE} bytes.`,
      );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      try {
        const result = this.enqueue(queue, this.sendInput(entry), { perMessageDelay: true });
        Successful.push({
          Id: id,
          MessageId: result.messageId,
          MD5OfMessageBody: result.md5OfBody,
          MD5OfMessageAttributes: result.md5OfAttributes,
          MD5OfMessageSystemAttributes: result.md5OfSystemAttributes,
          SequenceNumber: result.sequenceNumber,
        });
      } catch (error) {
        Failed.push(this.batchFailure(id, error));
      }
    }
    return { Successful, Failed };
  }

  private async opReceiveMessage(input: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const max =
      intParam(input, "MaxNumberOfMessages", {
        min: 1,
        max: MAX_BATCH_ENTRIES,
        reason: `Must be between 1 and ${MAX_BATCH_ENTRIES}, if provided.`,
      }) ?? 1;
    const wait =
      intParam(input, "WaitTimeSeconds", { min: 0, max: MAX_WAIT_SECONDS }) ??
      queue.config.receiveWaitTimeSeconds;
    const visibility =
      intParam(input, "VisibilityTimeout", { min: 0, max: MAX_VISIBILITY_TIMEOUT }) ??
      queue.config.visibilityTimeout;
    const systemNames = [
      ...(stringList(input, "AttributeNames") ?? []),
      ...(stringList(input, "MessageSystemAttributeNames") ?? []),
    ];
    for (const name of systemNames) {
      if (name !== "All" && !(SYSTEM_ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
        throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      }
    }
    const allSystem = systemNames.includes("All");
    const wantUser = attributeSelector(stringList(input, "MessageAttributeNames"));
    const messages = await this.receiveMessages(queue, max, wait, visibility, signal);
    if (messages.length === 0) return {};
    return {
      Messages: messages.map((message) => {
        const system = this.systemAttributes(queue, message);
        const attributes = Object.fromEntries(
          Object.entries(system).filter(([name]) => allSystem || systemNames.includes(name)),
        );
        const user = Object.fromEntries(
          Object.entries(message.messageAttributes).filter(([name]) => wantUser(name)),
        );
        const hasUser = Object.keys(user).length > 0;
        return {
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: message.md5OfBody,
          Body: message.body,
          Attributes: Object.keys(attributes).length > 0 ? attributes : undefined,
          MD5OfMessageAttributes: hasUser ? md5OfMessageAttributes(user) : undefined,
          MessageAttributes: hasUser ? user : undefined,
        };
      }),
    };
  }

  private opDeleteMessage(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    this.deleteByHandle(queue, requiredString(input, "ReceiptHandle"));
    return {};
  }

  private opDeleteMessageBatch(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const entries = this.batchEntries(input);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      try {
        this.deleteByHandle(queue, requiredString(entry, "ReceiptHandle"));
        Successful.push({ Id: id });
      } catch (error) {
        Failed.push(this.batchFailure(id, error));
      }
    }
    return { Successful, Failed };
  }

  private opChangeMessageVisibility(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const handle = requiredString(input, "ReceiptHandle");
    const timeout = intParam(input, "VisibilityTimeout", { min: 0, max: MAX_VISIBILITY_TIMEOUT });
    if (timeout === undefined) throw missingParameter("VisibilityTimeout");
    this.changeByHandle(queue, handle, timeout);
    return {};
  }

  private opChangeMessageVisibilityBatch(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const entries = this.batchEntries(input);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      try {
        const timeout = intParam(entry, "VisibilityTimeout", { min: 0, max: MAX_VISIBILITY_TIMEOUT });
        if (timeout === undefined) throw missingParameter("VisibilityTimeout");
        this.changeByHandle(queue, requiredString(entry, "ReceiptHandle"), timeout);
        Successful.push({ Id: id });
      } catch (error) {
        Failed.push(this.batchFailure(id, error));
      }
    }
    return { Successful, Failed };
  }

  private opGetQueueUrl(input: Record<string, unknown>): unknown {
    const name = requiredString(input, "QueueName");
    const owner = stringParam(input, "QueueOwnerAWSAccountId");
    const queue = this.queues.get(name);
    if (!queue || queue.deleted || (owner !== undefined && owner !== this.ctx.accountId))
      throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  private queueAttributes(queue: QueueState): Record<string, string> {
    const depth = this.depth(queue.arn);
    const config = queue.config;
    const attributes: Record<string, string> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      VisibilityTimeout: String(config.visibilityTimeout),
      MaximumMessageSize: String(config.maxMessageSize),
      MessageRetentionPeriod: String(config.retentionSeconds),
      DelaySeconds: String(config.delaySeconds),
      ReceiveMessageWaitTimeSeconds: String(config.receiveWaitTimeSeconds),
      SqsManagedSseEnabled: String(config.sqsManagedSseEnabled),
    };
    if (config.redrivePolicyJson) attributes.RedrivePolicy = config.redrivePolicyJson;
    if (config.redriveAllowPolicyJson) attributes.RedriveAllowPolicy = config.redriveAllowPolicyJson;
    if (config.policy) attributes.Policy = config.policy;
    if (config.kmsMasterKeyId) {
      attributes.KmsMasterKeyId = config.kmsMasterKeyId;
      attributes.KmsDataKeyReusePeriodSeconds = String(config.kmsDataKeyReusePeriodSeconds);
    }
    if (queue.fifo) {
      attributes.FifoQueue = "true";
      attributes.ContentBasedDeduplication = String(config.contentBasedDeduplication);
      attributes.DeduplicationScope = config.deduplicationScope;
      attributes.FifoThroughputLimit = config.fifoThroughputLimit;
    }
    return attributes;
  }

  private opGetQueueAttributes(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const names = stringList(input, "AttributeNames") ?? [];
    if (names.length === 0) return {};
    const all = this.queueAttributes(queue);
    const known = new Set([
      ...Object.keys(all),
      "RedrivePolicy",
      "RedriveAllowPolicy",
      "Policy",
      "KmsMasterKeyId",
      "KmsDataKeyReusePeriodSeconds",
      "FifoQueue",
      "ContentBasedDeduplication",
      "DeduplicationScope",
      "FifoThroughputLimit",
    ]);
    for (const name of names) {
      if (name !== "All" && !known.has(name))
        throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    const selected = names.includes("All")
      ? all
      : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
    return Object.keys(selected).length > 0 ? { Attributes: selected } : {};
  }

  /** Applies CreateQueue / SetQueueAttributes attributes with AWS's bounds. */
  private applyAttributes(queue: QueueState, attributes: Record<string, string>, creating: boolean): void {
    const intAttr = (name: string, min: number, max: number): number | undefined => {
      const raw = attributes[name];
      if (raw === undefined) return undefined;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw sqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      }
      return value;
    };
    const boolAttr = (name: string): boolean | undefined => {
      const raw = attributes[name];
      if (raw === undefined) return undefined;
      if (raw !== "true" && raw !== "false")
        throw sqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      return raw === "true";
    };
    const known = new Set([
      "DelaySeconds",
      "MaximumMessageSize",
      "MessageRetentionPeriod",
      "Policy",
      "ReceiveMessageWaitTimeSeconds",
      "VisibilityTimeout",
      "RedrivePolicy",
      "RedriveAllowPolicy",
      "KmsMasterKeyId",
      "KmsDataKeyReusePeriodSeconds",
      "SqsManagedSseEnabled",
      "FifoQueue",
      "ContentBasedDeduplication",
      "DeduplicationScope",
      "FifoThroughputLimit",
    ]);
    for (const name of Object.keys(attributes)) {
      if (!known.has(name)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      if (
        !queue.fifo &&
        ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"].includes(name)
      ) {
        throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      }
    }
    if (!creating && attributes.FifoQueue !== undefined) {
      throw sqsError("InvalidAttributeName", "Unknown Attribute FifoQueue.");
    }
    const config = queue.config;
    config.delaySeconds = intAttr("DelaySeconds", 0, MAX_DELAY_SECONDS) ?? config.delaySeconds;
    config.maxMessageSize =
      intAttr("MaximumMessageSize", MIN_MESSAGE_SIZE, MAX_MESSAGE_SIZE) ?? config.maxMessageSize;
    config.retentionSeconds =
      intAttr("MessageRetentionPeriod", MIN_RETENTION_SECONDS, MAX_RETENTION_SECONDS) ??
      config.retentionSeconds;
    config.receiveWaitTimeSeconds =
      intAttr("ReceiveMessageWaitTimeSeconds", 0, MAX_WAIT_SECONDS) ?? config.receiveWaitTimeSeconds;
    config.visibilityTimeout =
      intAttr("VisibilityTimeout", 0, MAX_VISIBILITY_TIMEOUT) ?? config.visibilityTimeout;
    config.kmsDataKeyReusePeriodSeconds =
      intAttr("KmsDataKeyReusePeriodSeconds", 60, 86_400) ?? config.kmsDataKeyReusePeriodSeconds;
    if (attributes.Policy !== undefined) config.policy = attributes.Policy || undefined;
    if (attributes.KmsMasterKeyId !== undefined)
      config.kmsMasterKeyId = attributes.KmsMasterKeyId || undefined;
    config.sqsManagedSseEnabled = boolAttr("SqsManagedSseEnabled") ?? config.sqsManagedSseEnabled;
    config.contentBasedDeduplication =
      boolAttr("ContentBasedDeduplication") ?? config.contentBasedDeduplication;
    const scope = attributes.DeduplicationScope;
    if (scope !== undefined) {
      if (scope !== "queue" && scope !== "messageGroup") {
        throw sqsError("InvalidAttributeValue", "Invalid value for the parameter DeduplicationScope.");
      }
      config.deduplicationScope = scope;
    }
    const limit = attributes.FifoThroughputLimit;
    if (limit !== undefined) {
      if (limit !== "perQueue" && limit !== "perMessageGroupId") {
        throw sqsError("InvalidAttributeValue", "Invalid value for the parameter FifoThroughputLimit.");
      }
      config.fifoThroughputLimit = limit;
    }
    if (attributes.RedrivePolicy !== undefined) {
      if (attributes.RedrivePolicy === "") {
        config.redrivePolicy = undefined;
        config.redrivePolicyJson = undefined;
      } else {
        this.setRedrivePolicy(queue, attributes.RedrivePolicy, true);
        const dlq = this.byArn.get(config.redrivePolicy?.deadLetterTargetArn ?? "");
        if (!dlq) {
          throw sqsError(
            "InvalidParameterValue",
            "Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.",
          );
        }
        if (dlq.fifo !== queue.fifo) {
          throw sqsError(
            "InvalidParameterValue",
            `Value for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..`,
          );
        }
      }
    }
    if (attributes.RedriveAllowPolicy !== undefined) {
      config.redriveAllowPolicyJson = attributes.RedriveAllowPolicy || undefined;
    }
    queue.lastModifiedAt = Date.now();
  }

  private opSetQueueAttributes(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const attributes = stringMap(input, "Attributes");
    if (!attributes) throw missingParameter("Attributes");
    this.applyAttributes(queue, attributes, false);
    this.notify(queue);
    return {};
  }

  private opCreateQueue(input: Record<string, unknown>): unknown {
    const name = requiredString(input, "QueueName");
    const attributes = stringMap(input, "Attributes") ?? {};
    const fifo = attributes.FifoQueue === "true";
    if (
      !/^[A-Za-z0-9_-]{1,80}$/.test(fifo ? name.replace(/\.fifo$/, "") : name) ||
      (fifo && !name.endsWith(".fifo")) ||
      (!fifo && name.endsWith(".fifo"))
    ) {
      throw sqsError(
        "InvalidParameterValue",
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (FIFO queue names end in .fifo and need FifoQueue=true).",
      );
    }
    const existing = this.queues.get(name);
    if (existing && !existing.deleted) return { QueueUrl: existing.url };
    const queue = this.newQueue(
      name,
      `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`,
      fifo,
      {
        visibilityTimeout: 30,
        delaySeconds: 0,
        receiveWaitTimeSeconds: 0,
        retentionSeconds: 345_600,
        maxMessageSize: MAX_MESSAGE_SIZE,
        contentBasedDeduplication: false,
        deduplicationScope: "queue",
        fifoThroughputLimit: "perQueue",
        sqsManagedSseEnabled: true,
        kmsDataKeyReusePeriodSeconds: 300,
      },
      stringMap(input, "tags") ?? {},
    );
    try {
      this.applyAttributes(queue, attributes, true);
    } catch (error) {
      this.queues.delete(name);
      this.byArn.delete(queue.arn);
      throw error;
    }
    return { QueueUrl: queue.url };
  }

  private opDeleteQueue(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    queue.deleted = true;
    this.queues.delete(queue.name);
    this.byArn.delete(queue.arn);
    this.notify(queue);
    return {};
  }

  private opListQueues(input: Record<string, unknown>): unknown {
    const prefix = stringParam(input, "QueueNamePrefix") ?? "";
    const maxResults = intParam(input, "MaxResults", { min: 1, max: 1000 });
    const token = stringParam(input, "NextToken");
    const start = token ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidParameter("NextToken", token, "Invalid token.");
    const urls = [...this.queues.values()]
      .filter((queue) => queue.name.startsWith(prefix))
      .map((queue) => queue.url);
    const limit = maxResults ?? 1000;
    const page = urls.slice(start, start + limit);
    const next =
      maxResults !== undefined && start + limit < urls.length
        ? Buffer.from(String(start + limit)).toString("base64url")
        : undefined;
    return page.length > 0 ? { QueueUrls: page, NextToken: next } : {};
  }

  private opListDeadLetterSourceQueues(input: Record<string, unknown>): unknown {
    const dlq = this.queueByUrl(requiredString(input, "QueueUrl"));
    return { queueUrls: this.sourcesOf(dlq).map((queue) => queue.url) };
  }

  private opPurgeQueue(input: Record<string, unknown>): unknown {
    const queue = this.queueByUrl(requiredString(input, "QueueUrl"));
    const now = Date.now();
    if (
      this.purgeCooldownSeconds > 0 &&
      queue.lastPurgeAt !== undefined &&
      now - queue.lastPurgeAt < this.ms(this.purgeCooldownSeconds)
    ) {
      throw sqsError(
        "PurgeQueueInProgress",
        `Only one PurgeQueue operation on ${queue.name} is allowed every ${this.purgeCooldownSeconds} seconds.`,
      );
    }
    queue.lastPurgeAt = now;
    queue.messages.clear();
    this.notify(queue);
    return {};
  }

  // ---------------------------------------------------------------- message move tasks (DLQ redrive)

  private opStartMessageMoveTask(input: Record<string, unknown>): unknown {
    const sourceArn = requiredString(input, "SourceArn");
    const source = this.byArn.get(sourceArn);
    if (!source) {
      throw sqsError(
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    }
    if (this.sourcesOf(source).length === 0) {
      throw invalidParameter(
        "SourceArn",
        sourceArn,
        "Source queue must be configured as a Dead Letter Queue.",
      );
    }
    const destinationArn = stringParam(input, "DestinationArn");
    if (destinationArn !== undefined) {
      const destination = this.byArn.get(destinationArn);
      if (!destination) {
        throw sqsError(
          "ResourceNotFoundException",
          "The resource that you specified for the DestinationArn parameter doesn't exist.",
        );
      }
      if (destination.fifo !== source.fifo) {
        throw invalidParameter(
          "DestinationArn",
          destinationArn,
          "The destination queue must be the same type as the source queue.",
        );
      }
    }
    const rate = intParam(input, "MaxNumberOfMessagesPerSecond", { min: 1, max: 500 });
    const tasks = this.moveTasks.get(sourceArn) ?? [];
    if (tasks.some((task) => task.status === "RUNNING" || task.status === "CANCELLING")) {
      throw sqsError(
        "UnsupportedOperation",
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
      );
    }
    const now = Date.now();
    this.sweep(source, now, true);
    const taskId = randomUUID();
    const task: MoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId, sourceArn }), "utf8").toString("base64"),
      sourceArn,
      destinationArn,
      rate,
      status: "RUNNING",
      moved: 0,
      toMove: source.messages.size,
      startedAt: now,
      pending: [...source.messages.keys()],
      budget: 0,
      lastTick: now,
    };
    tasks.unshift(task);
    this.moveTasks.set(sourceArn, tasks.slice(0, 10));
    task.timer = setInterval(
      () => this.tickMoveTask(task),
      Math.max(5, Math.min(100, this.msPerSecond / 10)),
    );
    task.timer.unref();
    this.tickMoveTask(task);
    return { TaskHandle: task.taskHandle };
  }

  private finishMoveTask(task: MoveTask, status: MoveTaskStatus, failureReason?: string): void {
    task.status = status;
    task.failureReason = failureReason;
    if (task.timer) clearInterval(task.timer);
    task.timer = undefined;
    this.ctx.log.info(`sqs: message move task from ${task.sourceArn} ${status.toLowerCase()}`, {
      moved: task.moved,
      toMove: task.toMove,
      failureReason,
    });
  }

  private tickMoveTask(task: MoveTask): void {
    if (task.status !== "RUNNING") return;
    const source = this.byArn.get(task.sourceArn);
    if (!source) {
      this.finishMoveTask(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue");
      return;
    }
    const now = Date.now();
    this.sweep(source, now);
    if (task.rate === undefined) {
      task.budget = Number.POSITIVE_INFINITY;
    } else {
      task.budget = Math.min(task.rate, task.budget + (task.rate * (now - task.lastTick)) / this.msPerSecond);
      if (task.moved === 0 && task.budget < 1) task.budget = 1;
    }
    task.lastTick = now;
    const remaining: string[] = [];
    for (const id of task.pending) {
      const message = source.messages.get(id);
      if (!message || message.expiresAt <= now) continue;
      if (task.budget < 1 || this.stateOf(message, now) !== "visible") {
        remaining.push(id);
        continue;
      }
      const destinationArn = task.destinationArn ?? message.deadLetterSourceArn;
      if (!destinationArn) {
        task.pending = [];
        this.finishMoveTask(task, "FAILED", "CouldNotDetermineMessageSource");
        return;
      }
      const destination = this.byArn.get(destinationArn);
      if (!destination) {
        task.pending = [];
        this.finishMoveTask(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue");
        return;
      }
      source.messages.delete(id);
      const messageId = randomUUID();
      this.store(destination, {
        messageId,
        body: message.body,
        md5OfBody: message.md5OfBody,
        messageAttributes: message.messageAttributes,
        traceHeader: message.traceHeader,
        senderId: message.senderId,
        sentTimestamp: now,
        enqueuedAt: now,
        expiresAt: now + this.ms(destination.config.retentionSeconds),
        delayUntil: destination.config.delaySeconds > 0 ? now + this.ms(destination.config.delaySeconds) : 0,
        inflightUntil: 0,
        receiveCount: 0,
        groupId: message.groupId,
        dedupId: destination.fifo ? (message.dedupId ?? message.messageId) : undefined,
        sequenceNumber: destination.fifo ? this.nextSequence(destination) : undefined,
      });
      task.moved += 1;
      task.budget -= 1;
    }
    task.pending = remaining;
    if (remaining.length === 0) this.finishMoveTask(task, "COMPLETED");
  }

  private opListMessageMoveTasks(input: Record<string, unknown>): unknown {
    const sourceArn = requiredString(input, "SourceArn");
    if (!this.byArn.has(sourceArn)) {
      throw sqsError(
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    }
    const max = intParam(input, "MaxResults", { min: 1, max: 10 }) ?? 1;
    const tasks = (this.moveTasks.get(sourceArn) ?? []).slice(0, max);
    return {
      Results: tasks.map((task) => ({
        TaskHandle: task.status === "RUNNING" ? task.taskHandle : undefined,
        Status: task.status,
        SourceArn: task.sourceArn,
        DestinationArn: task.destinationArn,
        MaxNumberOfMessagesPerSecond: task.rate,
        ApproximateNumberOfMessagesMoved: task.moved,
        ApproximateNumberOfMessagesToMove: task.toMove,
        FailureReason: task.failureReason,
        StartedTimestamp: task.startedAt,
      })),
    };
  }

  private opCancelMessageMoveTask(input: Record<string, unknown>): unknown {
    const handle = requiredString(input, "TaskHandle");
    let sourceArn: string | undefined;
    try {
      sourceArn = (JSON.parse(Buffer.from(handle, "base64").toString("utf8")) as { sourceArn?: string })
        .sourceArn;
    } catch {
      sourceArn = undefined;
    }
    const task = (this.moveTasks.get(sourceArn ?? "") ?? []).find(
      (candidate) => candidate.taskHandle === handle,
    );
    if (task?.status !== "RUNNING") {
      throw sqsError(
        "ResourceNotFoundException",
        "The resource that you specified for the TaskHandle parameter doesn't exist.",
      );
    }
    this.finishMoveTask(task, "CANCELLED");
    task.pending = [];
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  // ---------------------------------------------------------------- admin views

  private adminQueues(): unknown {
    return [...this.queues.values()].map((queue) => ({
      name: queue.name,
      arn: queue.arn,
      url: queue.url,
      fifo: queue.fifo,
      depth: this.depth(queue.arn),
      dlqArn: queue.config.redrivePolicy?.deadLetterTargetArn,
      maxReceiveCount: queue.config.redrivePolicy?.maxReceiveCount,
      deadLetterSources: this.sourcesOf(queue).map((source) => source.arn),
      visibilityTimeout: queue.config.visibilityTimeout,
      moveTasks: (this.moveTasks.get(queue.arn) ?? []).map((task) => ({
        status: task.status,
        destinationArn: task.destinationArn,
        moved: task.moved,
        toMove: task.toMove,
        failureReason: task.failureReason,
        startedAt: task.startedAt,
      })),
    }));
  }

  private adminMessages(query: URLSearchParams): unknown {
    const ref = query.get("queue");
    if (!ref)
      throw new LocalServiceError(
        "MissingParameter",
        "Name the queue: /_local/sqs/messages?queue=<name or arn>.",
      );
    let queue: QueueState;
    try {
      queue = this.queueByRef(ref);
    } catch {
      throw new LocalServiceError("NotFound", `No queue named ${ref}.`, 404);
    }
    const now = Date.now();
    this.sweep(queue, now, true);
    return [...queue.messages.values()].map((message) => ({
      messageId: message.messageId,
      body: message.body,
      state: this.stateOf(message, now),
      receiveCount: message.receiveCount,
      attributes: this.systemAttributes(queue, message),
      messageAttributes: message.messageAttributes,
      visibleAt: Math.max(message.inflightUntil, message.delayUntil, message.sentTimestamp),
    }));
  }
}
