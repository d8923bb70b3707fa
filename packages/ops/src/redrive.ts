import { InvokeCommand } from "@aws-sdk/client-lambda";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import type { OpsClients } from "./clients";
import { classify, type DeadLetter, type Destination, describeDestination } from "./dead-letters";
import { nameOfArn, type QueueInfo, sourcesOf, type Topology } from "./discover";
import { OpsError, usageError } from "./errors";

/** How long a received dead letter stays invisible to others while it is read or redriven. */
const HOLD_SECONDS = 30;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function receive(
  clients: OpsClients,
  queue: QueueInfo,
  max: number,
  waitSeconds = 0,
): Promise<Message[]> {
  const { Messages = [] } = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      VisibilityTimeout: HOLD_SECONDS,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return Messages;
}

/** Makes received messages visible again at once (they stay in the DLQ untouched). */
async function release(clients: OpsClients, queue: QueueInfo, handles: string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const chunk = handles.slice(i, i + 10);
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.url,
        Entries: chunk.map((handle, index) => ({
          Id: String(index),
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/**
 * Up to `max` dead letters of `queue`, read and classified, then made visible again. SQS has no true peek:
 * each read counts as a receive (ApproximateReceiveCount grows), which no DLQ redrive policy acts on.
 */
export async function peek(
  clients: OpsClients,
  topology: Topology,
  queue: QueueInfo,
  max: number,
): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const seen = new Set<string>();
  try {
    while (letters.length < max) {
      const batch = await receive(clients, queue, max - letters.length);
      const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ""));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? "");
        letters.push(classify(topology, queue, message));
      }
    }
  } finally {
    await release(
      clients,
      queue,
      letters.map((l) => l.receiptHandle),
    );
  }
  return letters;
}

export interface RedriveOptions {
  /** Messages per second, at most. @default 10 */
  rate?: number;
  /** Stop after this many messages. @default every message */
  max?: number;
  /** Only say where each message would go; nothing is sent or deleted. @default false */
  dryRun?: boolean;
  /** Redrive only these message ids (the console's "redrive selected"); others are left untouched. */
  messageIds?: readonly string[];
  /** Called after each message. */
  onProgress?: (progress: RedriveProgress) => void;
  /** Stops between messages (what is done stays done; the rest stays in the DLQ). */
  signal?: AbortSignal;
}

export interface RedriveProgress {
  done: number;
  /** Messages in the DLQ when the redrive started (capped by `max`). */
  total: number;
  moved: number;
  failed: number;
  skipped: number;
}

export interface RedriveOutcome {
  messageId: string;
  kind: DeadLetter["kind"];
  destination: string | null;
  outcome: "moved" | "failed" | "skipped" | "would-move";
  detail?: string;
}

export interface RedriveResult {
  queue: string;
  dryRun: boolean;
  moved: number;
  failed: number;
  skipped: number;
  messages: RedriveOutcome[];
}

async function deliver(clients: OpsClients, destination: Destination): Promise<void> {
  if (destination.type === "sqs") {
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: destination.queueUrl,
        MessageBody: destination.body,
        ...(Object.keys(destination.attributes).length > 0
          ? { MessageAttributes: destination.attributes }
          : {}),
        ...(destination.groupId ? { MessageGroupId: destination.groupId } : {}),
        ...(destination.deduplicationId ? { MessageDeduplicationId: destination.deduplicationId } : {}),
      }),
    );
    return;
  }
  const result = await clients.lambda.send(
    new InvokeCommand({
      FunctionName: destination.functionArn,
      InvocationType: "Event",
      Payload: new TextEncoder().encode(destination.payload),
    }),
  );
  if (result.FunctionError)
    throw new OpsError(`${destination.functionArn} refused the event: ${result.FunctionError}`);
}

/**
 * Sends each dead letter of `queue` back to where it failed (see `classify`), at most `rate` per second, and
 * deletes it from the DLQ only once its copy was accepted: an interrupted redrive leaves every message not yet
 * copied in the DLQ (visible again after 30 s), and at worst one copied-but-not-deleted message is sent again,
 * with its identity unchanged (same body, same FIFO deduplication id), which the idempotent consumers absorb.
 * Messages that cannot be redriven are skipped and stay in the DLQ.
 */
