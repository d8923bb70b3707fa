import { outputValue, type PulumiMocks, type RecordedResource, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { OrdersError, OrdersFanOut, type OrdersFanOutArgs } from "../src/index";
import {
  ALARM_KEY_ARN,
  ALARM_TOPIC_ARN,
  baseArgs,
  KEY_ARN,
  listOf,
  NOTIFICATION_BUS,
  ofInstance,
  statementsOf,
} from "./helpers";

const T = {
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  table: "aws:dynamodb/table:Table",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  esm: "aws:lambda/eventSourceMapping:EventSourceMapping",
  permission: "aws:lambda/permission:Permission",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  archive: "aws:cloudwatch/eventArchive:EventArchive",
  bus: "aws:cloudwatch/eventBus:EventBus",
};

let mocks: PulumiMocks;
let fanOut: OrdersFanOut;
let cmk: RecordedResource[];
let plain: RecordedResource[];

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  fanOut = new OrdersFanOut("orders", baseArgs({ kmsKeyArn: KEY_ARN }));
  new OrdersFanOut("plain", baseArgs({ deletionProtection: false, pointInTimeRecovery: false }));
  await mocks.settle();
  cmk = mocks.resources.filter((r) => r.name === "orders" || r.name.startsWith("orders-"));
  plain = mocks.resources.filter((r) => r.name === "plain" || r.name.startsWith("plain-"));
}, 120_000);

const find = (resources: RecordedResource[], type: string, name: string): RecordedResource => {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const rolePolicyOf = (resources: RecordedResource[], fn: string) =>
  statementsOf(find(resources, T.rolePolicy, `orders-${fn}-policy`));

describe("OrdersFanOut: topics", () => {
  it("encrypts the order-events topic and the FIFO topic with the CMK when given", () => {
    const topics = ofInstance(cmk, "orders", T.topic);
    expect(topics.map((t) => [t.name, t.inputs.kmsMasterKeyId])).toEqual([
      ["orders-order-events-topic", KEY_ARN],
      ["orders-ordered-topic", KEY_ARN],
    ]);
  });

  it("falls back to the AWS-managed SNS key without a CMK", () => {
    expect(ofInstance(plain, "plain", T.topic).map((t) => t.inputs.kmsMasterKeyId)).toEqual([
      "alias/aws/sns",
      "alias/aws/sns",
    ]);
  });

  it("makes the ordered topic FIFO with per-group throughput", () => {
    expect(find(cmk, T.topic, "orders-ordered-topic").inputs).toMatchObject({
      fifoTopic: true,
      contentBasedDeduplication: true,
      fifoThroughputScope: "MessageGroup",
    });
  });
});

describe("OrdersFanOut: subscriptions", () => {
  it("subscribes every queue with raw delivery and a subscription DLQ", () => {
    const sqsSubs = ofInstance(cmk, "orders", T.subscription).filter((s) => s.inputs.protocol === "sqs");
    expect(sqsSubs.map((s) => s.name).sort()).toEqual([
      "orders-analytics-subscription",
      "orders-archive-subscription",
      "orders-customer-notifications-subscription",
      "orders-inventory-subscription",
      "orders-order-processing-subscription",
    ]);
    for (const sub of sqsSubs) {
      expect(sub.inputs.rawMessageDelivery).toBe(true);
      expect(JSON.parse(String(sub.inputs.redrivePolicy)).deadLetterTargetArn).toMatch(/-dlq/);
    }
  });

  it.each([
    ["orders-inventory-subscription", { eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] }],
    [
      "orders-customer-notifications-subscription",
      { eventType: ["ORDER_SHIPPED", "ORDER_DELIVERED"], priority: ["HIGH"] },
    ],
    ["orders-high-value-alert-subscription", { orderValue: [{ numeric: [">", 1000] }] }],
  ])("gives %s the filter policy %j", (name, policy) => {
    const sub = find(cmk, T.subscription, name);
    expect(JSON.parse(String(sub.inputs.filterPolicy))).toEqual(policy);
    expect(sub.inputs.filterPolicyScope).toBe("MessageAttributes");
  });

  it("gives analytics every event (no filter policy)", () => {
    expect(find(cmk, T.subscription, "orders-analytics-subscription").inputs.filterPolicy).toBeUndefined();
  });

  it("subscribes the high-value alert function with its own DLQ, SNS pinned to the topic", () => {
    const topicArn = find(cmk, T.topic, "orders-order-events-topic").outputs.arn;
    const sub = find(cmk, T.subscription, "orders-high-value-alert-subscription");
    const dlq = find(cmk, T.queue, "orders-high-value-alert-dlq");
    expect(sub.inputs.protocol).toBe("lambda");
    expect(JSON.parse(String(sub.inputs.redrivePolicy))).toEqual({ deadLetterTargetArn: dlq.outputs.arn });
    expect(dlq.inputs.kmsMasterKeyId).toBe(KEY_ARN);

    const permission = find(cmk, T.permission, "orders-high-value-alert-permission");
    expect(permission.inputs).toMatchObject({ principal: "sns.amazonaws.com", sourceArn: topicArn });

    const allow = statementsOf(find(cmk, T.queuePolicy, "orders-high-value-alert-dlq-policy")).filter(
      (s) => s.Effect === "Allow",
    );
    expect(allow).toEqual([
      expect.objectContaining({
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: { ArnLike: { "aws:SourceArn": topicArn } },
      }),
    ]);
  });

  it("sends failed asynchronous invocations of the alert function to the same DLQ", () => {
    const dlq = find(cmk, T.queue, "orders-high-value-alert-dlq");
    const config = find(cmk, T.invokeConfig, "orders-high-value-alert-invoke-config");
    expect(config.inputs).toMatchObject({
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: dlq.outputs.arn } },
    });
    const grants = rolePolicyOf(cmk, "high-value-alert");
    expect(grants).toContainEqual(
      expect.objectContaining({ Action: "sqs:SendMessage", Resource: dlq.outputs.arn }),
    );
  });
});

