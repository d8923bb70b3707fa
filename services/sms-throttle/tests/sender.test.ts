import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DEAD_LETTER_ATTRIBUTES, sqsDeadLetter } from "@switchyard/runtime-kit";
import { lambdaContext, snsToSqsRecord, sqsEvent } from "@switchyard/testing";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dynamoAttemptStore } from "../src/adapters/attempts";
import type { SlotLimiter } from "../src/adapters/limiter";
import type { SmsProvider } from "../src/adapters/provider";
import { sqsRequeue } from "../src/adapters/requeue";
import {
  admitDelay,
  type Clock,
  type LimiterState,
  releaseSlots,
  reserveSlots,
  systemClock,
} from "../src/domain/limiter";
import type { SendOutcome } from "../src/domain/outcome";
import type { SmsRequest } from "../src/domain/request";
import { otherLanesMatcher } from "../src/domain/routing";
import { createSender } from "../src/sender";

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-throttle-de-verification-queue";
const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-throttle-de-verification-dlq";
const DE = "+4915112345678";

const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBClient);
/** A fake state table: items by pk. */
const table = new Map<string, Record<string, AttributeValue>>();

/**
 * A provider that answers from a script after `latencyMs` (a number, or one per call) and records when each message
 * went (`at`) and when the carrier saw it (`carrierAt`: `arrival` of the way between the call and its answer).
 */
function scriptedProvider(
  answer: (request: SmsRequest) => SendOutcome,
  latencyMs: number | ((call: number) => number) = 0,
  arrival: (call: number) => number = () => 0,
) {
  const calls: { at: number; carrierAt: number; request: SmsRequest }[] = [];
  const provider: SmsProvider = {
    name: "endUserMessaging",
    maxRecipientsPerCall: 1,
    async send(messages) {
      const n = calls.length;
      const latency = typeof latencyMs === "number" ? latencyMs : latencyMs(n);
      for (const request of messages)
        calls.push({ at: Date.now(), carrierAt: Date.now() + latency * arrival(n), request });
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      return messages.map(answer);
    },
  };
  return { provider, calls };
}

/** The lane's shared limiter in memory (the DynamoDB adapter has its own tests). */
function memoryLimiter(
  budget: number,
  windowMs = 1000,
): SlotLimiter & { state: LimiterState; rescheduled: number[]; held: number } {
  const limiter = {
    state: { slots: [] } as LimiterState,
    held: 0,
    async reserve(parts: readonly number[], deadline: number) {
      const result = reserveSlots(limiter.state, parts, { budget, windowMs }, Date.now(), deadline);
      limiter.state = result.state;
      return result.slots;
    },
    async reschedule(
      released: readonly { at: number; parts: number }[],
      parts: readonly number[],
      deadline: number,
    ) {
      const freed = releaseSlots(limiter.state, released);
      const result = reserveSlots(freed, parts, { budget, windowMs }, Date.now(), deadline);
      limiter.state = result.state;
      limiter.rescheduled.push(released.length);
      return result.slots;
    },
    rescheduled: [] as number[],
    async admit(slot: { at: number; parts: number }, at: number) {
      const wait = admitDelay(limiter.state, slot, budget, at);
      if (wait !== 0) limiter.held++;
      return wait;
    },
    async answered(slot: { at: number; parts: number }, at: number) {
      limiter.state = {
        slots: limiter.state.slots.map((s) => (s.at === slot.at ? { ...s, answeredAt: at } : s)),
      };
    },
  };
  return limiter;
}

const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

