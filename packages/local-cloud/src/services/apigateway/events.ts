import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The pieces of API Gateway WebSocket events that do not depend on the emulator's state: ids in AWS's
 * shape, the request time format, the headers and query string as a Lambda proxy integration receives
 * them, route selection, and a `$connect` authorizer's identity sources.
 */

/** An id shaped like API Gateway's connection, request and message ids: 16 base64 characters, e.g. `L0SM9cOFvHcCIhw=`. */
export function awsShortId(): string {
  return randomBytes(11).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `requestContext.requestTime`: `19/Jan/2023:21:13:26 +0000` (CLF format, UTC). */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** An `X-Amzn-Trace-Id` value: `Root=1-<8 hex epoch seconds>-<24 hex>`. */
export function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

/** The client's address without the IPv4-mapped IPv6 prefix. */
export function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "127.0.0.1";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

/** Headers and query string of the upgrade request, as API Gateway hands them to `$connect` and its authorizer. */
export interface ConnectRequestParts {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  /** Absent when the URL has no query string (as AWS sends it). */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

/**
 * The upgrade request's headers with their names as the client sent them (single-valued: the last one wins,
 * all values in `multiValueHeaders`), plus the `X-Forwarded-*` and `X-Amzn-Trace-Id` headers API Gateway adds;
 * and its query string parameters the same way.
 */
export function connectRequestParts(req: IncomingMessage, url: URL, localPort: number): ConnectRequestParts {
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    // Names keep the client's case, but one header is one entry whatever the case of its repeats.
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase());
    const key = existing ?? name;
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), value];
  }
  const has = (name: string): boolean =>
    Object.keys(multiValueHeaders).some((key) => key.toLowerCase() === name.toLowerCase());
  const add = (name: string, value: string): void => {
    if (!has(name)) multiValueHeaders[name] = [value];
  };
  add("X-Amzn-Trace-Id", traceId());
  add("X-Forwarded-For", sourceIpOf(req));
  add("X-Forwarded-Port", String(localPort));
  add("X-Forwarded-Proto", "http");
  const headers = Object.fromEntries(
    Object.entries(multiValueHeaders).map(([key, values]) => [key, values.at(-1) ?? ""]),
  );

  const parts: ConnectRequestParts = { headers, multiValueHeaders };
  const multiValueQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams)
    multiValueQuery[key] = [...(multiValueQuery[key] ?? []), value];
  if (Object.keys(multiValueQuery).length > 0) {
    parts.multiValueQueryStringParameters = multiValueQuery;
    parts.queryStringParameters = Object.fromEntries(
      Object.entries(multiValueQuery).map(([key, values]) => [key, values.at(-1) ?? ""]),
    );
  }
  return parts;
}

/** A header's value whatever the case of its name. */
export function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Reads one identity source of a WebSocket REQUEST authorizer (`route.request.header.Auth`,
 * `route.request.querystring.token`, `stageVariables.x`); undefined or empty when the request lacks it.
 */
export function identitySourceValue(
  source: string,
  parts: ConnectRequestParts,
  stageVariables: Record<string, string>,
): string | undefined {
  const trimmed = source.trim().replace(/^\$/, "");
  const header = /^(?:route\.)?request\.header\.(.+)$/i.exec(trimmed);
  if (header?.[1]) return headerOf(parts.headers, header[1]);
  const query = /^(?:route\.)?request\.querystring\.(.+)$/i.exec(trimmed);
  if (query?.[1]) return parts.queryStringParameters?.[query[1]];
  const stageVariable = /^stageVariables\.(.+)$/.exec(trimmed);
  if (stageVariable?.[1]) return stageVariables[stageVariable[1]];
  // `context.*` sources always exist on a request.
  if (/^context\./.test(trimmed)) return "context";
  return undefined;
}

/**
 * The route key a message selects: the route selection expression (`$request.body.action`, or a template
 * such as `${request.body.type}-${request.body.kind}`) evaluated against the JSON body. Undefined when the
 * body is not a JSON object or a referenced value is missing (the message then goes to `$default`).
 */
export function selectRoute(expression: string | undefined, body: string): string | undefined {
  if (!expression) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const lookup = (path: string): string | undefined => {
    let value: unknown = parsed;
    for (const key of path.split(".")) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return undefined;
  };
  const whole = /^\$request\.body\.([A-Za-z0-9_$.-]+)$/.exec(expression.trim());
  if (whole?.[1]) return lookup(whole[1]);
  let missing = false;
  const selected = expression.replace(/\$\{request\.body\.([A-Za-z0-9_$.-]+)\}/g, (_match, path: string) => {
    const value = lookup(path);
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? undefined : selected;
}

/** The Lambda function ARN inside an integration/authorizer URI (`arn:aws:apigateway:…:lambda:path/2015-03-31/functions/<arn>/invocations`). */
export function functionArnOf(uri: string): string {
  const match = /\/functions\/(.+?)\/invocations\/?$/.exec(uri);
  return match?.[1] ?? uri;
}
