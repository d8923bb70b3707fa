import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { processSqsBatch } from "./batch";
import { type SqsDeadLetterOptions, sqsDeadLetter } from "./dead-letter";
import { envSchemas, parseEnv } from "./env";
import { createObservability } from "./observability";
import type { EnvSource, ObservabilityOptions, ProcessSqsBatchOptions, SqsRecordHandler } from "./types";

export interface SqsConsumerOptions {
  /** Where the variables come from. @default process.env */
  env?: EnvSource;
  /** @default Powertools' service name and namespace from the environment */
  observability?: ObservabilityOptions;
  /** @default a 1 MiB SQS dead-letter queue */
  deadLetter?: SqsDeadLetterOptions;
}

/**
 * The prelude every SQS-triggered handler shares, run once per container (module scope): the handler's own
 * environment plus `DLQ_URL`, parsed and validated (a bad one fails the cold start, naming each variable);
 * logger, metrics and tracer; and the dead-letter adapter permanent failures go to. `handler(handleRecord)`
 * is then the Lambda handler: `processSqsBatch` with all of them (partial batch failures, FIFO groups).
 *
 * @example
 * const { env, logger, handler: consume } = sqsConsumer({ INVENTORY_TABLE: envSchemas.string }, sqs);
 * export const handler = consume(async (record) => { ... });
 */
export const sqsConsumer = <S extends z.ZodRawShape>(
  shape: S,
  sqs: Pick<SQSClient, "send">,
  options: SqsConsumerOptions = {},
) => {
  const env = parseEnv(
    z.object({ ...shape, DLQ_URL: envSchemas.url, MAX_RECEIVE_COUNT: envSchemas.positiveInt.optional() }),
    options.env,
  ) as z.output<z.ZodObject<S>> & { DLQ_URL: string; MAX_RECEIVE_COUNT?: number };
  const observability = createObservability({
    ...options.observability,
    ...(options.env ? { env: options.env } : {}),
  });
  const deadLetter = sqsDeadLetter(sqs, env.DLQ_URL, options.deadLetter);
  const { logger, metrics } = observability;
  const handler =
    (
      handleRecord: SqsRecordHandler,
      batch: Pick<ProcessSqsBatchOptions, "fifo" | "source"> = {},
    ): SQSHandler =>
    (event, context) =>
      processSqsBatch(event, context, handleRecord, {
        ...batch,
        logger,
        metrics,
        deadLetter,
        ...(env.MAX_RECEIVE_COUNT !== undefined ? { maxReceiveCount: env.MAX_RECEIVE_COUNT } : {}),
      });
  return { ...observability, env, deadLetter, handler };
};
