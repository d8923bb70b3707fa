import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import {
  ArgChecker,
  brief,
  EventBus,
  EventRuleQueueTarget,
  functionDefaults,
  type IngressAuth,
  link,
  metricAlarm,
  NodeFunction,
  type PlatformArgs,
  type PlatformSettings,
  platformSettings,
  QueueConsumer,
  queueDefaults,
  ReliableQueue,
  ServiceDashboard,
  Table,
  tableDefaults,
} from "@switchyard/infra-kit";
import { CERTIFICATE_ARN, DOMAIN_NAME, HOSTED_ZONE_ID } from "./config";
import {
  CONNECTION_MAX_SECONDS,
  DEFAULT_CONNECTION_TTL_SECONDS,
  MAX_CONNECTION_TTL_SECONDS,
  TABLE,
} from "./domain/table";
import { FUNCTION_ENV, LINK_ENV } from "./env";
import { NotificationsArgsError } from "./errors";

/** How `$connect` tokens are verified: the same settings as the kit's ingress API (one issuer per stack). */
export type NotificationsAuth = IngressAuth;

/** A custom domain for the WebSocket API (see `NotificationsApiArgs.domain`). */
export interface NotificationsDomain {
  /** The host name clients connect to, e.g. `ws.example.com`. */
  name: string;
  /** ARN of an ACM certificate for `name`, in the API's region (a regional endpoint needs it there). */
  certificateArn: pulumi.Input<string>;
  /**
   * Route 53 hosted zone of `name`: the alias record pointing `name` at the API's domain is created in it.
   * @default undefined (no record: create the DNS record yourself)
   */
  hostedZoneId?: string;
}

/** The platform (alarm topic, key, logs, memory, concurrency, queues, tables, tracing: see `PlatformArgs`) and: */
export interface NotificationsApiArgs extends PlatformArgs {
  /** Stage of the WebSocket API; the environment name (`dev`, `staging`, `prod`). */
  stageName: string;
  /** Token verification on `$connect`. */
  auth: NotificationsAuth;
  /**
   * What the stage's access logging needs first: the region's API Gateway CloudWatch Logs role setting (an
   * `ApiGatewayAccount`). AWS refuses a stage with access logs while that setting is empty.
   * @default undefined (the account's setting is managed elsewhere)
   */
  accountLogging?: pulumi.Resource;
  /**
   * Stage throttling for every route: steady requests per second and burst.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  throttling?: { rateLimit?: number; burstLimit?: number };
  /**
   * Lifetime of a stored connection in seconds, from its start: the 2-hour connection cap plus a margin
   * (7200 to 10800).
   * @default 9000
   */
  connectionTtlSeconds?: number;
  /**
   * Days an inbox item (read or unread) is kept (1 to 365).
   * @default 30
   */
  inboxRetentionDays?: number;
  /**
   * `source` values the send rule accepts: the services allowed to ask for notifications. An event with any other
   * source on the bus reaches no one. Each is 1 to 256 characters.
   * @default ["switchyard.orders", "switchyard.s3-pipeline", "switchyard.ops"] (the ops CLI and console of packages/ops)
   */
  publisherSources?: string[];
  /**
   * Posts to connections in flight at once, per record (1 to 100).
   * @default 10
   */
  postConcurrency?: number;
  /**
   * Records per sender invocation (1 to 10).
   * @default 10
   */
  senderBatchSize?: number;
  /**
   * A custom domain for the WebSocket API, as SST's `domain`: an API Gateway regional domain name (TLS 1.2) with
   * the ACM certificate `certificateArn` (issued in the API's region, covering `name`), the stage mapped at its
   * root, and, given `hostedZoneId`, the Route 53 alias record. `webSocketUrl` is then `wss://{name}`.
   * Without `hostedZoneId`, point `name` at the domain's `targetDomainName` in your DNS yourself.
   * @default undefined (clients use the execute-api URL)
   */
  domain?: NotificationsDomain;
  /**
   * The `@connections` endpoint the functions call, for a local cloud.
   * @default `https://{apiId}.execute-api.{region}.amazonaws.com/{stageName}`
   */
  connectionsEndpoint?: pulumi.Input<string>;
}

