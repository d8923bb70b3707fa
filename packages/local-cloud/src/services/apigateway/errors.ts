import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { requestId as awsRequestId } from "../../protocol";
import { LocalServiceError } from "../../types";

/**
 * API Gateway's errors: the `@connections` API's (REST-JSON, `sendRestJsonError` writes them: 403
 * ForbiddenException, 410 GoneException, 413 PayloadTooLargeException) and a refused WebSocket upgrade (an
 * HTTP error answered on the socket instead of the 101, as API Gateway does on a refused `$connect`).
 */

export const forbidden = (message: string): LocalServiceError =>
  new LocalServiceError("ForbiddenException", message, 403);

export const gone = (message: string): LocalServiceError =>
  new LocalServiceError("GoneException", message, 410);

export const payloadTooLarge = (message: string): LocalServiceError =>
  new LocalServiceError("PayloadTooLargeException", message, 413);

/** Answers an upgrade request with an HTTP error instead of a WebSocket (as API Gateway does on a refused `$connect`). */
export function rejectUpgrade(socket: Duplex, status: number, body: { message: string | null }): void {
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

/** An empty answer with AWS's request id (`@connections` POST 200, DELETE 204). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "x-amzn-requestid": awsRequestId(), "content-length": 0 });
  res.end();
}
