import { PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { createClients, destroyClients, type OpsClients } from "./clients";
import type { DeadLetter } from "./dead-letters";
import {
  type DlqInfo,
  deadLetterQueues,
  discover,
  fillOldestAges,
  localView,
  type QueueInfo,
  resolveQueue,
  type Topology,
} from "./discover";
import { OpsError } from "./errors";
import { publishNotification, publishOrder, publishSms, uploadFile } from "./publish";
import {
  type MoveTaskResult,
  moveTask,
  peek,
  type RedriveOptions,
  type RedriveResult,
  redrive,
} from "./redrive";
import type { StackRef } from "./stack";
import { type TraceResult, trace } from "./trace";

/**
 * The operations on one stack (deployed, or the local cloud), shared by the CLI and the console. Every call
 * reads the resources afresh (queues, subscriptions, rules), so what it acts on is what exists now.
 */
export class Ops {
  readonly clients: OpsClients;

  constructor(
    readonly stack: StackRef,
    clients?: OpsClients,
  ) {
    this.clients = clients ?? createClients(stack);
  }

  /** Queues, topics and subscriptions, rules and targets, function failure configs. */
  topology(): Promise<Topology> {
    return discover(this.clients, this.stack);
  }

  /** Every DLQ with its sources, depth and oldest age. */
  async listDlqs(): Promise<DlqInfo[]> {
    const topology = await this.topology();
    const dlqs = deadLetterQueues(topology);
    await fillOldestAges(
      this.clients,
      this.stack,
      dlqs.map((d) => d.queue),
    );
    return dlqs;
  }

  private async queue(given: string): Promise<{ topology: Topology; queue: QueueInfo }> {
    const topology = await this.topology();
    return { topology, queue: resolveQueue(topology.queues, given) };
  }

  /** Up to `max` dead letters of the queue with their reason, source, receive count and age. */
  async peek(queue: string, max = 10): Promise<{ queue: QueueInfo; messages: DeadLetter[] }> {
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw new OpsError(`-n must be an integer from 1 to 1000 (got ${max})`, 2);
    const found = await this.queue(queue);
    return { queue: found.queue, messages: await peek(this.clients, found.topology, found.queue, max) };
  }

  /** Sends the queue's dead letters back to where each failed (see `redrive`). */
  async redrive(queue: string, options: RedriveOptions = {}): Promise<RedriveResult> {
    const found = await this.queue(queue);
    return redrive(this.clients, found.topology, found.queue, options);
  }

  /** Redrives the whole queue with an SQS move task (a DLQ fed by one SQS queue only); see `moveTask`. */
  async moveTask(
    queue: string,
    options: { rate?: number; onProgress?: (moved: number) => void } = {},
  ): Promise<MoveTaskResult> {
    const found = await this.queue(queue);
    return moveTask(this.clients, found.topology, found.queue, options);
  }

  /** Deletes every message of the queue (SQS allows one purge per queue per minute). */
  async purge(queue: string): Promise<{ queue: string; purged: number }> {
    const found = await this.queue(queue);
    const count = found.queue.visible + found.queue.inFlight + found.queue.delayed;
    try {
      await this.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: found.queue.url }));
    } catch (error) {
      throw new OpsError(
        `purge ${found.queue.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return { queue: found.queue.name, purged: count };
  }

  publishOrder(events: unknown, options: { fifo?: boolean } = {}) {
    return publishOrder(this.clients, this.stack.outputs, events, options);
  }

  publishNotification(notification: unknown) {
    return publishNotification(this.clients, this.stack.outputs, notification);
  }

  publishSms(request: unknown) {
    return publishSms(this.clients, this.stack.outputs, request);
  }

  upload(key: string, bytes: Uint8Array, contentType?: string) {
    return uploadFile(this.clients, this.stack.outputs, key, bytes, contentType);
  }

  /** Which subscriptions (topic) or rules (bus) the message matches, and why the others do not. */
  async trace(target: string, message: unknown): Promise<TraceResult> {
    return trace(await this.topology(), this.stack.outputs, target, message);
  }

  /** A token the local cloud's `$connect` authorizer accepts for `userId` (local cloud only). */
  async token(userId: string): Promise<string> {
    if (this.stack.mode !== "local")
      throw new OpsError(
        "token: only the local cloud mints tokens; a deployed stack verifies its issuer's (use --local)",
        2,
      );
    if (userId.trim() === "" || userId.length > 256)
      throw new OpsError("token: userId must be 1 to 256 characters", 2);
    const answer = (await localView(this.stack, "token", { userId })) as { token?: string };
    if (!answer.token) throw new OpsError("token: the local cloud returned no token");
    return answer.token;
  }

  close(): void {
    destroyClients(this.clients);
  }
}