describe("OrdersFanOut: FIFO path", () => {
  it("creates order-processing as a FIFO queue deduplicated and throttled per message group", () => {
    const queue = find(cmk, T.queue, "orders-order-processing-queue");
    expect(queue.inputs).toMatchObject({
      fifoQueue: true,
      contentBasedDeduplication: true,
      deduplicationScope: "messageGroup",
      fifoThroughputLimit: "perMessageGroupId",
    });
    expect(String(queue.outputs.name)).toMatch(/^orders-order-processing-.*\.fifo$/);
    expect(find(cmk, T.queue, "orders-order-processing-dlq").inputs.fifoQueue).toBe(true);
  });

  it("subscribes it to the FIFO topic", () => {
    const topic = find(cmk, T.topic, "orders-ordered-topic");
    const sub = find(cmk, T.subscription, "orders-order-processing-subscription");
    expect(sub.inputs.topic).toBe(topic.outputs.arn);
  });
});

describe("OrdersFanOut: alarms, consumers and limits", () => {
  it("alarms on every dead-letter queue, to the ops topic", () => {
    const dlqs = ofInstance(cmk, "orders", T.queue).filter((q) => q.name.endsWith("-dlq"));
    const alarmed = ofInstance(cmk, "orders", T.alarm)
      .filter((a) => a.inputs.metricName === "ApproximateNumberOfMessagesVisible")
      .map((a) => {
        expect(a.inputs.alarmActions).toEqual([ALARM_TOPIC_ARN]);
        return (a.inputs.dimensions as { QueueName: string }).QueueName;
      });
    expect(dlqs).toHaveLength(7);
    expect(alarmed.sort()).toEqual(dlqs.map((q) => String(q.outputs.name)).sort());
  });

  it("reports partial batch failures on every event source mapping, with the configured concurrency", () => {
    const mappings = ofInstance(cmk, "orders", T.esm);
    expect(mappings).toHaveLength(6);
    for (const mapping of mappings) {
      expect(mapping.inputs.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(mapping.inputs.scalingConfig).toEqual({ maximumConcurrency: 4 });
    }
  });

  it("dead-letters after maxReceiveCount receives, encrypted with the CMK", () => {
    for (const queue of ofInstance(cmk, "orders", T.queue).filter((q) => q.name.endsWith("-queue"))) {
      expect(JSON.parse(String(queue.inputs.redrivePolicy)).maxReceiveCount).toBe(3);
      expect(queue.inputs.kmsMasterKeyId).toBe(KEY_ARN);
    }
  });
});

describe("OrdersFanOut: tables", () => {
  it.each([
    ["orders-inventory", true],
    ["orders-analytics", true],
    ["orders-order-state", false],
  ])("protects %s (deletion protection, PITR, CMK, TTL %s)", (name, ttl) => {
    const table = find(cmk, T.table, name);
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      deletionProtectionEnabled: true,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY_ARN },
    });
    expect(table.inputs.ttl).toEqual(ttl ? { attributeName: "expiresAt", enabled: true } : undefined);
  });

  it("passes deletion protection and PITR through as configured", () => {
    const table = find(plain, T.table, "plain-inventory");
    expect(table.inputs).toMatchObject({
      deletionProtectionEnabled: false,
      pointInTimeRecovery: { enabled: false },
    });
    expect(table.inputs.serverSideEncryption).toEqual({ enabled: false });
  });
});

