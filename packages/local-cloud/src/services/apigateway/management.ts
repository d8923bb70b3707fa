import type { IncomingMessage, ServerResponse } from "node:http";
import { requestId as awsRequestId } from "../../protocol";
import { type Connections, iso, MAX_MESSAGE_BYTES } from "./connections";
import { forbidden, gone, payloadTooLarge, sendEmpty } from "./errors";
import type { ApiGatewayModel } from "./model";

/**
 * The `@connections` management API (signing name `execute-api`) at
 * `<endpoint>/ws/<apiId>/<stage>/@connections/<connectionId>` (or `<endpoint>/<stage>/@connections/...` when
 * exactly one API has that stage): POST sends a message, GET describes the connection, DELETE closes it
 * (1000). A connection that is closed or was never open answers 410 GoneException.
 */
export function createConnectionsApi(host: {
  endpoint: string;
  model: ApiGatewayModel;
  connections: Connections;
}) {
  const { model, connections } = host;
  return {
    /** Answers one request; errors are thrown as `LocalServiceError`s (see errors.ts). */
    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      const url = new URL(req.url ?? "/", "http://local");
      const match = /^(?:\/ws\/([^/]+))?\/([^/]+)\/@connections\/([^/]+)\/?$/.exec(url.pathname);
      if (!match?.[2] || !match[3]) {
        throw forbidden(
          `No API Gateway management operation at ${req.method} ${url.pathname}: use /ws/<apiId>/<stage>/@connections/<connectionId>.`,
        );
      }
      const stageName = decodeURIComponent(match[2]);
      const connectionId = decodeURIComponent(match[3]);
      let apiId = match[1] ? decodeURIComponent(match[1]) : undefined;
      if (apiId === undefined) {
        // `<endpoint>/<stage>/@connections/...`: the stage name alone, when exactly one API has it.
        const candidates = [...model.stages.values()].filter((stage) => stage.name === stageName);
        if (candidates.length === 1) apiId = candidates[0]?.apiId;
      }
      if (apiId === undefined || !model.stage(apiId, stageName)) {
        throw forbidden(
          `No WebSocket stage ${apiId ?? "?"}/${stageName}: the management endpoint is ${host.endpoint}/ws/<apiId>/<stage>.`,
        );
      }
      const live = connections.live(connectionId, apiId, stageName);
      const method = req.method ?? "GET";
      if (!["POST", "GET", "DELETE"].includes(method)) {
        throw forbidden(`${method} is not a @connections operation (POST, GET, DELETE).`);
      }
      if (method === "POST" && body.length > MAX_MESSAGE_BYTES) {
        throw payloadTooLarge(
          `The data is ${body.length} bytes; a WebSocket message is at most ${MAX_MESSAGE_BYTES} bytes (128 KB).`,
        );
      }
      if (!live) {
        throw gone(
          `The connection ${connectionId} no longer exists (closed or never connected to ${apiId}/${stageName}).`,
        );
      }
      if (method === "POST") {
        connections.deliver(live, body);
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
        connections.close(live, 1000, "");
        sendEmpty(res, 204);
      }
    },
  };
}
