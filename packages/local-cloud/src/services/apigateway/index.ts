import { isUtf8 } from "node:buffer";
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { requestId as awsRequestId, sendRestJsonError, signingName } from "../../protocol";
import {
  type InvokeResult,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
} from "../../types";
import { finiteNumber as num, nonEmptyString as str } from "../../values";
import { createApiGatewayControl } from "./control";
import {
  awsShortId,
  type ConnectRequestParts,
  connectRequestParts,
  evaluateAuthorizerResult,
  functionArnOf,
  identitySourceValue,
  requestTime,
  selectRoute,
  sourceIpOf,
} from "./events";
import { createHttpApiServer, HTTP_API_PATH_PREFIX, localHttpApiPath } from "./http";

/**
 * API Gateway WebSocket APIs, locally: a real WebSocket endpoint per stage at `/ws/<apiId>/<stage>` on the
 * engine's port, whose `$connect` runs the route's Lambda REQUEST authorizer and integration before the
 * upgrade completes, whose messages are routed by the API's route selection expression to Lambda proxy
 * integrations (two-way routes send the integration's `body` back), and whose `$disconnect` runs once when
 * a connection ends. The `@connections` management API (`POST`/`GET`/`DELETE`, signed for `execute-api`) is
 * served under the same path: `<endpoint>/ws/<apiId>/<stage>/@connections/<connectionId>`.
 */

/** Message payload limit, both directions (docs/aws-reference.md §5). */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway sends messages to clients in frames of at most 32 KB. */
export const FRAME_BYTES = 32 * 1024;
/** AWS's idle connection timeout: 10 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** AWS's connection duration cap: 2 hours. */
export const DEFAULT_MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;
/** Frames larger than this are refused by the WebSocket layer itself (1009 without reading them). */
const HARD_PAYLOAD_LIMIT = 4 * MAX_MESSAGE_BYTES;

/** The path of a stage's WebSocket endpoint (and, under it, its `@connections` API): `/ws/<apiId>/<stage>`. */
export function localWebSocketPath(apiId: string, stage: string): string {
  return `/ws/${apiId}/${stage}`;
}

/** Time scaling of AWS's connection limits (tests shorten them; the defaults are AWS's). */
export interface ApiGatewayOptions {
  /**
   * A connection with no message (or ping) from its client for this long is closed (1001 "Going away") and
   * `$disconnect` runs. @default 600000 (AWS: 10 minutes)
   */
  idleTimeoutMs?: number;
  /** A connection is closed (1001) this long after it opened. @default 7200000 (AWS: 2 hours) */
  maxConnectionMs?: number;
}

interface ApiRecord {
  id: string;
  name: string;
  protocolType: string;
  routeSelectionExpression?: string;
  description?: string;
}

interface AuthorizerRecord {
  id: string;
  apiId: string;
  name: string;
  type: string;
  uri?: string;
  identitySources: string[];
  /** HTTP APIs: simple responses (`isAuthorized`) instead of IAM policies. */
  enableSimpleResponses: boolean;
  /** HTTP APIs: seconds a decision is cached per identity-source values (AWS's default: 300). */
  ttlSeconds: number;
}

interface IntegrationRecord {
  id: string;
  apiId: string;
  type: string;
  uri?: string;
}

interface RouteRecord {
  id: string;
  apiId: string;
  routeKey: string;
  target?: string;
  authorizationType: string;
  authorizerId?: string;
  routeResponseSelectionExpression?: string;
}

interface ThrottleSetting {
  rateLimit: number;
  burstLimit: number;
}

interface StageRecord {
  apiId: string;
  name: string;
  deploymentId?: string;
  stageVariables: Record<string, string>;
  defaultThrottle?: ThrottleSetting;
  routeThrottle: Map<string, ThrottleSetting>;
}

interface Connection {
  id: string;
  apiId: string;
  stage: string;
  ws: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent?: string;
  domainName: string;
  authorizer?: Record<string, unknown>;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  /** Set when the server closes it (idle, max duration, DELETE, too big): the code `$disconnect` reports. */
  closedBy?: { code: number; reason: string };
  disconnected: boolean;
}

