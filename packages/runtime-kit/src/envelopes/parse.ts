import type { SQSRecord } from "aws-lambda";
import type { z } from "zod";
import { ValidationError } from "../errors";

/** How a record is named in validation messages: `SQS message <messageId>`. */
export const subjectOf = (record: Pick<SQSRecord, "messageId">): string => `SQS message ${record.messageId}`;

/** `JSON.parse`, throwing a `ValidationError` that names the field holding the text. */
export const parseJson = (text: string, at: string, subject: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{ path: at, message: "is not valid JSON" }], { subject, cause: error });
  }
};

/** `schema.safeParse`, throwing a `ValidationError` whose paths start at `at`. */
export const parseWith = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  at: string,
  subject: string,
): z.output<S> => {
  const result = schema.safeParse(value);
  if (!result.success) throw ValidationError.fromZod(result.error, { subject, at });
  return result.data;
};

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
