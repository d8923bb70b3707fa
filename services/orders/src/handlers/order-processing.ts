import { sqsConsumer } from "@switchyard/runtime-kit";
import { sqs } from "../adapters/aws";
import { getItem, putIfVersion } from "../adapters/dynamo";
import { type OrderState, transition } from "../domain/processing";
import { FUNCTION_ENV } from "../env";
import { orderEventOf } from "./shared";

const { env, logger, handler: consume } = sqsConsumer(FUNCTION_ENV.orderProcessing, sqs);

/**
 * Applies each customer's order events in order (FIFO queue, message group = customerId). The FIFO partial
 * processor stops a group at its first failure and lets the other groups carry on.
 */
export const handler = consume(
  async (record) => {
    const order = orderEventOf(record);
    const current = await getItem<OrderState>(env.ORDER_STATE_TABLE, { orderId: order.orderId });
    const result = transition(current, order);
    if (result.kind === "duplicate") {
      logger.info("duplicate order event", { orderId: order.orderId, version: order.version });
      return;
    }
    await putIfVersion(env.ORDER_STATE_TABLE, { ...result.next }, "version", current?.version ?? 0);
  },
  { fifo: true },
);
