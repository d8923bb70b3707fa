import { createHash } from "node:crypto";
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidMessageContents,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
  TooManyEntriesInBatchRequest,
} from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createSqs } from "../src/services/sqs";
import { type LocalResource, LocalServiceError, type SqsEngine } from "../src/types";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const arnOf = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const awsUrl = (name: string): string => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;

/** An `aws:sqs/queue:Queue` record shaped like the dev stack's (outputs carry the AWS-shaped URL). */
function queue(name: string, inputs: Record<string, unknown> = {}): LocalResource {
  return {
    type: "aws:sqs/queue:Queue",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue$aws:sqs/queue:Queue::${name}`,
    parentUrn: "urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue::test",
    custom: true,
    inputs: {
      maxMessageSize: 1048576,
      messageRetentionSeconds: 345600,
      sqsManagedSseEnabled: true,
      ...inputs,
    },
    outputs: { name, arn: arnOf(name), url: awsUrl(name) },
    id: awsUrl(name),
  } as LocalResource;
}

function redriveAllow(dlq: string, sources: string[]): LocalResource {
  return {
    type: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    name: `${dlq}-redrive-allow`,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue$aws:sqs/redriveAllowPolicy:RedriveAllowPolicy::${dlq}-redrive-allow`,
    parentUrn: "urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue::test",
    custom: true,
    inputs: {
      queueUrl: awsUrl(dlq),
      redriveAllowPolicy: JSON.stringify({
        redrivePermission: "byQueue",
        sourceQueueArns: sources.map(arnOf),
      }),
    },
    outputs: { arn: `${arnOf(dlq)}-redrive-allow` },
    id: `${dlq}-redrive-allow`,
  } as LocalResource;
}

const redrive = (dlq: string, maxReceiveCount: number): string =>
  JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount });

const RESOURCES: LocalResource[] = [
  queue("orders-dlq"),
  queue("orders-queue", {
    visibilityTimeoutSeconds: 180,
    receiveWaitTimeSeconds: 0,
    redrivePolicy: redrive("orders-dlq", 3),
  }),
  redriveAllow("orders-dlq", ["orders-queue"]),
  queue("denied-dlq"),
  queue("denied-queue", { redrivePolicy: redrive("denied-dlq", 1) }),
  {
    ...redriveAllow("denied-dlq", []),
    inputs: {
      queueUrl: awsUrl("denied-dlq"),
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }),
    },
  } as LocalResource,
  queue("small-queue", { maxMessageSize: 1024 }),
  queue("plain-queue"),
  queue("processing-dlq.fifo", { fifoQueue: true }),
  queue("processing.fifo", {
    fifoQueue: true,
    contentBasedDeduplication: true,
    deduplicationScope: "messageGroup",
    fifoThroughputLimit: "perMessageGroupId",
    visibilityTimeoutSeconds: 180,
    redrivePolicy: redrive("processing-dlq.fifo", 3),
  }),
];

/** One SQS "second" lasts 50 ms in these tests (visibility timeouts, delays, long polls). */
const MS_PER_SECOND = 50;

let engine: Engine;
let sqs: SQSClient;
let local: (name: string) => string;

const clientFor = (endpoint: string): SQSClient =>
  new SQSClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

beforeAll(async () => {
  // No purge cooldown here, so every test starts from empty queues (the cooldown has its own test).
  engine = await Engine.listen({
    emulators: { sqs: (ctx) => createSqs(ctx, { msPerSecond: MS_PER_SECOND, purgeCooldownSeconds: 0 }) },
  });
  await engine.provision(RESOURCES);
  sqs = clientFor(engine.endpoint);
  local = (name) => `${engine.endpoint}/${ACCOUNT}/${name}`;
});

afterAll(async () => {
  sqs.destroy();
  await engine.close();
});

/** Empties every queue (in-flight messages too) between tests. */
afterEach(async () => {
  const api = engine.emulator("sqs") as unknown as SqsEngine;
  for (const { url } of api.list()) await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
});

const md5 = (text: string): string => createHash("md5").update(text).digest("hex");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function depth(name: string): Promise<Record<string, string>> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: local(name),
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return result.Attributes ?? {};
}

async function expectError<T>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

