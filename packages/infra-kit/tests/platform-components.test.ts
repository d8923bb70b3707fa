import * as pulumi from "@pulumi/pulumi";
import { type PulumiMocks, type RecordedResource, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ApiGatewayAccount,
  ArgChecker,
  EventBus,
  EventRuleQueueTarget,
  NodeFunction,
  PLATFORM_DEFAULTS,
  PREVIOUS_TOPIC_FUNCTION_SUBSCRIPTION_TYPE,
  PrivateBucket,
  platformSettings,
  ReliableQueue,
  renamedFrom,
  ServiceDashboard,
  Table,
  Topic,
  TopicFunctionSubscription,
} from "../src/index";
import { ALARM_TOPIC_ARN, argDocProblems, fixtureHandler, KEY_ARN, listOf, statementsOf } from "./helpers";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
let mocks: PulumiMocks;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

const byName = async (type: string, name: string): Promise<RecordedResource> =>
  mocks.findResource(type, name);

describe("args documentation", () => {
  it.each([
    ["api-gateway-account.ts", "ApiGatewayAccountArgs"],
    ["table.ts", "TableArgs"],
    ["table.ts", "TableIndex"],
    ["event-bus.ts", "EventBusArgs"],
    ["private-bucket.ts", "PrivateBucketArgs"],
    ["service-dashboard.ts", "ServiceDashboardArgs"],
    ["service-dashboard.ts", "DashboardSources"],
    ["service-dashboard.ts", "DashboardApi"],
    ["platform.ts", "PlatformArgs"],
    ["topic-function-subscription.ts", "TopicFunctionSubscriptionArgs"],
  ])("%s documents every property of %s, with @default on the optional ones", (file, name) => {
    expect(argDocProblems(file, name)).toEqual([]);
  });
});

describe("platformSettings", () => {
  it("applies the documented defaults", () => {
    const settings = platformSettings(new ArgChecker("switchyard:test:Thing", "t"), {
      alarmTopicArn: ALARM_TOPIC_ARN,
    });
    expect(settings).toEqual({
      ...PLATFORM_DEFAULTS,
      alarmTopicArn: ALARM_TOPIC_ARN,
      kmsKeyArn: undefined,
      kmsKeyServices: [],
    });
  });

  it.each([
    [{ memorySize: 64 }, "memorySize must be an integer from 128 to 10240 (got 64)"],
    [{ maximumConcurrency: 1 }, "maximumConcurrency must be an integer from 2 to 1000 (got 1)"],
    [{ maxReceiveCount: 0 }, "maxReceiveCount must be an integer from 1 to 1000 (got 0)"],
    [
      { oldestMessageAgeAlarmSeconds: 30 },
      "oldestMessageAgeAlarmSeconds must be an integer from 60 to 1209600",
    ],
    [{ logRetentionDays: 2 }, "logRetentionDays must be one of 1, 3, 5"],
    [{ tracing: "yes" }, 'tracing must be true or false (got "yes")'],
    [{ alarmTopicArn: undefined }, "alarmTopicArn is required: every alarm notifies it"],
  ])("refuses %j once, naming the component", (change, message) => {
    const act = () =>
      platformSettings(new ArgChecker("switchyard:test:Thing", "t"), {
        alarmTopicArn: ALARM_TOPIC_ARN,
        ...(change as object),
      } as never);
    expect(act).toThrow(`switchyard:test:Thing "t": ${message}`);
  });
});

describe("NodeFunction: alarms and tracing", () => {
  it("alarms on Errors and Throttles to the ops topic, with OK notifications too", async () => {
    new NodeFunction("watched", { entry: fixtureHandler, alarmTopicArn: ALARM_TOPIC_ARN });
    const fn = await byName("aws:lambda/function:Function", "watched-function");
    for (const metric of ["Errors", "Throttles"]) {
      const alarm = await byName(ALARM, `watched-${metric.toLowerCase()}-alarm`);
      expect(alarm.inputs).toMatchObject({
        namespace: "AWS/Lambda",
        metricName: metric,
        dimensions: { FunctionName: fn.outputs.name },
        threshold: 1,
        treatMissingData: "notBreaching",
        alarmActions: [ALARM_TOPIC_ARN],
        okActions: [ALARM_TOPIC_ARN],
      });
    }
    expect(fn.inputs.tracingConfig).toBeUndefined();
  });

  it("traces actively when asked, with the X-Ray grant on * in a statement of its own", async () => {
    new NodeFunction("traced", { entry: fixtureHandler, tracing: true });
    const fn = await byName("aws:lambda/function:Function", "traced-function");
    const policy = await byName("aws:iam/rolePolicy:RolePolicy", "traced-policy");
    expect(fn.inputs.tracingConfig).toEqual({ mode: "Active" });
    expect(statementsOf(policy)).toContainEqual({
      Effect: "Allow",
      Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
      Resource: "*",
    });
  });

  it("has no X-Ray grant without tracing (a grant nobody uses is a defect)", async () => {
    new NodeFunction("untraced", { entry: fixtureHandler });
    const policy = await byName("aws:iam/rolePolicy:RolePolicy", "untraced-policy");
    expect(statementsOf(policy).flatMap((s) => listOf(s.Action))).not.toContain("xray:PutTraceSegments");
  });
});

