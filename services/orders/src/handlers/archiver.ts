import { sqsConsumer } from "@switchyard/runtime-kit";
import { putOrderEvent, sqs } from "../adapters/aws";
import { dynamoPersistence, oncePerOrderEvent } from "../adapters/idempotency";
import { FUNCTION_ENV } from "../env";
import { orderEventOf } from "./shared";

const { env, logger, handler: consume } = sqsConsumer(FUNCTION_ENV.archiver, sqs);

// One archive entry per order event: a redelivered or re-published event is not put on the bus again.
const archiveOnce = oncePerOrderEvent(
  dynamoPersistence(env.IDEMPOTENCY_TABLE),
  env.IDEMPOTENCY_KEY_PREFIX,
  async (order) => ({
    eventId: await putOrderEvent(env.ORDERS_BUS_NAME, order),
  }),
);

/** Copies every order event onto the orders bus, whose archive keeps it for replay, once per event. */
export const handler = consume(async (record, context) => {
  archiveOnce.registerContext(context);
  const order = orderEventOf(record);
  const { eventId } = await archiveOnce.run(order);
  logger.debug("order event archived", { orderId: order.orderId, version: order.version, eventId });
});
