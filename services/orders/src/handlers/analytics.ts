import { sqsConsumer } from "@switchyard/runtime-kit";
import { sqs } from "../adapters/aws";
import { applyOnce } from "../adapters/dynamo";
import { dailyIncrement } from "../domain/analytics";
import { eventKey } from "../domain/inventory";
import { FUNCTION_ENV } from "../env";
import { IDEMPOTENCY_TTL_SECONDS, orderEventOf } from "./shared";

const { env, handler: consume } = sqsConsumer(FUNCTION_ENV.analytics, sqs);

/** Counts events and adds up order values per UTC day and event type, once per event. */
export const handler = consume(async (record) => {
  const order = orderEventOf(record);
  const increment = dailyIncrement(order);
  await applyOnce(
    env.ANALYTICS_TABLE,
    { pk: `EVENT#${eventKey(order)}#${order.eventType}`, sk: "APPLIED" },
    [
      {
        key: { pk: `DAY#${increment.day}`, sk: `${increment.eventType}#${increment.currency}` },
        expression: "ADD eventCount :one, totalCents :cents",
        values: { ":one": increment.count, ":cents": increment.totalCents },
      },
    ],
    IDEMPOTENCY_TTL_SECONDS,
  );
});
