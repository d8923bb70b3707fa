import {
  BadRequestException,
  PinpointClient,
  SendMessagesCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-pinpoint";
import {
  ConflictException,
  InternalServerException,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { endUserMessagingProvider } from "../src/adapters/end-user-messaging";
import { pinpointProvider } from "../src/adapters/pinpoint";
import type { SmsRequest } from "../src/domain/request";
import { SmsThrottleError } from "../src/errors";
import { ORIGINATION_ARN, PINPOINT_APP } from "./fixtures";

const meta = { $metadata: {} };
const request = (phoneNumber: string, useCase: SmsRequest["useCase"] = "VERIFICATION"): SmsRequest => ({
  phoneNumber,
  text: `code for ${useCase}`,
  country: "DE",
  useCase,
  parts: 1,
  encoding: "GSM-7",
});

describe("End User Messaging SendTextMessage outcomes", () => {
  const sms = mockClient(PinpointSMSVoiceV2Client);
  const provider = endUserMessagingProvider(new PinpointSMSVoiceV2Client({ region: "us-east-1" }), {
    originationIdentity: ORIGINATION_ARN,
  });
  beforeEach(() => sms.reset());

  it("sends one message per call with its type and origination identity", async () => {
    // Prepare
    sms.on(SendTextMessageCommand).resolves({ MessageId: "m-1" });

    // Act
    const outcomes = await provider.send([request("+4915112345678", "OFFER")]);

    // Assess
    expect(outcomes).toEqual([{ kind: "sent", messageId: "m-1" }]);
    expect(sms.commandCalls(SendTextMessageCommand)[0]?.args[0].input).toMatchObject({
      DestinationPhoneNumber: "+4915112345678",
      OriginationIdentity: ORIGINATION_ARN,
      MessageType: "PROMOTIONAL",
      MessageBody: "code for OFFER",
    });
  });

  it.each([
    ["throttling", new ThrottlingException({ message: "slow down", $metadata: {} }), "throttled"],
    [
      "an opted-out number",
      new ConflictException({
        message: "x",
        Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT",
        ResourceType: "opted-out-number",
        ResourceId: "r",
        $metadata: {},
      }),
      "permanent",
    ],
    [
      "a blocked country",
      new ValidationException({ message: "x", Reason: "DESTINATION_COUNTRY_BLOCKED", $metadata: {} }),
      "permanent",
    ],
    [
      "an unparsable number",
      new ValidationException({ message: "x", Reason: "CANNOT_PARSE", $metadata: {} }),
      "permanent",
    ],
    [
      "a conflict about the deployment",
      new ConflictException({
        message: "x",
        Reason: "RESOURCE_NOT_ACTIVE",
        ResourceType: "pool",
        ResourceId: "r",
        $metadata: {},
      }),
      "transient",
    ],
    [
      "the monthly spend limit",
      new ServiceQuotaExceededException({
        message: "x",
        Reason: "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT",
        $metadata: {},
      }),
      "transient",
    ],
    ["a server error", new InternalServerException({ message: "x", $metadata: {} }), "transient"],
  ])("maps %s to %s", async (_name, error, kind) => {
    // Prepare
    sms.on(SendTextMessageCommand).rejects(error);

    // Act
    const [outcome] = await provider.send([request("+4915112345678")]);

    // Assess
    expect(outcome?.kind).toBe(kind);
    expect(JSON.stringify(outcome)).not.toContain("15112345678");
  });

  it("refuses more than one destination per call before calling", async () => {
    // Act
    const sending = provider.send([request("+4915112345678"), request("+4915112345679")]);

    // Assess
    await expect(sending).rejects.toThrow("SendTextMessage takes 1 destination per call (got 2)");
    await expect(sending).rejects.toBeInstanceOf(SmsThrottleError);
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(0);
  });
});

describe("Pinpoint SendMessages outcomes", () => {
  const pinpoint = mockClient(PinpointClient);
  const provider = pinpointProvider(new PinpointClient({ region: "us-east-1" }), {
    applicationId: PINPOINT_APP,
  });
  beforeEach(() => pinpoint.reset());

  it("maps each address's result to its own outcome", async () => {
    // Prepare
    const statuses = [
      "SUCCESSFUL",
      "THROTTLED",
      "PERMANENT_FAILURE",
      "OPT_OUT",
      "TEMPORARY_FAILURE",
      "UNKNOWN_FAILURE",
      "DUPLICATE",
    ];
    const numbers = statuses.map((_, i) => `+49151123456${70 + i}`);
    pinpoint.on(SendMessagesCommand).resolves({
      ...meta,
      MessageResponse: {
        ApplicationId: PINPOINT_APP,
        Result: Object.fromEntries(
          numbers.map((n, i) => [
            n,
            { DeliveryStatus: statuses[i] as never, StatusCode: 200, MessageId: `m-${i}` },
          ]),
        ),
      },
    });

    // Act
    const outcomes = await provider.send([...numbers.map((n) => request(n)), request("+4915112345699")]);

    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual([
      "sent",
      "throttled",
      "permanent",
      "permanent",
      "transient",
      "transient",
      "transient",
      "transient", // no result for the last address
    ]);
    const input = pinpoint.commandCalls(SendMessagesCommand)[0]?.args[0].input;
    expect(Object.keys(input?.MessageRequest?.Addresses ?? {})).toHaveLength(8);
    expect(input?.MessageRequest?.Addresses?.["+4915112345670"]).toEqual({
      ChannelType: "SMS",
      BodyOverride: "code for VERIFICATION",
    });
  });

  it.each([
    ["TooManyRequests", new TooManyRequestsException({ message: "x", $metadata: {} }), "throttled"],
    ["a bad request", new BadRequestException({ message: "x", $metadata: {} }), "permanent"],
    ["a network error", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "transient"],
  ])("maps a failed call (%s) to %s for every address", async (_name, error, kind) => {
    // Prepare
    pinpoint.on(SendMessagesCommand).rejects(error);

    // Act
    const outcomes = await provider.send([request("+4915112345670"), request("+4915112345671")]);

    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual([kind, kind]);
  });

  it.each([
    [
      "101 addresses",
      Array.from({ length: 101 }, (_, i) => request(`+49151${String(1_000_000 + i)}`)),
      "at most 100 addresses per call (got 101)",
    ],
    [
      "a repeated number",
      [request("+4915112345670"), request("+4915112345670")],
      "cannot carry a number twice (got 1 repeats)",
    ],
    [
      "mixed message types",
      [request("+4915112345670"), request("+4915112345671", "OFFER")],
      "one MessageType per call",
    ],
  ])("refuses %s before calling", async (_name, messages, error) => {
    // Act
    const sending = provider.send(messages);

    // Assess
    await expect(sending).rejects.toThrow(error);
    expect(pinpoint.commandCalls(SendMessagesCommand)).toHaveLength(0);
  });
});
