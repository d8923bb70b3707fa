import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  ThrottlingException,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { lambdaContext, snsToSqsRecord, sqsEvent } from "@switchyard/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ORIGINATION_ARN } from "./fixtures";

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-throttle-de-bulk-queue";
const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-throttle-de-bulk-dlq";

const sms = mockClient(PinpointSMSVoiceV2Client);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBClient);
let handler: typeof import("../src/handlers/sender")["handler"];

beforeAll(async () => {
  for (const [key, value] of Object.entries({
    AWS_REGION: "us-east-1",
    SMS_PROVIDER: "endUserMessaging",
    SMS_ORIGINATION_IDENTITY: ORIGINATION_ARN,
    BUDGET_PARTS_PER_SECOND: "4",
    LIMITER_WINDOW_MS: "1025",
    MAX_PARTS_PER_MESSAGE: "3",
    MAX_ATTEMPTS: "5",
    BACKOFF_BASE_SECONDS: "5",
    SMS_LANE: "de-bulk",
    QUEUE_URL,
    DLQ_URL,
    SMS_STATE_TABLE: "sms-throttle-state",
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  })) {
    vi.stubEnv(key, value);
  }
  ({ handler } = await import("../src/handlers/sender"));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe("handlers/sender.ts wired from its environment", () => {
  it("sends through End User Messaging, re-enqueues a throttled message on QUEUE_URL and dead-letters an invalid one to DLQ_URL", async () => {
    // Prepare
    sms
      .on(SendTextMessageCommand, { DestinationPhoneNumber: "+4915112345678" })
      .resolves({ MessageId: "m-1" })
      .on(SendTextMessageCommand, { DestinationPhoneNumber: "+4915112345679" })
      .rejects(new ThrottlingException({ message: "slow", $metadata: {} }));
    sqs.on(SendMessageCommand).resolves({ MessageId: "x" });
    ddb.on(PutItemCommand).resolves({});
    ddb.on(GetItemCommand).resolves({});
    const attributes = { country: "DE", useCase: "REMINDER" };
    const event = sqsEvent([
      snsToSqsRecord({
        raw: true,
        message: { phoneNumber: "+4915112345678", text: "ok" },
        messageAttributes: attributes,
      }),
      snsToSqsRecord({
        raw: true,
        message: { phoneNumber: "+4915112345679", text: "later" },
        messageAttributes: attributes,
      }),
      snsToSqsRecord({
        raw: true,
        message: { phoneNumber: "+33612345678", text: "wrong country" },
        messageAttributes: attributes,
      }),
    ]);

    // Act
    vi.useFakeTimers({ now: 0 });
    const running = handler(event, lambdaContext({ remainingTimeMs: 60_000 }), () => undefined);
    await vi.runAllTimersAsync();
    const result = await running;
    vi.useRealTimers();

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sms.commandCalls(SendTextMessageCommand)[0]?.args[0].input.OriginationIdentity).toBe(
      ORIGINATION_ARN,
    );
    // Records run in parallel: the invalid one is dead-lettered at once, the throttled one re-enqueued later.
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([
      DLQ_URL,
      QUEUE_URL,
    ]);
    // The throttled message's re-enqueue count went to SMS_STATE_TABLE, under this lane's key.
    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts.every((p) => p.TableName === "sms-throttle-state")).toBe(true);
    // Reservations on the lane's limiter (the cold container's first message alone, then the rest), then the
    // throttled message's retry count.
    const keys = puts.map((p) => String(p.Item?.pk?.S).replace(/[0-9a-f-]{36}$/, "<token>"));
    expect(new Set(keys)).toEqual(new Set(["limiter#de-bulk", "retry#de-bulk#<token>"]));
    expect(keys.at(-1)).toBe("retry#de-bulk#<token>");
  });
});
