import type { ServerResponse } from "node:http";
import { requestId } from "../protocol";
import type { LocalServiceError } from "../types";
import type { Shape, StructShape } from "./shapes";

/**
 * XML for the AWS query protocol's responses: `<{Op}Response xmlns><{Op}Result>…</{Op}Result>
 * <ResponseMetadata><RequestId/></ResponseMetadata></{Op}Response>`, members written in the shape's
 * order with their query names, lists and maps wrapped (`<member>`, `<entry><key/><value/></entry>`) or
 * flattened as the shape says, timestamps in ISO 8601, errors as `<ErrorResponse>`.
 */

/**
 * Escapes text for an XML element or attribute. `\r` is written as a character reference, since XML
 * parsers turn a literal CR into LF (SQS bodies must come back byte for byte).
 */
export function xmlText(value: unknown): string {
  return xmlEscape(value).replace(/\r/g, "&#xD;");
}

/** Escapes text for an XML element or attribute (`&`, `<`, `>`, quotes); `\r` is left as it is. */
export function xmlEscape(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function scalar(value: unknown, kind: string): string {
  if (kind === "timestamp") {
    const seconds = typeof value === "number" ? value : Number(value);
    if (Number.isFinite(seconds)) return new Date(seconds * 1000).toISOString();
    return xmlText(value);
  }
  if (kind === "boolean") return value ? "true" : "false";
  return xmlText(value);
}

/** One element `<name>…</name>` for a value of the shape (several elements for a flattened list or map). */
export function xmlElement(name: string, value: unknown, shape: Shape): string {
  if (value === undefined || value === null) return "";
  switch (shape.kind) {
    case "structure":
      return `<${name}>${xmlMembers(value as Record<string, unknown>, shape)}</${name}>`;
    case "list": {
      const items = Array.isArray(value) ? value : [];
      if (shape.flat)
        return items.map((item) => xmlElement(shape.memberName ?? name, item, shape.member)).join("");
      const inner = items
        .map((item) => xmlElement(shape.memberName ?? "member", item, shape.member))
        .join("");
      return `<${name}>${inner}</${name}>`;
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>).filter(
        ([, item]) => item !== undefined && item !== null,
      );
      const entry = ([key, item]: [string, unknown]): string =>
        xmlElement(shape.keyName ?? "key", key, shape.key) +
        xmlElement(shape.valueName ?? "value", item, shape.value);
      if (shape.flat) return entries.map((pair) => `<${name}>${entry(pair)}</${name}>`).join("");
      return `<${name}>${entries.map((pair) => `<entry>${entry(pair)}</entry>`).join("")}</${name}>`;
    }
    default:
      return `<${name}>${scalar(value, shape.kind)}</${name}>`;
  }
}

/** The members of a structure, in the shape's order, each under its query name. */
export function xmlMembers(value: Record<string, unknown>, shape: StructShape): string {
  let out = "";
  for (const [member, spec] of Object.entries(shape.members)) {
    out += xmlElement(spec.name ?? member, value[member], spec.shape);
  }
  return out;
}

/** A successful query response for `action`; `output` is the JSON-shaped result. */
export function sendXmlResult(
  res: ServerResponse,
  options: { action: string; xmlns: string; output?: unknown; shape?: StructShape; result?: string },
): void {
  const id = requestId();
  const inner =
    options.shape && options.result
      ? `<${options.result}>${xmlMembers((options.output ?? {}) as Record<string, unknown>, options.shape)}</${options.result}>`
      : "";
  const text = `<?xml version="1.0"?>\n<${options.action}Response xmlns="${options.xmlns}">${inner}<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${options.action}Response>`;
  res.writeHead(200, {
    "content-type": "text/xml",
    "x-amzn-requestid": id,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A query error: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/><Detail/></Error>
 * <RequestId/></ErrorResponse>` with the error's HTTP status. `code` is the query code (e.g.
 * `AWS.SimpleQueueService.NonExistentQueue`), which may differ from the JSON protocol's.
 */
export function sendXmlError(
  res: ServerResponse,
  error: LocalServiceError,
  options: { xmlns: string; code?: string; message?: string },
): void {
  const id = requestId();
  const type = error.status >= 500 ? "Receiver" : "Sender";
  const code = options.code ?? error.queryCode ?? error.code;
  const message = options.message ?? error.message;
  const text = `<?xml version="1.0"?>\n<ErrorResponse xmlns="${options.xmlns}"><Error><Type>${type}</Type><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message><Detail/></Error><RequestId>${id}</RequestId></ErrorResponse>`;
  res.writeHead(error.status, {
    "content-type": "text/xml",
    "x-amzn-requestid": id,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A query response whose result the caller wrote as XML (SNS): `<{Action}Response><{Action}Result>inner
 * </{Action}Result><ResponseMetadata/></{Action}Response>`. Responses written along a shape use `sendXmlResult`.
 */
export function sendQueryResult(res: ServerResponse, action: string, innerXml: string, xmlns: string): void {
  const text = `<?xml version="1.0"?>\n<${action}Response xmlns="${xmlns}"><${action}Result>${innerXml}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`;
  res.writeHead(200, { "content-type": "text/xml", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
