import type { SQSRecord } from "aws-lambda";
import { z } from "zod";
import type { EventBridgeMessage } from "../types";
import { parseJson, parseWith, subjectOf } from "./parse";

/** An EventBridge event as an SQS target receives it (the whole event is the body). `detail` is checked separately. */
export const eventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.iso.datetime({ offset: true, error: "must be an ISO 8601 timestamp" }),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
  "replay-name": z.string().optional(),
});

/**
 * Parses an EventBridge event delivered to SQS and validates its `detail` with `detailSchema`.
 *
 * @throws ValidationError naming the field: `body.detail-type: ...`, `body.detail.orderId: ...`
 */
export const parseEventBridgeBody = <S extends z.ZodType>(
  record: SQSRecord,
  detailSchema: S,
): EventBridgeMessage<z.output<S>> => {
  const subject = subjectOf(record);
  const event = parseWith(eventBridgeEventSchema, parseJson(record.body, "body", subject), "body", subject);
  return {
    id: event.id,
    version: event.version,
    source: event.source,
    detailType: event["detail-type"],
    account: event.account,
    time: event.time,
    region: event.region,
    resources: event.resources,
    detail: parseWith(detailSchema, event.detail, "body.detail", subject),
    ...(event["replay-name"] !== undefined ? { replayName: event["replay-name"] } : {}),
  };
};
