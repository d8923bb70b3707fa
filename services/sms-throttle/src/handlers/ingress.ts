import { SNSClient } from "@aws-sdk/client-sns";
import { createLogger, envSchemas, parseEnv, traced } from "@switchyard/runtime-kit";
import { createIngressHandler, ingressEnv, ingressRuntime } from "@switchyard/runtime-kit/ingress";
import { z } from "zod";
import { parseSmsIngressRequest, publishSmsRequest } from "../domain/ingress";
import { INGRESS_ENV } from "../env";

const env = {
  ...ingressEnv(),
  ...parseEnv(
    z.object({
      [INGRESS_ENV.topicArn]: envSchemas.arnOf("sns"),
      [INGRESS_ENV.maxParts]: envSchemas.positiveInt,
    }),
  ),
};
const sns = traced(new SNSClient({}));
const logger = createLogger();

/** `POST /sms`: validates the request, derives `country` and `useCase` from it, publishes it to the SMS topic. */
export const handler = createIngressHandler({
  ...ingressRuntime(env),
  maxBodyBytes: env.MAX_BODY_BYTES,
  idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
  parse: (body) => parseSmsIngressRequest(body, env[INGRESS_ENV.maxParts]),
  publish: (request) => publishSmsRequest(sns, env[INGRESS_ENV.topicArn], request),
  logger,
});
