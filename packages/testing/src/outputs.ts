import { createHash } from "node:crypto";

/** The account and region every mocked resource lives in unless the harness is told otherwise. */
export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_REGION = "us-east-1";

export interface OutputContext {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  accountId: string;
  region: string;
}

export interface MockedState {
  id: string;
  state: Record<string, unknown>;
}

type OutputFactory = (ctx: OutputContext) => MockedState;

/** A stable short id derived from the URN, so two runs of the same program give the same outputs. */
export function stableId(seed: string, length = 10): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/**
 * The physical name AWS would end up with: the explicit `name` input, or the logical name the way
 * Pulumi auto-names it (without the random suffix, so outputs stay deterministic). FIFO queues
 * and topics get the `.fifo` suffix the provider adds.
 */
export function physicalName(ctx: OutputContext, key = "name"): string {
  const explicit = str(ctx.inputs[key]);
  const prefix = str(ctx.inputs[`${key}Prefix`]);
  let name = explicit ?? (prefix ? `${prefix}${stableId(ctx.urn, 7)}` : ctx.name);
  const fifo = ctx.inputs.fifoQueue === true || ctx.inputs.fifoTopic === true;
  if (fifo && !name.endsWith(".fifo")) name = `${name}.fifo`;
  return name;
}

function arn(ctx: OutputContext, service: string, resource: string, global = false): string {
  return `arn:aws:${service}:${global ? "" : ctx.region}:${ctx.accountId}:${resource}`;
}

const named =
  (service: string, resource: (name: string, ctx: OutputContext) => string, global = false): OutputFactory =>
  (ctx) => {
    const name = physicalName(ctx);
    return { id: name, state: { name, arn: arn(ctx, service, resource(name, ctx), global) } };
  };

/** API id -> URL scheme of the API (`wss` for WebSocket, `https` for HTTP), for its stages' invoke URLs. */
const apiSchemes = new Map<string, string>();

