import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonOperation, parseJsonBody, sendJson, sendJsonError } from "../../protocol";
import {
  type InternalSendInput,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type QueueDepth,
  type ReceivedMessage,
  type ServiceEmulator,
  type SqsEngine,
} from "../../types";
import { isQueryRequest, parseQueryRequest, readQueryInput } from "../../wire/query";
import { sendXmlError, sendXmlResult } from "../../wire/xml";
import { OPERATIONS } from "./api";
import { QUERY_MESSAGES, SQS_NAMESPACE, sqsError } from "./errors";
import { type QueueState, SqsModel, type SqsOptions } from "./model";
import { persistSqs } from "./persistence";
import { SqsProvisioner } from "./provisioning";
import { QUERY_OPERATIONS, XMLNS } from "./query-shapes";

export type { SqsOptions } from "./model";

/**
 * The local SQS (signing name `sqs`), one folder:
 * - `model.ts`: queues and messages, every rule (no wire format, no Pulumi);
 * - `api.ts`: one function per operation, JSON-shaped input and output;
 * - `shapes.ts` / `query-shapes.ts`: the query protocol's names, from AWS's service model;
 * - `provisioning.ts`: the program's queues and queue policies, through the API's create path;
 * - `errors.ts`: codes, statuses and messages per protocol;
 * - `persistence.ts`: the journal under `<persistDir>/sqs` (with `--persist`), replayed on start;
 * - this file: the emulator (both wire protocols, the engine interface, the admin views).
 *
 * Both protocols AWS serves for SQS are served: AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`, what
 * SDK v3 and current CLIs send; errors with `__type` and the query code in `x-amzn-query-error`) and
 * the query protocol (form-encoded `Action=<Op>`, XML responses and `<ErrorResponse>`; what AWS CLI
 * 2.9 and boto3 1.26 send). A request's QueueUrl may name any host: the queue is found by its
 * `/<account>/<name>` path (a query request may also be posted to the queue URL itself).
 */
export function createSqs(ctx: LocalContext, options: SqsOptions = {}): ServiceEmulator & SqsEngine {
  return new SqsEmulator(ctx, options);
}

class SqsEmulator implements ServiceEmulator, SqsEngine {
  readonly signingNames = ["sqs"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;
  readonly model: SqsModel;
  private readonly provisioner: SqsProvisioner;
  private readonly journal?: { close(): void };

  constructor(ctx: LocalContext, options: SqsOptions) {
    this.model = new SqsModel(ctx, options);
    // Restored before provisioning: the program's queues then take their configuration, keeping their messages.
    if (ctx.persistDir) this.journal = persistSqs(this.model, ctx.persistDir);
    this.provisioner = new SqsProvisioner(this.model);
    this.adminRoutes = {
      "sqs/queues": () => this.adminQueues(),
      "sqs/messages": (query) => this.adminMessages(query),
    };
  }

  provision(resource: LocalResource): void {
    this.provisioner.provision(resource);
  }

  start(): void {
    this.model.checkDeadLetterTargets();
  }

  stop(): void {
    this.model.close();
    this.journal?.close();
  }

  // ---------------------------------------------------------------- SqsEngine (the other emulators)

  hasQueue(queueArn: string): boolean {
    return this.model.hasQueue(queueArn);
  }

  queueUrl(queueArn: string): string {
    return this.model.queueUrl(queueArn);
  }

  send(queueArn: string, input: InternalSendInput): { messageId: string; sequenceNumber?: string } {
    return this.model.send(queueArn, input);
  }

  receive(
    queueArn: string,
    options: {
      maxMessages: number;
      waitSeconds: number;
      visibilityTimeoutSeconds?: number;
      signal?: AbortSignal;
    },
  ): Promise<ReceivedMessage[]> {
    return this.model.receive(queueArn, options);
  }

  deleteMessage(queueArn: string, receiptHandle: string): boolean {
    return this.model.deleteMessage(queueArn, receiptHandle);
  }

  changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): boolean {
    return this.model.changeVisibility(queueArn, receiptHandle, visibilityTimeoutSeconds);
  }

