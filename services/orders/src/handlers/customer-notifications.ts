import { sendUserNotification } from "@switchyard/contracts";
import { sqsConsumer } from "@switchyard/runtime-kit";
import { eventBridge, sqs } from "../adapters/aws";
import { ORDERS_EVENT_SOURCE } from "../constants";
import { customerNotification } from "../domain/notification";
import { FUNCTION_ENV } from "../env";
import { orderEventOf } from "./shared";

const { env, handler: consume } = sqsConsumer(FUNCTION_ENV["customer-notifications"], sqs);
const target = { eventBusName: env.NOTIFICATION_BUS_NAME, source: ORDERS_EVENT_SOURCE };

/** Asks the notifications service to tell the customer their order shipped or was delivered. */
export const handler = consume(async (record) => {
  const notification = customerNotification(orderEventOf(record));
  await sendUserNotification(eventBridge, target, [notification]);
});
