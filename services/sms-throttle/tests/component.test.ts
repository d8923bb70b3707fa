import { routeMessage } from "@switchyard/routing";
import {
  MOCK_ACCOUNT_ID,
  type PulumiMocks,
  parseJsonInput,
  type RecordedResource,
  setupPulumiMocks,
} from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { otherLanesMatcher } from "../src/domain/routing";
import { SmsThrottleError } from "../src/errors";
import { SmsThrottle, type SmsThrottleArgs } from "../src/sms-throttle";
import { baseConfig, ORIGINATION_ARN, PINPOINT_APP } from "./fixtures";

const ALARM_TOPIC_ARN = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT_ID}:ops-alarms`;
const KEY_ARN = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

let mocks: PulumiMocks;
const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
const SUB = "aws:sns/topicSubscription:TopicSubscription";
const QUEUE = "aws:sqs/queue:Queue";

const statements = (policy: RecordedResource): Statement[] =>
  parseJsonInput<{ Statement: Statement[] }>(policy.inputs.policy, policy.name).Statement;
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  new SmsThrottle("sms-throttle", { alarmTopicArn: ALARM_TOPIC_ARN, config: baseConfig(), memorySize: 512 });
  new SmsThrottle("smspp", {
    alarmTopicArn: ALARM_TOPIC_ARN,
    kmsKeyArn: KEY_ARN,
    config: baseConfig({
      provider: "pinpoint",
      pinpoint: { applicationId: PINPOINT_APP },
      countries: { US: { capPartsPerSecond: 100, budgets: { verification: 40, bulk: 60 } } },
    }),
  });
  new SmsThrottle("smsid", {
    alarmTopicArn: ALARM_TOPIC_ARN,
    config: baseConfig({
      countries: {
        DE: {
          capPartsPerSecond: 20,
          budgets: { verification: 12, bulk: 8 },
          origination: { endUserMessaging: { originationIdentityArn: DE_POOL, configurationSetArn: DE_SET } },
        },
        FR: {
          capPartsPerSecond: 12,
          budgets: { verification: 6, bulk: 6 },
          origination: { endUserMessaging: { originationIdentityArn: FR_SENDER_ID }, roleArn: FR_ROLE },
        },
        GB: {
          capPartsPerSecond: 12,
          budgets: { verification: 6, bulk: 6 },
          origination: { pinpoint: { applicationId: PINPOINT_APP, originationNumber: "+447700900123" } },
        },
      },
    }),
  });
  await mocks.settle();
}, 120_000);

const DE_POOL = `arn:aws:sms-voice:eu-central-1:${MOCK_ACCOUNT_ID}:pool/pool-de`;
const DE_SET = `arn:aws:sms-voice:eu-central-1:${MOCK_ACCOUNT_ID}:configuration-set/sms-de`;
const FR_SENDER_ID = "arn:aws:sms-voice:eu-west-3:210987654321:sender-id/SWITCHYARD/FR";
const FR_ROLE = "arn:aws:iam::210987654321:role/switchyard-sms-fr";

describe("SmsThrottle: queues and filter policies from config", () => {
  it("creates one queue per country and class plus the catch-all", async () => {
    // Act
    const queues = (await mocks.resourcesOfType(QUEUE))
      .map((q) => q.name)
      .filter((n) => n.startsWith("sms-"));

    // Assess
    expect(queues.filter((n) => n.endsWith("-queue")).sort()).toEqual([
      "sms-throttle-de-bulk-queue",
      "sms-throttle-de-verification-queue",
      "sms-throttle-fr-bulk-queue",
      "sms-throttle-fr-verification-queue",
      "sms-throttle-other-queue",
    ]);
    expect(queues.filter((n) => n.endsWith("-dlq"))).toHaveLength(5);
  });

  it.each([
    ["sms-throttle-de-verification", { country: ["DE"], useCase: ["VERIFICATION"] }],
    ["sms-throttle-de-bulk", { country: ["DE"], useCase: ["TRANSACTIONAL", "REMINDER", "OFFER"] }],
    ["sms-throttle-fr-verification", { country: ["FR"], useCase: ["VERIFICATION"] }],
  ])("subscribes %s with its filter policy, raw delivery and the DLQ", async (lane, policy) => {
    // Act
    const sub = await mocks.findResource(SUB, `${lane}-sub-subscription`);
    const dlq = await mocks.findResource(QUEUE, `${lane}-dlq`);

    // Assess
    expect(JSON.parse(String(sub.inputs.filterPolicy))).toEqual(policy);
    expect(sub.inputs.filterPolicyScope).toBe("MessageAttributes");
    expect(sub.inputs.rawMessageDelivery).toBe(true);
    expect(JSON.parse(String(sub.inputs.redrivePolicy))).toEqual({ deadLetterTargetArn: dlq.outputs.arn });
  });

  it("subscribes the catch-all without a filter policy, so a message without attributes still reaches a queue", async () => {
    // Act
    const sub = await mocks.findResource(SUB, "sms-throttle-other-sub-subscription");
    const fn = await mocks.findResource("aws:lambda/function:Function", "sms-throttle-other-sender-function");
    const laneFn = await mocks.findResource(
      "aws:lambda/function:Function",
      "sms-throttle-de-bulk-sender-function",
    );

    // Assess: SNS delivers every message to a subscription without a policy; the catch-all sender skips what the
    // country lanes received too (their policies' union, in its environment).
    expect(sub.inputs.filterPolicy).toBeUndefined();
    expect(sub.inputs.rawMessageDelivery).toBe(true);
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(JSON.parse(String(env.SMS_OTHER_LANES_POLICY))).toEqual({
      country: ["DE", "FR"],
      useCase: ["VERIFICATION", "TRANSACTIONAL", "REMINDER", "OFFER"],
    });
    const laneEnv = (laneFn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(laneEnv.SMS_OTHER_LANES_POLICY).toBeUndefined();
  });

  it.each([
    // lane, budget -> concurrency, batch size; the budget and the limiter window in the environment
    ["sms-throttle-de-verification", 2, 10, "12"],
    ["sms-throttle-de-bulk", 2, 10, "8"],
    ["sms-throttle-fr-verification", 2, 10, "6"],
    ["sms-throttle-other", 2, 10, "6"],
    ["smspp-us-verification", 3, 10, "40"],
    ["smspp-us-bulk", 4, 10, "60"],
  ])(
    "derives %s: maximumConcurrency %i, batch %i, budget %s parts/s",
    async (lane, concurrency, batch, budget) => {
      // Act
      const esm = await mocks.findResource(ESM, `${lane}-sender-esm`);
      const fn = await mocks.findResource("aws:lambda/function:Function", `${lane}-sender-function`);

      // Assess
      expect(esm.inputs.scalingConfig).toEqual({ maximumConcurrency: concurrency });
      expect(esm.inputs.batchSize).toBe(batch);
      expect(esm.inputs.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(env.BUDGET_PARTS_PER_SECOND).toBe(budget);
      expect(env.LIMITER_WINDOW_MS).toBe("1025");
      expect(env.SMS_LANE).toBe(lane.replace(/^smspp-|^sms-throttle-/, ""));
    },
  );

  it("gives each sender its queue URL and DLQ URL, a 60 s timeout and a 360 s visibility timeout", async () => {
    // Act
    const fn = await mocks.findResource(
      "aws:lambda/function:Function",
      "sms-throttle-de-bulk-sender-function",
    );
    const queue = await mocks.findResource(QUEUE, "sms-throttle-de-bulk-queue");
    const dlq = await mocks.findResource(QUEUE, "sms-throttle-de-bulk-dlq");

    // Assess
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env).toMatchObject({
      QUEUE_URL: queue.outputs.url,
      DLQ_URL: dlq.outputs.url,
      SMS_PROVIDER: "endUserMessaging",
      SMS_ORIGINATION_IDENTITY: ORIGINATION_ARN,
      POWERTOOLS_SERVICE_NAME: "sms-throttle",
    });
    // The sender re-enqueues transient failures itself; SQS's receive count decides nothing it would read.
    expect(Object.keys(env)).not.toContain("MAX_RECEIVE_COUNT");
    expect(fn.inputs.timeout).toBe(60);
    expect(fn.inputs.memorySize).toBe(512);
    expect(queue.inputs.visibilityTimeoutSeconds).toBe(360);
  });
});

describe("SmsThrottle: IAM and encryption", () => {
  it("grants the sender exactly: its queue, its DLQ, re-enqueue on its own queue, SendTextMessage on the pool", async () => {
    // Act
    const policy = await mocks.findResource(
      "aws:iam/rolePolicy:RolePolicy",
      "sms-throttle-de-verification-sender-policy",
    );
    const queue = await mocks.findResource(QUEUE, "sms-throttle-de-verification-queue");
    const dlq = await mocks.findResource(QUEUE, "sms-throttle-de-verification-dlq");
    const table = await mocks.findResource("aws:dynamodb/table:Table", "sms-throttle-state");

    // Assess
    const grants = statements(policy)
      .filter((s) => !list(s.Action).some((a) => a.startsWith("logs:")))
      .flatMap((s) => list(s.Action).map((a) => `${a} ${list(s.Resource).join(",")}`))
      .sort();
    expect(grants).toEqual(
      [
        `sms-voice:SendTextMessage ${ORIGINATION_ARN}`,
        `sqs:DeleteMessage ${queue.outputs.arn}`,
        `sqs:GetQueueAttributes ${queue.outputs.arn}`,
        `sqs:ReceiveMessage ${queue.outputs.arn}`,
        `sqs:SendMessage ${dlq.outputs.arn}`,
        `sqs:SendMessage ${queue.outputs.arn}`,
        `dynamodb:GetItem ${table.outputs.arn}`,
        `dynamodb:PutItem ${table.outputs.arn}`,
        `dynamodb:UpdateItem ${table.outputs.arn}`,
      ].sort(),
    );
    // The state table: only this lane's keys (its re-enqueue counts and its limiter).
    const tableStatement = statements(policy).find((s) => list(s.Action).includes("dynamodb:GetItem")) as
      | (Statement & { Condition?: unknown })
      | undefined;
    expect(tableStatement?.Condition).toEqual({
      "ForAllValues:StringLike": {
        "dynamodb:LeadingKeys": ["retry#de-verification#*", "limiter#de-verification"],
      },
    });
  });

  it.each([
    ["sms-throttle", { enabled: false }],
    ["smspp", { enabled: true, kmsKeyArn: KEY_ARN }],
  ])("keeps the %s state table encrypted, keyed by pk, with expiring items", async (name, encryption) => {
    // Act
    const table = await mocks.findResource("aws:dynamodb/table:Table", `${name}-state`);

    // Assess
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: encryption,
    });
  });

  it("grants Pinpoint SendMessages on the application's messages only, and the key for re-enqueues", async () => {
    // Act
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "smspp-us-bulk-sender-policy");

    // Assess
    const all = statements(policy).flatMap((s) =>
      list(s.Action).map((a) => `${a} ${list(s.Resource).join(",")}`),
    );
    expect(all).toContain(
      `mobiletargeting:SendMessages arn:aws:mobiletargeting:us-east-1:${MOCK_ACCOUNT_ID}:apps/${PINPOINT_APP}/messages`,
    );
    expect(all).toContain(`kms:GenerateDataKey ${KEY_ARN}`);
    expect(all).toContain(`kms:Decrypt ${KEY_ARN}`);
  });

  it.each([
    ["sms-throttle", "alias/aws/sns", { sqsManagedSseEnabled: true }],
    ["smspp", KEY_ARN, { kmsMasterKeyId: KEY_ARN }],
  ])("encrypts the %s topic with %s and its queues accordingly", async (name, topicKey, queueEncryption) => {
    // Act
    const topic = await mocks.findResource("aws:sns/topic:Topic", `${name}-requests-topic`);
    const queue = await mocks.findResource(QUEUE, `${name}-other-queue`);

    // Assess
    expect(topic.inputs.kmsMasterKeyId).toBe(topicKey);
    expect(queue.inputs).toMatchObject(queueEncryption);
  });
});

describe("SmsThrottle: one origination identity per country", () => {
  /** The grants of a lane's sender, but its queues, table, logs and tracing. */
  const sendGrants = async (lane: string) => {
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", `smsid-${lane}-sender-policy`);
    return statements(policy)
      .flatMap((s) => list(s.Action).map((a) => `${a} ${list(s.Resource).join(",")}`))
      .filter((g) => !/^(sqs|dynamodb|logs|xray|kms):/.test(g))
      .sort();
  };
  const env = async (lane: string) => {
    const fn = await mocks.findResource("aws:lambda/function:Function", `smsid-${lane}-sender-function`);
    return (fn.inputs.environment as { variables: Record<string, string> }).variables;
  };

  it.each([
    ["de-verification", [`sms-voice:SendTextMessage ${DE_POOL},${DE_SET}`]],
    ["de-bulk", [`sms-voice:SendTextMessage ${DE_POOL},${DE_SET}`]],
    // Another account: only the role; that account's role policy grants the send.
    ["fr-bulk", [`sts:AssumeRole ${FR_ROLE}`]],
    [
      "gb-verification",
      [
        `mobiletargeting:SendMessages arn:aws:mobiletargeting:us-east-1:${MOCK_ACCOUNT_ID}:apps/${PINPOINT_APP}/messages`,
      ],
    ],
    ["other", [`sms-voice:SendTextMessage ${ORIGINATION_ARN}`]],
  ])("grants the %s sender the send on exactly its own identity", async (lane, expected) => {
    expect(await sendGrants(lane)).toEqual(expected);
  });

  it("tells each sender its own identity (and role) in its environment, nothing of the others", async () => {
    // Act
    const [de, fr, gb, other] = await Promise.all(
      ["de-bulk", "fr-verification", "gb-bulk", "other"].map(env),
    );

    // Assess
    expect(de).toMatchObject({
      SMS_PROVIDER: "endUserMessaging",
      SMS_ORIGINATION_IDENTITY: DE_POOL,
      SMS_CONFIGURATION_SET_NAME: DE_SET,
    });
    expect(de).not.toHaveProperty("SMS_ROLE_ARN");
    expect(fr).toMatchObject({
      SMS_PROVIDER: "endUserMessaging",
      SMS_ORIGINATION_IDENTITY: FR_SENDER_ID,
      SMS_ROLE_ARN: FR_ROLE,
    });
    expect(fr).not.toHaveProperty("SMS_CONFIGURATION_SET_NAME");
    expect(gb).toMatchObject({
      SMS_PROVIDER: "pinpoint",
      PINPOINT_APPLICATION_ID: PINPOINT_APP,
      PINPOINT_ORIGINATION_NUMBER: "+447700900123",
    });
    expect(gb).not.toHaveProperty("SMS_ORIGINATION_IDENTITY");
    expect(other).toMatchObject({
      SMS_PROVIDER: "endUserMessaging",
      SMS_ORIGINATION_IDENTITY: ORIGINATION_ARN,
    });
    expect(other).not.toHaveProperty("SMS_ROLE_ARN");
  });
});

describe("SmsThrottle: alarms and dashboard", () => {
  it.each(["sms-throttle-de-verification", "sms-throttle-other"])(
    "alarms on %s: DLQ depth, oldest message, provider throttles, permanent failures, sender errors and throttles",
    async (lane) => {
      // Act
      const alarms = (await mocks.resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm")).filter((a) =>
        a.name.startsWith(`${lane}-`),
      );

      // Assess
      expect(alarms.map((a) => a.inputs.metricName).sort()).toEqual([
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "MessagesThrottled",
        "RecordsFailedPermanent",
        "Throttles",
      ]);
      expect(
        alarms.every((a) => JSON.stringify(a.inputs.alarmActions) === JSON.stringify([ALARM_TOPIC_ARN])),
      ).toBe(true);
    },
  );

  it("alarms when SNS filters out messages published without attributes (the backstop)", async () => {
    // Act
    const alarm = await mocks.findResource(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "sms-throttle-unattributed-alarm",
    );
    const topic = await mocks.findResource("aws:sns/topic:Topic", "sms-throttle-requests-topic");

    // Assess
    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/SNS",
      metricName: "NumberOfNotificationsFilteredOut-NoMessageAttributes",
      dimensions: { TopicName: topic.outputs.name },
      threshold: 1,
      alarmActions: [ALARM_TOPIC_ARN],
    });
  });

  it("sets the oldest-message alarm per class: 120 s for verification, 900 s for bulk", async () => {
    // Act
    const verification = await mocks.findResource(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "sms-throttle-de-verification-age-alarm",
    );
    const bulk = await mocks.findResource(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "sms-throttle-de-bulk-age-alarm",
    );

    // Assess
    expect([verification.inputs.threshold, bulk.inputs.threshold]).toEqual([120, 900]);
  });

  it("puts parts sent, throttles, permanent failures, queue age and DLQ depth of every lane on the dashboard, then the senders, the state table and the topic", async () => {
    // Act
    const dashboard = await mocks.findResource(
      "aws:cloudwatch/dashboard:Dashboard",
      "sms-throttle-dashboard",
    );

    // Assess
    const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as {
      widgets: { properties: { title: string; region: string; metrics: unknown[][] } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title);
    const laneWidgets = body.widgets.slice(0, 5);
    expect(titles).toEqual([
      "Parts sent per minute (budget in the label)",
      "Throttled (re-enqueued)",
      "Permanent failures (to the DLQ)",
      "Age of the oldest message (s)",
      "Dead-letter queue depth",
      // The kit's charts (ServiceDashboard's): the lanes' queues are charted above, not twice.
      "Invocations",
      "Errors",
      "Throttles",
      "Duration p99 (ms)",
      "DynamoDB throttle events",
      "SNS notifications failed",
    ]);
    expect(
      laneWidgets.every((w) => w.properties.metrics.length === 5 && w.properties.region === "us-east-1"),
    ).toBe(true);
    expect(JSON.stringify(body)).toContain("de-verification (budget 720/min)");
    // Every sender's Errors, beside its alarm.
    const senders = (await mocks.resourcesOfType("aws:lambda/function:Function")).filter((f) =>
      f.name.startsWith("sms-throttle-"),
    );
    const errors = body.widgets.find((w) => w.properties.title === "Errors")?.properties.metrics ?? [];
    expect(errors.map((metric) => metric[3]).sort()).toEqual(senders.map((f) => f.outputs.name).sort());
  });
});

describe("SmsThrottle: routing through the declared policies", () => {
  const route = async (attributes: Record<string, string>) => {
    const topic = await mocks.findResource("aws:sns/topic:Topic", "sms-throttle-requests-topic");
    return routeMessage(mocks.resources, {
      topicArn: String(topic.outputs.arn),
      messageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
      ),
      body: "{}",
    });
  };

  const catchAllSkips = async (attributes: Record<string, string>) => {
    const fn = await mocks.findResource("aws:lambda/function:Function", "sms-throttle-other-sender-function");
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const matches = otherLanesMatcher(JSON.parse(String(env.SMS_OTHER_LANES_POLICY)));
    return matches(
      Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { dataType: "String", value: v }])),
    );
  };

  it.each([
    [{ country: "DE", useCase: "VERIFICATION" }, "sms-throttle-de-verification-queue"],
    [{ country: "DE", useCase: "OFFER" }, "sms-throttle-de-bulk-queue"],
    [{ country: "FR", useCase: "REMINDER" }, "sms-throttle-fr-bulk-queue"],
  ])("%j reaches %s, and the catch-all, whose sender skips it", async (attributes, queue) => {
    // Act
    const reached = await route(attributes);

    // Assess
    expect(reached.queueNames).toEqual([queue, "sms-throttle-other-queue"]);
    expect(await catchAllSkips(attributes)).toBe(true);
  });

  it.each([
    [{ country: "BR", useCase: "VERIFICATION" }],
    [{ country: "DE", useCase: "SPAM" }],
    [{ useCase: "VERIFICATION" }],
    [{ country: "DE" }],
    [{ other: "x" }],
    [{}],
  ])("%j reaches only the catch-all, whose sender handles it", async (attributes) => {
    // Act
    const reached = await route(attributes);

    // Assess
    expect(reached.queueNames).toEqual(["sms-throttle-other-queue"]);
    expect(reached.functionNames).toEqual(["sms-throttle-other-sender-function"]);
    expect(await catchAllSkips(attributes)).toBe(false);
  });
});

describe("SmsThrottle refuses args it cannot honour", () => {
  const args = (overrides: Partial<SmsThrottleArgs>): SmsThrottleArgs => ({
    alarmTopicArn: ALARM_TOPIC_ARN,
    config: baseConfig(),
    ...overrides,
  });

  it.each([
    [
      "an impossible budget",
      args({
        config: baseConfig({
          countries: { DE: { capPartsPerSecond: 20, budgets: { verification: 12, bulk: 2 } } },
        }),
      }),
      'switchyard:sms-throttle:SmsThrottle "bad": config.countries.DE.budgets.bulk must be at least 3 parts per second: one second must hold the longest message (3 parts) (got 2)',
    ],
    [
      "classes above the country's cap",
      args({
        config: baseConfig({
          countries: { DE: { capPartsPerSecond: 10, budgets: { verification: 6, bulk: 6 } } },
        }),
      }),
      'switchyard:sms-throttle:SmsThrottle "bad": config.countries.DE.budgets must be class budgets adding up to at most the country\'s cap of 10 parts per second (they add up to 12) (got {"verification":6,"bulk":6})',
    ],
    [
      "a bad memory size",
      args({ memorySize: 64 }),
      'switchyard:sms-throttle:SmsThrottle "bad": memorySize must be an integer from 128 to 10240 (got 64)',
    ],
    [
      "a bad receive count",
      args({ maxReceiveCount: 0 }),
      'switchyard:sms-throttle:SmsThrottle "bad": maxReceiveCount must be an integer from 1 to 1000 (got 0)',
    ],
    [
      "a bad log retention",
      args({ logRetentionDays: 2 as never }),
      'switchyard:sms-throttle:SmsThrottle "bad": logRetentionDays must be one of 1, 3, 5',
    ],
  ])("refuses %s", (_name, badArgs, message) => {
    expect(() => new SmsThrottle("bad", badArgs)).toThrow(message);
    expect(() => new SmsThrottle("bad", badArgs)).toThrow(SmsThrottleError);
  });

  it("refuses a name too long for its queue names", () => {
    expect(() => new SmsThrottle("a-very-long-service-name", args({}))).toThrow(
      'switchyard:sms-throttle:SmsThrottle "a-very-long-service-name": name must be lowercase letters, digits and hyphens, at most 20',
    );
  });
});