  hold(queueArn: string, receiptHandle: string): () => void {
    return this.model.hold(queueArn, receiptHandle);
  }

  depth(queueArn: string): QueueDepth {
    return this.model.depth(queueArn);
  }

  list(): Array<{ arn: string; url: string; name: string; fifo: boolean }> {
    return this.model.list();
  }

  // ---------------------------------------------------------------- wire

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const query = isQueryRequest(req);
    try {
      let operation: string;
      let input: Record<string, unknown>;
      if (query) {
        const request = parseQueryRequest(req, body);
        operation = request.action;
        if (!operation) throw sqsError("MissingAction", "The request must contain the parameter Action.");
        const shapes = QUERY_OPERATIONS[operation];
        if (!shapes || !OPERATIONS[operation]) throw unsupported(operation);
        input = readQueryInput(request.params, shapes.input);
        // A query request may be sent to the queue's URL instead of naming it.
        const path = new URL(req.url ?? "/", "http://local").pathname;
        if (input.QueueUrl === undefined && path.split("/").filter(Boolean).length >= 2)
          input.QueueUrl = path;
      } else {
        operation = jsonOperation(req);
        input = parseJsonBody(body);
      }
      const run = OPERATIONS[operation];
      if (!run) throw unsupported(operation);
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      const output = await run(this.model, input, { signal: controller.signal });
      await this.model.durable();
      if (res.destroyed || res.writableEnded) return;
      if (query) {
        const shapes = QUERY_OPERATIONS[operation];
        sendXmlResult(res, {
          action: operation,
          xmlns: XMLNS,
          output,
          shape: shapes?.output,
          result: shapes?.result,
        });
      } else {
        sendJson(res, output);
      }
    } catch (error) {
      if (res.destroyed || res.writableEnded) return;
      const failure =
        error instanceof LocalServiceError
          ? error
          : sqsError("InternalError", error instanceof Error ? error.message : String(error));
      if (failure.status >= 500) this.model.ctx.log.error("sqs: request failed", { error: failure.message });
      if (query) {
        sendXmlError(res, failure, { xmlns: XMLNS, message: QUERY_MESSAGES[failure.code] });
        return;
      }
      const shaped =
        failure.queryCode === undefined
          ? new LocalServiceError(failure.code, failure.message, failure.status, failure.code)
          : failure;
      sendJsonError(res, shaped, { namespace: SQS_NAMESPACE });
    }
  }

  // ---------------------------------------------------------------- admin views

  private adminQueues(): unknown {
    const model = this.model;
    return [...model.queues.values()].map((queue) => ({
      name: queue.name,
      arn: queue.arn,
      url: queue.url,
      fifo: queue.fifo,
      depth: model.depth(queue.arn),
      dlqArn: queue.config.redrivePolicy?.deadLetterTargetArn,
      maxReceiveCount: queue.config.redrivePolicy?.maxReceiveCount,
      deadLetterSources: model.sourcesOf(queue).map((source) => source.arn),
      visibilityTimeout: queue.config.visibilityTimeout,
      moveTasks: (model.moveTasks.get(queue.arn) ?? []).map((task) => ({
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
      queue = this.model.queueByRef(ref);
    } catch {
      throw new LocalServiceError("NotFound", `No queue named ${ref}.`, 404);
    }
    const now = Date.now();
    this.model.sweep(queue, now, true);
    return [...queue.messages.values()].map((message) => ({
      messageId: message.messageId,
      body: message.body,
      state: this.model.stateOf(message, now),
      receiveCount: message.receiveCount,
      attributes: this.model.systemAttributes(queue, message),
      messageAttributes: message.messageAttributes,
      visibleAt: Math.max(message.inflightUntil, message.delayUntil, message.sentTimestamp),
    }));
  }
}

/** Any operation the local SQS does not serve: named in the error, in both protocols. */
function unsupported(operation: string): LocalServiceError {
  return sqsError("UnsupportedOperation", `The local SQS does not support the ${operation} action.`);
}