describe("Table", () => {
  it("uses the customer-managed key when given, with PITR, deletion protection and throttle alarms", async () => {
    new Table("sealed-table", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      hashKey: "pk",
      rangeKey: "sk",
      kmsKeyArn: KEY_ARN,
    });
    const table = await byName("aws:dynamodb/table:Table", "sealed-table");
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY_ARN },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
    });
    for (const kind of ["Read", "Write"]) {
      const alarm = await byName(ALARM, `sealed-table-${kind.toLowerCase()}-throttle-alarm`);
      expect(alarm.inputs).toMatchObject({
        namespace: "AWS/DynamoDB",
        metricName: `${kind}ThrottleEvents`,
        dimensions: { TableName: table.outputs.name },
        alarmActions: [ALARM_TOPIC_ARN],
      });
    }
  });

  it("uses the AWS-owned key without one", async () => {
    new Table("plain-table", { alarmTopicArn: ALARM_TOPIC_ARN, hashKey: "pk" });
    const table = await byName("aws:dynamodb/table:Table", "plain-table");
    expect(table.inputs.serverSideEncryption).toEqual({ enabled: false });
  });

  it("keeps a grant off the item families it excludes (items without a prefix of their own)", async () => {
    const table = new Table("mixed-table", { alarmTopicArn: ALARM_TOPIC_ARN, hashKey: "pk" });
    const fn = new NodeFunction("mixed-fn", { entry: fixtureHandler });
    table.grant(fn, ["dynamodb:DeleteItem"], { excludedKeyPrefixes: ["inbox#"] });
    const [, grant] = statementsOf(await byName("aws:iam/rolePolicy:RolePolicy", "mixed-fn-policy"));
    expect(grant).toMatchObject({
      Action: "dynamodb:DeleteItem",
      Condition: { "ForAllValues:StringNotLike": { "dynamodb:LeadingKeys": ["inbox#*"] } },
    });
  });

  it("grants exact actions bounded by leading keys, and the key through DynamoDB in its region only, once", async () => {
    const table = new Table("keyed-table", {
      alarmTopicArn: ALARM_TOPIC_ARN,
      hashKey: "pk",
      kmsKeyArn: KEY_ARN,
      indexes: [{ name: "GSI1", hashKey: "g" }],
    });
    const fn = new NodeFunction("keyed-fn", { entry: fixtureHandler });
    table.grant(fn, ["dynamodb:PutItem"], { leadingKeyPrefixes: ["inbox#"] });
    table.grant(fn, ["dynamodb:Query"], { indexes: ["GSI1"] });
    const recorded = await byName("aws:dynamodb/table:Table", "keyed-table");
    const [, ...grants] = statementsOf(await byName("aws:iam/rolePolicy:RolePolicy", "keyed-fn-policy"));
    expect(grants).toEqual([
      {
        Effect: "Allow",
        Action: "dynamodb:PutItem",
        Resource: recorded.outputs.arn,
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["inbox#*"] } },
      },
      {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
        Resource: KEY_ARN,
        Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      },
      { Effect: "Allow", Action: "dynamodb:Query", Resource: `${recorded.outputs.arn}/index/GSI1` },
    ]);
  });

  it("keeps existing stacks' tables when they move into a Table (alias to the old parent)", async () => {
    const old = new EventBus("previous-owner");
    new Table("moved-table", { alarmTopicArn: ALARM_TOPIC_ARN, hashKey: "pk", movedFrom: old });
    const table = await byName("aws:dynamodb/table:Table", "moved-table");
    const owner = await byName("switchyard:kit:EventBus", "previous-owner");
    expect(JSON.stringify(table.aliases)).toContain(owner.urn);
  });
});

