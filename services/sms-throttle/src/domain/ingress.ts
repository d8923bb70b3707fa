import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { publishEntryBytes, LIMITS as TRANSPORT } from "@switchyard/contracts";
import { ValidationError } from "@switchyard/runtime-kit";
import type { IngressParse } from "@switchyard/runtime-kit/ingress";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import { ATTRIBUTES, USE_CASES } from "../constants";
import { SmsThrottleError } from "../errors";
import { checkRequest, type SmsRequest, smsBodySchema } from "./request";

/** What a client outside AWS posts to `POST /sms`: the topic's body plus the use case (the country is derived). */
export const smsIngressSchema = smsBodySchema
  .extend({
    useCase: z.enum(USE_CASES, { error: `expected one of ${USE_CASES.join(", ")}` }),
  })
  .strict();

/**
 * Validates a `POST /sms` body with the service's own request check: the country comes from the phone number and the
 * use case from the body, never from anything else the caller sends. Problems name the field and never repeat the number.
 */
export function parseSmsIngressRequest(body: unknown, maxParts: number): IngressParse<SmsRequest> {
  const parsed = smsIngressSchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join(".") : "body",
        message: issue.message,
      })),
    };
  }
  const { useCase, ...message } = parsed.data;
  const country = parsePhoneNumberFromString(message.phoneNumber)?.country;
  if (!country) {
    return { ok: false, problems: [{ field: "phoneNumber", message: "expected a valid phone number" }] };
  }
  const checked = checkRequest(message, { country, useCase }, maxParts);
  if (!checked.ok) {
    return {
      ok: false,
      problems: checked.problems.map((problem) => {
        const at = problem.indexOf(": ");
        return at > 0
          ? { field: problem.slice(0, at), message: problem.slice(at + 2) }
          : { field: "body", message: problem };
      }),
    };
  }
  return { ok: true, value: checked.request };
}

/**
 * Publishes a validated request as any in-account publisher would: the body the senders parse, and the `country` and
 * `useCase` attributes the lanes filter on, both derived from the validated request. Checks SNS's size limit first.
 */
export async function publishSmsRequest(
  sns: SNSClient,
  topicArn: string,
  request: SmsRequest,
): Promise<string> {
  const entry = {
    Id: "sms",
    Message: JSON.stringify({
      phoneNumber: request.phoneNumber,
      text: request.text,
      ...(request.reference ? { reference: request.reference } : {}),
    }),
    MessageAttributes: {
      [ATTRIBUTES.country]: { DataType: "String", StringValue: request.country },
      [ATTRIBUTES.useCase]: { DataType: "String", StringValue: request.useCase },
    },
  };
  const bytes = publishEntryBytes(entry);
  if (bytes > TRANSPORT.snsMessageBytes) {
    throw new ValidationError([
      {
        path: "body",
        message: `is ${bytes} bytes as an SNS message; SNS takes at most ${TRANSPORT.snsMessageBytes}`,
      },
    ]);
  }
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: entry.Message,
      MessageAttributes: entry.MessageAttributes,
    }),
  );
  if (!MessageId) throw new SmsThrottleError("SNS Publish answered without a MessageId");
  return MessageId;
}
