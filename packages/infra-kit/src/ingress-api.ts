import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarm";
import { NodeFunction } from "./node-function";
import {
  functionDefaults,
  type PlatformArgs,
  type PlatformSettings,
  platformSettings,
  tableDefaults,
} from "./platform";
import type { Grant } from "./policy";
import { Table } from "./table";
import { ArgChecker } from "./validate";

/** How an authorizer verifies bearer tokens (the ingress API's, and the notifications `$connect` one). */
export type IngressAuth =
  | {
      mode: "hs256";
      /** The shared HMAC secret, as a Pulumi secret (`config.requireSecret("notificationsJwtSecret")`). */
      secret: pulumi.Input<string>;
      /** Expected `iss`. */
      issuer: string;
      /** Expected `aud`. */
      audience: string;
    }
  | {
      mode: "jwks";
      /** The issuer's JWKS, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json`. */
      jwksUrl: string;
      /** Expected `iss`, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
      issuer: string;
      /** Expected `aud` (a Cognito ID token's app client id). */
      audience: string;
    };

/** One route of the API and the function that serves it. */
export interface IngressRoute {
  /** `METHOD /path`, e.g. `POST /sms`. */
  routeKey: string;
  /** The handler file (a `createIngressHandler` of `@switchyard/runtime-kit/ingress`). */
  entry: string;
  /** Extra environment of the function (e.g. the topic it publishes to). @default {} */
  environment?: Record<string, pulumi.Input<string>>;
  /** Exactly what the function publishes to (e.g. `sns:Publish` on one topic). @default [] */
  grants?: Grant[];
  /**
   * Largest request body accepted, in bytes (1 to 10485760, API Gateway's payload limit): at most what the transport
   * behind takes. @default 262144 (SNS and EventBridge: 256 KB)
   */
  maxBodyBytes?: number;
  /** Function timeout in seconds (1 to 29: the HTTP API integration timeout). @default 10 */
  timeout?: number;
}

/** The platform (alarm topic, key, logs, memory, tables, tracing: see `PlatformArgs`) and: */
export interface IngressApiArgs extends PlatformArgs {
  /** Stage name; the environment name (`dev`, `staging`, `prod`). */
  stageName: string;
  /** Service name of the functions' logs and metrics (`POWERTOOLS_SERVICE_NAME`). */
  serviceName: string;
  /** Bearer token verification. */
  auth: IngressAuth;
  /** The authorizer's handler file (a `createIngressAuthorizer` of `@switchyard/runtime-kit/ingress`). */
  authorizerEntry: string;
  /** The routes; at least one, each route key once. */
  routes: IngressRoute[];
  /**
   * What the stage's access logging needs first: the region's API Gateway CloudWatch Logs role setting (an
   * `ApiGatewayAccount`). @default undefined (the account's setting is managed elsewhere)
   */
  accountLogging?: pulumi.Resource;
  /**
   * Stage throttling of every route, all clients together (the backstop; HTTP APIs cannot throttle per client).
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  throttling?: { rateLimit?: number; burstLimit?: number };
  /**
   * Per-client throttling, done by the route functions (GCRA item per client id in the ingress table): steady
   * requests per second (0.01 to 10000) and burst (1 to 10000). @default { ratePerSecond: 5, burst: 10 }
   */
  perClient?: { ratePerSecond?: number; burst?: number };
  /**
   * Seconds API Gateway caches an authorizer decision per `Authorization` header (0 to 3600; 0 turns caching off).
   * @default 300
   */
  authorizerCacheSeconds?: number;
  /**
   * 4xx answers per 5 minutes at which the client-errors alarm fires (1 to 1000000): a client sending bad requests
   * or bad tokens, or being throttled. @default 50
   */
  clientErrorsAlarmThreshold?: number;
  /** Seconds an `Idempotency-Key` is remembered (60 to 604800). @default 86400 */
  idempotencyTtlSeconds?: number;
}

