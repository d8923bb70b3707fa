import * as pulumi from "@pulumi/pulumi";
import {
  outputValue,
  type PulumiMocks,
  parseJsonInput,
  type RecordedResource,
  setupPulumiMocks,
} from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";

const ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-ops";
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

let mocks: PulumiMocks;
let NotificationsApi: typeof import("../../src/notifications-api").NotificationsApi;
let api: InstanceType<typeof NotificationsApi>;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}
const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  ({ NotificationsApi } = await import("../../src/notifications-api"));
  api = new NotificationsApi("notif", {
    alarmTopicArn: ALARM_TOPIC_ARN,
    kmsKeyArn: KEY_ARN,
    stageName: "prod",
    logRetentionDays: 30,
    memorySize: 512,
    maximumConcurrency: 4,
    maxReceiveCount: 3,
    deletionProtection: true,
    pointInTimeRecovery: true,
    throttling: { rateLimit: 20, burstLimit: 40 },
    auth: {
      mode: "hs256",
      secret: pulumi.secret("s3cr3t-for-tests"),
      issuer: "https://auth.test",
      audience: "web",
    },
  });
  await mocks.settle();
});

const find = (type: string, name: string) => mocks.findResource(type, name);
const apiResource = () => find("aws:apigatewayv2/api:Api", "notif-api");

async function statementsOf(fn: string): Promise<Statement[]> {
  const policy = await find("aws:iam/rolePolicy:RolePolicy", `notif-${fn}-policy`);
  return parseJsonInput<{ Statement: Statement[] }>(policy.inputs.policy).Statement;
}

describe("WebSocket API, routes and authorizer", () => {
  it("is a WebSocket API selecting routes by $request.body.action", async () => {
    // Act
    const resource = await apiResource();

    // Assess
    expect(resource.inputs).toMatchObject({
      protocolType: "WEBSOCKET",
      routeSelectionExpression: "$request.body.action",
    });
  });

  it("declares exactly $connect, $disconnect, $default, markRead and listUnread, the authorizer on $connect only", async () => {
    // Prepare
    const authorizer = await find("aws:apigatewayv2/authorizer:Authorizer", "notif-authorizer");

    // Act
    const routes = await mocks.resourcesOfType("aws:apigatewayv2/route:Route");

    // Assess
    const byKey = Object.fromEntries(routes.map((route) => [route.inputs.routeKey as string, route.inputs]));
    expect(Object.keys(byKey).sort()).toEqual([
      "$connect",
      "$default",
      "$disconnect",
      "listUnread",
      "markRead",
    ]);
    expect(byKey.$connect).toMatchObject({ authorizationType: "CUSTOM", authorizerId: authorizer.id });
    for (const key of ["$disconnect", "$default", "markRead", "listUnread"]) {
      expect(byKey[key]?.authorizationType).toBe("NONE");
      expect(byKey[key]?.authorizerId).toBeUndefined();
    }
  });

  it("uses a REQUEST authorizer backed by the authorizer function", async () => {
    // Prepare
    const fn = await find("aws:lambda/function:Function", "notif-authorizer-function");

    // Act
    const authorizer = await find("aws:apigatewayv2/authorizer:Authorizer", "notif-authorizer");

    // Assess
    expect(authorizer.inputs).toMatchObject({
      authorizerType: "REQUEST",
      authorizerUri: fn.outputs.invokeArn,
    });
  });

  it("answers $default, markRead and listUnread as two-way routes", async () => {
    // Act
    const responses = await mocks.resourcesOfType("aws:apigatewayv2/routeResponse:RouteResponse");

    // Assess
    expect(responses.map((response) => response.name).sort()).toEqual([
      "notif-default-response",
      "notif-listUnread-response",
      "notif-markRead-response",
    ]);
  });

  it("lets API Gateway invoke each function only from this API (route on this stage, or this authorizer)", async () => {
    // Prepare
    const { outputs } = await apiResource();
    const authorizer = await find("aws:apigatewayv2/authorizer:Authorizer", "notif-authorizer");

    // Act
    const permissions = await mocks.resourcesOfType("aws:lambda/permission:Permission");

    // Assess
    const sources = permissions.map((permission) => {
      expect(permission.inputs).toMatchObject({
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
      });
      return permission.inputs.sourceArn;
    });
    const base = String(outputs.executionArn);
    expect(sources.sort()).toEqual(
      [
        `${base}/authorizers/${authorizer.id}`,
        ...["$connect", "$disconnect", "$default", "markRead", "listUnread"].map(
          (key) => `${base}/prod/${key}`,
        ),
      ].sort(),
    );
  });

  it("deploys a stage named after the environment with throttling and JSON access logs without the query string", async () => {
    // Act
    const stage = await find("aws:apigatewayv2/stage:Stage", "notif-stage");

    // Assess
    expect(stage.inputs).toMatchObject({
      name: "prod",
      defaultRouteSettings: { throttlingRateLimit: 20, throttlingBurstLimit: 40, dataTraceEnabled: false },
    });
    const logs = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
    const logGroup = await find("aws:cloudwatch/logGroup:LogGroup", "notif-access-logs");
    expect(logs.destinationArn).toBe(logGroup.outputs.arn);
    expect(logGroup.inputs.retentionInDays).toBe(30);
    expect(JSON.parse(logs.format)).toMatchObject({
      connectionId: "$context.connectionId",
      status: "$context.status",
    });
    expect(logs.format).not.toMatch(/querystring|token/i);
    expect(stage.inputs.deploymentId).toBe(
      (await find("aws:apigatewayv2/deployment:Deployment", "notif-deployment")).id,
    );
  });

  it("exposes the wss URL of the stage and the https @connections endpoint", async () => {
    // Prepare
    const { id } = await apiResource();

    // Act
    const [url, endpoint] = await Promise.all([
      outputValue(api.webSocketUrl),
      outputValue(api.connectionsEndpoint),
    ]);

    // Assess
    expect(url).toBe(`wss://${id}.execute-api.us-east-1.amazonaws.com/prod`);
    expect(endpoint).toBe(`https://${id}.execute-api.us-east-1.amazonaws.com/prod`);
    const sender = await find("aws:lambda/function:Function", "notif-sender-function");
    expect(
      (sender.inputs.environment as { variables: Record<string, string> }).variables.CONNECTIONS_ENDPOINT,
    ).toBe(endpoint);
  });
});

