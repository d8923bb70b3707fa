import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { OrderEvent } from "@switchyard/contracts";
import { snsToSqsRecord } from "@switchyard/testing";
import { mockClient } from "aws-sdk-client-mock";

export const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-test-dlq";

/** The environment every handler reads at module scope; set before the handler is imported. */
export function handlerEnv(extra: Record<string, string>): void {
  Object.assign(process.env, {
    DLQ_URL,
    AWS_REGION: "us-east-1",
    POWERTOOLS_METRICS_NAMESPACE: "Test",
    POWERTOOLS_SERVICE_NAME: "orders-test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ...extra,
  });
}

export const dynamo = mockClient(DynamoDBDocumentClient);
export const sqs = mockClient(SQSClient);

/** What the handler dead-lettered: one reason per message id. */
export function deadLettered(): Record<string, string> {
  return Object.fromEntries(
    sqs.commandCalls(SendMessageCommand).map((call) => {
      const attributes = call.args[0].input.MessageAttributes ?? {};
      return [
        attributes["switchyard.failure.messageId"]?.StringValue ?? "",
        attributes["switchyard.failure.reason"]?.StringValue ?? "",
      ];
    }),
  );
}

export function acceptDeadLetters(): void {
  sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
}

/**
 * A DynamoDB table that honours what applyOnce relies on: the marker Put is refused when the marker exists
 * (the whole transaction is cancelled), and `ADD a :x, b :y` updates add atomically.
 */
export function fakeTable(
  options: { failWhen?: (input: TransactWriteCommandInput) => Error | undefined } = {},
) {
  const items = new Map<string, Record<string, unknown>>();
  const keyOf = (key: Record<string, unknown>) => `${String(key.pk)}|${String(key.sk)}`;
  dynamo.on(TransactWriteCommand).callsFake(async (input: TransactWriteCommandInput) => {
    const failure = options.failWhen?.(input);
    if (failure) throw failure;
    const [first, ...rest] = input.TransactItems ?? [];
    const marker = first?.Put?.Item ?? {};
    if (items.has(keyOf(marker))) {
      throw Object.assign(new Error("Transaction cancelled"), {
        name: "TransactionCanceledException",
        CancellationReasons: [{ Code: "ConditionalCheckFailed" }, ...rest.map(() => ({ Code: "None" }))],
      });
    }
    items.set(keyOf(marker), { ...marker });
    for (const item of rest) {
      const update = item.Update;
      if (!update) continue;
      const current = items.get(keyOf(update.Key ?? {})) ?? { ...update.Key };
      for (const clause of (update.UpdateExpression ?? "").replace(/^ADD /, "").split(", ")) {
        const [attribute = "", placeholder = ""] = clause.split(" ");
        const delta = Number(update.ExpressionAttributeValues?.[placeholder] ?? 0);
        current[attribute] = Number(current[attribute] ?? 0) + delta;
      }
      items.set(keyOf(update.Key ?? {}), current);
    }
    return {};
  });
  const table = {
    get: (pk: string, sk: string) => items.get(`${pk}|${sk}`),
    count: () => items.size,
  };
  fakeTable.last = table;
  return table;
}
/** The table the last `fakeTable()` call made. */
fakeTable.last = undefined as unknown as {
  get: (pk: string, sk: string) => Record<string, unknown> | undefined;
  count: () => number;
};

export const order = (overrides: Partial<OrderEvent> = {}): OrderEvent => ({
  eventType: "ORDER_CREATED",
  orderId: "o-1",
  version: 1,
  customerId: "c-1",
  priority: "NORMAL",
  orderValue: 120.5,
  currency: "EUR",
  occurredAt: "2026-11-22T10:00:00Z",
  items: [
    { sku: "sku-a", quantity: 2 },
    { sku: "sku-b", quantity: 1 },
  ],
  ...overrides,
});

/** An SQS record as the raw-delivery SNS subscription delivers the event. */
export const recordOf = (
  message: unknown,
  messageId: string,
  extra: { messageGroupId?: string; eventSourceARN?: string } = {},
) => snsToSqsRecord({ raw: true, message, messageId, ...extra });

/**
 * The DynamoDB table Powertools idempotency persists to (DynamoDBClient, marshalled items): the conditional
 * put refuses an existing unexpired record and returns it (ALL_OLD), updates set the record's attributes, and
 * deletes remove it, as DynamoDB does for the expressions Powertools sends.
 */
export function fakeIdempotencyTable() {
  const items = new Map<string, Record<string, AttributeValue>>();
  const idOf = (key: Record<string, AttributeValue> | undefined) => String(key?.id?.S);
  idempotencyDb.reset();
  idempotencyDb.on(PutItemCommand).callsFake((input) => {
    const existing = items.get(idOf(input.Item));
    const now = Date.now();
    if (existing) {
      const expired = Number(existing.expiration?.N ?? 0) < now / 1000;
      const inProgressExpired =
        existing.status?.S === "INPROGRESS" &&
        existing.in_progress_expiration !== undefined &&
        Number(existing.in_progress_expiration.N) < now;
      if (!expired && !inProgressExpired) {
        throw new ConditionalCheckFailedException({ message: "exists", $metadata: {}, Item: existing });
      }
    }
    items.set(idOf(input.Item), { ...(input.Item ?? {}) });
    return {};
  });
  idempotencyDb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const item = items.get(idOf(input.Key)) ?? { ...(input.Key ?? {}) };
    for (const [alias, name] of Object.entries(input.ExpressionAttributeNames ?? {}) as [string, string][]) {
      const value = input.ExpressionAttributeValues?.[`:${alias.slice(1)}`];
      if (value !== undefined) item[name] = value;
    }
    items.set(idOf(input.Key), item);
    return {};
  });
  idempotencyDb.on(DeleteItemCommand).callsFake((input) => {
    items.delete(idOf(input.Key));
    return {};
  });
  idempotencyDb.on(GetItemCommand).callsFake((input) => ({ Item: items.get(idOf(input.Key)) }));
  return items;
}
export const idempotencyDb = mockClient(DynamoDBClient);
