import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import { lambdaContext, sqsEvent, sqsRecord } from "@switchyard/testing";
import type { SQSRecord } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import {
  BATCH_METRICS,
  type DeadLetterAdapter,
  PermanentError,
  processSqsBatch,
  TransientError,
  ValidationError,
} from "../src/index";

const fakeLogger = () => ({
  debug: vi.fn(),
  info: vi.fn(),
  warn: vi.fn(),
  error: vi.fn(),
  addContext: vi.fn(),
});
const fakeMetrics = () => ({ addMetric: vi.fn(), publishStoredMetrics: vi.fn() });
const workingDeadLetter = () => ({ send: vi.fn<DeadLetterAdapter["send"]>().mockResolvedValue(undefined) });
const failingDeadLetter = () => ({
  send: vi.fn<DeadLetterAdapter["send"]>().mockRejectedValue(new Error("DLQ unavailable")),
});

const sdkError = (name: string, status: number): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status },
  });

/** Handler that throws what `failures` says for a record's body, and succeeds otherwise. */
const handlerFailing = (failures: Record<string, unknown>) =>
  vi.fn(async (record: SQSRecord) => {
    if (record.body in failures) throw failures[record.body];
  });

const metricValues = (metrics: ReturnType<typeof fakeMetrics>): Record<string, number> =>
  Object.fromEntries(metrics.addMetric.mock.calls.map(([name, , value]) => [name, value]));