const handler = (file: string): string => fileURLToPath(new URL(`./handlers/${file}.ts`, import.meta.url));

/** Route keys and the function serving each. */
const ROUTES = {
  $connect: "connect",
  $disconnect: "disconnect",
  $default: "messages",
  markRead: "messages",
  listUnread: "messages",
} as const;
type RouteKey = keyof typeof ROUTES;
type FunctionKey = (typeof ROUTES)[RouteKey];
/** Routes that answer the caller (two-way: the integration's body goes back as the route response). */
const TWO_WAY: readonly RouteKey[] = ["$default", "markRead", "listUnread"];

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * WebSocket notifications: an API Gateway WebSocket API whose `$connect` is guarded by a JWT authorizer,
 * a single DynamoDB table for connections and the actionable-notification inbox, and a custom EventBridge
 * bus whose `Send User Notification` events reach a sender through a ReliableQueue.
 */
export class NotificationsApi extends pulumi.ComponentResource {
  static readonly type = "switchyard:notifications:NotificationsApi";
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly table: Table;
  readonly bus: EventBus;
  readonly dashboard: ServiceDashboard;
  readonly queue: ReliableQueue;
  readonly rule: EventRuleQueueTarget;
  readonly functions: Record<FunctionKey | "authorizer" | "sender", NodeFunction>;
  readonly authorizer: aws.apigatewayv2.Authorizer;
  readonly routes: Record<RouteKey, aws.apigatewayv2.Route>;
  /** The custom domain, its mapping to the stage and its alias record, when `domain` is given. */
  readonly domain:
    | {
        domainName: aws.apigatewayv2.DomainName;
        mapping: aws.apigatewayv2.ApiMapping;
        record: aws.route53.Record | undefined;
      }
    | undefined;
  /** `wss://…/{stage}`: where clients connect. */
  readonly webSocketUrl: pulumi.Output<string>;
  readonly connectionsEndpoint: pulumi.Output<string>;
  /** The exact `@connections` ARN the functions may call (POST on this API's stage only). */
  readonly manageConnectionsArn: pulumi.Output<string>;
  readonly busName: pulumi.Output<string>;
  readonly busArn: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  private readonly instanceName: string;
  /** Routes, route responses and integrations: a deployment must follow all of them. */
  private readonly routeParts: pulumi.Resource[] = [];

  constructor(name: string, args: NotificationsApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NotificationsApi.type, name, {}, opts);
    this.instanceName = name;
    const settings = validate(name, args);
    const child = { parent: this };

