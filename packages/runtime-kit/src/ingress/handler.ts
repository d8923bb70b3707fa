import { createHash } from "node:crypto";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import type { Context } from "aws-lambda";
import { isTransient } from "../classify";
import { ValidationError, type ValidationIssue } from "../errors";
import type { LoggerLike } from "../types";
import type { RateDecision } from "./rate-limit";

/** The request as an HTTP API Lambda proxy integration receives it (payload format 2.0); the fields used here. */
export interface IngressRequest {
  routeKey?: string;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: {
    requestId?: string;
    authorizer?: { lambda?: Record<string, unknown> | null } | null;
  } | null;
}

/** The answer (payload format 2.0): always JSON. */
export interface IngressResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** One problem with a request: the field it is about (`body` for the request as a whole) and what was expected. */
export interface IngressProblem {
  field: string;
  message: string;
}

export type IngressParse<T> = { ok: true; value: T } | { ok: false; problems: IngressProblem[] };

/** The header a client sets to make a retry safe. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** Set on an answer replayed from an earlier request with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = "idempotent-replayed";
/**
 * Media types whose body is read as JSON: `application/json` and `application/*+json`, none at all, and
 * `application/x-www-form-urlencoded`, which is only what `curl -d @file.json` labels any body with (the body must still
 * be JSON, or the answer is 400 naming `body`). A media type that says the body is something else (`text/plain`,
 * `multipart/form-data`, XML) is refused with 415.
 */
const JSON_READABLE = (mediaType: string): boolean =>
  mediaType === "" ||
  mediaType === "application/json" ||
  /^application\/[\w.-]+\+json$/.test(mediaType) ||
  mediaType === "application/x-www-form-urlencoded";

/** Visible ASCII, 1 to 255 characters (a UUID is the usual choice). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface IngressRouteOptions<T> {
  /** Largest request body accepted, in bytes: at most what the transport behind takes. */
  maxBodyBytes: number;
  /** Validates the JSON body against the contract; problems name the field. */
  parse: (body: unknown) => IngressParse<T>;
  /**
   * Publishes the validated value and returns the message id. It checks the transport's limits first and throws a
   * ValidationError naming the field when the message would not fit.
   */
  publish: (value: T) => Promise<string>;
  /** Per-client throttling; undefined: none. */
  throttle?: (clientId: string) => Promise<RateDecision>;
  /** Powertools idempotency records (the ingress table). */
  persistenceStore: BasePersistenceLayer;
  /** How long an idempotency key is remembered, in seconds. @default 86400 */
  idempotencyTtlSeconds?: number;
  logger: Pick<LoggerLike, "info" | "warn" | "error">;
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): IngressResponse => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** An answer refusing the request, one problem per field. */
export const refusal = (
  statusCode: number,
  message: string,
  problems: IngressProblem[] = [],
): IngressResponse => json(statusCode, { message, ...(problems.length > 0 ? { problems } : {}) });