describe("TopicFunctionSubscription (moved from orders)", () => {
  it("carries an alias to its former type, so existing stacks update it in place", async () => {
    const fn = new NodeFunction("moved-fn", { entry: fixtureHandler });
    new TopicFunctionSubscription("moved-sub", {
      topic: { arn: "arn:aws:sns:us-east-1:123456789012:orders" },
      function: fn,
      alarmTopicArn: ALARM_TOPIC_ARN,
      kmsKeyArn: KEY_ARN,
    });
    const component = await byName(TopicFunctionSubscription.type, "moved-sub");
    expect(TopicFunctionSubscription.type).toBe("switchyard:kit:TopicFunctionSubscription");
    expect(component.aliases).toContainEqual(
      expect.objectContaining({
        spec: expect.objectContaining({ type: PREVIOUS_TOPIC_FUNCTION_SUBSCRIPTION_TYPE }),
      }),
    );
    const policy = await byName("aws:iam/rolePolicy:RolePolicy", "moved-fn-policy");
    const kms = statementsOf(policy).filter((s) => listOf(s.Action).some((a) => a.startsWith("kms:")));
    expect(kms.map((s) => s.Condition)).toEqual([
      { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } },
    ]);
  });
});

describe("alarms on deliveries", () => {
  it("alarms on a topic's failed notifications when given the ops topic", async () => {
    new Topic("watched-topic", { alarmTopicArn: ALARM_TOPIC_ARN });
    const topic = await byName("aws:sns/topic:Topic", "watched-topic-topic");
    const alarm = await byName(ALARM, "watched-topic-failed-alarm");
    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/SNS",
      metricName: "NumberOfNotificationsFailed",
      dimensions: { TopicName: topic.outputs.name },
      alarmActions: [ALARM_TOPIC_ARN],
    });
  });

  it("alarms on a rule's failed invocations, to the target queue's ops topic", async () => {
    const bus = new EventBus("alarmed-bus", { kmsKeyArn: KEY_ARN });
    const queue = new ReliableQueue("alarmed-q", { alarmTopicArn: ALARM_TOPIC_ARN });
    new EventRuleQueueTarget("alarmed-rule", { bus: bus.ref, pattern: { source: ["x"] }, queue });
    const rule = await byName("aws:cloudwatch/eventRule:EventRule", "alarmed-rule-rule");
    const alarm = await byName(ALARM, "alarmed-rule-failed-alarm");
    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/Events",
      metricName: "FailedInvocations",
      dimensions: { RuleName: rule.outputs.name },
      alarmActions: [ALARM_TOPIC_ARN],
    });
    expect((await byName("aws:cloudwatch/eventBus:EventBus", "alarmed-bus")).inputs.kmsKeyIdentifier).toBe(
      KEY_ARN,
    );
  });
});

describe("ApiGatewayAccount", () => {
  it("sets the region's CloudWatch Logs role: trusted by API Gateway of this account and region only", async () => {
    new ApiGatewayAccount("apigw");
    const role = await byName("aws:iam/role:Role", "apigw-role");
    const account = await byName("aws:apigateway/account:Account", "apigw-account");
    const policy = await byName("aws:iam/rolePolicy:RolePolicy", "apigw-policy");
    expect(statementsOf(role, "assumeRolePolicy")).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEqualsIfExists: { "aws:SourceAccount": "123456789012" },
          ArnLikeIfExists: { "aws:SourceArn": "arn:aws:apigateway:us-east-1::/*" },
        },
      },
    ]);
    expect(account.inputs.cloudwatchRoleArn).toBe(role.outputs.arn);
    expect(account.dependencies).toContain(policy.urn);
    const [statement] = statementsOf(policy);
    expect(statement?.Resource).toBe("arn:aws:logs:us-east-1:123456789012:log-group:*");
    expect(listOf(statement?.Action)).toContain("logs:PutLogEvents");
  });
});