    this.table = this.createTable(name, settings);
    this.bus = new EventBus(
      `${name}-bus`,
      {
        description: "Switchyard user notifications: publish Send User Notification events here",
        ...(settings.platform.kmsKeyArn ? { kmsKeyArn: settings.platform.kmsKeyArn } : {}),
        movedFrom: this,
      },
      child,
    );
    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "WEBSOCKET",
        routeSelectionExpression: "$request.body.action",
        description: "Switchyard user notifications",
      },
      child,
    );

    const stageArn = pulumi.interpolate`${this.api.executionArn}/${args.stageName}`;
    this.manageConnectionsArn = pulumi.interpolate`${stageArn}/POST/@connections/*`;
    this.connectionsEndpoint = pulumi.output(
      args.connectionsEndpoint ??
        pulumi.interpolate`${this.api.apiEndpoint.apply((url) => url.replace(/^ws(s?):/, "http$1:"))}/${args.stageName}`,
    );

    this.functions = this.createFunctions(name, settings, args);
    this.queue = new ReliableQueue(`${name}-sends`, queueDefaults(settings.platform), child);
    this.rule = new EventRuleQueueTarget(
      `${name}-send`,
      {
        bus: this.bus.ref,
        // Only the sources of known publishers; anything else on the bus reaches no one.
        pattern: { "detail-type": [SEND_USER_NOTIFICATION], source: [...settings.publisherSources] },
        queue: this.queue,
        description: `${SEND_USER_NOTIFICATION} -> ${name} sender queue`,
      },
      child,
    );
    new QueueConsumer(
      `${name}-sender`,
      {
        queue: this.queue,
        function: this.functions.sender,
        batchSize: settings.senderBatchSize,
        maximumConcurrency: settings.platform.maximumConcurrency,
      },
      child,
    );
    this.createDeliveryAlarms(name, settings.platform);

    this.authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        authorizerType: "REQUEST",
        authorizerUri: this.functions.authorizer.function.invokeArn,
        // No identity sources: the token may be in either of two places, and API Gateway would refuse
        // (401, without calling the authorizer) a request lacking any listed source. Hence no caching.
        name: `${name}-jwt`,
      },
      child,
    );
    this.allowInvoke(
      `${name}-authorizer-invoke`,
      this.functions.authorizer,
      pulumi.interpolate`${this.api.executionArn}/authorizers/${this.authorizer.id}`,
    );
    this.routes = this.createRoutes(name, stageArn);
    this.stage = this.createStage(name, settings, args);
    this.createApiAlarms(name, settings.platform);
    this.dashboard = new ServiceDashboard(
      `${name}-dashboard`,
      {
        functions: Object.values(this.functions),
        queues: [this.queue],
        tables: [this.table],
        apis: [{ apiId: this.api.id, stage: this.stage.name, protocol: "WEBSOCKET" }],
      },
      child,
    );

    this.domain = settings.domain ? this.createDomain(name, settings.domain) : undefined;
    this.webSocketUrl = this.domain
      ? pulumi.interpolate`wss://${this.domain.mapping.domainName}`
      : this.stage.invokeUrl;
    this.busName = this.bus.busName;
    this.busArn = this.bus.arn;
    this.tableName = this.table.tableName;
    this.registerOutputs({
      webSocketUrl: this.webSocketUrl,
      connectionsEndpoint: this.connectionsEndpoint,
      busName: this.busName,
      busArn: this.busArn,
      tableName: this.tableName,
      queueUrl: this.queue.url,
      deadLetterQueueUrl: this.queue.deadLetterUrl,
    });
  }

  private createTable(name: string, settings: Settings): Table {
    return new Table(
      `${name}-table`,
      {
        ...tableDefaults(settings.platform),
        hashKey: TABLE.partitionKey,
        rangeKey: TABLE.sortKey,
        indexes: [
          {
            name: TABLE.index,
            hashKey: TABLE.indexPartitionKey,
            rangeKey: TABLE.indexSortKey,
            // Connections need only their key; unread inbox items are listed from the index.
            projectionType: "INCLUDE",
            nonKeyAttributes: ["notificationId", "message", "callback", "createdAt"],
          },
        ],
        ttlAttribute: TABLE.ttl,
        movedFrom: this,
      },
      { parent: this },
    );
  }

  private createFunctions(
    name: string,
    settings: Settings,
    args: NotificationsApiArgs,
  ): NotificationsApi["functions"] {
    const common = { ...functionDefaults(settings.platform), serviceName: "notifications" };
    const manage = { actions: ["execute-api:ManageConnections"], resources: [this.manageConnectionsArn] };
    const child = { parent: this };
    const auth = args.auth;
    const table = this.table;
    // Inbox items are the ones under `inbox#`; connection items are keyed by the (random) connection id.
    const inbox = { leadingKeyPrefixes: [TABLE.inboxPkPrefix] };
    // Connection items have no prefix of their own (API Gateway chooses the id): their grants keep off the inbox.
    const connections = { excludedKeyPrefixes: [TABLE.inboxPkPrefix] };
    // Each link sets the variables of one LINK_ENV shape (the handler parses the same) and grants what is needed.
    const tableLink = (grant: (fn: NodeFunction) => void) =>
      link(LINK_ENV.table, { TABLE_NAME: table.tableName }, grant);
    const connectionsLink = link(
      LINK_ENV.connections,
      { CONNECTIONS_ENDPOINT: this.connectionsEndpoint },
      (fn) => fn.grant(manage),
    );
    const postConcurrency = link(LINK_ENV.postConcurrency, {
      POST_CONCURRENCY: String(settings.postConcurrency),
    });

    const authorizer = new NodeFunction(
      `${name}-authorizer`,
      {
        ...common,
        entry: handler("authorizer"),
        timeout: 5,
        links: [
          link(LINK_ENV.auth, { AUTH_MODE: auth.mode, JWT_ISSUER: auth.issuer, JWT_AUDIENCE: auth.audience }),
          auth.mode === "hs256"
            ? link(LINK_ENV.hs256, { JWT_SECRET: pulumi.secret(auth.secret) })
            : link(LINK_ENV.jwks, { JWKS_URL: auth.jwksUrl }),
        ],
      },
      child,
    );
    const connect = new NodeFunction(
      `${name}-connect`,
      {
        ...common,
        entry: handler("connect"),
        timeout: 5,
        reads: FUNCTION_ENV.connect,
        links: [
          tableLink((fn) => table.grant(fn, ["dynamodb:PutItem"], connections)),
          link(LINK_ENV.connectionTtl, { CONNECTION_TTL_SECONDS: String(settings.connectionTtlSeconds) }),
        ],
      },
      child,
    );
    const disconnect = new NodeFunction(
      `${name}-disconnect`,
      {
        ...common,
        entry: handler("disconnect"),
        timeout: 5,
        reads: FUNCTION_ENV.disconnect,
        links: [tableLink((fn) => table.grant(fn, ["dynamodb:DeleteItem"], connections))],
      },
      child,
    );
    const messages = new NodeFunction(
      `${name}-messages`,
      {
        ...common,
        entry: handler("messages"),
        timeout: 10,
        reads: FUNCTION_ENV.messages,
        links: [
          tableLink((fn) => {
            table.grant(fn, ["dynamodb:DeleteItem", "dynamodb:GetItem"], connections);
            table.grant(fn, ["dynamodb:UpdateItem"], inbox);
            table.grant(fn, ["dynamodb:Query"], { indexes: [TABLE.index] });
          }),
          connectionsLink,
          postConcurrency,
        ],
      },
      child,
    );
    const sender = new NodeFunction(
      `${name}-sender`,
      {
        ...common,
        entry: handler("sender"),
        timeout: 30,
        reads: FUNCTION_ENV.sender,
        links: [
          tableLink((fn) => {
            table.grant(fn, ["dynamodb:DeleteItem"], connections);
            // GetItem/UpdateItem: an inbox item already stored is read (delivered yet?) and marked delivered, so a
            // second copy of a notification sends nothing.
            table.grant(fn, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], inbox);
            table.grant(fn, ["dynamodb:Query"], { indexes: [TABLE.index] });
          }),
          connectionsLink,
          link(LINK_ENV.inboxRetention, { INBOX_RETENTION_DAYS: String(settings.inboxRetentionDays) }),
          postConcurrency,
        ],
      },
      child,
    );
    return { authorizer, connect, disconnect, messages, sender };
  }

  private busPolicy: aws.cloudwatch.EventBusPolicy | undefined;

  /**
   * Restricts `events:PutEvents` on the bus to `principals` (the stack's publishers' role ARNs plus configured
   * ones): a bus policy denying every other principal, so no one else in the account can notify a user, whatever
   * their IAM policies say. Call once, after the publishers exist.
   */
  allowPublishers(principals: readonly pulumi.Input<string>[]): aws.cloudwatch.EventBusPolicy {
    if (this.busPolicy) {
      throw new NotificationsArgsError(
        NotificationsApi.type,
        this.instanceName,
        "allowPublishers",
        "may be called once",
      );
    }
    if (principals.length === 0) {
      throw new NotificationsArgsError(
        NotificationsApi.type,
        this.instanceName,
        "allowPublishers",
        "needs at least one principal",
      );
    }
    this.busPolicy = new aws.cloudwatch.EventBusPolicy(
      `${this.instanceName}-bus-policy`,
      { eventBusName: this.bus.busName, policy: publishersOnlyPolicy(this.bus.arn, principals) },
      { parent: this },
    );
    return this.busPolicy;
  }

  /** Lets API Gateway invoke `fn`, from this API only (`sourceArn`). */
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

  private createRoutes(name: string, stageArn: pulumi.Output<string>): NotificationsApi["routes"] {
    const integrations = new Map<FunctionKey, aws.apigatewayv2.Integration>();
    const routes = {} as NotificationsApi["routes"];
    for (const [routeKey, fnKey] of Object.entries(ROUTES) as [RouteKey, FunctionKey][]) {
      const fn = this.functions[fnKey];
      let integration = integrations.get(fnKey);
      if (!integration) {
        integration = new aws.apigatewayv2.Integration(
          `${name}-${fnKey}-integration`,
          {
            apiId: this.api.id,
            integrationType: "AWS_PROXY",
            integrationMethod: "POST",
            integrationUri: fn.function.invokeArn,
          },
          { parent: this },
        );
        integrations.set(fnKey, integration);
        this.routeParts.push(integration);
      }
      const slug = routeKey.replace(/^\$/, "");
      const twoWay = TWO_WAY.includes(routeKey);
      const route = new aws.apigatewayv2.Route(
        `${name}-${slug}-route`,
        {
          apiId: this.api.id,
          routeKey,
          target: pulumi.interpolate`integrations/${integration.id}`,
          ...(routeKey === "$connect"
            ? { authorizationType: "CUSTOM", authorizerId: this.authorizer.id }
            : { authorizationType: "NONE" }),
          ...(twoWay ? { routeResponseSelectionExpression: "$default" } : {}),
        },
        { parent: this },
      );
      this.routeParts.push(route);
      if (twoWay) {
        const response = new aws.apigatewayv2.RouteResponse(
          `${name}-${slug}-response`,
          { apiId: this.api.id, routeId: route.id, routeResponseKey: "$default" },
          { parent: this },
        );
        this.routeParts.push(response);
      }
      this.allowInvoke(`${name}-${slug}-invoke`, fn, pulumi.interpolate`${stageArn}/${routeKey}`);
      routes[routeKey] = route;
    }
    return routes;
  }

  private createStage(name: string, settings: Settings, args: NotificationsApiArgs): aws.apigatewayv2.Stage {
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { namePrefix: `/aws/apigateway/${name}-`, retentionInDays: settings.platform.logRetentionDays },
      { parent: this },
    );
    const deployment = new aws.apigatewayv2.Deployment(
      `${name}-deployment`,
      {
        apiId: this.api.id,
        description: `${name} routes`,
        // A new deployment whenever a route, its target or its authorizer changes.
        triggers: {
          routes: pulumi
            .all(
              Object.values(this.routes).map((route) => [route.routeKey, route.target, route.authorizerId]),
            )
            .apply((values) => JSON.stringify(values)),
        },
      },
      { parent: this, dependsOn: this.routeParts },
    );
    return new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: args.stageName,
        deploymentId: deployment.id,
        description: `Switchyard notifications (${args.stageName})`,
        defaultRouteSettings: {
          throttlingRateLimit: settings.throttling.rateLimit,
          throttlingBurstLimit: settings.throttling.burstLimit,
          dataTraceEnabled: false,
          detailedMetricsEnabled: true,
        },
        accessLogSettings: {
          destinationArn: accessLogs.arn,
          // Never the query string: it may hold the token.
          format: JSON.stringify({
            requestId: "$context.requestId",
            connectionId: "$context.connectionId",
            routeKey: "$context.routeKey",
            eventType: "$context.eventType",
            status: "$context.status",
            sourceIp: "$context.identity.sourceIp",
            requestTime: "$context.requestTimeEpoch",
            integrationError: "$context.integrationErrorMessage",
            authorizerError: "$context.authorizer.error",
            userId: "$context.authorizer.userId",
          }),
        },
      },
      // AWS refuses access logging until the region's API Gateway CloudWatch Logs role is set.
      { parent: this, ...(args.accountLogging ? { dependsOn: [args.accountLogging] } : {}) },
    );
  }

  /** The custom domain (regional, TLS 1.2), the stage mapped at its root, and the optional Route 53 alias. */
  private createDomain(name: string, domain: NotificationsDomain): NonNullable<NotificationsApi["domain"]> {
    const domainName = new aws.apigatewayv2.DomainName(
      `${name}-domain`,
      {
        domainName: domain.name,
        domainNameConfiguration: {
          certificateArn: domain.certificateArn,
          endpointType: "REGIONAL",
          securityPolicy: "TLS_1_2",
        },
      },
      { parent: this },
    );
    const mapping = new aws.apigatewayv2.ApiMapping(
      `${name}-domain-mapping`,
      { apiId: this.api.id, domainName: domainName.domainName, stage: this.stage.name },
      { parent: this },
    );
    const record =
      domain.hostedZoneId === undefined
        ? undefined
        : new aws.route53.Record(
            `${name}-domain-record`,
            {
              zoneId: domain.hostedZoneId,
              name: domain.name,
              type: "A",
              aliases: [
                {
                  name: domainName.domainNameConfiguration.targetDomainName,
                  zoneId: domainName.domainNameConfiguration.hostedZoneId,
                  evaluateTargetHealth: false,
                },
              ],
            },
            { parent: this },
          );
    return { domainName, mapping, record };
  }

  /**
   * WebSocket APIs report no 4XX/5XX metrics: `IntegrationError` counts requests whose Lambda integration failed
   * (the API Gateway answer is a 5xx-class error to the client) and `ExecutionError` errors while API Gateway ran
   * the route (authorizer or integration). Either means clients got an internal error.
   */
  private createApiAlarms(name: string, platform: PlatformSettings): void {
    const metrics = {
      "integration-errors": [
        "IntegrationError",
        "WebSocket route integrations failed (a function errored or timed out)",
      ],
      "execution-errors": [
        "ExecutionError",
        "API Gateway failed to run WebSocket routes (server-side errors)",
      ],
    } as const;
    for (const [suffix, [metricName, description]] of Object.entries(metrics)) {
      metricAlarm(
        `${name}-${suffix}-alarm`,
        {
          alarmTopicArn: platform.alarmTopicArn,
          alarmDescription: `${name}: ${description}`,
          namespace: "AWS/ApiGateway",
          metricName,
          dimensions: { ApiId: this.api.id, Stage: this.stage.name },
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
        },
        { parent: this },
      );
    }
  }

  /**
   * Two failure paths end in the one DLQ: events EventBridge could not deliver (target DLQ) and records the
   * sender gave up on (redrive / direct dead-lettering). ReliableQueue alarms on the DLQ's depth; these
   * alarms say which path failed, and catch events EventBridge could not even dead-letter (lost).
   */
  private createDeliveryAlarms(name: string, platform: PlatformSettings): void {
    const metrics = {
      "delivery-dlq": [
        "InvocationsSentToDlq",
        "Send User Notification events EventBridge could not deliver to the queue went to its DLQ",
      ],
      "delivery-lost": [
        "InvocationsFailedToBeSentToDlq",
        "Send User Notification events could not be delivered nor dead-lettered: they are lost",
      ],
    } as const;
    for (const [suffix, [metricName, description]] of Object.entries(metrics)) {
      metricAlarm(
        `${name}-${suffix}-alarm`,
        {
          alarmTopicArn: platform.alarmTopicArn,
          alarmDescription: description,
          namespace: "AWS/Events",
          metricName,
          dimensions: { EventBusName: this.bus.busName, RuleName: this.rule.rule.name },
          statistic: "Sum",
          period: 60,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
        },
        { parent: this },
      );
    }
  }
}

