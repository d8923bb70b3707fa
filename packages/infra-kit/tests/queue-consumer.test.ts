import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  LateBindingError,
  NodeFunction,
  type NodeFunctionArgs,
  QueueConsumer,
  type QueueConsumerArgs,
  ReliableQueue,
  type ReliableQueueArgs,
} from "../src/index";
import {
  ALARM_TOPIC_ARN,
  argDocProblems,
  fixtureHandler,
  KEY_ARN,
  listOf,
  mark,
  ownershipProblems,
  statementsOf,
} from "./helpers";

let mocks: PulumiMocks;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

/** A queue and a function named `<name>-queue` and `<name>-fn`, ready to be connected. */
function pair(name: string, queue: Partial<ReliableQueueArgs> = {}, fn: Partial<NodeFunctionArgs> = {}) {
  return {
    queue: new ReliableQueue(`${name}-q`, { alarmTopicArn: ALARM_TOPIC_ARN, ...queue }),
    function: new NodeFunction(`${name}-fn`, { entry: fixtureHandler, ...fn }),
  };
}

async function visibilityOf(queueName: string): Promise<unknown> {
  const queue = await mocks.findResource("aws:sqs/queue:Queue", `${queueName}-queue`);
  return queue.inputs.visibilityTimeoutSeconds;
}

describe("QueueConsumer defaults", () => {
  beforeAll(() => {
    new QueueConsumer("plain", pair("plain"));
  });

  it("maps the queue to the function with partial batch responses, batches of 10, no window, enabled", async () => {
    const mapping = await mocks.findResource("aws:lambda/eventSourceMapping:EventSourceMapping", "plain-esm");
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-queue");
    const fn = await mocks.findResource("aws:lambda/function:Function", "plain-fn-function");

    expect(mapping.inputs).toEqual({
      eventSourceArn: queue.outputs.arn,
      functionName: fn.outputs.arn,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
      enabled: true,
    });
  });

  it("grants the function receive/delete on that queue and send on its DLQ, nothing more", async () => {
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "plain-fn-policy");
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-queue");
    const dlq = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-dlq");

    const [logging, ...grants] = statementsOf(policy);

    expect(listOf(logging?.Action)).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(grants).toEqual([
      {
        Effect: "Allow",
        // No sqs:ChangeMessageVisibility: neither the event source mapping nor the handlers call it.
        Action: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
        Resource: queue.outputs.arn,
      },
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.outputs.arn },
    ]);
  });

  it("tells the function where its DLQ is", async () => {
    const fn = await mocks.findResource("aws:lambda/function:Function", "plain-fn-function");
    const dlq = await mocks.findResource("aws:sqs/queue:Queue", "plain-q-dlq");

    expect(fn.inputs.environment).toMatchObject({
      variables: { DLQ_URL: dlq.outputs.url, MAX_RECEIVE_COUNT: expect.stringMatching(/^\d+$/) },
    });
  });

  it("raises the queue's visibility timeout to 6 x the 10 s function timeout", async () => {
    expect(await visibilityOf("plain-q")).toBe(60);
  });

  it("parents its mapping and names it from the component", async () => {
    const since = await mark(mocks);

    new QueueConsumer("owned", pair("owned"));

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    const component = await mocks.findResource(QueueConsumer.type, "owned");
    expect((await mocks.childrenOf(component)).map((c) => c.name)).toEqual(["owned-esm"]);
  });

  it("documents every arg, with @default on the optional ones", () => {
    expect(argDocProblems("queue-consumer.ts", "QueueConsumerArgs")).toEqual([]);
  });
});

