import { createLogger } from "@switchyard/runtime-kit";
import {
  createIngressAuthorizer,
  createTokenVerifier,
  verifierConfigFromEnv,
} from "@switchyard/runtime-kit/ingress-authorizer";

// The authorizer entry point of runtime-kit's ingress: the bundle carries the verifier only (no idempotency, no SDK).
/** The ingress API's Lambda REQUEST authorizer: a bearer JWT whose `sub` is the client id (see runtime-kit). */
export const handler = createIngressAuthorizer(createTokenVerifier(verifierConfigFromEnv()), createLogger());
