import { type MessageResult, type PinpointClient, SendMessagesCommand } from "@aws-sdk/client-pinpoint";
import { classifyAwsError } from "@switchyard/runtime-kit";
import { LIMITS } from "../constants";
import type { SendOutcome } from "../domain/outcome";
import { messageTypeOf, type SmsRequest } from "../domain/request";
import { describeError, type SmsProvider, TransportLimitError } from "./provider";

export interface PinpointOptions {
  applicationId: string;
  /** Number or sender id to send from; Pinpoint picks one when absent. */
  originationNumber?: string;
}

/** Maps one per-address `MessageResult` (inside an HTTP 200) to an outcome. */
export const pinpointResultOutcome = (result: MessageResult | undefined): SendOutcome => {
  if (result === undefined)
    return { kind: "transient", reason: "Pinpoint returned no result for the address" };
  const reason = `Pinpoint ${result.DeliveryStatus ?? "no status"} (${result.StatusCode ?? "no code"})`;
  switch (result.DeliveryStatus) {
    case "SUCCESSFUL":
      return { kind: "sent", ...(result.MessageId ? { messageId: result.MessageId } : {}) };
    case "THROTTLED":
      return { kind: "throttled", reason };
    case "PERMANENT_FAILURE":
    case "OPT_OUT":
      return { kind: "permanent", reason };
    default:
      // TEMPORARY_FAILURE, UNKNOWN_FAILURE, TIMEOUT and DUPLICATE (never sent: we send each address once per call).
      return { kind: "transient", reason };
  }
};

/** Maps an error of the whole call to the outcome of every message in it. */
export const pinpointErrorOutcome = (error: unknown): SendOutcome => {
  const reason = describeError(error);
  if (error instanceof Error && error.name === "TooManyRequestsException")
    return { kind: "throttled", reason };
  return classifyAwsError(error) === "permanent"
    ? { kind: "permanent", reason }
    : { kind: "transient", reason };
};

/**
 * Amazon Pinpoint `SendMessages`: up to 100 addresses per call, each with its own body (`BodyOverride`). The caller
 * groups messages with distinct numbers; the adapter refuses a call the API would reject.
 */
export const pinpointProvider = (client: PinpointClient, options: PinpointOptions): SmsProvider => ({
  name: "pinpoint",
  maxRecipientsPerCall: LIMITS.pinpointRecipientsPerCall,
  async send(messages) {
    if (messages.length === 0) return [];
    if (messages.length > LIMITS.pinpointRecipientsPerCall) {
      throw new TransportLimitError(
        `SendMessages takes at most ${LIMITS.pinpointRecipientsPerCall} addresses per call (got ${messages.length})`,
      );
    }
    const numbers = new Set(messages.map((m) => m.phoneNumber));
    if (numbers.size !== messages.length) {
      throw new TransportLimitError(
        `SendMessages keys addresses by number, so one call cannot carry a number twice (got ${messages.length - numbers.size} repeats)`,
      );
    }
    const first = messages[0] as SmsRequest;
    if (messages.some((m) => messageTypeOf(m.useCase) !== messageTypeOf(first.useCase))) {
      throw new TransportLimitError(
        "SendMessages takes one MessageType per call (got transactional and promotional messages together)",
      );
    }
    try {
      const response = await client.send(
        new SendMessagesCommand({
          ApplicationId: options.applicationId,
          MessageRequest: {
            Addresses: Object.fromEntries(
              messages.map((m) => [m.phoneNumber, { ChannelType: "SMS", BodyOverride: m.text }]),
            ),
            MessageConfiguration: {
              SMSMessage: {
                Body: first.text,
                MessageType: messageTypeOf(first.useCase),
                ...(options.originationNumber ? { OriginationNumber: options.originationNumber } : {}),
              },
            },
          },
        }),
      );
      const results = response.MessageResponse?.Result ?? {};
      return messages.map((m) => pinpointResultOutcome(results[m.phoneNumber]));
    } catch (error) {
      const outcome = pinpointErrorOutcome(error);
      return messages.map(() => outcome);
    }
  },
});
