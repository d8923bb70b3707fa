import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { publishOrderEvents } from "@switchyard/contracts";
import { type LocalCloud, startLocalCloud } from "@switchyard/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  outputOf,
  S,
  tableName,
} from "./harness";
import { replayWithout, type StatementRow } from "./iam-replay";

/**
 * KMS under the prod stack, whose queues, topics and tables are under one customer managed key (the dev stack's
 * are not): the order fan-out (orders and what it references) runs with IAM on, so every consumer's event source
 * mapping polls its encrypted queue (kms:Decrypt via SQS), writes its encrypted table (kms:GenerateDataKey via
 * DynamoDB) and the high-value alert publishes to the encrypted ops topic (via SNS). Nothing is refused; then each
 * KMS statement the fan-out needs, removed from its role, refuses a call the function made, naming the kms: action
 * and the key (the replay of the end-to-end scenarios' scenario 12).
 */

let cloud: LocalCloud;
let aws: AwsClients;

beforeAll(async () => {
  cloud = await startLocalCloud({
    stack: "prod",
    service: "orders",
    port: 0,
    writeOutputsFile: false,
    timeScale: 100,
  });
  aws = awsClients(cloud.endpoint);
  cloud.engine.iam.recordCalls();
});

afterAll(async () => {
  if (aws) destroyClients(aws);
  await cloud?.close();
});

describe("KMS in the prod stack (customer managed key on queues, topics and tables)", () => {
  const roles = [
    "orders-inventory-role",
    "orders-analytics-role",
    "orders-customer-notifications-role",
    "orders-high-value-alert-role",
    "orders-archiver-role",
  ];
  const rows: StatementRow[] = [
    // Each consumer's event source mapping polls its encrypted queue (the high-value alert is subscribed directly).
    ...roles
      .filter((role) => role !== "orders-high-value-alert-role")
      .map((role) => ({ role, action: "kms:Decrypt", resource: ":key/", via: "sqs" })),
    ...[
      "orders-inventory-role",
      "orders-analytics-role",
      "orders-high-value-alert-role",
      "orders-archiver-role",
    ].map((role) => ({ role, action: "kms:GenerateDataKey", resource: ":key/", via: "dynamodb" })),
    { role: "orders-high-value-alert-role", action: "kms:GenerateDataKey", resource: ":key/", via: "sns" },
  ];
  const key = () => outputOf(cloud.resources, "aws:kms/key:Key", "switchyard-data-key", "arn");

  it("the order fan-out runs, its consumers reading and writing under the key, and IAM refuses nothing", async () => {
    const run = `kms${Date.now().toString(36)}`;
    const base = { customerId: `cust-${run}`, currency: "EUR", occurredAt: "2031-03-15T10:00:00Z" };
    await publishOrderEvents(aws.sns, { topicArn: String(cloud.outputs.ordersTopicArn) }, [
      {
        ...base,
        eventType: "ORDER_CREATED",
        orderId: `${run}-c`,
        version: 1,
        priority: "NORMAL",
        orderValue: 10,
        items: [{ sku: `${run}.a`, quantity: 1 }],
      },
      {
        ...base,
        eventType: "ORDER_SHIPPED",
        orderId: `${run}-s`,
        version: 2,
        priority: "HIGH",
        orderValue: 9000,
        items: [{ sku: `${run}.b`, quantity: 1 }],
        trackingUrl: `https://track.example.com/${run}`,
      },
    ]);
    await eventually(
      async () => {
        const { Items = [] } = await aws.dynamodb.send(
          new QueryCommand({
            TableName: tableName(cloud.resources, "orders-inventory"),
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": S(`SKU#${run}.a`) },
          }),
        );
        expect(Items.length).toBeGreaterThan(0);
        // Each function made the calls the rows below are about (its role decided them, with the key's service).
        for (const row of rows) {
          const arn = outputOf(cloud.resources, "aws:iam/role:Role", row.role, "arn");
          const used = cloud.engine.iam
            .recordedCalls(arn)
            .some(
              (call) =>
                call.allowed &&
                call.request.action === row.action &&
                String(call.request.context?.["kms:ViaService"]).startsWith(`${row.via}.`),
            );
          expect(used, `${row.role} ${row.action} via ${row.via}`).toBe(true);
        }
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const view = await localView<{ enabled: boolean; denials: unknown[] }>(cloud.endpoint, "iam/denials");
    expect(view).toEqual({ enabled: true, denials: [] });
  });

  it.each(rows)(
    "$role without its $action statement via $via: a call it made is refused, naming the key",
    async (row) => {
      const arn = outputOf(cloud.resources, "aws:iam/role:Role", row.role, "arn");
      const denials = await replayWithout(cloud.engine.iam, arn, row);
      for (const denial of denials) expect(denial.resource).toBe(key());
    },
  );
});
