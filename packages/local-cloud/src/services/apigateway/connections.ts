import { isUtf8 } from "node:buffer";
import type { WebSocket } from "ws";

/**
 * The open WebSocket connections: who they are (what `$connect` saw), AWS's connection limits (the idle
 * timeout and the duration cap, both closing with 1001), server-side closes, and sending a message in API
 * Gateway's 32 KB frames. The WebSocket server (websocket.ts) adds and removes them; the `@connections` API
 * (management.ts) and the admin views read them.
 */

/** Message payload limit, both directions (docs/aws-reference.md §5). */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway sends messages to clients in frames of at most 32 KB. */
export const FRAME_BYTES = 32 * 1024;
/** AWS's idle connection timeout: 10 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** AWS's connection duration cap: 2 hours. */
export const DEFAULT_MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;

export interface Connection {
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

/** AWS's connection limits, scaled (tests shorten them). */
export interface ConnectionLimits {
  idleTimeoutMs: number;
  maxConnectionMs: number;
}

/** An ISO 8601 time, as `@connections` GET and the admin views show them. */
export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export class Connections {
  private readonly open = new Map<string, Connection>();

  constructor(private readonly limits: ConnectionLimits) {}

  /** Registers an upgraded connection and starts its idle and duration timers. */
  add(connection: Connection): void {
    this.open.set(connection.id, connection);
    connection.idleTimer = setTimeout(
      () => this.close(connection, 1001, "Going away"),
      this.limits.idleTimeoutMs,
    );
    connection.idleTimer.unref();
    connection.maxTimer = setTimeout(
      () => this.close(connection, 1001, "Going away"),
      this.limits.maxConnectionMs,
    );
    connection.maxTimer.unref();
  }

  /** The client closed it (or the close the server started completed). */
  delete(id: string): void {
    this.open.delete(id);
  }

  /** A live connection of this API and stage, for `@connections`; undefined when gone or closing. */
  live(connectionId: string, apiId: string, stage: string): Connection | undefined {
    const connection = this.open.get(connectionId);
    return connection && connection.apiId === apiId && connection.stage === stage && !connection.closedBy
      ? connection
      : undefined;
  }

  count(apiId: string, stage: string): number {
    return [...this.open.values()].filter((c) => c.apiId === apiId && c.stage === stage).length;
  }

  /** A message or ping from the client: the idle timer starts again. */
  touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    connection.idleTimer?.refresh();
  }

  /** Closes from the server side: the connection is gone for `@connections` at once, `$disconnect` follows the close. */
  close(connection: Connection, code: number, reason: string): void {
    if (connection.closedBy) return;
    connection.closedBy = { code, reason };
    this.open.delete(connection.id);
    connection.ws.close(code, reason);
  }

  /** Sends one message (text when it is UTF-8), in frames of at most 32 KB as API Gateway does. */
  deliver(connection: Connection, data: Buffer): void {
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

  /** Drops every connection at once, without `$disconnect` (the engine is going away). */
  terminateAll(): void {
    for (const connection of this.open.values()) {
      connection.disconnected = true;
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxTimer);
      connection.ws.terminate();
    }
    this.open.clear();
  }

  /** The admin view `GET /_local/apigateway/connections[?apiId=&stage=]`. */
  describe(query: URLSearchParams): unknown {
    const apiId = query.get("apiId");
    const stage = query.get("stage");
    return [...this.open.values()]
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
}