describe("queues from the program", () => {
  it("serves the local URL, accepts the AWS-shaped one, and reports the program's attributes", async () => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "orders-queue" }));
    expect(QueueUrl).toBe(local("orders-queue"));

    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: awsUrl("orders-queue"), MessageBody: "via aws url" }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
    );
    expect(Attributes).toMatchObject({
      QueueArn: arnOf("orders-queue"),
      VisibilityTimeout: "180",
      MaximumMessageSize: "1048576",
      MessageRetentionPeriod: "345600",
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: arnOf("orders-dlq"),
      maxReceiveCount: 3,
    });
    expect(Attributes?.FifoQueue).toBeUndefined();

    const fifo = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: local("processing.fifo"), AttributeNames: ["All"] }),
    );
    expect(fifo.Attributes).toMatchObject({
      FifoQueue: "true",
      ContentBasedDeduplication: "true",
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });

    const dlq = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: local("orders-dlq"),
        AttributeNames: ["RedriveAllowPolicy"],
      }),
    );
    expect(JSON.parse(dlq.Attributes?.RedriveAllowPolicy ?? "{}")).toEqual({
      redrivePermission: "byQueue",
      sourceQueueArns: [arnOf("orders-queue")],
    });

    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "orders-" }));
    expect(listed.QueueUrls?.sort()).toEqual([local("orders-dlq"), local("orders-queue")]);
  });

  it("raises QueueDoesNotExist for unknown queues and accounts", async () => {
    await expectError(sqs.send(new GetQueueUrlCommand({ QueueName: "nope" })), QueueDoesNotExist);
    const error = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl: local("nope"), MessageBody: "x" })),
      QueueDoesNotExist,
    );
    expect(error.name).toBe("QueueDoesNotExist");
    expect(error.$metadata.httpStatusCode).toBe(400);
    await expectError(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: `${engine.endpoint}/999999999999/orders-queue`,
          MessageBody: "x",
        }),
      ),
      QueueDoesNotExist,
    );
  });
});

