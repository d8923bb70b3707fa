import {
  BadRequestException,
  PinpointClient,
  SendMessagesCommand,
  type SendMessagesCommandInput,
  TooManyRequestsException,
} from "@aws-sdk/client-pinpoint";
import {
  PinpointSMSVoiceV2Client,
  ResourceNotFoundException,
  SendTextMessageCommand,
  type SendTextMessageCommandInput,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { countSmsParts } from "@switchyard/contracts/sms";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createSms, type SmsCountryStats, type SmsOptions, type SmsRecord } from "../src/services/sms";
import { PartsBucket, readSmsCarrierConfig } from "../src/services/sms/limits";
import type { LocalLogger, LocalResource } from "../src/types";

// ------------------------------------------------------------------ fixtures

const POOL_ARN = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-dev";
const PINPOINT_APP = "0123456789abcdef0123456789abcdef";
const DE = "+4915112345678";
const DE2 = "+4915112345679";
const DE3 = "+4915112345670";
const FR = "+33612345678";
const GB = "+442071838750";
const US = "+12025550123";
const INVALID = "+4900000000"; // well-formed E.164, but no valid German number

/** The dev stack's `switchyard:sms-throttle` section (Pulumi.dev.yaml), as the program sees it: a JSON string. */
const DEV_SMS_CONFIG = JSON.stringify({
  endUserMessaging: { originationIdentityArn: POOL_ARN },
  maxPartsPerMessage: 2,
  senderTimeoutSeconds: 30,
  maxConcurrencyPerQueue: 5,
  countries: { DE: { capPartsPerSecond: 8, budgets: { verification: 4, bulk: 4 } } },
  catchAll: { partsPerSecond: 4 },
});

/** The dev stack's component resource: the carrier provisions nothing from it. */
const SMS_COMPONENT: LocalResource = {
  type: "switchyard:sms-throttle:SmsThrottle",
  name: "sms",
  urn: "urn:pulumi:dev::switchyard::switchyard:sms-throttle:SmsThrottle::sms-throttle",
  custom: false,
  inputs: {},
  outputs: {},
};

/** A clock the test moves by hand, so pacing needs no sleeps. */
function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

interface Logged {
  level: string;
  message: string;
}
const recordingLogger = (logged: Logged[]): LocalLogger => ({
  debug: () => undefined,
  info: (message) => logged.push({ level: "info", message }),
  warn: (message) => logged.push({ level: "warn", message }),
  error: (message) => logged.push({ level: "error", message }),
});

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

type Carrier = ReturnType<typeof createSms>;

async function start(
  options: SmsOptions = {},
  config: Record<string, string> = { "switchyard:sms-throttle": DEV_SMS_CONFIG },
) {
  const logged: Logged[] = [];
  let carrier: Carrier | undefined;
  engine = await Engine.listen({
    emulators: {
      sms: (ctx) => {
        carrier = createSms(ctx, options);
        return carrier;
      },
    },
    config,
    log: recordingLogger(logged),
  });
  await engine.provision([SMS_COMPONENT]);
  const clientConfig = {
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // One attempt: the SDK retries throttling errors itself, and the tests want to see each answer.
    maxAttempts: 1,
  };
  if (!carrier) throw new Error("the sms emulator was not created");
  return {
    carrier,
    logged,
    sms: new PinpointSMSVoiceV2Client(clientConfig),
    pinpoint: new PinpointClient(clientConfig),
    view: async <T>(route: string): Promise<T> => {
      const response = await fetch(`${engine?.endpoint}/_local/${route}`);
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    },
  };
}

const text = (
  destination: string,
  body = "Your code is 123456",
  extra: Partial<SendTextMessageCommandInput> = {},
) =>
  new SendTextMessageCommand({
    DestinationPhoneNumber: destination,
    OriginationIdentity: POOL_ARN,
    MessageBody: body,
    MessageType: "TRANSACTIONAL",
    ...extra,
  });

