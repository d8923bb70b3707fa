import { SNSClient } from "@aws-sdk/client-sns";
import { type OrderEvent, orderEventSchema, publishOrderEvents } from "@switchyard/contracts";
import { createLogger, parseEnv, traced } from "@switchyard/runtime-kit";
import { createIngressHandler, ingressEnv, ingressRuntime } from "@switchyard/runtime-kit/ingress";
import { z } from "zod";
import { FUNCTION_ENV } from "../env";

const env = { ...ingressEnv(), ...parseEnv(z.object(FUNCTION_ENV.ingress)) };
const sns = traced(new SNSClient({}));
const logger = createLogger();

/**
 * `POST /orders/events`: one order event, validated with the contract, published to `order-events` with the attributes
 * `publishOrderEvents` derives from the validated body (size checked before sending).
 */
export const handler = createIngressHandler<OrderEvent>({
  ...ingressRuntime(env),
  maxBodyBytes: env.MAX_BODY_BYTES,
  idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
  parse: (body) => {
    const parsed = orderEventSchema.safeParse(body);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : {
          ok: false,
          problems: parsed.error.issues.map((issue) => ({
            field: issue.path.length > 0 ? issue.path.join(".") : "body",
            message: issue.message,
          })),
        };
  },
  publish: async (event) => {
    const { messageIds } = await publishOrderEvents(sns, { topicArn: env.ORDER_EVENTS_TOPIC_ARN }, [event]);
    return messageIds[0] as string;
  },
  logger,
});
