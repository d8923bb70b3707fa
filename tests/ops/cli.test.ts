import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { type LocalCloud, REPO_ROOT, startLocalCloud } from "@switchyard/local-cloud";
import { type CliIo, runCli } from "@switchyard/ops/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  queueCounts,
  queueUrl,
  unique,
  unmarshall,
} from "../local-cloud/harness";

/**
 * The ops CLI (`switchyard`) against the orders service in the local cloud: every command, every kind of
 * dead letter (handler, SQS redrive, SNS subscription, EventBridge target, Lambda on-failure), the rate cap,
 * --dry-run, an interrupted redrive and bad input. Every kind of dead letter is made for real where it can be:
 * a handler refusing a bad order, a Lambda failing its retries, SQS moving a message after maxReceiveCount, and
 * SNS and EventBridge failing a delivery to a subscription or rule target (made at runtime through their APIs)
 * whose queue does not exist yet; the redrive then runs once the queue exists. A few tests that need a fixed
 * dead letter (the rate cap, an interrupted redrive) write handler dead letters as runtime-kit writes them.
 */

let cloud: LocalCloud;
let aws: AwsClients;
let dir: string;
let outputsFile: string;

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const arn = (service: string, name: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process against the test's cloud. */
async function cli(
  args: string[],
  stdin?: string,
  options: { isTty?: boolean; signal?: AbortSignal } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stdin: async () => stdin,
    isTty: options.isTty ?? false,
    cwd: REPO_ROOT,
    signal: options.signal,
  };
  const code = await runCli(["--local-outputs", outputsFile, ...args], io);
  return { code, stdout, stderr };
}

async function cliJson<T>(args: string[], stdin?: string): Promise<T> {
  const run = await cli([...args, "--json"], stdin);
  if (run.code !== 0) throw new Error(`switchyard ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

const order = (orderId: string, sku: string, quantity = 2, extra: Record<string, unknown> = {}) => ({
  eventType: "ORDER_CREATED",
  orderId,
  version: 1,
  customerId: "cust-1",
  priority: "NORMAL",
  orderValue: 25,
  currency: "EUR",
  occurredAt: new Date().toISOString(),
  items: [{ sku, quantity }],
  ...extra,
});

const text = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value });

/** A valid order event dead-lettered by the inventory consumer as runtime-kit writes it. */
async function seedHandlerDeadLetter(orderId: string, sku: string): Promise<void> {
  await aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: await queueUrl(aws.sqs, "orders-inventory-dlq"),
      MessageBody: JSON.stringify(order(orderId, sku)),
      MessageAttributes: {
        eventType: text("ORDER_CREATED"),
        "switchyard.failure.reason": text("inventory table was being migrated"),
        "switchyard.failure.source": text("orders-inventory-function"),
        "switchyard.failure.queue": text(arn("sqs", "orders-inventory-queue")),
        "switchyard.failure.messageId": text(`m-${orderId}`),
      },
    }),
  );
}

async function reserved(sku: string): Promise<number | undefined> {
  const { Item } = await aws.dynamodb.send(
    new GetItemCommand({
      TableName: "orders-inventory",
      Key: { pk: { S: `SKU#${sku}` }, sk: { S: "STOCK" } },
    }),
  );
  return Item ? (unmarshall(Item).reserved as number) : undefined;
}

/**
 * Creates a queue whose policy lets one service principal send to it from one source ARN (what AWS requires of
 * an SNS subscription's or EventBridge target's queue and of their DLQs); answers its URL.
 */
async function createQueue(name: string, service: string, sourceArn: string): Promise<string> {
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sqs:SendMessage",
        Resource: arn("sqs", name),
        Condition: { ArnEquals: { "aws:SourceArn": sourceArn } },
      },
    ],
  };
  const { QueueUrl } = await aws.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { Policy: JSON.stringify(policy) } }),
  );
  return QueueUrl as string;
}

/** The local cloud's delivery counts of the subscription of a topic to an endpoint. */
async function subscriptionCounts(topicArn: string, endpoint: string): Promise<Record<string, number>> {
  const topics = await localView<
    Array<{ arn: string; subscriptions: Array<{ endpoint: string; counts: Record<string, number> }> }>
  >(cloud.endpoint, "sns/topics");
  const subscription = topics
    .find((t) => t.arn === topicArn)
    ?.subscriptions.find((s) => s.endpoint === endpoint);
  if (!subscription) throw new Error(`no subscription of ${topicArn} to ${endpoint}`);
  return subscription.counts;
}

