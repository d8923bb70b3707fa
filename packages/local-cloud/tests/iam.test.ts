import {
  CloudWatchClient,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsCli, requireAwsCli } from "@switchyard/testing/aws-cli";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { allEmulators } from "../src/emulators";
import { Engine } from "../src/engine";
import { createSqs } from "../src/services/sqs";
import type { LocalResource } from "../src/types";
import { captureLog } from "./fakes";

/**
 * IAM in the local cloud, on an engine with every emulator and a few resources shaped like the stack's:
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

/** A queue policy like the stack's: TLS only, and a service may send for one source (aws:SourceArn). */
const queuePolicy = (name: string, from: string, service = "sns.amazonaws.com") =>
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
            Sid: "AllowSource",
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sqs:SendMessage",
            Resource: queueArn(name),
            Condition: { ArnLike: { "aws:SourceArn": from } },
          },
        ],
      }),
    },
    {},
  );

const topic = (name: string, inputs: Record<string, unknown> = {}) =>
  resource("aws:sns/topic:Topic", name, { name, ...inputs }, { name, arn: topicArn(name) });
/** A topic policy letting one service publish for one source (aws:SourceArn). */
const topicPolicy = (name: string, service: string, from: string) =>
  resource(
    "aws:sns/topicPolicy:TopicPolicy",
    `${name}-policy`,
    {
      arn: topicArn(name),
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sns:Publish",
            Resource: topicArn(name),
            Condition: { ArnLike: { "aws:SourceArn": from } },
          },
        ],
      }),
    },
    {},
  );
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
          { Effect: "Allow", Action: "sns:Publish", Resource: topicArn("sealed-topic") },
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
  topic("sealed-topic", { kmsMasterKeyId: KEY }),
  // The opposite of the stack's TLS-only statement: denies every request that counts as TLS.
  queue("plaintext-only-queue", {
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: queueArn("plaintext-only-queue"),
          Condition: { Bool: { "aws:SecureTransport": "true" } },
        },
      ],
    }),
  }),
  // Deliveries to closed-queue fail (no policy lets SNS send); each subscription has redrive-dlq as its DLQ, whose
  // policy lets SNS send for redrive-topic only.
  queue("closed-queue"),
  queue("redrive-dlq"),
  queuePolicy("redrive-dlq", topicArn("redrive-topic")),
  topic("redrive-topic"),
  topic("other-redrive-topic"),
  ...["redrive-topic", "other-redrive-topic"].map((from) =>
    resource(
      "aws:sns/topicSubscription:TopicSubscription",
      `${from}-sub`,
      {
        topic: topicArn(from),
        protocol: "sqs",
        endpoint: queueArn("closed-queue"),
        rawMessageDelivery: true,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("redrive-dlq") }),
      },
      { arn: `${topicArn(from)}:${from}-sub` },
    ),
  ),
  // EventBridge may send to events-queue for granted-rule only.
  queue("events-queue"),
  queuePolicy(
    "events-queue",
    `arn:aws:events:${REGION}:${ACCOUNT}:rule/granted-rule`,
    "events.amazonaws.com",
  ),
  // S3 may publish to uploads-topic for granted-bucket only; the topic delivers to uploads-queue.
  topic("uploads-topic"),
  topicPolicy("uploads-topic", "s3.amazonaws.com", "arn:aws:s3:::granted-bucket"),
  queue("uploads-queue"),
  queuePolicy("uploads-queue", topicArn("uploads-topic")),
  subscribe("uploads-sub", topicArn("uploads-topic"), queueArn("uploads-queue")),
  // CloudWatch may publish to alarms-topic for granted-alarm only; the topic delivers to alarms-queue.
  topic("alarms-topic"),
  topicPolicy(
    "alarms-topic",
    "cloudwatch.amazonaws.com",
    `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:granted-alarm`,
  ),
  queue("alarms-queue"),
  queuePolicy("alarms-queue", topicArn("alarms-topic")),
  subscribe("alarms-sub", topicArn("alarms-topic"), queueArn("alarms-queue")),
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
type Keys = typeof ADMIN & { sessionToken?: string };

