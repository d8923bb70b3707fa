import type { IncomingMessage, ServerResponse } from "node:http";
import { countSmsParts } from "@switchyard/contracts/sms";
import { jsonOperation, parseJsonBody, requestId, sendJson } from "../../protocol";
import { LocalServiceError } from "../../types";
import { isRecord } from "../../values";
import { fieldError, SMS_VOICE_NAMESPACE, SmsVoiceError } from "./errors";
import { knownIdentity, MESSAGE_TYPES, type SmsModel, type SmsSend } from "./model";
import { type ParsedNumber, PHONE_PATTERN, parseNumber } from "./phone";

/**
 * AWS End User Messaging SMS (`sms-voice`, PinpointSMSVoiceV2, AWS JSON 1.0): `SendTextMessage`, its input
 * checked against the model's constraints (`ValidationException` naming the field), the origination identity
 * against the stack config (`ResourceNotFoundException`), the message handed to the carrier
 * (`ThrottlingException` over the limit); errors written with `__type`, `Message` and their own members.
 */

const MAX_BODY_CHARACTERS = 1600;
const ORIGINATION_PATTERN = /^[A-Za-z0-9_:/+-]+$/;
const CONFIGURATION_SET_PATTERN = /^[A-Za-z0-9_:/-]+$/;
const MAX_PRICE_PATTERN = /^[0-9]{0,2}\.[0-9]{1,5}$/;

/** Length in Unicode scalar values, as Smithy's `@length` counts strings. */
const scalarLength = (text: string): number => Array.from(text).length;

/** A string member's type and `@length` / `@pattern` constraints. */
function checkString(
  input: Record<string, unknown>,
  field: string,
  spec: { required?: boolean; min: number; max: number; pattern?: RegExp; patternText?: string },
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    if (spec.required) throw fieldError(field, "expected a value (the member is required)");
    return undefined;
  }
  if (typeof value !== "string") throw fieldError(field, `expected a string (got ${typeof value})`);
  const length = scalarLength(value);
  if (length < spec.min || length > spec.max) {
    throw fieldError(field, `expected ${spec.min} to ${spec.max} characters (got ${length})`);
  }
  if (spec.pattern && !spec.pattern.test(value)) {
    throw fieldError(field, `expected a value matching ${spec.patternText ?? spec.pattern.source}`);
  }
  return value;
}

/** A string-to-string map member with its entry and key/value limits. */
function checkStringMap(
  input: Record<string, unknown>,
  field: string,
  spec: { maxEntries: number; maxKey: number; maxValue: number },
): Record<string, string> | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw fieldError(field, "expected a map of strings");
  const entries = Object.entries(value);
  if (entries.length > spec.maxEntries) {
    throw fieldError(field, `expected at most ${spec.maxEntries} entries (got ${entries.length})`);
  }
  const map: Record<string, string> = {};
  for (const [key, entry] of entries) {
    if (!/^\S+$/.test(key) || key.length > spec.maxKey) {
      throw fieldError(field, `expected keys of 1 to ${spec.maxKey} non-space characters (got "${key}")`);
    }
    if (typeof entry !== "string" || entry.length < 1 || entry.length > spec.maxValue) {
      throw fieldError(field, `expected the value of "${key}" to be 1 to ${spec.maxValue} characters`);
    }
    map[key] = entry;
  }
  return map;
}

function checkBoolean(input: Record<string, unknown>, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw fieldError(field, `expected a boolean (got ${typeof value})`);
  return value;
}

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