/** How many messages of a queue (any state) contain `text`, from the local cloud's view (nothing is received). */
async function inDlq(name: string, text: string): Promise<number> {
  const messages = await localView<Array<{ body: string }>>(cloud.endpoint, "sqs/messages", { queue: name });
  return messages.filter((m) => m.body.includes(text)).length;
}

async function depth(name: string): Promise<number> {
  const counts = await queueCounts(aws.sqs, await queueUrl(aws.sqs, name));
  return counts.visible + counts.inFlight;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, service: "orders", timeScale: 100, writeOutputsFile: false });
  aws = awsClients(cloud.endpoint);
  dir = mkdtempSync(join(tmpdir(), "switchyard-ops-"));
  outputsFile = join(dir, "outputs.json");
  writeFileSync(
    outputsFile,
    JSON.stringify({ endpoint: cloud.endpoint, stack: cloud.stack, outputs: cloud.outputs }),
  );
  // Bundling the orders handlers takes most of this; a loaded 2-core machine needs well over the default.
}, 240_000);

afterAll(async () => {
  if (aws) destroyClients(aws);
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("switchyard dlq", () => {
  it("lists every DLQ of the stack with its kinds of source and depth", async () => {
    const { dlqs } = await cliJson<{
      dlqs: Array<{ queue: string; kinds: string[]; sources: string[]; depth: number }>;
    }>(["dlq", "list"]);
    const byName = new Map(dlqs.map((d) => [d.queue, d]));
    expect(byName.get("orders-inventory-dlq")?.kinds.sort()).toEqual(["handler", "sns", "sqs"]);
    expect(byName.get("orders-inventory-dlq")?.sources).toEqual([
      "orders-inventory-queue",
      "orders-order-events-topic -> orders-inventory-queue",
    ]);
    expect(byName.get("orders-replay-dlq")?.sources).toContain("orders-replay-rule -> orders-replay-queue");
    expect(byName.get("orders-replay-dlq")?.kinds.sort()).toEqual(["eventbridge", "handler", "sqs"]);
    expect(byName.get("orders-high-value-alert-dlq")?.kinds).toContain("sns");
    expect(byName.get("orders-order-processing-dlq")).toBeDefined();
    // Source queues are not DLQs.
    expect(byName.has("orders-inventory-queue")).toBe(false);
    const human = await cli(["dlq", "list"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^QUEUE\s+DEPTH\s+IN FLIGHT\s+OLDEST\s+KINDS\s+SOURCES/);
    expect(human.stdout).toMatch(/orders-inventory-dlq\s+\d+/);
  });

  it("reads a handler's dead letter with its reason, and redrives it back to the queue it failed on", async () => {
    // A real one: the inventory consumer refuses an order event that is not one.
    const orderId = unique("bad");
    await aws.sns.send(
      new PublishCommand({
        TopicArn: cloud.outputs.ordersTopicArn as string,
        Message: JSON.stringify({ orderId }),
        MessageAttributes: { eventType: { DataType: "String", StringValue: "ORDER_CREATED" } },
      }),
    );
    // Waiting on the local cloud's view (no receive, no discovery) is cheaper than polling with peek.
    await eventually(async () => expect(await inDlq("orders-inventory-dlq", orderId)).toBe(1), {
      timeoutMs: 20_000,
    });
    const { messages } = await cliJson<{
      messages: Array<{ kind: string; reason: string; source: string; redriveTo: string; body: string }>;
    }>(["dlq", "peek", "orders-inventory-dlq", "-n", "10"]);
    const peeked = messages.find((m) => m.body.includes(orderId)) as (typeof messages)[number];
    expect(peeked).toBeDefined();
    expect(peeked.kind).toBe("handler");
    expect(peeked.reason).toMatch(/eventType|orderId|required/);
    expect(peeked.source).toContain("orders-inventory-queue");
    expect(peeked.redriveTo).toBe("sqs:orders-inventory-queue");

    const human = await cli(["dlq", "peek", "orders-inventory-dlq"]);
    expect(human.stdout).toContain("reason:");
    expect(human.stdout).toContain("redrive: sqs:orders-inventory-queue");

    // Still broken: redriven, it fails again and comes back with its reason (nothing lost on the way).
    const result = await cliJson<{ moved: number; failed: number }>([
      "dlq",
      "redrive",
      "orders-inventory-dlq",
      "--rate",
      "50",
    ]);
    expect(result.failed).toBe(0);
    expect(result.moved).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect(await inDlq("orders-inventory-dlq", orderId)).toBe(1), {
      timeoutMs: 20_000,
    });
    const again = await cliJson<{ messages: Array<{ body: string; kind: string }> }>([
      "dlq",
      "peek",
      "orders-inventory-dlq",
    ]);
    expect(again.messages.filter((m) => m.body.includes(orderId) && m.kind === "handler")).toHaveLength(1);
    await cli(["dlq", "purge", "orders-inventory-dlq", "--yes"]);
  });

  it("redrives a fixed handler dead letter: the consumer applies it once", async () => {
    await eventually(async () => expect(await depth("orders-inventory-dlq")).toBe(0), { timeoutMs: 15_000 });
    const sku = unique("sku");
    await seedHandlerDeadLetter(unique("ord"), sku);
    const dry = await cliJson<{
      dryRun: boolean;
      messages: Array<{ outcome: string; destination: string; kind: string }>;
    }>(["dlq", "redrive", "orders-inventory-dlq", "--dry-run"]);
    expect(dry.dryRun).toBe(true);
    expect(dry.messages).toEqual([
      expect.objectContaining({
        outcome: "would-move",
        kind: "handler",
        destination: "sqs orders-inventory-queue",
      }),
    ]);
    // A dry run moves nothing.
    expect(await depth("orders-inventory-dlq")).toBe(1);
    expect(await reserved(sku)).toBeUndefined();

    const moved = await cliJson<{ moved: number }>(["dlq", "redrive", "orders-inventory-dlq"]);
    expect(moved.moved).toBe(1);
    await eventually(async () => expect(await reserved(sku)).toBe(2), { timeoutMs: 20_000 });
    expect(await depth("orders-inventory-dlq")).toBe(0);
  });

  it("re-delivers a dead letter SNS wrote to that one subscription's queue, once the queue exists", async () => {
    const topicArn = cloud.outputs.ordersTopicArn as string;
    const dlqName = unique("ops-sub-dlq");
    const targetName = unique("ops-sub-target");
    await createQueue(dlqName, "sns.amazonaws.com", topicArn);
    // A raw-delivery subscription to a queue that does not exist yet, with a redrive policy set at runtime:
    // SNS fails the delivery and writes the dead letter itself.
    const { SubscriptionArn } = await aws.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: arn("sqs", targetName),
        ReturnSubscriptionArn: true,
        Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ opsTest: [targetName] }) },
      }),
    );
    try {
      await aws.sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn,
          AttributeName: "RedrivePolicy",
          AttributeValue: JSON.stringify({ deadLetterTargetArn: arn("sqs", dlqName) }),
        }),
      );
      const event = order(unique("ord"), unique("sku"), 3);
      await aws.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(event),
          MessageAttributes: { opsTest: text(targetName) },
        }),
      );
      type Peeked = {
        messages: Array<{ kind: string; source: string; redriveTo: string | null; notRedriven?: string }>;
      };
      await eventually(async () => expect(await depth(dlqName)).toBe(1), { timeoutMs: 10_000 });
      const {
        messages: [broken],
      } = await cliJson<Peeked>(["dlq", "peek", dlqName]);
      expect(broken).toMatchObject({
        kind: "sns",
        source: `subscription orders-order-events-topic -> ${targetName}`,
        redriveTo: null,
        notRedriven: `the queue ${arn("sqs", targetName)} is not among the stack's queues`,
      });
      // The failure removed: the queue exists now.
      const targetUrl = await createQueue(targetName, "sns.amazonaws.com", topicArn);
      const { messages } = await cliJson<Peeked>(["dlq", "peek", dlqName]);
      expect(messages[0]?.redriveTo).toBe(`sqs:${targetName}`);
      const analyticsBefore = await subscriptionCounts(topicArn, arn("sqs", "orders-analytics-queue"));

      expect((await cliJson<{ moved: number }>(["dlq", "redrive", dlqName])).moved).toBe(1);
      const { Messages = [] } = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: targetUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 2,
          MessageAttributeNames: ["All"],
        }),
      );
      expect(Messages.map((m) => m.Body)).toEqual([JSON.stringify(event)]);
      expect(Messages[0]?.MessageAttributes?.opsTest?.StringValue).toBe(targetName);
      expect(await depth(dlqName)).toBe(0);
      // Not re-published to the topic: the analytics subscription (which takes every event) got nothing new.
      expect(await subscriptionCounts(topicArn, arn("sqs", "orders-analytics-queue"))).toEqual(
        analyticsBefore,
      );
      expect(await subscriptionCounts(topicArn, arn("sqs", targetName))).toMatchObject({
        delivered: 0,
        deadLettered: 1,
      });
    } finally {
      await aws.sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    }
  });

  it("re-sends a dead letter EventBridge wrote to the rule's target, once the target exists", async () => {
    const busName = unique("ops-bus");
    const ruleName = unique("ops-rule");
    const dlqName = unique("ops-target-dlq");
    const targetName = unique("ops-target");
    await aws.events.send(new CreateEventBusCommand({ Name: busName }));
    const { RuleArn } = await aws.events.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ["switchyard.ops-test"] }),
      }),
    );
    await createQueue(dlqName, "events.amazonaws.com", RuleArn as string);
    // A target queue that does not exist yet, with a DLQ: EventBridge dead-letters the event itself.
    await aws.events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: busName,
        Targets: [
          {
            Id: "missing-queue",
            Arn: arn("sqs", targetName),
            DeadLetterConfig: { Arn: arn("sqs", dlqName) },
            RetryPolicy: { MaximumRetryAttempts: 2 },
          },
        ],
      }),
    );
    const detail = order(unique("ord"), unique("sku"));
    const { Entries = [] } = await aws.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: "switchyard.ops-test",
            DetailType: "ORDER_CREATED",
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    const eventId = Entries[0]?.EventId as string;
    expect(eventId).toBeTruthy();
    type Peeked = {
      messages: Array<{
        kind: string;
        reason: string;
        redriveTo: string | null;
        identity: string;
        notRedriven?: string;
      }>;
    };
    await eventually(async () => expect(await depth(dlqName)).toBe(1), { timeoutMs: 10_000 });
    const {
      messages: [broken],
    } = await cliJson<Peeked>(["dlq", "peek", dlqName]);
    expect(broken).toMatchObject({ kind: "eventbridge", identity: eventId, redriveTo: null });
    expect(broken?.reason).toContain(targetName);
    const targetUrl = await createQueue(targetName, "events.amazonaws.com", RuleArn as string);
    const { messages } = await cliJson<Peeked>(["dlq", "peek", dlqName]);
    expect(messages[0]?.redriveTo).toBe(`sqs:${targetName}`);

    expect((await cliJson<{ moved: number }>(["dlq", "redrive", dlqName])).moved).toBe(1);
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: targetUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]?.Body ?? "{}")).toMatchObject({ id: eventId, detail });
    expect(await depth(dlqName)).toBe(0);
  });

  it("re-invokes the function of a Lambda on-failure record with the original event", async () => {
    // A real one: the high-value alert function fails on a body that is not an order, twice retried.
    const orderId = unique("big");
    await aws.sns.send(
      new PublishCommand({
        TopicArn: cloud.outputs.ordersTopicArn as string,
        Message: JSON.stringify({ orderId }),
        MessageAttributes: { orderValue: { DataType: "Number", StringValue: "5000" } },
      }),
    );
    await eventually(async () => expect(await inDlq("orders-high-value-alert-dlq", orderId)).toBe(1), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const { messages } = await cliJson<{
      messages: Array<{
        kind: string;
        reason: string;
        redriveTo: string;
        body: string;
        messageId: string;
      }>;
    }>(["dlq", "peek", "orders-high-value-alert-dlq"]);
    const letter = messages.find((m) => m.body.includes(orderId)) as (typeof messages)[number];
    expect(letter).toBeDefined();
    expect(letter.kind).toBe("lambda");
    expect(letter.reason).toMatch(/RetriesExhausted after 3 attempts: .*/);
    expect(letter.redriveTo).toBe("lambda:orders-high-value-alert-function");
    const before = (
      await localView<unknown[]>(cloud.endpoint, "lambda/invocations", {
        function: "orders-high-value-alert-function",
      })
    ).length;
    const result = await cliJson<{ moved: number; messages: Array<{ messageId: string; outcome: string }> }>([
      "dlq",
      "redrive",
      "orders-high-value-alert-dlq",
    ]);
    expect(result.messages).toContainEqual(
      expect.objectContaining({ messageId: letter.messageId, outcome: "moved" }),
    );
    // It ran again (and, still broken, failed again into the DLQ with a fresh record).
    await eventually(
      async () => {
        const after = await localView<unknown[]>(cloud.endpoint, "lambda/invocations", {
          function: "orders-high-value-alert-function",
        });
        expect(after.length).toBeGreaterThan(before);
      },
      { timeoutMs: 20_000 },
    );
  });

  it("says a message SQS moved has no handler reason (a crashed consumer), and moves it back to its source queue", async () => {
    const dlqName = unique("ops-scratch-dlq");
    const { QueueUrl: dlqUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
    const { QueueUrl: srcUrl } = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: unique("ops-scratch-src"),
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("sqs", dlqName), maxReceiveCount: 1 }),
          VisibilityTimeout: "1",
        },
      }),
    );
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: srcUrl, MessageBody: "poison" }));
    // Received once and never deleted: SQS moves it on the next receive.
    await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: srcUrl, MaxNumberOfMessages: 1 }));
    await eventually(
      async () => {
        await aws.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: srcUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }),
        );
        expect((await queueCounts(aws.sqs, dlqUrl as string)).visible).toBe(1);
      },
      { timeoutMs: 10_000 },
    );
    const { messages } = await cliJson<{
      messages: Array<{ kind: string; reason: string; redriveTo: string }>;
    }>(["dlq", "peek", dlqName]);
    expect(messages).toEqual([
      expect.objectContaining({ kind: "sqs", redriveTo: expect.stringMatching(/^sqs:ops-scratch-src-/) }),
    ]);
    // Received and never finished, with no reason recorded: what a consumer killed or timed out leaves behind.
    expect(messages[0]?.reason).toMatch(
      /^moved by SQS after 1 receive \(maxReceiveCount\) on ops-scratch-src-\S+; no handler reason: the consumer crashed or timed out; see the logs of the function consuming ops-scratch-src-\S+ around \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(its first receive\) and after$/,
    );
    const human = await cli(["dlq", "peek", dlqName]);
    expect(human.stdout).toContain("no handler reason: the consumer crashed or timed out");
    expect((await cliJson<{ moved: number }>(["dlq", "redrive", dlqUrl as string])).moved).toBe(1);
    const counts = await queueCounts(aws.sqs, srcUrl as string);
    expect(counts.visible + counts.inFlight).toBe(1);
    expect((await queueCounts(aws.sqs, dlqUrl as string)).visible).toBe(0);
  });

  it("redrives a DLQ fed by one queue with an SQS move task, and refuses one that takes other kinds", async () => {
    const dlqName = unique("ops-move-dlq");
    const { QueueUrl: dlqUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
    const { QueueUrl: srcUrl } = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: unique("ops-move-src"),
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("sqs", dlqName), maxReceiveCount: 1 }),
        },
      }),
    );
    for (let i = 0; i < 3; i++)
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: `m${i}` }));
    const result = await cliJson<{ moveTask: boolean; status: string; moved: number }>([
      "dlq",
      "redrive",
      dlqName,
      "--move-task",
      "--rate",
      "20",
    ]);
    expect(result).toMatchObject({ moveTask: true, status: "COMPLETED", moved: 3 });
    expect((await queueCounts(aws.sqs, srcUrl as string)).visible).toBe(3);
    expect((await queueCounts(aws.sqs, dlqUrl as string)).visible).toBe(0);

    const refused = await cli(["dlq", "redrive", "orders-inventory-dlq", "--move-task"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "switchyard: --move-task: orders-inventory-dlq also takes sns dead letters, which a move task would send to the wrong queue; redrive without --move-task\n",
    );
  });

  it("caps the rate and stops at --max, leaving the rest in the DLQ", async () => {
    await cli(["dlq", "purge", "orders-analytics-dlq", "--yes"]);
    const url = await queueUrl(aws.sqs, "orders-analytics-dlq");
    // Five dead letters of the analytics consumer; the redrive stops after four.
    for (let i = 0; i < 5; i++) {
      await aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify(order(unique("ord"), unique("sku"))),
          MessageAttributes: {
            "switchyard.failure.reason": text("analytics was down"),
            "switchyard.failure.queue": text(arn("sqs", "orders-analytics-queue")),
          },
        }),
      );
    }
    const started = Date.now();
    const result = await cliJson<{ moved: number }>([
      "dlq",
      "redrive",
      "orders-analytics-dlq",
      "--rate",
      "4",
      "--max",
      "4",
    ]);
    const elapsed = Date.now() - started;
    expect(result.moved).toBe(4);
    // 4 sends at 4 per second: the last one no sooner than 750 ms after the first.
    expect(elapsed).toBeGreaterThanOrEqual(700);
    await eventually(async () => expect((await queueCounts(aws.sqs, url)).visible).toBe(1), {
      timeoutMs: 15_000,
    });
  });

  it("an interrupted redrive loses nothing and doubles nothing", async () => {
    await eventually(async () => expect(await depth("orders-inventory-dlq")).toBe(0), { timeoutMs: 15_000 });
    const skus = Array.from({ length: 6 }, () => unique("sku"));
    for (const sku of skus) await seedHandlerDeadLetter(unique("ord"), sku);
    // The switchyard bin in its own process at 2 per second, killed (SIGKILL: no chance to clean up) once it
    // has moved a message.
    const child = spawn(
      process.execPath,
      [
        "packages/ops/bin/switchyard.mjs",
        "--local-outputs",
        outputsFile,
        "dlq",
        "redrive",
        "orders-inventory-dlq",
        "--rate",
        "2",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let firstMovedAt = 0;
    await eventually(
      async () => {
        const applied = (await Promise.all(skus.map(reserved))).filter((r) => r !== undefined).length;
        if (applied > 0 && firstMovedAt === 0) firstMovedAt = Date.now();
        expect(applied).toBeGreaterThanOrEqual(1);
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const appliedBeforeResume = (await Promise.all(skus.map(reserved))).filter((r) => r !== undefined).length;
    expect(appliedBeforeResume).toBeLessThan(skus.length);
    // The held messages come back after the visibility timeout; a second run finishes the job.
    await eventually(
      async () => {
        await cliJson(["dlq", "redrive", "orders-inventory-dlq", "--rate", "50"]);
        for (const sku of skus) expect(await reserved(sku)).toBe(2);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(await depth("orders-inventory-dlq")).toBe(0);
  });

  it("purges only with --yes", async () => {
    const refused = await cli(["dlq", "purge", "orders-archive-dlq"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("switchyard: dlq purge deletes every message: add --yes\n");
    const url = await queueUrl(aws.sqs, "orders-archive-dlq");
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));
    const done = await cli(["dlq", "purge", "orders-archive-dlq", "--yes"]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("purged orders-archive-dlq");
    expect((await queueCounts(aws.sqs, url)).visible).toBe(0);
  });
});

describe("switchyard publish, trace, token", () => {
  it("publishes an order event validated by the contracts (stdin or flags)", async () => {
    const sku = unique("sku");
    const fromStdin = await cliJson<{ messageIds: string[] }>(
      ["publish", "order"],
      JSON.stringify(order(unique("ord"), sku, 1)),
    );
    expect(fromStdin.messageIds).toHaveLength(1);
    await eventually(async () => expect(await reserved(sku)).toBe(1), { timeoutMs: 20_000 });
    const sku2 = unique("sku");
    const fromFlags = await cli([
      "publish",
      "order",
      "--type",
      "ORDER_CREATED",
      "--order-id",
      unique("ord"),
      "--customer",
      "c-9",
      "--value",
      "12.5",
      "--item",
      `${sku2}:4`,
    ]);
    expect(fromFlags.code).toBe(0);
    await eventually(async () => expect(await reserved(sku2)).toBe(4), { timeoutMs: 20_000 });
    const bad = await cli(["publish", "order"], JSON.stringify({ ...order("o", "s"), currency: "euro" }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^switchyard: publish order: .*currency must be an ISO 4217 code/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("publishes a notification and refuses an invalid SMS request naming the field", async () => {
    const sent = await cliJson<{ eventIds: string[] }>([
      "publish",
      "notification",
      "--user",
      "u-1",
      "--message",
      "hello",
    ]);
    expect(sent.eventIds).toHaveLength(1);
    const bad = await cli([
      "publish",
      "sms",
      "--to",
      "12345",
      "--text",
      "hi",
      "--country",
      "DE",
      "--use-case",
      "VERIFICATION",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("phoneNumber must be E.164");
  });

  it("traces an order event: which subscriptions match, and why the others do not", async () => {
    const file = join(dir, "shipped.json");
    writeFileSync(
      file,
      JSON.stringify(
        order("o-1", "s-1", 1, {
          eventType: "ORDER_SHIPPED",
          trackingUrl: "https://t.example/1",
          priority: "LOW",
        }),
      ),
    );
    const result = await cliJson<{
      matched: Array<{ name: string }>;
      notMatched: Array<{ name: string; reasons: string[] }>;
    }>(["trace", "orders-order-events-topic", file]);
    expect(result.matched.map((m) => m.name)).toContain("orders-analytics-queue");
    const customer = result.notMatched.find((m) => m.name === "orders-customer-notifications-queue");
    expect(customer?.reasons).toEqual(['priority: wants ["HIGH"], the message has "LOW"']);
    const inventory = result.notMatched.find((m) => m.name === "orders-inventory-queue");
    expect(inventory?.reasons[0]).toContain(
      'eventType: wants ["ORDER_CREATED","ORDER_CANCELLED"], the message has "ORDER_SHIPPED"',
    );
    const human = await cli(["trace", "orders-order-events-topic", file]);
    expect(human.stdout).toContain("NO MATCH  orders-customer-notifications-queue: priority");
  });

  it("traces an event on a bus", async () => {
    const result = await cliJson<{
      matched: unknown[];
      notMatched: Array<{ name: string; reasons: string[] }>;
    }>(
      ["trace", "orders-bus", "-"],
      JSON.stringify({ source: "switchyard.orders", "detail-type": "ORDER_CREATED", detail: {} }),
    );
    expect(result.matched).toEqual([]);
    expect(result.notMatched).toEqual([
      expect.objectContaining({
        name: "orders-replay-rule",
        reasons: ['replay-name: wants [{"exists":true}], the message has nothing (absent)'],
      }),
    ]);
  });

  it("mints a local token", async () => {
    const run = await cli(["token", "user-7"]);
    expect(run.code).toBe(0);
    const [, payload] = run.stdout.trim().split(".");
    expect(JSON.parse(Buffer.from(payload as string, "base64url").toString()).sub).toBe("user-7");
  });

  it.each([
    [
      ["dlq", "peek", "no-such-dlq"],
      1,
      /^switchyard: unknown queue "no-such-dlq": the stack's DLQs are .*orders-inventory-dlq/,
    ],
    [["dlq", "redrive", "orders-inventory-dlq", "--rate", "fast"], 2, /^switchyard: --rate must be a number/],
    [["dlq", "peek", "orders-inventory-dlq", "-n", "0"], 2, /^switchyard: -n must be a positive integer/],
    [["dlq", "peek"], 2, /^switchyard: dlq peek: which queue\?/],
    [["dlq", "list", "--bogus"], 2, /^switchyard: Unknown option '--bogus'/],
    [["frobnicate"], 2, /^switchyard: unknown command "frobnicate"/],
    [["dlq"], 2, /^switchyard: dlq: which subcommand\? \(list, peek, redrive, purge\)/],
    [["publish", "fax"], 2, /^switchyard: publish: unknown kind "fax" \(order, sms, notification\)/],
    [["trace", "no-such-topic", "-"], 1, /^switchyard: unknown topic or bus "no-such-topic"/],
    [["publish", "sms"], 2, /^switchyard: publish sms: give the JSON on stdin or as flags/],
  ])("refuses %j with one clear line", async (args, code, message) => {
    const run = await cli(args as string[], args[0] === "trace" ? "{}" : undefined);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message as RegExp);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stdout).toBe("");
  });
});
