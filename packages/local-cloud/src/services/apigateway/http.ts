import type { IncomingMessage, ServerResponse } from "node:http";
import { requestId as awsRequestId } from "../../protocol";
import type { InvokeResult } from "../../types";
import { createHttpAuthorizer, type HttpAuthorizer } from "./authorizers";
import { awsShortId, requestTime, sourceIpOf } from "./events";

/**
 * API Gateway HTTP APIs, locally: each stage is served at `/http/<apiId>/<stage>/<path>` on the engine's port,
 * unsigned (a client sends `Authorization: Bearer <token>`, not SigV4). A request is matched to `METHOD /path`, then
 * `ANY /path`, then `$default`; the stage's throttling answers 429; a route with a Lambda REQUEST authorizer needs its
 * identity sources (401 without them), runs it (payload format 2.0; simple responses or IAM policies; decisions cached
 * per identity-source values for the authorizer's TTL) and answers 403 when it says no; then the Lambda proxy
 * integration runs with a payload format 2.0 event and its answer becomes the response (a result without `statusCode`
 * is a 200 JSON body, as AWS infers it).
 */

/** The path prefix of HTTP API invoke URLs on the engine's port. */
export const HTTP_API_PATH_PREFIX = "/http/";

/** The path of a stage's invoke URL: `/http/<apiId>/<stage>`. */
export function localHttpApiPath(apiId: string, stage: string): string {
  return `${HTTP_API_PATH_PREFIX}${apiId}/${stage}`;
}

/** HTTP API request payload limit: 10 MB (docs/aws-reference.md). */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface HttpRoute {
  routeKey: string;
  authorizationType: string;
  authorizerId?: string;
}

/** What the emulator hands this module for one request. */
export interface HttpApiHost {
  region: string;
  accountId: string;
  /** The stage (with its throttling), or undefined. */
  stage(apiId: string, stage: string): { name: string; stageVariables: Record<string, string> } | undefined;
  isHttpApi(apiId: string): boolean;
  routes(apiId: string): HttpRoute[];
  /** The Lambda a route's AWS_PROXY integration invokes. */
  functionOf(apiId: string, routeKey: string): string | undefined;
  authorizer(id: string): HttpAuthorizer | undefined;
  admit(apiId: string, stage: string, routeKey: string): boolean;
  invoke(functionArn: string, event: unknown, label: string): Promise<InvokeResult>;
  debug(message: string, fields?: Record<string, unknown>): void;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "apigw-requestid": awsShortId(),
    "x-amzn-requestid": awsRequestId(),
    ...headers,
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

const message = (res: ServerResponse, status: number, text: string): void =>
  send(res, status, JSON.stringify({ message: text }));

/** Headers as HTTP APIs pass them: lower-case names, repeated values joined with commas. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === "cookie") continue;
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  headers["x-forwarded-for"] ??= sourceIpOf(req);
  headers["x-forwarded-proto"] ??= "http";
  return headers;
}

/** Matches `METHOD /path`, `ANY /path` (path parameters `{name}` and greedy `{name+}` included), then `$default`. */
export function matchRoute(
  routes: readonly HttpRoute[],
  method: string,
  path: string,
): { route: HttpRoute; pathParameters?: Record<string, string> } | undefined {
  const segments = path.split("/").filter((s) => s !== "");
  for (const wanted of [method, "ANY"]) {
    for (const route of routes) {
      const [routeMethod, routePath] = route.routeKey.split(" ");
      if (routeMethod !== wanted || !routePath) continue;
      const parts = routePath.split("/").filter((s) => s !== "");
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        const greedy = /^\{(.+)\+\}$/.exec(part);
        if (greedy?.[1]) {
          if (i >= segments.length) ok = false;
          else params[greedy[1]] = segments.slice(i).join("/");
          break;
        }
        const segment = segments[i];
        if (segment === undefined) {
          ok = false;
          break;
        }
        const param = /^\{(.+)\}$/.exec(part);
        if (param?.[1]) params[param[1]] = decodeURIComponent(segment);
        else if (part !== segment) {
          ok = false;
          break;
        }
      }
      if (ok && !parts.some((p) => p.endsWith("+}")) && parts.length !== segments.length) ok = false;
      if (ok) return { route, ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}) };
    }
  }
  const fallback = routes.find((route) => route.routeKey === "$default");
  return fallback ? { route: fallback } : undefined;
}

/** One identity source of an HTTP API authorizer (`$request.header.Authorization`, `$request.querystring.x`). */
function identityValue(
  source: string,
  headers: Record<string, string>,
  query: URLSearchParams,
): string | undefined {
  const header = /^\$request\.header\.(.+)$/i.exec(source.trim());
  if (header?.[1]) return headers[header[1].toLowerCase()] || undefined;
  const queryName = /^\$request\.querystring\.(.+)$/i.exec(source.trim());
  if (queryName?.[1]) return query.get(queryName[1]) || undefined;
  return "context";
}

