import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { compileFilterPolicy } from "@switchyard/routing";
import {
  parseArn,
  parseQueryBody,
  queryMembers,
  sendQueryError,
  sendQueryResult,
  xmlEscape,
} from "../protocol";
import {
  type InternalSendInput,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
  type SnsEngine,
} from "../types";
import { scalarString as str } from "../values";
import { snsNotEmulated } from "./sns/errors";
import { SnsModel, type Subscription, type Topic } from "./sns/model";
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
} from "./sns-message";

/**
 * The SNS emulator: topics, subscriptions and topic policies come from the program's
 * `aws:sns/topic:Topic`, `aws:sns/topicSubscription:TopicSubscription` and `aws:sns/topicPolicy:TopicPolicy`
 * resources; the awsQuery API (Publish, PublishBatch, List*, Get*Attributes) serves the SDK; every accepted
 * message is filtered per subscription with `@switchyard/routing` and delivered asynchronously to SQS, Lambda,
 * or an in-memory outbox (email, email-json, sms, http, https), with failed deliveries sent to the
 * subscription's redrive DLQ.
 */

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const PAGE_SIZE = 100;
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

interface PublishInput {
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
interface Prepared {
  topic: Topic;
  input: PublishInput;
  perProtocol?: Record<string, string>;
  dedupId?: string;
}

/** The SNS emulator as the engine and tests see it. */
export type SnsEmulator = ServiceEmulator &
  SnsEngine & {
    outbox(topicArn?: string): SnsOutboxEntry[];
    /** Resolves once every accepted message has been delivered (or dead-lettered / dropped). */
    settled(): Promise<void>;
  };

function bool(value: unknown): boolean {
  return value === true || value === "true";
}

function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function toLocalError(error: unknown): LocalServiceError {
  if (error instanceof LocalServiceError) return error;
  return new LocalServiceError("InternalError", error instanceof Error ? error.message : String(error), 500);
}

function errorText(error: unknown): string {
  if (error instanceof LocalServiceError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function xmlMap(entries: Record<string, string | undefined>): string {
  return Object.entries(entries)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `<entry><key>${xmlEscape(key)}</key><value>${xmlEscape(value)}</value></entry>`)
    .join("");
}

function pageOf<T>(items: T[], token: string | undefined): { page: T[]; next?: string } {
  const start = token ? Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new LocalServiceError(INVALID_PARAMETER, "Invalid parameter: NextToken");
  const page = items.slice(start, start + PAGE_SIZE);
  const end = start + PAGE_SIZE;
  return end < items.length ? { page, next: Buffer.from(String(end)).toString("base64") } : { page };
}

/** An awsQuery `Attributes.entry.N.key/value` map. */
function attributeMap(form: Record<string, string>, prefix: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of queryMembers(form, prefix)) {
    if (entry.key !== undefined) map[entry.key] = entry.value ?? "";
  }
  return map;
}

/** An awsQuery `Tags.member.N.Key/Value` list as a map. */
function tagMap(form: Record<string, string>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of queryMembers(form, "Tags")) {
    if (entry.Key !== undefined) map[entry.Key] = entry.Value ?? "";
  }
  return map;
}

