import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DEAD_LETTER_ATTRIBUTES, sqsDeadLetter } from "@switchyard/runtime-kit";
import { lambdaContext, snsToSqsRecord, sqsEvent } from "@switchyard/testing";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SmsProvider } from "../src/adapters/provider";
import { sqsRequeue } from "../src/adapters/requeue";
import type { SendOutcome } from "../src/domain/outcome";
import { PartsPacer } from "../src/domain/pacer";
import type { SmsRequest } from "../src/domain/request";
import { createSender } from "../src/sender";

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-de-verification-queue";
const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-de-verification-dlq";
const DE = "+4915112345678";

const sqs = mockClient(SQSClient);

/** A provider that answers from a script and records when each message went. */
function scriptedProvider(answer: (request: SmsRequest) => SendOutcome) {
  const calls: { at: number; request: SmsRequest }[] = [];
  const provider: SmsProvider = {
    name: "endUserMessaging",
    maxRecipientsPerCall: 1,
    async send(messages) {
      for (const request of messages) calls.push({ at: Date.now(), request });
      return messages.map(answer);
    },
  };
  return { provider, calls };
}

const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

function sender(
  answer: (request: SmsRequest) => SendOutcome,
  options: { share?: number; maxAttempts?: number } = {},
) {
  const { provider, calls } = scriptedProvider(answer);
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const client = new SQSClient({ region: "us-east-1" });
  const handler = createSender({
    provider,
    pacer: new PartsPacer(options.share ?? 5),
    requeue: sqsRequeue(client, QUEUE_URL),
    deadLetter: sqsDeadLetter(client, DLQ_URL),
    logger,
    metrics,
    maxPartsPerMessage: 3,
    maxAttempts: options.maxAttempts ?? 3,
    backoffBaseSeconds: 10,
    random: () => 0.5,
  });
  return { handler, calls, metrics };
}

const smsRecord = (
  body: unknown,
  attributes: Record<string, string | number> = { country: "DE", useCase: "VERIFICATION" },
  raw = true,
): SQSRecord => snsToSqsRecord({ raw, message: body, messageAttributes: attributes });

async function run(
  handler: ReturnType<typeof sender>["handler"],
  records: SQSRecord[],
  remainingTimeMs = 60_000,
) {
  const result = handler(sqsEvent(records), lambdaContext({ remainingTimeMs }));
  await vi.runAllTimersAsync();
  return result;
}

