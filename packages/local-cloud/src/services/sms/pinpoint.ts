import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { countSmsParts } from "@switchyard/contracts/sms";
import { parseJsonBody, requestId } from "../../protocol";
import { LocalServiceError } from "../../types";
import { isRecord } from "../../values";
import { badRequest } from "./errors";
import { MESSAGE_TYPES, type SmsModel, type SmsSend } from "./model";
import { mask, PHONE_PATTERN, parseNumber } from "./phone";

/**
 * Amazon Pinpoint (`mobiletargeting`, REST-JSON): `SendMessages` (`POST /v1/apps/{ApplicationId}/messages`),
 * the application checked against the stack config (`NotFoundException`), the account's request rate
 * (`TooManyRequestsException`, 429), the whole request validated before anything is sent
 * (`BadRequestException`), then one `MessageResult` per address (`SUCCESSFUL`/200, `THROTTLED`/429,
 * `PERMANENT_FAILURE`/400); errors written with `x-amzn-ErrorType` and `{ Message, RequestID }`.
 */

const MAX_PINPOINT_ADDRESSES = 100;

/** Pinpoint's REST-JSON success (`application/json`). */
function sendPinpointJson(res: ServerResponse, body: unknown, request: string): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    "content-type": "application/json",
    "x-amzn-requestid": request,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Pinpoint's REST-JSON error: `x-amzn-ErrorType` and `{ Message, RequestID }` (its error members). */
