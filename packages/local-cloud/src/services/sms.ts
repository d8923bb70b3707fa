import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { countSmsParts, type SmsEncoding } from "@switchyard/contracts/sms";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { jsonOperation, parseJsonBody, requestId, sendJson, signingName } from "../protocol";
import {
  type CarrierEngine,
  type CarrierRecord,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
} from "../types";
import { isRecord } from "../values";
import { CATCH_ALL, PartsBucket, readSmsCarrierConfig, type SmsCarrierConfig, WindowMax } from "./sms-limits";

/**
 * The local SMS carrier: AWS End User Messaging SMS (`sms-voice`, PinpointSMSVoiceV2 `SendTextMessage`,
 * AWS JSON 1.0) and Amazon Pinpoint (`mobiletargeting`, `SendMessages`, REST-JSON). Every message is
 * recorded (delivered, throttled or invalid) and each destination country has a sending limit in message
 * parts per second, taken from the stack's `switchyard:sms-throttle` config, enforced as AWS reports it:
 *
 * - `SendTextMessage` over the limit: `ThrottlingException` (HTTP 400, `__type` ...#ThrottlingException,
 *   `Message`), which `services/sms-throttle/src/adapters/end-user-messaging.ts` maps to "throttled".
 *   Invalid input: `ValidationException` with `Reason` and `Fields: [{ Name, Message }]` naming the field
 *   (`FIELD_VALIDATION_FAILED` for the model's constraints, `INVALID_PARAMETER` for a number that is
 *   well-formed but not a valid phone number; both permanent for the adapter). An origination identity
 *   other than the config's (`endUserMessaging.originationIdentityArn` and each country's
 *   `origination.endUserMessaging.originationIdentityArn`, or their ids): `ResourceNotFoundException`.
 * - `SendMessages`: HTTP 200 with a per-address `MessageResult` (`DeliveryStatus`, `StatusCode`,
 *   `StatusMessage`, `MessageId`): `SUCCESSFUL`/200, `THROTTLED`/429 over the limit, `PERMANENT_FAILURE`/400
 *   for an invalid number (`services/sms-throttle/src/adapters/pinpoint.ts` maps them to sent / throttled /
 *   permanent). Over the account's API rate (4,000 requests/s by default, `pinpointRequestsPerSecond`) the
 *   whole call is refused with `TooManyRequestsException` (HTTP 429).
 *
 * Limits (parts per second): a listed country's `capPartsPerSecond`; every other country the catch-all
 * `catchAll.partsPerSecond`, SHARED by all unlisted countries together by default (key `*`), because
 * sms-throttle models the catch-all as one lane (`sms-throttle-other`) with one budget for all of them: the carrier
 * enforces exactly the budget the sender promises to keep. (Real carriers limit per country; pass
 * `catchAllScope: "perCountry"` for that.) `options.limits` overrides per code, `*` for the catch-all.
 * Without any limit for a country it is not throttled. Each limit is a token bucket over parts with a
 * capacity of one second of the rate (plus `toleranceMs` of jitter, less than one part), refilled
 * continuously: a sender that keeps its budget in every one-second window never sees a throttle, one that
 * bursts above the cap does. A throttled message takes no tokens. `DryRun` sends are validated and
 * limited to min(5, limit) parts per second (as AWS documents) on a bucket of their own, and not recorded.
 *
 * Parts are counted with the count sms-throttle uses (GSM-7 160/153, UCS-2 70/67; `@switchyard/contracts/sms`); the
 * country comes from the E.164 number (libphonenumber-js).
 *
 * Nothing is provisioned: the carrier reads the config lazily on the first message (it is fixed for the
 * engine's life). Views: `GET /_local/sms/messages[?country=DE&status=THROTTLED&provider=pinpoint&limit=N]`,
 * `/_local/sms/limits`, `/_local/sms/stats`.
 */

