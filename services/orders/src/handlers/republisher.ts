import { orderEventSchema, publishOrderEvents } from "@switchyard/contracts";
import { envSchemas, PermanentError, parseEventBridgeBody, sqsConsumer } from "@switchyard/runtime-kit";
import { sns, sqs } from "../adapters/aws";

const { env, handler: consume } = sqsConsumer({ ORDERS_TOPIC_ARN: envSchemas.arnOf("sns") }, sqs);

/**
 * Re-publishes events an archive replay put back on the orders bus to `order-events`, marked with the
 * `replayName` attribute: idempotent consumers skip what they already applied, and the archive and customer
 * notifications filter replays out.
 */
export const handler = consume(async (record) => {
  const replayed = parseEventBridgeBody(record, orderEventSchema);
  if (!replayed.replayName) throw new PermanentError("event on the replay path without replay-name");
  await publishOrderEvents(sns, { topicArn: env.ORDERS_TOPIC_ARN, replayName: replayed.replayName }, [
    replayed.detail,
  ]);
});