/** The error a command rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

// ------------------------------------------------------------------ parts

describe("countSmsParts (the same count as services/sms-throttle src/domain/parts.ts)", () => {
  const gsm = (n: number) => "a".repeat(n);
  const ucs = (n: number) => "ж".repeat(n);
  it.each([
    ["empty", "", "GSM-7", 0, 0],
    ["160 GSM-7 chars fit one part", gsm(160), "GSM-7", 160, 1],
    ["161 GSM-7 chars need two parts of 153", gsm(161), "GSM-7", 161, 2],
    ["306 GSM-7 chars fill two parts", gsm(306), "GSM-7", 306, 2],
    ["307 GSM-7 chars need three parts", gsm(307), "GSM-7", 307, 3],
    ["extension chars count two septets: 80 x € = 160", "€".repeat(80), "GSM-7", 160, 1],
    ["81 x € = 162 septets: two parts", "€".repeat(81), "GSM-7", 162, 2],
    ["an escape pair is not split at 153", `${gsm(152)}€${gsm(8)}`, "GSM-7", 162, 2],
    ["GSM-7 accents stay GSM-7", `${"é".repeat(100)}${"ü".repeat(60)}`, "GSM-7", 160, 1],
    ["70 UCS-2 chars fit one part", ucs(70), "UCS-2", 70, 1],
    ["71 UCS-2 chars need two parts of 67", ucs(71), "UCS-2", 71, 2],
    ["135 UCS-2 chars need three parts", ucs(135), "UCS-2", 135, 3],
    ["one non-GSM char turns 160 GSM chars into UCS-2", `${gsm(159)}ж`, "UCS-2", 160, 3],
    ["35 emoji = 70 units", "😀".repeat(35), "UCS-2", 70, 1],
    ["a surrogate pair straddling 67 moves to the next part", `${ucs(66)}😀${ucs(66)}😀`, "UCS-2", 136, 3],
  ])("%s", (_name, body, encoding, units, parts) => {
    expect(countSmsParts(body)).toEqual({ encoding, units, parts });
  });
});

// ------------------------------------------------------------------ limits

describe("limits", () => {
  it("reads capPartsPerSecond per country and the catch-all from the stack config (a JSON string)", async () => {
    const { carrier, view } = await start();

    expect(carrier.limits()).toEqual({ DE: 8, "*": 4 });
    expect(await view("sms/limits")).toEqual({ DE: 8, "*": 4 });
  });

  it("lets options.limits override a country and the catch-all", async () => {
    const { carrier } = await start({ limits: { DE: 3, fr: 2, "*": 1 } });

    expect(carrier.limits()).toEqual({ DE: 3, FR: 2, "*": 1 });
  });

  it("reads the section defensively: falls back to the class budgets, skips junk, survives bad JSON", () => {
    const logged: Logged[] = [];
    const log = recordingLogger(logged);

    const config = readSmsCarrierConfig(
      JSON.stringify({
        countries: {
          FR: { budgets: { verification: 6, bulk: 6 } },
          XYZ: { capPartsPerSecond: 5 },
          GB: { capPartsPerSecond: "12" },
        },
        catchAll: { partsPerSecond: 0 },
      }),
      log,
    );
    expect(config).toEqual({
      countries: { FR: 12, GB: 12 },
      originationIdentityArns: [],
      pinpointApplicationIds: [],
    });
    expect(readSmsCarrierConfig("{not json", log)).toEqual({
      countries: {},
      originationIdentityArns: [],
      pinpointApplicationIds: [],
    });
    expect(readSmsCarrierConfig({ countries: { DE: { capPartsPerSecond: 8 } } }, log).countries).toEqual({
      DE: 8,
    });
    expect(logged.map((l) => l.message)).toEqual([
      "sms: ignoring a malformed country in switchyard:sms-throttle",
      "sms: switchyard:sms-throttle is not JSON; the carrier enforces no limits",
    ]);
  });

  it("does not throttle a country without any limit (no config)", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now }, {});

    for (let i = 0; i < 30; i++) await sms.send(text(DE));

    expect(carrier.limits()).toEqual({});
    expect(carrier.records().filter((r) => r.status === "DELIVERED")).toHaveLength(30);
  });

  it("refills the bucket continuously: one part is back after 1/rate seconds, not two", () => {
    const bucket = new PartsBucket(8, 0);
    for (let i = 0; i < 8; i++) expect(bucket.take(1, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.take(2, 125)).toBe(false);
    expect(bucket.take(1, 125)).toBe(true);
    expect(bucket.take(8, 1125)).toBe(true);
  });

  it("lets a message longer than the whole capacity through from a full bucket only", () => {
    const bucket = new PartsBucket(2, 0);
    expect(bucket.take(3, 0)).toBe(true); // full: passes, leaves the bucket in debt
    expect(bucket.take(1, 600)).toBe(false); // 1.2 - 1 = 0.2 tokens
    expect(bucket.take(3, 1400)).toBe(false); // 0.2 + 1.6 = 1.8 tokens: not full yet
    expect(bucket.take(3, 1500)).toBe(true); // 2 tokens: full again
  });
});

// ------------------------------------------------------------------ SendTextMessage

describe("SendTextMessage", () => {
  it("delivers and records a message with its country, parts, type and origination identity", async () => {
    const clock = manualClock();
    const { sms, carrier, view } = await start({ now: clock.now });

    const out = await sms.send(text(DE, "Your code is 123456", { Context: { useCase: "VERIFICATION" } }));

    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(carrier.records()).toEqual([
      expect.objectContaining({
        id: out.MessageId,
        provider: "sms-voice",
        destination: DE,
        country: "DE",
        body: "Your code is 123456",
        parts: 1,
        encoding: "GSM-7",
        messageType: "TRANSACTIONAL",
        originationIdentity: POOL_ARN,
        status: "DELIVERED",
        at: clock.now(),
        limitKey: "DE",
        context: { useCase: "VERIFICATION" },
      }),
    ]);
    const listed = await view<SmsRecord[]>("sms/messages?country=de");
    expect(listed.map((r) => r.id)).toEqual([out.MessageId]);
    expect(await view<SmsRecord[]>("sms/messages?country=FR")).toEqual([]);
  });

  it("records the parts of GSM-7 and UCS-2 bodies", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now });

    await sms.send(text(DE, "a".repeat(161)));
    await sms.send(text(DE, "ж".repeat(71)));
    await sms.send(text(DE, "Grüße! Ihr Code: 1234 €"));

    expect(carrier.records().map((r) => [r.encoding, r.parts])).toEqual([
      ["GSM-7", 2],
      ["UCS-2", 2],
      ["GSM-7", 1],
    ]);
  });

  it("throttles a burst above the cap with ThrottlingException and records it THROTTLED", async () => {
    const clock = manualClock();
    const { sms, carrier, view } = await start({ now: clock.now });

    for (let i = 0; i < 8; i++) await sms.send(text(DE)); // DE cap: 8 parts/s, all at the same instant
    const error = await rejection(sms.send(text(DE)));

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.name).toBe("ThrottlingException");
    expect(error.message).toContain("DE");
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    const last = carrier.records().at(-1);
    expect(last).toMatchObject({ status: "THROTTLED", country: "DE", parts: 1, limitKey: "DE" });
    const stats = await view<Record<string, SmsCountryStats>>("sms/stats");
    expect(stats.DE).toEqual({
      limit: 8,
      limitKey: "DE",
      delivered: 8,
      deliveredParts: 8,
      throttled: 1,
      throttledParts: 1,
      invalid: 0,
      maxPartsInOneSecond: 8,
      identities: { [POOL_ARN]: 8 },
    });
    expect(await view<SmsRecord[]>("sms/messages?status=throttled")).toHaveLength(1);
  });

  it("never throttles sends paced within the cap, even with a strict bucket (toleranceMs 0)", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now, toleranceMs: 0 });
    const twoParts = "b".repeat(200); // 2 GSM-7 parts

    // Like sms-throttle's pacer: after a message of p parts the next goes p / rate seconds later.
    for (let i = 0; i < 40; i++) {
      const body = i % 3 === 0 ? twoParts : "one part";
      await sms.send(text(DE, body));
      clock.advance((countSmsParts(body).parts / 8) * 1000);
    }
    // Then a full second of budget at once after a second of silence.
    clock.advance(1000);
    for (let i = 0; i < 4; i++) await sms.send(text(DE, twoParts));

    expect(carrier.records().filter((r) => r.status !== "DELIVERED")).toEqual([]);
    expect(carrier.stats().DE?.maxPartsInOneSecond).toBeLessThanOrEqual(8);
    expect(carrier.stats().DE?.deliveredParts).toBe(14 * 2 + 26 + 8);
  });

  it("throttles a sender that keeps sending just above the cap", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now });

    // 10 parts per second against a cap of 8: every 100 ms, for 6 seconds. The bucket (8 parts) absorbs
    // the first ~40 sends' excess of 0.2 parts each, then refuses about one send in five.
    for (let i = 0; i < 60; i++) {
      await sms.send(text(DE)).catch(() => undefined);
      clock.advance(100);
    }

    const throttled = carrier.records().filter((r) => r.status === "THROTTLED");
    expect(throttled.length).toBeGreaterThanOrEqual(3);
    expect(carrier.stats().DE?.throttled).toBe(throttled.length);
    // What got through stays within the bucket: one second of burst plus the rate over the 5.9 s.
    expect(carrier.stats().DE?.deliveredParts).toBeLessThanOrEqual(Math.floor(8 + 8 * 5.9));
  });

  it("shares the catch-all budget among every unlisted country (the sms-throttle-other lane's one budget)", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now });

    await sms.send(text(FR));
    await sms.send(text(FR));
    await sms.send(text(GB));
    await sms.send(text(US));
    const error = await rejection(sms.send(text(GB)));

    expect(error.name).toBe("ThrottlingException");
    expect(carrier.records().map((r) => [r.country, r.status, r.limitKey])).toEqual([
      ["FR", "DELIVERED", "*"],
      ["FR", "DELIVERED", "*"],
      ["GB", "DELIVERED", "*"],
      ["US", "DELIVERED", "*"],
      ["GB", "THROTTLED", "*"],
    ]);
    const stats = carrier.stats();
    expect(stats["*"]).toMatchObject({ limit: 4, delivered: 4, throttled: 1, maxPartsInOneSecond: 4 });
    expect(stats.FR).toMatchObject({ limit: 4, limitKey: "*", delivered: 2, maxPartsInOneSecond: 2 });
    expect(stats.DE).toMatchObject({ limit: 8, delivered: 0 });
  });

  it("gives each unlisted country its own catch-all bucket with catchAllScope perCountry", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now, catchAllScope: "perCountry" });

    for (let i = 0; i < 4; i++) {
      await sms.send(text(FR));
      await sms.send(text(GB));
    }
    const error = await rejection(sms.send(text(FR)));

    expect(error.name).toBe("ThrottlingException");
    expect(carrier.records().filter((r) => r.status === "DELIVERED")).toHaveLength(8);
    expect(carrier.stats().FR).toMatchObject({ limit: 4, limitKey: "FR", throttled: 1 });
  });

  it.each<[string, Partial<SendTextMessageCommandInput>, string, string]>([
    [
      "a number that is not E.164",
      { DestinationPhoneNumber: "0151-1234" },
      "DestinationPhoneNumber",
      "FIELD_VALIDATION_FAILED",
    ],
    [
      "a well-formed but invalid number",
      { DestinationPhoneNumber: INVALID },
      "DestinationPhoneNumber",
      "INVALID_PARAMETER",
    ],
    ["an empty body", { MessageBody: "" }, "MessageBody", "FIELD_VALIDATION_FAILED"],
    ["a body of only spaces", { MessageBody: "   " }, "MessageBody", "FIELD_VALIDATION_FAILED"],
    [
      "a body over 1600 characters",
      { MessageBody: "x".repeat(1601) },
      "MessageBody",
      "FIELD_VALIDATION_FAILED",
    ],
    [
      "an unknown message type",
      { MessageType: "MARKETING" as "PROMOTIONAL" },
      "MessageType",
      "FIELD_VALIDATION_FAILED",
    ],
    [
      "an origination identity with spaces",
      { OriginationIdentity: "pool dev" },
      "OriginationIdentity",
      "FIELD_VALIDATION_FAILED",
    ],
    ["a time to live under 5 s", { TimeToLive: 1 }, "TimeToLive", "FIELD_VALIDATION_FAILED"],
  ])("refuses %s with a ValidationException naming the field", async (_name, change, field, reason) => {
    const { sms, carrier } = await start();

    const error = await rejection(sms.send(text(DE, "Your code is 123456", change)));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.Reason).toBe(reason);
    expect(error.Fields).toEqual([{ Name: field, Message: expect.any(String) }]);
    expect(error.message).toContain(field);
    expect(carrier.records()).toEqual([
      expect.objectContaining({ status: "INVALID", reason: expect.stringContaining(field) }),
    ]);
  });

  it("answers ResourceNotFoundException for an origination identity the config does not name, and accepts its id", async () => {
    const { sms, carrier } = await start();

    const error = await rejection(sms.send(text(DE, "hi", { OriginationIdentity: "pool-other" })));
    await sms.send(text(DE, "hi", { OriginationIdentity: "pool-dev" }));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.ResourceId).toBe("pool-other");
    expect(error.ResourceType).toBe("pool");
    expect(carrier.records().map((r) => r.status)).toEqual(["INVALID", "DELIVERED"]);
  });

  it("accepts each country's own origination identity, records which one sent each message, and counts them", async () => {
    // Prepare: DE sends from its own sender id, FR from the default pool.
    const DE_SENDER_ID = "arn:aws:sms-voice:eu-central-1:123456789012:sender-id/SWITCHYARD/DE";
    const config = JSON.stringify({
      ...JSON.parse(DEV_SMS_CONFIG),
      countries: {
        DE: {
          capPartsPerSecond: 8,
          budgets: { verification: 4, bulk: 4 },
          origination: { endUserMessaging: { originationIdentityArn: DE_SENDER_ID } },
        },
        FR: { capPartsPerSecond: 8, budgets: { verification: 4, bulk: 4 } },
      },
    });
    const { sms, carrier } = await start({}, { "switchyard:sms-throttle": config });

    // Act
    await sms.send(text(DE, "hi", { OriginationIdentity: DE_SENDER_ID }));
    await sms.send(text(DE2, "hi", { OriginationIdentity: "SWITCHYARD" }));
    await sms.send(text(FR, "salut"));
    const error = await rejection(sms.send(text(FR, "salut", { OriginationIdentity: "pool-other" })));

    // Assess
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(carrier.records().map((r) => [r.country, r.status, r.originationIdentity])).toEqual([
      ["DE", "DELIVERED", DE_SENDER_ID],
      ["DE", "DELIVERED", "SWITCHYARD"],
      ["FR", "DELIVERED", POOL_ARN],
      ["FR", "INVALID", "pool-other"],
    ]);
    expect(carrier.stats().DE?.identities).toEqual({ [DE_SENDER_ID]: 1, SWITCHYARD: 1 });
    expect(carrier.stats().FR?.identities).toEqual({ [POOL_ARN]: 1 });
  });

  it("limits DryRun sends to 5 parts per second on their own bucket and records none of them", async () => {
    const clock = manualClock();
    const { sms, carrier } = await start({ now: clock.now });

    for (let i = 0; i < 5; i++) await sms.send(text(DE, "dry", { DryRun: true }));
    const error = await rejection(sms.send(text(DE, "dry", { DryRun: true })));
    for (let i = 0; i < 8; i++) await sms.send(text(DE)); // the real budget is untouched

    expect(error.name).toBe("ThrottlingException");
    expect(carrier.records()).toHaveLength(8);
    expect(carrier.records().every((r) => r.body !== "dry")).toBe(true);
  });
});

// ------------------------------------------------------------------ Pinpoint SendMessages

const pinpointRequest = (addresses: string[], body = "Your code is 123456"): SendMessagesCommandInput => ({
  ApplicationId: PINPOINT_APP,
  MessageRequest: {
    Addresses: Object.fromEntries(addresses.map((a) => [a, { ChannelType: "SMS" as const }])),
    MessageConfiguration: {
      SMSMessage: { Body: body, MessageType: "TRANSACTIONAL", OriginationNumber: "+18005550100" },
    },
  },
});

describe("Pinpoint SendMessages", () => {
  it("answers a per-address result: SUCCESSFUL, PERMANENT_FAILURE for an invalid number, THROTTLED over the cap", async () => {
    const clock = manualClock();
    const { pinpoint, carrier } = await start({ now: clock.now, limits: { DE: 2 } });

    const out = await pinpoint.send(new SendMessagesCommand(pinpointRequest([DE, INVALID, DE2, DE3])));

    const result = out.MessageResponse?.Result ?? {};
    expect(out.MessageResponse?.ApplicationId).toBe(PINPOINT_APP);
    expect(out.MessageResponse?.RequestId).toEqual(expect.any(String));
    expect(result[DE]).toEqual({
      DeliveryStatus: "SUCCESSFUL",
      StatusCode: 200,
      StatusMessage: expect.stringContaining("MessageId"),
      MessageId: expect.any(String),
    });
    expect(result[INVALID]).toMatchObject({ DeliveryStatus: "PERMANENT_FAILURE", StatusCode: 400 });
    expect(result[DE2]).toMatchObject({ DeliveryStatus: "SUCCESSFUL", StatusCode: 200 });
    expect(result[DE3]).toMatchObject({ DeliveryStatus: "THROTTLED", StatusCode: 429 });
    expect(result[DE3]?.MessageId).toBeUndefined();
    expect(carrier.records().map((r) => [r.provider, r.destination, r.status, r.applicationId])).toEqual([
      ["pinpoint", DE, "DELIVERED", PINPOINT_APP],
      ["pinpoint", INVALID, "INVALID", PINPOINT_APP],
      ["pinpoint", DE2, "DELIVERED", PINPOINT_APP],
      ["pinpoint", DE3, "THROTTLED", PINPOINT_APP],
    ]);
    expect(carrier.records()[0]).toMatchObject({
      id: result[DE]?.MessageId,
      originationIdentity: "+18005550100",
      country: "DE",
    });
  });

  it("uses each address's BodyOverride and counts its parts", async () => {
    const { pinpoint, carrier } = await start();
    const input = pinpointRequest([DE, DE2], "default body");
    const addresses = input.MessageRequest?.Addresses ?? {};
    addresses[DE2] = { ChannelType: "SMS", BodyOverride: "ж".repeat(71) };

    await pinpoint.send(new SendMessagesCommand(input));

    expect(carrier.records().map((r) => [r.body.slice(0, 12), r.parts, r.encoding])).toEqual([
      ["default body", 1, "GSM-7"],
      ["ж".repeat(12), 2, "UCS-2"],
    ]);
  });

  it("refuses more than 100 addresses and a missing body with BadRequestException (nothing sent)", async () => {
    const { pinpoint, carrier } = await start();
    const many = Array.from({ length: 101 }, (_, i) => `+49151${String(10_000_000 + i)}`);

    const tooMany = await rejection(pinpoint.send(new SendMessagesCommand(pinpointRequest(many))));
    const noBody = await rejection(pinpoint.send(new SendMessagesCommand(pinpointRequest([DE], ""))));

    expect(tooMany).toBeInstanceOf(BadRequestException);
    expect(tooMany.message).toContain("100");
    expect(noBody).toBeInstanceOf(BadRequestException);
    expect(noBody.message).toContain("Body");
    expect(carrier.records()).toEqual([]);
  });

  it("refuses the whole call with TooManyRequestsException (429) over the account's request rate", async () => {
    const clock = manualClock();
    const { pinpoint } = await start({ now: clock.now, pinpointRequestsPerSecond: 1 });

    await pinpoint.send(new SendMessagesCommand(pinpointRequest([DE])));
    const error = await rejection(pinpoint.send(new SendMessagesCommand(pinpointRequest([DE2]))));
    clock.advance(1000);
    await pinpoint.send(new SendMessagesCommand(pinpointRequest([DE3])));

    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(429);
  });

  it("answers NotFoundException for an application other than the config's pinpoint.applicationId", async () => {
    const config = JSON.stringify({
      provider: "pinpoint",
      pinpoint: { applicationId: PINPOINT_APP },
      countries: {},
      catchAll: { partsPerSecond: 6 },
    });
    const { pinpoint } = await start({}, { "switchyard:sms-throttle": config });

    const error = await rejection(
      pinpoint.send(
        new SendMessagesCommand({
          ...pinpointRequest([DE]),
          ApplicationId: "ffffffffffffffffffffffffffffffff",
        }),
      ),
    );

    expect(error.name).toBe("NotFoundException");
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(404);
  });
});

// ------------------------------------------------------------------ the shapes sms-throttle's adapters read

describe("shapes services/sms-throttle's provider adapters classify", () => {
  // @switchyard/sms-throttle is not a dependency of local-cloud (not resolvable here), so these tests assert
  // the fields its adapters read instead of calling them.

  it("sms-voice: services/sms-throttle/src/adapters/end-user-messaging.ts (endUserMessagingOutcome)", async () => {
    const clock = manualClock();
    const { sms } = await start({ now: clock.now, limits: { DE: 1 } });
    // The adapter's PERMANENT_REASONS (ValidationException/ConflictException with one of them: permanent).
    const permanentReasons = ["FIELD_VALIDATION_FAILED", "INVALID_PARAMETER", "CANNOT_PARSE"];

    const sent = await sms.send(text(DE));
    const throttled = await rejection(sms.send(text(DE)));
    const invalid = await rejection(sms.send(text(INVALID)));
    const unknownIdentity = await rejection(sms.send(text(DE2, "x", { OriginationIdentity: "pool-nope" })));

    // sent: `result.MessageId`
    expect(typeof sent.MessageId).toBe("string");
    // throttled: `error.name === "ThrottlingException"`
    expect(throttled.name).toBe("ThrottlingException");
    // permanent: `error.name === "ValidationException"` and `error.Reason` (a string) in PERMANENT_REASONS
    expect(invalid.name).toBe("ValidationException");
    expect(permanentReasons).toContain(invalid.Reason);
    // transient (deployment problem): ResourceNotFoundException -> classifyAwsError's environment names
    expect(unknownIdentity.name).toBe("ResourceNotFoundException");
  });

  it("Pinpoint: services/sms-throttle/src/adapters/pinpoint.ts (pinpointResultOutcome, pinpointErrorOutcome)", async () => {
    const clock = manualClock();
    const { pinpoint } = await start({ now: clock.now, limits: { DE: 1 }, pinpointRequestsPerSecond: 1 });

    const out = await pinpoint.send(new SendMessagesCommand(pinpointRequest([DE, DE2, INVALID])));
    const whole = await rejection(pinpoint.send(new SendMessagesCommand(pinpointRequest([DE3]))));

    // The adapter reads `response.MessageResponse.Result[phoneNumber]` keyed by the number it sent.
    const result = out.MessageResponse?.Result ?? {};
    // SUCCESSFUL -> sent (with MessageId), THROTTLED -> throttled, PERMANENT_FAILURE -> permanent
    expect(result[DE]?.DeliveryStatus).toBe("SUCCESSFUL");
    expect(result[DE]?.MessageId).toEqual(expect.any(String));
    expect(result[DE2]?.DeliveryStatus).toBe("THROTTLED");
    expect(result[INVALID]?.DeliveryStatus).toBe("PERMANENT_FAILURE");
    // The reason it logs: `Pinpoint ${DeliveryStatus} (${StatusCode})`
    expect(typeof result[DE2]?.StatusCode).toBe("number");
    // A whole-call throttle: `error.name === "TooManyRequestsException"`
    expect(whole.name).toBe("TooManyRequestsException");
  });
});