/** A recorded message: the carrier record plus what the console and tests want to see. */
export interface SmsRecord extends CarrierRecord {
  encoding: SmsEncoding;
  /** The limit's key: the country, or `*` for the shared catch-all; absent when the country is unlimited. */
  limitKey?: string;
  /** Why it was refused (THROTTLED / INVALID). */
  reason?: string;
  /** Pinpoint application the message was sent through. */
  applicationId?: string;
  configurationSetName?: string;
  context?: Record<string, string>;
}

/** Per-country (and per shared catch-all `*`) counters of `sms/stats`. */
export interface SmsCountryStats {
  /** Parts per second allowed; null when the carrier does not limit it. */
  limit: number | null;
  /** The bucket the country draws from (`*` when it shares the catch-all). */
  limitKey: string | null;
  delivered: number;
  deliveredParts: number;
  throttled: number;
  throttledParts: number;
  invalid: number;
  /** The most parts delivered in any one-second window `(t - 1 s, t]`: what pacing is compared with. */
  maxPartsInOneSecond: number;
  /** Messages delivered per origination identity (ARN or id as sent; `pinpoint:<app id>` for Pinpoint). */
  identities: Record<string, number>;
}

export interface SmsOptions {
  /** Parts per second by ISO 3166-1 alpha-2 code (`*` = the catch-all); overrides the config per key. */
  limits?: Record<string, number>;
  /** The carrier's clock in ms (tests inject one). @default Date.now */
  now?: () => number;
  /** Whether unlisted countries share one catch-all bucket or get one each. @default "shared" */
  catchAllScope?: "shared" | "perCountry";
  /**
   * Clock jitter (ms) the buckets absorb between a sender's clock and the carrier's: extra capacity of
   * `rate x toleranceMs / 1000`, capped below one part (so a burst of cap + 1 parts is still refused).
   * 0 makes the capacity exactly one second of the rate. @default 25
   */
  toleranceMs?: number;
  /** Pinpoint's account API quota for `SendMessages`. @default 4000 */
  pinpointRequestsPerSecond?: number;
  /** Oldest records are dropped past this many (stats are kept regardless). @default 100000 */
  maxRecords?: number;
}

/** The local carrier: an emulator, the `CarrierEngine`, and its richer views. */
export interface SmsCarrier extends ServiceEmulator, CarrierEngine {
  /** Every recorded message, oldest first (a copy). */
  records(): SmsRecord[];
  /** Counters per country and for the shared catch-all (`*`), as `GET /_local/sms/stats` serves them. */
  stats(): Record<string, SmsCountryStats>;
}

const SMS_VOICE_NAMESPACE = "com.amazonaws.pinpointsmsvoicev2";
const MAX_BODY_CHARACTERS = 1600;
const MAX_PINPOINT_ADDRESSES = 100;
const DRY_RUN_MPS = 5;
/** Stats key of refused messages whose number has no country. */
const UNKNOWN_COUNTRY = "??";