/** Serves HTTP API invoke URLs for an emulator (state in `host`, the decision cache in authorizers.ts). */
export function createHttpApiServer(host: HttpApiHost) {
  const authorize = createHttpAuthorizer(host);

  return {
    /** Answers a request under `/http/`; the body is already read. */
    async handle(req: IncomingMessage, res: ServerResponse, body: Buffer, url: URL): Promise<void> {
      const match = /^\/http\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
      const apiId = match?.[1] ? decodeURIComponent(match[1]) : "";
      const stageName = match?.[2] ? decodeURIComponent(match[2]) : "";
      const path = match?.[3] ?? "/";
      const stage = host.isHttpApi(apiId) ? host.stage(apiId, stageName) : undefined;
      if (!stage) return message(res, 404, "Not Found");
      const method = (req.method ?? "GET").toUpperCase();
      const found = matchRoute(host.routes(apiId), method, path);
      if (!found) return message(res, 404, "Not Found");
      const { route } = found;
      if (!host.admit(apiId, stageName, route.routeKey)) return message(res, 429, "Too Many Requests");
      if (body.length > HTTP_API_MAX_PAYLOAD_BYTES) return message(res, 413, "Request Entity Too Large");

      const headers = headersOf(req);
      const now = Date.now();
      const requestId = awsShortId();
      const domainName = `${apiId}.execute-api.${host.region}.amazonaws.com`;
      const rawPath = `/${stageName}${path}`;
      const query: Record<string, string> = {};
      for (const [key, value] of url.searchParams)
        query[key] = key in query ? `${query[key]},${value}` : value;
      const cookies = typeof req.headers.cookie === "string" ? req.headers.cookie.split(/;\s*/) : undefined;
      const requestContext = (authorizer?: Record<string, unknown>): Record<string, unknown> => ({
        accountId: host.accountId,
        apiId,
        ...(authorizer ? { authorizer } : {}),
        domainName,
        domainPrefix: apiId,
        http: {
          method,
          path: rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: sourceIpOf(req),
          userAgent: headers["user-agent"] ?? "",
        },
        requestId,
        routeKey: route.routeKey,
        stage: stageName,
        time: requestTime(now),
        timeEpoch: now,
      });
      const common = {
        version: "2.0",
        routeKey: route.routeKey,
        rawPath,
        rawQueryString: url.search.replace(/^\?/, ""),
        ...(cookies ? { cookies } : {}),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(found.pathParameters ? { pathParameters: found.pathParameters } : {}),
        ...(Object.keys(stage.stageVariables).length > 0 ? { stageVariables: stage.stageVariables } : {}),
      };

      let authorizerContext: Record<string, unknown> | undefined;
      if (route.authorizationType === "CUSTOM") {
        const authorizer = route.authorizerId ? host.authorizer(route.authorizerId) : undefined;
        if (!authorizer) return message(res, 500, "Internal Server Error");
        const identity = authorizer.identitySources.map((source) =>
          identityValue(source, headers, url.searchParams),
        );
        if (identity.some((value) => value === undefined)) return message(res, 401, "Unauthorized");
        const routeArn = `arn:aws:execute-api:${host.region}:${host.accountId}:${apiId}/${stageName}/${method}${path}`;
        const decision = await authorize(
          authorizer,
          identity as string[],
          { ...common, requestContext: requestContext() },
          routeArn,
        );
        if (decision.failed) return message(res, 500, "Internal Server Error");
        if (!decision.allowed) return message(res, 403, "Forbidden");
        authorizerContext = { lambda: decision.context ?? {} };
      } else if (route.authorizationType !== "NONE") {
        host.debug(`HTTP API authorization ${route.authorizationType} is not checked locally`, { apiId });
      }

      const functionArn = host.functionOf(apiId, route.routeKey);
      if (!functionArn) return message(res, 500, "Internal Server Error");
      const text = body.toString("utf8");
      const binary = body.length > 0 && !Buffer.from(text, "utf8").equals(body);
      const result = await host.invoke(
        functionArn,
        {
          ...common,
          requestContext: requestContext(authorizerContext),
          ...(body.length > 0 ? { body: binary ? body.toString("base64") : text } : {}),
          isBase64Encoded: binary,
        },
        route.routeKey,
      );
      if (result.error) {
        host.debug("the HTTP API integration failed", { routeKey: route.routeKey, error: result.error });
        return message(res, 500, "Internal Server Error");
      }
      const payload = result.payload;
      if (typeof payload === "object" && payload !== null && "statusCode" in payload) {
        const answer = payload as {
          statusCode: unknown;
          headers?: Record<string, unknown>;
          body?: unknown;
          isBase64Encoded?: boolean;
        };
        const status = Number(answer.statusCode);
        if (!Number.isInteger(status) || status < 100 || status > 599)
          return message(res, 500, "Internal Server Error");
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(answer.headers ?? {}))
          out[name.toLowerCase()] = String(value);
        const raw =
          typeof answer.body === "string"
            ? answer.body
            : answer.body === undefined
              ? ""
              : JSON.stringify(answer.body);
        const bytes = answer.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
        res.writeHead(status, {
          "content-type": "application/json",
          "apigw-requestid": requestId,
          ...out,
          "content-length": String(bytes.length),
        });
        res.end(bytes);
        return;
      }
      send(res, 200, payload === undefined ? "" : JSON.stringify(payload));
    },
  };
}
