export {
  bearerToken,
  createIngressAuthorizer,
  type HttpAuthorizerEvent,
  type HttpAuthorizerResult,
  verifierConfigFromEnv,
} from "./authorizer";
export {
  createIngressHandler,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  type IngressParse,
  type IngressProblem,
  type IngressRequest,
  type IngressResponse,
  type IngressRouteOptions,
  problemsOf,
  refusal,
} from "./handler";
export {
  createTokenVerifier,
  JWKS_ALGORITHMS,
  MAX_TOKEN_LENGTH,
  TokenRejectedError,
  type TokenVerifier,
  type TokenVerifierConfig,
} from "./jwt";
export { type ClientRate, createClientRateLimiter, RATE_KEY_PREFIX, type RateDecision } from "./rate-limit";
export { ingressEnv, ingressRuntime } from "./runtime";
