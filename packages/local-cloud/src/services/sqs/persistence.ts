import { join } from "node:path";
import { Journal } from "../../persist/journal";
import type { MoveTask, QueueConfig, QueueState, SqsJournal, SqsModel, StoredMessage } from "./model";

/**
 * What SQS keeps under `<persistDir>/sqs/` (see `persist/journal.ts`): every queue (configuration, tags),
 * every message with its attributes, receive count, visibility (a message in flight when the process dies
 * becomes visible again when its visibility timeout ends, as on AWS; one held by an event source mapping,
 * when it would have), delay and dead-letter source, the FIFO deduplication entries with their sequence
 * numbers, and the move tasks. Queues the program declares are reconfigured from it after the restore;
 * their messages stay.
 */

interface QueueRecord {
  name: string;
  arn: string;
  fifo: boolean;
  config: QueueConfig;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  lastPurgeAt?: number;
}

type DedupEntry = { expiresAt: number; messageId: string; sequenceNumber?: string };

type TaskRecord = Omit<MoveTask, "timer" | "budget" | "lastTick">;

type SqsRecord =
  | { t: "queue"; queue: QueueRecord }
  | { t: "queue-deleted"; name: string }
  | { t: "message"; queue: string; message: StoredMessage }
  | { t: "message-deleted"; queue: string; id: string }
  | { t: "cleared"; queue: string }
  | { t: "dedup"; queue: string; key: string; entry: DedupEntry }
  | { t: "task"; task: TaskRecord };

interface SqsSnapshot {
  queues: Array<{ queue: QueueRecord; messages: StoredMessage[]; dedup: Array<[string, DedupEntry]> }>;
  tasks: TaskRecord[];
}

function queueRecord(queue: QueueState): QueueRecord {
  return {
    name: queue.name,
    arn: queue.arn,
    fifo: queue.fifo,
    config: queue.config,
    tags: queue.tags,
    createdAt: queue.createdAt,
    lastModifiedAt: queue.lastModifiedAt,
    lastPurgeAt: queue.lastPurgeAt,
  };
}

/** A message as recorded: a held message at the time it would have become visible. */
function messageRecord(message: StoredMessage): StoredMessage {
  const { heldVisibleAt, ...rest } = message;
  return heldVisibleAt === undefined ? rest : { ...rest, inflightUntil: heldVisibleAt };
}

function taskRecord(task: MoveTask): TaskRecord {
  const { timer: _timer, budget: _budget, lastTick: _lastTick, ...rest } = task;
  return rest;
}

