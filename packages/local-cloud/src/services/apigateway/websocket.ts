import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocketServer } from "ws";
import type { LocalContext } from "../../types";
import { authorizeConnect, type Invoke } from "./authorizers";
import { type Connection, type Connections, MAX_MESSAGE_BYTES } from "./connections";
import { rejectUpgrade } from "./errors";
import { awsShortId, connectRequestParts, requestTime, selectRoute, sourceIpOf } from "./events";
import { type ApiGatewayModel, type ApiRecord, type StageRecord, stageVariablesField } from "./model";

/**
 * The WebSocket data plane: upgrades at `/ws/<apiId>/<stage>` run the `$connect` route (its Lambda REQUEST
 * authorizer, then its integration) before the 101 is sent, so a refusal is an HTTP error as on AWS; messages
 * are routed by the API's route selection expression (else `$default`) to Lambda proxy integrations, two-way
 * routes sending the integration's `body` back; `$disconnect` runs once when a connection ends, with the close
 * code the client or the server used.
 */

/** Frames larger than this are refused by the WebSocket layer itself (1009 without reading them). */
const HARD_PAYLOAD_LIMIT = 4 * MAX_MESSAGE_BYTES;

/** The request-context fields every event of an open connection carries ($disconnect and messages alike). */
const connectionFields = (connection: Omit<Connection, "ws">, now: number) => ({
  stage: connection.stage,
  connectedAt: connection.connectedAt,
  requestTimeEpoch: now,
  identity: {
    sourceIp: connection.sourceIp,
    ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
  },
  domainName: connection.domainName,
  connectionId: connection.id,
  ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
});

const HOP_BY_HOP = new Set([
  "connection",
  "upgrade",
  "content-length",
  "transfer-encoding",
  "sec-websocket-accept",
  "sec-websocket-extensions",
]);

export class WebSocketApiServer {
  /** Sockets whose `$connect` is still running. */
  private readonly pending = new Set<Duplex>();
  /** What `$connect` answered, for the 101 response: selected subprotocol and extra headers. */
  private readonly handshake = new WeakMap<
    IncomingMessage,
    { protocol?: string; headers: Record<string, string> }
  >();
  private readonly wss: WebSocketServer;
  private stopped = false;

  constructor(
    private readonly ctx: LocalContext,
    private readonly model: ApiGatewayModel,
    private readonly connections: Connections,
    private readonly invoke: Invoke,
  ) {
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
  }

  // ---------------------------------------------------------------- $connect

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://local");
    if (!url.pathname.startsWith("/ws/")) return false;
    socket.on("error", (error) => this.ctx.log.debug("websocket socket error", { error: String(error) }));
    const match = /^\/ws\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    const apiId = match?.[1] ? decodeURIComponent(match[1]) : "";
    const stageName = match?.[2] ? decodeURIComponent(match[2]) : "";
    const api = this.model.apis.get(apiId);
    const stage = this.model.stage(apiId, stageName);
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
    if (!this.model.admit(stage, "$connect")) {
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

    const route = this.model.route(api.id, "$connect");
    let authorizer: Record<string, unknown> | undefined;
    if (route?.authorizationType === "CUSTOM") {
      const decision = await authorizeConnect(
        { model: this.model, region: this.ctx.region, accountId: this.ctx.accountId, invoke: this.invoke },
        route,
        api,
        stage,
        parts,
        requestContext(),
      );
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
    const target = route ? this.model.targetOf(route) : undefined;
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
            ...stageVariablesField(stage),
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

  // ---------------------------------------------------------------- open connections

  private opened(connection: Connection): void {
    const { ws } = connection;
    this.connections.add(connection);
    this.ctx.log.debug("websocket connected", {
      connectionId: connection.id,
      apiId: connection.apiId,
      stage: connection.stage,
    });
    ws.on("message", (data, isBinary) => this.onMessage(connection, data, isBinary));
    ws.on("ping", () => this.connections.touch(connection));
    ws.on("error", (error) =>
      this.ctx.log.debug("websocket error", { connectionId: connection.id, error: error.message }),
    );
    ws.on("close", (code, reason) => {
      this.connections.delete(connection.id);
      void this.disconnect(connection, { code, reason: reason.toString("utf8") });
    });
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
    const route = this.model.route(connection.apiId, "$disconnect");
    const target = route ? this.model.targetOf(route) : undefined;
    if (!target?.functionArn) return;
    const now = Date.now();
    const id = awsShortId();
    const headers = { Host: connection.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" };
    const stage = this.model.stage(connection.apiId, connection.stage);
    const event = {
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      ...(stage ? stageVariablesField(stage) : {}),
      requestContext: {
        routeKey: "$disconnect",
        disconnectStatusCode: code,
        eventType: "DISCONNECT",
        extendedRequestId: id,
        requestTime: requestTime(now),
        messageDirection: "IN",
        disconnectReason: reason,
        ...connectionFields(connection, now),
        requestId: id,
        apiId: connection.apiId,
      },
      isBase64Encoded: false,
    };
    const result = await this.invoke(target.functionArn, event, "$disconnect");
    // A $disconnect still running when the local cloud stops fails because its function is stopped: not news.
    if (result.error && !this.stopped)
      this.ctx.log.warn("the $disconnect integration failed", {
        connectionId: connection.id,
        error: result.error,
      });
  }

  // ---------------------------------------------------------------- messages

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.closedBy || connection.disconnected) return;
    this.connections.touch(connection);
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (isBinary) {
      // "API Gateway WebSocket APIs don't currently support binary frames in incoming message payloads."
      this.connections.close(connection, 1003, "Binary frames are not supported");
      return;
    }
    if (buffer.length > MAX_MESSAGE_BYTES) {
      this.connections.close(connection, 1009, "Message too big");
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
    const api = this.model.apis.get(connection.apiId);
    const stage = this.model.stage(connection.apiId, connection.stage);
    const messageRequestId = awsShortId();
    const fail = (message: string): void =>
      this.connections.deliver(
        connection,
        Buffer.from(JSON.stringify({ message, connectionId: connection.id, requestId: messageRequestId })),
      );
    if (!api || !stage) return fail("Forbidden");
    const selected = selectRoute(api.routeSelectionExpression, body);
    let route =
      selected !== undefined && !selected.startsWith("$") ? this.model.route(api.id, selected) : undefined;
    route ??= this.model.route(api.id, "$default");
    if (!route) return fail("Forbidden");
    if (!this.model.admit(stage, route.routeKey)) return fail("Too Many Requests");
    const target = this.model.targetOf(route);
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
        ...connectionFields(connection, now),
        requestId: messageRequestId,
        apiId: api.id,
      },
      body,
      isBase64Encoded: false,
      ...stageVariablesField(stage),
    };
    const result = await this.invoke(target.functionArn, event, route.routeKey);
    if (result.error) {
      this.ctx.log.warn(`the ${route.routeKey} integration failed`, {
        connectionId: connection.id,
        error: result.error,
      });
      return fail("Internal server error");
    }
    if (!this.model.twoWay(route)) return;
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
    if (answer !== undefined) this.connections.deliver(connection, Buffer.from(answer, "utf8"));
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Drops every connection without running `$disconnect` (the engine is going away; AWS's `$disconnect` is
   * best-effort too) and refuses upgrades still waiting for `$connect`.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connections.terminateAll();
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    await new Promise<void>((done) => this.wss.close(() => done()));
  }
}