function definedStrings(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

function attributesFrom(form: Record<string, string>, prefix: string): SnsAttributes {
  const attributes: SnsAttributes = {};
  for (const entry of queryMembers(form, prefix)) {
    const name = entry.Name;
    if (name === undefined) continue;
    attributes[name] = {
      DataType: entry["Value.DataType"] ?? "",
      ...(entry["Value.StringValue"] !== undefined ? { StringValue: entry["Value.StringValue"] } : {}),
      ...(entry["Value.BinaryValue"] !== undefined ? { BinaryValue: entry["Value.BinaryValue"] } : {}),
    };
  }
  return attributes;
}

/**
 * Creates the SNS emulator (signing name `sns`). Deliveries happen after Publish returns, in publish order
 * (so FIFO topics deliver in order per subscription); `settled()` waits for them.
 */
export function createSns(ctx: LocalContext, options: SnsOptions = {}): SnsEmulator {
  const maxMessageBytes = options.maxMessageBytes ?? SNS_MAX_MESSAGE_BYTES;
  const dedupWindowMs = options.deduplicationWindowMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const model = new SnsModel(ctx, ctx.log);
  const { topics, subscriptions } = model;
  const outboxEntries: SnsOutboxEntry[] = [];
  const deliveries: SnsDeliveryRecord[] = [];

  const queue: Array<() => void> = [];
  let immediate: NodeJS.Immediate | undefined;
  let stopped = false;
  let waiters: Array<() => void> = [];

  function notifyIfIdle(): void {
    if (queue.length > 0 || immediate) return;
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
  }

  // ---------------------------------------------------------------- provisioning

  /** The program's topic, through CreateTopic's rules (SNS's attribute names and values). */
  function provisionTopic(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const arn =
      str(outputs.arn) ??
      str(resource.id) ??
      model.topicArn(str(outputs.name) ?? str(inputs.name) ?? resource.name);
    const name = str(outputs.name) ?? parseArn(arn)?.resource ?? resource.name;
    const fifo = bool(inputs.fifoTopic) || name.endsWith(".fifo");
    const attributes = definedStrings({
      FifoTopic: fifo ? "true" : undefined,
      DisplayName: str(inputs.displayName),
      KmsMasterKeyId: str(inputs.kmsMasterKeyId),
      DeliveryPolicy: jsonText(inputs.deliveryPolicy),
      SignatureVersion: str(inputs.signatureVersion),
      TracingConfig: str(inputs.tracingConfig),
      Policy: jsonText(inputs.policy),
      ...(fifo
        ? {
            ArchivePolicy: jsonText(inputs.archivePolicy),
            ContentBasedDeduplication: bool(inputs.contentBasedDeduplication) ? "true" : undefined,
            FifoThroughputScope: str(inputs.fifoThroughputScope),
          }
        : {}),
    });
    model.createTopic(name, attributes, stringMap(inputs.tags), {
      arn,
      logicalName: resource.name,
      onProblem: "warn",
    });
  }

  /** The program's subscription, through Subscribe's rules. */
  function provisionSubscription(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const topicArn = str(inputs.topic) ?? str(inputs.topicArn);
    const protocol = str(inputs.protocol);
    const endpoint = str(inputs.endpoint);
    if (!topicArn || !protocol || !endpoint) {
      ctx.log.warn(`sns subscription ${resource.name} has no topic, protocol or endpoint; ignored`, {
        inputs,
      });
      return;
    }
    const attributes = definedStrings({
      FilterPolicyScope: jsonText(inputs.filterPolicy) ? str(inputs.filterPolicyScope) : undefined,
      FilterPolicy: jsonText(inputs.filterPolicy),
      RawMessageDelivery: bool(inputs.rawMessageDelivery) ? "true" : undefined,
      RedrivePolicy: jsonText(inputs.redrivePolicy),
      DeliveryPolicy: jsonText(inputs.deliveryPolicy),
      SubscriptionRoleArn: str(inputs.subscriptionRoleArn),
    });
    model.subscribe(topicArn, protocol, endpoint, attributes, {
      arn: str(outputs.arn) ?? str(resource.id) ?? `${topicArn}:${randomUUID()}`,
      logicalName: resource.name,
      onProblem: "warn",
    });
  }

  function provisionTopicPolicy(resource: LocalResource): void {
    const arn = str(resource.inputs.arn);
    const policy = jsonText(resource.inputs.policy);
    if (!arn || !policy) return;
    model.setTopicAttribute(arn, "Policy", policy, { arn, onProblem: "warn" });
  }

  // ---------------------------------------------------------------- publishing

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

  // ---------------------------------------------------------------- wire protocol

  function publishInputFrom(form: Record<string, string>, prefix = ""): PublishInput {
    const field = (name: string): string | undefined => form[`${prefix}${name}`];
    return {
      topicArn: field("TopicArn"),
      targetArn: field("TargetArn"),
      phoneNumber: field("PhoneNumber"),
      message: field("Message"),
      subject: field("Subject"),
      messageStructure: field("MessageStructure"),
      attributes: attributesFrom(form, `${prefix}MessageAttributes`),
      messageGroupId: field("MessageGroupId"),
      messageDeduplicationId: field("MessageDeduplicationId"),
    };
  }

  function publishBatch(form: Record<string, string>): string {
    const topicArn = form.TopicArn;
    if (!topicArn) {
      throw new LocalServiceError(
        INVALID_PARAMETER,
        "Invalid parameter: TopicArn Reason: no value for required parameter",
      );
    }
    const entries = queryMembers(form, "PublishBatchRequestEntries");
    if (entries.length === 0) {
      throw new LocalServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.");
    }
    if (entries.length > 10) {
      throw new LocalServiceError(
        "TooManyEntriesInBatchRequest",
        `The batch request contains more entries than permissible (${entries.length}; at most 10).`,
      );
    }
    const ids = entries.map((entry) => entry.Id ?? "");
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
    const inputs = entries.map((entry) => ({ ...publishInputFrom(entry), topicArn }));
    const total = inputs.reduce((sum, input) => sum + publishSize(input.message ?? "", input.attributes), 0);
    if (total > maxMessageBytes) {
      throw new LocalServiceError(
        "BatchRequestTooLong",
        `The length of all the messages put together is more than the limit (${total} bytes; at most ${maxMessageBytes}).`,
      );
    }
    // AWS refuses the whole batch when one entry is malformed; nothing is accepted before every entry passed.
    const prepared = inputs.map((input) => prepare(input));
    const successful = prepared.map((entry, index) => {
      const result = accept(entry);
      return `<member><Id>${xmlEscape(ids[index])}</Id><MessageId>${result.messageId}</MessageId>${
        result.sequenceNumber ? `<SequenceNumber>${result.sequenceNumber}</SequenceNumber>` : ""
      }</member>`;
    });
    return `<Successful>${successful.join("")}</Successful><Failed/>`;
  }

  function subscriptionMember(subscription: Subscription): string {
    const owner = parseArn(subscription.topicArn)?.account ?? ctx.accountId;
    return `<member><SubscriptionArn>${xmlEscape(subscription.arn)}</SubscriptionArn><Owner>${owner}</Owner><Protocol>${xmlEscape(
      subscription.protocol,
    )}</Protocol><Endpoint>${xmlEscape(subscription.endpoint)}</Endpoint><TopicArn>${xmlEscape(
      subscription.topicArn,
    )}</TopicArn></member>`;
  }

  function listSubscriptions(items: Subscription[], token: string | undefined): string {
    const { page, next } = pageOf(items, token);
    return `<Subscriptions>${page.map(subscriptionMember).join("")}</Subscriptions>${
      next ? `<NextToken>${next}</NextToken>` : ""
    }`;
  }

  function perform(action: string | undefined, form: Record<string, string>): string {
    switch (action) {
      case "Publish": {
        const result = publish(publishInputFrom(form));
        return `<MessageId>${result.messageId}</MessageId>${
          "sequenceNumber" in result && result.sequenceNumber
            ? `<SequenceNumber>${result.sequenceNumber}</SequenceNumber>`
            : ""
        }`;
      }
      case "PublishBatch":
        return publishBatch(form);
      case "ListTopics": {
        const { page, next } = pageOf([...topics.values()], form.NextToken);
        return `<Topics>${page
          .map((topic) => `<member><TopicArn>${xmlEscape(topic.arn)}</TopicArn></member>`)
          .join("")}</Topics>${next ? `<NextToken>${next}</NextToken>` : ""}`;
      }
      case "GetTopicAttributes": {
        const topic = topicOf(form.TopicArn ?? "");
        return `<Attributes>${xmlMap(model.topicAttributes(topic))}</Attributes>`;
      }
      case "ListSubscriptions":
        return listSubscriptions([...subscriptions.values()], form.NextToken);
      case "ListSubscriptionsByTopic": {
        const topic = topicOf(form.TopicArn ?? "");
        const items = [...subscriptions.values()].filter(
          (subscription) => subscription.topicArn === topic.arn,
        );
        return listSubscriptions(items, form.NextToken);
      }
      case "GetSubscriptionAttributes": {
        const subscription = model.subscription(form.SubscriptionArn);
        return `<Attributes>${xmlMap(model.subscriptionAttributes(subscription))}</Attributes>`;
      }
      case "CreateTopic": {
        const topic = model.createTopic(form.Name, attributeMap(form, "Attributes"), tagMap(form));
        return `<TopicArn>${xmlEscape(topic.arn)}</TopicArn>`;
      }
      case "SetTopicAttributes":
        model.setTopicAttribute(form.TopicArn, form.AttributeName, form.AttributeValue);
        return "";
      case "DeleteTopic":
        model.deleteTopic(form.TopicArn);
        return "";
      case "Subscribe": {
        const subscription = model.subscribe(
          form.TopicArn,
          form.Protocol,
          form.Endpoint,
          attributeMap(form, "Attributes"),
        );
        return `<SubscriptionArn>${xmlEscape(subscription.arn)}</SubscriptionArn>`;
      }
      case "Unsubscribe":
        model.unsubscribe(form.SubscriptionArn);
        return "";
      case "SetSubscriptionAttributes":
        model.setSubscriptionAttribute(form.SubscriptionArn, form.AttributeName, form.AttributeValue);
        return "";
      case "ListTagsForResource":
        return `<Tags>${Object.entries(model.tags(form.ResourceArn))
          .map(
            ([key, value]) =>
              `<member><Key>${xmlEscape(key)}</Key><Value>${xmlEscape(value)}</Value></member>`,
          )
          .join("")}</Tags>`;
      case "TagResource":
        Object.assign(model.tags(form.ResourceArn), tagMap(form));
        return "";
      case "UntagResource": {
        const tags = model.tags(form.ResourceArn);
        for (const entry of queryMembers(form, "TagKeys"))
          if (entry[""] !== undefined) delete tags[entry[""]];
        return "";
      }
      case undefined:
        throw new LocalServiceError("MissingAction", "The request must contain the parameter Action.");
      default:
        throw snsNotEmulated(action);
    }
  }

  // ---------------------------------------------------------------- the emulator

  return {
    signingNames: ["sns"],

    provision(resource: LocalResource): void {
      if (resource.type === TOPIC) provisionTopic(resource);
      else if (resource.type === SUBSCRIPTION) provisionSubscription(resource);
      else if (resource.type === TOPIC_POLICY) provisionTopicPolicy(resource);
    },

    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      const url = new URL(req.url ?? "/", "http://local");
      const form: Record<string, string> = {
        ...Object.fromEntries(url.searchParams),
        ...parseQueryBody(body),
      };
      const action = form.Action;
      try {
        const inner = perform(action, form);
        sendQueryResult(res, action ?? "", inner, XMLNS);
      } catch (error) {
        const failure = toLocalError(error);
        if (failure.status >= 500) ctx.log.error(`sns ${action} failed`, { error: failure.message });
        sendQueryError(res, failure, XMLNS);
      }
    },

    adminRoutes: {
      "sns/topics": () =>
        [...topics.values()].map((topic) => ({
          arn: topic.arn,
          name: topic.name,
          logicalName: topic.logicalName,
          fifo: topic.fifo,
          contentBasedDeduplication: topic.contentBasedDeduplication,
          fifoThroughputScope: topic.fifo ? topic.fifoThroughputScope : undefined,
          displayName: topic.displayName,
          kmsMasterKeyId: topic.kmsMasterKeyId,
          archivePolicy: topic.archivePolicy ? (JSON.parse(topic.archivePolicy) as unknown) : undefined,
          subscriptions: [...subscriptions.values()]
            .filter((subscription) => subscription.topicArn === topic.arn)
            .map((subscription) => ({
              arn: subscription.arn,
              logicalName: subscription.logicalName,
              protocol: subscription.protocol,
              endpoint: subscription.endpoint,
              rawMessageDelivery: subscription.rawMessageDelivery,
              filterPolicy: subscription.filterPolicy
                ? (JSON.parse(subscription.filterPolicy) as unknown)
                : undefined,
              filterPolicyScope: subscription.filterPolicy ? subscription.filterPolicyScope : undefined,
              filterPolicyProblems:
                subscription.filterPolicyProblems.length > 0 ? subscription.filterPolicyProblems : undefined,
              deadLetterTargetArn: subscription.deadLetterTargetArn,
            })),
        })),
      "sns/outbox": (query) => {
        const topicArn = query.get("topicArn") ?? undefined;
        return outboxEntries.filter((entry) => !topicArn || entry.topicArn === topicArn);
      },
      "sns/deliveries": (query) => {
        const topicArn = query.get("topicArn") ?? undefined;
        return deliveries.filter((entry) => !topicArn || entry.topicArn === topicArn);
      },
    },

    stop(): void {
      stopped = true;
      if (immediate) clearImmediate(immediate);
      immediate = undefined;
      queue.length = 0;
      notifyIfIdle();
    },

    hasTopic(topicArn: string): boolean {
      return topics.has(topicArn);
    },

    publish(topicArn, input) {
      return publish({
        topicArn,
        message: input.message,
        subject: input.subject,
        attributes: input.messageAttributes ?? {},
        messageGroupId: input.messageGroupId,
        messageDeduplicationId: input.messageDeduplicationId,
      });
    },

    outbox(topicArn?: string): SnsOutboxEntry[] {
      return outboxEntries.filter((entry) => !topicArn || entry.topicArn === topicArn);
    },

    settled(): Promise<void> {
      if (queue.length === 0 && !immediate) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
