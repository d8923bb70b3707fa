import { orderEventSchema } from "@switchyard/contracts";
import { createObservability, parseEnv, ValidationError } from "@switchyard/runtime-kit";
import type { SNSHandler } from "aws-lambda";
import { z } from "zod";
import { publishAlert } from "../adapters/aws";
import { dynamoPersistence, oncePerOrderEvent } from "../adapters/idempotency";
import { highValueAlert, isHighValue } from "../domain/alert";
import { FUNCTION_ENV } from "../env";

const env = parseEnv(z.object(FUNCTION_ENV["high-value-alert"]));
const { logger } = createObservability();

// One alert per order event (orderId, version, eventType): a redelivery or re-publish returns the first result.
const alertOnce = oncePerOrderEvent(
  dynamoPersistence(env.IDEMPOTENCY_TABLE),
  env.IDEMPOTENCY_KEY_PREFIX,
  async (order) => {
    const alert = highValueAlert(order, env.HIGH_VALUE_THRESHOLD);
    return { messageId: await publishAlert(env.ALARM_TOPIC_ARN, alert.subject, alert.message) };
  },
);

/**
 * Invoked by SNS (asynchronously) for orders the filter policy routes here (`orderValue` attribute above the
 * threshold); publishes a concise alert to the ops topic. The decision is the validated body's: an event whose
 * body is not above the threshold (a wrong or forged attribute) raises nothing. A record from any other topic than
 * the orders topic (an invocation forged by someone allowed to invoke the function) is refused. A failure throws: Lambda retries
 * twice, then the on-failure destination puts the event in the DLQ.
 */
export const handler: SNSHandler = async (event, context) => {
  alertOnce.registerContext(context);
  for (const record of event.Records) {
    const subject = `SNS message ${record.Sns.MessageId}`;
    if (record.Sns.TopicArn !== env.ORDER_EVENTS_TOPIC_ARN) {
      throw new ValidationError(
        [
          {
            path: "Sns.TopicArn",
            message: `names topic ${JSON.stringify(String(record.Sns.TopicArn).slice(0, 256))}; this function is subscribed to ${env.ORDER_EVENTS_TOPIC_ARN} only`,
          },
        ],
        { subject },
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(record.Sns.Message);
    } catch {
      throw new ValidationError([{ path: "Sns.Message", message: "is not JSON" }], { subject });
    }
    const parsed = orderEventSchema.safeParse(input);
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, { subject });
    const order = parsed.data;
    if (!isHighValue(order, env.HIGH_VALUE_THRESHOLD)) {
      logger.warn("routed as high-value but the body is not: no alert", {
        orderId: order.orderId,
        orderValue: order.orderValue,
        attributeOrderValue: record.Sns.MessageAttributes?.orderValue?.Value,
      });
      continue;
    }
    const { messageId } = await alertOnce.run(order);
    logger.info("high-value alert sent", { orderId: order.orderId, version: order.version, messageId });
  }
};
