import type { IncomingMessage } from "node:http";
import { epochSeconds, type Shape, type StructShape } from "./shapes";

/**
 * The AWS query protocol's requests (SQS and CloudWatch for older clients, SNS for all): a form-encoded
 * POST body (or a GET query string) with `Action`, `Version` and the input flattened into dotted keys:
 * `Attribute.1.Name`, `MetricData.member.1.Dimensions.member.1.Value`, `Tags.entry.1.key`. Read back
 * into the JSON-shaped input the service APIs take, following the operation's shape.
 */

export interface QueryRequest {
  action: string;
  version?: string;
  /** Every form field, keys as sent. */
  params: Map<string, string>;
}

/** Whether a request is a query-protocol request (form-encoded body, or `Action=` in a GET query string). */
export function isQueryRequest(req: IncomingMessage): boolean {
  const type = String(req.headers["content-type"] ?? "");
  if (type.includes("x-www-form-urlencoded")) return true;
  return req.method === "GET" && new URL(req.url ?? "/", "http://local").searchParams.has("Action");
}

/** Parses a query request from its body (POST) or URL (GET). `action` is empty when the request names none. */
export function parseQueryRequest(req: IncomingMessage, body: Buffer): QueryRequest {
  const params = new Map<string, string>();
  for (const [key, value] of new URL(req.url ?? "/", "http://local").searchParams) params.set(key, value);
  if (body.length > 0) {
    for (const [key, value] of new URLSearchParams(body.toString("utf8"))) params.set(key, value);
  }
  return { action: params.get("Action") ?? "", version: params.get("Version"), params };
}

/**
 * The input of an operation out of its query parameters, JSON-shaped: lists as arrays, maps as objects,
 * integers and doubles as numbers (left as the sent string when not numeric, so the API's own validation
 * names the field), booleans as booleans, timestamps as epoch seconds.
 */
export function readQueryInput(params: Map<string, string>, shape: StructShape): Record<string, unknown> {
  const prefixes = new Set<string>();
  for (const key of params.keys()) {
    let at = key.indexOf(".");
    while (at !== -1) {
      prefixes.add(key.slice(0, at));
      at = key.indexOf(".", at + 1);
    }
    prefixes.add(key);
  }
  const reader = new Reader(params, prefixes);
  return reader.struct("", shape) ?? {};
}

class Reader {
  constructor(
    private readonly params: Map<string, string>,
    private readonly prefixes: Set<string>,
  ) {}

  struct(prefix: string, shape: StructShape): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [member, spec] of Object.entries(shape.members)) {
      const key = prefix === "" ? (spec.name ?? member) : `${prefix}.${spec.name ?? member}`;
      const value = this.value(key, spec.shape);
      if (value !== undefined) {
        out[member] = value;
        any = true;
      }
    }
    return any || prefix === "" ? out : undefined;
  }

  value(key: string, shape: Shape): unknown {
    switch (shape.kind) {
      case "structure":
        return this.prefixes.has(key) ? this.struct(key, shape) : undefined;
      case "list": {
        let base: string;
        if (shape.flat) {
          const parts = key.split(".");
          if (shape.memberName) parts[parts.length - 1] = shape.memberName;
          base = parts.join(".");
        } else {
          base = `${key}.${shape.memberName ?? "member"}`;
        }
        const items: unknown[] = [];
        for (let i = 1; this.prefixes.has(`${base}.${i}`); i += 1) {
          const item = this.value(`${base}.${i}`, shape.member);
          if (item !== undefined) items.push(item);
        }
        if (items.length > 0) return items;
        // An explicitly empty list is sent as `Key=` (botocore).
        return this.params.get(key) === "" ? [] : undefined;
      }
      case "map": {
        const base = shape.flat ? key : `${key}.entry`;
        const out: Record<string, unknown> = {};
        let any = false;
        for (let i = 1; this.prefixes.has(`${base}.${i}`); i += 1) {
          const name = this.value(`${base}.${i}.${shape.keyName ?? "key"}`, shape.key);
          const value = this.value(`${base}.${i}.${shape.valueName ?? "value"}`, shape.value);
          if (typeof name !== "string") continue;
          out[name] = value;
          any = true;
        }
        return any ? out : undefined;
      }
      default: {
        const raw = this.params.get(key);
        if (raw === undefined) return undefined;
        switch (shape.kind) {
          case "integer":
          case "double": {
            const number = raw.trim() === "" ? Number.NaN : Number(raw);
            return Number.isFinite(number) ? number : raw;
          }
          case "boolean":
            return raw === "true" ? true : raw === "false" ? false : raw;
          case "timestamp":
            return epochSeconds(raw) ?? raw;
          default:
            return raw;
        }
      }
    }
  }
}
