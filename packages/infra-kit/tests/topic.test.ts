import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AlarmTopic,
  type AlarmTopicArgs,
  EncryptionKey,
  type EncryptionKeyArgs,
  LateBindingError,
  type ServicePrincipal,
  Topic,
  type TopicArgs,
} from "../src/index";
import {
  argDocProblems,
  KEY_ARN,
  mark,
  ownershipProblems,
  serviceStatements,
  statementsOf,
  tlsDeny,
} from "./helpers";

const ACCOUNT = "123456789012";
const BUCKET_ARN = "arn:aws:s3:::uploads";

let mocks: PulumiMocks;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

describe("Topic", () => {
  it("encrypts with the AWS-managed SNS key and denies publishing without TLS by default", async () => {
    // Act
    new Topic("plain");

    // Assess
    const topic = await mocks.findResource("aws:sns/topic:Topic", "plain-topic");
    const policy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "plain-policy");
    expect(topic.inputs).toEqual({ kmsMasterKeyId: "alias/aws/sns" });
    expect(policy.inputs.arn).toBe(topic.outputs.arn);
    expect(statementsOf(policy)).toEqual([tlsDeny("sns:Publish", String(topic.outputs.arn))]);
  });

  it("creates a FIFO topic named .fifo with its deduplication settings", async () => {
    new Topic("ordered", {
      fifo: true,
      contentBasedDeduplication: true,
      fifoThroughputScope: "MessageGroup",
    });

    const topic = await mocks.findResource("aws:sns/topic:Topic", "ordered-topic");
    expect(topic.inputs).toMatchObject({
      fifoTopic: true,
      contentBasedDeduplication: true,
      fifoThroughputScope: "MessageGroup",
    });
    expect(topic.outputs.name).toMatch(/^ordered-.+\.fifo$/);
  });

  it.each<[string, TopicArgs["kmsKeyArn"]]>([
    ["by default", undefined],
    ["given as alias/aws/sns", "alias/aws/sns"],
    ["given as the alias ARN", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/sns`],
  ])(
    "refuses AWS service publishers on the AWS-managed key %s, where they would fail silently",
    (_case, kmsKeyArn) => {
      const topic = new Topic("managed", { kmsKeyArn });

      for (const service of [
        "s3.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
      ] as const) {
        expect(() => topic.allowPublish({ service, sourceArn: BUCKET_ARN })).toThrow(
          new RegExp(
            `Topic "managed": kmsKeyArn must be a customer-managed key that allows ${service.replaceAll(".", "\\.")}, which cannot use the AWS-managed key: its messages would be dropped without an error \\(got .*alias/aws/sns\\)`,
          ),
        );
      }
    },
  );

  it("refuses publishers given as args on the AWS-managed key", () => {
    expect(
      () =>
        new Topic("managed-args", { publishers: [{ service: "s3.amazonaws.com", sourceArn: BUCKET_ARN }] }),
    ).toThrow(
      /Topic "managed-args": kmsKeyArn must be a customer-managed key that allows s3\.amazonaws\.com/,
    );
  });

  it("lets each service publish under a customer-managed key, pinned to its source", async () => {
    // Prepare
    const topic = new Topic("sealed", {
      kmsKeyArn: KEY_ARN,
      publishers: [{ service: "s3.amazonaws.com", sourceArn: BUCKET_ARN, sourceAccount: ACCOUNT }],
    });

    // Act
    topic.allowPublish({
      service: "cloudwatch.amazonaws.com",
      sourceArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*`,
    });

    // Assess
    const recorded = await mocks.findResource("aws:sns/topic:Topic", "sealed-topic");
    const policy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "sealed-policy");
    const arn = String(recorded.outputs.arn);
    expect(recorded.inputs.kmsMasterKeyId).toBe(KEY_ARN);
    expect(statementsOf(policy)).toEqual([
      tlsDeny("sns:Publish", arn),
      {
        Sid: "AllowS31",
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sns:Publish",
        Resource: arn,
        Condition: {
          ArnLike: { "aws:SourceArn": BUCKET_ARN },
          StringEquals: { "aws:SourceAccount": ACCOUNT },
        },
      },
      {
        Sid: "AllowCloudwatch2",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: arn,
        Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } },
      },
    ]);
  });

  it("throws LateBindingError for a publisher added after the program declared its resources", async () => {
    const topic = new Topic("late", { kmsKeyArn: KEY_ARN });
    await mocks.settle();

    expect(() => topic.allowPublish({ service: "s3.amazonaws.com", sourceArn: BUCKET_ARN })).toThrow(
      LateBindingError,
    );
  });

  it.each<[string, TopicArgs, RegExp]>([
    [
      "content-based deduplication on a standard topic",
      { contentBasedDeduplication: false },
      /Topic "t": contentBasedDeduplication applies to FIFO topics only; set fifo: true \(got false\)/,
    ],
    [
      "a throughput scope on a standard topic",
      { fifoThroughputScope: "Topic" },
      /Topic "t": fifoThroughputScope applies to FIFO topics only; set fifo: true \(got "Topic"\)/,
    ],
    [
      "an unknown throughput scope",
      { fifo: true, fifoThroughputScope: "Account" as TopicArgs["fifoThroughputScope"] },
      /Topic "t": fifoThroughputScope must be one of Topic, MessageGroup \(got Account\)/,
    ],
  ])("refuses %s", (_case, args, message) => {
    expect(() => new Topic("t", args)).toThrow(message);
  });

  it("changes the topic and its policy through transform, in object and function form", async () => {
    new Topic("shaped", {
      transform: {
        topic: { tags: { team: "payments" } },
        policy: (args) => {
          args.policy = '{"Version":"2012-10-17","Statement":[]}';
        },
      },
    });

    const topic = await mocks.findResource("aws:sns/topic:Topic", "shaped-topic");
    const policy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "shaped-policy");
    expect(topic.inputs).toEqual({ kmsMasterKeyId: "alias/aws/sns", tags: { team: "payments" } });
    expect(statementsOf(policy)).toEqual([]);
  });

  it("parents every child, names it from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new Topic("owned");

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    expect(argDocProblems("topic.ts", "TopicArgs")).toEqual([]);
  });
});