describe("send, receive, delete", () => {
  it("round-trips a message with AWS's MD5s (the SDK validates the body MD5) and all attributes", async () => {
    const url = local("plain-queue");
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "Sample content.",
        MessageAttributes: { "sample-attribute": { DataType: "String", StringValue: "sample-value" } },
        MessageSystemAttributes: {
          AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793" },
        },
      }),
    );
    // Digests recorded from a real SQS message with this body and attribute (AWS Lambda SQS event).
    expect(sent.MD5OfMessageBody).toBe("b58e1d0a86521415d25b85b89f6ad6cd");
    expect(sent.MD5OfMessageAttributes).toBe("7c815262be77a62f56671125069ca888");
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);

    const before = Date.now();
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages).toHaveLength(1);
    const [message] = Messages ?? [];
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe("Sample content.");
    expect(message?.MD5OfBody).toBe("b58e1d0a86521415d25b85b89f6ad6cd");
    expect(message?.MD5OfMessageAttributes).toBe("7c815262be77a62f56671125069ca888");
    expect(message?.MessageAttributes).toEqual({
      "sample-attribute": { DataType: "String", StringValue: "sample-value" },
    });
    expect(message?.Attributes).toMatchObject({
      ApproximateReceiveCount: "1",
      SenderId: ACCOUNT,
      AWSTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793",
    });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThanOrEqual(before);
    expect(Number(message?.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(before);
    expect(await depth("plain-queue")).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "1",
    });

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    expect(await depth("plain-queue")).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  it("returns only the attributes asked for, by name or prefix", async () => {
    const url = local("plain-queue");
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "attrs",
        MessageAttributes: {
          "order.id": { DataType: "String", StringValue: "o-1" },
          "order.total": { DataType: "Number", StringValue: "12.5" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageAttributeNames: ["order.*"],
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    const [message] = Messages ?? [];
    expect(Object.keys(message?.MessageAttributes ?? {}).sort()).toEqual(["order.id", "order.total"]);
    expect(message?.Attributes).toEqual({ ApproximateReceiveCount: "1" });
    // The attribute digest covers what was returned: not the one over all three attributes.
    const all = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "attrs",
        MessageAttributes: {
          "order.id": { DataType: "String", StringValue: "o-1" },
          "order.total": { DataType: "Number", StringValue: "12.5" },
        },
      }),
    );
    expect(message?.MD5OfMessageAttributes).toBe(all.MD5OfMessageAttributes);
  });

  it("long polling returns as soon as a message arrives", async () => {
    const url = local("plain-queue");
    const started = Date.now();
    // WaitTimeSeconds 20 lasts 1 s at this time scale.
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await sleep(100);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "late" }));
    const { Messages } = await polling;
    expect(Messages?.map((message) => message.Body)).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(20 * MS_PER_SECOND);

    const empty = Date.now();
    const nothing = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 4 }));
    expect(nothing.Messages).toBeUndefined();
    expect(Date.now() - empty).toBeGreaterThanOrEqual(4 * MS_PER_SECOND - 5);
  });

  it("a message reappears after its visibility timeout with a new receipt handle and receive count 2", async () => {
    const url = local("plain-queue");
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "retry me" }));
    const first = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        VisibilityTimeout: 2,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const handle1 = first.Messages?.[0]?.ReceiptHandle;
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20, MessageSystemAttributeNames: ["All"] }),
    );
    const again = second.Messages?.[0];
    expect(again?.MessageId).toBe(first.Messages?.[0]?.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(again?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(
      first.Messages?.[0]?.Attributes?.ApproximateFirstReceiveTimestamp,
    );
    expect(again?.ReceiptHandle).not.toBe(handle1);

    // The stale handle no longer deletes (the call succeeds, the message stays).
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle1 }));
    expect((await depth("plain-queue")).ApproximateNumberOfMessagesNotVisible).toBe("1");

    // ChangeMessageVisibility to 0 makes it visible at once.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: again?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(await depth("plain-queue")).toEqual({
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
    const stale = await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: again?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((stale as Error).name).toBe("MessageNotInflight");
  });

  it("delays messages and validates delays, sizes and characters", async () => {
    const url = local("plain-queue");
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 4 }));
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessagesDelayed"],
      }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessagesDelayed).toBe("1");
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    expect(Messages?.[0]?.Body).toBe("later");

    const tooLate = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 })),
      SQSServiceException,
    );
    expect(tooLate.name).toBe("InvalidParameterValue");
    expect(tooLate.message).toContain("DelaySeconds");

    const big = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl: local("small-queue"), MessageBody: "x".repeat(1025) })),
      SQSServiceException,
    );
    expect(big.name).toBe("InvalidParameterValue");
    expect(big.message).toContain("1024 bytes");
    // Attributes count towards the size too.
    await expectError(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: local("small-queue"),
          MessageBody: "x".repeat(1000),
          MessageAttributes: { padding: { DataType: "String", StringValue: "y".repeat(40) } },
        }),
      ),
      SQSServiceException,
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: local("small-queue"), MessageBody: "x".repeat(1024) }));

    const control = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bad \u0001 char" })),
      InvalidMessageContents,
    );
    expect(control.message).toContain("#x1");

    const attributesLimit = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]),
    );
    const tooMany = await expectError(
      sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: attributesLimit }),
      ),
      SQSServiceException,
    );
    expect(tooMany.message).toContain("exceeds the allowed maximum [10]");

    const max = await expectError(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
      SQSServiceException,
    );
    expect(max.name).toBe("InvalidParameterValue");
  });
});

describe("batches", () => {
  it("sends and deletes in batches, reporting per-entry failures", async () => {
    const url = local("plain-queue");
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "one", MessageBody: "1" },
          { Id: "two", MessageBody: "2", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
          { Id: "bad", MessageBody: "\u0000" },
        ],
      }),
    );
    expect(result.Successful?.map((entry) => entry.Id).sort()).toEqual(["one", "two"]);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: "bad", SenderFault: true, Code: "InvalidMessageContents" }),
    ]);

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(Messages?.map((message) => message.Body).sort()).toEqual(["1", "2"]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...(Messages ?? []).map((message, i) => ({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle })),
          { Id: "garbage", ReceiptHandle: "not-a-handle" },
        ],
      }),
    );
    expect(deleted.Successful?.map((entry) => entry.Id).sort()).toEqual(["m0", "m1"]);
    expect(deleted.Failed?.[0]).toMatchObject({ Id: "garbage", Code: "ReceiptHandleIsInvalid" });
    expect(await depth("plain-queue")).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  it("refuses 11 entries, repeated ids and a payload over 1 MiB", async () => {
    const url = local("plain-queue");
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));
    const tooMany = await expectError(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven })),
      TooManyEntriesInBatchRequest,
    );
    expect(tooMany.message).toContain("You have sent 11");

    await expectError(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: "same", MessageBody: "a" },
            { Id: "same", MessageBody: "b" },
          ],
        }),
      ),
      BatchEntryIdsNotDistinct,
    );

    await expectError(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: "a", MessageBody: "x".repeat(600_000) },
            { Id: "b", MessageBody: "y".repeat(600_000) },
          ],
        }),
      ),
      BatchRequestTooLong,
    );
    // Nothing of the refused batches was enqueued.
    expect((await depth("plain-queue")).ApproximateNumberOfMessages).toBe("0");
  });
});

