import { z } from "zod";
import { parseEnv } from "../env";
import type { LoggerLike } from "../types";
import {
  createTokenVerifier,
  TokenRejectedError,
  type TokenVerifier,
  type TokenVerifierConfig,
  verifierConfigOf,
} from "./jwt";

/** What API Gateway HTTP APIs send a Lambda REQUEST authorizer (payload format 2.0); the fields used here. */
export interface HttpAuthorizerEvent {
  version?: string;
  type?: string;
  routeArn?: string;
  routeKey?: string;
  identitySource?: string[] | null;
  headers?: Record<string, string | undefined> | null;
}

/** A simple response (`enableSimpleResponses`): allowed or not, and the context the route receives. */
export interface HttpAuthorizerResult {
  isAuthorized: boolean;
  context?: { clientId: string };
}

/** The token from `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(
  headers: Record<string, string | undefined> | null | undefined,
): string | undefined {
  let value: string | undefined;
  for (const [name, item] of Object.entries(headers ?? {}))
    if (name.toLowerCase() === "authorization") value = item;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(value ?? "");
  return match?.[1];
}

/** The verifier config from the authorizer's environment (`AUTH_MODE`, `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_SECRET` | `JWKS_URL`). */
export function verifierConfigFromEnv(
  source: Record<string, string | undefined> = process.env,
): TokenVerifierConfig {
  const env = parseEnv(
    z.object({
      AUTH_MODE: z.enum(["hs256", "jwks"]),
      JWT_ISSUER: z.string().min(1),
      JWT_AUDIENCE: z.string().min(1),
      JWT_SECRET: z.string().optional(),
      JWKS_URL: z.string().url().optional(),
    }),
    source,
  );
  return verifierConfigOf(env);
}

/**
 * The ingress API's Lambda REQUEST authorizer (HTTP API, simple responses): a bearer token verified like the
 * notifications `$connect` tokens (signature pinned to the configured algorithm, `exp`, `iss`, `aud`), whose `sub`
 * becomes the client id every route throttles and scopes idempotency by. Anything else is not authorized (403);
 * a request without the header never reaches it (401, the identity source is missing). The token is never logged.
 */
export function createIngressAuthorizer(
  verify: TokenVerifier,
  logger: Pick<LoggerLike, "info">,
): (event: HttpAuthorizerEvent) => Promise<HttpAuthorizerResult> {
  return async (event) => {
    const token = bearerToken(event.headers);
    if (!token) {
      logger.info("request refused", { routeKey: event.routeKey, reason: "ERR_MISSING_BEARER_TOKEN" });
      return { isAuthorized: false };
    }
    try {
      const { userId } = await verify(token);
      return { isAuthorized: true, context: { clientId: userId } };
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      logger.info("request refused", { routeKey: event.routeKey, reason: error.code });
      return { isAuthorized: false };
    }
  };
}

export { createTokenVerifier };
