import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from "@aws-sdk/client-eventbridge";
import { TransientError, ValidationError } from "@switchyard/runtime-kit";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  MAX_NOTIFICATION_MESSAGE_BYTES,
  parseUserNotification,
  SEND_USER_NOTIFICATION,
  sendUserNotification,
} from "../src/index";

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: "us-east-1" });
const target = { eventBusName: "notifications-bus", source: "switchyard.orders" };
const noWait = { sleep: async () => {}, random: () => 0.5 };
const actionable = (n: number) => ({
  userId: `user-${n}`,
  type: "actionable" as const,
  message: `Order ${n} shipped`,
  callback: `https://example.com/orders/${n}`,
});

/** Answers every PutEvents with success, except the entries whose userId is listed as failing. */
function answer(failing: (userId: string, call: number) => boolean = () => false) {
  let call = 0;
  eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    call++;
    const entries = (input.Entries ?? []).map((entry, i) => {
      const detail = JSON.parse(entry.Detail ?? "{}") as { userId: string };
      return failing(detail.userId, call)
        ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
        : { EventId: `event-${call}-${i}` };
    });
    return { FailedEntryCount: entries.filter((e) => "ErrorCode" in e).length, Entries: entries };
  });
}

beforeEach(() => eventBridge.reset());

describe("parseUserNotification", () => {
  it.each([
    ["a feedback notification", { userId: "u1", type: "feedback", message: "50% done" }],
    ["an actionable notification", actionable(1)],
  ])("accepts %s", (_case, input) => {
    expect(parseUserNotification(input)).toEqual(input);
  });

  it.each([
    [
      "an unknown type",
      { userId: "u1", type: "urgent", message: "x" },
      /type must be "actionable" or "feedback"/,
    ],
    ["a missing userId", { type: "feedback", message: "x" }, /userId: userId is required/],
    [
      "an empty message",
      { userId: "u1", type: "feedback", message: "" },
      /message: message must not be empty/,
    ],
    [
      "a non-https callback",
      { ...actionable(1), callback: "http://example.com/a" },
      /callback: callback must be an https URL/,
    ],
    ["an actionable one without callback", { userId: "u1", type: "actionable", message: "x" }, /callback/],
    [
      "a callback on feedback",
      { userId: "u1", type: "feedback", message: "x", callback: "https://a.b" },
      /callback/,
    ],
    [
      "a message over the limit",
      { userId: "u1", type: "feedback", message: "é".repeat(MAX_NOTIFICATION_MESSAGE_BYTES / 2 + 1) },
      /at most 16384 bytes/,
    ],
  ])("refuses %s, naming the field", (_case, input, message) => {
    expect(() => parseUserNotification(input)).toThrow(ValidationError);
    expect(() => parseUserNotification(input)).toThrow(message);
  });
});

describe("sendUserNotification", () => {
  it("puts every notification on the bus with the contract's detail type, at most 10 per call", async () => {
    answer();
    const result = await sendUserNotification(
      client,
      target,
      Array.from({ length: 23 }, (_, n) => actionable(n)),
      noWait,
    );

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      EventBusName: "notifications-bus",
      Source: "switchyard.orders",
      DetailType: SEND_USER_NOTIFICATION,
      Detail: JSON.stringify(actionable(0)),
    });
    expect(result.eventIds).toHaveLength(23);
    expect(result.eventIds.every((id) => id.startsWith("event-"))).toBe(true);
  });

  it("retries only the entries EventBridge failed", async () => {
    answer((userId, call) => userId === "user-2" && call === 1);
    const result = await sendUserNotification(
      client,
      target,
      [actionable(1), actionable(2), actionable(3)],
      noWait,
    );

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => JSON.parse(e.Detail ?? "{}").userId)).toEqual([
      "user-2",
    ]);
    expect(result.eventIds).toEqual(["event-1-0", "event-2-0", "event-1-2"]);
  });

  it("throws a TransientError naming the error code when entries keep failing", async () => {
    answer((userId) => userId === "user-2");
    const attempt = sendUserNotification(client, target, [actionable(1), actionable(2)], {
      ...noWait,
      maxAttempts: 3,
    });

    await expect(attempt).rejects.toThrow(TransientError);
    await expect(
      sendUserNotification(client, target, [actionable(2)], { ...noWait, maxAttempts: 2 }),
    ).rejects.toThrow(/refused 1 of 1 notifications after 2 attempts \(ThrottlingException: Rate exceeded\)/);
  });

  it("sends nothing when one notification is invalid, naming its index and field", async () => {
    answer();
    const attempt = sendUserNotification(
      client,
      target,
      [actionable(1), { userId: "u", type: "feedback" }],
      noWait,
    );

    await expect(attempt).rejects.toThrow(/notifications\[1\]|message/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("refuses a target without bus or source", async () => {
    await expect(
      sendUserNotification(client, { eventBusName: "", source: "s" }, [actionable(1)]),
    ).rejects.toThrow(/eventBusName/);
  });
});
