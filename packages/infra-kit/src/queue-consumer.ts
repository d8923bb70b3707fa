import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LAMBDA } from "./constants";
import type { NodeFunction } from "./node-function";
import { keyGrant } from "./policy";
import type { ReliableQueue } from "./reliable-queue";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

/** AWS's guidance: a queue's visibility timeout should be at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface QueueConsumerArgs {
  /** The queue to drain. */
  queue: ReliableQueue;
  /** The function that processes each batch; it must report partial batch failures. */
  function: NodeFunction;
  /**
   * Records per invocation (1 to 10 for FIFO queues, 1 to 10000 otherwise; above 10 needs a batching window).
   * @default 10
   */
  batchSize?: number;
  /**
   * Seconds to gather records before invoking (0 to 300).
   * @default 0
   */
  maxBatchingWindowSeconds?: number;
  /**
   * Most concurrent invocations this mapping drives (2 to 1000); undefined lets Lambda scale to its limit.
   * @default undefined
   */
  maximumConcurrency?: number;
  /**
   * Give the function the DLQ's URL (`DLQ_URL`) and `sqs:SendMessage` on it, so a permanent failure goes to the
   * dead-letter queue at once with its reason instead of being retried maxReceiveCount times.
   * @default true
   */
  deadLetterDirect?: boolean;
  /**
   * With `deadLetterDirect`, also tell the function the queue's `maxReceiveCount` (`MAX_RECEIVE_COUNT`), so a record
   * still failing transiently on its last receive is dead-lettered with its reason (runtime-kit's `sqsConsumer`
   * reads it). Turn it off for a handler that never lets SQS count receives (it re-enqueues transient failures
   * itself): a variable nobody reads is a defect.
   * @default true
   */
  lastReceiveDeadLetter?: boolean;
  /**
   * Whether the mapping starts enabled.
   * @default true
   */
  enabled?: boolean;
  /** Changes to the underlying resources. @default {} */
  transform?: { eventSourceMapping?: Transform<aws.lambda.EventSourceMappingArgs> };
}

/**
 * Connects a ReliableQueue to a NodeFunction: an event source mapping with partial batch
 * responses always on, the receive/delete grants on that one queue, and a visibility timeout
 * long enough that a message never reappears while a batch is still being worked on.
 */
export class QueueConsumer extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:QueueConsumer";
  readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  /** The visibility timeout this consumer needs: 6 x function timeout + batching window. */
  readonly requiredVisibilityTimeout: number;

  constructor(name: string, args: QueueConsumerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(QueueConsumer.type, name, {}, opts);
    const check = new ArgChecker(QueueConsumer.type, name);
    const queue = check.required("queue", args.queue);
    const fn = check.required("function", args.function);
    const maxBatch = queue.fifo ? LAMBDA.maxFifoBatchSize : LAMBDA.maxSqsBatchSize;
    const batchSize = check.int("batchSize", args.batchSize, 1, maxBatch, 10);
    const window = check.int(
      "maxBatchingWindowSeconds",
      args.maxBatchingWindowSeconds,
      0,
      LAMBDA.maxBatchingWindowSeconds,
      0,
    );
    if (batchSize > 10 && window < 1) {
      check.fail(
        "maxBatchingWindowSeconds",
        `must be at least 1 when batchSize is above 10 (got ${window} with batchSize ${batchSize})`,
      );
    }
    if (queue.fifo && window > 0) {
      check.fail(
        "maxBatchingWindowSeconds",
        `must be 0 for a FIFO queue, which Lambda does not batch over time (got ${window})`,
      );
    }
    const maximumConcurrency = check.int(
      "maximumConcurrency",
      args.maximumConcurrency,
      LAMBDA.minMaximumConcurrency,
      LAMBDA.maxMaximumConcurrency,
    );
    if (
      maximumConcurrency !== undefined &&
      fn.reservedConcurrency !== undefined &&
      maximumConcurrency > fn.reservedConcurrency
    ) {
      check.fail(
        "maximumConcurrency",
        `must not exceed the function's reserved concurrency of ${fn.reservedConcurrency}: invocations above it would be throttled and retried (got ${maximumConcurrency})`,
      );
    }

    const deadLetterDirect = args.deadLetterDirect ?? true;
    if (deadLetterDirect && fn.hasEnvironment("DLQ_URL")) {
      check.fail(
        "deadLetterDirect",
        "must be false when the function already dead-letters to another queue's DLQ: it has one DLQ_URL, so permanent failures would land in the wrong DLQ (got true)",
      );
    }

    this.requiredVisibilityTimeout = VISIBILITY_TIMEOUT_FACTOR * fn.timeout + window;
    queue.requireVisibilityTimeout(
      this.requiredVisibilityTimeout,
      `${VISIBILITY_TIMEOUT_FACTOR} x the ${fn.timeout} s timeout of the function consuming it + ${window} s batching window, for consumer "${name}"`,
    );

    // What the event source mapping calls with the function's role: no ChangeMessageVisibility, which
    // neither Lambda's poller nor our handlers use (docs/aws-reference.md §3).
    fn.grant({
      actions: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
      resources: [queue.arn],
    });
    // A CMK is used through SQS only, never by a direct KMS call from the function.
    if (queue.kmsKeyArn !== undefined) fn.grant(keyGrant(queue.kmsKeyArn, ["kms:Decrypt"], "sqs"));
    if (deadLetterDirect) {
      fn.grant({ actions: ["sqs:SendMessage"], resources: [queue.deadLetterArn] });
      if (queue.kmsKeyArn !== undefined) fn.grant(keyGrant(queue.kmsKeyArn, ["kms:GenerateDataKey"], "sqs"));
      fn.addEnvironment("DLQ_URL", queue.deadLetterUrl);
      // On its last receive a record still failing transiently is dead-lettered by the handler with its reason,
      // rather than moved by the redrive policy without one.
      if (args.lastReceiveDeadLetter ?? true)
        fn.addEnvironment("MAX_RECEIVE_COUNT", String(queue.maxReceiveCount));
    }

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      ...applyTransform(
        args.transform?.eventSourceMapping,
        `${name}-esm`,
        {
          eventSourceArn: queue.arn,
          functionName: fn.arn,
          batchSize,
          ...(window > 0 ? { maximumBatchingWindowInSeconds: window } : {}),
          functionResponseTypes: ["ReportBatchItemFailures"],
          ...(maximumConcurrency !== undefined ? { scalingConfig: { maximumConcurrency } } : {}),
          enabled: args.enabled ?? true,
        },
        // Lambda checks the role's SQS permissions when the mapping is created.
        { parent: this, dependsOn: [fn.rolePolicy, queue.queuePolicy] },
      ),
    );
    this.registerOutputs({ uuid: this.eventSourceMapping.uuid });
  }
}
