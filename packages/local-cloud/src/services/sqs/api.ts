import { randomUUID } from "node:crypto";
import type { InternalSendInput, MessageAttributeValue } from "../../types";
import { LocalServiceError } from "../../types";
import { invalidParameter, missingParameter, queueDoesNotExist, sqsError } from "./errors";
import type { MoveTask, SqsModel } from "./model";
import {
  attributeMap,
  attributeSelector,
  checkBatchIds,
  intParam,
  MAX_BATCH_ENTRIES,
  MAX_DELAY_SECONDS,
  MAX_MESSAGE_SIZE,
  MAX_VISIBILITY_TIMEOUT,
  MAX_WAIT_SECONDS,
  md5OfMessageAttributes,
  messageSize,
  requiredString,
  SYSTEM_ATTRIBUTE_NAMES,
  stringList,
  stringMap,
  stringParam,
} from "./rules";

/**
 * The SQS API: one function per operation, each taking the JSON protocol's input (what every codec
 * decodes to: the JSON body as is, or the query form read through `shapes.ts`) and returning the JSON
 * output, over the {@link SqsModel}. Validation of each parameter happens here, with AWS's messages.
 */

/** What an operation may need beyond its input: the signal that aborts a long poll when the client goes. */
export interface CallContext {
  signal: AbortSignal;
}

type Operation = (model: SqsModel, input: Record<string, unknown>, call: CallContext) => unknown;

