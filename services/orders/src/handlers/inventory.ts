import {
  createObservability,
  envSchemas,
  parseEnv,
  processSqsBatch,
  sqsDeadLetter,
} from "@switchyard/runtime-kit";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { sqs } from "../adapters/aws";
import { applyOnce } from "../adapters/dynamo";
import { eventKey, stockChanges } from "../domain/inventory";
import { IDEMPOTENCY_TTL_SECONDS, orderEventOf } from "./shared";

const env = parseEnv(z.object({ INVENTORY_TABLE: envSchemas.string, DLQ_URL: envSchemas.url }));
const { logger, metrics } = createObservability();
const deadLetter = sqsDeadLetter(sqs, env.DLQ_URL);

/** Reserves stock for created orders and releases it for cancelled ones, once per order version. */
export const handler: SQSHandler = (event, context) =>
  processSqsBatch(
    event,
    context,
    async (record) => {
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
    },
    { logger, metrics, deadLetter },
  );