describe("dead-letter queues", () => {
  it("moves a message to the DLQ on the receive that would exceed maxReceiveCount", async () => {
    const url = local("orders-queue");
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "poison" }));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
    }
    const fourth = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    expect(fourth.Messages).toBeUndefined();
    expect(await depth("orders-queue")).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: local("orders-dlq"), MessageSystemAttributeNames: ["All"] }),
    );
    expect(Messages?.[0]?.MessageId).toBe(sent.MessageId);
    expect(Messages?.[0]?.Body).toBe("poison");
    expect(Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(arnOf("orders-queue"));
  });

  it("does not redrive to a DLQ whose redrive allow policy refuses the source", async () => {
    const url = local("denied-queue");
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "stays" }));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      expect(Messages?.[0]?.Body).toBe("stays");
    }
    expect((await depth("denied-dlq")).ApproximateNumberOfMessages).toBe("0");
  });

  it("StartMessageMoveTask moves a DLQ's messages back to their source queue", async () => {
    const url = local("orders-queue");
    const ids: string[] = [];
    for (const body of ["first", "second"]) {
      ids.push(
        (await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }))).MessageId ?? "",
      );
    }
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
    }
    expect((await depth("orders-dlq")).ApproximateNumberOfMessages).toBe("2");

    const notDlq = await expectError(
      sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf("plain-queue") })),
      SQSServiceException,
    );
    expect(notDlq.message).toContain("Dead Letter Queue");

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: arnOf("orders-dlq"), MaxNumberOfMessagesPerSecond: 100 }),
    );
    expect(TaskHandle).toBeTruthy();
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== "COMPLETED"; i += 1) {
      const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf("orders-dlq") }));
      status = Results?.[0]?.Status;
      if (status !== "COMPLETED") await sleep(10);
    }
    const { Results } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: arnOf("orders-dlq"), MaxResults: 10 }),
    );
    expect(Results?.[0]).toMatchObject({
      Status: "COMPLETED",
      SourceArn: arnOf("orders-dlq"),
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 2,
      MaxNumberOfMessagesPerSecond: 100,
    });
    expect(await depth("orders-dlq")).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });

    // Redriven messages are new messages: new ids, receive count starting over, oldest first.
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    expect(Messages?.map((message) => message.Body)).toEqual(["first", "second"]);
    for (const message of Messages ?? []) {
      expect(ids).not.toContain(message.MessageId);
      expect(message.Attributes?.ApproximateReceiveCount).toBe("1");
    }
  });

  it("a move task fails on a message with no known source unless a DestinationArn is given", async () => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: local("orders-dlq"), MessageBody: "sent straight to the DLQ" }),
    );
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf("orders-dlq") }));
    const failed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf("orders-dlq") }));
    expect(failed.Results?.[0]).toMatchObject({
      Status: "FAILED",
      FailureReason: "CouldNotDetermineMessageSource",
    });
    expect((await depth("orders-dlq")).ApproximateNumberOfMessages).toBe("1");

    await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: arnOf("orders-dlq"),
        DestinationArn: arnOf("plain-queue"),
      }),
    );
    const done = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf("orders-dlq") }));
    expect(done.Results?.[0]).toMatchObject({ Status: "COMPLETED", DestinationArn: arnOf("plain-queue") });
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: local("plain-queue") }));
    expect(Messages?.[0]?.Body).toBe("sent straight to the DLQ");
  });
});

