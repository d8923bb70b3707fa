import { type PulumiMocks, type RecordedResource, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiGatewayAccount, IngressApi, type IngressApiArgs } from "../src/index";
import { ALARM_TOPIC_ARN, argDocProblems, fixtureHandler, listOf, statementsOf } from "./helpers";

const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests";
let mocks: PulumiMocks;

const base = (overrides: Partial<IngressApiArgs> = {}): IngressApiArgs => ({
  alarmTopicArn: ALARM_TOPIC_ARN,
  stageName: "dev",
  serviceName: "sms-throttle",
  auth: { mode: "hs256", secret: "s3cret", issuer: "switchyard-local", audience: "app" },
  authorizerEntry: fixtureHandler,
  routes: [
    {
      routeKey: "POST /sms",
      entry: fixtureHandler,
      environment: { TOPIC_ARN },
      grants: [{ actions: ["sns:Publish"], resources: [TOPIC_ARN] }],
      maxBodyBytes: 16_384,
    },
  ],
  ...overrides,
});

let account: ApiGatewayAccount;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  account = new ApiGatewayAccount("apigw-account", {});
  new IngressApi("ing", {
    ...base(),
    accountLogging: account,
    throttling: { rateLimit: 20, burstLimit: 40 },
    perClient: { ratePerSecond: 2, burst: 5 },
  });
  await mocks.settle();
});

const find = (type: string, name: string): Promise<RecordedResource> => mocks.findResource(type, name);

