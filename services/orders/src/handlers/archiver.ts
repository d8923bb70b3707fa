import { envSchemas, sqsConsumer } from "@switchyard/runtime-kit";
import { putOrderEvent, sqs } from "../adapters/aws";
import { orderEventOf } from "./shared";

const { env, handler: consume } = sqsConsumer({ ORDERS_BUS_NAME: envSchemas.string }, sqs);

/** Copies every order event onto the orders bus, whose archive keeps it for replay. */
export const handler = consume(async (record) => {
  await putOrderEvent(env.ORDERS_BUS_NAME, orderEventOf(record));
});
