import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../src/clients";
import type { QueueInfo, Topology } from "../src/discover";
import { redrive } from "../src/redrive";

// The redrive's guarantees at the API level: a dead letter is deleted only after its copy was accepted, what
// is not moved is released (made visible) again, a dry run sends and deletes nothing.
const sqs = mockClient(SQSClient);
const clients = createClients({ mode: "aws", region: "us-east-1", outputs: {} });

const arn = (name: string) => `arn:aws:sqs:us-east-1:123456789012:${name}`;
const queue = (name: string, dlq?: string): QueueInfo => ({
  name,
  logicalName: name,
  url: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`,
  arn: arn(name),
  fifo: false,
  ...(dlq ? { redrive: { deadLetterTargetArn: arn(dlq), maxReceiveCount: 5 } } : {}),
  visible: 3,
  inFlight: 0,
  delayed: 0,
  oldestAgeSeconds: null,
});
const source = queue("work-queue", "work-dlq");
const dlq = queue("work-dlq");
const topology: Topology = { queues: [source, dlq], topics: [], rules: [], functions: [] };

const letter = (id: string, body: string): Message => ({
  MessageId: id,
  ReceiptHandle: `handle-${id}`,
  Body: body,
  MessageAttributes: {
    "switchyard.failure.reason": { DataType: "String", StringValue: "boom" },
    "switchyard.failure.queue": { DataType: "String", StringValue: arn("work-queue") },
  },
});

beforeEach(() => {
  sqs.reset();
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [letter("m1", "one"), letter("m2", "two"), letter("m3", "three")] })
    .resolves({ Messages: [] });
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
});

const released = () =>
  sqs
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
const deleted = () => sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle);

describe("redrive", () => {
  it("deletes a dead letter only after its copy was accepted; a failed copy stays in the DLQ", async () => {
    sqs
      .on(SendMessageCommand)
      .resolves({ MessageId: "copy" })
      .on(SendMessageCommand, { MessageBody: "two" })
      .rejects(new Error("KMS.AccessDeniedException"));
    const result = await redrive(clients, topology, dlq, { rate: 1000 });
    expect(result).toMatchObject({ moved: 2, failed: 1, skipped: 0 });
    expect(result.messages.find((m) => m.messageId === "m2")).toMatchObject({
      outcome: "failed",
      detail: "KMS.AccessDeniedException",
    });
    expect(deleted()).toEqual(["handle-m1", "handle-m3"]);
    expect(released()).toEqual(["handle-m2"]);
    // Sent to the source queue, unchanged, without the failure attributes.
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((s) => [s.QueueUrl, s.MessageBody, s.MessageAttributes])).toEqual([
      [source.url, "one", undefined],
      [source.url, "two", undefined],
      [source.url, "three", undefined],
    ]);
  });

  it("sends and deletes nothing on a dry run, and releases what it read", async () => {
    const result = await redrive(clients, topology, dlq, { dryRun: true });
    expect(result.messages.map((m) => m.outcome)).toEqual(["would-move", "would-move", "would-move"]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(deleted()).toEqual([]);
    expect(released()).toEqual(["handle-m1", "handle-m2", "handle-m3"]);
  });

  it("moves only the selected messages and leaves the others untouched", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "copy" });
    const result = await redrive(clients, topology, dlq, { messageIds: ["m3"] });
    expect(result.moved).toBe(1);
    expect(deleted()).toEqual(["handle-m3"]);
    expect(released()).toEqual(["handle-m1", "handle-m2"]);
  });

  it("stops between messages when aborted: what is done stays done, the rest stays in the DLQ", async () => {
    const controller = new AbortController();
    sqs.on(SendMessageCommand).callsFake(async () => {
      controller.abort();
      return { MessageId: "copy" };
    });
    const result = await redrive(clients, topology, dlq, { signal: controller.signal });
    expect(result.moved).toBe(1);
    expect(deleted()).toEqual(["handle-m1"]);
    expect(released()).toEqual(["handle-m2", "handle-m3"]);
  });

  it("refuses a rate it cannot keep", async () => {
    await expect(redrive(clients, topology, dlq, { rate: 0 })).rejects.toThrow(
      "--rate must be a number above 0 and at most 1000 (got 0)",
    );
  });
});
