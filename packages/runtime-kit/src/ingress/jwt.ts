import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from "jose";
import { EnvironmentError, RuntimeKitError } from "../errors";

/** How tokens are verified: a shared HS256 secret, or an OIDC issuer's JWKS (e.g. Cognito). */
export type TokenVerifierConfig =
  | { mode: "hs256"; secret: string; issuer: string; audience: string }
  | {
      mode: "jwks";
      jwksUrl: string;
      issuer: string;
      audience: string;
      /** Replaces `fetch` for the key set (tests serve a local JWKS this way). */
      fetch?: typeof fetch;
    };

/**
 * Longest token accepted, in characters: real ones (Cognito's included) are 1-2 KB. Anything longer is refused
 * before it is parsed, so an oversized token costs nothing.
 */
export const MAX_TOKEN_LENGTH = 8_192;

/** Asymmetric algorithms accepted from a JWKS issuer (Cognito signs with RS256). */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"];

/** A refused token; `code` is safe to log (it never contains the token). */
export class TokenRejectedError extends RuntimeKitError {
  override readonly name = "TokenRejectedError";
  constructor(readonly code: string) {
    super(`token rejected: ${code}`);
  }
}

export type TokenVerifier = (token: string) => Promise<{ userId: string }>;

/**
 * Verifies signature, `exp` (required), `nbf`, `iss` and `aud`, pinned to the configured algorithms, so
 * `alg: none` and algorithm confusion are refused. Returns the `sub` as the user id.
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ["exp", "sub"],
    clockTolerance: 5,
  };
  let verify: (token: string) => ReturnType<typeof jwtVerify>;
  if (config.mode === "hs256") {
    const key = new TextEncoder().encode(config.secret);
    verify = (token) => jwtVerify(token, key, { ...options, algorithms: ["HS256"] });
  } else {
    const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 3_000,
      cooldownDuration: 30_000,
      ...(config.fetch ? { [customFetch]: config.fetch } : {}),
    });
    verify = (token) => jwtVerify(token, keys, { ...options, algorithms: JWKS_ALGORITHMS });
  }
  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError("ERR_TOKEN_TOO_LARGE");
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new TokenRejectedError(typeof code === "string" ? code : "ERR_INVALID_TOKEN");
    }
    if (typeof payload.sub !== "string" || payload.sub === "" || payload.sub.length > 256) {
      throw new TokenRejectedError("ERR_INVALID_SUBJECT");
    }
    return { userId: payload.sub };
  };
}

/** The token settings an authorizer's environment carries (the notifications `$connect` and ingress authorizers). */
export interface TokenEnvironment {
  AUTH_MODE: "hs256" | "jwks";
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_SECRET?: string | undefined;
  JWKS_URL?: string | undefined;
}

/** The verifier config from an authorizer's parsed environment; the secret or the JWKS URL its mode needs. */
export function verifierConfigOf(env: TokenEnvironment): TokenVerifierConfig {
  const common = { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE };
  if (env.AUTH_MODE === "hs256") {
    if (!env.JWT_SECRET) throw new EnvironmentError(["JWT_SECRET is required when AUTH_MODE is hs256"]);
    return { mode: "hs256", secret: env.JWT_SECRET, ...common };
  }
  if (!env.JWKS_URL) throw new EnvironmentError(["JWKS_URL is required when AUTH_MODE is jwks"]);
  return { mode: "jwks", jwksUrl: env.JWKS_URL, ...common };
}