const factories: Record<string, OutputFactory> = {
  "aws:sqs/queue:Queue": (ctx) => {
    const name = physicalName(ctx);
    const url = `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`;
    return { id: url, state: { name, url, arn: arn(ctx, "sqs", name) } };
  },
  "aws:sns/topic:Topic": (ctx) => {
    const name = physicalName(ctx);
    const topicArn = arn(ctx, "sns", name);
    return { id: topicArn, state: { name, arn: topicArn } };
  },
  "aws:sns/topicSubscription:TopicSubscription": (ctx) => {
    const subscriptionArn = `${String(ctx.inputs.topic)}:${stableId(ctx.urn, 8)}-${stableId(`${ctx.urn}#`, 4)}`;
    return { id: subscriptionArn, state: { arn: subscriptionArn } };
  },
  "aws:lambda/function:Function": (ctx) => {
    const name = physicalName(ctx);
    const functionArn = arn(ctx, "lambda", `function:${name}`);
    return {
      id: name,
      state: {
        name,
        arn: functionArn,
        qualifiedArn: `${functionArn}:$LATEST`,
        invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
        version: "$LATEST",
      },
    };
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": (ctx) => {
    const uuid = stableId(ctx.urn, 32);
    return { id: uuid, state: { uuid, functionArn: str(ctx.inputs.functionName) } };
  },
  "aws:iam/role:Role": (ctx) => {
    const name = physicalName(ctx);
    return {
      id: name,
      state: { name, arn: arn(ctx, "iam", `role/${name}`, true), uniqueId: `AROA${stableId(ctx.urn, 16)}` },
    };
  },
  "aws:iam/policy:Policy": named("iam", (name) => `policy/${name}`, true),
  "aws:cloudwatch/logGroup:LogGroup": named("logs", (name) => `log-group:${name}`),
  "aws:cloudwatch/metricAlarm:MetricAlarm": (ctx) => {
    const name = physicalName(ctx, "name");
    return { id: name, state: { name, arn: arn(ctx, "cloudwatch", `alarm:${name}`) } };
  },
  "aws:cloudwatch/eventBus:EventBus": named("events", (name) => `event-bus/${name}`),
  "aws:cloudwatch/eventRule:EventRule": (ctx) => {
    const name = physicalName(ctx);
    const bus = str(ctx.inputs.eventBusName);
    const busName = bus?.startsWith("arn:") ? bus.split("/").pop() : bus;
    const resource = busName && busName !== "default" ? `rule/${busName}/${name}` : `rule/${name}`;
    return { id: `${busName ?? "default"}/${name}`, state: { name, arn: arn(ctx, "events", resource) } };
  },
  "aws:cloudwatch/eventArchive:EventArchive": named("events", (name) => `archive/${name}`),
  "aws:cloudwatch/dashboard:Dashboard": (ctx) => {
    const name = physicalName(ctx, "dashboardName");
    return { id: name, state: { dashboardArn: arn(ctx, "cloudwatch", `dashboard/${name}`, true) } };
  },
  "aws:dynamodb/table:Table": (ctx) => {
    const name = physicalName(ctx);
    const tableArn = arn(ctx, "dynamodb", `table/${name}`);
    return {
      id: name,
      state: { name, arn: tableArn, streamArn: `${tableArn}/stream/2026-01-01T00:00:00.000` },
    };
  },
  "aws:s3/bucket:Bucket": (ctx) => {
    const bucket = physicalName(ctx, "bucket");
    return {
      id: bucket,
      state: {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
        region: ctx.region,
      },
    };
  },
  "aws:kms/key:Key": (ctx) => {
    const keyId = `${stableId(ctx.urn, 8)}-${stableId(`${ctx.urn}1`, 4)}-${stableId(`${ctx.urn}2`, 4)}-${stableId(`${ctx.urn}3`, 4)}-${stableId(`${ctx.urn}4`, 12)}`;
    return { id: keyId, state: { keyId, arn: arn(ctx, "kms", `key/${keyId}`) } };
  },
  "aws:kms/alias:Alias": (ctx) => {
    const name = physicalName(ctx);
    return { id: name, state: { name, arn: arn(ctx, "kms", name) } };
  },
  "aws:apigatewayv2/api:Api": (ctx) => {
    const id = stableId(ctx.urn, 10);
    const scheme = ctx.inputs.protocolType === "WEBSOCKET" ? "wss" : "https";
    apiSchemes.set(id, scheme);
    return {
      id,
      state: {
        apiEndpoint: `${scheme}://${id}.execute-api.${ctx.region}.amazonaws.com`,
        executionArn: arn(ctx, "execute-api", id),
        arn: `arn:aws:apigateway:${ctx.region}::/apis/${id}`,
      },
    };
  },
  "aws:apigatewayv2/stage:Stage": (ctx) => {
    const name = physicalName(ctx);
    const apiId = String(ctx.inputs.apiId);
    return {
      id: name,
      state: {
        name,
        // A stage's URL follows its API's protocol (HTTP APIs: https); the API is registered first.
        invokeUrl: `${apiSchemes.get(apiId) ?? "wss"}://${apiId}.execute-api.${ctx.region}.amazonaws.com/${name}`,
        executionArn: arn(ctx, "execute-api", `${apiId}/${name}`),
      },
    };
  },
  // A regional custom domain: API Gateway's own target host and hosted zone, which a Route 53 alias points at.
  "aws:apigatewayv2/domainName:DomainName": (ctx) => {
    const domainName = String(ctx.inputs.domainName);
    const configuration = (ctx.inputs.domainNameConfiguration ?? {}) as Record<string, unknown>;
    return {
      id: domainName,
      state: {
        domainName,
        arn: `arn:aws:apigateway:${ctx.region}::/domainnames/${domainName}`,
        domainNameConfiguration: {
          ...configuration,
          targetDomainName: `d-${stableId(ctx.urn, 10)}.execute-api.${ctx.region}.amazonaws.com`,
          hostedZoneId: "Z1UJRXOUMOOFQ8",
        },
      },
    };
  },
};

/**
 * Realistic outputs for a resource: its inputs echoed back (as the provider does), plus the
 * computed attributes (ARN, URL, name, id) the real provider would return.
 */
export function mockOutputs(ctx: OutputContext): MockedState {
  const factory = factories[ctx.type];
  if (factory) {
    const computed = factory(ctx);
    return { id: computed.id, state: { ...ctx.inputs, ...computed.state } };
  }
  // Unknown types: an input named `arn` (an event target's target, a topic policy's topic) is echoed
  // back by the provider, so it must win over the made-up ARN.
  return { id: `${ctx.name}-${stableId(ctx.urn, 8)}`, state: { arn: genericArn(ctx), ...ctx.inputs } };
}

function genericArn(ctx: OutputContext): string {
  // "aws:sqs/queuePolicy:QueuePolicy" -> service "sqs"
  const service = ctx.type.split(":")[1]?.split("/")[0] ?? "unknown";
  return arn(ctx, service, `${ctx.name}`);
}