const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9._~-]+)+$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** API Gateway's largest request payload, for HTTP APIs: 10 MB. */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * An authenticated ingress for publishers outside AWS: an API Gateway HTTP API whose routes run behind a Lambda
 * REQUEST authorizer (bearer JWT, simple responses, cached per `Authorization` header) and proxy to one function each
 * (payload format 2.0). The functions throttle per client and keep idempotency records in the component's table;
 * the stage throttles all clients together, logs every request, and two alarms watch 4xx and 5xx answers.
 */
export class IngressApi extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:IngressApi";
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly authorizer: aws.apigatewayv2.Authorizer;
  readonly table: Table;
  readonly accessLogs: aws.cloudwatch.LogGroup;
  readonly functions: Record<string, NodeFunction> = {};
  readonly routes: Record<string, aws.apigatewayv2.Route> = {};
  readonly alarms: { clientErrors: aws.cloudwatch.MetricAlarm; serverErrors: aws.cloudwatch.MetricAlarm };
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: append the route's path. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: IngressApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super(IngressApi.type, name, {}, opts);
    const settings = validate(name, args);
    const child = { parent: this };
    const common = { ...functionDefaults(settings.platform), serviceName: args.serviceName };

    this.table = new Table(
      `${name}-state`,
      { ...tableDefaults(settings.platform), hashKey: "id", ttlAttribute: "expiration" },
      child,
    );
    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      { protocolType: "HTTP", description: `Switchyard ${args.serviceName} ingress` },
      child,
    );

    const auth = args.auth;
    const authorizerFn = new NodeFunction(
      `${name}-authorizer`,
      {
        ...common,
        entry: args.authorizerEntry,
        timeout: 5,
        environment: {
          AUTH_MODE: auth.mode,
          JWT_ISSUER: auth.issuer,
          JWT_AUDIENCE: auth.audience,
          ...(auth.mode === "hs256"
            ? { JWT_SECRET: pulumi.secret(auth.secret) }
            : { JWKS_URL: auth.jwksUrl }),
        },
      },
      child,
    );
    this.functions.authorizer = authorizerFn;
    this.authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        name: `${name}-jwt`,
        authorizerType: "REQUEST",
        authorizerUri: authorizerFn.function.invokeArn,
        authorizerPayloadFormatVersion: "2.0",
        enableSimpleResponses: true,
        // The cache key; a request without it is refused with 401 before the authorizer runs.
        identitySources: ["$request.header.Authorization"],
        authorizerResultTtlInSeconds: settings.authorizerCacheSeconds,
      },
      child,
    );
    this.allowInvoke(
      `${name}-authorizer-invoke`,
      authorizerFn,
      pulumi.interpolate`${this.api.executionArn}/authorizers/${this.authorizer.id}`,
    );

    for (const route of settings.routes) {
      const slug = slugOf(route.routeKey);
      const fn = new NodeFunction(
        `${name}-${slug}`,
        {
          ...common,
          entry: route.entry,
          timeout: route.timeout,
          environment: {
            ...route.environment,
            INGRESS_TABLE: this.table.tableName,
            CLIENT_RATE_PER_SECOND: String(settings.perClient.ratePerSecond),
            CLIENT_BURST: String(settings.perClient.burst),
            MAX_BODY_BYTES: String(route.maxBodyBytes),
            IDEMPOTENCY_TTL_SECONDS: String(settings.idempotencyTtlSeconds),
          },
          grants: route.grants,
        },
        child,
      );
      // Powertools idempotency (Put/Get/Update/Delete of its record) and the per-client rate item (Get/Put).
      this.table.grant(fn, [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
      ]);
      this.functions[route.routeKey] = fn;
      const integration = new aws.apigatewayv2.Integration(
        `${name}-${slug}-integration`,
        {
          apiId: this.api.id,
          integrationType: "AWS_PROXY",
          integrationMethod: "POST",
          integrationUri: fn.function.invokeArn,
          payloadFormatVersion: "2.0",
          timeoutMilliseconds: Math.min(29_000, (route.timeout + 1) * 1000),
        },
        child,
      );
      this.routes[route.routeKey] = new aws.apigatewayv2.Route(
        `${name}-${slug}-route`,
        {
          apiId: this.api.id,
          routeKey: route.routeKey,
          target: pulumi.interpolate`integrations/${integration.id}`,
          authorizationType: "CUSTOM",
          authorizerId: this.authorizer.id,
        },
        child,
      );
      const [method, path] = route.routeKey.split(" ");
      this.allowInvoke(
        `${name}-${slug}-invoke`,
        fn,
        pulumi.interpolate`${this.api.executionArn}/${args.stageName}/${method}${path}`,
      );
    }

    this.accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      {
        namePrefix: `/aws/apigateway/${name}-`,
        retentionInDays: settings.platform.logRetentionDays,
      },
      child,
    );
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: args.stageName,
        // Routes deploy as they change: no deployment resource to keep in step.
        autoDeploy: true,
        description: `Switchyard ${args.serviceName} ingress (${args.stageName})`,
        defaultRouteSettings: {
          throttlingRateLimit: settings.throttling.rateLimit,
          throttlingBurstLimit: settings.throttling.burstLimit,
          detailedMetricsEnabled: true,
        },
        accessLogSettings: {
          destinationArn: this.accessLogs.arn,
          // Never a header: the Authorization header holds the token.
          format: JSON.stringify({
            requestId: "$context.requestId",
            routeKey: "$context.routeKey",
            status: "$context.status",
            sourceIp: "$context.identity.sourceIp",
            requestTime: "$context.requestTimeEpoch",
            responseLength: "$context.responseLength",
            clientId: "$context.authorizer.clientId",
            authorizerError: "$context.authorizer.error",
            integrationError: "$context.integrationErrorMessage",
          }),
        },
      },
      // AWS refuses access logging until the region's API Gateway CloudWatch Logs role is set.
      { parent: this, ...(args.accountLogging ? { dependsOn: [args.accountLogging] } : {}) },
    );
    this.alarms = {
      clientErrors: this.alarm(name, "4xx", "client-errors", settings.platform, {
        threshold: settings.clientErrorsAlarmThreshold,
        description: `${name}: many requests refused (4xx: bad tokens, invalid bodies, per-client throttling)`,
      }),
      serverErrors: this.alarm(name, "5xx", "server-errors", settings.platform, {
        threshold: 1,
        description: `${name}: requests failed on the server side (5xx: a function errored, timed out or was throttled)`,
      }),
    };
    this.url = this.stage.invokeUrl;
    this.registerOutputs({ url: this.url, apiId: this.api.id, tableName: this.table.tableName });
  }

  private alarm(
    name: string,
    metricName: "4xx" | "5xx",
    suffix: string,
    platform: PlatformSettings,
    options: { threshold: number; description: string },
  ): aws.cloudwatch.MetricAlarm {
    return metricAlarm(
      `${name}-${suffix}-alarm`,
      {
        alarmTopicArn: platform.alarmTopicArn,
        alarmDescription: options.description,
        namespace: "AWS/ApiGateway",
        metricName,
        dimensions: { ApiId: this.api.id, Stage: this.stage.name },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: options.threshold,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
      { parent: this },
    );
  }

  /** Lets API Gateway invoke `fn` from this API only (`sourceArn`: the route on this stage, or the authorizer). */
  private allowInvoke(resourceName: string, fn: NodeFunction, sourceArn: pulumi.Input<string>): void {
    new aws.lambda.Permission(
      resourceName,
      {
        action: "lambda:InvokeFunction",
        function: fn.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn,
      },
      { parent: this },
    );
  }
}

