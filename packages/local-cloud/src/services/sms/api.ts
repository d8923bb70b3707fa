import { randomUUID } from "node:crypto";
import { countSmsParts } from "@switchyard/contracts/sms";
import { LocalServiceError } from "../../types";
import { isRecord } from "../../values";
import { badRequest, fieldError, SmsVoiceError } from "./errors";
import { knownIdentity, MESSAGE_TYPES, type SmsModel, type SmsSend } from "./model";
import { mask, type ParsedNumber, PHONE_PATTERN, parseNumber } from "./phone";

/**
 * The carrier's two operations, JSON-shaped input and output with AWS's member names, over the model:
 *
 * - `sendTextMessage` (End User Messaging SMS, `PinpointSMSVoiceV2.SendTextMessage`): the input checked
 *   against the model's constraints (`ValidationException` naming the field), the origination identity
 *   against the stack config (`ResourceNotFoundException`), then the message handed to the carrier
 *   (`ThrottlingException` over the limit). A refused request with a destination is recorded as INVALID.
 * - `sendMessages` (Pinpoint `SendMessages`): the application checked against the stack config
 *   (`NotFoundException`), the account's request rate (`TooManyRequestsException`, 429), the whole request
 *   validated before anything is sent (`BadRequestException`), then one `MessageResult` per address
 *   (`SUCCESSFUL`/200, `THROTTLED`/429, `PERMANENT_FAILURE`/400).
 */

// ---- PinpointSMSVoiceV2.SendTextMessage -------------------------------------------------------------

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

// ---- Pinpoint SendMessages ------------------------------------------------------------------------------

const MAX_PINPOINT_ADDRESSES = 100;

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
