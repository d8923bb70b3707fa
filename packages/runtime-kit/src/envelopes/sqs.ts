import type { SQSRecord } from "aws-lambda";
import type { z } from "zod";
import type { MessageAttributes } from "../types";
import { parseJson, parseWith, subjectOf } from "./parse";

/**
 * Parses an SQS record body as JSON and validates it with `schema`.
 *
 * @throws ValidationError naming the field: `body: is not valid JSON`, `body.orderId: ...`
 */
export const parseSqsBody = <S extends z.ZodType>(record: SQSRecord, schema: S): z.output<S> => {
  const subject = subjectOf(record);
  return parseWith(schema, parseJson(record.body, "body", subject), "body", subject);
};

/**
 * The record's SQS message attributes in the kit's one shape (`{ dataType, value }`).
 * `Binary` values stay base64, as Lambda delivers them.
 */
export const sqsMessageAttributes = (record: Pick<SQSRecord, "messageAttributes">): MessageAttributes => {
  const attributes: MessageAttributes = {};
  for (const [name, attribute] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      dataType: attribute.dataType,
      value: attribute.stringValue ?? attribute.binaryValue ?? "",
    };
  }
  return attributes;
};