export async function redrive(
  clients: OpsClients,
  topology: Topology,
  queue: QueueInfo,
  options: RedriveOptions = {},
): Promise<RedriveResult> {
  const rate = options.rate ?? 10;
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1000)
    throw usageError(`--rate must be a number above 0 and at most 1000 (got ${rate})`);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw usageError(`--max must be a positive integer (got ${options.max})`);
  const only = options.messageIds ? new Set(options.messageIds) : undefined;
  const total = Math.min(max, only ? only.size : queue.visible);
  const result: RedriveResult = {
    queue: queue.name,
    dryRun: options.dryRun ?? false,
    moved: 0,
    failed: 0,
    skipped: 0,
    messages: [],
  };
  const held: string[] = [];
  const seen = new Set<string>();
  const interval = 1000 / rate;
  let nextSendAt = 0;
  const progress = () =>
    options.onProgress?.({
      done: result.messages.length,
      total,
      moved: result.moved,
      failed: result.failed,
      skipped: result.skipped,
    });

  try {
    let emptyReceives = 0;
    while (result.messages.length < max && !options.signal?.aborted) {
      if (only && [...only].every((id) => seen.has(id))) break;
      const batch = await receive(clients, queue, Math.min(10, max - result.messages.length));
      const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ""));
      held.push(...batch.filter((m) => seen.has(m.MessageId ?? "")).map((m) => m.ReceiptHandle ?? ""));
      if (fresh.length === 0) {
        // Receives from a standard queue sample servers: an empty answer is final only when it repeats.
        if (++emptyReceives >= 2) break;
        continue;
      }
      emptyReceives = 0;
      for (const message of fresh) {
        seen.add(message.MessageId ?? "");
        if (result.messages.length >= max || options.signal?.aborted) {
          held.push(message.ReceiptHandle ?? "");
          continue;
        }
        const letter = classify(topology, queue, message);
        if (only && !only.has(letter.messageId)) {
          held.push(letter.receiptHandle);
          continue;
        }
        const destination = describeDestination(letter.destination);
        if (!letter.destination) {
          held.push(letter.receiptHandle);
          result.skipped++;
          result.messages.push({
            messageId: letter.messageId,
            kind: letter.kind,
            destination,
            outcome: "skipped",
            detail: letter.skipReason,
          });
        } else if (result.dryRun) {
          held.push(letter.receiptHandle);
          result.messages.push({
            messageId: letter.messageId,
            kind: letter.kind,
            destination,
            outcome: "would-move",
          });
        } else {
          const wait = nextSendAt - Date.now();
          if (wait > 0) await sleep(wait);
          nextSendAt = Math.max(Date.now(), nextSendAt) + interval;
          try {
            await deliver(clients, letter.destination);
          } catch (error) {
            held.push(letter.receiptHandle);
            result.failed++;
            result.messages.push({
              messageId: letter.messageId,
              kind: letter.kind,
              destination,
              outcome: "failed",
              detail: error instanceof Error ? error.message : String(error),
            });
            progress();
            continue;
          }
          // Delivered: only now is the dead letter removed.
          await clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: letter.receiptHandle }),
          );
          result.moved++;
          result.messages.push({
            messageId: letter.messageId,
            kind: letter.kind,
            destination,
            outcome: "moved",
          });
        }
        progress();
      }
    }
  } finally {
    await release(clients, queue, held.filter(Boolean));
  }
  return result;
}

export interface MoveTaskResult {
  queue: string;
  moveTask: true;
  destination: string;
  status: string;
  moved: number;
  failed: number;
  skipped: number;
  failureReason?: string;
}

/**
 * Redrives the whole DLQ with SQS's own `StartMessageMoveTask` (at most `rate` messages per second), back to
 * its one source queue. Only for a DLQ fed by SQS queues alone: a DLQ that also takes subscription, rule-target
 * or function dead letters would have those sent to the wrong queue (use `redrive`). Waits for the task to end.
 */
export async function moveTask(
  clients: OpsClients,
  topology: Topology,
  queue: QueueInfo,
  options: { rate?: number; pollMs?: number; onProgress?: (moved: number) => void } = {},
): Promise<MoveTaskResult> {
  const rate = Math.round(options.rate ?? 10);
  // AWS: MaxNumberOfMessagesPerSecond is 1 to 500.
  if (!(rate >= 1 && rate <= 500))
    throw usageError(`--rate must be 1 to 500 with --move-task (got ${options.rate})`);
  const sources = sourcesOf(topology, queue.arn);
  const other = [...new Set(sources.filter((s) => s.kind !== "sqs").map((s) => s.kind))];
  if (other.length > 0) {
    throw new OpsError(
      `--move-task: ${queue.name} also takes ${other.join(" and ")} dead letters, which a move task would send to the wrong queue; redrive without --move-task`,
    );
  }
  const queues = sources.filter((s) => s.kind === "sqs");
  if (queues.length !== 1) {
    throw new OpsError(
      `--move-task: ${queue.name} has ${queues.length} source queues; a move task needs exactly one`,
    );
  }
  const destination = (queues[0] as { queueArn: string }).queueArn;
  await clients.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: queue.arn,
      DestinationArn: destination,
      MaxNumberOfMessagesPerSecond: rate,
    }),
  );
  for (;;) {
    const { Results = [] } = await clients.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: queue.arn, MaxResults: 1 }),
    );
    const task = Results[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    options.onProgress?.(moved);
    if (task?.Status && task.Status !== "RUNNING" && task.Status !== "CANCELLING") {
      return {
        queue: queue.name,
        moveTask: true,
        destination: nameOfArn(destination),
        status: task.Status,
        moved,
        failed:
          task.Status === "COMPLETED"
            ? 0
            : Math.max(0, Number(task.ApproximateNumberOfMessagesToMove ?? 0) - moved),
        skipped: 0,
        ...(task.FailureReason ? { failureReason: task.FailureReason } : {}),
      };
    }
    await sleep(options.pollMs ?? 500);
  }
}