describe("IngressApi", () => {
  it("documents every arg, with @default on the optional ones", () => {
    expect(argDocProblems("ingress-api.ts", "IngressApiArgs")).toEqual([]);
    expect(argDocProblems("ingress-api.ts", "IngressRoute")).toEqual([]);
  });

  it("is an HTTP API whose route runs behind the Lambda REQUEST authorizer, cached per Authorization header", async () => {
    const api = await find("aws:apigatewayv2/api:Api", "ing-api");
    expect(api.inputs.protocolType).toBe("HTTP");
    const authorizer = await find("aws:apigatewayv2/authorizer:Authorizer", "ing-authorizer");
    expect(authorizer.inputs).toMatchObject({
      authorizerType: "REQUEST",
      authorizerPayloadFormatVersion: "2.0",
      enableSimpleResponses: true,
      identitySources: ["$request.header.Authorization"],
      authorizerResultTtlInSeconds: 300,
    });
    const route = await find("aws:apigatewayv2/route:Route", "ing-post-sms-route");
    expect(route.inputs).toMatchObject({ routeKey: "POST /sms", authorizationType: "CUSTOM" });
    expect(route.inputs.authorizerId).toBe(authorizer.id);
    const integration = await find("aws:apigatewayv2/integration:Integration", "ing-post-sms-integration");
    expect(integration.inputs).toMatchObject({ integrationType: "AWS_PROXY", payloadFormatVersion: "2.0" });
    expect(route.inputs.target).toBe(`integrations/${integration.id}`);
  });

  it("gives the authorizer the verifier's config, the environment holding the token secret as a secret", async () => {
    const fn = await find("aws:lambda/function:Function", "ing-authorizer-function");
    // Pulumi's wire form of a secret: { <signature key>: <secret signature>, value }.
    const wrapped = fn.inputs.environment as Record<string, unknown>;
    expect(wrapped["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
    const variables = (wrapped.value as { variables: Record<string, unknown> }).variables;
    expect(variables).toMatchObject({
      AUTH_MODE: "hs256",
      JWT_ISSUER: "switchyard-local",
      JWT_AUDIENCE: "app",
      JWT_SECRET: "s3cret",
    });
  });

  it("throttles the stage as a backstop and each client in the function", async () => {
    const stage = await find("aws:apigatewayv2/stage:Stage", "ing-stage");
    expect(stage.inputs).toMatchObject({
      name: "dev",
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
    });
    const fn = await find("aws:lambda/function:Function", "ing-post-sms-function");
    const variables = (fn.inputs.environment as { variables: Record<string, unknown> }).variables;
    expect(variables).toMatchObject({
      CLIENT_RATE_PER_SECOND: "2",
      CLIENT_BURST: "5",
      MAX_BODY_BYTES: "16384",
      TOPIC_ARN,
    });
    expect(typeof variables.INGRESS_TABLE).toBe("string");
  });

  it("logs access without headers, after the account's logging role, into a retained log group", async () => {
    const stage = await find("aws:apigatewayv2/stage:Stage", "ing-stage");
    const logs = await find("aws:cloudwatch/logGroup:LogGroup", "ing-access-logs");
    const settings = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
    expect(settings.destinationArn).toBe(logs.outputs.arn);
    const format = JSON.parse(settings.format) as Record<string, string>;
    expect(format).toMatchObject({ status: "$context.status", clientId: "$context.authorizer.clientId" });
    expect(settings.format).not.toMatch(/header/i);
    expect(logs.inputs.retentionInDays).toBe(14);
    // dependsOn a component waits for its children: the account setting and its role.
    expect((stage.dependencies ?? []).some((urn) => /apigw-account/.test(urn))).toBe(true);
  });

  it("alarms on 4xx and 5xx of the stage", async () => {
    const clientErrors = await find("aws:cloudwatch/metricAlarm:MetricAlarm", "ing-client-errors-alarm");
    const serverErrors = await find("aws:cloudwatch/metricAlarm:MetricAlarm", "ing-server-errors-alarm");
    const api = await find("aws:apigatewayv2/api:Api", "ing-api");
    for (const [alarm, metric, threshold] of [
      [clientErrors, "4xx", 50],
      [serverErrors, "5xx", 1],
    ] as const) {
      expect(alarm.inputs).toMatchObject({ namespace: "AWS/ApiGateway", metricName: metric, threshold });
      expect(alarm.inputs.dimensions).toEqual({ ApiId: api.id, Stage: "dev" });
      expect(alarm.inputs.alarmActions).toEqual([ALARM_TOPIC_ARN]);
    }
  });

  it("lets API Gateway invoke each function from this API's route or authorizer only", async () => {
    const api = await find("aws:apigatewayv2/api:Api", "ing-api");
    const authorizer = await find("aws:apigatewayv2/authorizer:Authorizer", "ing-authorizer");
    const route = await find("aws:lambda/permission:Permission", "ing-post-sms-invoke");
    expect(route.inputs).toMatchObject({
      principal: "apigateway.amazonaws.com",
      sourceArn: `${api.outputs.executionArn}/dev/POST/sms`,
    });
    const auth = await find("aws:lambda/permission:Permission", "ing-authorizer-invoke");
    expect(auth.inputs.sourceArn).toBe(`${api.outputs.executionArn}/authorizers/${authorizer.id}`);
  });

  it("grants the route function exactly its publish and its table items, the authorizer nothing", async () => {
    const policy = await find("aws:iam/rolePolicy:RolePolicy", "ing-post-sms-policy");
    const table = await find("aws:dynamodb/table:Table", "ing-state");
    const statements = statementsOf(policy);
    const actions = statements.flatMap((s) => listOf(s.Action));
    expect(statements.find((s) => listOf(s.Action).includes("sns:Publish"))?.Resource).toEqual(TOPIC_ARN);
    const dynamo = statements.find((s) => listOf(s.Action).includes("dynamodb:PutItem"));
    expect(listOf(dynamo?.Resource)).toEqual([table.outputs.arn]);
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]);
    const authorizerPolicy = await find("aws:iam/rolePolicy:RolePolicy", "ing-authorizer-policy");
    const authorizerActions = statementsOf(authorizerPolicy).flatMap((s) => listOf(s.Action));
    expect(authorizerActions.some((a) => a.startsWith("dynamodb:") || a.startsWith("sns:"))).toBe(false);
  });

  it("keeps idempotency records and rate items in a table with TTL on expiration", async () => {
    const table = await find("aws:dynamodb/table:Table", "ing-state");
    expect(table.inputs.hashKey).toBe("id");
    expect(table.inputs.ttl).toMatchObject({ attributeName: "expiration", enabled: true });
  });

  it.each([
    [{ routes: [] }, /routes must list at least one route/],
    [
      { routes: [{ routeKey: "sms", entry: fixtureHandler }] },
      /routes\[0\]\.routeKey must be "METHOD \/path"/,
    ],
    [
      {
        routes: [
          { routeKey: "POST /a", entry: fixtureHandler },
          { routeKey: "POST /a", entry: fixtureHandler },
        ],
      },
      /routes\[1\]\.routeKey must be unique/,
    ],
    [{ perClient: { ratePerSecond: 0 } }, /perClient\.ratePerSecond must be from 0\.01/],
    [
      { auth: { mode: "jwks", jwksUrl: "http://x", issuer: "i", audience: "a" } },
      /auth\.jwksUrl must be an https URL/,
    ],
    [{ stageName: "bad stage" }, /stageName must be/],
  ] as Array<[Partial<IngressApiArgs>, RegExp]>)(
    "refuses bad args naming the component and arg (%#)",
    (overrides, message) => {
      expect(() => new IngressApi("bad", base(overrides))).toThrow(/switchyard:kit:IngressApi "bad"/);
      expect(() => new IngressApi("bad2", base(overrides))).toThrow(message);
    },
  );
});
