import { type PinpointSMSVoiceV2Client, SendTextMessageCommand } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { classifyAwsError } from "@switchyard/runtime-kit";
import { LIMITS } from "../constants";
import type { SendOutcome } from "../domain/outcome";
import { messageTypeOf } from "../domain/request";
import { describeError, type SmsProvider, TransportLimitError } from "./provider";

export interface EndUserMessagingOptions {
  /** Phone number, pool or sender id (ARN) to send from. */
  originationIdentity: string;
  configurationSetName?: string;
}

// Reasons that say the destination, not the deployment, is the problem.
const PERMANENT_REASONS = new Set([
  "DESTINATION_PHONE_NUMBER_OPTED_OUT",
  "DESTINATION_PHONE_NUMBER_NOT_VERIFIED",
  "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION",
  "DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE",
  "DESTINATION_COUNTRY_BLOCKED",
  "CANNOT_PARSE",
  "COUNTRY_CODE_MISMATCH",
  "INVALID_PARAMETER",
  "INVALID_REQUEST",
  "MAXIMUM_SIZE_EXCEEDED",
  "FIELD_VALIDATION_FAILED",
  "PRICE_OVER_THRESHOLD",
]);

/** Maps a `SendTextMessage` error to an outcome. */
export const endUserMessagingOutcome = (error: unknown): SendOutcome => {
  const name = error instanceof Error ? error.name : "";
  const reason = describeError(error);
  const detail = (error as { Reason?: unknown })?.Reason;
  if (name === "ThrottlingException") return { kind: "throttled", reason };
  if ((name === "ConflictException" || name === "ValidationException") && typeof detail === "string") {
    return PERMANENT_REASONS.has(detail) ? { kind: "permanent", reason } : { kind: "transient", reason };
  }
  // Spend limits, missing resources, denied access: the deployment is wrong, the message is fine.
  if (name === "ServiceQuotaExceededException") return { kind: "transient", reason };
  return classifyAwsError(error) === "permanent"
    ? { kind: "permanent", reason }
    : { kind: "transient", reason };
};

/** AWS End User Messaging SMS (`SendTextMessage`): one destination per call. */
export const endUserMessagingProvider = (
  client: PinpointSMSVoiceV2Client,
  options: EndUserMessagingOptions,
): SmsProvider => ({
  name: "endUserMessaging",
  maxRecipientsPerCall: LIMITS.endUserMessagingRecipientsPerCall,
  async send(messages) {
    if (messages.length > LIMITS.endUserMessagingRecipientsPerCall) {
      throw new TransportLimitError(
        `SendTextMessage takes ${LIMITS.endUserMessagingRecipientsPerCall} destination per call (got ${messages.length})`,
      );
    }
    return Promise.all(
      messages.map(async (message): Promise<SendOutcome> => {
        if (message.text.length > LIMITS.maxBodyCharacters) {
          throw new TransportLimitError(
            `SendTextMessage accepts at most ${LIMITS.maxBodyCharacters} characters (got ${message.text.length})`,
          );
        }
        try {
          const result = await client.send(
            new SendTextMessageCommand({
              DestinationPhoneNumber: message.phoneNumber,
              OriginationIdentity: options.originationIdentity,
              MessageBody: message.text,
              MessageType: messageTypeOf(message.useCase),
              ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
              Context: {
                useCase: message.useCase,
                ...(message.reference ? { reference: message.reference } : {}),
              },
            }),
          );
          return { kind: "sent", ...(result.MessageId ? { messageId: result.MessageId } : {}) };
        } catch (error) {
          return endUserMessagingOutcome(error);
        }
      }),
    );
  },
});