function sender(
  answer: (request: SmsRequest) => SendOutcome,
  options: {
    budget?: number;
    maxAttempts?: number;
    otherLanes?: unknown;
    latencyMs?: number | ((call: number) => number);
    /** Where between a call and its answer the carrier sees it (0 to 1), per call. */
    arrival?: (call: number) => number;
    limiter?: SlotLimiter;
    clock?: Clock;
  } = {},
) {
  const { provider, calls } = scriptedProvider(answer, options.latencyMs, options.arrival);
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const client = new SQSClient({ region: "us-east-1" });
  const handler = createSender({
    provider,
    limiter: options.limiter ?? memoryLimiter(options.budget ?? 5),
    budgetPartsPerSecond: options.budget ?? 5,
    requeue: sqsRequeue(client, QUEUE_URL),
    attempts: dynamoAttemptStore(
      new DynamoDBClient({ region: "us-east-1" }),
      "sms-throttle-state",
      "de-verification",
    ),
    ...(options.otherLanes ? { routedElsewhere: otherLanesMatcher(options.otherLanes) } : {}),
    deadLetter: sqsDeadLetter(client, DLQ_URL),
    logger,
    metrics,
    maxPartsPerMessage: 3,
    maxAttempts: options.maxAttempts ?? 3,
    backoffBaseSeconds: 10,
    random: () => 0.5,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { handler, calls, metrics };
}

const smsRecord = (
  body: unknown,
  attributes: Record<string, string | number> = { country: "DE", useCase: "VERIFICATION" },
  raw = true,
): SQSRecord => snsToSqsRecord({ raw, message: body, messageAttributes: attributes });

async function run(
  handler: ReturnType<typeof sender>["handler"],
  records: SQSRecord[],
  remainingTimeMs = 60_000,
) {
  const result = handler(sqsEvent(records), lambdaContext({ remainingTimeMs }));
  await vi.runAllTimersAsync();
  return result;
}

const sends = (url: string) =>
  sqs
    .commandCalls(SendMessageCommand)
    .filter((c) => c.args[0].input.QueueUrl === url)
    .map((c) => c.args[0].input);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "copy-1" });
  ddb.reset();
  table.clear();
  ddb.on(GetItemCommand).callsFake(async (input) => ({ Item: table.get(String(input.Key?.pk?.S)) }));
  ddb.on(PutItemCommand).callsFake(async (input) => {
    table.set(String(input.Item?.pk?.S), input.Item);
    return {};
  });
  for (const fn of Object.values(logger)) fn.mockClear();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("sender outcomes", () => {
  it("sends a valid request (raw delivery, as the lanes subscribe) and counts its parts", async () => {
    // Prepare
    const { handler, calls, metrics } = sender(() => ({ kind: "sent", messageId: "p-1" }));

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "a".repeat(200) })]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.request.phoneNumber)).toEqual([DE]);
    expect(metrics.addMetric).toHaveBeenCalledWith("PartsSent", "Count", 2);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("dead-letters a forged SNS envelope (its attributes are the forger's), naming the topic it claims", async () => {
    // Prepare: an envelope sent straight to the raw-delivery queue, claiming DE VERIFICATION; a good one beside it.
    const { handler, calls } = sender(() => ({ kind: "sent" }));
    const forged = smsRecord({ phoneNumber: DE, text: "forged" }, undefined, false);

    // Act
    const result = await run(handler, [forged, smsRecord({ phoneNumber: DE, text: "good" })]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.request.text)).toEqual(["good"]);
    const [dead] = sends(DLQ_URL);
    expect(dead?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(
      /SMS request is invalid: .*SNS notification envelope claiming topic .*refused as forged/,
    );
  });

  it.each([
    ["an invalid number", { phoneNumber: "+49123", text: "x" }, "SMS request is invalid: phoneNumber"],
    ["a body that is not JSON", "not json", "body: expected a JSON object"],
    [
      "a number of another country",
      { phoneNumber: "+33612345678", text: "x" },
      "expected a number of country DE",
    ],
  ])(
    "dead-letters %s at once, with the reason, without calling the provider",
    async (_name, body, reason) => {
      // Prepare
      const { handler, calls } = sender(() => ({ kind: "sent" }));

      // Act
      const result = await run(handler, [smsRecord(body)]);

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(calls).toHaveLength(0);
      const [dead] = sends(DLQ_URL);
      expect(dead?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toContain(reason);
    },
  );

  it("dead-letters a provider's permanent refusal with its reason", async () => {
    // Prepare
    const { handler } = sender(() => ({
      kind: "permanent",
      reason: "ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT)",
    }));

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "x" })]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(sends(DLQ_URL)[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
      "SMS refused by endUserMessaging: ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT)",
    );
    expect(sends(QUEUE_URL)).toHaveLength(0);
  });

  it.each([
    ["throttled", "MessagesThrottled"],
    ["transient", "MessagesRetried"],
  ] as const)(
    "re-enqueues a %s message as a delayed copy with a retry token and reports the original done",
    async (kind, metric) => {
      // Prepare
      const { handler, metrics } = sender(() => ({ kind, reason: "ThrottlingException" }));
      const record = smsRecord({ phoneNumber: DE, text: "x" });

      // Act
      const result = await run(handler, [record]);

      // Assess: deleting the original and sending a copy restarts the receive count, so no DLQ.
      expect(result.batchItemFailures).toEqual([]);
      expect(sends(DLQ_URL)).toHaveLength(0);
      const [copy] = sends(QUEUE_URL);
      const token = String(copy?.MessageAttributes?.["sms.retry"]?.StringValue);
      expect(copy).toEqual({
        QueueUrl: QUEUE_URL,
        MessageBody: record.body,
        DelaySeconds: 8, // attempt 1: base 10, equal jitter at 0.5 -> 7.5, rounded up
        MessageAttributes: {
          country: { DataType: "String", StringValue: "DE" },
          useCase: { DataType: "String", StringValue: "VERIFICATION" },
          "sms.retry": { DataType: "String", StringValue: token },
        },
      });
      // The count sits in the state table under the token, written before the copy was sent.
      expect(table.get(`retry#de-verification#${token}`)?.attempt).toEqual({ N: "1" });
      expect(metrics.addMetric).toHaveBeenCalledWith(metric, "Count", 1);
    },
  );

  it("counts re-enqueues in the state table: a throttling storm dead-letters only after maxAttempts", async () => {
    // Prepare
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }), { maxAttempts: 3 });
    let record = smsRecord({ phoneNumber: DE, text: "x" }, { country: "DE", useCase: "OFFER" });

    // Act: each copy the sender re-enqueues is received again, as SQS would deliver it.
    for (let i = 0; i < 4; i++) {
      await run(handler, [record]);
      const copy = sends(QUEUE_URL).at(-1);
      record = smsRecord(
        { phoneNumber: DE, text: "x" },
        {
          country: "DE",
          useCase: "OFFER",
          "sms.retry": String(copy?.MessageAttributes?.["sms.retry"]?.StringValue),
        },
      );
    }

    // Assess: three copies with one token, then the fourth receipt is dead-lettered with the last reason.
    const copies = sends(QUEUE_URL);
    expect(copies).toHaveLength(3);
    expect(new Set(copies.map((c) => c.MessageAttributes?.["sms.retry"]?.StringValue)).size).toBe(1);
    expect(
      sends(DLQ_URL).map((d) => d.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue),
    ).toEqual(["SMS not sent after 3 re-enqueues: THROTTLED"]);
  });

  it.each([
    ["sms.attempt at the limit", { "sms.attempt": 50 }],
    ["sms.attempt negative", { "sms.attempt": -1_000_000 }],
    ["a made-up retry token", { "sms.retry": "0b7a3c2e-1d4f-4a6b-9c8d-7e6f5a4b3c2d" }],
    ["a malformed retry token", { "sms.retry": "retry#de-verification#x" }],
  ])(
    "ignores a publisher's %s: a throttled first receipt is re-enqueued as attempt 1, not dead-lettered",
    async (_name, forged) => {
      // Prepare
      const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }), { maxAttempts: 50 });
      const record = smsRecord(
        { phoneNumber: DE, text: "x" },
        { country: "DE", useCase: "VERIFICATION", ...forged },
      );

      // Act
      const result = await run(handler, [record]);

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(sends(DLQ_URL)).toHaveLength(0);
      const [copy] = sends(QUEUE_URL);
      expect(copy?.DelaySeconds).toBe(8); // attempt 1
      expect(copy?.MessageAttributes?.["sms.attempt"]).toBeUndefined();
      const token = String(copy?.MessageAttributes?.["sms.retry"]?.StringValue);
      expect(token).not.toBe((forged as Record<string, unknown>)["sms.retry"]);
      expect(table.get(`retry#de-verification#${token}`)?.attempt).toEqual({ N: "1" });
    },
  );

  it("reports the record failed when the count cannot be read (retried, not reset)", async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error("DynamoDB down"));
    const { handler, calls } = sender(() => ({ kind: "sent" }));
    const record = smsRecord(
      { phoneNumber: DE, text: "x" },
      { country: "DE", useCase: "VERIFICATION", "sms.retry": "0b7a3c2e-1d4f-4a6b-9c8d-7e6f5a4b3c2d" },
    );

    // Act
    const result = await run(handler, [record]);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(calls).toHaveLength(0);
  });

  it("reports the record failed when the copy cannot be re-enqueued (nothing is lost)", async () => {
    // Prepare
    sqs.on(SendMessageCommand, { QueueUrl: QUEUE_URL }).rejects(new Error("SQS down"));
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }));
    const record = smsRecord({ phoneNumber: DE, text: "x" });

    // Act
    const result = await run(handler, [record]);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it("defers, without counting an attempt, what cannot be sent before the invocation ends", async () => {
    // Prepare: budget 1 part/s, 4 s left of which 3 s are reserved: only the first two messages fit.
    const { handler, calls } = sender(() => ({ kind: "sent" }), { budget: 1 });
    const records = [0, 1, 2, 3].map(() =>
      smsRecord({ phoneNumber: DE, text: "x" }, { country: "DE", useCase: "OFFER" }),
    );

    // Act
    const result = await run(handler, records, 4_000);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.at)).toEqual([0, 1000]);
    expect(sends(QUEUE_URL).map((s) => [s.DelaySeconds, s.MessageAttributes?.["sms.retry"]])).toEqual([
      [0, undefined],
      [0, undefined],
    ]);
    expect(table.size).toBe(0);
  });

  it("never logs the phone number", async () => {
    // Prepare
    const { handler } = sender(() => ({ kind: "throttled", reason: "THROTTLED" }));

    // Act
    await run(handler, [smsRecord({ phoneNumber: DE, text: "x" })]);

    // Assess
    const logged = JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
    expect(logged).toContain("+49*******5678");
    expect(logged).not.toContain("15112345678");
  });
});