/** An sms-voice error with its extra members (`Reason`, `Fields`, `ResourceType`, `ResourceId`). */
class SmsVoiceError extends LocalServiceError {
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
const fieldError = (field: string, problem: string, reason = "FIELD_VALIDATION_FAILED"): SmsVoiceError =>
  new SmsVoiceError("ValidationException", `${field}: ${problem}`, {
    Reason: reason,
    Fields: [{ Name: field, Message: problem }],
  });

/** Length in Unicode scalar values, as Smithy's `@length` counts strings. */
const scalarLength = (text: string): number => Array.from(text).length;

/** `+49*******5678`: numbers in logs are masked. */
const mask = (phone: string): string =>
  phone.length <= 7
    ? "*".repeat(phone.length)
    : `${phone.slice(0, 3)}${"*".repeat(phone.length - 7)}${phone.slice(-4)}`;

interface ParsedNumber {
  /** E.164 with the leading `+`. */
  e164: string;
  /** ISO alpha-2; `ZZ` for a valid number of no single region (e.g. +800). */
  country: string;
  valid: boolean;
}

/** The destination's E.164 form, country and validity (libphonenumber-js, like sms-throttle's validation). */
function parseNumber(raw: string): ParsedNumber {
  const e164 = raw.startsWith("+") ? raw : `+${raw}`;
  const phone = parsePhoneNumberFromString(e164);
  if (!phone) return { e164, country: "", valid: false };
  const valid = phone.isValid();
  return { e164: valid ? phone.number : e164, country: phone.country ?? (valid ? "ZZ" : ""), valid };
}

const PHONE_PATTERN = /^\+?[1-9][0-9]{1,18}$/;
const ORIGINATION_PATTERN = /^[A-Za-z0-9_:/+-]+$/;
const CONFIGURATION_SET_PATTERN = /^[A-Za-z0-9_:/-]+$/;
const MAX_PRICE_PATTERN = /^[0-9]{0,2}\.[0-9]{1,5}$/;
const MESSAGE_TYPES = ["TRANSACTIONAL", "PROMOTIONAL"] as const;

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

interface StatsEntry {
  delivered: number;
  deliveredParts: number;
  throttled: number;
  throttledParts: number;
  invalid: number;
  window: WindowMax;
  identities: Record<string, number>;
}

const emptyStats = (): StatsEntry => ({
  delivered: 0,
  deliveredParts: 0,
  throttled: 0,
  throttledParts: 0,
  invalid: 0,
  window: new WindowMax(),
  identities: {},
});

/** Who sent a record: its origination identity (ARN or id), or its Pinpoint project (`pinpoint:<app id>`). */
const senderOf = (record: SmsRecord): string =>
  record.applicationId
    ? `pinpoint:${record.applicationId}`
    : (record.originationIdentity ?? "(no origination identity)");

/** What a send attempt came to. */
type Outcome =
  | { status: "DELIVERED"; record: SmsRecord }
  | { status: "THROTTLED"; record: SmsRecord; limit: number; limitKey: string };

/**
 * Creates the local SMS carrier (signing names `sms-voice` and `mobiletargeting`). See the module comment
 * for the wire shapes, the limits and the views.
 */
export function createSms(ctx: LocalContext, options: SmsOptions = {}): SmsCarrier {
  const now = options.now ?? Date.now;
  const shared = (options.catchAllScope ?? "shared") === "shared";
  const toleranceMs = options.toleranceMs ?? 25;
  const maxRecords = options.maxRecords ?? 100_000;
  const records: SmsRecord[] = [];
  const buckets = new Map<string, PartsBucket>();
  const stats = new Map<string, StatsEntry>();
  let pinpointBucket: PartsBucket | undefined;

  let resolved:
    | { config: SmsCarrierConfig; countries: Record<string, number>; catchAll?: number }
    | undefined;
  /** The config and the limits, read once on first use (config is fixed for the engine's life). */
  const settings = () => {
    if (resolved) return resolved;
    const config = readSmsCarrierConfig(ctx.config["switchyard:sms-throttle"], ctx.log);
    const countries: Record<string, number> = { ...config.countries };
    let catchAll = config.catchAll;
    for (const [key, value] of Object.entries(options.limits ?? {})) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) continue;
      if (key === CATCH_ALL) catchAll = value;
      else countries[key.toUpperCase()] = value;
    }
    resolved = { config, countries, ...(catchAll !== undefined ? { catchAll } : {}) };
    ctx.log.debug("sms: carrier limits", {
      countries,
      catchAll,
      catchAllScope: shared ? "shared" : "perCountry",
    });
    return resolved;
  };

  /** The bucket a country draws from, or undefined when it is not limited. */
  const limitOf = (country: string): { key: string; rate: number } | undefined => {
    const { countries, catchAll } = settings();
    const own = countries[country];
    if (own !== undefined) return { key: country, rate: own };
    if (catchAll !== undefined) return { key: shared ? CATCH_ALL : country, rate: catchAll };
    return undefined;
  };

  const bucketFor = (key: string, rate: number, at: number): PartsBucket => {
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new PartsBucket(rate, at, toleranceMs);
      buckets.set(key, bucket);
    }
    return bucket;
  };

  const statsFor = (key: string): StatsEntry => {
    let entry = stats.get(key);
    if (!entry) {
      entry = emptyStats();
      stats.set(key, entry);
    }
    return entry;
  };

  const keep = (record: SmsRecord): void => {
    records.push(record);
    if (records.length > maxRecords) records.splice(0, records.length - maxRecords);
  };

  /** Counts a record in its country's stats and, when it shares the catch-all, in `*` too. */
  const count = (record: SmsRecord): void => {
    const keys = [record.country || UNKNOWN_COUNTRY];
    if (record.limitKey && record.limitKey !== record.country) keys.push(record.limitKey);
    for (const key of keys) {
      const entry = statsFor(key);
      if (record.status === "DELIVERED") {
        entry.delivered++;
        entry.deliveredParts += record.parts;
        entry.window.add(record.at, record.parts);
        const sender = senderOf(record);
        entry.identities[sender] = (entry.identities[sender] ?? 0) + 1;
      } else if (record.status === "THROTTLED") {
        entry.throttled++;
        entry.throttledParts += record.parts;
      } else {
        entry.invalid++;
      }
    }
  };

  /**
   * Tries to deliver one valid message: takes its parts from the country's bucket, records the result.
   * Dry runs use a bucket of their own and are not recorded.
   */
  const attempt = (
    base: Omit<SmsRecord, "id" | "status" | "at" | "limitKey" | "reason">,
    at: number,
    dryRun = false,
  ): Outcome => {
    const limit = limitOf(base.country);
    const id = randomUUID();
    if (limit) {
      const rate = dryRun ? Math.min(DRY_RUN_MPS, limit.rate) : limit.rate;
      const bucket = bucketFor(dryRun ? `dry-run:${limit.key}` : limit.key, rate, at);
      if (!bucket.take(base.parts, at)) {
        const reason = `Message parts per second limit exceeded for ${limit.key === CATCH_ALL ? `${base.country} (catch-all)` : base.country}: ${rate} parts/s`;
        const record: SmsRecord = { ...base, id, at, status: "THROTTLED", limitKey: limit.key, reason };
        if (!dryRun) {
          keep(record);
          count(record);
        }
        ctx.log.debug("sms: throttled", {
          provider: base.provider,
          destination: mask(base.destination),
          country: base.country,
          parts: base.parts,
          limit: rate,
        });
        return { status: "THROTTLED", record, limit: rate, limitKey: limit.key };
      }
    }
    const record: SmsRecord = {
      ...base,
      id,
      at,
      status: "DELIVERED",
      ...(limit ? { limitKey: limit.key } : {}),
    };
    if (!dryRun) {
      keep(record);
      count(record);
    }
    ctx.log.debug("sms: delivered", {
      provider: base.provider,
      destination: mask(base.destination),
      country: base.country,
      parts: base.parts,
      dryRun,
    });
    return { status: "DELIVERED", record };
  };

  /** Records a refused message (invalid number or request). */
  const refuse = (
    base: Omit<SmsRecord, "id" | "status" | "at" | "limitKey" | "reason">,
    at: number,
    reason: string,
  ): SmsRecord => {
    const record: SmsRecord = { ...base, id: randomUUID(), at, status: "INVALID", reason };
    keep(record);
    count(record);
    ctx.log.debug("sms: invalid", { provider: base.provider, destination: mask(base.destination), reason });
    return record;
  };

  /** Whether `identity` names one of the account's configured origination identities (its ARN or its id). */
  const knownIdentity = (identity: string, configured: readonly string[]): boolean =>
    configured.some((arn) => {
      if (identity === arn) return true;
      // A sender id's ARN ends in `sender-id/<SenderId>/<IsoCountryCode>`; its id is the SenderId.
      const [, id] = /:[a-z-]+\/([^/]+)(?:\/[A-Z]{2})?$/.exec(arn) ?? [];
      return identity === id;
    });

  // ---- PinpointSMSVoiceV2.SendTextMessage --------------------------------------------------------

  const sendTextMessage = (input: Record<string, unknown>): { MessageId: string } => {
    const at = now();
    const rawDestination = input.DestinationPhoneNumber;
    const rawBody = typeof input.MessageBody === "string" ? input.MessageBody : "";
    const counted = countSmsParts(rawBody);
    const base = (
      destination: string,
      country: string,
    ): Omit<SmsRecord, "id" | "status" | "at" | "limitKey" | "reason"> => ({
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
        throw fieldError(
          "TimeToLive",
          `expected whole seconds from 5 to 259200 (got ${JSON.stringify(ttl)})`,
        );
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
      const configured = settings().config.originationIdentityArns;
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
        refuse(
          base(destination?.e164 ?? rawDestination, destination?.country ?? ""),
          at,
          `${error.code}: ${error.message}`,
        );
      }
      throw error;
    }
    if (!destination) throw fieldError("DestinationPhoneNumber", "expected a value (the member is required)");
    const outcome = attempt(
      { ...base(destination.e164, destination.country), ...(context ? { context } : {}) },
      at,
      dryRun,
    );
    if (outcome.status === "THROTTLED") {
      throw new SmsVoiceError("ThrottlingException", outcome.record.reason ?? "Rate exceeded");
    }
    return { MessageId: outcome.record.id };
  };

  const handleSmsVoice = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    try {
      const operation = jsonOperation(req);
      const input = parseJsonBody(body);
      if (operation === "SendTextMessage") {
        sendJson(res, sendTextMessage(input), { version: "1.0" });
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
      if (failure.status >= 500) ctx.log.error("sms-voice request failed", { error: failure.message });
      sendSmsVoiceError(res, failure);
    }
  };

  // ---- Pinpoint SendMessages ------------------------------------------------------------------------

  interface AddressPlan {
    address: string;
    channel: string;
    body: string;
  }

  const sendMessages = (applicationId: string, input: Record<string, unknown>): Record<string, unknown> => {
    const at = now();
    const configured = settings().config.pinpointApplicationIds;
    if (configured.length > 0 && !configured.includes(applicationId)) {
      throw new LocalServiceError(
        "NotFoundException",
        `Application ${applicationId} does not exist (the stack config's Pinpoint projects are ${configured.join(", ")}).`,
        404,
      );
    }
    const requests = pinpointBucket ?? new PartsBucket(options.pinpointRequestsPerSecond ?? 4000, at);
    pinpointBucket = requests;
    if (!requests.take(1, at)) {
      throw new LocalServiceError(
        "TooManyRequestsException",
        "Too many requests: SendMessages is over the account's request rate.",
        429,
      );
    }

    const addresses = input.Addresses;
    if (!isRecord(addresses) || Object.keys(addresses).length === 0) {
      throw new LocalServiceError(
        "BadRequestException",
        input.Endpoints !== undefined
          ? "MessageRequest.Endpoints is not supported by the local carrier: address the message with MessageRequest.Addresses."
          : "MessageRequest.Addresses is required: at least one address.",
      );
    }
    const entries = Object.entries(addresses);
    if (entries.length > MAX_PINPOINT_ADDRESSES) {
      throw new LocalServiceError(
        "BadRequestException",
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
      throw new LocalServiceError(
        "BadRequestException",
        `MessageConfiguration.SMSMessage.MessageType: expected one of ${MESSAGE_TYPES.join(", ")} (got ${JSON.stringify(messageType)}).`,
      );
    }
    // Validate the whole request before sending anything.
    const plans: AddressPlan[] = entries.map(([address, raw]) => {
      if (!isRecord(raw) || typeof raw.ChannelType !== "string") {
        throw new LocalServiceError(
          "BadRequestException",
          `MessageRequest.Addresses["${mask(address)}"].ChannelType is required.`,
        );
      }
      const override = raw.BodyOverride;
      const body =
        typeof override === "string" && override !== ""
          ? override
          : typeof sms?.Body === "string"
            ? sms.Body
            : "";
      if (raw.ChannelType === "SMS" && body.trim() === "") {
        throw new LocalServiceError(
          "BadRequestException",
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
      const base = {
        provider: "pinpoint" as const,
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
        refuse(base, at, "Invalid phone number");
        result[plan.address] = {
          DeliveryStatus: "PERMANENT_FAILURE",
          StatusCode: 400,
          StatusMessage: "Invalid phone number",
        };
        continue;
      }
      const outcome = attempt(base, at);
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
  };

  const handlePinpoint = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
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
        throw new LocalServiceError(
          "BadRequestException",
          "The request body is not a JSON MessageRequest object.",
        );
      }
      sendPinpointJson(res, sendMessages(decodeURIComponent(match[1]), input), request);
    } catch (error) {
      const failure =
        error instanceof LocalServiceError
          ? error
          : new LocalServiceError(
              "InternalServerErrorException",
              error instanceof Error ? error.message : String(error),
              500,
            );
      if (failure.status >= 500) ctx.log.error("pinpoint request failed", { error: failure.message });
      sendPinpointError(res, failure, request);
    }
  };

  // ---- views ----------------------------------------------------------------------------------------

  const limits = (): Record<string, number> => {
    const { countries, catchAll } = settings();
    return { ...countries, ...(catchAll !== undefined ? { [CATCH_ALL]: catchAll } : {}) };
  };

  const statsView = (): Record<string, SmsCountryStats> => {
    const { countries, catchAll } = settings();
    const keys = new Set<string>([...Object.keys(countries), ...stats.keys()]);
    if (catchAll !== undefined && shared) keys.add(CATCH_ALL);
    const view: Record<string, SmsCountryStats> = {};
    for (const key of [...keys].sort()) {
      const entry = stats.get(key) ?? emptyStats();
      const limit =
        key === CATCH_ALL
          ? { key: CATCH_ALL, rate: catchAll ?? 0 }
          : key === UNKNOWN_COUNTRY
            ? undefined
            : limitOf(key);
      view[key] = {
        limit: limit ? limit.rate : null,
        limitKey: limit ? limit.key : null,
        delivered: entry.delivered,
        deliveredParts: entry.deliveredParts,
        throttled: entry.throttled,
        throttledParts: entry.throttledParts,
        invalid: entry.invalid,
        maxPartsInOneSecond: entry.window.max,
        identities: { ...entry.identities },
      };
    }
    return view;
  };

  const messagesView = (query: URLSearchParams): SmsRecord[] => {
    const country = query.get("country")?.toUpperCase();
    const status = query.get("status")?.toUpperCase();
    const provider = query.get("provider");
    const limit = Number(query.get("limit") ?? "");
    let selected = records.filter(
      (r) =>
        (!country || r.country === country) &&
        (!status || r.status === status) &&
        (!provider || r.provider === provider),
    );
    if (Number.isInteger(limit) && limit > 0) selected = selected.slice(-limit);
    return selected;
  };

  return {
    signingNames: ["sms-voice", "mobiletargeting"],
    provision(_resource: LocalResource): void {
      // Nothing to provision: the carrier's limits come from the stack config, read on first use.
    },
    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      if (signingName(req) === "mobiletargeting") handlePinpoint(req, res, body);
      else handleSmsVoice(req, res, body);
    },
    adminRoutes: {
      "sms/messages": messagesView,
      "sms/limits": () => limits(),
      "sms/stats": () => statsView(),
    },
    records: () => [...records],
    limits,
    stats: statsView,
  };
}