function sendInput(entry: Record<string, unknown>): InternalSendInput & { traceHeader?: string } {
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
        throw invalidParameter("MessageSystemAttributes", name, "AWSTraceHeader must be a String attribute.");
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

export function opSendMessage(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const result = model.enqueue(queue, sendInput(input), { perMessageDelay: true });
  return {
    MessageId: result.messageId,
    MD5OfMessageBody: result.md5OfBody,
    MD5OfMessageAttributes: result.md5OfAttributes,
    MD5OfMessageSystemAttributes: result.md5OfSystemAttributes,
    SequenceNumber: result.sequenceNumber,
  };
}

function batchEntries(input: Record<string, unknown>): Array<Record<string, unknown>> {
  const entries = input.Entries;
  if (entries === undefined || entries === null) throw missingParameter("Entries");
  if (!Array.isArray(entries)) throw invalidParameter("Entries", JSON.stringify(entries), "Must be a list.");
  const records = entries.map((entry) =>
    typeof entry === "object" && entry !== null
      ? (entry as Record<string, unknown>)
      : ({} as Record<string, unknown>),
  );
  checkBatchIds(records.map((entry) => entry.Id));
  return records;
}

function batchFailure(
  id: string,
  error: unknown,
): { Id: string; SenderFault: boolean; Code: string; Message: string } {
  if (error instanceof LocalServiceError) {
    return { Id: id, SenderFault: error.status < 500, Code: error.code, Message: error.message };
  }
  return { Id: id, SenderFault: false, Code: "InternalError", Message: String(error) };
}

export function opSendMessageBatch(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const entries = batchEntries(input);
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
      const result = model.enqueue(queue, sendInput(entry), { perMessageDelay: true });
      Successful.push({
        Id: id,
        MessageId: result.messageId,
        MD5OfMessageBody: result.md5OfBody,
        MD5OfMessageAttributes: result.md5OfAttributes,
        MD5OfMessageSystemAttributes: result.md5OfSystemAttributes,
        SequenceNumber: result.sequenceNumber,
      });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return { Successful, Failed };
}

export async function opReceiveMessage(
  model: SqsModel,
  input: Record<string, unknown>,
  signal: AbortSignal,
): Promise<unknown> {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
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
  const messages = await model.receiveMessages(queue, max, wait, visibility, signal);
  if (messages.length === 0) return {};
  return {
    Messages: messages.map((message) => {
      const system = model.systemAttributes(queue, message);
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

export function opDeleteMessage(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  model.deleteByHandle(queue, requiredString(input, "ReceiptHandle"));
  return {};
}

export function opDeleteMessageBatch(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const entries = batchEntries(input);
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  for (const entry of entries) {
    const id = entry.Id as string;
    try {
      model.deleteByHandle(queue, requiredString(entry, "ReceiptHandle"));
      Successful.push({ Id: id });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return { Successful, Failed };
}

export function opChangeMessageVisibility(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const handle = requiredString(input, "ReceiptHandle");
  const timeout = intParam(input, "VisibilityTimeout", { min: 0, max: MAX_VISIBILITY_TIMEOUT });
  if (timeout === undefined) throw missingParameter("VisibilityTimeout");
  model.changeByHandle(queue, handle, timeout);
  return {};
}

export function opChangeMessageVisibilityBatch(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const entries = batchEntries(input);
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  for (const entry of entries) {
    const id = entry.Id as string;
    try {
      const timeout = intParam(entry, "VisibilityTimeout", { min: 0, max: MAX_VISIBILITY_TIMEOUT });
      if (timeout === undefined) throw missingParameter("VisibilityTimeout");
      model.changeByHandle(queue, requiredString(entry, "ReceiptHandle"), timeout);
      Successful.push({ Id: id });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return { Successful, Failed };
}

export function opGetQueueUrl(model: SqsModel, input: Record<string, unknown>): unknown {
  const name = requiredString(input, "QueueName");
  const owner = stringParam(input, "QueueOwnerAWSAccountId");
  const queue = model.queues.get(name);
  if (!queue || queue.deleted || (owner !== undefined && owner !== model.ctx.accountId))
    throw queueDoesNotExist();
  return { QueueUrl: queue.url };
}

export function opGetQueueAttributes(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const names = stringList(input, "AttributeNames") ?? [];
  if (names.length === 0) return {};
  const all = model.queueAttributes(queue);
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

export function opSetQueueAttributes(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const attributes = stringMap(input, "Attributes");
  if (!attributes) throw missingParameter("Attributes");
  model.applyAttributes(queue, attributes, false);
  model.notify(queue);
  return {};
}

export function opCreateQueue(model: SqsModel, input: Record<string, unknown>): unknown {
  const name = requiredString(input, "QueueName");
  const queue = model.createQueue(name, stringMap(input, "Attributes") ?? {}, stringMap(input, "tags") ?? {});
  return { QueueUrl: queue.url };
}

export function opDeleteQueue(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  model.deleteQueue(queue);
  return {};
}

export function opListQueues(model: SqsModel, input: Record<string, unknown>): unknown {
  const prefix = stringParam(input, "QueueNamePrefix") ?? "";
  const maxResults = intParam(input, "MaxResults", { min: 1, max: 1000 });
  const token = stringParam(input, "NextToken");
  const start = token ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidParameter("NextToken", token, "Invalid token.");
  const urls = [...model.queues.values()]
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

export function opListDeadLetterSourceQueues(model: SqsModel, input: Record<string, unknown>): unknown {
  const dlq = model.queueByUrl(requiredString(input, "QueueUrl"));
  return { queueUrls: model.sourcesOf(dlq).map((queue) => queue.url) };
}

export function opPurgeQueue(model: SqsModel, input: Record<string, unknown>): unknown {
  const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
  const now = Date.now();
  if (
    model.purgeCooldownSeconds > 0 &&
    queue.lastPurgeAt !== undefined &&
    now - queue.lastPurgeAt < model.ms(model.purgeCooldownSeconds)
  ) {
    throw sqsError(
      "PurgeQueueInProgress",
      `Only one PurgeQueue operation on ${queue.name} is allowed every ${model.purgeCooldownSeconds} seconds.`,
    );
  }
  model.purge(queue, now);
  return {};
}

// ---------------------------------------------------------------- message move tasks (DLQ redrive)

export function opStartMessageMoveTask(model: SqsModel, input: Record<string, unknown>): unknown {
  const sourceArn = requiredString(input, "SourceArn");
  const source = model.byArn.get(sourceArn);
  if (!source) {
    throw sqsError(
      "ResourceNotFoundException",
      "The resource that you specified for the SourceArn parameter doesn't exist.",
    );
  }
  if (model.sourcesOf(source).length === 0) {
    throw invalidParameter("SourceArn", sourceArn, "Source queue must be configured as a Dead Letter Queue.");
  }
  const destinationArn = stringParam(input, "DestinationArn");
  if (destinationArn !== undefined) {
    const destination = model.byArn.get(destinationArn);
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
  const tasks = model.moveTasks.get(sourceArn) ?? [];
  if (tasks.some((task) => task.status === "RUNNING" || task.status === "CANCELLING")) {
    throw sqsError(
      "UnsupportedOperation",
      "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    );
  }
  const now = Date.now();
  model.sweep(source, now, true);
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
  model.moveTasks.set(sourceArn, tasks.slice(0, 10));
  model.runMoveTask(task);
  return { TaskHandle: task.taskHandle };
}

export function opListMessageMoveTasks(model: SqsModel, input: Record<string, unknown>): unknown {
  const sourceArn = requiredString(input, "SourceArn");
  if (!model.byArn.has(sourceArn)) {
    throw sqsError(
      "ResourceNotFoundException",
      "The resource that you specified for the SourceArn parameter doesn't exist.",
    );
  }
  const max = intParam(input, "MaxResults", { min: 1, max: 10 }) ?? 1;
  const tasks = (model.moveTasks.get(sourceArn) ?? []).slice(0, max);
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

export function opCancelMessageMoveTask(model: SqsModel, input: Record<string, unknown>): unknown {
  const handle = requiredString(input, "TaskHandle");
  let sourceArn: string | undefined;
  try {
    sourceArn = (JSON.parse(Buffer.from(handle, "base64").toString("utf8")) as { sourceArn?: string })
      .sourceArn;
  } catch {
    sourceArn = undefined;
  }
  const task = (model.moveTasks.get(sourceArn ?? "") ?? []).find(
    (candidate) => candidate.taskHandle === handle,
  );
  if (task?.status !== "RUNNING") {
    throw sqsError(
      "ResourceNotFoundException",
      "The resource that you specified for the TaskHandle parameter doesn't exist.",
    );
  }
  model.finishMoveTask(task, "CANCELLED");
  task.pending = [];
  return { ApproximateNumberOfMessagesMoved: task.moved };
}

/** Every operation the local SQS serves, by name. */
export const OPERATIONS: Record<string, Operation> = {
  SendMessage: (model, input) => opSendMessage(model, input),
  SendMessageBatch: (model, input) => opSendMessageBatch(model, input),
  ReceiveMessage: (model, input, call) => opReceiveMessage(model, input, call.signal),
  DeleteMessage: (model, input) => opDeleteMessage(model, input),
  DeleteMessageBatch: (model, input) => opDeleteMessageBatch(model, input),
  ChangeMessageVisibility: (model, input) => opChangeMessageVisibility(model, input),
  ChangeMessageVisibilityBatch: (model, input) => opChangeMessageVisibilityBatch(model, input),
  GetQueueUrl: (model, input) => opGetQueueUrl(model, input),
  GetQueueAttributes: (model, input) => opGetQueueAttributes(model, input),
  SetQueueAttributes: (model, input) => opSetQueueAttributes(model, input),
  ListQueues: (model, input) => opListQueues(model, input),
  ListDeadLetterSourceQueues: (model, input) => opListDeadLetterSourceQueues(model, input),
  PurgeQueue: (model, input) => opPurgeQueue(model, input),
  CreateQueue: (model, input) => opCreateQueue(model, input),
  DeleteQueue: (model, input) => opDeleteQueue(model, input),
  StartMessageMoveTask: (model, input) => opStartMessageMoveTask(model, input),
  ListMessageMoveTasks: (model, input) => opListMessageMoveTasks(model, input),
  CancelMessageMoveTask: (model, input) => opCancelMessageMoveTask(model, input),
  ListQueueTags: (model, input) => ({
    Tags: { ...model.queueByUrl(requiredString(input, "QueueUrl")).tags },
  }),
  TagQueue: (model, input) => {
    const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
    Object.assign(queue.tags, stringMap(input, "Tags") ?? {});
    model.changed(queue);
    return {};
  },
  UntagQueue: (model, input) => {
    const queue = model.queueByUrl(requiredString(input, "QueueUrl"));
    for (const key of stringList(input, "TagKeys") ?? []) delete queue.tags[key];
    model.changed(queue);
    return {};
  },
};