describe("sender pacing on the lane's shared limiter", () => {
  it("sends at each reserved slot without waiting for earlier answers, and returns without a drain", async () => {
    // Prepare: B = 5 on a 1300 ms window (slots 260 ms apart), a provider answering after 300 ms.
    const limiter = memoryLimiter(5, 1300);
    const { handler, calls } = sender(() => ({ kind: "sent" }), { budget: 5, latencyMs: 300, limiter });
    const records = Array.from({ length: 10 }, () => smsRecord({ phoneNumber: DE, text: "x" }));

    // Act
    const started = Date.now();
    const done = handler(sqsEvent(records), lambdaContext({ remainingTimeMs: 60_000 }));
    let finishedAt = -1;
    void done.then(() => {
      finishedAt = Date.now();
    });
    await vi.runAllTimersAsync();
    const result = await done;

    // Assess: one part's worth apart, each before the previous answer; done once the last answer is in. The
    // answers came within the window's margin, so the carrier gate held none.
    expect(result.batchItemFailures).toEqual([]);
    const times = calls.map((c) => c.at - started);
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual(Array(9).fill(260));
    expect(finishedAt - started).toBe((times.at(-1) as number) + 300);
    expect(limiter.held).toBe(0);
  });

  it("holds a send while the sends before it may still be in the carrier's second (answers slower than the margin)", async () => {
    // Prepare: B = 2 on a 1000 ms window, a provider answering after 700 ms (a cold client, a slow network).
    const limiter = memoryLimiter(2);
    const { handler, calls } = sender(() => ({ kind: "sent" }), { budget: 2, latencyMs: 700, limiter });
    const records = Array.from({ length: 4 }, () => smsRecord({ phoneNumber: DE, text: "x" }));

    // Act
    const result = await run(handler, records);

    // Assess: slots 0, 500, 1000, 1500; the carrier may see the first as late as 700, so the third waits until
    // 1700 and the fourth until the second's answer (1200) + 1000.
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.at)).toEqual([0, 500, 1700, 2200]);
    expect(limiter.held).toBeGreaterThan(0);
  });

  it("never lets the carrier count more than B in a second, whatever the latency: two containers, random delays", async () => {
    // Prepare: B = 4, W = 1025; each call takes 5-600 ms, and the carrier sees it anywhere between call and answer.
    // (A held send looks again every IN_FLIGHT_POLL_MS while an earlier one is in flight: many timers.)
    vi.useFakeTimers({ now: 0, loopLimit: 200_000 });
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const latencies = Array.from({ length: 200 }, () =>
      random() < 0.2 ? 200 + random() * 400 : 5 + random() * 20,
    );
    const arrivals = Array.from({ length: 200 }, () => random());
    const limiter = memoryLimiter(4, 1025);
    const options = {
      budget: 4,
      limiter,
      latencyMs: (call: number) => latencies[call % 200] as number,
      arrival: (call: number) => arrivals[(call * 7) % 200] as number,
    };
    const a = sender(() => ({ kind: "sent" }), options);
    const b = sender(() => ({ kind: "sent" }), options);
    const batch = (tag: string) =>
      Array.from({ length: 20 }, (_, i) => smsRecord({ phoneNumber: DE, text: `${tag}${i}` }));

    // Act
    const both = Promise.all([
      a.handler(sqsEvent(batch("a")), lambdaContext({ remainingTimeMs: 60_000 })),
      b.handler(sqsEvent(batch("b")), lambdaContext({ remainingTimeMs: 60_000 })),
    ]);
    await vi.runAllTimersAsync();
    const results = await both;

    // Assess: all 40 sent once, and at the carrier no 1-s window holds more than B.
    expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
    const seen = [...a.calls, ...b.calls];
    expect(new Set(seen.map((c) => c.request.text)).size).toBe(40);
    for (const c of seen) {
      const window = seen.filter((o) => o.carrierAt > c.carrierAt - 1000 && o.carrierAt <= c.carrierAt);
      expect(window.length).toBeLessThanOrEqual(4);
    }
    expect(limiter.held).toBeGreaterThan(0);
  });

  it("two invocations (two containers) share one schedule: never above B in any window", async () => {
    // Prepare: both senders use the same limiter, as all containers of a lane share the DynamoDB item.
    const limiter = memoryLimiter(4);
    const a = sender(() => ({ kind: "sent" }), { budget: 4, limiter, latencyMs: 100 });
    const b = sender(() => ({ kind: "sent" }), { budget: 4, limiter, latencyMs: 100 });
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        smsRecord({ phoneNumber: DE, text: i % 4 === 3 ? "y".repeat(200) : "x" }),
      );

    // Act
    const both = Promise.all([
      a.handler(sqsEvent(batch(8)), lambdaContext({ remainingTimeMs: 60_000 })),
      b.handler(sqsEvent(batch(8)), lambdaContext({ remainingTimeMs: 60_000 })),
    ]);
    await vi.runAllTimersAsync();
    await both;

    // Assess
    const sent = [...a.calls, ...b.calls].map((c) => ({ at: c.at, parts: c.request.parts }));
    expect(sent).toHaveLength(16);
    for (const s of sent) {
      const window = sent.filter((o) => o.at > s.at - 1000 && o.at <= s.at).reduce((n, o) => n + o.parts, 0);
      expect(window).toBeLessThanOrEqual(4);
    }
  });

  it("a sender that wakes up late sends its overdue slots at once, and the gate holds what follows: at most B in any 1-s window", async () => {
    // Prepare: B = 5, 1 s windows; 20 one-part messages (slots 200 ms apart, 0..3800). The event loop stalls from
    // 1000 to 1900 ms: every wake-up due in between comes at 1900, as in a busy container.
    const limiter = memoryLimiter(5);
    const stalled: Clock = {
      now: () => Date.now(),
      sleep: (ms) => {
        const due = Date.now() + ms;
        return systemClock.sleep(due >= 1000 && due < 1900 ? 1900 - Date.now() : ms);
      },
    };
    const { handler, calls } = sender(() => ({ kind: "sent" }), { budget: 5, limiter, clock: stalled });
    const started = Date.now();
    const records = Array.from({ length: 20 }, (_, i) => smsRecord({ phoneNumber: DE, text: `x${i}` }));

    // Act
    const result = await run(handler, records);

    // Assess: each message exactly once, never before its slot, never more than B in (t - 1000, t].
    expect(started).toBe(0);
    expect(result.batchItemFailures).toEqual([]);
    const sent = calls;
    expect(sent.map((c) => c.request.text).sort()).toEqual(records.map((_, i) => `x${i}`).sort());
    for (const s of sent) {
      const window = sent.filter((o) => o.at > s.at - 1000 && o.at <= s.at).length;
      expect(window).toBeLessThanOrEqual(5);
    }
    // The overdue sends went when the stall ended (the gate admitted them), and the gate held the next ones.
    expect(sent.filter((c) => c.at === 1900)).toHaveLength(5);
    expect(limiter.held).toBeGreaterThan(0);
  });

  it("a container late by the same on every wake-up is not starved: steady lateness shifts its sends alike", async () => {
    // Prepare: every wake-up comes 30 ms late (a busy host).
    const limiter = memoryLimiter(5);
    const busy: Clock = { now: () => Date.now(), sleep: (ms) => systemClock.sleep(ms + 30) };
    const { handler, calls } = sender(() => ({ kind: "sent" }), { budget: 5, limiter, clock: busy });
    const records = Array.from({ length: 40 }, (_, i) => smsRecord({ phoneNumber: DE, text: `x${i}` }));

    // Act
    const result = await run(handler, records);

    // Assess: every message sent once (none deferred), never more than B in (t - 1000, t].
    expect(result.batchItemFailures).toEqual([]);
    expect(sends(QUEUE_URL)).toHaveLength(0);
    expect(calls.map((c) => c.request.text).sort()).toEqual(records.map((_, i) => `x${i}`).sort());
    for (const c of calls) {
      expect(calls.filter((o) => o.at > c.at - 1000 && o.at <= c.at).length).toBeLessThanOrEqual(5);
    }
  });

  it("defers the whole batch (re-enqueued now, no attempt counted) when the limiter cannot be updated", async () => {
    // Prepare
    const limiter: SlotLimiter = {
      reserve: async () => {
        throw new Error("ConditionalCheckFailedException");
      },
      reschedule: async () => {
        throw new Error("ConditionalCheckFailedException");
      },
      admit: async () => 0,
      answered: async () => undefined,
    };
    const { handler, calls } = sender(() => ({ kind: "sent" }), { limiter });

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "x" })]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(0);
    expect(sends(QUEUE_URL).map((s) => s.DelaySeconds)).toEqual([0]);
  });
});

