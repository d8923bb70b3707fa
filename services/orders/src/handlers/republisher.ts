import { orderEventSchema, publishOrderEvents } from "@switchyard/contracts";
import {
  createObservability,
  envSchemas,
  PermanentError,
  parseEnv,
  parseEventBridgeBody,
  processSqsBatch,
  sqsDeadLetter,
} from "@switchyard/runtime-kit";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { sns, sqs } from "../adapters/aws";

const env = parseEnv(z.object({ ORDERS_TOPIC_ARN: envSchemas.arnOf("sns"), DLQ_URL: envSchemas.url }));
const { logger, metrics } = createObservability();
const deadLetter = sqsDeadLetter(sqs, env.DLQ_URL);

/**
 * Re-publishes events an archive replay put back on the orders bus to `order-events`, marked with the
 * `replayName` attribute: idempotent consumers skip what they already applied, and the archive and customer
 * notifications filter replays out.
 */
export const handler: SQSHandler = (event, context) =>
  processSqsBatch(
    event,
    context,
    async (record) => {
      const replayed = parseEventBridgeBody(record, orderEventSchema);
      if (!replayed.replayName) throw new PermanentError("event on the replay path without replay-name");
      await publishOrderEvents(sns, { topicArn: env.ORDERS_TOPIC_ARN, replayName: replayed.replayName }, [
        replayed.detail,
      ]);
    },
    { logger, metrics, deadLetter },
  );
