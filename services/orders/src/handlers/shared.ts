import { type OrderEvent, orderEventSchema } from "@switchyard/contracts";
import { parseSnsSqsMessage } from "@switchyard/runtime-kit";
import type { SQSRecord } from "aws-lambda";

/** Days a consumer remembers an applied event (idempotency markers expire with DynamoDB TTL afterwards). */
export const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The order event in an SQS record delivered by SNS (raw delivery, or the wrapped envelope if a subscription
 * is ever switched). A malformed body throws a ValidationError naming the field: permanent, so it goes to
 * the DLQ at once with that reason.
 */
export function orderEventOf(record: SQSRecord): OrderEvent {
  return parseSnsSqsMessage(record, orderEventSchema).message;
}