describe("QueueConsumer settings", () => {
  it("passes batch size, batching window and maximum concurrency to the mapping", async () => {
    new QueueConsumer("tuned", {
      ...pair("tuned", {}, { reservedConcurrency: 20 }),
      batchSize: 100,
      maxBatchingWindowSeconds: 5,
      maximumConcurrency: 20,
      enabled: false,
    });

    const mapping = await mocks.findResource("aws:lambda/eventSourceMapping:EventSourceMapping", "tuned-esm");
    expect(mapping.inputs).toMatchObject({
      batchSize: 100,
      maximumBatchingWindowInSeconds: 5,
      scalingConfig: { maximumConcurrency: 20 },
      functionResponseTypes: ["ReportBatchItemFailures"],
      enabled: false,
    });
  });

  it("grants kms:Decrypt (and GenerateDataKey for direct dead letters) on the queue's key, through SQS only", async () => {
    new QueueConsumer("sealed", pair("sealed", { kmsKeyArn: KEY_ARN }));
    const viaSqs = { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } };

    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "sealed-fn-policy");
    const kms = statementsOf(policy).filter((s) => listOf(s.Action).some((a) => a.startsWith("kms:")));
    expect(kms).toEqual([
      { Effect: "Allow", Action: "kms:Decrypt", Resource: KEY_ARN, Condition: viaSqs },
      { Effect: "Allow", Action: "kms:GenerateDataKey", Resource: KEY_ARN, Condition: viaSqs },
    ]);
  });

  it("leaves out MAX_RECEIVE_COUNT for a handler that does not let SQS count receives, keeping DLQ_URL", async () => {
    new QueueConsumer("requeuing", { ...pair("requeuing", {}), lastReceiveDeadLetter: false });

    const fn = await mocks.findResource("aws:lambda/function:Function", "requeuing-fn-function");
    const variables = (fn.inputs.environment as { variables: Record<string, unknown> }).variables;
    expect(Object.keys(variables)).toContain("DLQ_URL");
    expect(Object.keys(variables)).not.toContain("MAX_RECEIVE_COUNT");
  });

  it("leaves out the DLQ grant and variable when the function does not dead-letter directly", async () => {
    new QueueConsumer("indirect", { ...pair("indirect", { kmsKeyArn: KEY_ARN }), deadLetterDirect: false });

    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "indirect-fn-policy");
    const fn = await mocks.findResource("aws:lambda/function:Function", "indirect-fn-function");
    const actions = statementsOf(policy).flatMap((s) => listOf(s.Action));
    expect(actions).not.toContain("sqs:SendMessage");
    expect(actions).not.toContain("kms:GenerateDataKey");
    expect(actions).toContain("kms:Decrypt");
    expect(fn.inputs.environment).not.toMatchObject({ variables: { DLQ_URL: expect.anything() } });
  });
});

describe("QueueConsumer visibility rule", () => {
  it.each([
    ["a 30 s timeout and a 5 s window", { timeout: 30 }, 5, 185],
    ["a 3 s timeout (the 30 s floor holds)", { timeout: 3 }, 0, 30],
    ["a 900 s timeout and a 300 s window", { timeout: 900 }, 300, 5_700],
  ])("sets visibility to max(30, 6 x timeout + window) for %s", async (_case, fn, window, expected) => {
    const name = `vis-${expected}`;

    new QueueConsumer(name, { ...pair(name, {}, fn), maxBatchingWindowSeconds: window });

    expect(await visibilityOf(`${name}-q`)).toBe(expected);
  });

  it("takes the largest need across several consumers of one queue", async () => {
    // Prepare
    const queue = new ReliableQueue("shared-q", { alarmTopicArn: ALARM_TOPIC_ARN });
    const quick = new NodeFunction("shared-quick", { entry: fixtureHandler, timeout: 10 });
    const slow = new NodeFunction("shared-slow", { entry: fixtureHandler, timeout: 60 });
    const batched = new NodeFunction("shared-batched", { entry: fixtureHandler, timeout: 20 });

    // Act
    new QueueConsumer("shared-a", { queue, function: quick });
    const slowConsumer = new QueueConsumer("shared-b", {
      queue,
      function: slow,
      maxBatchingWindowSeconds: 20,
    });
    new QueueConsumer("shared-c", { queue, function: batched, maxBatchingWindowSeconds: 30 });

    // Assess
    expect(slowConsumer.requiredVisibilityTimeout).toBe(380);
    expect(await visibilityOf("shared-q")).toBe(380);
  });

  it("keeps an explicit visibility timeout above the need", async () => {
    new QueueConsumer("roomy", pair("roomy", { visibilityTimeoutSeconds: 600 }, { timeout: 30 }));

    expect(await visibilityOf("roomy-q")).toBe(600);
  });

  it("refuses a consumer whose need exceeds an explicit lower visibility timeout, naming queue, arg and consumer", () => {
    const parts = pair("cramped", { visibilityTimeoutSeconds: 60 }, { timeout: 30 });

    expect(() => new QueueConsumer("cramped", { ...parts, maxBatchingWindowSeconds: 5 })).toThrow(
      /ReliableQueue "cramped-q": visibilityTimeoutSeconds must be at least 185 s: 6 x the 30 s timeout of the function consuming it \+ 5 s batching window, for consumer "cramped" \(got 60\)/,
    );
  });

  it("throws LateBindingError for a consumer declared after the program declared its resources", async () => {
    const parts = pair("late");
    await mocks.settle();

    expect(() => new QueueConsumer("late", parts)).toThrow(LateBindingError);
  });
});

