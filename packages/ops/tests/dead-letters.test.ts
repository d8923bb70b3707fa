import type { Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { classify } from "../src/dead-letters";
import {
  deadLetterQueues,
  logicalQueueName,
  type QueueInfo,
  resolveQueue,
  type Topology,
} from "../src/discover";

const arn = (service: string, name: string) => `arn:aws:${service}:us-east-1:123456789012:${name}`;

const queue = (name: string, redriveTo?: string): QueueInfo => ({
  name,
  logicalName: logicalQueueName(name),
  url: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`,
  arn: arn("sqs", name),
  fifo: name.endsWith(".fifo"),
  ...(redriveTo ? { redrive: { deadLetterTargetArn: arn("sqs", redriveTo), maxReceiveCount: 5 } } : {}),
  visible: 0,
  inFlight: 0,
  delayed: 0,
  oldestAgeSeconds: null,
});

const topology: Topology = {
  queues: [
    queue("work-queue", "work-dlq"),
    queue("work-dlq"),
    queue("alert-dlq"),
    queue("fifo-work-1234567.fifo", "fifo-dlq-89abcde.fifo"),
    queue("fifo-dlq-89abcde.fifo"),
  ],
  topics: [
    {
      arn: arn("sns", "events-topic"),
      name: "events-topic",
      subscriptions: [
        {
          arn: `${arn("sns", "events-topic")}:sub-1`,
          topicArn: arn("sns", "events-topic"),
          protocol: "sqs",
          endpoint: arn("sqs", "work-queue"),
          rawMessageDelivery: true,
          filterPolicyScope: "MessageAttributes",
          deadLetterTargetArn: arn("sqs", "work-dlq"),
        },
        {
          arn: `${arn("sns", "events-topic")}:sub-2`,
          topicArn: arn("sns", "events-topic"),
          protocol: "lambda",
          endpoint: arn("lambda", "function:alert-function"),
          rawMessageDelivery: false,
          filterPolicyScope: "MessageAttributes",
          deadLetterTargetArn: arn("sqs", "alert-dlq"),
        },
      ],
    },
  ],
  rules: [
    {
      busName: "bus",
      name: "send-rule",
      arn: arn("events", "rule/bus/send-rule"),
      state: "ENABLED",
      eventPattern: { source: ["app"] },
      targets: [
        {
          id: "t",
          arn: arn("sqs", "work-queue"),
          deadLetterArn: arn("sqs", "work-dlq"),
          transformsInput: false,
        },
      ],
    },
  ],
  functions: [
    {
      functionArn: arn("lambda", "function:alert-function"),
      functionName: "alert-function",
      deadLetterTargetArn: arn("sqs", "alert-dlq"),
    },
  ],
};

const dlq = topology.queues[1] as QueueInfo;
const alertDlq = topology.queues[2] as QueueInfo;
const s = (value: string) => ({ DataType: "String", StringValue: value });
const message = (m: Partial<Message>): Message => ({
  MessageId: "m-1",
  ReceiptHandle: "h",
  Body: "{}",
  ...m,
});

describe("classify", () => {
  it("sends a handler's dead letter back to the queue it recorded, without the failure attributes", () => {
    const letter = classify(
      topology,
      dlq,
      message({
        Body: '{"a":1}',
        MessageAttributes: {
          eventType: s("X"),
          "switchyard.failure.reason": s("amount must be positive"),
          "switchyard.failure.source": s("work-function"),
          "switchyard.failure.queue": s(arn("sqs", "work-queue")),
          "switchyard.failure.messageId": s("orig-1"),
        },
        Attributes: { ApproximateReceiveCount: "3", SentTimestamp: String(Date.now() - 65_000) },
      }),
    );
    expect(letter).toMatchObject({
      kind: "handler",
      reason: "amount must be positive",
      source: "work-function on work-queue",
      identity: "orig-1",
      receiveCount: 3,
    });
    expect(letter.ageSeconds).toBeGreaterThanOrEqual(64);
    expect(letter.destination).toEqual({
      type: "sqs",
      queueArn: arn("sqs", "work-queue"),
      queueUrl: topology.queues[0]?.url,
      body: '{"a":1}',
      attributes: { eventType: s("X") },
    });
  });

  it("falls back to the DLQ's single source queue when the handler recorded none", () => {
    const letter = classify(
      topology,
      dlq,
      message({
        MessageAttributes: {
          "switchyard.failure.reason": s("bad"),
          "switchyard.failure.queue": s("unknown"),
        },
      }),
    );
    expect(letter.destination).toMatchObject({ type: "sqs", queueArn: arn("sqs", "work-queue") });
  });

  it("keeps the FIFO group and deduplication id so SQS drops a second copy", () => {
    const fifoDlq = topology.queues[4] as QueueInfo;
    const letter = classify(
      topology,
      fifoDlq,
      message({
        MessageAttributes: {
          "switchyard.failure.reason": s("bad"),
          "switchyard.failure.queue": s(arn("sqs", "fifo-work-1234567.fifo")),
          "switchyard.failure.messageId": s("orig-9"),
        },
        Attributes: { MessageGroupId: "customer-1", MessageDeduplicationId: "order-1-2" },
      }),
    );
    expect(letter.destination).toMatchObject({ groupId: "customer-1", deduplicationId: "order-1-2" });
  });

  it("reads EventBridge's error attributes and re-sends to the target", () => {
    const letter = classify(
      topology,
      dlq,
      message({
        Body: JSON.stringify({ id: "evt-1", source: "app", detail: {} }),
        MessageAttributes: {
          RULE_ARN: s(arn("events", "rule/bus/send-rule")),
          TARGET_ARN: s(arn("sqs", "work-queue")),
          ERROR_CODE: s("SQS.AccessDenied"),
          ERROR_MESSAGE: s("denied"),
          EXHAUSTED_RETRY_CONDITION: s("MaximumRetryAttempts"),
        },
      }),
    );
    expect(letter).toMatchObject({
      kind: "eventbridge",
      reason: "SQS.AccessDenied: denied (MaximumRetryAttempts reached)",
      source: "rule send-rule -> work-queue",
      identity: "evt-1",
    });
    expect(letter.destination).toMatchObject({
      type: "sqs",
      queueArn: arn("sqs", "work-queue"),
      attributes: {},
    });
  });

  it("skips an EventBridge dead letter whose target rewrites its input", () => {
    const rewriting: Topology = {
      ...topology,
      rules: topology.rules.map((r) => ({
        ...r,
        targets: r.targets.map((t) => ({ ...t, transformsInput: true })),
      })),
    };
    const letter = classify(
      rewriting,
      dlq,
      message({
        MessageAttributes: {
          RULE_ARN: s(arn("events", "rule/bus/send-rule")),
          TARGET_ARN: s(arn("sqs", "work-queue")),
        },
      }),
    );
    expect(letter.destination).toBeUndefined();
    expect(letter.skipReason).toContain("rewrites its input");
  });

  it("re-invokes a Lambda on-failure record's function with the original payload", () => {
    const record = {
      version: "1.0",
      requestContext: {
        requestId: "req-1",
        functionArn: `${arn("lambda", "function:alert-function")}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { Records: [{ Sns: { Message: "x" } }] },
      responsePayload: { errorType: "ValidationError", errorMessage: "orderId is required" },
    };
    const letter = classify(topology, alertDlq, message({ Body: JSON.stringify(record) }));
    expect(letter).toMatchObject({
      kind: "lambda",
      reason: "RetriesExhausted after 3 attempts: ValidationError: orderId is required",
      identity: "req-1",
    });
    expect(letter.destination).toEqual({
      type: "lambda",
      functionArn: arn("lambda", "function:alert-function"),
      payload: JSON.stringify(record.requestPayload),
    });
  });

  it("re-invokes the function whose dead-letter config holds the event", () => {
    const letter = classify(
      topology,
      alertDlq,
      message({
        Body: '{"k":1}',
        MessageAttributes: {
          RequestID: s("req-2"),
          ErrorCode: { DataType: "Number", StringValue: "200" },
          ErrorMessage: s("boom"),
        },
      }),
    );
    expect(letter).toMatchObject({
      kind: "lambda",
      reason: "boom",
      destination: { type: "lambda", payload: '{"k":1}' },
    });
  });

  it("sends an SQS-redriven message back to DeadLetterQueueSourceArn, saying the consumer left no reason", () => {
    const firstReceive = Date.parse("2026-12-06T01:02:03.000Z");
    const letter = classify(
      topology,
      dlq,
      message({
        Attributes: {
          DeadLetterQueueSourceArn: arn("sqs", "work-queue"),
          ApproximateReceiveCount: "1",
          ApproximateFirstReceiveTimestamp: String(firstReceive),
        },
      }),
    );
    expect(letter).toMatchObject({
      kind: "sqs",
      reason:
        "moved by SQS after 5 receives (maxReceiveCount) on work-queue; no handler reason: the consumer crashed or timed out; see the logs of the function consuming work-queue around 2026-12-06T01:02:03.000Z (its first receive) and after",
    });
    expect(letter.destination).toMatchObject({ queueArn: arn("sqs", "work-queue") });
    // Without a first-receive time (a client that does not ask for it), no time is made up.
    const untimed = classify(
      topology,
      dlq,
      message({ Attributes: { DeadLetterQueueSourceArn: arn("sqs", "work-queue") } }),
    );
    expect(untimed.reason).toMatch(/see the logs of the function consuming work-queue$/);
  });

  it("holds back a FIFO message SQS moved while its deduplication id is still in the source's window", () => {
    const fifoDlq = topology.queues[4] as QueueInfo;
    const moved = (sentAgoMs: number) =>
      classify(
        topology,
        fifoDlq,
        message({
          Attributes: {
            DeadLetterQueueSourceArn: arn("sqs", "fifo-work-1234567.fifo"),
            MessageGroupId: "g",
            MessageDeduplicationId: "order-1-1",
            SentTimestamp: String(Date.now() - sentAgoMs),
          },
        }),
      );
    const recent = moved(60_000);
    expect(recent.destination).toBeUndefined();
    expect(recent.skipReason).toMatch(/5-minute window \(SQS would drop the copy\); redrive it after /);
    expect(moved(6 * 60_000).destination).toMatchObject({ deduplicationId: "order-1-1", groupId: "g" });
  });

  it("re-delivers a raw SNS dead letter to its subscription's queue", () => {
    const letter = classify(
      topology,
      dlq,
      message({ Body: "raw", MessageAttributes: { eventType: s("X") } }),
    );
    expect(letter).toMatchObject({ kind: "sns", source: "subscription events-topic -> work-queue" });
    expect(letter.destination).toMatchObject({ type: "sqs", body: "raw", attributes: { eventType: s("X") } });
  });

  it("rebuilds the Lambda event of an SNS subscription to a function", () => {
    const envelope = {
      Type: "Notification",
      MessageId: "sns-1",
      TopicArn: arn("sns", "events-topic"),
      Message: "hello",
      Timestamp: "t",
      MessageAttributes: { a: { Type: "String", Value: "1" } },
    };
    const letter = classify(topology, alertDlq, message({ Body: JSON.stringify(envelope) }));
    expect(letter).toMatchObject({ kind: "sns", identity: "sns-1" });
    expect(letter.destination?.type).toBe("lambda");
    const event = JSON.parse((letter.destination as { payload: string }).payload);
    expect(event.Records[0]).toMatchObject({
      EventSource: "aws:sns",
      EventSubscriptionArn: `${arn("sns", "events-topic")}:sub-2`,
      Sns: { MessageId: "sns-1", Message: "hello" },
    });
  });

  it("skips what it cannot place", () => {
    const letter = classify(topology, alertDlq, message({ Body: "who knows" }));
    expect(letter.kind).toBe("unknown");
    expect(letter.destination).toBeUndefined();
    expect(letter.skipReason).toMatch(/origin is not recorded/);
  });
});

