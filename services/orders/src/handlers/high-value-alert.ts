import { orderEventSchema } from "@switchyard/contracts";
import { createObservability, envSchemas, parseEnv, ValidationError } from "@switchyard/runtime-kit";
import type { SNSHandler } from "aws-lambda";
import { z } from "zod";
import { publishAlert } from "../adapters/aws";
import { highValueAlert } from "../domain/alert";

const env = parseEnv(
  z.object({ ALARM_TOPIC_ARN: envSchemas.arnOf("sns"), HIGH_VALUE_THRESHOLD: envSchemas.number }),
);
const { logger } = createObservability();

/**
 * Invoked by SNS (asynchronously) for orders above the threshold; publishes a concise alert to the ops topic.
 * A failure throws: Lambda retries twice, then the on-failure destination puts the event in the DLQ.
 */
export const handler: SNSHandler = async (event) => {
  for (const record of event.Records) {
    let input: unknown;
    try {
      input = JSON.parse(record.Sns.Message);
    } catch {
      throw new ValidationError([{ path: "Sns.Message", message: "is not JSON" }], {
        subject: `SNS message ${record.Sns.MessageId}`,
      });
    }
    const parsed = orderEventSchema.safeParse(input);
    if (!parsed.success)
      throw ValidationError.fromZod(parsed.error, { subject: `SNS message ${record.Sns.MessageId}` });
    const alert = highValueAlert(parsed.data, env.HIGH_VALUE_THRESHOLD);
    const messageId = await publishAlert(env.ALARM_TOPIC_ARN, alert.subject, alert.message);
    logger.info("high-value alert sent", { orderId: parsed.data.orderId, messageId });
  }
};
