import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonOperation, parseJsonBody, requestId, sendJson } from "../../protocol";
import { LocalServiceError } from "../../types";
import { sendTextMessage } from "./api";
import { SMS_VOICE_NAMESPACE, SmsVoiceError } from "./errors";
import type { SmsModel } from "./model";

/**
 * The AWS JSON 1.0 codec of End User Messaging SMS (`sms-voice`, `X-Amz-Target: PinpointSMSVoiceV2.<Op>`):
 * `SendTextMessage` decoded and answered (api.ts runs it), every other operation refused with
 * `UnknownOperationException`; errors written with `__type`, `Message` and their own members.
 */

/** Writes an AWS JSON 1.0 error of sms-voice: `__type`, `Message` and the error's own members. */
function sendSmsVoiceError(res: ServerResponse, error: LocalServiceError): void {
  const members = error instanceof SmsVoiceError ? error.members : {};
  const text = JSON.stringify({
    __type: `${SMS_VOICE_NAMESPACE}#${error.code}`,
    message: error.message,
    Message: error.message,
    ...members,
  });
  res.writeHead(error.status, {
    "content-type": "application/x-amz-json-1.0",
    "x-amzn-requestid": requestId(),
    "x-amzn-errortype": error.code,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Serves one sms-voice request (AWS JSON 1.0, `X-Amz-Target: PinpointSMSVoiceV2.<Op>`). */
export function handleSmsVoice(
  model: SmsModel,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): void {
  try {
    const operation = jsonOperation(req);
    const input = parseJsonBody(body);
    if (operation === "SendTextMessage") {
      sendJson(res, sendTextMessage(model, input), { version: "1.0" });
      return;
    }
    throw new SmsVoiceError(
      "UnknownOperationException",
      `The local carrier emulates SendTextMessage only (got PinpointSMSVoiceV2.${operation}).`,
    );
  } catch (error) {
    const failure =
      error instanceof LocalServiceError
        ? error
        : new SmsVoiceError(
            "InternalServerException",
            error instanceof Error ? error.message : String(error),
            {},
            500,
          );
    if (failure.status >= 500) model.ctx.log.error("sms-voice request failed", { error: failure.message });
    sendSmsVoiceError(res, failure);
  }
}
