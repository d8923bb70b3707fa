import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createCloudWatch } from "../src/services/cloudwatch";
import { createSns } from "../src/services/sns";
import { createSqs } from "../src/services/sqs";
import type { LocalResource } from "../src/types";
import { awsCli, requireAwsCli } from "./aws-cli";
import { captureLog } from "./fakes";

/**
 * IAM in the local cloud, on a small engine (SQS, SNS, CloudWatch) with resources shaped like the stack's:
 * a function role, queues with queue policies, topics, a customer managed KMS key. Requests are signed with
 * the administrator's keys (any keys) or a role session's from the local STS.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/worker-role`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b7c6d2e-1111-2222-3333-444455556666`;
const ADMIN = { accessKeyId: "local", secretAccessKey: "local" };

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown>,
): LocalResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::switchyard::${type}::${name}`,
    custom: true,
    inputs,
    outputs,
    id: String(outputs.arn ?? name),
  } as LocalResource;
}

const queue = (name: string, inputs: Record<string, unknown> = {}) =>
  resource(
    "aws:sqs/queue:Queue",
    name,
    { name, ...inputs },
    {
      name,
      arn: queueArn(name),
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    },
  );

/** A queue policy like the stack's: TLS only, and SNS may send for one topic (aws:SourceArn). */
const queuePolicy = (name: string, fromTopic: string) =>
  resource(
    "aws:sqs/queuePolicy:QueuePolicy",
    `${name}-policy`,
    {
      queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "sqs:*",
            Resource: queueArn(name),
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          {
            Sid: "AllowSns1",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn(name),
            Condition: { ArnLike: { "aws:SourceArn": fromTopic } },
          },
        ],
      }),
    },
    {},
  );

const topic = (name: string) =>
  resource("aws:sns/topic:Topic", name, { name }, { name, arn: topicArn(name) });
const subscribe = (name: string, from: string, to: string) =>
  resource(
    "aws:sns/topicSubscription:TopicSubscription",
    name,
    { topic: from, protocol: "sqs", endpoint: to, rawMessageDelivery: true },
    {
      arn: `${from}:${name}`,
    },
  );

const RESOURCES: LocalResource[] = [
  resource(
    "aws:kms/key:Key",
    "data-key",
    {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EnableAccountIamPolicies",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      }),
    },
    { arn: KEY, keyId: "0b7c6d2e-1111-2222-3333-444455556666" },
  ),
  resource(
    "aws:iam/role:Role",
    "worker-role",
    { assumeRolePolicy: "{}" },
    { arn: ROLE, name: "worker-role" },
  ),
  resource(
    "aws:iam/rolePolicy:RolePolicy",
    "worker-policy",
    {
      role: "worker-role",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: [queueArn("work-queue"), queueArn("sealed-queue")],
          },
          { Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: queueArn("work-queue") },
        ],
      }),
    },
    { name: "worker-policy" },
  ),
  queue("work-queue"),
  queue("other-queue"),
  queue("sealed-queue", { kmsMasterKeyId: KEY }),
  queue("fanout-queue"),
  queuePolicy("fanout-queue", topicArn("granted-topic")),
  topic("granted-topic"),
  topic("ungranted-topic"),
  subscribe("granted-sub", topicArn("granted-topic"), queueArn("fanout-queue")),
  subscribe("ungranted-sub", topicArn("ungranted-topic"), queueArn("fanout-queue")),
];

let engine: Engine;
const logs = captureLog();
const clients: Array<{ destroy(): void }> = [];
function client<T extends { destroy(): void }>(
  make: (config: {
    endpoint: string;
    region: string;
    credentials: typeof ADMIN & { sessionToken?: string };
  }) => T,
  credentials: typeof ADMIN & { sessionToken?: string } = ADMIN,
): T {
  const made = make({ endpoint: engine.endpoint, region: REGION, credentials });
  clients.push(made);
  return made;
}
const url = (name: string) => `${engine.endpoint}/${ACCOUNT}/${name}`;

