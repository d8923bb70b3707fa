import { randomUUID } from "node:crypto";
import { md5 } from "../../protocol";
import {
  type InternalSendInput,
  type LocalContext,
  LocalServiceError,
  type MessageAttributeValue,
  type QueueDepth,
  type ReceivedMessage,
} from "../../types";
import { parseJsonInput } from "../../values";
import { invalidParameter, missingParameter, queueDoesNotExist, sqsError } from "./errors";
import {
  checkCharacters,
  checkFifoToken,
  DEDUP_WINDOW_SECONDS,
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
  sha256,
  validateMessageAttributes,
} from "./rules";

/**
 * The state and rules of the local SQS: queues and their configuration, messages with their visibility,
 * delays, receive counts and redrive to the dead-letter queue (refused when the DLQ's redrive allow policy
 * does not list the source), FIFO groups, deduplication and sequence numbers, retention, and DLQ redrive
 * move tasks. No wire format and no Pulumi here: the API (`api.ts`), the engine interface (`index.ts`) and
 * provisioning (`provisioning.ts`) all go through these methods, so every path applies the same rules.
 */

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

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueConfig {
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

export interface StoredMessage {
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
  /** While an event source mapping holds it: when it would have become visible (what the journal records). */
  heldVisibleAt?: number;
}

export interface QueueState {
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

export type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

export interface MoveTask {
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

/** A new queue's configuration: AWS's defaults. */
export function defaultConfig(): QueueConfig {
  return {
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
  };
}

/**
 * Where the model records what it accepted, when persisting (`persistence.ts`): called after each change,
 * before the caller answers.
 */
export interface SqsJournal {
  queue(queue: QueueState): void;
  queueDeleted(queue: QueueState): void;
  message(queue: QueueState, message: StoredMessage): void;
  messageDeleted(queue: QueueState, messageId: string): void;
  cleared(queue: QueueState): void;
  dedup(
    queue: QueueState,
    key: string,
    entry: { expiresAt: number; messageId: string; sequenceNumber?: string },
  ): void;
  task(task: MoveTask): void;
}

export class SqsModel {
  /** Set when persisting. */
  journal?: SqsJournal;

  readonly queues = new Map<string, QueueState>();
  readonly byArn = new Map<string, QueueState>();
  /** Redrive allow policies and queue policies declared by separate resources, by queue name. */
  readonly moveTasks = new Map<string, MoveTask[]>();
  readonly warned = new Set<string>();
  readonly msPerSecond: number;
  readonly purgeCooldownSeconds: number;
  stopped = false;

  constructor(
    readonly ctx: LocalContext,
    options: SqsOptions = {},
  ) {
    this.msPerSecond = options.msPerSecond ?? 1000;
    this.purgeCooldownSeconds = options.purgeCooldownSeconds ?? 60;
  }

  newQueue(
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

  /**
   * Creates a queue (CreateQueue and provisioning: one validation path). An existing queue is returned as
   * it is, except when `provisioning`, which reconfigures it from the program (its messages stay).
   */
  createQueue(
    name: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
    options: { arn?: string; provisioning?: boolean } = {},
  ): QueueState {
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
    if (existing && !existing.deleted && !options.provisioning) {
      // CreateQueue is idempotent only for the same attributes (policies compared as given are skipped).
      const current = { FifoQueue: String(existing.fifo), ...this.queueAttributes(existing) };
      for (const [attribute, value] of Object.entries(attributes)) {
        if (["Policy", "RedrivePolicy", "RedriveAllowPolicy"].includes(attribute)) continue;
        const now = current[attribute as keyof typeof current];
        if (now !== undefined && now !== value) {
          throw sqsError(
            "QueueNameExists",
            `A queue already exists with the same name and a different value for attribute ${attribute}`,
          );
        }
      }
      return existing;
    }
    const arn = options.arn ?? `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`;
    const queue = existing ?? this.newQueue(name, arn, fifo, defaultConfig(), tags);
    const previous = existing ? { config: existing.config, tags: existing.tags } : undefined;
    if (existing) {
      existing.config = defaultConfig();
      existing.tags = { ...tags };
      existing.lastModifiedAt = Date.now();
    }
    try {
      this.applyAttributes(queue, attributes, true, options.provisioning === true);
    } catch (error) {
      if (previous && existing) {
        existing.config = previous.config;
        existing.tags = previous.tags;
      } else {
        this.queues.delete(name);
        this.byArn.delete(queue.arn);
      }
      throw error;
    }
    this.changed(queue);
    return queue;
  }

  /** Parses and stores a RedrivePolicy; `strict` (the wire API) throws on invalid ones, provisioning logs. */
  setRedrivePolicy(queue: QueueState, json: string, strict: boolean): void {
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

  /** Records a queue's new configuration (the journal, when persisting). */
  changed(queue: QueueState): void {
    this.journal?.queue(queue);
  }

  /** Deletes a queue and its messages (DeleteQueue). */
  deleteQueue(queue: QueueState): void {
    queue.deleted = true;
    this.queues.delete(queue.name);
    this.byArn.delete(queue.arn);
    if (queue.config.policy) this.ctx.iam.resourcePolicyChanged(queue.arn, undefined);
    this.journal?.queueDeleted(queue);
    this.notify(queue);
  }

  /** Drops every message of the queue (PurgeQueue). */
  purge(queue: QueueState, now: number): void {
    queue.lastPurgeAt = now;
    queue.messages.clear();
    this.journal?.cleared(queue);
    this.journal?.queue(queue);
    this.notify(queue);
  }

  /** Resolves once everything accepted so far is on disk (at once when not persisting). */
  async durable(): Promise<void> {}

  /** Warns about redrive policies whose dead-letter queue is missing, of the other type or not allowed. */
  checkDeadLetterTargets(): void {
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

  /** Stops move tasks and wakes every long poll (they answer empty). */
  close(): void {
    this.stopped = true;
    for (const tasks of this.moveTasks.values()) {
      for (const task of tasks) if (task.timer) clearInterval(task.timer);
    }
    for (const queue of this.queues.values()) this.notify(queue);
  }

  // ---------------------------------------------------------------- lookups

  nameFromUrl(url: unknown): string | undefined {
    return queueNameFromUrl(url);
  }

  /** A queue by its URL, from any host: `<anything>/<account>/<name>`. */
  queueByUrl(url: string): QueueState {
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
  queueByRef(ref: string): QueueState {
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

  redriveAllowed(dlq: QueueState, source: QueueState): boolean {
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

  sourcesOf(dlq: QueueState): QueueState[] {
    return [...this.queues.values()].filter(
      (queue) => queue.config.redrivePolicy?.deadLetterTargetArn === dlq.arn,
    );
  }

  // ---------------------------------------------------------------- time and state

  ms(seconds: number): number {
    return seconds * this.msPerSecond;
  }

  stateOf(message: StoredMessage, now: number): "visible" | "inFlight" | "delayed" {
    if (message.inflightUntil > now) return "inFlight";
    if (message.delayUntil > now) return "delayed";
    return "visible";
  }

  /**
   * Drops messages past retention and expired deduplication ids; at most once per (scaled) second per
   * queue, so a deep queue is not scanned on every send. Readers check expiry themselves as well.
   */
  sweep(queue: QueueState, now: number, force = false): void {
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

  notify(queue: QueueState): void {
    const waiters = [...queue.waiters];
    queue.waiters.clear();
    for (const wake of waiters) wake();
  }

  nextSequence(queue: QueueState): string {
    const candidate = BigInt(Date.now()) * 1_000_000n;
    queue.lastSequence = candidate > queue.lastSequence ? candidate : queue.lastSequence + 1n;
    return queue.lastSequence.toString().padStart(20, "0");
  }

  // ---------------------------------------------------------------- send

  /**
   * Validates and enqueues one message (SendMessage and every internal sender).
   * @returns the message id (the original one for a FIFO duplicate) and the MD5s AWS returns
   */
  enqueue(
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
      const entry = { expiresAt: now + this.ms(DEDUP_WINDOW_SECONDS), messageId, sequenceNumber };
      queue.dedup.set(dedupKey, entry);
      this.journal?.dedup(queue, dedupKey, entry);
    }
    this.store(queue, {
      messageId,
      body,
      md5OfBody,
      messageAttributes: attributes,
      traceHeader: input.traceHeader,
      senderId: input.senderId ?? this.ctx.accountId,
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

  store(queue: QueueState, message: StoredMessage): void {
    queue.messages.set(message.messageId, message);
    this.journal?.message(queue, message);
    this.notify(queue);
  }

  // ---------------------------------------------------------------- receive

  /** Takes up to `max` receivable messages now: counts the receive, redrives past maxReceiveCount. */
  collect(queue: QueueState, max: number, visibilityMs: number, now: number): StoredMessage[] {
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
      this.journal?.message(queue, message);
      taken.push(message);
    }
    return taken;
  }

  /** Moves a message that would exceed maxReceiveCount to the DLQ. @returns false when it cannot (it stays) */
  moveToDeadLetter(queue: QueueState, message: StoredMessage, redrive: RedrivePolicy, now: number): boolean {
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
    this.journal?.messageDeleted(queue, message.messageId);
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
  nextTransition(queue: QueueState, now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const message of queue.messages.values()) {
      if (message.inflightUntil > now) next = Math.min(next, message.inflightUntil);
      else if (message.delayUntil > now) next = Math.min(next, message.delayUntil);
    }
    return next;
  }

  waitForChange(queue: QueueState, ms: number, signal?: AbortSignal): Promise<void> {
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
  async receiveMessages(
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

  systemAttributes(queue: QueueState, message: StoredMessage): Record<string, string> {
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

  decodeHandle(queue: QueueState, handle: string): string {
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
  deleteByHandle(queue: QueueState, handle: string): boolean {
    const id = this.decodeHandle(queue, handle);
    const message = queue.messages.get(id);
    if (!message || message.receiptHandle !== handle) return false;
    queue.messages.delete(id);
    this.journal?.messageDeleted(queue, id);
    if (queue.fifo) this.notify(queue);
    return true;
  }

  changeByHandle(queue: QueueState, handle: string, seconds: number): void {
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
    message.heldVisibleAt = undefined;
    this.journal?.message(queue, message);
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
    held.heldVisibleAt = visibleAt;
    return () => {
      if (queue.messages.get(held.messageId) !== held || held.receiptHandle !== receiptHandle) return;
      if (held.inflightUntil !== Number.MAX_SAFE_INTEGER) return;
      held.inflightUntil = Math.max(Date.now(), visibleAt);
      held.heldVisibleAt = undefined;
      this.journal?.message(queue, held);
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

  warnOnce(key: string, message: string, fields?: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.log.warn(message, fields);
  }

  queueAttributes(queue: QueueState): Record<string, string> {
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

  /** Applies CreateQueue / SetQueueAttributes attributes with AWS's bounds. */
  /**
   * Applies CreateQueue / SetQueueAttributes attributes with AWS's bounds. `provisioning`: a redrive
   * policy's dead-letter queue may be provisioned later (checked at start instead).
   */
  applyAttributes(
    queue: QueueState,
    attributes: Record<string, string>,
    creating: boolean,
    provisioning = false,
  ): void {
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
    if (attributes.Policy !== undefined) {
      config.policy = attributes.Policy || undefined;
      this.ctx.iam.resourcePolicyChanged(queue.arn, config.policy);
    }
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
        if (provisioning && !dlq) {
          // checked once everything is provisioned (checkDeadLetterTargets)
        } else if (!dlq) {
          throw sqsError(
            "InvalidParameterValue",
            "Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.",
          );
        } else if (dlq.fifo !== queue.fifo) {
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
    this.journal?.queue(queue);
  }

  /** Runs a move task until it completes (every few scaled milliseconds). */
  runMoveTask(task: MoveTask): void {
    this.journal?.task(task);
    task.timer = setInterval(
      () => this.tickMoveTask(task),
      Math.max(5, Math.min(100, this.msPerSecond / 10)),
    );
    task.timer.unref();
    this.tickMoveTask(task);
  }

  finishMoveTask(task: MoveTask, status: MoveTaskStatus, failureReason?: string): void {
    task.status = status;
    task.failureReason = failureReason;
    if (task.timer) clearInterval(task.timer);
    task.timer = undefined;
    this.journal?.task(task);
    this.ctx.log.info(`sqs: message move task from ${task.sourceArn} ${status.toLowerCase()}`, {
      moved: task.moved,
      toMove: task.toMove,
      failureReason,
    });
  }

  tickMoveTask(task: MoveTask): void {
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
      this.journal?.messageDeleted(source, id);
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
}

/** The queue name at the end of a queue URL (any host), or of a path. */
export function queueNameFromUrl(url: unknown): string | undefined {
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