/** `PinpointSMSVoiceV2.SendTextMessage`: validates, then sends one message through the carrier. */
export function sendTextMessage(model: SmsModel, input: Record<string, unknown>): { MessageId: string } {
  const at = model.now();
  const rawDestination = input.DestinationPhoneNumber;
  const rawBody = typeof input.MessageBody === "string" ? input.MessageBody : "";
  const counted = countSmsParts(rawBody);
  const base = (destination: string, country: string): SmsSend => ({
    provider: "sms-voice",
    destination,
    country,
    body: rawBody,
    parts: counted.parts,
    encoding: counted.encoding,
    ...(typeof input.MessageType === "string" ? { messageType: input.MessageType } : {}),
    ...(typeof input.OriginationIdentity === "string"
      ? { originationIdentity: input.OriginationIdentity }
      : {}),
    ...(typeof input.ConfigurationSetName === "string"
      ? { configurationSetName: input.ConfigurationSetName }
      : {}),
  });
  const dryRun = input.DryRun === true;
  let destination: ParsedNumber | undefined;
  let context: Record<string, string> | undefined;
  try {
    const phone = checkString(input, "DestinationPhoneNumber", {
      required: true,
      min: 1,
      max: 20,
      pattern: PHONE_PATTERN,
      patternText: "an E.164 phone number (+ and up to 19 digits, no leading 0)",
    }) as string;
    destination = parseNumber(phone);
    checkString(input, "OriginationIdentity", { min: 1, max: 256, pattern: ORIGINATION_PATTERN });
    checkString(input, "MessageBody", {
      required: true,
      min: 1,
      max: MAX_BODY_CHARACTERS,
      pattern: /\S/,
      patternText: "a text that is not only whitespace",
    });
    const messageType = input.MessageType;
    if (
      messageType !== undefined &&
      messageType !== null &&
      !MESSAGE_TYPES.includes(messageType as (typeof MESSAGE_TYPES)[number])
    ) {
      throw fieldError(
        "MessageType",
        `expected one of ${MESSAGE_TYPES.join(", ")} (got ${JSON.stringify(messageType)})`,
      );
    }
    checkString(input, "Keyword", { min: 1, max: 30 });
    checkString(input, "ConfigurationSetName", { min: 1, max: 256, pattern: CONFIGURATION_SET_PATTERN });
    checkString(input, "MaxPrice", { min: 2, max: 8, pattern: MAX_PRICE_PATTERN });
    checkString(input, "ProtectConfigurationId", { min: 1, max: 256, pattern: CONFIGURATION_SET_PATTERN });
    const ttl = input.TimeToLive;
    if (
      ttl !== undefined &&
      ttl !== null &&
      (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 5 || ttl > 259_200)
    ) {
      throw fieldError("TimeToLive", `expected whole seconds from 5 to 259200 (got ${JSON.stringify(ttl)})`);
    }
    context = checkStringMap(input, "Context", { maxEntries: 5, maxKey: 100, maxValue: 800 });
    checkStringMap(input, "DestinationCountryParameters", { maxEntries: 10, maxKey: 100, maxValue: 64 });
    checkBoolean(input, "DryRun");
    checkBoolean(input, "MessageFeedbackEnabled");
    if (!destination.valid) {
      throw fieldError(
        "DestinationPhoneNumber",
        "expected a valid phone number in E.164 format",
        "INVALID_PARAMETER",
      );
    }
    const identity = input.OriginationIdentity;
    const configured = model.settings().config.originationIdentityArns;
    if (typeof identity === "string" && configured.length > 0 && !knownIdentity(identity, configured)) {
      const type =
        /:([a-z-]+)\//.exec(identity)?.[1] ??
        (identity.startsWith("pool-")
          ? "pool"
          : identity.startsWith("phone-")
            ? "phone-number"
            : "sender-id");
      throw new SmsVoiceError(
        "ResourceNotFoundException",
        `OriginationIdentity ${identity} does not exist in this account (the stack config's origination identities are ${configured.join(", ")}).`,
        { ResourceType: type, ResourceId: identity },
        404,
      );
    }
  } catch (error) {
    if (error instanceof LocalServiceError && !dryRun && typeof rawDestination === "string") {
      model.refuse(
        base(destination?.e164 ?? rawDestination, destination?.country ?? ""),
        at,
        `${error.code}: ${error.message}`,
      );
    }
    throw error;
  }
  if (!destination) throw fieldError("DestinationPhoneNumber", "expected a value (the member is required)");
  const outcome = model.attempt(
    { ...base(destination.e164, destination.country), ...(context ? { context } : {}) },
    at,
    dryRun,
  );
  if (outcome.status === "THROTTLED") {
    throw new SmsVoiceError("ThrottlingException", outcome.record.reason ?? "Rate exceeded");
  }
  return { MessageId: outcome.record.id };
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