describe("DynamoDB table", () => {
  it("keys pk/sk with GSI1 (GSI1PK/GSI1SK), TTL, PITR, deletion protection and the CMK", async () => {
    // Act
    const table = await find("aws:dynamodb/table:Table", "notif-table");

    // Assess
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      rangeKey: "sk",
      ttl: { attributeName: "ttl", enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY_ARN },
      globalSecondaryIndexes: [
        {
          name: "GSI1",
          keySchemas: [
            { attributeName: "GSI1PK", keyType: "HASH" },
            { attributeName: "GSI1SK", keyType: "RANGE" },
          ],
          projectionType: "INCLUDE",
        },
      ],
    });
  });

  it("gives the connect function a TTL of the 2-hour cap plus a margin, at most 3 hours", async () => {
    // Act
    const fn = await find("aws:lambda/function:Function", "notif-connect-function");

    // Assess
    const ttl = Number(
      (fn.inputs.environment as { variables: Record<string, string> }).variables.CONNECTION_TTL_SECONDS,
    );
    expect(ttl).toBeGreaterThan(7200);
    expect(ttl).toBeLessThanOrEqual(10_800);
  });
});

describe("bus, rule, queue and alarms", () => {
  it("routes Send User Notification from the custom bus to the queue with a retry policy and the DLQ", async () => {
    // Prepare
    const bus = await find("aws:cloudwatch/eventBus:EventBus", "notif-bus");
    const queue = await find("aws:sqs/queue:Queue", "notif-sends-queue");
    const dlq = await find("aws:sqs/queue:Queue", "notif-sends-dlq");

    // Act
    const rule = await find("aws:cloudwatch/eventRule:EventRule", "notif-send-rule");
    const target = await find("aws:cloudwatch/eventTarget:EventTarget", "notif-send-target");

    // Assess
    expect(bus.inputs.kmsKeyIdentifier).toBe(KEY_ARN);
    expect(rule.inputs.eventBusName).toBe(bus.outputs.name);
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual({
      "detail-type": ["Send User Notification"],
      source: ["switchyard.orders", "switchyard.s3-pipeline", "switchyard.ops"],
    });
    expect(target.inputs).toMatchObject({
      arn: queue.outputs.arn,
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: dlq.outputs.arn },
    });
    expect(JSON.parse(String(queue.inputs.redrivePolicy))).toEqual({
      deadLetterTargetArn: dlq.outputs.arn,
      maxReceiveCount: 3,
    });
    expect(queue.inputs.kmsMasterKeyId).toBe(KEY_ARN);
  });

  it("consumes the queue with the sender: partial batch responses and maximum concurrency", async () => {
    // Prepare
    const sender = await find("aws:lambda/function:Function", "notif-sender-function");

    // Act
    const mapping = await find("aws:lambda/eventSourceMapping:EventSourceMapping", "notif-sender-esm");

    // Assess
    expect(mapping.inputs).toMatchObject({
      functionName: sender.outputs.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 4 },
    });
    expect(
      (sender.inputs.environment as { variables: Record<string, string> }).variables.DLQ_URL,
    ).toBeDefined();
  });

  it("alarms to the alarm topic on the DLQ and on events EventBridge dead-lettered or lost", async () => {
    // Act
    const alarms = await mocks.resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm");

    // Assess
    const metrics = alarms.map((alarm) => `${alarm.inputs.namespace}/${alarm.inputs.metricName}`);
    expect(metrics).toEqual(
      expect.arrayContaining([
        "AWS/SQS/ApproximateNumberOfMessagesVisible",
        "AWS/Events/InvocationsSentToDlq",
        "AWS/Events/InvocationsFailedToBeSentToDlq",
      ]),
    );
    for (const alarm of alarms) expect(alarm.inputs.alarmActions).toEqual([ALARM_TOPIC_ARN]);
  });

  it("alarms on the stage's server-side errors (WebSocket APIs have no 5XX metric), and on every function", async () => {
    // Act
    const alarms = await mocks.resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const api = await apiResource();
    const functions = await mocks.resourcesOfType("aws:lambda/function:Function");

    // Assess
    const onApi = alarms.filter((alarm) => alarm.inputs.namespace === "AWS/ApiGateway");
    expect(onApi.map((alarm) => [alarm.inputs.metricName, alarm.inputs.dimensions])).toEqual([
      ["IntegrationError", { ApiId: api.id, Stage: "prod" }],
      ["ExecutionError", { ApiId: api.id, Stage: "prod" }],
    ]);
    for (const fn of functions) {
      const watched = alarms
        .filter(
          (alarm) => (alarm.inputs.dimensions as Record<string, unknown>)?.FunctionName === fn.outputs.name,
        )
        .map((alarm) => alarm.inputs.metricName);
      expect(watched.sort(), fn.name).toEqual(["Errors", "Throttles"]);
    }
  });
});

