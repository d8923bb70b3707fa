import {
  createObservability,
  envSchemas,
  parseEnv,
  processSqsBatch,
  sqsDeadLetter,
} from "@switchyard/runtime-kit";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { putOrderEvent, sqs } from "../adapters/aws";
import { orderEventOf } from "./shared";

const env = parseEnv(z.object({ ORDERS_BUS_NAME: envSchemas.string, DLQ_URL: envSchemas.url }));
const { logger, metrics } = createObservability();
const deadLetter = sqsDeadLetter(sqs, env.DLQ_URL);

/** Copies every order event onto the orders bus, whose archive keeps it for replay. */
export const handler: SQSHandler = (event, context) =>
  processSqsBatch(
    event,
    context,
    async (record) => {
      await putOrderEvent(env.ORDERS_BUS_NAME, orderEventOf(record));
    },
    { logger, metrics, deadLetter },
  );
