import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { sendRestJsonError, signingName } from "../../protocol";
import { type LocalContext, type LocalResource, LocalServiceError, type ServiceEmulator } from "../../types";
import { Connections, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTION_MS } from "./connections";
import { createApiGatewayControl } from "./control";
import { functionArnOf } from "./events";
import { createHttpApiServer, HTTP_API_PATH_PREFIX } from "./http";
import { invokeIntegration } from "./integrations";
import { createConnectionsApi } from "./management";
import { ApiGatewayModel } from "./model";
import { provisionApiGateway } from "./provisioning";
import { describeApis } from "./views";
import { WebSocketApiServer } from "./websocket";

/**
 * API Gateway v2, locally, on the engine's port:
 * - WebSocket APIs: a real WebSocket endpoint per stage at `/ws/<apiId>/<stage>`, whose `$connect` runs the
 *   route's Lambda REQUEST authorizer and integration before the upgrade completes, whose messages are routed
 *   by the API's route selection expression to Lambda proxy integrations (two-way routes send the
 *   integration's `body` back), and whose `$disconnect` runs once when a connection ends (websocket.ts). The
 *   `@connections` management API (`POST`/`GET`/`DELETE`, signed for `execute-api`) is served under the same
 *   path: `<endpoint>/ws/<apiId>/<stage>/@connections/<connectionId>` (management.ts).
 * - HTTP APIs at `/http/<apiId>/<stage>/<path>`, unsigned (http.ts).
 * - The v2 control plane a CLI reads (signing name `apigateway`: GetApis, GetRoutes...; control.ts).
 *
 * Layout: model.ts (APIs, routes, integrations, authorizers, stages and their throttling: no HTTP),
 * provisioning.ts (the program's resources into the model), connections.ts (open connections, AWS's
 * connection limits, 32 KB frames), websocket.ts (the WebSocket server: `$connect`, messages, `$disconnect`),
 * management.ts (`@connections`), http.ts (HTTP API routing), authorizers.ts (the `$connect` and HTTP API
 * Lambda authorizers), integrations.ts (invoking a route's Lambda, IAM checked), events.ts (event pieces that
 * need no state), errors.ts, views.ts (the admin views), control.ts (the control plane). This file wires them.
 */

export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTION_MS,
  FRAME_BYTES,
  MAX_MESSAGE_BYTES,
} from "./connections";
export { HTTP_API_PATH_PREFIX, localHttpApiPath } from "./http";
export { localWebSocketPath } from "./model";

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

class ApiGatewayEmulator implements ServiceEmulator {
  /** `execute-api`: the `@connections` management API; `apigateway`: the v2 control plane (GetApis...). */
  readonly signingNames = ["execute-api", "apigateway"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;

  private readonly model: ApiGatewayModel;
  private readonly webSockets: WebSocketApiServer;
  private readonly management: ReturnType<typeof createConnectionsApi>;
  private readonly control: ReturnType<typeof createApiGatewayControl>;
  private readonly http: ReturnType<typeof createHttpApiServer>;

  constructor(ctx: LocalContext, options: ApiGatewayOptions) {
    const model = new ApiGatewayModel(ctx.log);
    const connections = new Connections({
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxConnectionMs: options.maxConnectionMs ?? DEFAULT_MAX_CONNECTION_MS,
    });
    const invoke = (functionArn: string, event: unknown, label: string) =>
      invokeIntegration(ctx, functionArn, event, label);
    this.model = model;
    this.webSockets = new WebSocketApiServer(ctx, model, connections, invoke);
    this.management = createConnectionsApi({ endpoint: ctx.endpoint, model, connections });
    this.control = createApiGatewayControl(ctx, {
      webSocketBase: `${ctx.endpoint.replace(/^http/, "ws")}/ws`,
    });
    this.http = createHttpApiServer({
      region: ctx.region,
      accountId: ctx.accountId,
      stage: (apiId, stage) => model.stage(apiId, stage),
      isHttpApi: (apiId) => model.apis.get(apiId)?.protocolType === "HTTP",
      routes: (apiId) => model.routesOf(apiId),
      functionOf: (apiId, routeKey) => {
        const route = model.route(apiId, routeKey);
        return route ? model.targetOf(route)?.functionArn : undefined;
      },
      authorizer: (id) => {
        const record = model.authorizers.get(id);
        return record
          ? { ...record, functionArn: record.uri ? functionArnOf(record.uri) : undefined }
          : undefined;
      },
      admit: (apiId, stage, routeKey) => {
        const record = model.stage(apiId, stage);
        return record ? model.admit(record, routeKey) : false;
      },
      invoke,
      debug: (message, fields) => ctx.log.debug(message, fields),
    });
    this.adminRoutes = {
      "apigateway/apis": () => describeApis(ctx.endpoint, model, connections),
      "apigateway/connections": (query) => connections.describe(query),
    };
  }

  provision(resource: LocalResource): void {
    provisionApiGateway(this.model, resource);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.webSockets.upgrade(req, socket, head);
  }

  /** HTTP API invoke URLs (unsigned, under `/http/`), the control plane (`apigateway`), else `@connections`. */
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
      this.management.handle(req, res, body);
    } catch (error) {
      if (!(error instanceof LocalServiceError)) throw error;
      sendRestJsonError(res, error);
    }
  }

  /** Drops every connection without `$disconnect` and refuses upgrades still waiting for `$connect`. */
  async stop(): Promise<void> {
    await this.webSockets.stop();
  }
}

/**
 * The API Gateway emulator (signing names `execute-api` and `apigateway`): WebSocket APIs at
 * `/ws/<apiId>/<stage>` and their `@connections` management API, HTTP APIs at `/http/<apiId>/<stage>`, and the
 * v2 control plane. `idleTimeoutMs`/`maxConnectionMs` scale AWS's 10-minute idle timeout and 2-hour connection
 * cap (tests shorten them).
 */
export function createApiGateway(ctx: LocalContext, options: ApiGatewayOptions = {}): ServiceEmulator {
  return new ApiGatewayEmulator(ctx, options);
}
