import { orderEventSchema } from "@switchyard/contracts";
import { PermanentError, parseEventBridgeBody, sqsConsumer } from "@switchyard/runtime-kit";
import { sqs } from "../adapters/aws";
import { sendReplay } from "../adapters/replay";
import { ORDERS_EVENT_SOURCE } from "../constants";
import { FUNCTION_ENV } from "../env";

const { env, logger, handler: consume } = sqsConsumer(FUNCTION_ENV.republisher, sqs);

/**
 * Hands events an archive replay put back on the orders bus to the idempotent subscribers that take replays
 * (their queues, directly): they apply nothing twice. The replay rule matches only events carrying the
 * `replay-name` field EventBridge itself sets on replayed events; the check here is a second line.
 */
export const handler = consume(async (record) => {
  const replayed = parseEventBridgeBody(record, orderEventSchema);
  if (!replayed.replayName) throw new PermanentError("event on the replay path without replay-name");
  if (replayed.source !== ORDERS_EVENT_SOURCE) {
    throw new PermanentError(
      `replayed event from source ${replayed.source}; only ${ORDERS_EVENT_SOURCE} is replayed`,
    );
  }
  const delivered = await sendReplay(env.REPLAY_TARGETS, replayed.detail, replayed.replayName);
  logger.info("replayed order event handed to its subscribers", {
    orderId: replayed.detail.orderId,
    version: replayed.detail.version,
    replayName: replayed.replayName,
    delivered,
  });
});
