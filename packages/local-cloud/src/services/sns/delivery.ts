import { randomUUID } from "node:crypto";
import { compileFilterPolicy } from "@switchyard/routing";
import { DeliveryPending } from "../../iam";
import { type InternalSendInput, type LocalContext, LocalServiceError } from "../../types";
import {
  contentDeduplicationId,
  envelope,
  INVALID_PARAMETER,
  lambdaEvent,
  messageFor,
  parseMessageStructure,
  publishSize,
  SNS_MAX_MESSAGE_BYTES,
  SNS_RAW_SQS_MAX_ATTRIBUTES,
  type SnsAttributes,
  type SnsNotification,
  validateAttributes,
  validateFifoId,
  validateSubject,
} from "./message";
import type { SnsModel, Subscription, Topic } from "./model";

/**
 * What SNS does with a published message: every check Publish and PublishBatch make, FIFO deduplication and
 * sequence numbers, then delivery after the response, in publish order, to each subscription whose filter
 * policy matches (SQS, Lambda, or an outbox for e-mail, SMS and HTTP), failed deliveries going to the
 * subscription's redrive DLQ. No wire format here: the query codec (query.ts) reads requests into these inputs.
 */

const LOG_LIMIT = 500;

/** Options of the SNS emulator (all have AWS's values by default). */
export interface SnsOptions {
  /** Largest message (UTF-8 body plus attribute names, types and values) a topic accepts. @default 262144 (256 KB) */
  maxMessageBytes?: number;
  /** FIFO deduplication interval. @default 300000 (5 minutes, as AWS) */
  deduplicationWindowMs?: number;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** One message SNS handed to an endpoint the engine cannot reach (email, email-json, sms, http/s, others). */
export interface SnsOutboxEntry {
  topicArn: string;
  subscriptionArn?: string;
  protocol: string;
  endpoint: string;
  /** What the endpoint would receive: the text (email, sms, raw http) or the JSON envelope (email-json, http). */
  message: string;
  subject?: string;
  messageId: string;
  at: number;
}

/** What happened to one message at one subscription (`GET /_local/sns/deliveries`). */
export interface SnsDeliveryRecord {
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  status: "delivered" | "filtered-out" | "dead-lettered" | "dropped";
  error?: string;
  deadLetterTargetArn?: string;
  at: number;
}

/**
 * Outcomes at one subscription since the engine started (`GET /_local/sns/topics`, each subscription's `counts`;
 * the console's map counts on the topic -> subscription edges). Each delivery adds one to exactly one of them.
 */
export interface SnsDeliveryCounts {
  delivered: number;
  filteredOut: number;
  /** Failed, and sent to the subscription's DLQ. */
  deadLettered: number;
  /** Failed, and lost: no DLQ, or the DLQ refused it. */
  failed: number;
}

export interface PublishInput {
  topicArn?: string;
  targetArn?: string;
  phoneNumber?: string;
  message?: string;
  subject?: string;
  messageStructure?: string;
  attributes: SnsAttributes;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

/** A prepared publish: validated, not yet accepted (PublishBatch validates every entry before accepting any). */
export interface Prepared {
  topic: Topic;
  input: PublishInput;
  perProtocol?: Record<string, string>;
  dedupId?: string;
}

function errorText(error: unknown): string {
  if (error instanceof LocalServiceError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** One PublishBatch entry: its id and what Publish would take. */
export interface BatchEntry {
  id: string;
  input: PublishInput;
}

export type SnsDelivery = ReturnType<typeof createSnsDelivery>;

/** The publishing pipeline of one SNS emulator, over its model. */
export function createSnsDelivery(ctx: LocalContext, model: SnsModel, options: SnsOptions = {}) {
  const maxMessageBytes = options.maxMessageBytes ?? SNS_MAX_MESSAGE_BYTES;
  const dedupWindowMs = options.deduplicationWindowMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const { subscriptions } = model;
  const outboxEntries: SnsOutboxEntry[] = [];
  const deliveries: SnsDeliveryRecord[] = [];
  const counts = new Map<string, SnsDeliveryCounts>();

  const queue: Array<() => void> = [];
  let immediate: NodeJS.Immediate | undefined;
  let stopped = false;
  /** Deliveries waiting for their first IAM decision (not idle until they ran). */
  let pendingChecks = 0;
  let waiters: Array<() => void> = [];

  function notifyIfIdle(): void {
    if (queue.length > 0 || immediate || pendingChecks > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  }

  function drain(): void {
    immediate = undefined;
    while (queue.length > 0 && !stopped) {
      const task = queue.shift();
      try {
        task?.();
      } catch (error) {
        ctx.log.error("sns delivery task failed", { error: errorText(error) });
      }
    }
    notifyIfIdle();
  }

  function schedule(task: () => void): void {
    if (stopped) return;
    queue.push(task);
    immediate ??= setImmediate(drain);
  }

  function record(entry: SnsDeliveryRecord): void {
    deliveries.push(entry);
    if (deliveries.length > LOG_LIMIT) deliveries.splice(0, deliveries.length - LOG_LIMIT);
    const count = countsOf(entry.subscriptionArn);
    const outcome = {
      delivered: "delivered",
      "filtered-out": "filteredOut",
      "dead-lettered": "deadLettered",
    } as const;
    count[entry.status === "dropped" ? "failed" : outcome[entry.status]] += 1;
  }

  function countsOf(subscriptionArn: string): SnsDeliveryCounts {
    const count = counts.get(subscriptionArn) ?? { delivered: 0, filteredOut: 0, deadLettered: 0, failed: 0 };
    counts.set(subscriptionArn, count);
    return count;
  }

  function topicOf(arn: string): Topic {
    return model.topic(arn);
  }

  /** Every check Publish makes, in AWS's order as far as it is known; accepts nothing. */
  function prepare(input: PublishInput): Prepared {
    const arn = input.topicArn ?? input.targetArn;
    if (!arn) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
      );
    }
    if (input.message === undefined || input.message === "") {
      throw new LocalServiceError(INVALID_PARAMETER, "Invalid parameter: Empty message");
    }
    validateSubject(input.subject);
    validateAttributes(input.attributes);
    let perProtocol: Record<string, string> | undefined;
    if (input.messageStructure !== undefined) {
      if (input.messageStructure !== "json") {
        throw new LocalServiceError(
          INVALID_PARAMETER,
          `Invalid parameter: MessageStructure Reason: only "json" is supported (got ${JSON.stringify(input.messageStructure)})`,
        );
      }
      perProtocol = parseMessageStructure(input.message);
    }
    const size = publishSize(input.message, input.attributes);
    if (size > maxMessageBytes) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        `Invalid parameter: Message too long (${size} bytes with attributes; the limit is ${maxMessageBytes} bytes)`,
      );
    }
    const topic = topicOf(arn);
    validateFifoId("MessageGroupId", input.messageGroupId);
    validateFifoId("MessageDeduplicationId", input.messageDeduplicationId);
    let dedupId: string | undefined;
    if (topic.fifo) {
      if (!input.messageGroupId) {
        throw new LocalServiceError(
          INVALID_PARAMETER,
          "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
        );
      }
      dedupId = input.messageDeduplicationId;
      if (!dedupId) {
        if (!topic.contentBasedDeduplication) {
          throw new LocalServiceError(
            INVALID_PARAMETER,
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
          );
        }
        dedupId = contentDeduplicationId(input.message);
      }
    } else if (input.messageDeduplicationId !== undefined) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
      );
    }
    return { topic, input, perProtocol, dedupId };
  }

  /** Accepts a prepared message: FIFO deduplication, sequence number, then delivery (asynchronous). */
  function accept(prepared: Prepared): { messageId: string; sequenceNumber?: string } {
    const { topic, input } = prepared;
    const at = now();
    let dedupKey: string | undefined;
    if (topic.fifo && prepared.dedupId) {
      for (const [key, seen] of topic.dedup) if (at - seen.at >= dedupWindowMs) topic.dedup.delete(key);
      dedupKey =
        topic.fifoThroughputScope === "MessageGroup"
          ? `${input.messageGroupId}\u0000${prepared.dedupId}`
          : prepared.dedupId;
      const original = topic.dedup.get(dedupKey);
      if (original) {
        ctx.log.debug("sns duplicate within the deduplication interval: not delivered", {
          topicArn: topic.arn,
          messageDeduplicationId: prepared.dedupId,
          messageId: original.messageId,
        });
        return { messageId: original.messageId, sequenceNumber: original.sequenceNumber };
      }
    }
    const messageId = randomUUID();
    let sequenceNumber: string | undefined;
    if (topic.fifo) {
      topic.sequence += 1n;
      sequenceNumber = (10n ** 19n + topic.sequence).toString();
    }
    if (dedupKey !== undefined) topic.dedup.set(dedupKey, { messageId, sequenceNumber, at });
    const notification: SnsNotification = {
      messageId,
      topicArn: topic.arn,
      message: input.message ?? "",
      perProtocol: prepared.perProtocol,
      subject: input.subject,
      attributes: input.attributes,
      timestamp: new Date(at).toISOString(),
      messageGroupId: topic.fifo ? input.messageGroupId : undefined,
      messageDeduplicationId: prepared.dedupId,
      sequenceNumber,
    };
    schedule(() => deliverAll(topic, notification));
    return sequenceNumber === undefined ? { messageId } : { messageId, sequenceNumber };
  }

  function publishToPhone(input: PublishInput): { messageId: string } {
    if (input.message === undefined || input.message === "") {
      throw new LocalServiceError(INVALID_PARAMETER, "Invalid parameter: Empty message");
    }
    const phone = input.phoneNumber ?? "";
    if (!/^\+[1-9]\d{1,14}$/.test(phone)) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        `Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`,
      );
    }
    validateAttributes(input.attributes);
    const messageId = randomUUID();
    const message =
      input.messageStructure === "json" ? (parseMessageStructure(input.message).sms ?? "") : input.message;
    outboxEntries.push({ topicArn: "", protocol: "sms", endpoint: phone, message, messageId, at: now() });
    return { messageId };
  }

  function publish(input: PublishInput): { messageId: string; sequenceNumber?: string } {
    if (input.phoneNumber && !input.topicArn && !input.targetArn) return publishToPhone(input);
    return accept(prepare(input));
  }

  // ---------------------------------------------------------------- delivery

  function deliverAll(topic: Topic, notification: SnsNotification): void {
    for (const subscription of subscriptions.values()) {
      if (subscription.topicArn !== topic.arn) continue;
      deliver(topic, subscription, notification);
    }
  }

  function matches(subscription: Subscription, notification: SnsNotification): boolean {
    if (!subscription.filterPolicy) return true;
    const predicate = compileFilterPolicy(subscription.filterPolicy, subscription.filterPolicyScope);
    return subscription.filterPolicyScope === "MessageBody"
      ? predicate(messageFor(notification, subscription.protocol))
      : predicate(notification.attributes);
  }

  function sqsPayload(
    topic: Topic,
    subscription: Subscription,
    notification: SnsNotification,
  ): InternalSendInput {
    const context = { region: ctx.region, endpoint: ctx.endpoint, subscriptionArn: subscription.arn };
    const raw = subscription.rawMessageDelivery;
    const payload: InternalSendInput = {
      body: raw ? messageFor(notification, "sqs") : JSON.stringify(envelope(notification, "sqs", context)),
      senderId: topic.arn,
    };
    if (raw && !notification.perProtocol && Object.keys(notification.attributes).length > 0) {
      payload.messageAttributes = { ...notification.attributes };
    }
    return payload;
  }

  function withFifoIds(
    payload: InternalSendInput,
    queueArn: string,
    notification: SnsNotification,
  ): InternalSendInput {
    if (!queueArn.endsWith(".fifo") || notification.messageGroupId === undefined) return payload;
    return {
      ...payload,
      messageGroupId: notification.messageGroupId,
      messageDeduplicationId: notification.messageDeduplicationId,
    };
  }

  /**
   * Whether SNS may send to `resource` for this topic (the queue's policy, the function's permission, the redrive
   * DLQ's policy). A refusal throws (AWS: a client-side error, to the DLQ or dropped); a decision still loading
   * answers false and runs `again` (the same delivery) once it is ready.
   */
  function permitted(
    action: string,
    resource: string,
    topic: Topic,
    source: string,
    again: () => void,
  ): boolean {
    try {
      ctx.iam.requireDelivery(
        { service: "sns.amazonaws.com", action, resource, sourceArn: topic.arn },
        source,
      );
      return true;
    } catch (error) {
      if (!(error instanceof DeliveryPending)) throw error;
      pendingChecks++;
      void error.ready.finally(() => {
        pendingChecks--;
        schedule(again);
      });
      return false;
    }
  }

  function deliver(topic: Topic, subscription: Subscription, notification: SnsNotification): void {
    const base = {
      messageId: notification.messageId,
      topicArn: topic.arn,
      subscriptionArn: subscription.arn,
      protocol: subscription.protocol,
      endpoint: subscription.endpoint,
    };
    if (!matches(subscription, notification)) {
      record({ ...base, status: "filtered-out", at: now() });
      return;
    }
    const retry = () => deliver(topic, subscription, notification);
    const context = { region: ctx.region, endpoint: ctx.endpoint, subscriptionArn: subscription.arn };
    try {
      switch (subscription.protocol) {
        case "sqs": {
          const queueArn = subscription.endpoint;
          const payload = sqsPayload(topic, subscription, notification);
          const count = Object.keys(payload.messageAttributes ?? {}).length;
          if (count > SNS_RAW_SQS_MAX_ATTRIBUTES) {
            throw new LocalServiceError(
              "InvalidParameterValue",
              `The message has ${count} message attributes; a raw-delivery SQS subscription takes at most ${SNS_RAW_SQS_MAX_ATTRIBUTES} (client-side error)`,
            );
          }
          if (!ctx.sqs.hasQueue(queueArn)) {
            throw new LocalServiceError(
              "AWS.SimpleQueueService.NonExistentQueue",
              `Queue ${queueArn} does not exist.`,
            );
          }
          // The queue's policy must let SNS send for this topic (AWS: a client-side error, DLQ or dropped).
          if (!permitted("sqs:SendMessage", queueArn, topic, subscription.arn, retry)) return;
          ctx.sqs.send(queueArn, withFifoIds(payload, queueArn, notification));
          break;
        }
        case "lambda": {
          if (!ctx.lambda.hasFunction(subscription.endpoint)) {
            throw new LocalServiceError(
              "ResourceNotFoundException",
              `Function not found: ${subscription.endpoint}`,
              404,
            );
          }
          // The function's permission must let SNS invoke it for this topic.
          if (
            !permitted(
              "lambda:InvokeFunction",
              ctx.iam.policies.functionArn(subscription.endpoint),
              topic,
              subscription.arn,
              retry,
            )
          )
            return;
          ctx.lambda.invokeAsync(subscription.endpoint, lambdaEvent(notification, context), {
            source: "aws:sns",
          });
          break;
        }
        default: {
          const protocol = subscription.protocol;
          const jsonBody =
            protocol === "email-json" ||
            ((protocol === "http" || protocol === "https" || protocol === "firehose") &&
              !subscription.rawMessageDelivery);
          outboxEntries.push({
            topicArn: topic.arn,
            subscriptionArn: subscription.arn,
            protocol,
            endpoint: subscription.endpoint,
            message: jsonBody
              ? JSON.stringify(envelope(notification, protocol, context))
              : messageFor(notification, protocol),
            subject:
              protocol === "email" || protocol === "email-json"
                ? (notification.subject ?? "AWS Notification Message")
                : notification.subject,
            messageId: notification.messageId,
            at: now(),
          });
          if (!["email", "email-json", "sms", "http", "https"].includes(protocol)) {
            ctx.log.debug(`sns protocol ${protocol} is not emulated; kept in the outbox`, {
              subscription: subscription.arn,
            });
          }
        }
      }
      record({ ...base, status: "delivered", at: now() });
    } catch (error) {
      deadLetter(topic, subscription, notification, error, base);
    }
  }

  /**
   * A delivery SNS could not make goes to the subscription's redrive DLQ as the message the subscription would
   * have received (raw body with its attributes, or the JSON envelope); without a DLQ it is dropped.
   * https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
   */
  function deadLetter(
    topic: Topic,
    subscription: Subscription,
    notification: SnsNotification,
    error: unknown,
    base: Omit<SnsDeliveryRecord, "status" | "at">,
  ): void {
    const reason = errorText(error);
    const dlq = subscription.deadLetterTargetArn;
    if (!dlq) {
      ctx.log.warn(
        `sns delivery to ${subscription.protocol}:${subscription.endpoint} failed and the subscription has no DLQ: message dropped`,
        {
          subscription: subscription.arn,
          messageId: notification.messageId,
          error: reason,
        },
      );
      record({ ...base, status: "dropped", error: reason, at: now() });
      return;
    }
    const payload =
      subscription.protocol === "sqs"
        ? sqsPayload(topic, subscription, notification)
        : {
            body: JSON.stringify(
              envelope(notification, subscription.protocol, {
                region: ctx.region,
                endpoint: ctx.endpoint,
                subscriptionArn: subscription.arn,
              }),
            ),
            senderId: topic.arn,
          };
    try {
      // The DLQ's policy must let SNS send for this topic, as for any SNS -> SQS delivery (IAM).
      const again = () => deadLetter(topic, subscription, notification, error, base);
      if (!permitted("sqs:SendMessage", dlq, topic, `${subscription.arn} redrive DLQ`, again)) return;
    } catch (denied) {
      record({ ...base, status: "dropped", error: `${reason}; DLQ: ${errorText(denied)}`, at: now() });
      return;
    }
    const attempts: InternalSendInput[] = [withFifoIds(payload, dlq, notification)];
    if (payload.messageAttributes) {
      // More attributes than SQS takes (the reason the delivery failed): keep the message, lose the attributes.
      const { messageAttributes: _dropped, ...bare } = payload;
      attempts.push(withFifoIds(bare, dlq, notification));
    }
    let lastError: unknown;
    for (const attempt of attempts) {
      try {
        ctx.sqs.send(dlq, attempt);
        ctx.log.warn(
          `sns delivery to ${subscription.protocol}:${subscription.endpoint} failed: sent to the DLQ`,
          {
            subscription: subscription.arn,
            deadLetterTargetArn: dlq,
            messageId: notification.messageId,
            error: reason,
          },
        );
        record({ ...base, status: "dead-lettered", error: reason, deadLetterTargetArn: dlq, at: now() });
        return;
      } catch (dlqError) {
        lastError = dlqError;
      }
    }
    ctx.log.error(`sns delivery failed and the DLQ refused the message: dropped`, {
      subscription: subscription.arn,
      deadLetterTargetArn: dlq,
      messageId: notification.messageId,
      error: reason,
      dlqError: errorText(lastError),
    });
    record({ ...base, status: "dropped", error: `${reason}; DLQ: ${errorText(lastError)}`, at: now() });
  }

  /**
   * PublishBatch: at most ten entries with distinct, well-formed ids and at most 256 KB together. AWS refuses
   * the whole batch when one entry is malformed, so every entry is checked before any is accepted.
   */
  function publishBatch(
    topicArn: string | undefined,
    entries: BatchEntry[],
  ): Array<{ id: string; messageId: string; sequenceNumber?: string }> {
    if (!topicArn) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        "Invalid parameter: TopicArn Reason: no value for required parameter",
      );
    }
    if (entries.length === 0) {
      throw new LocalServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.");
    }
    if (entries.length > 10) {
      throw new LocalServiceError(
        "TooManyEntriesInBatchRequest",
        `The batch request contains more entries than permissible (${entries.length}; at most 10).`,
      );
    }
    const ids = entries.map((entry) => entry.id);
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate !== undefined) {
      throw new LocalServiceError(
        "BatchEntryIdsNotDistinct",
        `Two or more batch entries in the request have the same Id (${JSON.stringify(duplicate)}).`,
      );
    }
    for (const id of ids) {
      if (id.length > 80) {
        throw new LocalServiceError(
          "InvalidBatchEntryId",
          `The Id of a batch entry in the batch request is too long: ${id}`,
        );
      }
      if (!/^[A-Za-z0-9_-]+$/.test(id)) {
        throw new LocalServiceError(
          "InvalidBatchEntryId",
          `The Id of a batch entry in the batch request contains an impermissible character: ${JSON.stringify(id)}`,
        );
      }
    }
    const inputs = entries.map((entry) => ({ ...entry.input, topicArn }));
    const total = inputs.reduce((sum, input) => sum + publishSize(input.message ?? "", input.attributes), 0);
    if (total > maxMessageBytes) {
      throw new LocalServiceError(
        "BatchRequestTooLong",
        `The length of all the messages put together is more than the limit (${total} bytes; at most ${maxMessageBytes}).`,
      );
    }
    const prepared = inputs.map((input) => prepare(input));
    return prepared.map((entry, index) => ({ id: ids[index] ?? "", ...accept(entry) }));
  }

  return {
    publish,
    publishBatch,
    outbox(topicArn?: string): SnsOutboxEntry[] {
      return outboxEntries.filter((entry) => !topicArn || entry.topicArn === topicArn);
    },
    deliveries(topicArn?: string): SnsDeliveryRecord[] {
      return deliveries.filter((entry) => !topicArn || entry.topicArn === topicArn);
    },
    counts(subscriptionArn: string): SnsDeliveryCounts {
      return {
        ...(counts.get(subscriptionArn) ?? { delivered: 0, filteredOut: 0, deadLettered: 0, failed: 0 }),
      };
    },
    stop(): void {
      stopped = true;
      if (immediate) clearImmediate(immediate);
      immediate = undefined;
      queue.length = 0;
      notifyIfIdle();
    },
    settled(): Promise<void> {
      if (queue.length === 0 && !immediate) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
