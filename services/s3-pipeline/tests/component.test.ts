import { BucketNotifications, ReliableQueue } from "@switchyard/infra-kit";
import {
  MOCK_ACCOUNT_ID,
  outputValue,
  type PulumiMocks,
  parseJsonInput,
  type RecordedResource,
  setupPulumiMocks,
} from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { S3EventPipeline, type S3EventPipelineArgs, S3PipelineError } from "../src/index";

const ALARMS = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT_ID}:ops-alarms`;
const CMK = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const BUS = {
  name: "notifications",
  arn: `arn:aws:events:us-east-1:${MOCK_ACCOUNT_ID}:event-bus/notifications`,
};

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Service?: string | string[]; AWS?: string };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const statements = (resource: RecordedResource, input = "policy") =>
  parseJsonInput<{ Statement: Statement[] }>(resource.inputs[input], resource.name).Statement;
const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

let mocks: PulumiMocks;
beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

/** Resources registered by one pipeline (its name prefixes every child). */
async function pipeline(name: string, args: Partial<S3EventPipelineArgs> = {}) {
  const component = new S3EventPipeline(name, { alarmTopicArn: ALARMS, ...args });
  await mocks.settle();
  const own = mocks.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
  const find = (type: string, resourceName: string) => {
    const found = own.find((r) => r.type === type && r.name === resourceName);
    if (!found)
      throw new Error(
        `no ${type} ${resourceName}; have ${own.filter((r) => r.type === type).map((r) => r.name)}`,
      );
    return found;
  };
  return { component, own, find, count: (type: string) => own.filter((r) => r.type === type).length };
}

describe("S3EventPipeline resources", () => {
  it("deploys two buckets, two standard topics, three reliable queues with consumers, and a table", async () => {
    // Act
    const { count, find } = await pipeline("s3-pipeline");

    // Assess
    expect(count("aws:s3/bucket:Bucket")).toBe(2);
    expect(count("aws:sns/topic:Topic")).toBe(2);
    expect(count("aws:sqs/queue:Queue")).toBe(6);
    expect(count("aws:sns/topicSubscription:TopicSubscription")).toBe(3);
    expect(count("aws:lambda/function:Function")).toBe(3);
    expect(count("aws:lambda/eventSourceMapping:EventSourceMapping")).toBe(3);
    // 3 queues x (DLQ depth, age), 3 functions x (errors, throttles), 2 topics x failed, 1 table x (reads, writes)
    expect(count("aws:cloudwatch/metricAlarm:MetricAlarm")).toBe(16);
    expect(count("aws:dynamodb/table:Table")).toBe(1);
    expect(count("aws:s3/bucketNotification:BucketNotification")).toBe(1);
    for (const topic of ["s3-pipeline-created-topic", "s3-pipeline-deleted-topic"]) {
      expect(find("aws:sns/topic:Topic", topic).inputs.fifoTopic ?? false).toBe(false);
    }
  });

  it("parents every child and names it from the component", async () => {
    // Act
    const { own, component } = await pipeline("owned");

    // Assess
    const urn = await outputValue(component.urn);
    const byUrn = new Map(mocks.resources.map((r) => [r.urn, r]));
    const orphans = own.filter((r) => r.name !== "owned" && !r.parentUrn);
    expect(orphans.map((r) => r.name)).toEqual([]);
    const roots = own
      .filter((r) => r.name !== "owned")
      .map((r) => {
        let at: RecordedResource | undefined = r;
        while (at?.parentUrn && at.parentUrn !== urn) at = byUrn.get(at.parentUrn);
        return at?.parentUrn === urn;
      });
    expect(roots.every(Boolean)).toBe(true);
  });

  it("hardens both buckets: public access blocked, owner-enforced, encrypted, TLS-only, kept on destroy", async () => {
    // Act
    const { find } = await pipeline("hard");

    // Assess
    for (const role of ["uploads", "renditions"]) {
      expect(find("aws:s3/bucket:Bucket", `hard-${role}`).inputs.forceDestroy).toBe(false);
      expect(
        find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `hard-${role}-public-access`).inputs,
      ).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        find(
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          `hard-${role}-encryption`,
        ).inputs.rules,
      ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }]);
      const [deny] = statements(find("aws:s3/bucketPolicy:BucketPolicy", `hard-${role}-policy`));
      expect(deny).toMatchObject({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      expect(list(deny?.Resource)).toHaveLength(2);
    }
  });

  it.each([
    [{}, "Suspended", false, true, true],
    [
      { versioning: true, deletionProtection: false, pointInTimeRecovery: false },
      "Enabled",
      true,
      false,
      false,
    ],
  ] as const)(
    "applies %j: versioning %s, forceDestroy %s, table protection %s, PITR %s",
    async (args, status, forceDestroy, protection, pitr) => {
      // Act
      const name = `v-${status.toLowerCase()}`;
      const { find } = await pipeline(name, args);

      // Assess
      expect(
        find("aws:s3/bucketVersioning:BucketVersioning", `${name}-uploads-versioning`).inputs
          .versioningConfiguration,
      ).toEqual({ status });
      expect(find("aws:s3/bucket:Bucket", `${name}-uploads`).inputs.forceDestroy).toBe(forceDestroy);
      expect(find("aws:dynamodb/table:Table", `${name}-catalog`).inputs).toMatchObject({
        deletionProtectionEnabled: protection,
        pointInTimeRecovery: { enabled: pitr },
        serverSideEncryption: { enabled: false },
        billingMode: "PAY_PER_REQUEST",
      });
    },
  );

  it("turns the config's lifecycle rules into the uploads bucket's lifecycle configuration", async () => {
    // Act
    const { find } = await pipeline("life", {
      lifecycleRules: [
        { id: "expire-tmp", prefix: "tmp/", expirationDays: 7 },
        { id: "old-versions", noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 1 },
      ],
    });

    // Assess
    expect(
      find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "life-uploads-lifecycle")
        .inputs.rules,
    ).toEqual([
      { id: "expire-tmp", status: "Enabled", filter: { prefix: "tmp/" }, expiration: { days: 7 } },
      {
        id: "old-versions",
        status: "Enabled",
        filter: { prefix: "" },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
  });
});

describe("S3EventPipeline notifications and encryption", () => {
  it("sends ObjectCreated:* to the created topic and ObjectRemoved:* to the deleted topic, with the config's filters", async () => {
    // Act
    const { find } = await pipeline("filt", { filterPrefix: "in/", filterSuffix: ".jpg" });

    // Assess
    const notification = find("aws:s3/bucketNotification:BucketNotification", "filt-uploads-notification");
    const created = find("aws:sns/topic:Topic", "filt-created-topic");
    const deleted = find("aws:sns/topic:Topic", "filt-deleted-topic");
    expect(notification.inputs.topics).toEqual([
      {
        id: "filt-uploads-1",
        topicArn: created.outputs.arn,
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "in/",
        filterSuffix: ".jpg",
      },
      {
        id: "filt-uploads-2",
        topicArn: deleted.outputs.arn,
        events: ["s3:ObjectRemoved:*"],
        filterPrefix: "in/",
        filterSuffix: ".jpg",
      },
    ]);
    expect(notification.inputs.bucket).toBe(find("aws:s3/bucket:Bucket", "filt-uploads").outputs.bucket);
  });

  it("lets only S3, from this bucket and this account, publish to each topic, over TLS", async () => {
    // Act
    const { find } = await pipeline("pol");

    // Assess
    const bucketArn = find("aws:s3/bucket:Bucket", "pol-uploads").outputs.arn;
    for (const topic of ["created", "deleted"]) {
      const policy = find("aws:sns/topicPolicy:TopicPolicy", `pol-${topic}-policy`);
      const all = statements(policy);
      expect(all[0]).toMatchObject({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      const allows = all.filter((s) => s.Effect === "Allow");
      expect(allows).toHaveLength(1);
      expect(allows[0]).toMatchObject({
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sns:Publish",
        Condition: {
          ArnLike: { "aws:SourceArn": bucketArn },
          StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
        },
      });
    }
  });

  it("encrypts the topics with its own key whose policy lets S3 use it (the AWS-managed key would lose events)", async () => {
    // Act
    const { find, count } = await pipeline("own-key");

    // Assess
    const key = find("aws:kms/key:Key", "own-key-events-key-key");
    for (const topic of ["created", "deleted"]) {
      expect(find("aws:sns/topic:Topic", `own-key-${topic}-topic`).inputs.kmsMasterKeyId).toBe(
        key.outputs.arn,
      );
    }
    const s3 = statements(key).filter((s) =>
      list((s.Principal as { Service?: string })?.Service).includes("s3.amazonaws.com"),
    );
    expect(s3).toHaveLength(1);
    expect(list(s3[0]?.Action).sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(s3[0]?.Condition).toMatchObject({ StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } });
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(count("aws:kms/key:Key")).toBe(1);
  });

  it("uses a given customer-managed key for topics and queues, creating no key of its own", async () => {
    // Act
    const { find, count } = await pipeline("cmk", {
      kmsKeyArn: CMK,
      kmsKeyServices: ["sns.amazonaws.com", "s3.amazonaws.com", "events.amazonaws.com"],
    });

    // Assess
    expect(count("aws:kms/key:Key")).toBe(0);
    expect(find("aws:sns/topic:Topic", "cmk-created-topic").inputs.kmsMasterKeyId).toBe(CMK);
    expect(find("aws:sqs/queue:Queue", "cmk-renditions-queue").inputs.kmsMasterKeyId).toBe(CMK);
  });

  it("puts the catalog table under the given customer-managed key, usable by its functions through DynamoDB only", async () => {
    // Act
    const { find } = await pipeline("cmkt", {
      kmsKeyArn: CMK,
      kmsKeyServices: ["sns.amazonaws.com", "s3.amazonaws.com"],
    });

    // Assess
    expect(find("aws:dynamodb/table:Table", "cmkt-catalog").inputs.serverSideEncryption).toEqual({
      enabled: true,
      kmsKeyArn: CMK,
    });
    for (const fn of ["renditions", "catalog", "cleanup"]) {
      const viaDynamo = statements(find("aws:iam/rolePolicy:RolePolicy", `cmkt-${fn}-policy`)).filter(
        (s) => s.Condition?.StringEquals?.["kms:ViaService"] === "dynamodb.us-east-1.amazonaws.com",
      );
      expect(
        viaDynamo.map((s) => s.Resource),
        fn,
      ).toEqual([CMK]);
    }
  });

  it("merges every rule it is given into the bucket's one notification configuration", async () => {
    // Prepare
    const audit = new ReliableQueue("merge-audit", { alarmTopicArn: ALARMS });

    // Act
    const { find, count } = await pipeline("merge", {
      filterPrefix: "uploads/",
      extraNotificationRules: [{ events: ["s3:ObjectCreated:*"], queue: audit, filterPrefix: "audit/" }],
    });

    // Assess
    expect(count("aws:s3/bucketNotification:BucketNotification")).toBe(1);
    const notification = find("aws:s3/bucketNotification:BucketNotification", "merge-uploads-notification");
    expect((notification.inputs.topics as unknown[]).length).toBe(2);
    expect(notification.inputs.queues).toEqual([
      expect.objectContaining({ events: ["s3:ObjectCreated:*"], filterPrefix: "audit/" }),
    ]);
  });

  it("refuses a second writer of the uploads bucket's notifications, naming the owner", async () => {
    // Prepare
    const { component } = await pipeline("single");
    const other = new ReliableQueue("single-other", { alarmTopicArn: ALARMS });

    // Act / Assess
    expect(
      () =>
        new BucketNotifications("intruder", {
          bucket: component.uploadsBucket.bucket,
          rules: [{ events: ["s3:ObjectRemoved:*"], queue: other }],
        }),
    ).toThrow(/must not be given to a second BucketNotifications: .*"single-uploads" already owns it/);
  });

  it("refuses an extra rule overlapping its own (S3 would reject the configuration)", () => {
    // Prepare
    const audit = new ReliableQueue("overlap-audit", { alarmTopicArn: ALARMS });

    // Act / Assess
    expect(
      () =>
        new S3EventPipeline("overlap", {
          alarmTopicArn: ALARMS,
          extraNotificationRules: [{ events: ["s3:ObjectCreated:Put"], queue: audit }],
        }),
    ).toThrow(/rules\[2\] must not overlap rules\[0\]/);
  });
});

describe("S3EventPipeline IAM", () => {
  async function policies(name: string, args: Partial<S3EventPipelineArgs> = {}) {
    const { find } = await pipeline(name, args);
    const of = (fn: string) => statements(find("aws:iam/rolePolicy:RolePolicy", `${name}-${fn}-policy`));
    return {
      find,
      renditions: of("renditions"),
      catalog: of("catalog"),
      cleanup: of("cleanup"),
      uploads: String(find("aws:s3/bucket:Bucket", `${name}-uploads`).outputs.arn),
      renditionsBucket: String(find("aws:s3/bucket:Bucket", `${name}-renditions`).outputs.arn),
      table: String(find("aws:dynamodb/table:Table", `${name}-catalog`).outputs.arn),
    };
  }
  /** `action -> resources` of a role policy, without the kit's logging and queue statements. */
  const grants = (all: Statement[]) => {
    const out: Record<string, string[]> = {};
    for (const s of all) {
      for (const action of list(s.Action)) {
        if (/^(logs|sqs|kms):/.test(action)) continue;
        out[action] = [...(out[action] ?? []), ...list(s.Resource)].sort();
      }
    }
    return out;
  };

  it("scopes each function to the two buckets, the table and (renditions only) the bus", async () => {
    // Act
    const p = await policies("iam", {
      notificationBus: BUS,
      notificationCallbackUrl: "https://app.example.com/u",
    });

    // Assess
    expect(grants(p.renditions)).toEqual({
      "s3:GetObject": [`${p.uploads}/*`],
      "s3:GetObjectVersion": [`${p.uploads}/*`],
      "s3:ListBucket": [p.uploads],
      "s3:PutObject": [`${p.renditionsBucket}/renditions/*`],
      "s3:DeleteObject": [`${p.renditionsBucket}/renditions/*`],
      "dynamodb:GetItem": [p.table],
      "dynamodb:PutItem": [p.table],
      "dynamodb:UpdateItem": [p.table],
      "events:PutEvents": [BUS.arn],
    });
    expect(grants(p.catalog)).toEqual({
      "s3:GetObject": [`${p.uploads}/*`],
      "s3:GetObjectVersion": [`${p.uploads}/*`],
      "s3:ListBucket": [p.uploads],
      "dynamodb:GetItem": [p.table],
      "dynamodb:PutItem": [p.table],
      "dynamodb:UpdateItem": [p.table],
    });
    // Cleanup reads the uploads bucket: a removal is acted on only once S3 confirms the object is gone.
    expect(grants(p.cleanup)).toEqual({
      "s3:GetObject": [`${p.uploads}/*`],
      "s3:GetObjectVersion": [`${p.uploads}/*`],
      "s3:ListBucket": [p.uploads],
      "s3:DeleteObject": [`${p.renditionsBucket}/renditions/*`],
      "dynamodb:DeleteItem": [p.table],
      "dynamodb:GetItem": [p.table],
      "dynamodb:Query": [p.table],
      "dynamodb:UpdateItem": [p.table],
    });
  });

  it("grants no events:PutEvents and sets no bus without notifications", async () => {
    // Act
    const p = await policies("quiet", { notificationBus: BUS });

    // Assess
    expect(grants(p.renditions)["events:PutEvents"]).toBeUndefined();
    const env = p.find("aws:lambda/function:Function", "quiet-renditions-function").inputs.environment as {
      variables: Record<string, string>;
    };
    expect(env.variables.NOTIFICATION_BUS_NAME).toBeUndefined();
  });

  it("hands each function its buckets, table, widths and DLQ in the environment", async () => {
    // Act
    const { find } = await pipeline("envs", {
      renditionWidths: [200, 800],
      maxImageBytes: 1_048_576,
      notificationBus: BUS,
      notificationCallbackUrl: "https://app.example.com/u",
    });

    // Assess
    const vars = (fn: string) =>
      (
        find("aws:lambda/function:Function", `envs-${fn}-function`).inputs.environment as {
          variables: Record<string, string>;
        }
      ).variables;
    expect(vars("renditions")).toMatchObject({
      UPLOADS_BUCKET: find("aws:s3/bucket:Bucket", "envs-uploads").outputs.bucket,
      RENDITIONS_BUCKET: find("aws:s3/bucket:Bucket", "envs-renditions").outputs.bucket,
      TABLE_NAME: find("aws:dynamodb/table:Table", "envs-catalog").outputs.name,
      RENDITION_WIDTHS: "200,800",
      MAX_IMAGE_BYTES: "1048576",
      NOTIFICATION_BUS_NAME: "notifications",
      NOTIFICATION_CALLBACK_URL: "https://app.example.com/u",
      DLQ_URL: expect.stringContaining("envs-renditions"),
    });
    const uploads = find("aws:s3/bucket:Bucket", "envs-uploads").outputs.bucket;
    expect(vars("cleanup")).toMatchObject({
      RENDITION_WIDTHS: "200,800",
      DLQ_URL: expect.any(String),
      UPLOADS_BUCKET: uploads,
    });
    expect(vars("catalog")).toMatchObject({
      DLQ_URL: expect.any(String),
      UPLOADS_BUCKET: uploads,
    });
    // Raw delivery carries no topic, so none is handed over to check against.
    for (const role of ["renditions", "catalog", "cleanup"])
      expect(vars(role)).not.toHaveProperty("SOURCE_TOPIC_ARN");
  });

  it("subscribes each queue to its topic with raw message delivery, which its consumer relies on", async () => {
    // Act
    const { find } = await pipeline("rawsub");

    // Assess
    const topic = (which: string) => find("aws:sns/topic:Topic", `rawsub-${which}-topic`).outputs.arn;
    const queue = (role: string) => find("aws:sqs/queue:Queue", `rawsub-${role}-queue`).outputs.arn;
    for (const [role, which] of [
      ["renditions", "created"],
      ["catalog", "created"],
      ["cleanup", "deleted"],
    ] as const) {
      expect(
        find("aws:sns/topicSubscription:TopicSubscription", `rawsub-${role}-subscription`).inputs,
      ).toMatchObject({
        protocol: "sqs",
        topic: topic(which),
        endpoint: queue(role),
        rawMessageDelivery: true,
      });
    }
  });
});

describe("S3EventPipeline sharp packaging", () => {
  it("ships the arm64 Linux build of sharp and libvips in the renditions archive, and no x64 build", async () => {
    // Act
    const { component, find } = await pipeline("pack");

    // Assess
    const { renditions, catalog } = component.functions;
    const files = Object.keys(renditions.bundle.packageFiles);
    expect(files).toEqual(
      expect.arrayContaining([
        "node_modules/sharp/package.json",
        "node_modules/sharp/dist/index.mjs",
        "node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64-0.35.5.node",
        "node_modules/@img/sharp-libvips-linux-arm64/lib/libvips-cpp.so.8.18.7",
        "node_modules/detect-libc/package.json",
      ]),
    );
    expect(files.filter((f) => /x64|darwin|musl|win32|wasm/.test(f))).toEqual([]);
    expect(renditions.bundle.files["index.mjs"]).toMatch(/from\s*"sharp"/);
    const archive = Object.keys(await renditions.code.assets);
    expect(archive).toContain("node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64-0.35.5.node");
    expect(find("aws:lambda/function:Function", "pack-renditions-function").inputs.architectures).toEqual([
      "arm64",
    ]);
    expect(Object.keys(catalog.bundle.packageFiles)).toEqual([]);
  });
});

describe("S3EventPipeline args", () => {
  it.each<[string, Partial<S3EventPipelineArgs>, RegExp]>([
    [
      "no alarm topic",
      { alarmTopicArn: "" },
      /"bad": alarmTopicArn is required: every alarm notifies it \(got \)/,
    ],
    [
      "the AWS-managed SNS key",
      { kmsKeyArn: "alias/aws/sns", kmsKeyServices: ["s3.amazonaws.com", "sns.amazonaws.com"] },
      /kmsKeyArn must be the ARN of a customer-managed key: S3 cannot publish to topics under alias\/aws\/sns \(got alias\/aws\/sns\)/,
    ],
    [
      "a key whose policy does not allow S3",
      { kmsKeyArn: CMK, kmsKeyServices: ["sns.amazonaws.com"] },
      /kmsKeyServices must include s3\.amazonaws\.com and sns\.amazonaws\.com: .*lost silently \(got \["sns\.amazonaws\.com"\]\)/,
    ],
    ["a key without its services", { kmsKeyArn: CMK }, /kmsKeyServices must include .* \(got null\)/],
    [
      "services without a key",
      { kmsKeyServices: ["s3.amazonaws.com"] },
      /kmsKeyServices applies only with kmsKeyArn/,
    ],
    ["memory out of range", { memorySize: 64 }, /memorySize must be an integer from 128 to 10240 \(got 64\)/],
    [
      "concurrency 1",
      { maximumConcurrency: 1 },
      /maximumConcurrency must be an integer from 2 to 1000 \(got 1\)/,
    ],
    [
      "maxReceiveCount 0",
      { maxReceiveCount: 0 },
      /maxReceiveCount must be an integer from 1 to 1000 \(got 0\)/,
    ],
    [
      "a log retention CloudWatch refuses",
      { logRetentionDays: 2 as 1 },
      /logRetentionDays must be one of 1, 3, 5/,
    ],
    [
      "repeated widths",
      { renditionWidths: [320, 320] },
      /renditionWidths expected distinct rendition widths \(got \[320,320\]\)/,
    ],
    [
      "a tiny width",
      { renditionWidths: [8] },
      /renditionWidths\.0 expected each rendition width >= 16 px \(got \[8\]\)/,
    ],
    [
      "an http callback",
      { notificationBus: BUS, notificationCallbackUrl: "http://x" },
      /notificationCallbackUrl expected an https URL/,
    ],
    [
      "a callback without a bus",
      { notificationCallbackUrl: "https://x" },
      /notificationCallbackUrl needs notificationBus/,
    ],
    [
      "a lifecycle rule that does nothing",
      { lifecycleRules: [{ id: "noop" }] },
      /lifecycleRules\.0 expected at least one of expirationDays/,
    ],
  ])("refuses %s", (_case, args, message) => {
    // Act / Assess
    expect(() => new S3EventPipeline("bad", { alarmTopicArn: ALARMS, ...args })).toThrow(message);
    expect(() => new S3EventPipeline("bad", { alarmTopicArn: ALARMS, ...args })).toThrow(S3PipelineError);
  });

  it.each(["Media_Uploads", "a-name-longer-than-25-chars"])(
    "refuses the name %s, which bucket names cannot carry",
    (name) => {
      expect(() => new S3EventPipeline(name, { alarmTopicArn: ALARMS })).toThrow(
        new RegExp(`switchyard:s3-pipeline:S3EventPipeline "${name}": name must be 1-25 lower-case letters`),
      );
    },
  );
});