/** The destinations of the `LocalCloud/IAM` `DeliveriesDenied` metric so far. */
async function deniedMetricDestinations(): Promise<Array<string | undefined>> {
  const { Metrics = [] } = await client((c) => new CloudWatchClient(c)).send(
    new ListMetricsCommand({ Namespace: "LocalCloud/IAM", MetricName: "DeliveriesDenied" }),
  );
  return Metrics.map((m) => m.Dimensions?.find((d) => d.Name === "Destination")?.Value);
}

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
    emulators: allEmulators(),
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

/** The worker's session keys, for requests written by hand (the engine reads the key id from the credential scope). */
function signedAs(accessKeyId: string, signingName: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261206/${REGION}/${signingName}/aws4_request, SignedHeaders=host, Signature=0`,
  };
}

/** What a client saw of a refusal: its error name, HTTP status and message. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string },
  );
  if (!error) throw new Error("the call was allowed");
  return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

describe("denials look like AWS's, per protocol", () => {
  const refusedAs = (action: string, resource: string) =>
    `User: arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/debugging is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

  it.each([
    {
      protocol: "SQS (AWS JSON 1.0, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new SQSClient(c), keys).send(
          new SendMessageCommand({ QueueUrl: url("other-queue"), MessageBody: "x" }),
        ),
      name: "AccessDenied",
      status: 403,
      action: "sqs:SendMessage",
      resource: queueArn("other-queue"),
    },
    {
      protocol: "SNS (query, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new SNSClient(c), keys).send(
          new PublishCommand({ TopicArn: topicArn("granted-topic"), Message: "x" }),
        ),
      name: "AuthorizationErrorException",
      status: 403,
      action: "sns:Publish",
      resource: topicArn("granted-topic"),
    },
    {
      protocol: "DynamoDB (AWS JSON 1.0, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new DynamoDBClient(c), keys).send(
          new PutItemCommand({ TableName: "orders", Item: { pk: { S: "a" } } }),
        ),
      name: "AccessDeniedException",
      status: 400,
      action: "dynamodb:PutItem",
      resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`,
    },
    {
      protocol: "EventBridge (AWS JSON 1.1, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new EventBridgeClient(c), keys).send(
          new PutEventsCommand({ Entries: [{ Source: "s", DetailType: "d", Detail: "{}" }] }),
        ),
      name: "AccessDeniedException",
      status: 400,
      action: "events:PutEvents",
      resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
    },
    {
      protocol: "S3 (REST-XML, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new S3Client({ ...c, forcePathStyle: true }), keys).send(
          new PutObjectCommand({ Bucket: "uploads", Key: "a/b.png", Body: "x" }),
        ),
      name: "AccessDenied",
      status: 403,
      action: "s3:PutObject",
      resource: "arn:aws:s3:::uploads/a/b.png",
    },
    {
      protocol: "CloudWatch Logs (AWS JSON 1.1, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new CloudWatchLogsClient(c), keys).send(
          new GetLogEventsCommand({ logGroupName: "/aws/lambda/fn", logStreamName: "s" }),
        ),
      name: "AccessDeniedException",
      status: 400,
      action: "logs:GetLogEvents",
      resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/fn:log-stream:s`,
    },
    {
      protocol: "SQS under a customer managed key (AWS JSON 1.0, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new SQSClient(c), keys).send(
          new SendMessageCommand({ QueueUrl: url("sealed-queue"), MessageBody: "x" }),
        ),
      name: "KmsAccessDenied",
      status: 400,
      action: "kms:GenerateDataKey",
      resource: KEY,
    },
    {
      protocol: "SNS under a customer managed key (query, SDK v3)",
      call: (keys: Keys) =>
        client((c) => new SNSClient(c), keys).send(
          new PublishCommand({ TopicArn: topicArn("sealed-topic"), Message: "x" }),
        ),
      name: "KMSAccessDeniedException",
      status: 400,
      action: "kms:GenerateDataKey",
      resource: KEY,
    },
  ])("$protocol: $name ($status)", async ({ call, name, status, action, resource }) => {
    expect(await refusal(call(await worker()))).toEqual({
      name,
      status,
      message: refusedAs(action, resource),
    });
  });

  it("SQS (query, form-encoded): AccessDenied 403 in an <ErrorResponse>; under a customer managed key KMS.AccessDeniedException 400", async () => {
    const { accessKeyId } = await worker();
    const post = (queue: string) =>
      fetch(url(queue), {
        method: "POST",
        headers: { ...signedAs(accessKeyId, "sqs"), "content-type": "application/x-www-form-urlencoded" },
        body: `Action=SendMessage&Version=2012-11-05&QueueUrl=${encodeURIComponent(url(queue))}&MessageBody=x`,
      });
    const refused = await post("other-queue");
    expect(refused.status).toBe(403);
    const body = await refused.text();
    expect(body).toContain("<Code>AccessDenied</Code>");
    expect(body).toContain(
      `is not authorized to perform: sqs:SendMessage on resource: ${queueArn("other-queue")} because`,
    );
    const sealed = await post("sealed-queue");
    expect(sealed.status).toBe(400);
    expect(await sealed.text()).toContain("<Code>KMS.AccessDeniedException</Code>");
  });

  it("Lambda (REST-JSON): AccessDeniedException 403, with x-amzn-errortype", async () => {
    const { accessKeyId } = await worker();
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-inventory`;
    const answer = await fetch(`${engine.endpoint}/2015-03-31/functions/orders-inventory/invocations`, {
      method: "POST",
      headers: signedAs(accessKeyId, "lambda"),
      body: "{}",
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get("x-amzn-errortype")).toBe("AccessDeniedException");
    expect(((await answer.json()) as { Message: string }).Message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/worker-role/debugging is not authorized to perform: lambda:InvokeFunction on resource: ${fn} because no identity-based policy allows the lambda:InvokeFunction action`,
    );
  });
});