const sends = (url: string) =>
  sqs
    .commandCalls(SendMessageCommand)
    .filter((c) => c.args[0].input.QueueUrl === url)
    .map((c) => c.args[0].input);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "copy-1" });
  for (const fn of Object.values(logger)) fn.mockClear();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("sender outcomes", () => {
  it.each([true, false])("sends a valid request (raw delivery %s) and counts its parts", async (raw) => {
    // Prepare
    const { handler, calls, metrics } = sender(() => ({ kind: "sent", messageId: "p-1" }));

    // Act
    const result = await run(handler, [
      smsRecord({ phoneNumber: DE, text: "a".repeat(200) }, undefined, raw),
    ]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.request.phoneNumber)).toEqual([DE]);
    expect(metrics.addMetric).toHaveBeenCalledWith("PartsSent", "Count", 2);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it.each([
    ["an invalid number", { phoneNumber: "+49123", text: "x" }, "SMS request is invalid: phoneNumber"],
    ["a body that is not JSON", "not json", "body: expected a JSON object"],
    [
      "a number of another country",
      { phoneNumber: "+33612345678", text: "x" },
      "expected a number of country DE",
    ],
  ])(
    "dead-letters %s at once, with the reason, without calling the provider",
    async (_name, body, reason) => {
      // Prepare
      const { handler, calls } = sender(() => ({ kind: "sent" }));

      // Act
      const result = await run(handler, [smsRecord(body)]);

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(calls).toHaveLength(0);
      const [dead] = sends(DLQ_URL);
      expect(dead?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toContain(reason);
    },
  );

  it("dead-letters a provider's permanent refusal with its reason", async () => {
    // Prepare
    const { handler } = sender(() => ({
      kind: "permanent",
      reason: "ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT)",
    }));

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "x" })]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(sends(DLQ_URL)[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
      "SMS refused by endUserMessaging: ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT)",
    );
    expect(sends(QUEUE_URL)).toHaveLength(0);
  });

  it.each([
    ["throttled", "MessagesThrottled"],
    ["transient", "MessagesRetried"],
  ] as const)(
    "re-enqueues a %s message as a delayed copy and reports the original done",
    async (kind, metric) => {
      // Prepare
      const { handler, metrics } = sender(() => ({ kind, reason: "ThrottlingException" }));
      const record = smsRecord(
        { phoneNumber: DE, text: "x" },
        { country: "DE", useCase: "VERIFICATION", "sms.attempt": 1 },
      );

      // Act
      const result = await run(handler, [record]);

      // Assess: deleting the original and sending a copy restarts the receive count, so no DLQ.
      expect(result.batchItemFailures).toEqual([]);
      expect(sends(DLQ_URL)).toHaveLength(0);
      expect(sends(QUEUE_URL)).toEqual([
        {
          QueueUrl: QUEUE_URL,
          MessageBody: record.body,
          DelaySeconds: 15, // attempt 2: base 10 x 2 = 20, equal jitter at 0.5 -> 15
          MessageAttributes: {
            country: { DataType: "String", StringValue: "DE" },
            useCase: { DataType: "String", StringValue: "VERIFICATION" },
            "sms.attempt": { DataType: "Number", StringValue: "2" },
          },
        },
      ]);
      expect(metrics.addMetric).toHaveBeenCalledWith(metric, "Count", 1);
    },
  );

  it("a throttling storm never dead-letters good messages before maxAttempts", async () => {
    // Prepare
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }), { maxAttempts: 3 });
    const records = [0, 1, 2].map((attempt) =>
      smsRecord({ phoneNumber: DE, text: "x" }, { country: "DE", useCase: "OFFER", "sms.attempt": attempt }),
    );

    // Act
    const result = await run(handler, records);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(sends(DLQ_URL)).toHaveLength(0);
    expect(sends(QUEUE_URL).map((s) => s.MessageAttributes?.["sms.attempt"]?.StringValue)).toEqual([
      "1",
      "2",
      "3",
    ]);
  });

  it("dead-letters a message after maxAttempts re-enqueues, with the last reason", async () => {
    // Prepare
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }), { maxAttempts: 3 });

    // Act
    await run(handler, [
      smsRecord({ phoneNumber: DE, text: "x" }, { country: "DE", useCase: "OFFER", "sms.attempt": 3 }),
    ]);

    // Assess
    expect(sends(DLQ_URL)[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
      "SMS not sent after 3 re-enqueues: THROTTLED",
    );
  });

  it("reports the record failed when the copy cannot be re-enqueued (nothing is lost)", async () => {
    // Prepare
    sqs.on(SendMessageCommand, { QueueUrl: QUEUE_URL }).rejects(new Error("SQS down"));
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }));
    const record = smsRecord({ phoneNumber: DE, text: "x" });

    // Act
    const result = await run(handler, [record]);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it("defers, without counting an attempt, what cannot be sent before the invocation ends", async () => {
    // Prepare: share 1 part/s, 4 s left of which 3 s are reserved: only the first two messages fit.
    const { handler, calls } = sender(() => ({ kind: "sent" }), { share: 1 });
    const records = [0, 1, 2, 3].map(() =>
      smsRecord({ phoneNumber: DE, text: "x" }, { country: "DE", useCase: "OFFER" }),
    );

    // Act
    const result = await run(handler, records, 4_000);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.at)).toEqual([0, 1000]);
    expect(
      sends(QUEUE_URL).map((s) => [s.DelaySeconds, s.MessageAttributes?.["sms.attempt"]?.StringValue]),
    ).toEqual([
      [0, "0"],
      [0, "0"],
    ]);
  });

  it("never logs the phone number", async () => {
    // Prepare
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }));

    // Act
    await run(handler, [smsRecord({ phoneNumber: DE, text: "x" })]);

    // Assess
    const logged = JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
    expect(logged).toContain("+49*******5678");
    expect(logged).not.toContain("15112345678");
  });
});

describe("sender pacing", () => {
  it("spreads a batch over its share and holds the slot until its last window has passed", async () => {
    // Prepare: 10 one-part messages at a share of 5 parts/s.
    const { handler, calls } = sender(() => ({ kind: "sent" }), { share: 5 });
    const records = Array.from({ length: 10 }, () => smsRecord({ phoneNumber: DE, text: "x" }));

    // Act
    const done = handler(sqsEvent(records), lambdaContext({ remainingTimeMs: 60_000 }));
    let finishedAt = -1;
    void done.then(() => {
      finishedAt = Date.now();
    });
    await vi.runAllTimersAsync();
    await done;

    // Assess
    expect(calls.map((c) => c.at)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
    expect(finishedAt).toBe(2800);
  });
});