describe("OrdersFanOut: least privilege", () => {
  it("grants events:PutEvents on the notification bus to the customer-notifications consumer only", () => {
    const putters = ofInstance(cmk, "orders", T.rolePolicy).filter((policy) =>
      statementsOf(policy).some((s) => listOf(s.Resource).includes(NOTIFICATION_BUS.arn)),
    );
    expect(putters.map((p) => p.name)).toEqual(["orders-customer-notifications-policy"]);
    expect(rolePolicyOf(cmk, "customer-notifications")).toContainEqual({
      Effect: "Allow",
      Action: "events:PutEvents",
      Resource: NOTIFICATION_BUS.arn,
    });
  });

  it("lets the alert function publish to the ops topic under its key, and nothing else on it", () => {
    const grants = rolePolicyOf(cmk, "high-value-alert");
    expect(grants).toContainEqual({ Effect: "Allow", Action: "sns:Publish", Resource: ALARM_TOPIC_ARN });
    expect(grants).toContainEqual({
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: ALARM_KEY_ARN,
      Condition: { StringEquals: { "kms:ViaService": "sns.us-east-1.amazonaws.com" } },
    });
  });

  it.each([
    ["inventory", ["dynamodb:PutItem", "dynamodb:UpdateItem"], "orders-inventory", ["EVENT#*", "SKU#*"]],
    ["analytics", ["dynamodb:PutItem", "dynamodb:UpdateItem"], "orders-analytics", ["EVENT#*", "DAY#*"]],
    ["order-processing", ["dynamodb:GetItem", "dynamodb:PutItem"], "orders-order-state", undefined],
  ])(
    "gives %s exactly %j on its table (bounded to its key prefixes), and the table key only via DynamoDB",
    (fn, actions, table, prefixes) => {
      const grants = rolePolicyOf(cmk, fn);
      const tableArn = find(cmk, T.table, table).outputs.arn;
      const dynamo = grants.filter((s) => listOf(s.Action).some((a) => a.startsWith("dynamodb:")));
      expect(dynamo).toEqual([
        {
          Effect: "Allow",
          Action: actions,
          Resource: tableArn,
          ...(prefixes
            ? { Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes } } }
            : {}),
        },
      ]);
      expect(grants).toContainEqual({
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
        Resource: KEY_ARN,
        Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      });
    },
  );

  it("conditions every grant on the customer-managed key on kms:ViaService", () => {
    for (const policy of ofInstance(cmk, "orders", T.rolePolicy)) {
      for (const statement of statementsOf(policy)) {
        if (!listOf(statement.Action).some((a) => a.startsWith("kms:"))) continue;
        expect(statement.Condition?.StringEquals?.["kms:ViaService"], policy.name).toMatch(
          /^(sqs|sns|dynamodb)\.us-east-1\.amazonaws\.com$/,
        );
      }
    }
  });

  it("never grants a wildcard action or resource", () => {
    for (const policy of ofInstance(cmk, "orders", T.rolePolicy)) {
      for (const statement of statementsOf(policy)) {
        expect(listOf(statement.Action).every((a) => !a.includes("*"))).toBe(true);
        expect(listOf(statement.Resource)).not.toContain("*");
      }
    }
  });
});