/** `POST /orders/events` -> `post-orders-events`. */
function slugOf(routeKey: string): string {
  return routeKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

interface Settings {
  platform: PlatformSettings;
  routes: Array<
    Required<Pick<IngressRoute, "routeKey" | "entry" | "maxBodyBytes" | "timeout">> & IngressRoute
  >;
  throttling: { rateLimit: number; burstLimit: number };
  perClient: { ratePerSecond: number; burst: number };
  authorizerCacheSeconds: number;
  clientErrorsAlarmThreshold: number;
  idempotencyTtlSeconds: number;
}

/** Checks every arg; failures read `switchyard:kit:IngressApi "<name>": <arg> <rule> (got <value>)`. */
function validate(name: string, args: IngressApiArgs): Settings {
  const check = new ArgChecker(IngressApi.type, name);
  const shown = (value: unknown): string => JSON.stringify(value) ?? String(value);
  const platform = platformSettings(check, args);
  if (typeof args.stageName !== "string" || !STAGE_NAME.test(args.stageName)) {
    check.fail(
      "stageName",
      `must be 1 to 128 letters, digits, hyphens or underscores (got ${shown(args.stageName)})`,
    );
  }
  check.nonEmpty("serviceName", args.serviceName);
  check.nonEmpty("authorizerEntry", args.authorizerEntry);
  const auth = args.auth as Partial<IngressAuth> | undefined;
  if (auth?.mode !== "hs256" && auth?.mode !== "jwks") {
    check.fail("auth.mode", `must be "hs256" or "jwks" (got ${shown(auth?.mode)})`);
  }
  check.nonEmpty("auth.issuer", auth?.issuer as string | undefined);
  check.nonEmpty("auth.audience", auth?.audience as string | undefined);
  if (auth?.mode === "hs256" && (auth.secret === undefined || auth.secret === "")) {
    check.fail("auth.secret", "is required for hs256: pass config.requireSecret(...) (got nothing)");
  }
  if (auth?.mode === "jwks") {
    const url = check.nonEmpty("auth.jwksUrl", auth.jwksUrl as string | undefined);
    let https = false;
    try {
      https = new URL(url).protocol === "https:";
    } catch {}
    if (!https) check.fail("auth.jwksUrl", `must be an https URL (got ${shown(url)})`);
  }
  if (!Array.isArray(args.routes) || args.routes.length === 0) {
    check.fail("routes", `must list at least one route (got ${shown(args.routes)})`);
  }
  const seen = new Set<string>();
  const routes = args.routes.map((route, index) => {
    if (typeof route.routeKey !== "string" || !ROUTE_KEY.test(route.routeKey)) {
      check.fail(
        `routes[${index}].routeKey`,
        `must be "METHOD /path", e.g. "POST /sms" (got ${shown(route.routeKey)})`,
      );
    }
    if (seen.has(route.routeKey))
      check.fail(`routes[${index}].routeKey`, `must be unique (got ${route.routeKey} twice)`);
    seen.add(route.routeKey);
    check.nonEmpty(`routes[${index}].entry`, route.entry);
    return {
      ...route,
      maxBodyBytes: check.int(
        `routes[${index}].maxBodyBytes`,
        route.maxBodyBytes,
        1,
        HTTP_API_MAX_PAYLOAD_BYTES,
        262_144,
      ),
      timeout: check.int(`routes[${index}].timeout`, route.timeout, 1, 29, 10),
    };
  });
  const ratePerSecond = args.perClient?.ratePerSecond ?? 5;
  if (!(typeof ratePerSecond === "number" && ratePerSecond >= 0.01 && ratePerSecond <= 10_000)) {
    check.fail("perClient.ratePerSecond", `must be from 0.01 to 10000 (got ${shown(ratePerSecond)})`);
  }
  return {
    platform,
    routes,
    throttling: {
      rateLimit: check.int("throttling.rateLimit", args.throttling?.rateLimit, 1, 10_000, 50),
      burstLimit: check.int("throttling.burstLimit", args.throttling?.burstLimit, 1, 5_000, 100),
    },
    perClient: { ratePerSecond, burst: check.int("perClient.burst", args.perClient?.burst, 1, 10_000, 10) },
    authorizerCacheSeconds: check.int("authorizerCacheSeconds", args.authorizerCacheSeconds, 0, 3600, 300),
    clientErrorsAlarmThreshold: check.int(
      "clientErrorsAlarmThreshold",
      args.clientErrorsAlarmThreshold,
      1,
      1_000_000,
      50,
    ),
    idempotencyTtlSeconds: check.int(
      "idempotencyTtlSeconds",
      args.idempotencyTtlSeconds,
      60,
      604_800,
      86_400,
    ),
  };
}