describe("processSqsBatch (standard queue)", () => {
  it("reports no failures when every record succeeds", async () => {
    // Prepare
    const event = sqsEvent([{ body: "a" }, { body: "b" }, { body: "c" }]);
    const handler = handlerFailing({});
    const context = lambdaContext();

    // Act
    const response = await processSqsBatch(event, context, handler, { logger: fakeLogger() });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(3);
    expect(handler).toHaveBeenCalledWith(event.Records[0], context);
  });

  describe.each([
    {
      thrown: "TransientError",
      error: new TransientError("busy"),
      adapter: "working",
      reported: true,
      sent: false,
    },
    { thrown: "an unknown Error", error: new Error("???"), adapter: "working", reported: true, sent: false },
    { thrown: "a string", error: "oops", adapter: "working", reported: true, sent: false },
    {
      thrown: "ThrottlingException",
      error: sdkError("ThrottlingException", 400),
      adapter: "working",
      reported: true,
      sent: false,
    },
    {
      thrown: "PermanentError",
      error: new PermanentError("bad"),
      adapter: "working",
      reported: false,
      sent: true,
    },
    {
      thrown: "ValidationError",
      error: new ValidationError([{ path: "body.x", message: "bad" }]),
      adapter: "working",
      reported: false,
      sent: true,
    },
    {
      thrown: "SDK ValidationException 400",
      error: sdkError("ValidationException", 400),
      adapter: "working",
      reported: false,
      sent: true,
    },
    {
      thrown: "PermanentError",
      error: new PermanentError("bad"),
      adapter: "none",
      reported: true,
      sent: false,
    },
    {
      thrown: "PermanentError",
      error: new PermanentError("bad"),
      adapter: "failing",
      reported: true,
      sent: true,
    },
  ])(
    "when the handler throws $thrown with $adapter dead-letter adapter",
    ({ error, adapter, reported, sent }) => {
      it(`${reported ? "reports" : "does not report"} that record and ${sent ? "tries to dead-letter it" : "does not dead-letter it"}`, async () => {
        // Prepare
        const event = sqsEvent([
          { body: "ok-1", messageId: "m-1" },
          { body: "fail", messageId: "m-2" },
          { body: "ok-2", messageId: "m-3" },
        ]);
        const deadLetter =
          adapter === "working"
            ? workingDeadLetter()
            : adapter === "failing"
              ? failingDeadLetter()
              : undefined;
        const logger = fakeLogger();

        // Act
        const response = await processSqsBatch(event, lambdaContext(), handlerFailing({ fail: error }), {
          logger,
          deadLetter,
        });

        // Assess
        expect(response.batchItemFailures).toEqual(reported ? [{ itemIdentifier: "m-2" }] : []);
        expect(deadLetter?.send.mock.calls.map(([record]) => record.messageId) ?? []).toEqual(
          sent ? ["m-2"] : [],
        );
        const logged = [...logger.warn.mock.calls, ...logger.error.mock.calls];
        expect(logged).toHaveLength(1);
        expect(logged[0]?.[1]).toMatchObject({ messageId: "m-2", reason: expect.any(String) });
      });
    },
  );

  it("dead-letters a record still failing transiently on its last receive, with the reason", async () => {
    // Prepare
    const last = sqsRecord({ body: "down", messageId: "m-last" });
    last.attributes.ApproximateReceiveCount = "5";
    const early = sqsRecord({ body: "down", messageId: "m-early" });
    early.attributes.ApproximateReceiveCount = "4";
    const deadLetter = workingDeadLetter();
    const handler = handlerFailing({ down: sdkError("ResourceNotFoundException", 400) });

    // Act
    const response = await processSqsBatch(sqsEvent([last, early]), lambdaContext(), handler, {
      logger: fakeLogger(),
      deadLetter,
      maxReceiveCount: 5,
    });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-early" }]);
    expect(deadLetter.send).toHaveBeenCalledTimes(1);
    expect(deadLetter.send.mock.calls[0]?.[0].messageId).toBe("m-last");
    expect(deadLetter.send.mock.calls[0]?.[1]).toMatch(
      /^still failing after 5 receives \(transient\): ResourceNotFoundException: /,
    );
  });

  it("hands the adapter the reason, the source and the error", async () => {
    // Prepare
    const error = new PermanentError("order o-1 has no lines");
    const deadLetter = workingDeadLetter();
    const event = sqsEvent([{ body: "fail", messageId: "m-1" }]);

    // Act
    await processSqsBatch(
      event,
      lambdaContext({ functionName: "orders-consumer" }),
      handlerFailing({ fail: error }),
      {
        logger: fakeLogger(),
        deadLetter,
      },
    );

    // Assess
    expect(deadLetter.send).toHaveBeenCalledWith(event.Records[0], "order o-1 has no lines", {
      source: "orders-consumer",
      error,
    });
  });

  it("uses the source option over the function name", async () => {
    // Prepare
    const deadLetter = workingDeadLetter();

    // Act
    await processSqsBatch(
      sqsEvent([{ body: "fail" }]),
      lambdaContext(),
      handlerFailing({ fail: new PermanentError("x") }),
      { logger: fakeLogger(), deadLetter, source: "orders/v2" },
    );

    // Assess
    expect(deadLetter.send.mock.calls[0]?.[2]?.source).toBe("orders/v2");
  });

  it("returns every id when the whole batch fails, without throwing", async () => {
    // Prepare
    const event = sqsEvent([
      { body: "fail", messageId: "m-1" },
      { body: "fail", messageId: "m-2" },
    ]);

    // Act
    const response = await processSqsBatch(
      event,
      lambdaContext(),
      handlerFailing({ fail: new Error("down") }),
      {
        logger: fakeLogger(),
      },
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }]);
  });

  it("throws FullBatchFailureError when asked to", async () => {
    // Prepare
    const event = sqsEvent([{ body: "fail" }]);

    // Act
    const processing = processSqsBatch(event, lambdaContext(), handlerFailing({ fail: new Error("down") }), {
      logger: fakeLogger(),
      throwOnFullBatchFailure: true,
    });

    // Assess
    await expect(processing).rejects.toBeInstanceOf(FullBatchFailureError);
  });

  it("adds the Lambda context to the logger", async () => {
    // Prepare
    const logger = fakeLogger();
    const context = lambdaContext();

    // Act
    await processSqsBatch(sqsEvent([{ body: "a" }]), context, handlerFailing({}), { logger });

    // Assess
    expect(logger.addContext).toHaveBeenCalledWith(context);
  });
});

