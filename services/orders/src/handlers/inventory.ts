import { sqsConsumer } from "@switchyard/runtime-kit";
import { sqs } from "../adapters/aws";
import { applyOnce } from "../adapters/dynamo";
import { eventKey, stockChanges } from "../domain/inventory";
import { FUNCTION_ENV } from "../env";
import { IDEMPOTENCY_TTL_SECONDS, orderEventOf } from "./shared";

const { env, logger, handler: consume } = sqsConsumer(FUNCTION_ENV.inventory, sqs);

/** Reserves stock for created orders and releases it for cancelled ones, once per order version. */
export const handler = consume(async (record) => {
  const order = orderEventOf(record);
  const changes = stockChanges(order);
  const outcome = await applyOnce(
    env.INVENTORY_TABLE,
    { pk: `EVENT#${eventKey(order)}`, sk: "APPLIED" },
    changes.map((change) => ({
      key: { pk: `SKU#${change.sku}`, sk: "STOCK" },
      expression: "ADD reserved :delta",
      values: { ":delta": change.delta },
    })),
    IDEMPOTENCY_TTL_SECONDS,
  );
  logger.info("inventory", { orderId: order.orderId, version: order.version, outcome });
});
