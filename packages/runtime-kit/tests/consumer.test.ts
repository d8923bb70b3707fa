import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { lambdaContext, sqsEvent, sqsRecord } from "@switchyard/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { EnvironmentError, envSchemas, PermanentError, sqsConsumer, TransientError } from "../src/index";

const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq";
const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: "us-east-1" });
const env = { TABLE_NAME: "orders", DLQ_URL, POWERTOOLS_METRICS_DISABLED: "true" };

afterEach(() => {
  sqs.reset();
});

describe("sqsConsumer", () => {
  it("parses the handler's variables plus DLQ_URL once", () => {
    // Act
    const consumer = sqsConsumer({ TABLE_NAME: envSchemas.string }, client, { env });

    // Assess
    expect(consumer.env).toEqual({ TABLE_NAME: "orders", DLQ_URL });
  });

  it("fails the cold start naming every missing or bad variable, DLQ_URL included", () => {
    expect(() =>
      sqsConsumer({ TABLE_NAME: envSchemas.string }, client, { env: { DLQ_URL: "not a url" } }),
    ).toThrow(EnvironmentError);
    expect(() =>
      sqsConsumer({ TABLE_NAME: z.string().min(1) }, client, { env: { DLQ_URL: "not a url" } }),
    ).toThrow(/TABLE_NAME[\s\S]*DLQ_URL|DLQ_URL[\s\S]*TABLE_NAME/);
  });

  it("runs processSqsBatch: permanent failures go to the DLQ, transient ones are reported for retry", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    const { handler } = sqsConsumer({ TABLE_NAME: envSchemas.string }, client, { env });
    const consume = handler(async (record) => {
      if (record.body === "bad") throw new PermanentError("body: bad");
      if (record.body === "later") throw new TransientError("table busy");
    });
    const event = sqsEvent([
      sqsRecord({ body: "ok", messageId: "m-ok" }),
      sqsRecord({ body: "bad", messageId: "m-bad" }),
      sqsRecord({ body: "later", messageId: "m-later" }),
    ]);

    // Act
    const response = await consume(event, lambdaContext(), () => undefined);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-later" }] });
    const sent = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ QueueUrl: DLQ_URL, MessageBody: "bad" });
  });
});
