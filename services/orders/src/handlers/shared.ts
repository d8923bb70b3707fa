import { type OrderEvent, orderEventSchema } from "@switchyard/contracts";
import { parseSnsSqsMessage } from "@switchyard/runtime-kit";
import type { SQSRecord } from "aws-lambda";

/** Days a consumer remembers an applied event (idempotency markers expire with DynamoDB TTL afterwards). */
export const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The order event in an SQS record. Every queue of the component is subscribed with raw message delivery (and the
 * republisher sends replays raw too), so the body is the event itself: a body shaped like an SNS envelope was sent
 * to the queue by someone, or nested in a message by a publisher, and is refused naming the topic it claims
 * (never unwrapped: its TopicArn and attributes are the sender's). A malformed body throws a ValidationError
 * naming the field: permanent, so it goes to the DLQ at once with that reason.
 */
export function orderEventOf(record: SQSRecord): OrderEvent {
  return parseSnsSqsMessage(record, orderEventSchema, { delivery: "raw" }).message;
}
