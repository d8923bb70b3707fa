import type { InvokeResult } from "../../types";
import { type ConnectRequestParts, functionArnOf, identitySourceValue } from "./events";
import type { ApiGatewayModel, ApiRecord, RouteRecord, StageRecord } from "./model";

/**
 * Lambda REQUEST authorizers, both kinds: the WebSocket `$connect` authorizer (an IAM policy answer, evaluated
 * as API Gateway does: `evaluateAuthorizerResult`) and the HTTP APIs' authorizer (payload format 2.0, simple
 * responses or IAM policies, decisions cached per identity-source values for the authorizer's TTL).
 */

/** Invokes a function for a route, the function's resource policy checked (see `invokeIntegration`). */
export type Invoke = (functionArn: string, event: unknown, label: string) => Promise<InvokeResult>;

/** What a REQUEST authorizer's answer means for the upgrade. */
export type AuthorizerDecision =
  | { kind: "allow"; authorizer: Record<string, unknown> }
  | { kind: "deny"; status: 401 | 403 | 500; message: string | null; reason: string };

/** Lambda authorizer result limit (docs/aws-reference.md §5). */
export const AUTHORIZER_RESULT_MAX_BYTES = 8192;

const wildcard = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );

const list = (value: unknown): string[] =>
  typeof value === "string"
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === "string")
      : [];

/**
 * Evaluates a REQUEST authorizer's invocation result the way API Gateway does: a failure whose message is
 * `Unauthorized` is 401; any other failure, a result without `principalId`/`policyDocument`, a context value
 * that is an object or array, or a result over 8 KB is a configuration error (500); an explicit `Deny` on
 * the method ARN, or no `Allow` covering it, is 403. An allowed result becomes `requestContext.authorizer`:
 * `{ principalId, ...context (values stringified), integrationLatency }`.
 */
export function evaluateAuthorizerResult(
  result: { payload?: unknown; error?: { errorType: string; errorMessage: string }; durationMs: number },
  methodArn: string,
): AuthorizerDecision {
  if (result.error) {
    if (result.error.errorMessage === "Unauthorized") {
      return {
        kind: "deny",
        status: 401,
        message: "Unauthorized",
        reason: "the authorizer answered Unauthorized",
      };
    }
    return {
      kind: "deny",
      status: 500,
      message: null,
      reason: `the authorizer failed (${result.error.errorType}: ${result.error.errorMessage}); only the error "Unauthorized" means 401`,
    };
  }
  const payload = result.payload;
  if (typeof payload !== "object" || payload === null) {
    return { kind: "deny", status: 500, message: null, reason: "the authorizer returned no object" };
  }
  const answer = payload as Record<string, unknown>;
  if (JSON.stringify(answer).length > AUTHORIZER_RESULT_MAX_BYTES) {
    return {
      kind: "deny",
      status: 500,
      message: null,
      reason: `the authorizer result is over ${AUTHORIZER_RESULT_MAX_BYTES} bytes`,
    };
  }
  const principalId = answer.principalId;
  const policy = answer.policyDocument as { Statement?: unknown } | undefined;
  if (principalId === undefined || principalId === null || typeof policy !== "object" || policy === null) {
    return {
      kind: "deny",
      status: 500,
      message: null,
      reason: "the authorizer result lacks principalId or policyDocument",
    };
  }
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries((answer.context as Record<string, unknown> | undefined) ?? {})) {
    if (value === null || value === undefined) continue;
    if (typeof value === "object") {
      return {
        kind: "deny",
        status: 500,
        message: null,
        reason: `authorizer context value "${key}" is an object or array; only strings, numbers and booleans are allowed`,
      };
    }
    context[key] = String(value);
  }
  const statements = Array.isArray(policy.Statement)
    ? policy.Statement
    : policy.Statement
      ? [policy.Statement]
      : [];
  let allowed = false;
  for (const statement of statements as Array<Record<string, unknown>>) {
    const actions = list(statement.Action);
    const coversAction = actions.some((action) => wildcard(action).test("execute-api:Invoke"));
    const coversResource = list(statement.Resource).some((resource) => wildcard(resource).test(methodArn));
    if (!coversAction || !coversResource) continue;
    const effect = String(statement.Effect ?? "").toLowerCase();
    if (effect === "deny") {
      return {
        kind: "deny",
        status: 403,
        message: "Forbidden",
        reason: `the policy explicitly denies ${methodArn}`,
      };
    }
    if (effect === "allow") allowed = true;
  }
  if (!allowed)
    return {
      kind: "deny",
      status: 403,
      message: "Forbidden",
      reason: `the policy does not allow ${methodArn}`,
    };
  return {
    kind: "allow",
    authorizer: {
      principalId: String(principalId),
      ...context,
      integrationLatency: Math.round(result.durationMs),
    },
  };
}