interface Settings {
  platform: PlatformSettings;
  throttling: { rateLimit: number; burstLimit: number };
  connectionTtlSeconds: number;
  inboxRetentionDays: number;
  postConcurrency: number;
  senderBatchSize: number;
  publisherSources: readonly string[];
  domain: NotificationsDomain | undefined;
}

/** Checks every arg; failures read `switchyard:notifications:NotificationsApi "<name>": <arg> <rule> (got <value>)`. */
function validate(name: string, args: NotificationsApiArgs): Settings {
  const shown = (value: unknown): string => JSON.stringify(value) ?? String(value);
  // The service's own name rule (length) goes first; ArgChecker then carries every other check.
  if (!/^[a-zA-Z0-9][a-zA-Z0-9-]{0,29}$/.test(name)) {
    throw new NotificationsArgsError(
      NotificationsApi.type,
      name,
      "name",
      `must be 1 to 30 letters, digits and hyphens, starting with a letter or digit (got ${shown(name)})`,
    );
  }
  const check = new ArgChecker(NotificationsApi.type, name, NotificationsArgsError);

  const platform = platformSettings(check, args);
  if (typeof args.stageName !== "string" || !STAGE_NAME.test(args.stageName)) {
    check.fail(
      "stageName",
      `must be 1 to 128 letters, digits, hyphens or underscores (got ${shown(args.stageName)})`,
    );
  }
  const auth = args.auth as Partial<NotificationsAuth> | undefined;
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
  return {
    platform,
    throttling: {
      rateLimit: check.int("throttling.rateLimit", args.throttling?.rateLimit, 1, 10_000, 50),
      burstLimit: check.int("throttling.burstLimit", args.throttling?.burstLimit, 1, 5_000, 100),
    },
    connectionTtlSeconds: check.int(
      "connectionTtlSeconds",
      args.connectionTtlSeconds,
      CONNECTION_MAX_SECONDS,
      MAX_CONNECTION_TTL_SECONDS,
      DEFAULT_CONNECTION_TTL_SECONDS,
    ),
    inboxRetentionDays: check.int("inboxRetentionDays", args.inboxRetentionDays, 1, 365, 30),
    postConcurrency: check.int("postConcurrency", args.postConcurrency, 1, 100, 10),
    senderBatchSize: check.int("senderBatchSize", args.senderBatchSize, 1, 10, 10),
    publisherSources: publisherSourcesOf(check, args.publisherSources),
    domain: domainOf(check, args.domain),
  };
}