describe("AlarmTopic", () => {
  beforeAll(() => {
    new AlarmTopic("ops", { emails: ["oncall@example.com", "lead@example.com"] });
  });

  it("encrypts the ops topic with its own key, which CloudWatch alarms of this account may use", async () => {
    const alarmTopic = await mocks.findResource(AlarmTopic.type, "ops");
    const key = await mocks.findResource("aws:kms/key:Key", "ops-key-key");
    const topic = await mocks.findResource("aws:sns/topic:Topic", "ops-ops-topic");

    expect((await mocks.childrenOf(alarmTopic)).map((c) => c.type)).toContain(EncryptionKey.type);
    expect(topic.inputs).toMatchObject({ kmsMasterKeyId: key.outputs.arn, displayName: "Switchyard alarms" });
    expect(serviceStatements(statementsOf(key), "cloudwatch.amazonaws.com")).toEqual([
      {
        Sid: "AllowCloudwatch",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` },
        },
      },
    ]);
  });

  it("lets only this account's CloudWatch alarms publish, over TLS", async () => {
    const topic = await mocks.findResource("aws:sns/topic:Topic", "ops-ops-topic");
    const policy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "ops-ops-policy");
    const arn = String(topic.outputs.arn);

    expect(statementsOf(policy)).toEqual([
      tlsDeny("sns:Publish", arn),
      {
        Sid: "AllowCloudwatch1",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: arn,
        Condition: {
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` },
          StringEquals: { "aws:SourceAccount": ACCOUNT },
        },
      },
    ]);
  });

  it("subscribes each address by e-mail, one subscription per address, named by the address", async () => {
    const alarmTopic = await mocks.findResource(AlarmTopic.type, "ops");
    const topic = await mocks.findResource("aws:sns/topic:Topic", "ops-ops-topic");

    const subscriptions = (await mocks.childrenOf(alarmTopic)).filter(
      (c) => c.type === "aws:sns/topicSubscription:TopicSubscription",
    );

    expect(subscriptions.map((s) => [s.name, s.inputs])).toEqual([
      [
        "ops-email-oncall@example.com",
        { topic: topic.outputs.arn, protocol: "email", endpoint: "oncall@example.com" },
      ],
      [
        "ops-email-lead@example.com",
        { topic: topic.outputs.arn, protocol: "email", endpoint: "lead@example.com" },
      ],
    ]);
  });

  it("uses a given customer-managed key instead of creating one", async () => {
    new AlarmTopic("keyed", { kmsKeyArn: KEY_ARN });

    const alarmTopic = await mocks.findResource(AlarmTopic.type, "keyed");
    const topic = await mocks.findResource("aws:sns/topic:Topic", "keyed-ops-topic");
    expect((await mocks.childrenOf(alarmTopic)).map((c) => c.type)).toEqual([Topic.type]);
    expect(topic.inputs.kmsMasterKeyId).toBe(KEY_ARN);
  });

  it.each<[string, AlarmTopicArgs, RegExp]>([
    [
      "an address without a domain",
      { emails: ["ops@example.com", "oncall"] },
      /AlarmTopic "alarms": emails\[1\] must be an e-mail address \(got "oncall"\)/,
    ],
    [
      "an address with a space",
      { emails: ["on call@example.com"] },
      /AlarmTopic "alarms": emails\[0\] must be an e-mail address \(got "on call@example.com"\)/,
    ],
    [
      "the same address twice, in another case",
      { emails: ["ops@example.com", "OPS@example.com"] },
      /AlarmTopic "alarms": emails\[1\] must not repeat an address \(got "OPS@example.com"\)/,
    ],
    [
      "the AWS-managed key",
      { kmsKeyArn: "alias/aws/sns" },
      /AlarmTopic "alarms": kmsKeyArn must be a customer-managed key that allows cloudwatch\.amazonaws\.com; CloudWatch cannot use the AWS-managed key \(got alias\/aws\/sns\)/,
    ],
  ])("refuses %s", (_case, args, message) => {
    expect(() => new AlarmTopic("alarms", args)).toThrow(message);
  });

  it("changes the key, topic, policy and subscriptions through transform", async () => {
    new AlarmTopic("shaped-ops", {
      emails: ["ops@example.com"],
      transform: {
        key: { deletionWindowInDays: 7 },
        topic: (args) => {
          args.displayName = "Shaped alarms";
        },
        policy: { policy: '{"Version":"2012-10-17","Statement":[]}' },
        subscription: { confirmationTimeoutInMinutes: 5 },
      },
    });

    const key = await mocks.findResource("aws:kms/key:Key", "shaped-ops-key-key");
    const topic = await mocks.findResource("aws:sns/topic:Topic", "shaped-ops-ops-topic");
    const policy = await mocks.findResource("aws:sns/topicPolicy:TopicPolicy", "shaped-ops-ops-policy");
    const subscription = await mocks.findResource(
      "aws:sns/topicSubscription:TopicSubscription",
      "shaped-ops-email-ops@example.com",
    );
    expect(key.inputs.deletionWindowInDays).toBe(7);
    expect(topic.inputs.displayName).toBe("Shaped alarms");
    expect(statementsOf(policy)).toEqual([]);
    expect(subscription.inputs).toMatchObject({ protocol: "email", confirmationTimeoutInMinutes: 5 });
  });

  it("parents every child, names it from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new AlarmTopic("owned-ops", { emails: ["ops@example.com"] });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    expect(argDocProblems("alarm-topic.ts", "AlarmTopicArgs")).toEqual([]);
  });
});