describe("PrivateBucket and ServiceDashboard", () => {
  it("blocks public access, enforces the owner, encrypts, and denies requests without TLS", async () => {
    new PrivateBucket("vault", { deletionProtection: false });
    const bucket = await byName("aws:s3/bucket:Bucket", "vault");
    expect(bucket.inputs).toMatchObject({ bucketPrefix: "vault-", forceDestroy: true });
    expect(
      (await byName("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "vault-public-access")).inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const [deny] = statementsOf(await byName("aws:s3/bucketPolicy:BucketPolicy", "vault-policy"));
    expect(deny).toMatchObject({
      Effect: "Deny",
      Action: "s3:*",
      Resource: [bucket.outputs.arn, `${bucket.outputs.arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("charts a service's functions, queues, tables and topics on the metrics the alarms watch", async () => {
    const fn = new NodeFunction("charted-fn", { entry: fixtureHandler });
    const queue = new ReliableQueue("charted-q", { alarmTopicArn: ALARM_TOPIC_ARN });
    new ServiceDashboard("charted", { functions: [fn], queues: [queue], dashboardName: "charted-test" });
    const dashboard = await byName("aws:cloudwatch/dashboard:Dashboard", "charted");
    const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const fnName = (await byName("aws:lambda/function:Function", "charted-fn-function")).outputs.name;
    expect(dashboard.inputs.dashboardName).toBe("charted-test");
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      "Invocations",
      "Errors",
      "Throttles",
      "Duration p99 (ms)",
      "Age of the oldest message (s)",
      "Dead-letter queue depth",
    ]);
    expect(body.widgets[1]?.properties.metrics[0]?.slice(0, 4)).toEqual([
      "AWS/Lambda",
      "Errors",
      "FunctionName",
      fnName,
    ]);
  });
});

describe("ServiceDashboard.watch", () => {
  it("adds what is declared after the dashboard (an ingress API of the service) and puts the service's own widgets first", async () => {
    const own = {
      title: "Parts sent",
      metrics: [["Switchyard/Sms", "PartsSent", "lane", "de"]],
      stat: "Sum",
    };
    const board = new ServiceDashboard("watched", { widgets: [own], dashboardName: "watched-test" });
    const late = new NodeFunction("watched-late-fn", { entry: fixtureHandler });
    board.watch({ functions: [late], apis: [{ apiId: "api-1", stage: "dev", protocol: "HTTP" }] });
    const body = JSON.parse(
      String((await byName("aws:cloudwatch/dashboard:Dashboard", "watched")).inputs.dashboardBody),
    ) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const lateName = (await byName("aws:lambda/function:Function", "watched-late-fn-function")).outputs.name;
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      "Parts sent",
      "Invocations",
      "Errors",
      "Throttles",
      "Duration p99 (ms)",
      "API Gateway errors",
    ]);
    expect(body.widgets[2]?.properties.metrics.map((m) => m[3])).toEqual([lateName]);
    expect(body.widgets[5]?.properties.metrics.map((m) => m.slice(0, 6))).toEqual([
      ["AWS/ApiGateway", "4xx", "ApiId", "api-1", "Stage", "dev"],
      ["AWS/ApiGateway", "5xx", "ApiId", "api-1", "Stage", "dev"],
    ]);
  });

  it("refuses a resource added after the program declared its resources, naming the dashboard", async () => {
    const board = new ServiceDashboard("sealed", {});
    await new Promise((resolve) => setImmediate(resolve));
    const late = new NodeFunction("sealed-late-fn", { entry: fixtureHandler });
    expect(() => board.watch({ functions: [late] })).toThrow(
      /switchyard:kit:ServiceDashboard "sealed" dashboard: cannot add after/,
    );
  });
});

describe("renamedFrom (an instance renamed to its service's one name)", () => {
  class Service extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
      super("switchyard:test:RenamedService", name, {}, opts);
      new ReliableQueue(`${name}-lane`, { alarmTopicArn: ALARM_TOPIC_ARN, fifo: true }, { parent: this });
    }
  }
  const aliasNames = (resource: RecordedResource) =>
    (resource.aliases ?? []).map((alias) => (alias.spec as { name?: string } | undefined)?.name);

  it("aliases the component (old name and type) and every resource under it to its old name", async () => {
    new Service("new-svc", renamedFrom("new-svc", { from: "old-svc", type: "switchyard:test:OldService" }));
    const component = await byName("switchyard:test:RenamedService", "new-svc");
    expect(component.aliases).toContainEqual(
      expect.objectContaining({
        spec: expect.objectContaining({ name: "old-svc", type: "switchyard:test:OldService" }),
      }),
    );
    const under = mocks.resources.filter((r) => r.name.startsWith("new-svc-"));
    expect(under.map((r) => r.name)).toEqual(
      expect.arrayContaining(["new-svc-lane", "new-svc-lane-queue", "new-svc-lane-dlq"]),
    );
    for (const resource of under) {
      expect(aliasNames(resource), resource.name).toContain(
        `old-svc-${resource.name.slice("new-svc-".length)}`,
      );
    }
    // A new stack gets physical names from the new name.
    expect((await byName("aws:sqs/queue:Queue", "new-svc-lane-queue")).inputs.namePrefix).toBe(
      "new-svc-lane-",
    );
  });

  it("keeps the physical names derived from the old name when asked (a prefix change would replace the queue)", async () => {
    new Service("kept-svc", renamedFrom("kept-svc", { from: "was-svc", keepPhysicalNames: true }));
    const queue = await byName("aws:sqs/queue:Queue", "kept-svc-lane-queue");
    expect(queue.inputs.namePrefix).toBe("was-svc-lane-");
    expect(aliasNames(queue)).toContain("was-svc-lane-queue");
  });

  it("changes nothing when the name did not change", () => {
    expect(renamedFrom("same", { from: "same" })).toEqual({});
  });
});
