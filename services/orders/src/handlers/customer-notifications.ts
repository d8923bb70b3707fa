import { sendUserNotification } from "@switchyard/contracts";
import {
  createObservability,
  envSchemas,
  parseEnv,
  processSqsBatch,
  sqsDeadLetter,
} from "@switchyard/runtime-kit";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { eventBridge, sqs } from "../adapters/aws";
import { ORDERS_EVENT_SOURCE } from "../constants";
import { customerNotification } from "../domain/notification";
import { orderEventOf } from "./shared";

const env = parseEnv(z.object({ NOTIFICATION_BUS_NAME: envSchemas.string, DLQ_URL: envSchemas.url }));
const { logger, metrics } = createObservability();
const deadLetter = sqsDeadLetter(sqs, env.DLQ_URL);
const target = { eventBusName: env.NOTIFICATION_BUS_NAME, source: ORDERS_EVENT_SOURCE };

/** Asks the notifications service to tell the customer their order shipped or was delivered. */
export const handler: SQSHandler = (event, context) =>
  processSqsBatch(
    event,
    context,
    async (record) => {
      const notification = customerNotification(orderEventOf(record));
      await sendUserNotification(eventBridge, target, [notification]);
    },
    { logger, metrics, deadLetter },
  );