describe("catch-all sender (its subscription has no filter policy)", () => {
  const otherLanes = {
    country: ["DE", "FR"],
    useCase: ["VERIFICATION", "TRANSACTIONAL", "REMINDER", "OFFER"],
  };

  it.each([
    ["DE VERIFICATION", { country: "DE", useCase: "VERIFICATION" }],
    ["FR OFFER", { country: "FR", useCase: "OFFER" }],
  ])("skips %s: a country lane received it too and sends it", async (_name, attributes) => {
    // Prepare
    const { handler, calls, metrics } = sender(() => ({ kind: "sent" }), { otherLanes });

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "x" }, attributes)]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(metrics.addMetric).toHaveBeenCalledWith("MessagesForOtherLanes", "Count", 1);
  });

  it("sends an unlisted country's request", async () => {
    // Prepare
    const { handler, calls } = sender(() => ({ kind: "sent" }), { otherLanes });

    // Act
    await run(handler, [
      smsRecord({ phoneNumber: "+5511987654321", text: "x" }, { country: "BR", useCase: "OFFER" }),
    ]);

    // Assess
    expect(calls.map((c) => c.request.country)).toEqual(["BR"]);
  });

  it.each([
    ["no attributes at all", {}, "attribute country: expected a country attribute"],
    ["no useCase", { country: "DE" }, "attribute useCase: expected a useCase attribute"],
    [
      "an unknown use case",
      { country: "DE", useCase: "SPAM" },
      "attribute useCase: expected a useCase attribute",
    ],
  ])("dead-letters a request with %s, with the reason", async (_name, attributes, reason) => {
    // Prepare
    const { handler, calls } = sender(() => ({ kind: "sent" }), { otherLanes });

    // Act
    const result = await run(handler, [smsRecord({ phoneNumber: DE, text: "x" }, attributes)]);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(0);
    expect(sends(DLQ_URL)[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toContain(
      reason,
    );
  });
});
