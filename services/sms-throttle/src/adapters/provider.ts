import type { SendOutcome } from "../domain/outcome";
import type { SmsRequest } from "../domain/request";
import { SmsThrottleError } from "../errors";

/** One SMS provider behind the sender. */
export interface SmsProvider {
  readonly name: "endUserMessaging" | "pinpoint";
  /** Recipients one call can carry; the sender groups up to this many. */
  readonly maxRecipientsPerCall: number;
  /** Sends the messages in one call (or one call each), returning one outcome per message, in order. */
  send(messages: readonly SmsRequest[]): Promise<SendOutcome[]>;
}

/** A request the transport would reject: refused before any call is made. */
export class TransportLimitError extends SmsThrottleError {
  override name = "TransportLimitError";
}

/** Name and message of an error, for a reason that never carries the phone number. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    const reason = (error as { Reason?: unknown }).Reason;
    return `${error.name}${typeof reason === "string" ? ` (${reason})` : ""}`;
  }
  return String(error);
};