describe("FIFO queues", () => {
  it("keeps order within a group and holds a group while one of its messages is in flight", async () => {
    const url = local("processing.fifo");
    const sequence: string[] = [];
    for (const [group, body] of [
      ["A", "a1"],
      ["A", "a2"],
      ["B", "b1"],
      ["A", "a3"],
    ] as const) {
      const sent = await sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group }),
      );
      sequence.push(sent.SequenceNumber ?? "");
    }
    expect(sequence.every((value) => /^\d{20}$/.test(value))).toBe(true);
    expect([...sequence].sort()).toEqual(sequence);

    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    expect(first.Messages?.map((message) => message.Body)).toEqual(["a1"]);
    // Group A is held while a1 is in flight: only B comes out.
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(second.Messages?.map((message) => message.Body)).toEqual(["b1"]);
    expect(
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages,
    ).toBeUndefined();

    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    const rest = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    expect(rest.Messages?.map((message) => message.Body)).toEqual(["a2", "a3"]);
    expect(rest.Messages?.[0]?.Attributes).toMatchObject({
      MessageGroupId: "A",
      SequenceNumber: sequence[1],
    });
    expect(rest.Messages?.[0]?.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("deduplicates within the window (content-based and explicit, per message group) and validates FIFO sends", async () => {
    const url = local("processing.fifo");
    const one = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "G" }),
    );
    const two = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "G" }),
    );
    expect(two.MessageId).toBe(one.MessageId);
    expect(two.SequenceNumber).toBe(one.SequenceNumber);
    // deduplicationScope messageGroup: the same content in another group is another message.
    const other = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "H" }),
    );
    expect(other.MessageId).not.toBe(one.MessageId);
    const explicit1 = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "x1",
        MessageGroupId: "G",
        MessageDeduplicationId: "d-1",
      }),
    );
    const explicit2 = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "x2",
        MessageGroupId: "G",
        MessageDeduplicationId: "d-1",
      }),
    );
    // Same id as the first; the body digest is the one of what was sent (the SDK checks it).
    expect(explicit2.MessageId).toBe(explicit1.MessageId);
    expect(explicit2.MD5OfMessageBody).toBe(md5("x2"));
    expect((await depth("processing.fifo")).ApproximateNumberOfMessages).toBe("3");

    const noGroup = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })),
      SQSServiceException,
    );
    expect(noGroup.name).toBe("MissingParameter");
    expect(noGroup.message).toContain("MessageGroupId");
    const delayed = await expectError(
      sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "G", DelaySeconds: 5 }),
      ),
      SQSServiceException,
    );
    expect(delayed.name).toBe("InvalidParameterValue");
    const dedupOnStandard = await expectError(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: local("plain-queue"),
          MessageBody: "x",
          MessageDeduplicationId: "d",
        }),
      ),
      SQSServiceException,
    );
    expect(dedupOnStandard.name).toBe("InvalidParameterValue");
  });

  it("accepts a duplicate again once the 5-minute deduplication window has passed", async () => {
    // One SQS second = 1 ms here: the 300 s window lasts 300 ms.
    const fast = await Engine.listen({ emulators: { sqs: (ctx) => createSqs(ctx, { msPerSecond: 1 }) } });
    try {
      await fast.provision([queue("window.fifo", { fifoQueue: true, contentBasedDeduplication: true })]);
      const client = clientFor(fast.endpoint);
      const url = `${fast.endpoint}/${ACCOUNT}/window.fifo`;
      const one = await client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "again", MessageGroupId: "G" }),
      );
      const duplicate = await client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "again", MessageGroupId: "G" }),
      );
      expect(duplicate.MessageId).toBe(one.MessageId);
      await sleep(350);
      const later = await client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "again", MessageGroupId: "G" }),
      );
      expect(later.MessageId).not.toBe(one.MessageId);
      client.destroy();
    } finally {
      await fast.close();
    }
  });

  it("redrives a FIFO message to its FIFO DLQ with the original message id as deduplication id", async () => {
    const url = local("processing.fifo");
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "stuck", MessageGroupId: "Z" }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "next", MessageGroupId: "Z" }));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      expect(Messages?.[0]?.Body).toBe("stuck");
    }
    // The 4th receive moves "stuck" away, which unblocks the group: "next" comes out.
    const fourth = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(fourth.Messages?.[0]?.Body).toBe("next");
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: local("processing-dlq.fifo"),
        MessageSystemAttributeNames: ["All"],
      }),
    );
    expect(Messages?.[0]?.Body).toBe("stuck");
    expect(Messages?.[0]?.Attributes).toMatchObject({
      MessageGroupId: "Z",
      MessageDeduplicationId: sent.MessageId,
      DeadLetterQueueSourceArn: arnOf("processing.fifo"),
    });
  });
});