describe("OrdersFanOut: archive", () => {
  it("archives the orders bus with the configured retention, encrypted with the CMK", () => {
    const bus = find(cmk, T.bus, "orders-bus");
    const archive = find(cmk, T.archive, "orders-archive");
    expect(bus.inputs.kmsKeyIdentifier).toBe(KEY_ARN);
    expect(archive.inputs).toMatchObject({
      eventSourceArn: bus.outputs.arn,
      retentionDays: 90,
      kmsKeyIdentifier: KEY_ARN,
    });
    expect(JSON.parse(String(archive.inputs.eventPattern))).toEqual({ source: ["switchyard.orders"] });
  });

  it("sends replayed events (replay-name) from the orders bus to the republisher's queue", () => {
    const rule = find(cmk, "aws:cloudwatch/eventRule:EventRule", "orders-replay-rule");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual({
      source: ["switchyard.orders"],
      "replay-name": [{ exists: true }],
    });
    expect(rule.inputs.eventBusName).toBe(find(cmk, T.bus, "orders-bus").outputs.name);
  });

  it("gives the archive subscription no filter: every event on order-events is live and archived", () => {
    const sub = find(cmk, T.subscription, "orders-archive-subscription");
    expect(sub.inputs.filterPolicy).toBeUndefined();
  });

  it("lets the republisher send replays to the replay-taking queues only (never order-events), with the key only via SQS", () => {
    const queueArn = (q: string) => find(cmk, "aws:sqs/queue:Queue", `orders-${q}-queue`).outputs.arn;
    const grants = rolePolicyOf(cmk, "republisher").filter((s) => !listOf(s.Action)[0]?.startsWith("logs:"));
    expect(grants).toContainEqual({
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: [queueArn("inventory"), queueArn("analytics")],
    });
    expect(grants.some((s) => listOf(s.Action).includes("sns:Publish"))).toBe(false);
    expect(grants).toContainEqual({
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: KEY_ARN,
      Condition: { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } },
    });
    const env = (
      find(cmk, "aws:lambda/function:Function", "orders-republisher-function").inputs.environment as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(JSON.parse(env.REPLAY_TARGETS ?? "[]")).toEqual([
      {
        name: "inventory",
        queueUrl: expect.any(String),
        filterPolicy: { eventType: ["ORDER_CREATED", "ORDER_CANCELLED"] },
      },
      { name: "analytics", queueUrl: expect.any(String) },
    ]);
  });

  it("gives the archiver and the high-value alert the idempotency table (Powertools) and nothing else of it", () => {
    const table = find(cmk, "aws:dynamodb/table:Table", "orders-idempotency");
    expect(table.inputs).toMatchObject({
      hashKey: "id",
      ttl: { attributeName: "expiration", enabled: true },
    });
    const users = ofInstance(cmk, "orders", T.rolePolicy)
      .filter((policy) =>
        statementsOf(policy).some((s) => listOf(s.Resource).includes(String(table.outputs.arn))),
      )
      .map((p) => p.name)
      .sort();
    expect(users).toEqual(["orders-archiver-policy", "orders-high-value-alert-policy"]);
  });

  it("denies events:PutEvents on the orders bus to every principal but the archiver's role (bus policy)", () => {
    const bus = find(cmk, T.bus, "orders-bus");
    const role = find(cmk, "aws:iam/role:Role", "orders-archiver-role");
    const policy = find(cmk, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "orders-bus-policy");
    expect(policy.inputs.eventBusName).toBe(bus.outputs.name);
    expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
      {
        Sid: "OnlyTheArchiver",
        Effect: "Deny",
        Principal: "*",
        Action: "events:PutEvents",
        Resource: bus.outputs.arn,
        Condition: { ArnNotEquals: { "aws:PrincipalArn": role.outputs.arn } },
      },
    ]);
  });

  it("archives only events of the orders source", () => {
    const archive = find(cmk, T.archive, "orders-archive");
    expect(JSON.parse(String(archive.inputs.eventPattern))).toEqual({ source: ["switchyard.orders"] });
  });

  it("lets only the archiver put events on the orders bus", () => {
    const busArn = String(find(cmk, T.bus, "orders-bus").outputs.arn);
    const putters = ofInstance(cmk, "orders", T.rolePolicy).filter((policy) =>
      statementsOf(policy).some((s) => listOf(s.Resource).includes(busArn)),
    );
    expect(putters.map((p) => p.name)).toEqual(["orders-archiver-policy"]);
  });
});

describe("OrdersFanOut: the topic a function subscriber checks", () => {
  it("tells the high-value alert (SNS invokes it directly) the orders topic, and no queue consumer", () => {
    const variables = (name: string) =>
      (
        find(cmk, "aws:lambda/function:Function", `orders-${name}-function`).inputs.environment as {
          variables: Record<string, string>;
        }
      ).variables;
    expect(variables("high-value-alert").ORDER_EVENTS_TOPIC_ARN).toBe(
      find(cmk, T.topic, "orders-order-events-topic").outputs.arn,
    );
    expect(variables("inventory").ORDER_EVENTS_TOPIC_ARN).toBeUndefined();
  });
});