/** Steady rate and burst, refilled continuously: API Gateway's throttling model. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly setting: ThrottleSetting) {
    this.tokens = setting.burstLimit;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      this.setting.burstLimit,
      this.tokens + ((now - this.last) / 1000) * this.setting.rateLimit,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function throttleOf(settings: unknown): ThrottleSetting | undefined {
  if (typeof settings !== "object" || settings === null) return undefined;
  const s = settings as Record<string, unknown>;
  const rateLimit = num(s.throttlingRateLimit);
  const burstLimit = num(s.throttlingBurstLimit);
  if (rateLimit === undefined && burstLimit === undefined) return undefined;
  return {
    rateLimit: rateLimit ?? Number.POSITIVE_INFINITY,
    burstLimit: burstLimit ?? Number.POSITIVE_INFINITY,
  };
}

const stageKey = (apiId: string, stage: string): string => `${apiId}/${stage}`;
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

class ApiGatewayEmulator implements ServiceEmulator {
  /** `execute-api`: the `@connections` management API; `apigateway`: the v2 control plane (GetApis...). */
  readonly signingNames = ["execute-api", "apigateway"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;

  private readonly apis = new Map<string, ApiRecord>();
  private readonly authorizers = new Map<string, AuthorizerRecord>();
  private readonly integrations = new Map<string, IntegrationRecord>();
  private readonly routes = new Map<string, RouteRecord>();
  /** Route ids that have a route response (two-way routes). */
  private readonly routeResponses = new Map<string, string[]>();
  private readonly stages = new Map<string, StageRecord>();
  private readonly deployments = new Map<string, { apiId: string; description?: string }>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly connections = new Map<string, Connection>();
  /** Sockets whose `$connect` is still running. */
  private readonly pending = new Set<Duplex>();
  /** What `$connect` answered, for the 101 response: selected subprotocol and extra headers. */
  private readonly handshake = new WeakMap<
    IncomingMessage,
    { protocol?: string; headers: Record<string, string> }
  >();
  private readonly wss: WebSocketServer;
  private readonly idleTimeoutMs: number;
  private readonly maxConnectionMs: number;
  private stopped = false;
  private readonly control: ReturnType<typeof createApiGatewayControl>;
  private readonly http: ReturnType<typeof createHttpApiServer>;

  constructor(
    private readonly ctx: LocalContext,
    options: ApiGatewayOptions,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxConnectionMs = options.maxConnectionMs ?? DEFAULT_MAX_CONNECTION_MS;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: HARD_PAYLOAD_LIMIT,
      perMessageDeflate: false,
      handleProtocols: (offered, req) => {
        const wanted = this.handshake.get(req)?.protocol;
        return wanted !== undefined && offered.has(wanted) ? wanted : false;
      },
    });
    this.wss.on("headers", (headers, req) => {
      for (const [name, value] of Object.entries(this.handshake.get(req)?.headers ?? {}))
        headers.push(`${name}: ${value}`);
    });
    this.control = createApiGatewayControl(ctx, {
      webSocketBase: `${ctx.endpoint.replace(/^http/, "ws")}/ws`,
    });
    this.http = createHttpApiServer({
      region: ctx.region,
      accountId: ctx.accountId,
      stage: (apiId, stage) => this.stages.get(stageKey(apiId, stage)),
      isHttpApi: (apiId) => this.apis.get(apiId)?.protocolType === "HTTP",
      routes: (apiId) => [...this.routes.values()].filter((route) => route.apiId === apiId),
      functionOf: (apiId, routeKey) => {
        const route = this.route(apiId, routeKey);
        return route ? this.targetOf(route)?.functionArn : undefined;
      },
      authorizer: (id) => {
        const record = this.authorizers.get(id);
        return record
          ? { ...record, functionArn: record.uri ? functionArnOf(record.uri) : undefined }
          : undefined;
      },
      admit: (apiId, stage, routeKey) => {
        const record = this.stages.get(stageKey(apiId, stage));
        return record ? this.admit(record, routeKey) : false;
      },
      invoke: (functionArn, event, label) => this.invoke(functionArn, event, label),
      debug: (message, fields) => this.ctx.log.debug(message, fields),
    });
    this.adminRoutes = {
      "apigateway/apis": () => this.describeApis(),
      "apigateway/connections": (query) => this.describeConnections(query),
    };
  }

  // ---------------------------------------------------------------- provisioning

  provision(resource: LocalResource): void {
    const inputs = resource.inputs;
    const id = resource.id ?? resource.name;
    switch (resource.type) {
      case "aws:apigatewayv2/api:Api":
        this.apis.set(id, {
          id,
          name: str(inputs.name) ?? resource.name,
          protocolType: str(inputs.protocolType) ?? "HTTP",
          routeSelectionExpression: str(inputs.routeSelectionExpression),
          description: str(inputs.description),
        });
        return;
      case "aws:apigatewayv2/authorizer:Authorizer":
        this.authorizers.set(id, {
          id,
          apiId: str(inputs.apiId) ?? "",
          name: str(inputs.name) ?? resource.name,
          type: str(inputs.authorizerType) ?? "REQUEST",
          uri: str(inputs.authorizerUri),
          identitySources: Array.isArray(inputs.identitySources)
            ? inputs.identitySources.filter((s): s is string => typeof s === "string")
            : [],
          enableSimpleResponses: inputs.enableSimpleResponses === true,
          ttlSeconds: num(inputs.authorizerResultTtlInSeconds) ?? 300,
        });
        return;
      case "aws:apigatewayv2/integration:Integration":
        this.integrations.set(id, {
          id,
          apiId: str(inputs.apiId) ?? "",
          type: str(inputs.integrationType) ?? "AWS_PROXY",
          uri: str(inputs.integrationUri),
        });
        return;
      case "aws:apigatewayv2/route:Route":
        this.routes.set(id, {
          id,
          apiId: str(inputs.apiId) ?? "",
          routeKey: str(inputs.routeKey) ?? "",
          target: str(inputs.target),
          authorizationType: str(inputs.authorizationType) ?? "NONE",
          authorizerId: str(inputs.authorizerId),
          routeResponseSelectionExpression: str(inputs.routeResponseSelectionExpression),
        });
        return;
      case "aws:apigatewayv2/routeResponse:RouteResponse": {
        const routeId = str(inputs.routeId);
        if (routeId)
          this.routeResponses.set(routeId, [
            ...(this.routeResponses.get(routeId) ?? []),
            str(inputs.routeResponseKey) ?? "$default",
          ]);
        return;
      }
      case "aws:apigatewayv2/deployment:Deployment":
        this.deployments.set(id, { apiId: str(inputs.apiId) ?? "", description: str(inputs.description) });
        return;
      case "aws:apigatewayv2/stage:Stage": {
        const apiId = str(inputs.apiId) ?? "";
        const name = str(inputs.name) ?? str(resource.outputs.name) ?? id;
        const routeThrottle = new Map<string, ThrottleSetting>();
        for (const setting of Array.isArray(inputs.routeSettings) ? inputs.routeSettings : []) {
          const routeKey = str((setting as Record<string, unknown>)?.routeKey);
          const throttle = throttleOf(setting);
          if (routeKey && throttle) routeThrottle.set(routeKey, throttle);
        }
        const stageVariables: Record<string, string> = {};
        if (typeof inputs.stageVariables === "object" && inputs.stageVariables !== null) {
          for (const [key, value] of Object.entries(inputs.stageVariables))
            stageVariables[key] = String(value);
        }
        this.stages.set(stageKey(apiId, name), {
          apiId,
          name,
          deploymentId: str(inputs.deploymentId),
          stageVariables,
          defaultThrottle: throttleOf(inputs.defaultRouteSettings),
          routeThrottle,
        });
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- lookups

  private route(apiId: string, routeKey: string): RouteRecord | undefined {
    for (const route of this.routes.values())
      if (route.apiId === apiId && route.routeKey === routeKey) return route;
    return undefined;
  }

  /** The Lambda a route targets (its AWS_PROXY integration), or undefined when the route has no target. */
  private targetOf(route: RouteRecord): { integration: IntegrationRecord; functionArn?: string } | undefined {
    const match = /^integrations\/(.+)$/.exec(route.target ?? "");
    if (!match?.[1]) return undefined;
    const integration = this.integrations.get(match[1]);
    if (!integration) {
      this.ctx.log.warn(`route ${route.routeKey} targets an unknown integration`, { target: route.target });
      return undefined;
    }
    const isLambda =
      integration.type === "AWS_PROXY" && integration.uri !== undefined && /lambda/.test(integration.uri);
    return {
      integration,
      functionArn: isLambda && integration.uri ? functionArnOf(integration.uri) : undefined,
    };
  }

  private twoWay(route: RouteRecord): boolean {
    return (this.routeResponses.get(route.id)?.length ?? 0) > 0;
  }

  /** Takes one request from the route's bucket (stage default route settings, or the route's own). */
  private admit(stage: StageRecord, routeKey: string): boolean {
    const setting = stage.routeThrottle.get(routeKey) ?? stage.defaultThrottle;
    if (!setting) return true;
    const key = `${stageKey(stage.apiId, stage.name)}/${routeKey}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(setting);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  private async invoke(functionArn: string, event: unknown, routeKey: string): Promise<InvokeResult> {
    const started = Date.now();
    try {
      await this.ctx.iam.requireApiGatewayInvoke(functionArn, event, routeKey); // the function's permission (IAM)
      return await this.ctx.lambda.invoke(functionArn, event, { source: `apigateway:${routeKey}` });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.ctx.log.error(`could not invoke ${functionArn} for ${routeKey}`, { error: failure.message });
      return {
        error: {
          errorType: failure instanceof LocalServiceError ? failure.code : failure.name,
          errorMessage: failure.message,
        },
        durationMs: Date.now() - started,
      };
    }
  }

  // ---------------------------------------------------------------- $connect

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://local");
    if (!url.pathname.startsWith("/ws/")) return false;
    socket.on("error", (error) => this.ctx.log.debug("websocket socket error", { error: String(error) }));
    const match = /^\/ws\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    const apiId = match?.[1] ? decodeURIComponent(match[1]) : "";
    const stageName = match?.[2] ? decodeURIComponent(match[2]) : "";
    const api = this.apis.get(apiId);
    const stage = this.stages.get(stageKey(apiId, stageName));
    if (this.stopped || !api || api.protocolType !== "WEBSOCKET" || !stage) {
      rejectUpgrade(socket, 403, { message: "Forbidden" });
      return true;
    }
    this.pending.add(socket);
    void this.connect(req, socket, head, url, api, stage)
      .catch((error) => {
        this.ctx.log.error("websocket $connect failed", {
          error: error instanceof Error ? error.message : String(error),
        });
        rejectUpgrade(socket, 500, { message: "Internal server error" });
      })
      .finally(() => this.pending.delete(socket));
    return true;
  }

  private async connect(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    api: ApiRecord,
    stage: StageRecord,
  ): Promise<void> {
    // Read while $connect runs, so a client that leaves is noticed (a client cannot send frames before the
    // 101, but whatever arrives is handed to the WebSocket as the upgrade's head).
    let aborted = false;
    const early: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      early.push(chunk);
    };
    const onEnd = (): void => {
      aborted = true;
      socket.destroy();
    };
    const onClose = (): void => {
      aborted = true;
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onClose);
    const key = req.headers["sec-websocket-key"];
    const upgradeHeader = String(req.headers.upgrade ?? "").toLowerCase();
    const version = req.headers["sec-websocket-version"];
    if (
      req.method !== "GET" ||
      upgradeHeader !== "websocket" ||
      typeof key !== "string" ||
      !/^[+/0-9A-Za-z]{22}==$/.test(key) ||
      (version !== "13" && version !== "8")
    ) {
      rejectUpgrade(socket, 400, { message: "Bad Request" });
      return;
    }
    if (!this.admit(stage, "$connect")) {
      rejectUpgrade(socket, 429, { message: "Too Many Requests" });
      return;
    }

    const connectedAt = Date.now();
    const connectionId = awsShortId();
    const sourceIp = sourceIpOf(req);
    const userAgent = typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : undefined;
    const domainName = req.headers.host ?? `${api.id}.execute-api.${this.ctx.region}.amazonaws.com`;
    const parts = connectRequestParts(req, url, Number(new URL(this.ctx.endpoint).port));
    const connectRequestId = awsShortId();
    const requestContext = (authorizer?: Record<string, unknown>): Record<string, unknown> => ({
      routeKey: "$connect",
      eventType: "CONNECT",
      extendedRequestId: connectRequestId,
      requestTime: requestTime(connectedAt),
      messageDirection: "IN",
      stage: stage.name,
      connectedAt,
      requestTimeEpoch: connectedAt,
      identity: { sourceIp, ...(userAgent ? { userAgent } : {}) },
      requestId: connectRequestId,
      domainName,
      connectionId,
      apiId: api.id,
      ...(authorizer ? { authorizer } : {}),
    });

    const route = this.route(api.id, "$connect");
    let authorizer: Record<string, unknown> | undefined;
    if (route?.authorizationType === "CUSTOM") {
      const decision = await this.authorize(route, api, stage, parts, requestContext());
      if (decision.kind === "deny") {
        this.ctx.log.debug("websocket connection refused by the authorizer", {
          apiId: api.id,
          reason: decision.reason,
        });
        rejectUpgrade(socket, decision.status, { message: decision.message });
        return;
      }
      authorizer = decision.authorizer;
    } else if (route && route.authorizationType !== "NONE") {
      this.ctx.log.debug(`$connect authorization ${route.authorizationType} is not checked locally`, {
        apiId: api.id,
      });
    }
    if (aborted) return;

    const handshake: { protocol?: string; headers: Record<string, string> } = { headers: {} };
    const target = route ? this.targetOf(route) : undefined;
    if (target) {
      if (!target.functionArn) {
        this.ctx.log.warn(
          `$connect integration ${target.integration.type} is not emulated locally: accepting`,
          {
            integrationId: target.integration.id,
          },
        );
      } else {
        const result = await this.invoke(
          target.functionArn,
          {
            ...parts,
            ...this.stageVariablesField(stage),
            requestContext: requestContext(authorizer),
            isBase64Encoded: false,
          },
          "$connect",
        );
        if (result.error) {
          this.ctx.log.warn("the $connect integration failed: connection refused", {
            apiId: api.id,
            error: result.error,
          });
          rejectUpgrade(socket, 502, { message: "Internal server error" });
          return;
        }
        const payload = (
          typeof result.payload === "object" && result.payload !== null ? result.payload : {}
        ) as Record<string, unknown>;
        const status = payload.statusCode === undefined ? 200 : Number(payload.statusCode);
        if (!(status >= 200 && status < 300)) {
          rejectUpgrade(socket, Number.isInteger(status) && status >= 100 && status <= 599 ? status : 502, {
            message:
              typeof payload.body === "string"
                ? payload.body
                : (STATUS_CODES[status] ?? "Internal server error"),
          });
          return;
        }
        for (const [name, value] of Object.entries(
          (payload.headers as Record<string, unknown> | undefined) ?? {},
        )) {
          if (name.toLowerCase() === "sec-websocket-protocol") handshake.protocol = String(value).trim();
          else if (!HOP_BY_HOP.has(name.toLowerCase())) handshake.headers[name] = String(value);
        }
      }
    }

    const connection: Omit<Connection, "ws"> = {
      id: connectionId,
      apiId: api.id,
      stage: stage.name,
      connectedAt,
      lastActiveAt: connectedAt,
      sourceIp,
      userAgent,
      domainName,
      authorizer,
      disconnected: false,
    };
    if (aborted || socket.destroyed || this.stopped) {
      // $connect already ran (and may have stored the connection): the client left before the upgrade.
      if (!this.stopped) void this.disconnect({ ...connection, closedBy: { code: 1006, reason: "" } });
      return;
    }
    this.handshake.set(req, handshake);
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("close", onClose);
    socket.pause();
    this.wss.handleUpgrade(req, socket, Buffer.concat([head, ...early]), (ws) => {
      socket.resume();
      this.opened({ ...connection, ws });
    });
  }

  private stageVariablesField(stage: StageRecord): { stageVariables?: Record<string, string> } {
    return Object.keys(stage.stageVariables).length > 0 ? { stageVariables: stage.stageVariables } : {};
  }

  private async authorize(
    route: RouteRecord,
    api: ApiRecord,
    stage: StageRecord,
    parts: ConnectRequestParts,
    requestContext: Record<string, unknown>,
  ): Promise<ReturnType<typeof evaluateAuthorizerResult>> {
    const record = route.authorizerId ? this.authorizers.get(route.authorizerId) : undefined;
    if (!record?.uri) {
      return {
        kind: "deny",
        status: 500,
        message: null,
        reason: `the $connect authorizer ${route.authorizerId} is not provisioned`,
      };
    }
    const missing = record.identitySources.filter(
      (source) => !identitySourceValue(source, parts, stage.stageVariables),
    );
    if (missing.length > 0) {
      return {
        kind: "deny",
        status: 401,
        message: "Unauthorized",
        reason: `missing identity sources: ${missing.join(", ")}`,
      };
    }
    const methodArn = `arn:aws:execute-api:${this.ctx.region}:${this.ctx.accountId}:${api.id}/${stage.name}/$connect`;
    const event = {
      type: "REQUEST",
      methodArn,
      ...parts,
      stageVariables: stage.stageVariables,
      requestContext,
    };
    const result = await this.invoke(functionArnOf(record.uri), event, "$connect authorizer");
    return evaluateAuthorizerResult(result, methodArn);
  }

  // ---------------------------------------------------------------- open connections

  private opened(connection: Connection): void {
    const { ws } = connection;
    this.connections.set(connection.id, connection);
    this.ctx.log.debug("websocket connected", {
      connectionId: connection.id,
      apiId: connection.apiId,
      stage: connection.stage,
    });
    connection.idleTimer = setTimeout(
      () => this.closeConnection(connection, 1001, "Going away"),
      this.idleTimeoutMs,
    );
    connection.idleTimer.unref();
    connection.maxTimer = setTimeout(
      () => this.closeConnection(connection, 1001, "Going away"),
      this.maxConnectionMs,
    );
    connection.maxTimer.unref();
    ws.on("message", (data, isBinary) => this.onMessage(connection, data, isBinary));
    ws.on("ping", () => this.touch(connection));
    ws.on("error", (error) =>
      this.ctx.log.debug("websocket error", { connectionId: connection.id, error: error.message }),
    );
    ws.on("close", (code, reason) => {
      this.connections.delete(connection.id);
      void this.disconnect(connection, { code, reason: reason.toString("utf8") });
    });
  }

  private touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    connection.idleTimer?.refresh();
  }

  /** Closes from the server side: the connection is gone for `@connections` at once, `$disconnect` follows the close. */
  private closeConnection(connection: Connection, code: number, reason: string): void {
    if (connection.closedBy) return;
    connection.closedBy = { code, reason };
    this.connections.delete(connection.id);
    connection.ws.close(code, reason);
  }

  private async disconnect(
    connection: Omit<Connection, "ws">,
    observed?: { code: number; reason: string },
  ): Promise<void> {
    if (connection.disconnected) return;
    connection.disconnected = true;
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    if (this.stopped) return;
    const { code, reason } = connection.closedBy ?? observed ?? { code: 1006, reason: "" };
    this.ctx.log.debug("websocket disconnected", { connectionId: connection.id, code, reason });
    const route = this.route(connection.apiId, "$disconnect");
    const target = route ? this.targetOf(route) : undefined;
    if (!target?.functionArn) return;
    const now = Date.now();
    const id = awsShortId();
    const headers = { Host: connection.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" };
    const stage = this.stages.get(stageKey(connection.apiId, connection.stage));
    const event = {
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      ...(stage ? this.stageVariablesField(stage) : {}),
      requestContext: {
        routeKey: "$disconnect",
        disconnectStatusCode: code,
        eventType: "DISCONNECT",
        extendedRequestId: id,
        requestTime: requestTime(now),
        messageDirection: "IN",
        disconnectReason: reason,
        stage: connection.stage,
        connectedAt: connection.connectedAt,
        requestTimeEpoch: now,
        identity: {
          sourceIp: connection.sourceIp,
          ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
        },
        requestId: id,
        domainName: connection.domainName,
        connectionId: connection.id,
        apiId: connection.apiId,
        ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
      },
      isBase64Encoded: false,
    };
    const result = await this.invoke(target.functionArn, event, "$disconnect");
    if (result.error)
      this.ctx.log.warn("the $disconnect integration failed", {
        connectionId: connection.id,
        error: result.error,
      });
  }

  // ---------------------------------------------------------------- messages

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.closedBy || connection.disconnected) return;
    this.touch(connection);
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (isBinary) {
      // "API Gateway WebSocket APIs don't currently support binary frames in incoming message payloads."
      this.closeConnection(connection, 1003, "Binary frames are not supported");
      return;
    }
    if (buffer.length > MAX_MESSAGE_BYTES) {
      this.closeConnection(connection, 1009, "Message too big");
      return;
    }
    void this.routeMessage(connection, buffer.toString("utf8")).catch((error) =>
      this.ctx.log.error("websocket message failed", {
        connectionId: connection.id,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  private async routeMessage(connection: Connection, body: string): Promise<void> {
    const api = this.apis.get(connection.apiId);
    const stage = this.stages.get(stageKey(connection.apiId, connection.stage));
    const messageRequestId = awsShortId();
    const fail = (message: string): void =>
      this.deliver(
        connection,
        Buffer.from(JSON.stringify({ message, connectionId: connection.id, requestId: messageRequestId })),
      );
    if (!api || !stage) return fail("Forbidden");
    const selected = selectRoute(api.routeSelectionExpression, body);
    let route =
      selected !== undefined && !selected.startsWith("$") ? this.route(api.id, selected) : undefined;
    route ??= this.route(api.id, "$default");
    if (!route) return fail("Forbidden");
    if (!this.admit(stage, route.routeKey)) return fail("Too Many Requests");
    const target = this.targetOf(route);
    if (!target?.functionArn) {
      this.ctx.log.warn(`route ${route.routeKey} has no Lambda integration the local cloud can run`, {
        apiId: api.id,
      });
      return fail("Internal server error");
    }
    const now = Date.now();
    const event = {
      requestContext: {
        routeKey: route.routeKey,
        messageId: awsShortId(),
        eventType: "MESSAGE",
        extendedRequestId: messageRequestId,
        requestTime: requestTime(now),
        messageDirection: "IN",
        stage: connection.stage,
        connectedAt: connection.connectedAt,
        requestTimeEpoch: now,
        identity: {
          sourceIp: connection.sourceIp,
          ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
        },
        requestId: messageRequestId,
        domainName: connection.domainName,
        connectionId: connection.id,
        apiId: api.id,
        ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
      },
      body,
      isBase64Encoded: false,
      ...this.stageVariablesField(stage),
    };
    const result = await this.invoke(target.functionArn, event, route.routeKey);
    if (result.error) {
      this.ctx.log.warn(`the ${route.routeKey} integration failed`, {
        connectionId: connection.id,
        error: result.error,
      });
      return fail("Internal server error");
    }
    if (!this.twoWay(route)) return;
    const payload = result.payload;
    let answer: string | undefined;
    if (typeof payload === "object" && payload !== null && "body" in payload) {
      const value = (payload as { body?: unknown }).body;
      answer =
        value === undefined || value === null
          ? undefined
          : typeof value === "string"
            ? value
            : JSON.stringify(value);
    }
    if (answer !== undefined) this.deliver(connection, Buffer.from(answer, "utf8"));
  }

  /** Sends one message (text when it is UTF-8), in frames of at most 32 KB as API Gateway does. */
  private deliver(connection: Connection, data: Buffer): void {
    const { ws } = connection;
    if (connection.closedBy || ws.readyState !== ws.OPEN) return;
    const binary = !isUtf8(data);
    if (data.length <= FRAME_BYTES) {
      ws.send(data, { binary });
      return;
    }
    for (let offset = 0; offset < data.length; offset += FRAME_BYTES) {
      ws.send(data.subarray(offset, offset + FRAME_BYTES), {
        binary,
        fin: offset + FRAME_BYTES >= data.length,
      });
    }
  }

  // ---------------------------------------------------------------- @connections

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://local");
      if (!signingName(req) && url.pathname.startsWith(HTTP_API_PATH_PREFIX)) {
        await this.http.handle(req, res, body, url);
        return;
      }
      if (signingName(req) === "apigateway") {
        this.control.handle(req, res, new URL(req.url ?? "/", "http://local"));
        return;
      }
      this.manage(req, res, body);
    } catch (error) {
      if (!(error instanceof LocalServiceError)) throw error;
      sendRestJsonError(res, error);
    }
  }

  private manage(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? "/", "http://local");
    const match = /^(?:\/ws\/([^/]+))?\/([^/]+)\/@connections\/([^/]+)\/?$/.exec(url.pathname);
    if (!match?.[2] || !match[3]) {
      throw new LocalServiceError(
        "ForbiddenException",
        `No API Gateway management operation at ${req.method} ${url.pathname}: use /ws/<apiId>/<stage>/@connections/<connectionId>.`,
        403,
      );
    }
    const stageName = decodeURIComponent(match[2]);
    const connectionId = decodeURIComponent(match[3]);
    let apiId = match[1] ? decodeURIComponent(match[1]) : undefined;
    if (apiId === undefined) {
      // `<endpoint>/<stage>/@connections/...`: the stage name alone, when exactly one API has it.
      const candidates = [...this.stages.values()].filter((stage) => stage.name === stageName);
      if (candidates.length === 1) apiId = candidates[0]?.apiId;
    }
    if (apiId === undefined || !this.stages.has(stageKey(apiId, stageName))) {
      throw new LocalServiceError(
        "ForbiddenException",
        `No WebSocket stage ${apiId ?? "?"}/${stageName}: the management endpoint is ${this.ctx.endpoint}/ws/<apiId>/<stage>.`,
        403,
      );
    }
    const connection = this.connections.get(connectionId);
    const live =
      connection && connection.apiId === apiId && connection.stage === stageName && !connection.closedBy
        ? connection
        : undefined;
    const method = req.method ?? "GET";
    if (!["POST", "GET", "DELETE"].includes(method)) {
      throw new LocalServiceError(
        "ForbiddenException",
        `${method} is not a @connections operation (POST, GET, DELETE).`,
        403,
      );
    }
    if (method === "POST" && body.length > MAX_MESSAGE_BYTES) {
      throw new LocalServiceError(
        "PayloadTooLargeException",
        `The data is ${body.length} bytes; a WebSocket message is at most ${MAX_MESSAGE_BYTES} bytes (128 KB).`,
        413,
      );
    }
    if (!live) {
      throw new LocalServiceError(
        "GoneException",
        `The connection ${connectionId} no longer exists (closed or never connected to ${apiId}/${stageName}).`,
        410,
      );
    }
    if (method === "POST") {
      this.deliver(live, body);
      sendEmpty(res, 200);
    } else if (method === "GET") {
      const text = JSON.stringify({
        connectedAt: iso(live.connectedAt),
        identity: { sourceIp: live.sourceIp, ...(live.userAgent ? { userAgent: live.userAgent } : {}) },
        lastActiveAt: iso(live.lastActiveAt),
      });
      res.writeHead(200, {
        "content-type": "application/json",
        "x-amzn-requestid": awsRequestId(),
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    } else {
      this.closeConnection(live, 1000, "");
      sendEmpty(res, 204);
    }
  }

  // ---------------------------------------------------------------- admin views and lifecycle

  private wsBase(): string {
    return this.ctx.endpoint.replace(/^http/, "ws");
  }

  private describeApis(): unknown {
    return [...this.apis.values()].map((api) => ({
      apiId: api.id,
      name: api.name,
      protocolType: api.protocolType,
      routeSelectionExpression: api.routeSelectionExpression,
      apiEndpoint:
        api.protocolType === "HTTP"
          ? `${this.ctx.endpoint}${HTTP_API_PATH_PREFIX}${api.id}`
          : `${this.wsBase()}/ws/${api.id}`,
      routes: [...this.routes.values()]
        .filter((route) => route.apiId === api.id)
        .map((route) => {
          const target = this.targetOf(route);
          const authorizer = route.authorizerId ? this.authorizers.get(route.authorizerId) : undefined;
          return {
            routeKey: route.routeKey,
            integrationType: target?.integration.type,
            function: target?.functionArn,
            authorizationType: route.authorizationType,
            authorizer: authorizer
              ? {
                  name: authorizer.name,
                  function: authorizer.uri ? functionArnOf(authorizer.uri) : undefined,
                  identitySources: authorizer.identitySources,
                }
              : undefined,
            twoWay: this.twoWay(route),
          };
        }),
      stages: [...this.stages.values()]
        .filter((stage) => stage.apiId === api.id)
        .map((stage) => ({
          name: stage.name,
          ...(api.protocolType === "HTTP"
            ? { invokeUrl: `${this.ctx.endpoint}${localHttpApiPath(api.id, stage.name)}` }
            : {
                invokeUrl: `${this.wsBase()}${localWebSocketPath(api.id, stage.name)}`,
                managementEndpoint: `${this.ctx.endpoint}${localWebSocketPath(api.id, stage.name)}`,
              }),
          deploymentId: stage.deploymentId,
          throttling: stage.defaultThrottle,
          connections: [...this.connections.values()].filter(
            (c) => c.apiId === api.id && c.stage === stage.name,
          ).length,
        })),
    }));
  }

  private describeConnections(query: URLSearchParams): unknown {
    const apiId = query.get("apiId");
    const stage = query.get("stage");
    return [...this.connections.values()]
      .filter((c) => (!apiId || c.apiId === apiId) && (!stage || c.stage === stage))
      .map((c) => ({
        connectionId: c.id,
        apiId: c.apiId,
        stage: c.stage,
        connectedAt: iso(c.connectedAt),
        lastActiveAt: iso(c.lastActiveAt),
        sourceIp: c.sourceIp,
        userAgent: c.userAgent,
        principalId: c.authorizer?.principalId,
      }));
  }

  /**
   * Drops every connection without running `$disconnect` (the engine is going away; AWS's `$disconnect` is
   * best-effort too) and refuses upgrades still waiting for `$connect`.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const connection of this.connections.values()) {
      connection.disconnected = true;
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxTimer);
      connection.ws.terminate();
    }
    this.connections.clear();
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    await new Promise<void>((done) => this.wss.close(() => done()));
  }
}

const HOP_BY_HOP = new Set([
  "connection",
  "upgrade",
  "content-length",
  "transfer-encoding",
  "sec-websocket-accept",
  "sec-websocket-extensions",
]);

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "x-amzn-requestid": awsRequestId(), "content-length": 0 });
  res.end();
}

/** Answers an upgrade request with an HTTP error instead of a WebSocket (as API Gateway does on a refused `$connect`). */
function rejectUpgrade(socket: Duplex, status: number, body: { message: string | null }): void {
  if (socket.destroyed || !socket.writable) return;
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      `x-amzn-RequestId: ${awsRequestId()}\r\n` +
      "Connection: close\r\n\r\n" +
      text,
  );
}

/**
 * The API Gateway emulator (signing name `execute-api`): WebSocket APIs at `/ws/<apiId>/<stage>` and their
 * `@connections` management API. `idleTimeoutMs`/`maxConnectionMs` scale AWS's 10-minute idle timeout and
 * 2-hour connection cap (tests shorten them).
 */
export { HTTP_API_PATH_PREFIX, localHttpApiPath } from "./http";

export function createApiGateway(ctx: LocalContext, options: ApiGatewayOptions = {}): ServiceEmulator {
  return new ApiGatewayEmulator(ctx, options);
}