describe("IAM: exact actions on exact ARNs", () => {
  const TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/notif-table";

  it.each([
    ["connect", { [TABLE]: ["dynamodb:PutItem"] }],
    ["disconnect", { [TABLE]: ["dynamodb:DeleteItem"] }],
    [
      "messages",
      {
        [TABLE]: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem (inbox#*)"],
        [`${TABLE}/index/GSI1`]: ["dynamodb:Query"],
        manage: ["execute-api:ManageConnections"],
      },
    ],
    [
      "sender",
      {
        [TABLE]: [
          "dynamodb:DeleteItem",
          "dynamodb:GetItem (inbox#*)",
          "dynamodb:PutItem (inbox#*)",
          "dynamodb:UpdateItem (inbox#*)",
        ],
        [`${TABLE}/index/GSI1`]: ["dynamodb:Query"],
        manage: ["execute-api:ManageConnections"],
      },
    ],
    ["authorizer", {}],
  ])("%s holds only its table, index and @connections grants", async (fn, expected) => {
    // Prepare
    const { outputs } = await apiResource();
    const manageArn = `${outputs.executionArn}/prod/POST/@connections/*`;

    // Act
    const statements = await statementsOf(fn);

    // Assess
    const byResource: Record<string, string[]> = {};
    for (const statement of statements) {
      for (const resource of list(statement.Resource)) {
        if (
          resource.startsWith("arn:aws:logs:") ||
          resource.startsWith("arn:aws:sqs:") ||
          resource.startsWith("arn:aws:kms:")
        )
          continue;
        // Actions bounded to partition-key prefixes (dynamodb:LeadingKeys) are shown with them.
        const keys = (statement as { Condition?: Record<string, Record<string, string[]>> }).Condition?.[
          "ForAllValues:StringLike"
        ]?.["dynamodb:LeadingKeys"];
        const key = resource === manageArn ? "manage" : resource;
        byResource[key] = [
          ...(byResource[key] ?? []),
          ...list(statement.Action).map((action) => (keys ? `${action} (${keys.join(", ")})` : action)),
        ].sort();
      }
      expect(statement.Effect).toBe("Allow");
      expect(list(statement.Action).every((action) => !action.includes("*"))).toBe(true);
    }
    expect(byResource).toEqual(expected);
  });

  it.each(["connect", "disconnect", "messages", "sender"])(
    "%s may use the table's customer-managed key through DynamoDB in this region only",
    async (fn) => {
      // Act
      const statements = await statementsOf(fn);

      // Assess
      const viaDynamo = statements.filter(
        (statement) =>
          (statement as { Condition?: Record<string, Record<string, string>> }).Condition?.StringEquals?.[
            "kms:ViaService"
          ] === "dynamodb.us-east-1.amazonaws.com",
      );
      expect(viaDynamo.map((statement) => [list(statement.Resource), list(statement.Action).sort()])).toEqual(
        [[[KEY_ARN], ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]]],
      );
    },
  );

  it("gives the authorizer the HS256 secret as a Pulumi secret, and nothing in the table", async () => {
    // Prepare
    const fn = await find("aws:lambda/function:Function", "notif-authorizer-function");

    // Act
    const environment = fn.inputs.environment as Record<string, unknown> & {
      value: { variables: Record<string, string> };
    };

    // Assess: the whole environment is recorded as a secret value (Pulumi's secret signature)
    expect(environment[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    expect(environment.value.variables).toMatchObject({
      AUTH_MODE: "hs256",
      JWT_ISSUER: "https://auth.test",
      JWT_AUDIENCE: "web",
      JWT_SECRET: "s3cr3t-for-tests",
    });
  });
});

describe("ownership", () => {
  it("parents every resource under the component, named from its name", async () => {
    // Prepare
    const component = await find("switchyard:notifications:NotificationsApi", "notif");

    // Act
    const descendants: RecordedResource[] = [];
    const walk = async (parent: RecordedResource) => {
      for (const child of await mocks.childrenOf(parent)) {
        descendants.push(child);
        await walk(child);
      }
    };
    await walk(component);

    // Assess
    expect(new Set(descendants.map((resource) => resource.urn)).size).toBe(mocks.resources.length - 1);
    for (const resource of descendants) expect(resource.name.startsWith("notif-")).toBe(true);
  });
});

describe("who may put events on the bus", () => {
  it("denies events:PutEvents to every principal but the named publishers", async () => {
    // Prepare
    const publishers = [
      "arn:aws:iam::123456789012:role/orders-customer-notifications-role",
      "arn:aws:iam::123456789012:role/s3-pipeline-renditions-role",
    ];

    // Act
    api.allowPublishers(publishers);
    await mocks.settle();

    // Assess
    const bus = await find("aws:cloudwatch/eventBus:EventBus", "notif-bus");
    const policy = await find("aws:cloudwatch/eventBusPolicy:EventBusPolicy", "notif-bus-policy");
    expect(policy.inputs.eventBusName).toBe(bus.outputs.name);
    expect(parseJsonInput(policy.inputs.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Publishers",
          Effect: "Allow",
          Principal: { AWS: publishers },
          Action: "events:PutEvents",
          Resource: bus.outputs.arn,
        },
        {
          Sid: "NobodyElse",
          Effect: "Deny",
          Principal: "*",
          Action: "events:PutEvents",
          Resource: bus.outputs.arn,
          Condition: { ArnNotEquals: { "aws:PrincipalArn": publishers } },
        },
      ],
    });
    expect(() => api.allowPublishers(publishers)).toThrow(/allowPublishers may be called once/);
  });
});

