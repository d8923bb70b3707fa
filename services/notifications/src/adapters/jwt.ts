// The verifier moved to runtime-kit (issue 18): the ingress API's authorizer verifies the same tokens.
export {
  createTokenVerifier,
  JWKS_ALGORITHMS,
  MAX_TOKEN_LENGTH,
  TokenRejectedError,
  type TokenVerifier,
  type TokenVerifierConfig,
  verifierConfigOf,
} from "@switchyard/runtime-kit/jwt";
