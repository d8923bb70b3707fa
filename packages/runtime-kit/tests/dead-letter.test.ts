import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { sqsRecord } from "@switchyard/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEAD_LETTER_ATTRIBUTES, sqsDeadLetter } from "../src/index";

const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq";
const FIFO_DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq.fifo";
const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: "us-east-1" });

afterEach(() => {
  sqs.reset();
});

describe("sqsDeadLetter", () => {
  it("sends the original body with the failure in message attributes", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    const record = sqsRecord({
      body: '{"orderId":"o-1"}',
      messageId: "m-1",
      messageAttributes: { tenant: "acme" },
    });

    // Act
    await sqsDeadLetter(client, DLQ_URL).send(record, "body.orderId: bad", { source: "orders-consumer" });

    // Assess
    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      QueueUrl: DLQ_URL,
      MessageBody: '{"orderId":"o-1"}',
      MessageAttributes: {
        tenant: { DataType: "String", StringValue: "acme" },
        [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: "String", StringValue: "body.orderId: bad" },
        [DEAD_LETTER_ATTRIBUTES.source]: { DataType: "String", StringValue: "orders-consumer" },
        [DEAD_LETTER_ATTRIBUTES.queue]: { DataType: "String", StringValue: record.eventSourceARN },
        [DEAD_LETTER_ATTRIBUTES.messageId]: { DataType: "String", StringValue: "m-1" },
      },
    });
  });

  it("keeps the message group and deduplicates by message id on a FIFO DLQ", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});
    const record = sqsRecord({ body: "x", messageId: "m-2", messageGroupId: "customer-7" });

    // Act
    await sqsDeadLetter(client, FIFO_DLQ_URL).send(record, "bad");

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ MessageGroupId: "customer-7", MessageDeduplicationId: "m-2" });
  });

  it("keeps at most 10 attributes, its own first, and copies binary attributes as bytes", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});
    const original = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`a${i}`, `v${i}`]));
    const record = sqsRecord({
      body: "x",
      messageAttributes: {
        bin: { dataType: "Binary", binaryValue: Buffer.from("hi").toString("base64") },
        ...original,
      },
    });

    // Act
    await sqsDeadLetter(client, DLQ_URL).send(record, "bad");

    // Assess
    const attributes = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes ?? {};
    expect(Object.keys(attributes)).toHaveLength(10);
    const { body: _onlyWhenCut, ...always } = DEAD_LETTER_ATTRIBUTES;
    expect(Object.keys(attributes)).toEqual(expect.arrayContaining(Object.values(always)));
    expect(Buffer.from(attributes.bin?.BinaryValue ?? []).toString()).toBe("hi");
  });

  it("cuts a very long reason", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});

    // Act
    await sqsDeadLetter(client, DLQ_URL).send(sqsRecord({ body: "x" }), "r".repeat(5000));

    // Assess
    const attributes = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes ?? {};
    expect(attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toHaveLength(1024);
  });

  it.each([
    { case: "at the SQS maximum", body: "x".repeat(1_048_576), max: 1_048_576, options: {} },
    {
      case: "over the queue's configured maximum",
      body: "é".repeat(131_072),
      max: 262_144,
      options: { maxMessageBytes: 262_144 },
    },
  ])("sends a body $case cut to fit, with its reason and what was cut", async ({ body, max, options }) => {
    // Prepare
    const record = sqsRecord({ body, messageId: "m-big" });

    // Act
    await sqsDeadLetter(client, DLQ_URL, options).send(record, "r".repeat(5000));

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    const attributes = input?.MessageAttributes ?? {};
    expect(attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(/^r{255}…$/);
    expect(attributes[DEAD_LETTER_ATTRIBUTES.body]?.StringValue).toMatch(
      new RegExp(
        `^truncated: kept the first \\d+ of ${Buffer.byteLength(body)} bytes; sha256 of the original [0-9a-f]{64}$`,
      ),
    );
    let size = Buffer.byteLength(input?.MessageBody ?? "");
    for (const [name, value] of Object.entries(attributes)) {
      size +=
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType ?? "") +
        Buffer.byteLength(value.StringValue ?? "");
    }
    expect(size).toBeLessThanOrEqual(max);
    expect(size).toBeGreaterThan(max - 4);
    expect(body.startsWith(input?.MessageBody ?? "?")).toBe(true);
    expect(input?.MessageBody).not.toContain("\uFFFD");
  });

  it("keeps the body whole and drops the original attributes first when that is enough", async () => {
    // Prepare: the body fits with our attributes but not with the original ones.
    const body = "x".repeat(1_048_576 - 1_000);
    const record = sqsRecord({
      body,
      messageId: "m-near",
      messageAttributes: { big: "y".repeat(1_500) },
    });

    // Act
    await sqsDeadLetter(client, DLQ_URL).send(record, "bad");

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.MessageBody).toBe(body);
    expect(input?.MessageAttributes?.big).toBeUndefined();
    expect(input?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe("bad");
  });

  it("parks a body that does not fit through parkBody and sends the reference", async () => {
    // Prepare
    const record = sqsRecord({ body: "z".repeat(1_048_576), messageId: "m-park" });
    const parkBody = vi.fn(async () => "s3://dead-letters/m-park");

    // Act
    await sqsDeadLetter(client, DLQ_URL, { parkBody }).send(record, "bad");

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(parkBody).toHaveBeenCalledWith(record);
    expect(JSON.parse(input?.MessageBody ?? "{}")).toMatchObject({
      parkedBody: "s3://dead-letters/m-park",
      bytes: 1_048_576,
    });
    expect(input?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe("bad");
  });

  it("wraps a failed send in a DeadLetterError", async () => {
    // Prepare
    const cause = Object.assign(new Error("slow down"), { name: "RequestThrottled" });
    sqs.on(SendMessageCommand).rejects(cause);

    // Act
    const sending = sqsDeadLetter(client, DLQ_URL).send(sqsRecord({ body: "x", messageId: "m-3" }), "bad");

    // Assess
    await expect(sending).rejects.toMatchObject({
      name: "DeadLetterError",
      message: "Could not send SQS message m-3 to the dead-letter queue",
    });
  });
});