describe("S3 answers a missing key by what the caller may list", () => {
  it("404 NoSuchKey with s3:ListBucket on the bucket, 403 AccessDenied without it (as AWS: no one learns which keys exist)", async () => {
    const bucket = "listing-bucket";
    await client((c) => new S3Client({ ...c, forcePathStyle: true })).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    const { policies } = engine.iam;
    const original = policies.identityPolicies(ROLE);
    const grant = (actions: Array<[string, string]>) =>
      policies.setIdentityPolicies(ROLE, [
        ...original,
        {
          name: "reads",
          policy: {
            Version: "2012-10-17",
            Statement: actions.map(([Action, Resource]) => ({ Effect: "Allow", Action, Resource })),
          },
        },
      ]);
    const head = async () => {
      const s3 = client((c) => new S3Client({ ...c, forcePathStyle: true }), await worker());
      const error = (await s3
        .send(new HeadObjectCommand({ Bucket: bucket, Key: "missing.png" }))
        .catch((e: unknown) => e)) as { $metadata: { httpStatusCode?: number } };
      const get = (await s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: "missing.png" }))
        .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
      return { head: error.$metadata.httpStatusCode, get: get.$metadata.httpStatusCode, name: get.name };
    };
    try {
      grant([["s3:GetObject", `arn:aws:s3:::${bucket}/*`]]);
      expect(await head()).toEqual({ head: 403, get: 403, name: "AccessDenied" });
      grant([
        ["s3:GetObject", `arn:aws:s3:::${bucket}/*`],
        ["s3:ListBucket", `arn:aws:s3:::${bucket}`],
      ]);
      expect(await head()).toEqual({ head: 404, get: 404, name: "NoSuchKey" });
    } finally {
      policies.setIdentityPolicies(ROLE, original);
    }
  });
});

describe("aws:SecureTransport is true for local requests", () => {
  it("the stack's TLS-only deny (aws:SecureTransport false) lets SDK calls through; a deny on true is evaluated and refuses", async () => {
    const sqs = client((c) => new SQSClient(c));
    // fanout-queue's policy denies sqs:* when aws:SecureTransport is false: the administrator may still send.
    await sqs.send(new SendMessageCommand({ QueueUrl: url("fanout-queue"), MessageBody: "over TLS" }));
    // The same statement with the opposite value: were the key unset or ignored, this would be allowed too.
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url("plaintext-only-queue"), MessageBody: "x" })),
    ).rejects.toThrow(
      `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sqs:SendMessage on resource: ${queueArn("plaintext-only-queue")} with an explicit deny in a resource-based policy`,
    );
  });
});