describe("DLQs and queue names", () => {
  it("finds every DLQ with the kinds of source feeding it", () => {
    const dlqs = deadLetterQueues(topology);
    expect(dlqs.map((d) => d.queue.name)).toEqual(["work-dlq", "alert-dlq", "fifo-dlq-89abcde.fifo"]);
    expect(dlqs[0]?.kinds.sort()).toEqual(["eventbridge", "handler", "sns", "sqs"]);
    expect(dlqs[1]?.kinds.sort()).toEqual(["lambda", "sns"]);
  });

  it("resolves logical names, physical names, URLs and ARNs", () => {
    expect(logicalQueueName("orders-order-processing-dlq-70038ed.fifo")).toBe("orders-order-processing-dlq");
    expect(resolveQueue(topology.queues, "fifo-dlq").name).toBe("fifo-dlq-89abcde.fifo");
    expect(resolveQueue(topology.queues, topology.queues[1]?.url as string).name).toBe("work-dlq");
    expect(resolveQueue(topology.queues, arn("sqs", "alert-dlq")).name).toBe("alert-dlq");
    expect(() => resolveQueue(topology.queues, "nope")).toThrow(
      'unknown queue "nope": the stack\'s DLQs are work-dlq, alert-dlq, fifo-dlq',
    );
  });
});