function domainOf(
  check: ArgChecker,
  domain: NotificationsDomain | undefined,
): NotificationsDomain | undefined {
  if (domain === undefined) return undefined;
  if (typeof domain.name !== "string" || !DOMAIN_NAME.test(domain.name)) {
    check.fail(
      "domain.name",
      `must be a lower-case host name such as ws.example.com (got ${brief(domain.name)})`,
    );
  }
  if (domain.certificateArn === undefined || domain.certificateArn === null) {
    check.fail("domain.certificateArn", "is required: an ACM certificate for domain.name (got nothing)");
  }
  if (typeof domain.certificateArn === "string" && !CERTIFICATE_ARN.test(domain.certificateArn)) {
    check.fail(
      "domain.certificateArn",
      `must be an ACM certificate ARN (got ${brief(domain.certificateArn)})`,
    );
  }
  if (domain.hostedZoneId !== undefined && !HOSTED_ZONE_ID.test(domain.hostedZoneId)) {
    check.fail(
      "domain.hostedZoneId",
      `must be a Route 53 hosted zone id such as Z0123456789ABC (got ${brief(domain.hostedZoneId)})`,
    );
  }
  return domain;
}

/** The default publishers of notification requests. */
export const DEFAULT_PUBLISHER_SOURCES = [
  "switchyard.orders",
  "switchyard.s3-pipeline",
  "switchyard.ops",
] as const;

