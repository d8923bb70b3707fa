import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyError } from "./classify";
import { BATCH_METRICS } from "./constants";
import { PermanentError } from "./errors";
import { createLogger } from "./observability";
import type { LoggerLike, ProcessSqsBatchOptions, SqsRecordHandler } from "./types";

type Outcome = "processed" | "deadLettered" | "failedPermanent" | "failedTransient";

let defaultLogger: Logger | undefined;
const fallbackLogger = (): Logger => {
  defaultLogger ??= createLogger();
  return defaultLogger;
};

const isFifoBatch = (records: readonly SQSRecord[]): boolean =>
  records.some((record) => record.eventSourceARN?.endsWith(".fifo"));

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/**
 * Runs `handleRecord` on every record of an SQS batch through Powertools `processPartialResponse` and
 * returns `{ batchItemFailures }` for the event source mapping (which needs `ReportBatchItemFailures`).
 *
 * What happens to a record depends on what the handler throws:
 * - nothing: processed (deleted from the queue);
 * - `PermanentError` (incl. `ValidationError`, AWS 4xx client errors): never retried. With `deadLetter`,
 *   the record is sent to the DLQ with its reason and reported processed. Without an adapter, or if the
 *   adapter fails, it is reported failed and the queue's redrive policy moves it after `maxReceiveCount`;
 * - anything else (`TransientError`, throttling, 5xx, timeouts, unknown errors): reported failed, retried. With
 *   `maxReceiveCount` (the queue's redrive setting) and `deadLetter`, a record failing on its last receive is
 *   dead-lettered with `still failing after N receives (transient): <reason>` instead of being moved by the
 *   redrive policy without a reason.
 *
 * FIFO queues (detected from `.fifo` source ARNs, or `fifo: true`) use Powertools'
 * `SqsFifoPartialProcessorAsync` with `skipGroupOnError`: records run one at a time, and after a failure
 * every later record of the same message group is reported failed without being attempted; other groups
 * carry on. A dead-lettered record counts as done, so its group continues in order.
 *
 * Every failure is logged with its `messageId` and reason. With `metrics`, the counts `RecordsProcessed`,
 * `RecordsFailedTransient`, `RecordsFailedPermanent`, `RecordsDeadLettered` and `RecordsSkipped` are added
 * and (unless `publishMetrics: false`) published.
 */
export const processSqsBatch = async (
  event: SQSEvent,
  context: Context,
  handleRecord: SqsRecordHandler,
  options: ProcessSqsBatchOptions = {},
): Promise<SQSBatchResponse> => {
  const logger: LoggerLike = options.logger ?? fallbackLogger();
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const fifo = options.fifo ?? isFifoBatch(records);
  const source = options.source ?? context.functionName;
  const outcomes = new Map<string, Outcome>();
  logger.addContext?.(context);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      await handleRecord(record, context);
      outcomes.set(record.messageId, "processed");
      return;
    } catch (thrown) {
      const failure = classifyError(thrown);
      const facts = {
        messageId: record.messageId,
        reason: failure.reason,
        errorName: errorName(thrown),
        receiveCount: record.attributes?.ApproximateReceiveCount,
      };
      const receives = Number(record.attributes?.ApproximateReceiveCount);
      const lastReceive =
        options.maxReceiveCount !== undefined &&
        Number.isFinite(receives) &&
        receives >= options.maxReceiveCount;
      if (!(failure instanceof PermanentError) && !(lastReceive && options.deadLetter)) {
        outcomes.set(record.messageId, "failedTransient");
        logger.warn("SQS record failed; it will be retried", facts);
        throw failure;
      }
      if (!(failure instanceof PermanentError)) {
        // The redrive policy would move it now, without a reason: dead-letter it ourselves, with one.
        const reason = `still failing after ${receives} receives (transient): ${failure.reason}`;
        try {
          await options.deadLetter?.send(record, reason, { source, error: thrown });
          outcomes.set(record.messageId, "deadLettered");
          logger.error("SQS record failed on its last receive; sent to the dead-letter queue", {
            ...facts,
            reason,
          });
          return;
        } catch (dlqError) {
          outcomes.set(record.messageId, "failedTransient");
          logger.error("SQS record failed on its last receive and could not be dead-lettered", {
            ...facts,
            deadLetterError: dlqError instanceof Error ? dlqError.message : String(dlqError),
          });
          throw failure;
        }
      }
      outcomes.set(record.messageId, "failedPermanent");
      if (options.deadLetter) {
        try {
          await options.deadLetter.send(record, failure.reason, { source, error: thrown });
          outcomes.set(record.messageId, "deadLettered");
          logger.error("SQS record failed permanently; sent to the dead-letter queue", facts);
          return;
        } catch (dlqError) {
          logger.error("SQS record failed permanently and could not be dead-lettered; reporting it failed", {
            ...facts,
            deadLetterError: dlqError instanceof Error ? dlqError.message : String(dlqError),
          });
          throw failure;
        }
      }
      logger.error("SQS record failed permanently; reporting it failed for the redrive policy", facts);
      throw failure;
    }
  };

  let response: SQSBatchResponse | undefined;
  try {
    response = fifo
      ? await processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), {
          context,
          skipGroupOnError: true,
          throwOnFullBatchFailure: options.throwOnFullBatchFailure ?? false,
        })
      : await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
          context,
          processInParallel: options.processInParallel ?? true,
          throwOnFullBatchFailure: options.throwOnFullBatchFailure ?? false,
        });
    return response;
  } finally {
    summarise(records, outcomes, response, logger, options);
  }
};

const summarise = (
  records: readonly SQSRecord[],
  outcomes: ReadonlyMap<string, Outcome>,
  response: SQSBatchResponse | undefined,
  logger: LoggerLike,
  options: ProcessSqsBatchOptions,
): void => {
  const counts = { processed: 0, deadLettered: 0, failedPermanent: 0, failedTransient: 0, skipped: 0 };
  for (const record of records) {
    const outcome = outcomes.get(record.messageId);
    if (outcome === undefined) counts.skipped++;
    else if (outcome === "deadLettered") {
      counts.deadLettered++;
      counts.failedPermanent++;
    } else counts[outcome]++;
  }
  const failed = response?.batchItemFailures.length ?? records.length;
  const summary = { records: records.length, reportedFailed: failed, ...counts };
  if (failed > 0 || counts.deadLettered > 0) logger.info("SQS batch done with failures", summary);
  else logger.debug("SQS batch done", summary);

  const { metrics } = options;
  if (!metrics) return;
  metrics.addMetric(BATCH_METRICS.processed, MetricUnit.Count, counts.processed);
  metrics.addMetric(BATCH_METRICS.failedTransient, MetricUnit.Count, counts.failedTransient);
  metrics.addMetric(BATCH_METRICS.failedPermanent, MetricUnit.Count, counts.failedPermanent);
  metrics.addMetric(BATCH_METRICS.deadLettered, MetricUnit.Count, counts.deadLettered);
  metrics.addMetric(BATCH_METRICS.skipped, MetricUnit.Count, counts.skipped);
  if (options.publishMetrics ?? true) metrics.publishStoredMetrics();
};