function sendPinpointError(res: ServerResponse, error: LocalServiceError, request: string): void {
  const text = JSON.stringify({ Message: error.message, message: error.message, RequestID: request });
  res.writeHead(error.status, {
    "content-type": "application/json",
    "x-amzn-errortype": error.code,
    "x-amzn-requestid": request,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

interface AddressPlan {
  address: string;
  channel: string;
  body: string;
}

/** `SendMessages` to the request's `Addresses`: one `MessageResult` per address. */
export function sendMessages(
  model: SmsModel,
  applicationId: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const at = model.now();
  const configured = model.settings().config.pinpointApplicationIds;
  if (configured.length > 0 && !configured.includes(applicationId)) {
    throw new LocalServiceError(
      "NotFoundException",
      `Application ${applicationId} does not exist (the stack config's Pinpoint projects are ${configured.join(", ")}).`,
      404,
    );
  }
  if (!model.takePinpointRequest(at)) {
    throw new LocalServiceError(
      "TooManyRequestsException",
      "Too many requests: SendMessages is over the account's request rate.",
      429,
    );
  }

  const addresses = input.Addresses;
  if (!isRecord(addresses) || Object.keys(addresses).length === 0) {
    throw badRequest(
      input.Endpoints !== undefined
        ? "MessageRequest.Endpoints is not supported by the local carrier: address the message with MessageRequest.Addresses."
        : "MessageRequest.Addresses is required: at least one address.",
    );
  }
  const entries = Object.entries(addresses);
  if (entries.length > MAX_PINPOINT_ADDRESSES) {
    throw badRequest(
      `MessageRequest.Addresses: at most ${MAX_PINPOINT_ADDRESSES} addresses per request (got ${entries.length}).`,
    );
  }
  const configuration = isRecord(input.MessageConfiguration) ? input.MessageConfiguration : {};
  const sms = isRecord(configuration.SMSMessage) ? configuration.SMSMessage : undefined;
  const messageType = sms?.MessageType;
  if (
    messageType !== undefined &&
    messageType !== null &&
    !MESSAGE_TYPES.includes(messageType as (typeof MESSAGE_TYPES)[number])
  ) {
    throw badRequest(
      `MessageConfiguration.SMSMessage.MessageType: expected one of ${MESSAGE_TYPES.join(", ")} (got ${JSON.stringify(messageType)}).`,
    );
  }
  // Validate the whole request before sending anything.
  const plans: AddressPlan[] = entries.map(([address, raw]) => {
    if (!isRecord(raw) || typeof raw.ChannelType !== "string") {
      throw badRequest(`MessageRequest.Addresses["${mask(address)}"].ChannelType is required.`);
    }
    const override = raw.BodyOverride;
    const body =
      typeof override === "string" && override !== ""
        ? override
        : typeof sms?.Body === "string"
          ? sms.Body
          : "";
    if (raw.ChannelType === "SMS" && body.trim() === "") {
      throw badRequest(
        `MessageConfiguration.SMSMessage.Body (or Addresses["${mask(address)}"].BodyOverride) is required for an SMS.`,
      );
    }
    return { address, channel: raw.ChannelType, body };
  });
  const origination =
    typeof sms?.OriginationNumber === "string"
      ? sms.OriginationNumber
      : typeof sms?.SenderId === "string"
        ? sms.SenderId
        : undefined;
  const result: Record<string, Record<string, unknown>> = {};
  for (const plan of plans) {
    if (plan.channel !== "SMS") {
      result[plan.address] = {
        DeliveryStatus: "PERMANENT_FAILURE",
        StatusCode: 400,
        StatusMessage: `The local carrier delivers the SMS channel only (got ${plan.channel}).`,
      };
      continue;
    }
    const number = parseNumber(plan.address);
    const counted = countSmsParts(plan.body);
    const base: SmsSend = {
      provider: "pinpoint",
      destination: number.e164,
      country: number.country,
      body: plan.body,
      parts: counted.parts,
      encoding: counted.encoding,
      applicationId,
      ...(typeof messageType === "string" ? { messageType } : {}),
      ...(origination ? { originationIdentity: origination } : {}),
    };
    if (!PHONE_PATTERN.test(plan.address) || !number.valid) {
      model.refuse(base, at, "Invalid phone number");
      result[plan.address] = {
        DeliveryStatus: "PERMANENT_FAILURE",
        StatusCode: 400,
        StatusMessage: "Invalid phone number",
      };
      continue;
    }
    const outcome = model.attempt(base, at);
    if (outcome.status === "THROTTLED") {
      result[plan.address] = {
        DeliveryStatus: "THROTTLED",
        StatusCode: 429,
        StatusMessage: outcome.record.reason ?? "Throttled",
      };
    } else {
      result[plan.address] = {
        DeliveryStatus: "SUCCESSFUL",
        StatusCode: 200,
        StatusMessage: `MessageId: ${outcome.record.id}`,
        MessageId: outcome.record.id,
      };
    }
  }
  return { ApplicationId: applicationId, RequestId: randomUUID(), Result: result };
}

/** Serves one Pinpoint request (REST-JSON; only `SendMessages` is routed). */
export function handlePinpoint(
  model: SmsModel,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): void {
  const request = requestId();
  try {
    const url = new URL(req.url ?? "/", "http://local");
    const match = /^\/v1\/apps\/([^/]+)\/messages\/?$/.exec(url.pathname);
    if (!match?.[1]) {
      throw new LocalServiceError(
        "NotFoundException",
        `The local carrier emulates Pinpoint SendMessages only (POST /v1/apps/{ApplicationId}/messages; got ${req.method} ${url.pathname}).`,
        404,
      );
    }
    if (req.method !== "POST") {
      throw new LocalServiceError(
        "MethodNotAllowedException",
        `${req.method} is not allowed on ${url.pathname}.`,
        405,
      );
    }
    let input: Record<string, unknown>;
    try {
      input = parseJsonBody(body);
    } catch {
      throw badRequest("The request body is not a JSON MessageRequest object.");
    }
    sendPinpointJson(res, sendMessages(model, decodeURIComponent(match[1]), input), request);
  } catch (error) {
    const failure =
      error instanceof LocalServiceError
        ? error
        : new LocalServiceError(
            "InternalServerErrorException",
            error instanceof Error ? error.message : String(error),
            500,
          );
    if (failure.status >= 500) model.ctx.log.error("pinpoint request failed", { error: failure.message });
    sendPinpointError(res, failure, request);
  }
}
