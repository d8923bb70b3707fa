import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { eventBridgeSqsRecord } from "@switchyard/testing";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";

/**
 * The shared setup of the notifications handler tests (sender, churn, hostile input, WebSocket routes): the
 * environment the component gives the functions, the mocked SDK clients, and a Send User Notification record as
 * the send rule delivers it to the sender's queue.
 */

/** The functions' environment as the component sets it (test values). */
export const HANDLER_ENV = {
  AWS_REGION: "us-east-1",
  TABLE_NAME: "notifications-table",
  CONNECTIONS_ENDPOINT: "https://abc123.execute-api.us-east-1.amazonaws.com/test",
  DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/notifications-sends-dlq",
  INBOX_RETENTION_DAYS: "30",
  CONNECTION_TTL_SECONDS: "9000",
  POWERTOOLS_METRICS_DISABLED: "true",
} as const;

/** Sets the functions' environment (plus `extra`); call before importing a handler (`await import(...)`). */
export function handlerEnv(extra: Record<string, string> = {}): void {
  Object.assign(process.env, HANDLER_ENV, extra);
}

/** The SDK clients the handlers use, mocked; `reset()` clears them and lets the DLQ accept every message. */
export function awsMocks() {
  const mocks = {
    ddb: mockClient(DynamoDBDocumentClient),
    api: mockClient(ApiGatewayManagementApiClient),
    sqs: mockClient(SQSClient),
    reset(): void {
      mocks.ddb.reset();
      mocks.api.reset();
      mocks.sqs.reset();
      mocks.sqs.on(SendMessageCommand).resolves({ MessageId: "dlq" });
    },
  };
  return mocks;
}

/** A Send User Notification event from `switchyard.orders`, in its SQS record (EventBridge -> sender queue). */
export function notificationRecord(
  detail: unknown,
  options: { id?: string; messageId?: string; time?: string } = {},
): SQSRecord {
  const id = options.id ?? "evt-1";
  return eventBridgeSqsRecord(
    {
      source: "switchyard.orders",
      detailType: SEND_USER_NOTIFICATION,
      detail,
      id,
      ...(options.time ? { time: options.time } : {}),
    },
    { messageId: options.messageId ?? `m-${id}` },
  );
}

/** messageId -> reason of every record the handler dead-lettered (the DLQ messages it sent). */
export function deadLetterReasons(
  sqs: ReturnType<typeof awsMocks>["sqs"],
): Record<string, string | undefined> {
  return Object.fromEntries(
    sqs.commandCalls(SendMessageCommand).map((call) => {
      const attributes = call.args[0].input.MessageAttributes ?? {};
      return [
        attributes["switchyard.failure.messageId"]?.StringValue,
        attributes["switchyard.failure.reason"]?.StringValue,
      ];
    }),
  );
}