async function worker() {
  const sts = client((c) => new STSClient(c));
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "debugging" }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId as string,
    secretAccessKey: Credentials?.SecretAccessKey as string,
    sessionToken: Credentials?.SessionToken,
  };
}

beforeAll(async () => {
  engine = await Engine.listen({
    emulators: {
      sqs: (ctx) => createSqs(ctx),
      sns: (ctx) => createSns(ctx),
      cloudwatch: (ctx) => createCloudWatch(ctx),
    },
    log: logs.log,
    iam: true,
  });
  await engine.provision(RESOURCES);
});

afterAll(async () => {
  for (const made of clients) made.destroy();
  await engine?.close();
});

describe("STS (SDK v3)", () => {
  it("GetCallerIdentity answers the administrator for keys the cloud did not issue", async () => {
    const identity = await client((c) => new STSClient(c)).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
  });

  it("AssumeRole returns a session that acts as the role, and GetCallerIdentity names it", async () => {
    const credentials = await worker();
    expect(credentials.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    const identity = await client((c) => new STSClient(c), credentials).send(
      new GetCallerIdentityCommand({}),
    );
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/debugging`);
    expect(identity.UserId).toMatch(/^AROA[0-9A-F]{17}:debugging$/);
  });

  it("a role session may not assume a role, nor may anyone assume a role the stack does not have", async () => {
    const asWorker = client((c) => new STSClient(c), await worker());
    await expect(
      asWorker.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "again" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
      message: expect.stringContaining("is not authorized to perform: sts:AssumeRole"),
    });
    const admin = client((c) => new STSClient(c));
    await expect(
      admin.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody`, RoleSessionName: "someone" }),
      ),
    ).rejects.toMatchObject({ name: "AccessDenied" });
  });
});