function header(headers: IngressRequest["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Zod-style issues as ingress problems (`path` becomes `field`, `""` the body). */
export function problemsOf(issues: readonly ValidationIssue[]): IngressProblem[] {
  return issues.map((issue) => ({ field: issue.path === "" ? "body" : issue.path, message: issue.message }));
}

/**
 * One ingress route (thin handler: parse -> publish): the authorizer's client id, per-client throttling (429 with
 * `Retry-After`), the body's size (413) and media type (415: JSON, or none, or what `curl -d` sends), the contract (400, every problem naming its field),
 * then the publish, at most once per client and `Idempotency-Key` (Powertools idempotency in the ingress table: a
 * retry gets the first answer and publishes nothing; the same key with another body is refused with 422, and a retry
 * while the first is still publishing with 409, as the IETF Idempotency-Key draft recommends). 202 with the message id.
 */
export function createIngressHandler<T>(
  options: IngressRouteOptions<T>,
): (event: IngressRequest, context?: Context) => Promise<IngressResponse> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "key",
    payloadValidationJmesPath: "hash",
    expiresAfterSeconds: options.idempotencyTtlSeconds ?? 86_400,
    throwOnNoIdempotencyKey: true,
  });
  let published = false;
  const publishOnce = makeIdempotent(
    async (input: { key: string; hash: string; value: T }) => {
      published = true;
      return { messageId: await options.publish(input.value) };
    },
    { persistenceStore: options.persistenceStore, config },
  );
  const { logger } = options;

  return async (event, context) => {
    if (context) config.registerLambdaContext(context);
    const requestId = event.requestContext?.requestId;
    const clientId = event.requestContext?.authorizer?.lambda?.clientId;
    if (typeof clientId !== "string" || clientId === "") {
      // The route is behind the authorizer: reaching here without a client id is a configuration error.
      logger.error("no client id from the authorizer", { requestId, routeKey: event.routeKey });
      return refusal(401, "Unauthorized");
    }
    if (options.throttle) {
      const decision = await options.throttle(clientId);
      if (!decision.allowed) {
        logger.info("request throttled", {
          requestId,
          clientId,
          retryAfterSeconds: decision.retryAfterSeconds,
        });
        return json(
          429,
          { message: `Too many requests from ${clientId}: retry after ${decision.retryAfterSeconds} s` },
          { "retry-after": String(decision.retryAfterSeconds) },
        );
      }
    }
    const raw = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    if (raw.length > options.maxBodyBytes) {
      return refusal(413, "Request body too large", [
        { field: "body", message: `expected at most ${options.maxBodyBytes} bytes (got ${raw.length})` },
      ]);
    }
    const mediaType = (header(event.headers, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (!JSON_READABLE(mediaType)) {
      return refusal(415, "Unsupported media type", [
        { field: "content-type", message: `expected application/json (got ${mediaType})` },
      ]);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return refusal(400, "Invalid request", [{ field: "body", message: "expected a JSON document" }]);
    }
    const parsed = options.parse(body);
    if (!parsed.ok) return refusal(400, "Invalid request", parsed.problems);

    const key = header(event.headers, IDEMPOTENCY_KEY_HEADER);
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return refusal(400, "Invalid request", [
        { field: "Idempotency-Key", message: "expected 1 to 255 visible ASCII characters" },
      ]);
    }
    try {
      if (key === undefined) {
        const messageId = await options.publish(parsed.value);
        return json(202, { messageId });
      }
      published = false;
      // Scoped by client: two clients never share a key. The hash is of the validated value, so a retry with the
      // same content (whatever its formatting) matches, and different content under the same key is refused.
      const hash = createHash("sha256").update(JSON.stringify(parsed.value)).digest("hex");
      const result = await publishOnce({ key: `${clientId}#${key}`, hash, value: parsed.value });
      return json(202, result, published ? {} : { [IDEMPOTENT_REPLAYED_HEADER]: "true" });
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        return refusal(422, "Idempotency-Key reused with a different request", [
          { field: "Idempotency-Key", message: "was already used by this client for a different body" },
        ]);
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        return refusal(409, "A request with this Idempotency-Key is still in progress", [
          { field: "Idempotency-Key", message: "retry once the first request has answered" },
        ]);
      }
      const cause = (error as { cause?: unknown }).cause;
      const failure =
        error instanceof ValidationError ? error : cause instanceof ValidationError ? cause : undefined;
      if (failure) {
        const tooLarge = failure.issues.some((issue) => /bytes/.test(issue.message));
        return refusal(
          tooLarge ? 413 : 400,
          tooLarge ? "Message too large" : "Invalid request",
          problemsOf(failure.issues),
        );
      }
      const transient = isTransient(cause ?? error);
      logger.error("publish failed", {
        requestId,
        clientId,
        transient,
        error: error instanceof Error ? error.message : String(error),
      });
      return transient
        ? json(
            503,
            { message: "Service unavailable: retry later (with the same Idempotency-Key)" },
            { "retry-after": "1" },
          )
        : refusal(500, "Internal server error");
    }
  };
}
