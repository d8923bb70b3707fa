import { LocalServiceError } from "../../types";

/**
 * The carrier's errors. sms-voice (AWS JSON 1.0) errors carry extra members besides `Message` (`Reason` and
 * `Fields` of a ValidationException, `ResourceType` / `ResourceId` of a ResourceNotFoundException); Pinpoint
 * (REST-JSON) errors are plain `LocalServiceError`s (code, message, status). The codecs
 * (end-user-messaging.ts, pinpoint.ts) write them.
 */

/** The `__type` namespace of sms-voice errors. */
export const SMS_VOICE_NAMESPACE = "com.amazonaws.pinpointsmsvoicev2";

/** An sms-voice error with its extra members (`Reason`, `Fields`, `ResourceType`, `ResourceId`). */
export class SmsVoiceError extends LocalServiceError {
  constructor(
    code: string,
    message: string,
    readonly members: Record<string, unknown> = {},
    status = 400,
  ) {
    super(code, message, status);
  }
}

/** A ValidationException naming the field, as sms-voice reports it. */
export const fieldError = (
  field: string,
  problem: string,
  reason = "FIELD_VALIDATION_FAILED",
): SmsVoiceError =>
  new SmsVoiceError("ValidationException", `${field}: ${problem}`, {
    Reason: reason,
    Fields: [{ Name: field, Message: problem }],
  });

/** Pinpoint's `BadRequestException` (HTTP 400). */
export const badRequest = (message: string): LocalServiceError =>
  new LocalServiceError("BadRequestException", message);