function publisherSourcesOf(check: ArgChecker, given: string[] | undefined): readonly string[] {
  const sources = given ?? [...DEFAULT_PUBLISHER_SOURCES];
  if (!Array.isArray(sources) || sources.length === 0) {
    check.fail("publisherSources", `must list at least one source (got ${JSON.stringify(given)})`);
  }
  for (const source of sources) {
    if (typeof source !== "string" || source.length < 1 || source.length > 256) {
      check.fail(
        "publisherSources",
        `must hold sources of 1 to 256 characters (got ${JSON.stringify(source)})`,
      );
    }
  }
  return sources;
}

/**
 * An EventBridge bus policy that lets only `principals` put events: an Allow for them (needed across accounts) and
 * a Deny for every other principal (`aws:PrincipalArn` not one of them), which also binds this account's users and
 * roles whose own IAM policies allow `events:PutEvents`.
 */
export function publishersOnlyPolicy(
  busArn: pulumi.Input<string>,
  principals: readonly pulumi.Input<string>[],
): pulumi.Output<string> {
  return pulumi.all([busArn, pulumi.all([...principals])]).apply(([arn, arns]) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Publishers",
          Effect: "Allow",
          Principal: { AWS: arns },
          Action: "events:PutEvents",
          Resource: arn,
        },
        {
          Sid: "NobodyElse",
          Effect: "Deny",
          Principal: "*",
          Action: "events:PutEvents",
          Resource: arn,
          Condition: { ArnNotEquals: { "aws:PrincipalArn": arns } },
        },
      ],
    }),
  );
}
