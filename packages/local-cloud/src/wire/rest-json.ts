import type { ServerResponse } from "node:http";
import { requestId } from "../protocol";
import { LocalServiceError } from "../types";

/**
 * What the control planes of the local cloud share: the REST-JSON success response (Lambda, API Gateway v2)
 * and the one error every emulator answers for an AWS operation it does not emulate, naming it.
 */

/** A successful REST-JSON response (`application/json`). */
export function sendRestJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId(),
  });
  res.end(text);
}

/**
 * The error for an operation the local cloud does not emulate: `NotImplemented` (HTTP 501, as S3 answers it)
 * unless the protocol has its own code for an unknown operation (`UnknownOperationException` for AWS JSON,
 * `InvalidAction` for awsQuery; both 400). The message names `<service>:<Operation>`.
 */
export function notEmulated(
  service: string,
  operation: string,
  style: "rest" | "json" | "query" = "rest",
): LocalServiceError {
  const message = `the local cloud does not emulate ${service}:${operation}`;
  if (style === "json") return new LocalServiceError("UnknownOperationException", message, 400);
  if (style === "query") return new LocalServiceError("InvalidAction", message, 400);
  return new LocalServiceError("NotImplemented", message, 501);
}