describe("QueueConsumer validation", () => {
  it.each<
    [string, Partial<ReliableQueueArgs>, Partial<NodeFunctionArgs>, Partial<QueueConsumerArgs>, RegExp]
  >([
    [
      "a batch size of 0",
      {},
      {},
      { batchSize: 0 },
      /QueueConsumer "c": batchSize must be an integer from 1 to 10000 \(got 0\)/,
    ],
    [
      "a batch size above 10000",
      {},
      {},
      { batchSize: 10_001 },
      /QueueConsumer "c": batchSize must be an integer from 1 to 10000 \(got 10001\)/,
    ],
    [
      "a FIFO batch size above 10",
      { fifo: true },
      {},
      { batchSize: 11 },
      /QueueConsumer "c": batchSize must be an integer from 1 to 10 \(got 11\)/,
    ],
    [
      "a batch above 10 without a batching window",
      {},
      {},
      { batchSize: 100 },
      /QueueConsumer "c": maxBatchingWindowSeconds must be at least 1 when batchSize is above 10 \(got 0 with batchSize 100\)/,
    ],
    [
      "a batching window above 5 minutes",
      {},
      {},
      { maxBatchingWindowSeconds: 301 },
      /QueueConsumer "c": maxBatchingWindowSeconds must be an integer from 0 to 300 \(got 301\)/,
    ],
    [
      "a batching window on a FIFO queue",
      { fifo: true },
      {},
      { maxBatchingWindowSeconds: 1 },
      /QueueConsumer "c": maxBatchingWindowSeconds must be 0 for a FIFO queue, which Lambda does not batch over time \(got 1\)/,
    ],
    [
      "a maximum concurrency of 1",
      {},
      {},
      { maximumConcurrency: 1 },
      /QueueConsumer "c": maximumConcurrency must be an integer from 2 to 1000 \(got 1\)/,
    ],
    [
      "a maximum concurrency above 1000",
      {},
      {},
      { maximumConcurrency: 1001 },
      /QueueConsumer "c": maximumConcurrency must be an integer from 2 to 1000 \(got 1001\)/,
    ],
    [
      "a maximum concurrency above the function's reserved concurrency",
      {},
      { reservedConcurrency: 5 },
      { maximumConcurrency: 10 },
      /QueueConsumer "c": maximumConcurrency must not exceed the function's reserved concurrency of 5: invocations above it would be throttled and retried \(got 10\)/,
    ],
  ])("refuses %s", (_case, queue, fn, args, message) => {
    const parts = pair("refused", queue, fn);

    expect(() => new QueueConsumer("c", { ...parts, ...args })).toThrow(message);
  });

  it("refuses a missing function", () => {
    const { queue } = pair("orphan");

    expect(() => new QueueConsumer("c", { queue } as QueueConsumerArgs)).toThrow(
      /QueueConsumer "c": function is required \(got undefined\)/,
    );
  });

  it("refuses a second direct dead-lettering consumer on one function, and accepts it with deadLetterDirect off", () => {
    // Prepare: one function already draining a queue and dead-lettering to its DLQ.
    const first = pair("shared");
    new QueueConsumer("shared-first", first);
    const second = new ReliableQueue("shared-second-q", { alarmTopicArn: ALARM_TOPIC_ARN });

    // Act / Assess
    expect(() => new QueueConsumer("shared-second", { queue: second, function: first.function })).toThrow(
      /QueueConsumer "shared-second": deadLetterDirect must be false when the function already dead-letters to another queue's DLQ/,
    );
    expect(
      () =>
        new QueueConsumer("shared-third", {
          queue: second,
          function: first.function,
          deadLetterDirect: false,
        }),
    ).not.toThrow();
  });

  it("grants nothing and leaves the visibility timeout alone when it refuses", async () => {
    const parts = pair("untouched", {}, { timeout: 60 });

    expect(() => new QueueConsumer("c", { ...parts, batchSize: 0 })).toThrow(/batchSize/);

    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "untouched-fn-policy");
    expect(statementsOf(policy)).toHaveLength(1);
    expect(await visibilityOf("untouched-q")).toBe(30);
  });
});

describe("QueueConsumer transform", () => {
  it("changes the event source mapping, in object and function form", async () => {
    new QueueConsumer("filtered", {
      ...pair("filtered"),
      transform: {
        eventSourceMapping: (args) => {
          args.filterCriteria = { filters: [{ pattern: '{"body":{"kind":["order"]}}' }] };
        },
      },
    });
    new QueueConsumer("tagged", {
      ...pair("tagged"),
      transform: { eventSourceMapping: { tags: { team: "payments" } } },
    });

    const filtered = await mocks.findResource(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "filtered-esm",
    );
    const tagged = await mocks.findResource("aws:lambda/eventSourceMapping:EventSourceMapping", "tagged-esm");
    expect(filtered.inputs.filterCriteria).toEqual({ filters: [{ pattern: '{"body":{"kind":["order"]}}' }] });
    expect(tagged.inputs).toMatchObject({
      tags: { team: "payments" },
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
  });
});