// Last in the file: the second instance's resources must not reach the tests above.
describe("custom domain", () => {
  const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666";
  let withDomain: InstanceType<typeof NotificationsApi>;
  const domainArgs = (domain: object) => ({
    alarmTopicArn: ALARM_TOPIC_ARN,
    stageName: "prod",
    auth: {
      mode: "jwks" as const,
      jwksUrl: "https://idp.test/jwks",
      issuer: "https://idp.test",
      audience: "web",
    },
    domain: domain as never,
  });

  beforeAll(async () => {
    withDomain = new NotificationsApi(
      "notifdom",
      domainArgs({ name: "ws.example.com", certificateArn: CERT, hostedZoneId: "Z0123456789ABC" }),
    );
    await mocks.settle();
  });

  it("is off by default: no domain, mapping or record, and the execute-api URL", async () => {
    expect(api.domain).toBeUndefined();
    const owned = mocks.resources.filter((r) => r.name.startsWith("notif-domain"));
    expect(owned).toEqual([]);
    expect(await outputValue(api.webSocketUrl)).toMatch(/^wss:\/\/\w+\.execute-api\./);
  });

  it("creates a regional TLS 1.2 domain with the certificate, maps the stage at its root, and aliases it", async () => {
    // Act
    const domain = await find("aws:apigatewayv2/domainName:DomainName", "notifdom-domain");
    const mapping = await find("aws:apigatewayv2/apiMapping:ApiMapping", "notifdom-domain-mapping");
    const record = await find("aws:route53/record:Record", "notifdom-domain-record");
    const apiId = (await find("aws:apigatewayv2/api:Api", "notifdom-api")).id;
    const target = await outputValue(withDomain.domain?.domainName.domainNameConfiguration);

    // Assess
    expect(domain.inputs).toMatchObject({
      domainName: "ws.example.com",
      domainNameConfiguration: { certificateArn: CERT, endpointType: "REGIONAL", securityPolicy: "TLS_1_2" },
    });
    expect(mapping.inputs).toMatchObject({ apiId, domainName: "ws.example.com", stage: "prod" });
    expect(mapping.inputs.apiMappingKey).toBeUndefined();
    expect(record.inputs).toMatchObject({
      zoneId: "Z0123456789ABC",
      name: "ws.example.com",
      type: "A",
      aliases: [
        { name: target?.targetDomainName, zoneId: target?.hostedZoneId, evaluateTargetHealth: false },
      ],
    });
    expect(target?.targetDomainName).toMatch(/^d-\w+\.execute-api\.us-east-1\.amazonaws\.com$/);
    for (const resource of [domain, mapping, record]) {
      expect(resource.parentUrn).toContain("NotificationsApi::notifdom");
    }
  });

  it("puts the WebSocket URL on the custom domain; functions keep the execute-api @connections endpoint", async () => {
    const [url, endpoint] = await Promise.all([
      outputValue(withDomain.webSocketUrl),
      outputValue(withDomain.connectionsEndpoint),
    ]);
    expect(url).toBe("wss://ws.example.com");
    expect(endpoint).toMatch(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod$/);
  });

  it("creates no record without a hosted zone", async () => {
    new NotificationsApi("notifnozone", domainArgs({ name: "ws2.example.com", certificateArn: CERT }));
    await mocks.settle();
    await find("aws:apigatewayv2/domainName:DomainName", "notifnozone-domain");
    const records = mocks.resources.filter((r) => r.name === "notifnozone-domain-record");
    expect(records).toEqual([]);
  });

  it.each([
    [{ name: "*.example.com", certificateArn: CERT }, "domain.name must be a lower-case host name"],
    [{ name: "ws.example.com" }, "domain.certificateArn is required"],
    [
      { name: "ws.example.com", certificateArn: "cert-1" },
      "domain.certificateArn must be an ACM certificate ARN",
    ],
    [
      { name: "ws.example.com", certificateArn: CERT, hostedZoneId: "example.com" },
      "domain.hostedZoneId must be a Route 53 hosted zone id",
    ],
  ])("refuses %j, naming the component and the field", (domain, message) => {
    const act = () => new NotificationsApi("bad", domainArgs(domain));
    expect(act).toThrow(`switchyard:notifications:NotificationsApi "bad": ${message}`);
  });
});
