import { SUBPROTOCOL } from "../protocol";

export type TokenSource = "query" | "protocol";

export interface ConnectRequest {
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
}

/** A header's value, whatever the case of its name (API Gateway passes names as the client sent them). */
export function headerValue(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The subprotocols offered in `Sec-WebSocket-Protocol`, in order. */
export function offeredProtocols(request: ConnectRequest): string[] {
  const header = headerValue(request.headers, "Sec-WebSocket-Protocol") ?? "";
  return header
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/**
 * Where the client put its token: the `token` query-string parameter, or (browsers cannot set headers
 * on a WebSocket) `Sec-WebSocket-Protocol: switchyard.v1, <token>`. The query string wins when both are
 * given. Undefined when there is none.
 */
export function extractToken(request: ConnectRequest): { token: string; source: TokenSource } | undefined {
  const query = request.queryStringParameters?.token?.trim();
  if (query) return { token: query, source: "query" };
  const offered = offeredProtocols(request);
  if (!offered.includes(SUBPROTOCOL)) return undefined;
  const token = offered.find((protocol) => protocol !== SUBPROTOCOL);
  return token ? { token, source: "protocol" } : undefined;
}

/**
 * The `Sec-WebSocket-Protocol` the `$connect` answer must carry: a browser that offered subprotocols
 * closes the socket unless the server selects one of them.
 */
export function selectedProtocol(request: ConnectRequest): string | undefined {
  return offeredProtocols(request).includes(SUBPROTOCOL) ? SUBPROTOCOL : undefined;
}
