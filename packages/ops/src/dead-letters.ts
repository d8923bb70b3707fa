import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { type DlqKind, nameOfArn, type QueueInfo, type SubscriptionInfo, type Topology } from "./discover";

/**
 * Reading a dead letter: what kind of failure put it there, why, and where a redrive must send it back.
 *
 * How each kind is recognised (the same rules hold on AWS and in the local cloud):
 * - `handler`: a consumer dead-lettered it directly through runtime-kit, which adds `switchyard.failure.reason`,
 *   `.source`, `.queue` (the source queue's ARN) and `.messageId`. Back to `.queue`.
 * - `eventbridge`: EventBridge adds `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE` (and
 *   `RETRY_ATTEMPTS`, `EXHAUSTED_RETRY_CONDITION`) to the event it could not deliver. Back to `TARGET_ARN`.
 * - `lambda`: an on-failure destination record (JSON with `requestContext.functionArn`, `requestPayload`), or an
 *   event of a function's dead-letter config (`RequestID`, `ErrorCode`, `ErrorMessage` attributes). Re-invoked
 *   asynchronously with the original payload.
 * - `sqs`: SQS moved it after `maxReceiveCount` receives; SQS records `DeadLetterQueueSourceArn`. Back to that
 *   queue. A Switchyard consumer dead-letters a message itself, with a reason, on its last receive; one that SQS
 *   moved therefore means the consumer crashed or timed out during that receive, and the reason says so.
 * - `sns`: what a subscription would have received (SNS records no error on it). Re-delivered to that one
 *   subscription's endpoint, never re-published to the topic (the other subscribers got it already).
 */

/** Where a redrive sends a dead letter. */
export type Destination =
  | {
      type: "sqs";
      queueArn: string;
      queueUrl: string;
      body: string;
      attributes: Record<string, MessageAttributeValue>;
      groupId?: string;
      deduplicationId?: string;
    }
  | { type: "lambda"; functionArn: string; payload: string };

export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** The message attributes, as SQS returns them. */
  attributes: Record<string, MessageAttributeValue>;
  kind: DlqKind | "unknown";
  /** Why it failed, as recorded on the message (or what can be said when nothing was recorded). */
  reason: string;
  /** Where it failed: the queue, subscription, rule target or function. */
  source: string;
  /** Where a redrive sends it; absent when it cannot be redriven (see `skipReason`). */
  destination?: Destination;
  skipReason?: string;
  receiveCount: number;
  ageSeconds: number;
  /** The identity consumers deduplicate on, kept by a redrive (original message id, event id, request id). */
  identity: string;
}

const FAILURE_PREFIX = "switchyard.failure.";
/** SQS FIFO deduplication interval (5 minutes), plus a margin for clock skew. */
const FIFO_DEDUP_WINDOW_MS = 5 * 60_000 + 30_000;
const EVENTBRIDGE_ATTRIBUTES = [
  "RULE_ARN",
  "TARGET_ARN",
  "ERROR_CODE",
  "ERROR_MESSAGE",
  "RETRY_ATTEMPTS",
  "EXHAUSTED_RETRY_CONDITION",
];

const str = (attributes: Record<string, MessageAttributeValue>, name: string): string | undefined => {
  const value = attributes[name]?.StringValue;
  return value === undefined || value === "" ? undefined : value;
};

const parseObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

const without = (
  attributes: Record<string, MessageAttributeValue>,
  drop: (name: string) => boolean,
): Record<string, MessageAttributeValue> =>
  Object.fromEntries(Object.entries(attributes).filter(([name]) => !drop(name)));

/** The function ARN without a version or alias qualifier (`:$LATEST`). */
const unqualified = (arn: string): string => arn.split(":").slice(0, 7).join(":");

interface Classified {
  kind: DeadLetter["kind"];
  reason: string;
  source: string;
  destination?: Destination;
  skipReason?: string;
  identity?: string;
}

/**
 * The reason of a dead letter SQS moved (it carries no handler reason). Switchyard's consumers dead-letter a
 * message themselves, with its reason, when they fail it on its last receive; so a message SQS moved was received
 * `maxReceiveCount` times and never finished: the consumer crashed (out of memory, killed) or timed out. Its
 * first receive is the earliest moment to look at in the consumer's logs.
 */