describe("SNS -> a subscription's DLQ is checked against the DLQ's policy", () => {
  it("a failed delivery reaches the DLQ for the topic its policy names; for another topic it is dropped, logged and counted", async () => {
    const sns = client((c) => new SNSClient(c));
    await sns.send(new PublishCommand({ TopicArn: topicArn("redrive-topic"), Message: "to the DLQ" }));
    await sns.send(new PublishCommand({ TopicArn: topicArn("other-redrive-topic"), Message: "lost" }));
    const sqs = client((c) => new SQSClient(c));
    const bodies: string[] = [];
    for (let i = 0; i < 20 && bodies.length === 0; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url("redrive-dlq"),
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      bodies.push(...Messages.map((m) => m.Body ?? ""));
    }
    expect(bodies).toEqual(["to the DLQ"]);
    const source = `${topicArn("other-redrive-topic")}:other-redrive-topic-sub redrive DLQ`;
    const line = await vi.waitFor(() => {
      const found = logs.lines.find(
        (l) => l.message.includes("delivery from") && l.fields?.source === source,
      );
      if (!found) throw new Error("no drop logged yet");
      return found;
    });
    expect(line.message).toContain(`sns.amazonaws.com may not sqs:SendMessage on ${queueArn("redrive-dlq")}`);
    expect(await deniedMetricDestinations()).toContain(queueArn("redrive-dlq"));
  });
});

