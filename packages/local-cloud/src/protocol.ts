import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LocalServiceError } from "./types";

/**
 * Wire-protocol helpers shared by the emulators: which service a request is for, and how each AWS
 * protocol family (JSON 1.0/1.1, query, REST-JSON, REST-XML) shapes its responses and errors, so the
 * real SDK v3 clients parse them.
 */

/** Reads a whole request body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const SCOPE = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([^/\s,]+)\/aws4_request/;

/**
 * The SigV4 signing name of a request (`sqs`, `sns`, `events`, `dynamodb`, `s3`, `execute-api`,
 * `monitoring`, `sms-voice`, `mobiletargeting`), from the Authorization header or a presigned URL's
 * `X-Amz-Credential`; falls back to the `X-Amz-Target` prefix for unsigned JSON requests.
 */
export function signingName(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const fromHeader = typeof auth === "string" ? SCOPE.exec(auth)?.[1] : undefined;
  if (fromHeader) return fromHeader;
  const url = new URL(req.url ?? "/", "http://local");
  const credential = url.searchParams.get("X-Amz-Credential");
  if (credential) return credential.split("/")[3];
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    if (target.startsWith("AmazonSQS.")) return "sqs";
    if (target.startsWith("AWSEvents.")) return "events";
    if (target.startsWith("DynamoDB_")) return "dynamodb";
    if (target.startsWith("PinpointSMSVoiceV2.")) return "sms-voice";
  }
  return undefined;
}

/** A request id in the AWS format. */
export function requestId(): string {
  return randomUUID();
}

export function md5(text: string | Buffer): string {
  return createHash("md5").update(text).digest("hex");
}

/** The operation of a JSON-protocol request: `AmazonSQS.SendMessage` -> `SendMessage`. */
export function jsonOperation(req: IncomingMessage): string {
  const target = req.headers["x-amz-target"];
  if (typeof target !== "string" || !target.includes(".")) {
    throw new LocalServiceError("MissingAction", "The request has no X-Amz-Target header.");
  }
  return target.slice(target.lastIndexOf(".") + 1);
}

/** Parses a JSON request body (an empty body is `{}`). */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString("utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("not an object");
    }
    return parsed as Record<string, unknown>;
  } catch {
    throw new LocalServiceError("SerializationException", "The request body is not a JSON object.");
  }
}

/** A successful AWS JSON (1.0 / 1.1) response. */
export function sendJson(
  res: ServerResponse,
  body: unknown,
  options: { version?: "1.0" | "1.1"; status?: number } = {},
): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(options.status ?? 200, {
    "content-type": `application/x-amz-json-${options.version ?? "1.0"}`,
    "x-amzn-requestid": requestId(),
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * An AWS JSON error: `{"__type": "<namespace>#<Code>", "message"}`. `queryCode` (SQS) also goes in the
 * `x-amzn-query-error` header, which awsQuery-compatible clients read for the legacy code.
 */
export function sendJsonError(
  res: ServerResponse,
  error: LocalServiceError,
  options: { namespace?: string; version?: "1.0" | "1.1" } = {},
): void {
  const type = options.namespace ? `${options.namespace}#${error.code}` : error.code;
  const text = JSON.stringify({ __type: type, message: error.message, Message: error.message });
  const headers: Record<string, string | number> = {
    "content-type": `application/x-amz-json-${options.version ?? "1.0"}`,
    "x-amzn-requestid": requestId(),
    "x-amzn-errortype": error.code,
    "content-length": Buffer.byteLength(text),
  };
  if (error.queryCode) headers["x-amzn-query-error"] = `${error.queryCode};Sender`;
  res.writeHead(error.status, headers);
  res.end(text);
}

/** A REST-JSON error (API Gateway management, Pinpoint): `x-amzn-ErrorType` header and `{ message }`. */
export function sendRestJsonError(res: ServerResponse, error: LocalServiceError): void {
  const text = JSON.stringify({ message: error.message, Message: error.message });
  res.writeHead(error.status, {
    "content-type": "application/json",
    "x-amzn-errortype": error.code,
    "x-amzn-requestid": requestId(),
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Parses an awsQuery (form-encoded) body into a flat map: `Attributes.entry.1.key` -> value. */
export function parseQueryBody(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString("utf8")));
}

/**
 * Reads an awsQuery list/map out of a flat form: `prefix.member.N...` (or `prefix.entry.N...`)
 * grouped by N, each a flat map of the remaining keys. E.g. `MessageAttributes.entry.1.Name`.
 */
export function queryMembers(form: Record<string, string>, prefix: string): Array<Record<string, string>> {
  const groups = new Map<number, Record<string, string>>();
  const pattern = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(?:member|entry)\\.(\\d+)(?:\\.(.*))?$`);
  for (const [key, value] of Object.entries(form)) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    const group = groups.get(index) ?? {};
    group[match[2] ?? ""] = value;
    groups.set(index, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

/** ARN parts: `arn:aws:sqs:us-east-1:123456789012:name` -> { service, region, account, resource }. */
export function parseArn(
  arn: string,
): { service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return {
    service: parts[2] ?? "",
    region: parts[3] ?? "",
    account: parts[4] ?? "",
    resource: parts.slice(5).join(":"),
  };
}