export function movedBySqsReason(
  queueName: string,
  maxReceiveCount: number | undefined,
  firstReceiveMs: number,
): string {
  const receives = maxReceiveCount
    ? `${maxReceiveCount} ${maxReceiveCount === 1 ? "receive" : "receives"} (maxReceiveCount)`
    : "its maxReceiveCount of receives";
  const when =
    Number.isFinite(firstReceiveMs) && firstReceiveMs > 0
      ? new Date(firstReceiveMs).toISOString()
      : undefined;
  return `moved by SQS after ${receives} on ${queueName}; no handler reason: the consumer crashed or timed out; see the logs of the function consuming ${queueName}${when ? ` around ${when} (its first receive) and after` : ""}`;
}

/** Reads one received DLQ message: its kind, reason, origin and redrive destination. */
export function classify(topology: Topology, dlq: QueueInfo, message: Message, now = Date.now()): DeadLetter {
  const body = message.Body ?? "";
  const attributes = message.MessageAttributes ?? {};
  const system = message.Attributes ?? {};
  const queueByArn = (arn: string): QueueInfo | undefined => topology.queues.find((q) => q.arn === arn);
  const sentAt = Number(system.SentTimestamp ?? now);

  const toQueue = (
    arn: string,
    payload: string,
    attrs: Record<string, MessageAttributeValue>,
    identity: string,
  ): Pick<Classified, "destination" | "skipReason"> => {
    const queue = queueByArn(arn);
    if (!queue) return { skipReason: `the queue ${arn} is not among the stack's queues` };
    return {
      destination: {
        type: "sqs",
        queueArn: queue.arn,
        queueUrl: queue.url,
        body: payload,
        attributes: attrs,
        ...(queue.fifo
          ? {
              groupId: system.MessageGroupId ?? "redrive",
              // SQS drops a second copy with the same id within 5 minutes: an interrupted redrive that sends
              // again does not double it on a FIFO queue.
              deduplicationId: (system.MessageDeduplicationId ?? identity).slice(0, 128),
            }
          : {}),
      },
    };
  };

  const result = ((): Classified => {
    // 1. A handler dead-lettered it directly (runtime-kit).
    const failureReason = str(attributes, `${FAILURE_PREFIX}reason`);
    if (failureReason !== undefined) {
      const sourceQueue = str(attributes, `${FAILURE_PREFIX}queue`);
      const consumer = str(attributes, `${FAILURE_PREFIX}source`) ?? "a consumer";
      const originalId = str(attributes, `${FAILURE_PREFIX}messageId`) ?? message.MessageId ?? "";
      const kept = without(attributes, (name) => name.startsWith(FAILURE_PREFIX));
      let queueArn = sourceQueue && sourceQueue !== "unknown" ? sourceQueue : undefined;
      if (!queueArn) {
        // Not recorded: the DLQ's one source queue, if it has exactly one.
        const candidates = topology.queues.filter((q) => q.redrive?.deadLetterTargetArn === dlq.arn);
        if (candidates.length === 1) queueArn = candidates[0]?.arn;
      }
      return {
        kind: "handler",
        reason: failureReason,
        source: `${consumer} on ${queueArn ? nameOfArn(queueArn) : "an unknown queue"}`,
        identity: originalId,
        ...(queueArn
          ? toQueue(queueArn, body, kept, originalId)
          : { skipReason: "the source queue was not recorded and the DLQ has no single source queue" }),
      };
    }

    // 2. EventBridge could not deliver to a rule target.
    const ruleArn = str(attributes, "RULE_ARN");
    const targetArn = str(attributes, "TARGET_ARN");
    if (ruleArn && targetArn) {
      const code = str(attributes, "ERROR_CODE") ?? "unknown error";
      const text = str(attributes, "ERROR_MESSAGE");
      const exhausted = str(attributes, "EXHAUSTED_RETRY_CONDITION");
      const event = parseObject(body);
      const identity = typeof event?.id === "string" ? event.id : (message.MessageId ?? "");
      const target = topology.rules.find((r) => r.arn === ruleArn)?.targets.find((t) => t.arn === targetArn);
      const reason = `${code}${text && text !== code ? `: ${text}` : ""}${exhausted ? ` (${exhausted} reached)` : ""}`;
      const source = `rule ${nameOfArn(ruleArn).split("/").at(-1)} -> ${nameOfArn(targetArn)}`;
      if (target?.transformsInput) {
        return {
          kind: "eventbridge",
          reason,
          source,
          identity,
          skipReason: "the target rewrites its input; replay the event from the bus archive instead",
        };
      }
      const service = targetArn.split(":")[2];
      const kept = without(attributes, (name) => EVENTBRIDGE_ATTRIBUTES.includes(name));
      if (service === "sqs")
        return { kind: "eventbridge", reason, source, identity, ...toQueue(targetArn, body, kept, identity) };
      if (service === "lambda")
        return {
          kind: "eventbridge",
          reason,
          source,
          identity,
          destination: { type: "lambda", functionArn: unqualified(targetArn), payload: body },
        };
      return {
        kind: "eventbridge",
        reason,
        source,
        identity,
        skipReason: `targets of type ${service} are not redriven`,
      };
    }

    // 3. Lambda: an on-failure destination record, or a function's dead-letter config.
    const record = parseObject(body);
    const context = record?.requestContext as Record<string, unknown> | undefined;
    if (context && typeof context.functionArn === "string" && "requestPayload" in (record ?? {})) {
      const response = record?.responsePayload as { errorType?: string; errorMessage?: string } | undefined;
      const condition = typeof context.condition === "string" ? context.condition : "RetriesExhausted";
      const attempts =
        typeof context.approximateInvokeCount === "number"
          ? ` after ${context.approximateInvokeCount} attempts`
          : "";
      const error = response?.errorMessage
        ? `: ${response.errorType ? `${response.errorType}: ` : ""}${response.errorMessage}`
        : "";
      const functionArn = unqualified(context.functionArn);
      return {
        kind: "lambda",
        reason: `${condition}${attempts}${error}`,
        source: `function ${nameOfArn(functionArn)} (on-failure destination)`,
        identity: typeof context.requestId === "string" ? context.requestId : (message.MessageId ?? ""),
        destination: { type: "lambda", functionArn, payload: JSON.stringify(record?.requestPayload ?? null) },
      };
    }
    const requestId = str(attributes, "RequestID");
    if (requestId && attributes.ErrorCode) {
      const functions = topology.functions.filter((f) => f.deadLetterTargetArn === dlq.arn);
      const reason = str(attributes, "ErrorMessage") ?? "the asynchronous invocation failed";
      if (functions.length === 1) {
        const fn = functions[0] as { functionArn: string };
        return {
          kind: "lambda",
          reason,
          source: `function ${nameOfArn(fn.functionArn)} (dead-letter config)`,
          identity: requestId,
          destination: { type: "lambda", functionArn: fn.functionArn, payload: body },
        };
      }
      return {
        kind: "lambda",
        reason,
        source: "a function's dead-letter config",
        identity: requestId,
        skipReason: "no single function of the stack dead-letters into this queue",
      };
    }

    // 4. SQS moved it after maxReceiveCount receives: the consumer never recorded a reason.
    const sourceArn = system.DeadLetterQueueSourceArn;
    if (sourceArn) {
      const reason = movedBySqsReason(
        nameOfArn(sourceArn),
        queueByArn(sourceArn)?.redrive?.maxReceiveCount,
        Number(system.ApproximateFirstReceiveTimestamp ?? Number.NaN),
      );
      // The source FIFO queue saw this deduplication id when the message was first sent: a copy within 5 minutes
      // of that would be accepted and silently dropped, and the dead letter deleted with it.
      const dedupWindowEndsAt = sentAt + FIFO_DEDUP_WINDOW_MS;
      if (queueByArn(sourceArn)?.fifo && system.MessageDeduplicationId && now < dedupWindowEndsAt) {
        return {
          kind: "sqs",
          reason,
          source: `queue ${nameOfArn(sourceArn)}`,
          identity: message.MessageId ?? "",
          skipReason: `its deduplication id is still in ${nameOfArn(sourceArn)}'s 5-minute window (SQS would drop the copy); redrive it after ${new Date(dedupWindowEndsAt).toISOString()}`,
        };
      }
      return {
        kind: "sqs",
        reason,
        source: `queue ${nameOfArn(sourceArn)}`,
        identity: message.MessageId ?? "",
        ...toQueue(sourceArn, body, attributes, message.MessageId ?? ""),
      };
    }

    // 5. A subscription SNS could not deliver to.
    const subscriptions = topology.topics
      .flatMap((t) => t.subscriptions)
      .filter((s) => s.deadLetterTargetArn === dlq.arn);
    const envelope =
      record?.Type === "Notification" && typeof record.TopicArn === "string" ? record : undefined;
    let candidates: SubscriptionInfo[] = envelope
      ? subscriptions.filter((s) => s.topicArn === envelope.TopicArn && !s.rawMessageDelivery)
      : subscriptions.filter((s) => s.rawMessageDelivery);
    if (envelope && typeof envelope.UnsubscribeURL === "string") {
      const named = new URL(envelope.UnsubscribeURL, "http://x").searchParams.get("SubscriptionArn");
      if (named) candidates = candidates.filter((s) => s.arn === named);
    }
    if (candidates.length === 1) {
      const s = candidates[0] as SubscriptionInfo;
      const identity =
        typeof envelope?.MessageId === "string" ? envelope.MessageId : (message.MessageId ?? "");
      const base = {
        kind: "sns" as const,
        reason: `SNS could not deliver it to ${s.protocol}:${nameOfArn(s.endpoint)} (SNS records no error on the message; see the subscription's delivery status logs)`,
        source: `subscription ${nameOfArn(s.topicArn)} -> ${nameOfArn(s.endpoint)}`,
        identity,
      };
      if (s.protocol === "sqs") return { ...base, ...toQueue(s.endpoint, body, attributes, identity) };
      if (s.protocol === "lambda" && envelope)
        return {
          ...base,
          destination: {
            type: "lambda",
            functionArn: unqualified(s.endpoint),
            payload: JSON.stringify(snsLambdaEvent(s, envelope)),
          },
        };
      return { ...base, skipReason: `${s.protocol} subscriptions are not redriven` };
    }

    // 6. Nothing recorded: the DLQ's single source queue, if it has one.
    const sourceQueues = topology.queues.filter((q) => q.redrive?.deadLetterTargetArn === dlq.arn);
    if (sourceQueues.length === 1 && candidates.length === 0) {
      const q = sourceQueues[0] as QueueInfo;
      return {
        kind: "sqs",
        reason: "no failure recorded on the message",
        source: `queue ${q.name} (the DLQ's only source)`,
        identity: message.MessageId ?? "",
        ...toQueue(q.arn, body, attributes, message.MessageId ?? ""),
      };
    }
    return {
      kind: "unknown",
      reason: "no failure recorded on the message",
      source: "unknown",
      skipReason:
        candidates.length > 1
          ? `it may come from ${candidates.length} subscriptions (${candidates.map((s) => nameOfArn(s.endpoint)).join(", ")})`
          : "its origin is not recorded and the DLQ has no single source",
    };
  })();

  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body,
    attributes,
    kind: result.kind,
    reason: result.reason,
    source: result.source,
    ...(result.destination ? { destination: result.destination } : {}),
    ...(result.skipReason ? { skipReason: result.skipReason } : {}),
    receiveCount: Number(system.ApproximateReceiveCount ?? 0),
    ageSeconds: Math.max(0, Math.round((now - sentAt) / 1000)),
    identity: result.identity || (message.MessageId ?? ""),
  };
}

/** The event Lambda receives from an SNS subscription, rebuilt from the envelope the subscription's DLQ holds. */
export function snsLambdaEvent(subscription: SubscriptionInfo, envelope: Record<string, unknown>): unknown {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subscription.arn,
        Sns: {
          Type: envelope.Type,
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? null,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion,
          Signature: envelope.Signature,
          SigningCertUrl: envelope.SigningCertURL,
          UnsubscribeUrl: envelope.UnsubscribeURL,
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/** A short description of a destination: `sqs orders-inventory-queue`, `lambda orders-high-value-alert-function`. */
export function describeDestination(destination: Destination | undefined): string | null {
  if (!destination) return null;
  return destination.type === "sqs"
    ? `sqs ${nameOfArn(destination.queueArn)}`
    : `lambda ${nameOfArn(destination.functionArn)}`;
}