describe("EventBridge -> SQS, S3 -> SNS and CloudWatch -> SNS deliveries are checked against the destination's policy", () => {
  /** Messages that reach a queue within a few seconds. */
  async function bodies(queue: string, until: (seen: string[]) => boolean): Promise<string[]> {
    const sqs = client((c) => new SQSClient(c));
    const seen: string[] = [];
    for (let i = 0; i < 20 && !until(seen); i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url(queue), WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      seen.push(...Messages.map((m) => m.Body ?? ""));
    }
    return seen;
  }
  const dropped = (source: string) =>
    logs.lines.find((l) => l.message.includes("delivery from") && l.fields?.source === source);

  it("EventBridge: the rule the queue policy names delivers; the other is refused (NO_PERMISSIONS), logged and counted", async () => {
    const events = client((c) => new EventBridgeClient(c));
    for (const rule of ["granted-rule", "ungranted-rule"]) {
      await events.send(
        new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: ["iam.test"] }) }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: rule,
          Targets: [{ Id: "q", Arn: queueArn("events-queue"), Input: `"${rule}"` }],
        }),
      );
    }
    await events.send(
      new PutEventsCommand({ Entries: [{ Source: "iam.test", DetailType: "t", Detail: "{}" }] }),
    );
    expect(await bodies("events-queue", (seen) => seen.length > 0)).toEqual(['"granted-rule"']);
    const rule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/ungranted-rule`;
    const line = await vi.waitFor(() => {
      const found = dropped(`${rule} target q`);
      if (!found) throw new Error("no drop logged yet");
      return found;
    });
    expect(line.message).toContain(
      `events.amazonaws.com may not sqs:SendMessage on ${queueArn("events-queue")}`,
    );
    expect(line.fields?.policy).toBe(`resource policy of ${queueArn("events-queue")}`);
    expect(await deniedMetricDestinations()).toContain(queueArn("events-queue"));
  });

  it("S3: the bucket the topic policy names is published; the other bucket's event is dropped, logged and counted", async () => {
    const s3 = client((c) => new S3Client({ ...c, forcePathStyle: true }));
    for (const bucket of ["granted-bucket", "other-bucket"]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            TopicConfigurations: [
              { Id: "uploads", TopicArn: topicArn("uploads-topic"), Events: ["s3:ObjectCreated:*"] },
            ],
          },
          // AWS would refuse the other bucket's configuration here (S3 tests that it may publish); a policy changed
          // later drops the events silently, which is what this shows.
          SkipDestinationValidation: true,
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${bucket}.txt`, Body: "x" }));
    }
    const records = (seen: string[]) =>
      seen.flatMap((body) => {
        const parsed = JSON.parse(body) as { Records?: Array<{ s3: { bucket: { name: string } } }> };
        return (parsed.Records ?? []).map((r) => r.s3.bucket.name);
      });
    expect(records(await bodies("uploads-queue", (seen) => records(seen).length > 0))).toEqual([
      "granted-bucket",
    ]);
    const line = await vi.waitFor(() => {
      const found = dropped("arn:aws:s3:::other-bucket uploads");
      if (!found) throw new Error("no drop logged yet");
      return found;
    });
    expect(line.message).toContain(`s3.amazonaws.com may not sns:Publish on ${topicArn("uploads-topic")}`);
    expect(line.fields?.policy).toBe(`resource policy of ${topicArn("uploads-topic")}`);
    expect(await deniedMetricDestinations()).toContain(topicArn("uploads-topic"));
  });

  it("CloudWatch: an alarm the topic policy names notifies; another alarm's notification is dropped, logged and counted", async () => {
    const cloudwatch = client((c) => new CloudWatchClient(c));
    for (const alarm of ["granted-alarm", "other-alarm"]) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarm,
          Namespace: "IamTest",
          MetricName: "Errors",
          Statistic: "Sum",
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
          AlarmActions: [topicArn("alarms-topic")],
        }),
      );
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarm, StateValue: "ALARM", StateReason: "iam test" }),
      );
    }
    const names = (seen: string[]) =>
      seen.map((body) => (JSON.parse(body) as { AlarmName?: string }).AlarmName);
    expect(names(await bodies("alarms-queue", (seen) => seen.length > 0))).toEqual(["granted-alarm"]);
    const alarm = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:other-alarm`;
    const line = await vi.waitFor(() => {
      const found = dropped(alarm);
      if (!found) throw new Error("no drop logged yet");
      return found;
    });
    expect(line.message).toContain(
      `cloudwatch.amazonaws.com may not sns:Publish on ${topicArn("alarms-topic")}`,
    );
    expect(await deniedMetricDestinations()).toContain(topicArn("alarms-topic"));
  });
});

describe("resource policies set at runtime are evaluated", () => {
  const denyAll = (arn: string, action: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "NoOne", Effect: "Deny", Principal: "*", Action: action, Resource: arn }],
    });

  it("SQS: CreateQueue and SetQueueAttributes with a Policy; an empty Policy removes it", async () => {
    const sqs = client((c) => new SQSClient(c));
    const arn = queueArn("runtime-queue");
    await sqs.send(
      new CreateQueueCommand({
        QueueName: "runtime-queue",
        Attributes: { Policy: denyAll(arn, "sqs:SendMessage") },
      }),
    );
    const send = () => sqs.send(new SendMessageCommand({ QueueUrl: url("runtime-queue"), MessageBody: "x" }));
    await expect(send()).rejects.toThrow(
      `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sqs:SendMessage on resource: ${arn} with an explicit deny in a resource-based policy`,
    );
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url("runtime-queue"), Attributes: { Policy: "" } }),
    );
    await send();
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url("runtime-queue"),
        Attributes: { Policy: denyAll(arn, "sqs:SendMessage") },
      }),
    );
    await expect(send()).rejects.toThrow("with an explicit deny in a resource-based policy");
  });

  it("SNS: SetTopicAttributes Policy (query protocol)", async () => {
    const sns = client((c) => new SNSClient(c));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "runtime-topic" }));
    const publish = () => sns.send(new PublishCommand({ TopicArn, Message: "x" }));
    await publish();
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn,
        AttributeName: "Policy",
        AttributeValue: denyAll(String(TopicArn), "sns:Publish"),
      }),
    );
    await expect(publish()).rejects.toMatchObject({
      name: "AuthorizationErrorException",
      message: `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sns:Publish on resource: ${TopicArn} with an explicit deny in a resource-based policy`,
    });
  });

  it("IAM evaluates the policy the emulator holds: CreateTopic of an existing topic leaves its policy alone", async () => {
    const sns = client((c) => new SNSClient(c));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "existing-topic" }));
    // SNS answers an existing topic's CreateTopic with its ARN and keeps the policy it has (none here).
    await sns.send(
      new CreateTopicCommand({
        Name: "existing-topic",
        Attributes: { Policy: denyAll(String(TopicArn), "sns:Publish") },
      }),
    );
    const { Attributes = {} } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes.Policy).not.toContain("NoOne");
    await sns.send(new PublishCommand({ TopicArn, Message: "x" }));
  });
});
