import * as pulumi from "@pulumi/pulumi";
import { awsCli, requireAwsCli } from "@switchyard/testing/aws-cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allEmulators } from "../src/emulators";
import { Engine } from "../src/engine";
import type { LocalResource } from "../src/types";

// Fields AWS added after CLI 2.9 (January 2023) are served but dropped by that CLI's parser, so these tests
// do not look for them: Lambda LoggingConfig, PITR RecoveryPeriodInDays, an event bus's Description.

/** Each CLI call starts a Python process: on a loaded 2-core machine several take seconds each. */
const CLI_TIMEOUT = { timeout: 240_000 };

/**
 * The reads a CLI user runs to look around, with Debian's AWS CLI v2 against a running engine: Lambda,
 * API Gateway v2, S3 bucket configuration, DynamoDB, SNS and EventBridge, each answering what the program
 * declared in AWS's shapes, and every operation the local cloud does not serve refused by name.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function res(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
  id?: string,
): LocalResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::switchyard::${type}::${name}`,
    custom: true,
    inputs,
    outputs,
    ...(id !== undefined ? { id } : {}),
  } as LocalResource;
}

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
const API = "a1b2c3d4e5";

const RESOURCES: LocalResource[] = [
  res(
    "aws:sqs/queue:Queue",
    "orders-queue",
    { visibilityTimeoutSeconds: 60 },
    {
      name: "orders-queue",
      arn: queueArn("orders-queue"),
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/orders-queue`,
    },
  ),
  res(
    "aws:sqs/queue:Queue",
    "orders-dlq",
    {},
    {
      name: "orders-dlq",
      arn: queueArn("orders-dlq"),
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/orders-dlq`,
    },
  ),
  res(
    "aws:lambda/function:Function",
    "orders-worker-function",
    {
      architectures: ["arm64"],
      code: new pulumi.asset.AssetArchive({
        "index.mjs": new pulumi.asset.StringAsset("export const handler = async () => ({ ok: true });"),
      }),
      environment: { variables: { POWERTOOLS_SERVICE_NAME: "orders" } },
      handler: "index.handler",
      loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/orders-worker" },
      memorySize: 256,
      role: `arn:aws:iam::${ACCOUNT}:role/orders-worker-role`,
      runtime: "nodejs22.x",
      timeout: 30,
      reservedConcurrentExecutions: 4,
      tracingConfig: { mode: "Active" },
      deadLetterConfig: { targetArn: queueArn("orders-dlq") },
    },
    { name: "orders-worker", arn: fnArn("orders-worker") },
    "orders-worker",
  ),
  res(
    "aws:lambda/function:Function",
    "lonely-function",
    {
      code: new pulumi.asset.AssetArchive({
        "index.mjs": new pulumi.asset.StringAsset("export const handler = async () => null;"),
      }),
      handler: "index.handler",
      runtime: "nodejs22.x",
    },
    { name: "lonely", arn: fnArn("lonely") },
    "lonely",
  ),
  res(
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "orders-esm",
    {
      batchSize: 5,
      enabled: false,
      eventSourceArn: queueArn("orders-queue"),
      functionName: fnArn("orders-worker"),
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 2 },
    },
    { uuid: "6f1e2d3c-0000-4000-8000-000000000001" },
  ),
  res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "orders-worker-invoke-config", {
    functionName: "orders-worker",
    maximumRetryAttempts: 1,
    maximumEventAgeInSeconds: 3600,
    destinationConfig: { onFailure: { destination: queueArn("orders-dlq") } },
  }),
  res("aws:lambda/permission:Permission", "orders-worker-from-sns", {
    action: "lambda:InvokeFunction",
    function: "orders-worker",
    principal: "sns.amazonaws.com",
    sourceArn: topicArn("orders-events"),
    statementId: "AllowSns",
  }),
  res(
    "aws:apigatewayv2/api:Api",
    "n-api",
    { protocolType: "WEBSOCKET", routeSelectionExpression: "$request.body.action", name: "notifications" },
    {},
    API,
  ),
  res(
    "aws:apigatewayv2/authorizer:Authorizer",
    "n-authorizer",
    {
      apiId: API,
      authorizerType: "REQUEST",
      authorizerUri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn("orders-worker")}/invocations`,
      name: "n-jwt",
    },
    {},
    "auth01",
  ),
  res(
    "aws:apigatewayv2/integration:Integration",
    "n-integration",
    {
      apiId: API,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn("orders-worker")}/invocations`,
    },
    {},
    "int001",
  ),
  res(
    "aws:apigatewayv2/route:Route",
    "n-connect",
    {
      apiId: API,
      routeKey: "$connect",
      target: "integrations/int001",
      authorizationType: "CUSTOM",
      authorizerId: "auth01",
    },
    {},
    "route01",
  ),
  res(
    "aws:apigatewayv2/deployment:Deployment",
    "n-deployment",
    { apiId: API, description: "routes" },
    {},
    "dep001",
  ),
  res(
    "aws:apigatewayv2/stage:Stage",
    "n-stage",
    {
      apiId: API,
      name: "dev",
      deploymentId: "dep001",
      defaultRouteSettings: {
        throttlingBurstLimit: 40,
        throttlingRateLimit: 20,
        detailedMetricsEnabled: true,
      },
    },
    { name: "dev" },
    "dev",
  ),
  res(
    "aws:s3/bucket:Bucket",
    "s3-pipeline-uploads",
    { tags: { service: "s3-pipeline" } },
    { bucket: "s3-pipeline-uploads-1a2b3c4" },
  ),
  res("aws:s3/bucket:Bucket", "media-plain", {}, { bucket: "media-plain-5d6e7f8" }),
  res("aws:s3/bucketV2:BucketV2", "media-notify", {}, { bucket: "media-notify-0a0b0c0" }),
  res("aws:s3/bucketNotification:BucketNotification", "s3-pipeline-uploads-notification", {
    bucket: "s3-pipeline-uploads-1a2b3c4",
    queues: [
      {
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "uploads/",
        filterSuffix: ".jpg",
        id: "uploads-to-queue",
        queueArn: queueArn("orders-queue"),
      },
    ],
  }),
  res(
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    "s3-pipeline-uploads-lifecycle",
    {
      bucket: "s3-pipeline-uploads-1a2b3c4",
      rules: [
        {
          id: "expire-uploads",
          status: "Enabled",
          filter: { prefix: "uploads/" },
          expiration: { days: 7 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    },
  ),
  res("aws:s3/bucketPolicy:BucketPolicy", "s3-pipeline-uploads-policy", {
    bucket: "s3-pipeline-uploads-1a2b3c4",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [
            "arn:aws:s3:::s3-pipeline-uploads-1a2b3c4",
            "arn:aws:s3:::s3-pipeline-uploads-1a2b3c4/*",
          ],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  }),
  res("aws:s3/bucketVersioningV2:BucketVersioningV2", "s3-pipeline-uploads-versioning", {
    bucket: "s3-pipeline-uploads-1a2b3c4",
    versioningConfiguration: { status: "Enabled" },
  }),
  res(
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "s3-pipeline-uploads-sse",
    {
      bucket: "s3-pipeline-uploads-1a2b3c4",
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/media" },
          bucketKeyEnabled: true,
        },
      ],
    },
  ),
  res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "s3-pipeline-uploads-pab", {
    bucket: "s3-pipeline-uploads-1a2b3c4",
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  }),
  res(
    "aws:dynamodb/table:Table",
    "orders-state",
    {
      attributes: [{ name: "orderId", type: "S" }],
      hashKey: "orderId",
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: { enabled: true },
      ttl: { attributeName: "expiresAt", enabled: true },
    },
    { name: "orders-state", arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-state` },
    "orders-state",
  ),
  res(
    "aws:dynamodb/table:Table",
    "orders-plain",
    { attributes: [{ name: "pk", type: "S" }], hashKey: "pk", billingMode: "PAY_PER_REQUEST" },
    { name: "orders-plain", arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-plain` },
    "orders-plain",
  ),
  res(
    "aws:sns/topic:Topic",
    "orders-events-topic",
    { kmsMasterKeyId: "alias/aws/sns", displayName: "Orders" },
    { name: "orders-events", arn: topicArn("orders-events") },
    topicArn("orders-events"),
  ),
  res(
    "aws:sns/topicSubscription:TopicSubscription",
    "orders-events-queue",
    {
      topic: topicArn("orders-events"),
      protocol: "sqs",
      endpoint: queueArn("orders-queue"),
      rawMessageDelivery: true,
      filterPolicy: JSON.stringify({ kind: ["order"] }),
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("orders-dlq") }),
    },
    { arn: `${topicArn("orders-events")}:11111111-2222-3333-4444-555555555555` },
    `${topicArn("orders-events")}:11111111-2222-3333-4444-555555555555`,
  ),
  res(
    "aws:cloudwatch/eventBus:EventBus",
    "orders-bus",
    { name: "orders-bus", description: "Orders" },
    { name: "orders-bus", arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders-bus` },
  ),
  res(
    "aws:cloudwatch/eventRule:EventRule",
    "orders-placed",
    {
      eventBusName: "orders-bus",
      eventPattern: JSON.stringify({ source: ["orders"] }),
      description: "placed",
    },
    { name: "orders-placed", arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders-bus/orders-placed` },
  ),
  res("aws:cloudwatch/eventTarget:EventTarget", "orders-placed-queue", {
    rule: "orders-placed",
    eventBusName: "orders-bus",
    arn: queueArn("orders-queue"),
    targetId: "to-queue",
    deadLetterConfig: { arn: queueArn("orders-dlq") },
    retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 },
  }),
  res(
    "aws:cloudwatch/eventArchive:EventArchive",
    "orders-archive",
    {
      name: "orders-archive",
      eventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders-bus`,
      retentionDays: 7,
    },
    { name: "orders-archive", arn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/orders-archive` },
  ),
];

let engine: Engine;
let aws: ReturnType<typeof awsCli>;

beforeAll(async () => {
  requireAwsCli();
  engine = await Engine.listen({ emulators: allEmulators(), log: quiet });
  await engine.provision(RESOURCES);
  aws = awsCli(engine.endpoint);
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

describe("Lambda reads (aws lambda)", CLI_TIMEOUT, () => {
  it("lists functions and gets one, with its configuration as Lambda reports it", async () => {
    const [list, got, config] = await Promise.all([
      aws("lambda", "list-functions"),
      aws("lambda", "get-function", "--function-name", "orders-worker"),
      aws("lambda", "get-function-configuration", "--function-name", fnArn("orders-worker")),
    ]);
    const functions = list.Functions as Array<Record<string, unknown>>;
    expect(functions.map((fn) => fn.FunctionName).sort()).toEqual(["lonely", "orders-worker"]);
    expect(config).toMatchObject({
      FunctionName: "orders-worker",
      FunctionArn: fnArn("orders-worker"),
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Role: `arn:aws:iam::${ACCOUNT}:role/orders-worker-role`,
      Timeout: 30,
      MemorySize: 256,
      Version: "$LATEST",
      State: "Active",
      PackageType: "Zip",
      Architectures: ["arm64"],
      TracingConfig: { Mode: "Active" },
      DeadLetterConfig: { TargetArn: queueArn("orders-dlq") },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: "orders" } },
    });
    expect(config.CodeSize).toBeGreaterThan(0);
    expect(config.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(got).toMatchObject({
      Configuration: { FunctionName: "orders-worker", CodeSha256: config.CodeSha256 },
      Code: { RepositoryType: "S3" },
      Concurrency: { ReservedConcurrentExecutions: 4 },
    });
  });

  it("lists and gets event source mappings, and answers GetPolicy from the permissions", async () => {
    const [mappings, byFunction, one, policy] = await Promise.all([
      aws("lambda", "list-event-source-mappings"),
      aws("lambda", "list-event-source-mappings", "--function-name", "orders-worker"),
      aws("lambda", "get-event-source-mapping", "--uuid", "6f1e2d3c-0000-4000-8000-000000000001"),
      aws("lambda", "get-policy", "--function-name", "orders-worker"),
    ]);
    const expected = {
      UUID: "6f1e2d3c-0000-4000-8000-000000000001",
      BatchSize: 5,
      EventSourceArn: queueArn("orders-queue"),
      FunctionArn: fnArn("orders-worker"),
      State: "Disabled",
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    };
    expect(mappings.EventSourceMappings).toEqual([expect.objectContaining(expected)]);
    expect(byFunction.EventSourceMappings).toEqual([expect.objectContaining(expected)]);
    expect(one).toMatchObject(expected);
    expect(JSON.parse(String(policy.Policy))).toEqual({
      Version: "2012-10-17",
      Id: "default",
      Statement: [
        {
          Sid: "AllowSns",
          Effect: "Allow",
          Principal: { Service: "sns.amazonaws.com" },
          Action: "lambda:InvokeFunction",
          Resource: fnArn("orders-worker"),
          Condition: { ArnLike: { "AWS:SourceArn": topicArn("orders-events") } },
        },
      ],
    });
  });

  it("reads a function's failure handling: get-function-event-invoke-config, list-function-event-invoke-configs", async () => {
    const [one, list, none, missing] = await Promise.all([
      aws("lambda", "get-function-event-invoke-config", "--function-name", "orders-worker"),
      aws("lambda", "list-function-event-invoke-configs", "--function-name", fnArn("orders-worker")),
      aws("lambda", "list-function-event-invoke-configs", "--function-name", "lonely"),
      aws.fails("lambda", "get-function-event-invoke-config", "--function-name", "lonely"),
    ]);
    const expected = {
      FunctionArn: `${fnArn("orders-worker")}:$LATEST`,
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: queueArn("orders-dlq") } },
    };
    expect(one).toMatchObject(expected);
    expect(one.LastModified).toBeDefined();
    expect(list.FunctionEventInvokeConfigs).toEqual([expect.objectContaining(expected)]);
    expect(none.FunctionEventInvokeConfigs).toEqual([]);
    expect(missing).toContain("(ResourceNotFoundException)");
    expect(missing).toContain(`The function ${fnArn("lonely")} doesn't have an EventInvokeConfig`);
  });

  it("answers Lambda's errors for what does not exist, and names what it does not serve", async () => {
    const [missing, noPolicy, noMapping, alias] = await Promise.all([
      aws.fails("lambda", "get-function", "--function-name", "nope"),
      aws.fails("lambda", "get-policy", "--function-name", "lonely"),
      aws.fails("lambda", "get-event-source-mapping", "--uuid", "00000000-0000-0000-0000-000000000000"),
      aws.fails("lambda", "get-alias", "--function-name", "lonely", "--name", "live"),
    ]);
    expect(missing).toContain("(ResourceNotFoundException)");
    expect(missing).toContain(`Function not found: ${fnArn("nope")}`);
    expect(noPolicy).toContain("(ResourceNotFoundException)");
    expect(noMapping).toContain("(ResourceNotFoundException)");
    expect(alias).toContain("(NotImplemented)");
    expect(alias).toContain("the local cloud does not emulate lambda:GetAlias");
  });
});

describe("API Gateway v2 reads (aws apigatewayv2)", CLI_TIMEOUT, () => {
  it("gets the APIs, routes, integrations, authorizers and stages the program declared", async () => {
    const [apis, api, routes, integrations, authorizers, stages] = await Promise.all([
      aws("apigatewayv2", "get-apis"),
      aws("apigatewayv2", "get-api", "--api-id", API),
      aws("apigatewayv2", "get-routes", "--api-id", API),
      aws("apigatewayv2", "get-integrations", "--api-id", API),
      aws("apigatewayv2", "get-authorizers", "--api-id", API),
      aws("apigatewayv2", "get-stages", "--api-id", API),
    ]);
    const expectedApi = {
      ApiId: API,
      Name: "notifications",
      ProtocolType: "WEBSOCKET",
      RouteSelectionExpression: "$request.body.action",
      ApiEndpoint: `${engine.endpoint.replace(/^http/, "ws")}/ws/${API}`,
    };
    expect(apis.Items).toEqual([expect.objectContaining(expectedApi)]);
    expect(api).toMatchObject(expectedApi);
    expect(routes.Items).toEqual([
      expect.objectContaining({
        RouteId: "route01",
        RouteKey: "$connect",
        Target: "integrations/int001",
        AuthorizationType: "CUSTOM",
        AuthorizerId: "auth01",
      }),
    ]);
    expect(integrations.Items).toEqual([
      expect.objectContaining({
        IntegrationId: "int001",
        IntegrationType: "AWS_PROXY",
        IntegrationMethod: "POST",
      }),
    ]);
    expect(authorizers.Items).toEqual([
      expect.objectContaining({ AuthorizerId: "auth01", AuthorizerType: "REQUEST", Name: "n-jwt" }),
    ]);
    expect(stages.Items).toEqual([
      expect.objectContaining({
        StageName: "dev",
        DeploymentId: "dep001",
        DefaultRouteSettings: expect.objectContaining({ ThrottlingBurstLimit: 40, ThrottlingRateLimit: 20 }),
      }),
    ]);
  });

  it("answers NotFoundException for an unknown API and names what it does not serve", async () => {
    const [missing, create] = await Promise.all([
      aws.fails("apigatewayv2", "get-api", "--api-id", "nope"),
      aws.fails("apigatewayv2", "create-api", "--name", "x", "--protocol-type", "HTTP"),
    ]);
    expect(missing).toContain("(NotFoundException)");
    expect(create).toContain("the local cloud does not emulate apigateway:CreateApi");
  });
});

describe("S3 bucket configuration reads (aws s3api)", CLI_TIMEOUT, () => {
  const BUCKET = "s3-pipeline-uploads-1a2b3c4";

  it("lists buckets and reads each configuration the program declared", async () => {
    const [buckets, notification, lifecycle, policy, versioning, encryption, block] = await Promise.all([
      aws("s3api", "list-buckets"),
      aws("s3api", "get-bucket-notification-configuration", "--bucket", BUCKET),
      aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", BUCKET),
      aws("s3api", "get-bucket-policy", "--bucket", BUCKET),
      aws("s3api", "get-bucket-versioning", "--bucket", BUCKET),
      aws("s3api", "get-bucket-encryption", "--bucket", BUCKET),
      aws("s3api", "get-public-access-block", "--bucket", BUCKET),
    ]);
    expect((buckets.Buckets as Array<{ Name: string }>).map((b) => b.Name).sort()).toEqual([
      "media-notify-0a0b0c0",
      "media-plain-5d6e7f8",
      BUCKET,
    ]);
    expect(notification).toEqual({
      QueueConfigurations: [
        {
          Id: "uploads-to-queue",
          QueueArn: queueArn("orders-queue"),
          Events: ["s3:ObjectCreated:*"],
          Filter: {
            Key: {
              FilterRules: [
                { Name: "Prefix", Value: "uploads/" },
                { Name: "Suffix", Value: ".jpg" },
              ],
            },
          },
        },
      ],
    });
    expect(lifecycle).toEqual({
      Rules: [
        {
          ID: "expire-uploads",
          Filter: { Prefix: "uploads/" },
          Status: "Enabled",
          Expiration: { Days: 7 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
    expect(JSON.parse(String(policy.Policy)).Statement[0].Sid).toBe("DenyInsecureTransport");
    expect(versioning).toEqual({ Status: "Enabled" });
    expect(encryption).toEqual({
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/media" },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
    expect(block).toEqual({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it("answers S3's defaults and 404s for a bucket without configuration, and names what it does not serve", async () => {
    const PLAIN = "media-plain-5d6e7f8";
    const [notification, versioning, encryption, lifecycle, policy, block, analytics] = await Promise.all([
      aws("s3api", "get-bucket-notification-configuration", "--bucket", PLAIN),
      aws("s3api", "get-bucket-versioning", "--bucket", PLAIN),
      aws("s3api", "get-bucket-encryption", "--bucket", PLAIN),
      aws.fails("s3api", "get-bucket-lifecycle-configuration", "--bucket", PLAIN),
      aws.fails("s3api", "get-bucket-policy", "--bucket", PLAIN),
      aws.fails("s3api", "get-public-access-block", "--bucket", PLAIN),
      aws.fails("s3api", "get-bucket-analytics-configuration", "--bucket", PLAIN, "--id", "a"),
    ]);
    expect(notification).toEqual({});
    expect(versioning).toEqual({});
    expect(encryption).toMatchObject({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }],
      },
    });
    expect(lifecycle).toContain("(NoSuchLifecycleConfiguration)");
    expect(policy).toContain("(NoSuchBucketPolicy)");
    expect(block).toContain("(NoSuchPublicAccessBlockConfiguration)");
    expect(analytics).toContain("(NotImplemented)");
    expect(analytics).toContain("the local cloud does not emulate s3:GetBucketAnalyticsConfiguration");
  });
});

describe("DynamoDB reads (aws dynamodb)", CLI_TIMEOUT, () => {
  it("lists and describes tables, TTL and continuous backups", async () => {
    const [tables, table, ttl, backups, plainBackups] = await Promise.all([
      aws("dynamodb", "list-tables"),
      aws("dynamodb", "describe-table", "--table-name", "orders-state"),
      aws("dynamodb", "describe-time-to-live", "--table-name", "orders-state"),
      aws("dynamodb", "describe-continuous-backups", "--table-name", "orders-state"),
      aws("dynamodb", "describe-continuous-backups", "--table-name", "orders-plain"),
    ]);
    expect(tables.TableNames).toEqual(["orders-plain", "orders-state"]);
    expect(table).toMatchObject({
      Table: { TableName: "orders-state", KeySchema: [{ AttributeName: "orderId", KeyType: "HASH" }] },
    });
    expect(ttl).toEqual({
      TimeToLiveDescription: { TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" },
    });
    expect(backups).toMatchObject({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: "ENABLED",
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "ENABLED" },
      },
    });
    expect(plainBackups).toEqual({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: "ENABLED",
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "DISABLED" },
      },
    });
  });

  it("answers TableNotFoundException for a missing table and names what it does not serve", async () => {
    const [missing, limits] = await Promise.all([
      aws.fails("dynamodb", "describe-continuous-backups", "--table-name", "nope"),
      aws.fails("dynamodb", "describe-limits"),
    ]);
    expect(missing).toContain("(TableNotFoundException)");
    expect(missing).toContain("Table not found: nope");
    expect(limits).toContain("(UnknownOperationException)");
    expect(limits).toContain("the local cloud does not emulate dynamodb:DescribeLimits");
  });
});

describe("SNS reads (aws sns)", CLI_TIMEOUT, () => {
  const TOPIC = topicArn("orders-events");
  const SUBSCRIPTION = `${TOPIC}:11111111-2222-3333-4444-555555555555`;

  it("lists topics and subscriptions and reads their attributes", async () => {
    const [topics, attributes, subscriptions, byTopic, subscription] = await Promise.all([
      aws("sns", "list-topics"),
      aws("sns", "get-topic-attributes", "--topic-arn", TOPIC),
      aws("sns", "list-subscriptions"),
      aws("sns", "list-subscriptions-by-topic", "--topic-arn", TOPIC),
      aws("sns", "get-subscription-attributes", "--subscription-arn", SUBSCRIPTION),
    ]);
    expect(topics.Topics).toContainEqual({ TopicArn: TOPIC });
    expect(attributes.Attributes).toMatchObject({
      TopicArn: TOPIC,
      Owner: ACCOUNT,
      DisplayName: "Orders",
      KmsMasterKeyId: "alias/aws/sns",
      SubscriptionsConfirmed: "1",
    });
    const member = {
      SubscriptionArn: SUBSCRIPTION,
      Owner: ACCOUNT,
      Protocol: "sqs",
      Endpoint: queueArn("orders-queue"),
      TopicArn: TOPIC,
    };
    expect(subscriptions.Subscriptions).toContainEqual(member);
    expect(byTopic.Subscriptions).toEqual([member]);
    expect(subscription.Attributes).toMatchObject({
      SubscriptionArn: SUBSCRIPTION,
      RawMessageDelivery: "true",
      FilterPolicy: JSON.stringify({ kind: ["order"] }),
      FilterPolicyScope: "MessageAttributes",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn("orders-dlq") }),
      PendingConfirmation: "false",
    });
  });

  it("answers NotFound for a missing topic and names what it does not serve", async () => {
    const [missing, platform] = await Promise.all([
      aws.fails("sns", "get-topic-attributes", "--topic-arn", topicArn("nope")),
      aws.fails("sns", "list-platform-applications"),
    ]);
    expect(missing).toContain("(NotFound)");
    expect(platform).toContain("(InvalidAction)");
    expect(platform).toContain("the local cloud does not emulate sns:ListPlatformApplications");
  });
});

describe("EventBridge reads (aws events)", CLI_TIMEOUT, () => {
  it("lists and describes buses, rules, targets and archives", async () => {
    const [buses, bus, rules, rule, targets, archives, archive] = await Promise.all([
      aws("events", "list-event-buses"),
      aws("events", "describe-event-bus", "--name", "orders-bus"),
      aws("events", "list-rules", "--event-bus-name", "orders-bus"),
      aws("events", "describe-rule", "--name", "orders-placed", "--event-bus-name", "orders-bus"),
      aws("events", "list-targets-by-rule", "--rule", "orders-placed", "--event-bus-name", "orders-bus"),
      aws("events", "list-archives"),
      aws("events", "describe-archive", "--archive-name", "orders-archive"),
    ]);
    const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders-bus`;
    expect((buses.EventBuses as Array<{ Name: string }>).map((b) => b.Name).sort()).toEqual([
      "default",
      "orders-bus",
    ]);
    expect(bus).toMatchObject({ Name: "orders-bus", Arn: busArn });
    const expectedRule = {
      Name: "orders-placed",
      Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders-bus/orders-placed`,
      EventPattern: JSON.stringify({ source: ["orders"] }),
      State: "ENABLED",
      EventBusName: "orders-bus",
    };
    expect(rules.Rules).toEqual([expect.objectContaining(expectedRule)]);
    expect(rule).toMatchObject(expectedRule);
    expect(targets.Targets).toEqual([
      {
        Id: "to-queue",
        Arn: queueArn("orders-queue"),
        DeadLetterConfig: { Arn: queueArn("orders-dlq") },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
      },
    ]);
    expect(archives.Archives).toEqual([
      expect.objectContaining({ ArchiveName: "orders-archive", EventSourceArn: busArn, State: "ENABLED" }),
    ]);
    expect(archive).toMatchObject({
      ArchiveArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/orders-archive`,
      RetentionDays: 7,
      EventCount: 0,
    });
  });

  it("answers ResourceNotFoundException for a missing rule and names what it does not serve", async () => {
    const [missing, connections] = await Promise.all([
      aws.fails("events", "describe-rule", "--name", "nope", "--event-bus-name", "orders-bus"),
      aws.fails("events", "list-connections"),
    ]);
    expect(missing).toContain("(ResourceNotFoundException)");
    expect(missing).toContain("Rule nope does not exist on EventBus orders-bus.");
    expect(connections).toContain("(UnknownOperationException)");
    expect(connections).toContain("the local cloud does not emulate events:ListConnections");
  });
});
