import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJsonBody, requestId } from "../../protocol";
import { LocalServiceError } from "../../types";
import { sendMessages } from "./api";
import { badRequest } from "./errors";
import type { SmsModel } from "./model";

/**
 * The REST-JSON codec of Amazon Pinpoint (`mobiletargeting`): `SendMessages`
 * (`POST /v1/apps/{ApplicationId}/messages`) routed by path and answered (api.ts runs it), any other path
 * `NotFoundException` and another method `MethodNotAllowedException`; errors written with `x-amzn-ErrorType`
 * and `{ Message, RequestID }`.
 */

/** Pinpoint's REST-JSON success (`application/json`). */
function sendPinpointJson(res: ServerResponse, body: unknown, request: string): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    "content-type": "application/json",
    "x-amzn-requestid": request,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Pinpoint's REST-JSON error: `x-amzn-ErrorType` and `{ Message, RequestID }` (its error members). */
function sendPinpointError(res: ServerResponse, error: LocalServiceError, request: string): void {
  const text = JSON.stringify({ Message: error.message, message: error.message, RequestID: request });
  res.writeHead(error.status, {
    "content-type": "application/json",
    "x-amzn-errortype": error.code,
    "x-amzn-requestid": request,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Serves one Pinpoint request (REST-JSON; only `SendMessages` is routed). */
export function handlePinpoint(
  model: SmsModel,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): void {
  const request = requestId();
  try {
    const url = new URL(req.url ?? "/", "http://local");
    const match = /^\/v1\/apps\/([^/]+)\/messages\/?$/.exec(url.pathname);
    if (!match?.[1]) {
      throw new LocalServiceError(
        "NotFoundException",
        `The local carrier emulates Pinpoint SendMessages only (POST /v1/apps/{ApplicationId}/messages; got ${req.method} ${url.pathname}).`,
        404,
      );
    }
    if (req.method !== "POST") {
      throw new LocalServiceError(
        "MethodNotAllowedException",
        `${req.method} is not allowed on ${url.pathname}.`,
        405,
      );
    }
    let input: Record<string, unknown>;
    try {
      input = parseJsonBody(body);
    } catch {
      throw badRequest("The request body is not a JSON MessageRequest object.");
    }
    sendPinpointJson(res, sendMessages(model, decodeURIComponent(match[1]), input), request);
  } catch (error) {
    const failure =
      error instanceof LocalServiceError
        ? error
        : new LocalServiceError(
            "InternalServerErrorException",
            error instanceof Error ? error.message : String(error),
            500,
          );
    if (failure.status >= 500) model.ctx.log.error("pinpoint request failed", { error: failure.message });
    sendPinpointError(res, failure, request);
  }
}