describe("requests are authorized with the role's policies", () => {
  it("allows what the role grants and denies the rest, naming the principal, the action and the resource (SQS JSON)", async () => {
    const sqs = client((c) => new SQSClient(c), await worker());
    await sqs.send(new SendMessageCommand({ QueueUrl: url("work-queue"), MessageBody: "granted" }));
    const denied = await sqs
      .send(new SendMessageCommand({ QueueUrl: url("other-queue"), MessageBody: "not granted" }))
      .then(
        () => undefined,
        (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
      );
    expect(denied).toBeInstanceOf(Error);
    if (!denied) return;
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/debugging is not authorized to perform: sqs:SendMessage on resource: ${queueArn("other-queue")} because no identity-based policy allows the sqs:SendMessage action`,
    );
    // The administrator (any other keys) may.
    await client((c) => new SQSClient(c)).send(
      new SendMessageCommand({ QueueUrl: url("other-queue"), MessageBody: "admin" }),
    );
  });

  it("SNS refuses with AuthorizationError", async () => {
    const sns = client((c) => new SNSClient(c), await worker());
    await expect(
      sns.send(new PublishCommand({ TopicArn: topicArn("granted-topic"), Message: "x" })),
    ).rejects.toMatchObject({
      name: "AuthorizationErrorException",
      message: expect.stringContaining(`sns:Publish on resource: ${topicArn("granted-topic")}`),
    });
  });

  it("a queue under a customer managed key needs kms:GenerateDataKey from the key policy and the role", async () => {
    const sqs = client((c) => new SQSClient(c), await worker());
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url("sealed-queue"), MessageBody: "x" })),
    ).rejects.toThrow(
      `is not authorized to perform: kms:GenerateDataKey on resource: ${KEY} because no identity-based policy allows the kms:GenerateDataKey action`,
    );
  });
});

describe("SNS -> SQS deliveries are checked against the queue policy", () => {
  it("delivers for the topic the policy names and silently drops the other, with a log line and a metric", async () => {
    const sns = client((c) => new SNSClient(c));
    await sns.send(new PublishCommand({ TopicArn: topicArn("granted-topic"), Message: "granted" }));
    await sns.send(new PublishCommand({ TopicArn: topicArn("ungranted-topic"), Message: "dropped" }));
    const sqs = client((c) => new SQSClient(c));
    const bodies: string[] = [];
    for (let i = 0; i < 20 && !bodies.includes("granted"); i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url("fanout-queue"),
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      bodies.push(...Messages.map((m) => m.Body ?? ""));
    }
    // Publish answered 200 for both, as on AWS; only the granted topic's message arrived.
    expect(bodies).toEqual(["granted"]);
    const line = logs.lines.find(
      (l) =>
        l.message.includes("delivery from") &&
        l.fields?.source === `${topicArn("ungranted-topic")}:ungranted-sub`,
    );
    expect(line?.message).toContain(
      `sns.amazonaws.com may not sqs:SendMessage on ${queueArn("fanout-queue")}`,
    );
    expect(line?.fields?.policy).toBe(`resource policy of ${queueArn("fanout-queue")}`);
    const { Metrics = [] } = await client((c) => new CloudWatchClient(c)).send(
      new ListMetricsCommand({ Namespace: "LocalCloud/IAM", MetricName: "DeliveriesDenied" }),
    );
    expect(Metrics.map((m) => m.Dimensions?.find((d) => d.Name === "Destination")?.Value)).toContain(
      queueArn("fanout-queue"),
    );
  });
});

describe("STS and SQS with the AWS CLI (query protocol)", () => {
  it("get-caller-identity, assume-role, then a call with those credentials allowed and one denied", async () => {
    requireAwsCli();
    const admin = awsCli(engine.endpoint);
    expect(await admin("sts", "get-caller-identity")).toMatchObject({
      Account: ACCOUNT,
      Arn: `arn:aws:iam::${ACCOUNT}:root`,
    });
    const assumed = (await admin("sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "me")) as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
    };
    const asRole = awsCli(engine.endpoint, {
      accessKeyId: assumed.Credentials.AccessKeyId,
      secretAccessKey: assumed.Credentials.SecretAccessKey,
      sessionToken: assumed.Credentials.SessionToken,
    });
    expect(await asRole("sts", "get-caller-identity")).toMatchObject({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/me`,
    });
    expect(
      await asRole("sqs", "send-message", "--queue-url", url("work-queue"), "--message-body", "cli"),
    ).toHaveProperty("MessageId");
    const refused = await asRole.fails(
      "sqs",
      "send-message",
      "--queue-url",
      url("other-queue"),
      "--message-body",
      "cli",
    );
    expect(refused).toContain("(AccessDenied)");
    expect(refused).toContain(
      `is not authorized to perform: sqs:SendMessage on resource: ${queueArn("other-queue")}`,
    );
  }, 120_000);
});

describe("--no-iam", () => {
  it("allows what IAM would refuse", async () => {
    const open = await Engine.listen({
      emulators: { sqs: (ctx) => createSqs(ctx) },
      log: captureLog().log,
      iam: false,
    });
    try {
      await open.provision(RESOURCES);
      const sts = new STSClient({ endpoint: open.endpoint, region: REGION, credentials: ADMIN });
      const { Credentials } = await sts.send(
        new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "open" }),
      );
      const sqs = new SQSClient({
        endpoint: open.endpoint,
        region: REGION,
        credentials: {
          accessKeyId: Credentials?.AccessKeyId as string,
          secretAccessKey: "x",
          sessionToken: Credentials?.SessionToken,
        },
      });
      await sqs.send(
        new SendMessageCommand({ QueueUrl: `${open.endpoint}/${ACCOUNT}/other-queue`, MessageBody: "open" }),
      );
      sts.destroy();
      sqs.destroy();
    } finally {
      await open.close();
    }
  });
});