/**
 * Runs the `$connect` route's REQUEST authorizer: 500 when it is not provisioned, 401 when an identity source
 * is missing (the authorizer is not called), else its answer as `evaluateAuthorizerResult` reads it.
 */
export async function authorizeConnect(
  host: { model: ApiGatewayModel; region: string; accountId: string; invoke: Invoke },
  route: RouteRecord,
  api: ApiRecord,
  stage: StageRecord,
  parts: ConnectRequestParts,
  requestContext: Record<string, unknown>,
): Promise<AuthorizerDecision> {
  const record = route.authorizerId ? host.model.authorizers.get(route.authorizerId) : undefined;
  if (!record?.uri) {
    return {
      kind: "deny",
      status: 500,
      message: null,
      reason: `the $connect authorizer ${route.authorizerId} is not provisioned`,
    };
  }
  const missing = record.identitySources.filter(
    (source) => !identitySourceValue(source, parts, stage.stageVariables),
  );
  if (missing.length > 0) {
    return {
      kind: "deny",
      status: 401,
      message: "Unauthorized",
      reason: `missing identity sources: ${missing.join(", ")}`,
    };
  }
  const methodArn = `arn:aws:execute-api:${host.region}:${host.accountId}:${api.id}/${stage.name}/$connect`;
  const event = {
    type: "REQUEST",
    methodArn,
    ...parts,
    stageVariables: stage.stageVariables,
    requestContext,
  };
  const result = await host.invoke(functionArnOf(record.uri), event, "$connect authorizer");
  return evaluateAuthorizerResult(result, methodArn);
}

/** An HTTP API's Lambda authorizer as the HTTP API server sees it. */
export interface HttpAuthorizer {
  id: string;
  functionArn?: string;
  identitySources: string[];
  enableSimpleResponses: boolean;
  ttlSeconds: number;
}

interface CachedDecision {
  allowed: boolean;
  context?: Record<string, unknown>;
  expiresAt: number;
}

/**
 * The HTTP APIs' authorizer with its decision cache (per authorizer and identity-source values, for the
 * authorizer's TTL): `failed` when it could not run (no function, an error), which the server answers 500.
 */
export function createHttpAuthorizer(host: {
  invoke: Invoke;
  debug(message: string, fields?: Record<string, unknown>): void;
}) {
  const cache = new Map<string, CachedDecision>();

  return async function authorize(
    authorizer: HttpAuthorizer,
    identity: string[],
    event: Record<string, unknown>,
    routeArn: string,
  ): Promise<{ allowed: boolean; context?: Record<string, unknown>; failed?: boolean }> {
    const key = `${authorizer.id}\u0000${identity.join("\u0000")}`;
    const cached = cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    if (!authorizer.functionArn) return { allowed: false, failed: true };
    const result = await host.invoke(
      authorizer.functionArn,
      { ...event, type: "REQUEST", routeArn, identitySource: identity },
      "http authorizer",
    );
    if (result.error) {
      host.debug("the HTTP API authorizer failed", { error: result.error });
      return { allowed: false, failed: true };
    }
    const payload = (
      typeof result.payload === "object" && result.payload !== null ? result.payload : {}
    ) as Record<string, unknown>;
    let decision: { allowed: boolean; context?: Record<string, unknown> };
    if (authorizer.enableSimpleResponses) {
      decision = {
        allowed: payload.isAuthorized === true,
        ...(typeof payload.context === "object" && payload.context !== null
          ? { context: payload.context as Record<string, unknown> }
          : {}),
      };
    } else {
      const statements = ((payload.policyDocument as { Statement?: unknown[] } | undefined)?.Statement ??
        []) as Array<Record<string, unknown>>;
      const allowed =
        statements.some((s) => s.Effect === "Allow") && !statements.some((s) => s.Effect === "Deny");
      decision = {
        allowed,
        context: {
          ...(typeof payload.context === "object" && payload.context !== null ? payload.context : {}),
          principalId: payload.principalId,
        },
      };
    }
    if (authorizer.ttlSeconds > 0)
      cache.set(key, { ...decision, expiresAt: Date.now() + authorizer.ttlSeconds * 1000 });
    return decision;
  };
}