describe("processSqsBatch metrics", () => {
  it("counts each outcome once per batch and publishes", async () => {
    // Prepare
    const metrics = fakeMetrics();
    const event = sqsEvent([
      { body: "ok" },
      { body: "ok" },
      { body: "transient" },
      { body: "permanent" },
      { body: "poison" },
    ]);
    const deadLetter = {
      send: vi.fn<DeadLetterAdapter["send"]>(async (record) => {
        if (record.body === "poison") throw new Error("too big");
      }),
    };
    const handler = handlerFailing({
      transient: new TransientError("busy"),
      permanent: new PermanentError("bad"),
      poison: new PermanentError("bad"),
    });

    // Act
    await processSqsBatch(event, lambdaContext(), handler, { logger: fakeLogger(), metrics, deadLetter });

    // Assess
    expect(metricValues(metrics)).toEqual({
      [BATCH_METRICS.processed]: 2,
      [BATCH_METRICS.failedTransient]: 1,
      [BATCH_METRICS.failedPermanent]: 2,
      [BATCH_METRICS.deadLettered]: 1,
      [BATCH_METRICS.skipped]: 0,
    });
    expect(metrics.addMetric.mock.calls.every(([, unit]) => unit === "Count")).toBe(true);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it("leaves publishing to the caller with publishMetrics: false", async () => {
    // Prepare
    const metrics = fakeMetrics();

    // Act
    await processSqsBatch(sqsEvent([{ body: "ok" }]), lambdaContext(), handlerFailing({}), {
      logger: fakeLogger(),
      metrics,
      publishMetrics: false,
    });

    // Assess
    expect(metrics.addMetric).toHaveBeenCalled();
    expect(metrics.publishStoredMetrics).not.toHaveBeenCalled();
  });
});

describe("processSqsBatch (FIFO queue)", () => {
  const fifoBatch = () =>
    sqsEvent([
      sqsRecord({ body: "A1", messageId: "A1", messageGroupId: "A" }),
      sqsRecord({ body: "B1", messageId: "B1", messageGroupId: "B" }),
      sqsRecord({ body: "A2", messageId: "A2", messageGroupId: "A" }),
      sqsRecord({ body: "B2", messageId: "B2", messageGroupId: "B" }),
      sqsRecord({ body: "A3", messageId: "A3", messageGroupId: "A" }),
      sqsRecord({ body: "B3", messageId: "B3", messageGroupId: "B" }),
    ]);

  it.each([
    { case: "detected from the .fifo source ARN", fifo: undefined },
    { case: "forced with fifo: true", fifo: true },
  ])("fails the later records of a group after a transient failure, $case", async ({ fifo }) => {
    // Prepare
    const handler = handlerFailing({ A2: new TransientError("busy") });
    const metrics = fakeMetrics();

    // Act
    const response = await processSqsBatch(fifoBatch(), lambdaContext(), handler, {
      logger: fakeLogger(),
      metrics,
      fifo,
    });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "A2" }, { itemIdentifier: "A3" }]);
    expect(handler.mock.calls.map(([record]) => record.body)).toEqual(["A1", "B1", "A2", "B2", "B3"]);
    expect(metricValues(metrics)).toMatchObject({
      [BATCH_METRICS.processed]: 4,
      [BATCH_METRICS.failedTransient]: 1,
      [BATCH_METRICS.skipped]: 1,
    });
  });

  it("dead-letters a poison record and carries on with its group, in order", async () => {
    // Prepare
    const handler = handlerFailing({ A1: new PermanentError("bad") });
    const deadLetter = workingDeadLetter();

    // Act
    const response = await processSqsBatch(fifoBatch(), lambdaContext(), handler, {
      logger: fakeLogger(),
      deadLetter,
    });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetter.send.mock.calls.map(([record]) => record.messageId)).toEqual(["A1"]);
    expect(handler.mock.calls.map(([record]) => record.body)).toEqual(["A1", "B1", "A2", "B2", "A3", "B3"]);
  });

  it("holds back the rest of the group when a permanent failure cannot be dead-lettered", async () => {
    // Prepare
    const handler = handlerFailing({ B1: new PermanentError("bad") });

    // Act
    const response = await processSqsBatch(fifoBatch(), lambdaContext(), handler, { logger: fakeLogger() });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: "B1" },
      { itemIdentifier: "B2" },
      { itemIdentifier: "B3" },
    ]);
  });

  it("processes a standard-queue batch in parallel but a FIFO one record at a time", async () => {
    // Prepare
    let running = 0;
    let peak = 0;
    const handler = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    };

    // Act
    await processSqsBatch(fifoBatch(), lambdaContext(), handler, { logger: fakeLogger() });
    const fifoPeak = peak;
    peak = 0;
    await processSqsBatch(sqsEvent([{ body: "1" }, { body: "2" }, { body: "3" }]), lambdaContext(), handler, {
      logger: fakeLogger(),
    });

    // Assess
    expect(fifoPeak).toBe(1);
    expect(peak).toBe(3);
  });
});