describe("EncryptionKey", () => {
  it("rotates, waits 30 days before deletion, and lets the account's IAM policies govern it", async () => {
    new EncryptionKey("plain");

    const key = await mocks.findResource("aws:kms/key:Key", "plain-key");
    expect(key.inputs).toMatchObject({
      description: "Switchyard plain",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    expect(statementsOf(key)).toEqual([
      {
        Sid: "EnableAccountIamPolicies",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ]);
  });

  it("lets each named service use the key only for sources in this account and region", async () => {
    new EncryptionKey("data", {
      services: ["sns.amazonaws.com", "s3.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"],
    });

    const key = await mocks.findResource("aws:kms/key:Key", "data-key");
    const statements = statementsOf(key);
    const conditionFor = (service: ServicePrincipal) =>
      serviceStatements(statements, service).map((s) => s.Condition);
    expect(statements).toHaveLength(4);
    expect(conditionFor("sns.amazonaws.com")).toEqual([
      {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnLike: { "aws:SourceArn": `arn:aws:sns:us-east-1:${ACCOUNT}:*` },
      },
    ]);
    expect(conditionFor("s3.amazonaws.com")).toEqual([
      { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": "arn:aws:s3:::*" } },
    ]);
    expect(conditionFor("events.amazonaws.com")).toEqual([
      {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnLike: { "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:*` },
      },
    ]);
    for (const statement of statements.slice(1)) {
      expect(statement.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    }
  });

  it("creates an alias when asked", async () => {
    new EncryptionKey("aliased", { alias: "switchyard/orders" });

    const key = await mocks.findResource("aws:kms/key:Key", "aliased-key");
    const alias = await mocks.findResource("aws:kms/alias:Alias", "aliased-alias");
    expect(alias.inputs).toEqual({ name: "alias/switchyard/orders", targetKeyId: key.outputs.keyId });
  });

  it.each<[string, EncryptionKeyArgs, RegExp]>([
    [
      "a deletion window under 7 days",
      { deletionWindowInDays: 6 },
      /EncryptionKey "k": deletionWindowInDays must be an integer from 7 to 30 \(got 6\)/,
    ],
    [
      "a deletion window over 30 days",
      { deletionWindowInDays: 31 },
      /EncryptionKey "k": deletionWindowInDays must be an integer from 7 to 30 \(got 31\)/,
    ],
    [
      "an alias with a space",
      { alias: "my key" },
      /EncryptionKey "k": alias may hold only letters, digits, "\/", "_" and "-" \(got my key\)/,
    ],
    [
      "an alias in the reserved aws/ space",
      { alias: "aws/orders" },
      /EncryptionKey "k": alias must not start with "aws\/", which AWS reserves for AWS-managed keys \(got aws\/orders\)/,
    ],
    [
      "an unknown service",
      { services: ["lambda.amazonaws.com" as ServicePrincipal] },
      /EncryptionKey "k": services must hold only sns\.amazonaws\.com, events\.amazonaws\.com, s3\.amazonaws\.com, cloudwatch\.amazonaws\.com \(got lambda\.amazonaws\.com\)/,
    ],
    [
      "a name from Object.prototype",
      { services: ["constructor" as ServicePrincipal] },
      /EncryptionKey "k": services must hold only .* \(got constructor\)/,
    ],
  ])("refuses %s", (_case, args, message) => {
    expect(() => new EncryptionKey("k", args)).toThrow(message);
  });

  it("changes the key and alias through transform", async () => {
    new EncryptionKey("shaped-key", {
      alias: "shaped",
      transform: {
        key: (args) => {
          args.multiRegion = true;
        },
        alias: { name: "alias/renamed" },
      },
    });

    const key = await mocks.findResource("aws:kms/key:Key", "shaped-key-key");
    const alias = await mocks.findResource("aws:kms/alias:Alias", "shaped-key-alias");
    expect(key.inputs).toMatchObject({ multiRegion: true, enableKeyRotation: true });
    expect(alias.inputs.name).toBe("alias/renamed");
  });

  it("parents every child, names it from the component, and documents its args", async () => {
    const since = await mark(mocks);

    new EncryptionKey("owned-key", { alias: "owned", services: ["sns.amazonaws.com"] });

    expect(await ownershipProblems(mocks, since)).toEqual([]);
    expect(argDocProblems("encryption-key.ts", "EncryptionKeyArgs")).toEqual([]);
  });
});