describe("OrdersFanOut: outputs", () => {
  it("exports the topics, the bus, the archive and the replay rule for the root stack", async () => {
    const out = fanOut.outputs;
    expect(await outputValue(out.ordersTopicArn)).toBe(
      find(cmk, T.topic, "orders-order-events-topic").outputs.arn,
    );
    expect(await outputValue(out.ordersFifoTopicArn)).toMatch(/^arn:aws:sns:.*:orders-ordered-.*\.fifo$/);
    expect(await outputValue(out.ordersArchiveArn)).toBe(find(cmk, T.archive, "orders-archive").outputs.arn);
    expect(await outputValue(out.ordersReplayRuleArn)).toMatch(
      /^arn:aws:events:.*:rule\/orders-bus\/orders-replay-rule$/,
    );
  });
});

describe("OrdersFanOut: args", () => {
  it("adds a subscriber from a few lines of data and removes a default with false", async () => {
    const billing = {
      entry: new URL("../src/handlers/analytics.ts", import.meta.url).pathname,
      filterPolicy: { eventType: ["ORDER_DELIVERED"] },
      uses: ["analyticsTable" as const],
    };
    new OrdersFanOut("custom", baseArgs({ subscribers: { billing, inventory: false } }));
    await mocks.settle();
    const subs = mocks.resources
      .filter((r) => r.type === T.subscription && r.name.startsWith("custom-"))
      .map((r) => r.name);
    expect(subs).toContain("custom-billing-subscription");
    expect(subs).not.toContain("custom-inventory-subscription");
    expect(mocks.resources.some((r) => r.type === T.table && r.name === "custom-inventory")).toBe(false);
  });

  it("leaves customer notifications out when the notifications service (its bus) is not deployed", async () => {
    new OrdersFanOut("alone", baseArgs({ notificationBus: undefined }));
    await mocks.settle();
    const fns = mocks.resources
      .filter((r) => r.type === "aws:lambda/function:Function" && r.name.startsWith("alone-"))
      .map((r) => r.name);
    expect(fns).toContain("alone-inventory-function");
    expect(fns).not.toContain("alone-customer-notifications-function");
    const policies = mocks.resources.filter((r) => r.type === T.rolePolicy && r.name.startsWith("alone-"));
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(String(policy.inputs.policy)).not.toContain(NOTIFICATION_BUS.arn);
  });

  it.each<[string, Partial<OrdersFanOutArgs>, string]>([
    [
      "a missing alarm topic",
      { alarmTopicArn: undefined as unknown as string },
      "alarmTopicArn is required: every alarm notifies it (got undefined)",
    ],
    [
      "a subscriber using the notification bus when there is none",
      {
        notificationBus: undefined,
        subscribers: { shipped: { entry: "/x.ts", uses: ["notificationBus"] } },
      },
      "subscribers.shipped.uses must not hold notificationBus when no notificationBus is given",
    ],
    [
      "a zero threshold",
      { highValueThreshold: 0 },
      "highValueThreshold must be above 0 and at most 1000000000, the SNS numeric range (got 0)",
    ],
    [
      "an archive kept forever",
      { archiveRetentionDays: 0 },
      "archiveRetentionDays must be an integer from 1 to 3650 (got 0)",
    ],
    ["a log retention CloudWatch refuses", { logRetentionDays: 10 as 14 }, "logRetentionDays must be one of"],
    [
      "a concurrency below Lambda's minimum",
      { maximumConcurrency: 1 },
      "maximumConcurrency must be an integer from 2 to 1000 (got 1)",
    ],
    [
      "a reserved subscriber name",
      { subscribers: { archive: { entry: "/x.ts" } } },
      "subscribers.archive must not use a name the component reserves",
    ],
    [
      "a subscriber name in camel case",
      { subscribers: { fooBar: { entry: "/x.ts" } } },
      'subscribers.fooBar must be named in lower-case kebab (got "fooBar")',
    ],
    [
      "an invalid filter policy",
      {
        subscribers: {
          inventory: {
            entry: new URL("../src/handlers/inventory.ts", import.meta.url).pathname,
            filterPolicy: { a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] },
          },
        },
      },
      "subscribers.inventory.filterPolicy is not a policy SNS accepts: Filter policy has 6 keys",
    ],
  ])("refuses %s, naming the component and the arg", (_case, overrides, message) => {
    expect(() => new OrdersFanOut("bad", baseArgs(overrides))).toThrow(
      `switchyard:orders:OrdersFanOut "bad": ${message}`,
    );
    expect(() => new OrdersFanOut("bad", baseArgs(overrides))).toThrow(OrdersError);
  });
});
