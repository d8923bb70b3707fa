import { createLogger, parseEnv } from "@switchyard/runtime-kit";
import { z } from "zod";
import { createTokenVerifier, TokenRejectedError, verifierConfigOf } from "../adapters/jwt";
import { extractToken } from "../domain/token";
import { FUNCTION_ENV } from "../env";
import { NotificationsError } from "../errors";
import type { AuthorizerRequest, AuthorizerResponse } from "./websocket";

const env = parseEnv(z.object(FUNCTION_ENV.authorizer));

const verify = createTokenVerifier(verifierConfigOf(env));
const logger = createLogger();

/**
 * `$connect` REQUEST authorizer: the token comes from `?token=` or `Sec-WebSocket-Protocol`. A valid
 * token is allowed on exactly this `$connect` with `userId` (the `sub`) in the context; anything else
 * fails with "Unauthorized" (the client gets 401). The token itself is never logged.
 */
export const handler = async (event: AuthorizerRequest): Promise<AuthorizerResponse> => {
  const found = extractToken(event);
  const connectionId = event.requestContext?.connectionId;
  if (!found) {
    logger.info("connection refused", { connectionId, reason: "ERR_MISSING_TOKEN" });
    throw new NotificationsError("Unauthorized");
  }
  try {
    const { userId } = await verify(found.token);
    return {
      principalId: userId,
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
      },
      context: { userId },
    };
  } catch (error) {
    if (!(error instanceof TokenRejectedError)) throw error;
    logger.info("connection refused", { connectionId, reason: error.code, tokenSource: found.source });
    throw new NotificationsError("Unauthorized");
  }
};