/** Restores the model from `<dir>/sqs` and records every later change there. */
export function persistSqs(model: SqsModel, persistDir: string): Journal<SqsRecord> {
  const { journal, loaded } = Journal.open<SqsRecord>(join(persistDir, "sqs"));
  const tasks = new Map<string, TaskRecord>();
  const queueOf = (name: string): QueueState | undefined => model.queues.get(name);
  const applyQueue = (record: QueueRecord): QueueState => {
    const existing = model.queues.get(record.name);
    const queue =
      existing ?? model.newQueue(record.name, record.arn, record.fifo, record.config, record.tags);
    Object.assign(queue, {
      config: record.config,
      tags: record.tags,
      createdAt: record.createdAt,
      lastModifiedAt: record.lastModifiedAt,
      lastPurgeAt: record.lastPurgeAt,
    });
    return queue;
  };
  const applyMessage = (queue: QueueState, message: StoredMessage): void => {
    queue.messages.set(message.messageId, message);
    if (message.sequenceNumber !== undefined) {
      const sequence = BigInt(message.sequenceNumber);
      if (sequence > queue.lastSequence) queue.lastSequence = sequence;
    }
  };
  const snapshot = loaded.state as SqsSnapshot | undefined;
  for (const entry of snapshot?.queues ?? []) {
    const queue = applyQueue(entry.queue);
    for (const message of entry.messages) applyMessage(queue, message);
    for (const [key, value] of entry.dedup) queue.dedup.set(key, value);
  }
  for (const task of snapshot?.tasks ?? []) tasks.set(task.taskHandle, task);
  for (const record of loaded.records) {
    switch (record.t) {
      case "queue":
        applyQueue(record.queue);
        break;
      case "queue-deleted": {
        const queue = queueOf(record.name);
        if (queue) {
          queue.deleted = true;
          model.queues.delete(queue.name);
          model.byArn.delete(queue.arn);
        }
        break;
      }
      case "message": {
        const queue = queueOf(record.queue);
        if (queue) applyMessage(queue, record.message);
        break;
      }
      case "message-deleted":
        queueOf(record.queue)?.messages.delete(record.id);
        break;
      case "cleared":
        queueOf(record.queue)?.messages.clear();
        break;
      case "dedup": {
        const queue = queueOf(record.queue);
        if (queue) {
          queue.dedup.set(record.key, record.entry);
          if (record.entry.sequenceNumber !== undefined) {
            const sequence = BigInt(record.entry.sequenceNumber);
            if (sequence > queue.lastSequence) queue.lastSequence = sequence;
          }
        }
        break;
      }
      case "task":
        tasks.set(record.task.taskHandle, record.task);
        break;
    }
  }
  // Move tasks: the newest ten per source; a running one resumes with what is left in its source.
  const running: MoveTask[] = [];
  for (const record of [...tasks.values()].sort((a, b) => b.startedAt - a.startedAt)) {
    const list = model.moveTasks.get(record.sourceArn) ?? [];
    if (list.length >= 10) continue;
    const task: MoveTask = { ...record, budget: 0, lastTick: Date.now() };
    if (task.status === "RUNNING") {
      const source = model.byArn.get(task.sourceArn);
      task.pending = task.pending.filter((id) => source?.messages.has(id));
      task.moved = Math.max(task.moved, task.toMove - task.pending.length);
      running.push(task);
    }
    list.push(task);
    model.moveTasks.set(record.sourceArn, list);
  }
  const restored = [...model.queues.values()].reduce((total, queue) => total + queue.messages.size, 0);
  if (model.queues.size > 0) {
    model.ctx.log.info(
      `sqs: restored ${model.queues.size} queues and ${restored} messages from ${journal.dir}`,
    );
  }

  const compactIfDue = (): void => {
    if (journal.wantsCompaction) journal.compact(snapshotOf(model));
  };
  const hooks: SqsJournal = {
    queue: (queue) => {
      journal.append({ t: "queue", queue: queueRecord(queue) });
      compactIfDue();
    },
    queueDeleted: (queue) => {
      journal.append({ t: "queue-deleted", name: queue.name });
      compactIfDue();
    },
    message: (queue, message) => {
      journal.append({ t: "message", queue: queue.name, message: messageRecord(message) });
      compactIfDue();
    },
    messageDeleted: (queue, id) => {
      journal.append({ t: "message-deleted", queue: queue.name, id });
      compactIfDue();
    },
    cleared: (queue) => journal.append({ t: "cleared", queue: queue.name }),
    dedup: (queue, key, entry) => journal.append({ t: "dedup", queue: queue.name, key, entry }),
    task: (task) => journal.append({ t: "task", task: taskRecord(task) }),
  };
  // Start each run from a fresh snapshot: replay stays short however long the last run was.
  if (loaded.records.length > 0) journal.compact(snapshotOf(model));
  model.journal = hooks;
  for (const task of running) model.runMoveTask(task);
  return journal;
}

function snapshotOf(model: SqsModel): SqsSnapshot {
  const tasks = [...model.moveTasks.values()].flat().map(taskRecord);
  return {
    queues: [...model.queues.values()].map((queue) => ({
      queue: queueRecord(queue),
      messages: [...queue.messages.values()].map(messageRecord),
      dedup: [...queue.dedup.entries()],
    })),
    tasks,
  };
}