describe("PurgeQueue and the engine API", () => {
  it("purges in-flight and visible messages, once per cooldown like AWS", async () => {
    const other = await Engine.listen({
      emulators: { sqs: (ctx) => createSqs(ctx, { msPerSecond: MS_PER_SECOND }) },
    });
    try {
      await other.provision([queue("purged")]);
      const client = clientFor(other.endpoint);
      const url = `${other.endpoint}/${ACCOUNT}/purged`;
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "in flight" }));
      await client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "visible" }));
      await client.send(new PurgeQueueCommand({ QueueUrl: url }));
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
      );
      expect(Attributes).toMatchObject({
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
      });
      const again = await expectError(
        client.send(new PurgeQueueCommand({ QueueUrl: url })),
        SQSServiceException,
      );
      expect(again.name).toBe("PurgeQueueInProgress");
      client.destroy();
    } finally {
      await other.close();
    }
  });

  it("applies the wire rules to internal senders, long-polls with an AbortSignal, and reports depth", async () => {
    const api = engine.emulator("sqs") as unknown as SqsEngine;
    expect(api.hasQueue(arnOf("orders-queue"))).toBe(true);
    expect(api.hasQueue(arnOf("nope"))).toBe(false);
    expect(api.queueUrl(arnOf("orders-queue"))).toBe(local("orders-queue"));
    expect(api.list().find((entry) => entry.name === "processing.fifo")).toEqual({
      arn: arnOf("processing.fifo"),
      url: local("processing.fifo"),
      name: "processing.fifo",
      fifo: true,
    });

    expect(() => api.send(arnOf("small-queue"), { body: "x".repeat(2000) })).toThrow(LocalServiceError);
    expect(() => api.send(arnOf("processing.fifo"), { body: "no group" })).toThrow(/MessageGroupId/);
    let unknown: unknown;
    try {
      api.send(arnOf("nope"), { body: "x" });
    } catch (error) {
      unknown = error;
    }
    expect(unknown).toBeInstanceOf(LocalServiceError);
    expect((unknown as LocalServiceError).code).toBe("QueueDoesNotExist");

    const controller = new AbortController();
    const polling = api.receive(arnOf("orders-queue"), {
      maxMessages: 10,
      waitSeconds: 20,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    expect(await polling).toEqual([]);

    const { messageId } = api.send(arnOf("orders-queue"), {
      body: "from SNS",
      senderId: "arn:aws:sns:us-east-1:123456789012:topic",
      messageAttributes: { k: { DataType: "String", StringValue: "v" } },
    });
    expect(api.depth(arnOf("orders-queue"))).toMatchObject({ visible: 1, inFlight: 0, delayed: 0 });
    const [record] = await api.receive(arnOf("orders-queue"), { maxMessages: 10, waitSeconds: 0 });
    expect(record).toMatchObject({
      messageId,
      body: "from SNS",
      md5OfBody: md5("from SNS"),
      messageAttributes: { k: { DataType: "String", StringValue: "v" } },
    });
    expect(record?.attributes).toMatchObject({
      ApproximateReceiveCount: "1",
      SenderId: "arn:aws:sns:us-east-1:123456789012:topic",
    });
    expect(api.depth(arnOf("orders-queue"))).toMatchObject({ visible: 0, inFlight: 1 });
    expect(api.changeVisibility(arnOf("orders-queue"), record?.receiptHandle ?? "", 0)).toBe(true);
    const [again] = await api.receive(arnOf("orders-queue"), { maxMessages: 1, waitSeconds: 0 });
    expect(api.deleteMessage(arnOf("orders-queue"), record?.receiptHandle ?? "")).toBe(false);
    expect(api.deleteMessage(arnOf("orders-queue"), again?.receiptHandle ?? "")).toBe(true);
    expect(api.depth(arnOf("orders-queue"))).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it("serves the admin views: queues with depth and DLQ, and a peek at messages", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: local("orders-queue"), MessageBody: "peek" }));
    const queues = (await (await fetch(`${engine.endpoint}/_local/sqs/queues`)).json()) as Array<
      Record<string, unknown>
    >;
    expect(queues.find((entry) => entry.name === "orders-queue")).toMatchObject({
      arn: arnOf("orders-queue"),
      url: local("orders-queue"),
      fifo: false,
      dlqArn: arnOf("orders-dlq"),
      maxReceiveCount: 3,
      depth: { visible: 1, inFlight: 0, delayed: 0 },
    });
    const messages = (await (
      await fetch(`${engine.endpoint}/_local/sqs/messages?queue=orders-queue`)
    ).json()) as Array<Record<string, unknown>>;
    expect(messages).toEqual([expect.objectContaining({ body: "peek", receiveCount: 0, state: "visible" })]);
    // Peeking did not receive it.
    expect((await depth("orders-queue")).ApproximateNumberOfMessages).toBe("1");
    const missing = await fetch(`${engine.endpoint}/_local/sqs/messages?queue=nope`);
    expect(missing.status).toBe(404);
  });
});
