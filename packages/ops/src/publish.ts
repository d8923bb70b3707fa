import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import {
  countSmsParts,
  LIMITS,
  publishOrderEvents,
  sendUserNotification,
  utf8Bytes,
} from "@switchyard/contracts";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import type { OpsClients } from "./clients";
import { OpsError } from "./errors";

/** The `source` of events the ops tools put on a bus. */
export const OPS_SOURCE = "switchyard.ops";

const output = (outputs: Record<string, unknown>, key: string, what: string): string => {
  const value = outputs[key];
  if (typeof value !== "string" || value === "")
    throw new OpsError(`the stack exports no ${key}: is the ${what} service deployed?`);
  return value;
};

/** First validation message of a contracts ValidationError (or any error), as one line. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/** Publishes order events (one or an array) through `publishOrderEvents` of @switchyard/contracts. */
export async function publishOrder(
  clients: OpsClients,
  outputs: Record<string, unknown>,
  events: unknown,
  options: { fifo?: boolean } = {},
): Promise<{ topicArn: string; messageIds: string[] }> {
  const topicArn = output(outputs, options.fifo ? "ordersFifoTopicArn" : "ordersTopicArn", "orders");
  const list = Array.isArray(events) ? events : [events];
  try {
    const result = await publishOrderEvents(clients.sns, { topicArn }, list, { maxAttempts: 3 });
    return { topicArn, messageIds: result.messageIds };
  } catch (error) {
    throw new OpsError(`publish order: ${oneLine(error)}`);
  }
}

/** Sends a user notification through `sendUserNotification` of @switchyard/contracts. */
export async function publishNotification(
  clients: OpsClients,
  outputs: Record<string, unknown>,
  notification: unknown,
): Promise<{ eventBusName: string; eventIds: string[] }> {
  const eventBusName = output(outputs, "notificationsBusName", "notifications");
  try {
    const result = await sendUserNotification(
      clients.events,
      { eventBusName, source: OPS_SOURCE },
      [notification],
      {
        maxAttempts: 3,
      },
    );
    return { eventBusName, eventIds: result.eventIds };
  } catch (error) {
    throw new OpsError(`publish notification: ${oneLine(error)}`);
  }
}

const USE_CASES = ["VERIFICATION", "TRANSACTIONAL", "REMINDER", "OFFER"] as const;
const smsRequestSchema = z
  .object({
    phoneNumber: z
      .string({ error: "phoneNumber is required" })
      .regex(/^\+[1-9]\d{6,14}$/, { error: "phoneNumber must be E.164 (+ and 7 to 15 digits)" }),
    text: z
      .string({ error: "text is required" })
      .min(1, { error: "text must not be empty" })
      .max(1600, { error: "text must be at most 1600 characters" }),
    reference: z.string().max(128, { error: "reference must be at most 128 characters" }).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, { error: "country must be an ISO 3166-1 alpha-2 code such as DE" })
      .optional(),
    useCase: z.enum(USE_CASES, { error: `useCase must be one of ${USE_CASES.join(", ")}` }),
  })
  .strict();
export type SmsRequestInput = z.input<typeof smsRequestSchema>;

/**
 * Publishes an SMS request to the sms-throttle-requests topic: the body `{phoneNumber, text, reference?}` and the
 * `country` and `useCase` attributes the lanes filter on (services/sms-throttle/README.md). The country is the
 * number's (libphonenumber, as the ingress and the senders derive it); a `country` given that disagrees is refused here
 * rather than dead-lettered by the sender.
 */
export async function publishSms(
  clients: OpsClients,
  outputs: Record<string, unknown>,
  input: unknown,
): Promise<{ topicArn: string; messageId: string; parts: number; country: string }> {
  const parsed = smsRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".");
    throw new OpsError(
      `publish sms: ${field && !issue?.message.startsWith(field) ? `${field}: ` : ""}${issue?.message ?? "invalid"}`,
    );
  }
  const { country: given, useCase, ...body } = parsed.data;
  // Valid as the senders judge it (libphonenumber's isValid), or the senders would dead-letter it.
  const phone = parsePhoneNumberFromString(body.phoneNumber);
  const country = phone?.isValid() ? phone.country : undefined;
  if (!country) throw new OpsError("publish sms: phoneNumber: not a valid number of any country");
  if (given !== undefined && given !== country)
    throw new OpsError(
      `publish sms: country: ${given} disagrees with the number, which is in ${country} (leave country out: it is derived from the number)`,
    );
  // The request is judged before the stack: a bad request names its field whatever is deployed.
  const topicArn = output(outputs, "smsTopicArn", "sms");
  const message = JSON.stringify(body);
  if (utf8Bytes(message) > LIMITS.snsMessageBytes)
    throw new OpsError(
      `publish sms: the message is ${utf8Bytes(message)} bytes; SNS takes at most ${LIMITS.snsMessageBytes}`,
    );
  const { MessageId } = await clients.sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: message,
      MessageAttributes: {
        country: { DataType: "String", StringValue: country },
        useCase: { DataType: "String", StringValue: useCase },
      },
    }),
  );
  return { topicArn, messageId: MessageId ?? "", parts: countSmsParts(body.text).parts, country };
}

/** S3's largest single PUT is 5 GB; the console and CLI upload small files only. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** Uploads a file to the media uploads bucket (the s3-pipeline makes renditions of images). */
export async function uploadFile(
  clients: OpsClients,
  outputs: Record<string, unknown>,
  key: string,
  bytes: Uint8Array,
  contentType?: string,
): Promise<{ bucket: string; key: string }> {
  const bucket = output(outputs, "uploadsBucketName", "s3-pipeline");
  if (!/^[\w!\-.*'()/ ]{1,1024}$/.test(key) || key.startsWith("/"))
    throw new OpsError(
      `upload: key "${key}" must be 1-1024 safe characters (letters, digits, - _ . / ! * ' ( ) and spaces)`,
    );
  if (bytes.byteLength > MAX_UPLOAD_BYTES)
    throw new OpsError(`upload: the file is ${bytes.byteLength} bytes; at most ${MAX_UPLOAD_BYTES} here`);
  await clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }),
  );
  return { bucket, key };
}
