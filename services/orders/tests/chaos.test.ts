import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { dynamo, fakeTable, handlerEnv, order, recordOf, sqs } from "./fakes";

// Chaos, at handler + fake level: the real inventory handler (runtime-kit batch, DLQ adapter, applyOnce) under a
// small SQS simulator (visibility, receive counts, maxReceiveCount) with injected faults. Afterwards every event is
// applied exactly once or sits in the DLQ with its reason; redriving the DLQ after the fault is removed completes
// the set with nothing applied twice.

const MAX_RECEIVE_COUNT = 5;
handlerEnv({ INVENTORY_TABLE: "inventory", MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT) });
const { handler } = await import("../src/handlers/inventory");

/** A deterministic pseudo-random sequence (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Message {
  record: SQSRecord;
  receives: number;
}

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

describe("chaos: 2,000 order events through the inventory consumer", () => {
  it("applies every event exactly once or dead-letters it with its reason; a redrive completes the set", async () => {
    // Prepare: 2,000 distinct events (created orders) over 40 SKUs; 5% are delivered twice.
    const rand = random(20261205);
    const events = Array.from({ length: 2_000 }, (_, i) =>
      order({
        orderId: `o-${i}`,
        items: [{ sku: `sku-${i % 40}`, quantity: 1 + (i % 3) }],
      }),
    );
    const expected = new Map<string, number>();
    for (const event of events) {
      for (const line of event.items) expected.set(line.sku, (expected.get(line.sku) ?? 0) + line.quantity);
    }
    let queue: Message[] = [];
    let sequence = 0;
    const enqueue = (body: unknown) => {
      sequence++;
      queue.push({ record: recordOf(body, `m-${sequence}`), receives: 0 });
    };
    for (const event of events) {
      enqueue(event);
      if (rand() < 0.05) enqueue(event); // a duplicate delivery (SNS/SQS at-least-once)
    }
    const delivered = queue.length;

    // Faults: 10% of table calls throw; an outage of the table longer than the retry window; the DLQ.
    let outage = false;
    let calls = 0;
    fakeTable({
      failWhen: () => {
        calls++;
        if (outage) {
          return Object.assign(new Error("Service unavailable"), {
            name: "ServiceUnavailable",
            $fault: "server",
            $metadata: { httpStatusCode: 503 },
          });
        }
        return rand() < 0.1 ? new Error("injected: handler threw") : undefined;
      },
    });
    const table = fakeTable.last;
    const dlq: Array<{ body: string; reason: string }> = [];
    sqs.on(SendMessageCommand).callsFake((input) => {
      dlq.push({
        body: String(input.MessageBody),
        reason: String(input.MessageAttributes?.["switchyard.failure.reason"]?.StringValue ?? ""),
      });
      return { MessageId: `dlq-${dlq.length}` };
    });

    // SQS's own redrive: a message received maxReceiveCount times and not deleted is moved to the DLQ on its
    // next receive, without a reason. The handler dead-letters on the last receive itself, so only a consumer
    // killed during a message's last receive leaves it to this path.
    const movedByRedrivePolicy: string[] = [];
    /** A failed message becomes visible again soon (visibility timeout), ahead of the backlog. */
    const returnSoon = (message: Message) => queue.splice(Math.min(queue.length, 15), 0, message);

    /** One poll: a batch of 10 made visible to the consumer; `kill` drops the response (the consumer died). */
    const poll = async (kill = false) => {
      const batch: Message[] = [];
      while (batch.length < 10 && queue.length > 0) {
        const message = queue.shift() as Message;
        if (message.receives >= MAX_RECEIVE_COUNT) {
          movedByRedrivePolicy.push(message.record.messageId);
          dlq.push({ body: message.record.body, reason: "" });
          continue;
        }
        batch.push(message);
      }
      if (batch.length === 0) return;
      for (const message of batch) {
        message.receives++;
        message.record.attributes.ApproximateReceiveCount = String(message.receives);
      }
      const response = (await handler(
        sqsEvent(batch.map((m) => m.record)),
        lambdaContext(),
        () => {},
      )) as SQSBatchResponse;
      if (kill) {
        // Killed mid-batch: no response reaches SQS, so after the visibility timeout every record comes back,
        // including those whose writes were made (their markers make the retry a no-op).
        for (const message of batch) returnSoon(message);
        return;
      }
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const message of batch) {
        if (!failed.has(message.record.messageId)) continue;
        // Still failing on its last receive without a reason would be the redrive policy's move; the handler
        // dead-letters it itself on that receive, so a failure reported here always has receives left.
        expect(message.receives).toBeLessThan(MAX_RECEIVE_COUNT);
        returnSoon(message);
      }
    };

    // Act 1: drain with faults; the table is down for a stretch longer than 5 receives of what is in flight,
    // and the consumer is killed mid-batch every 37th poll.
    let polls = 0;
    while (queue.length > 0) {
      polls++;
      outage = polls >= 100 && polls < 140;
      await poll(polls % 37 === 0);
    }
    outage = false;

    // Assess 1: everything is applied once or dead-lettered with a reason; nothing is lost.
    const applied = [...events].filter((e) => table.get(`EVENT#${e.orderId}#${e.version}`, "APPLIED")).length;
    const parked = new Set(dlq.map((d) => (JSON.parse(d.body) as { orderId: string }).orderId));
    const withReason = dlq.filter((d) => /^still failing after 5 receives \(transient\): /.test(d.reason));
    expect(withReason.length).toBeGreaterThan(0);
    // Every dead letter carries its reason, except one whose consumer was killed on its very last receive.
    expect(dlq.length - withReason.length).toBe(movedByRedrivePolicy.length);
    for (const event of events) {
      const isApplied = table.get(`EVENT#${event.orderId}#${event.version}`, "APPLIED") !== undefined;
      expect(isApplied || parked.has(event.orderId)).toBe(true);
    }
    expect(applied + [...parked].filter((id) => !table.get(`EVENT#${id}#1`, "APPLIED")).length).toBe(
      events.length,
    );

    // Act 2: the fault is gone; redrive the DLQ into the queue and drain again.
    queue = dlq
      .splice(0)
      .map((d, i) => ({ record: recordOf(JSON.parse(d.body), `redrive-${i}`), receives: 0 }));
    while (queue.length > 0) await poll();

    // Assess 2: the set is complete, every SKU's reservation is the exact sum (nothing applied twice).
    for (const event of events) {
      expect(table.get(`EVENT#${event.orderId}#${event.version}`, "APPLIED")).toBeDefined();
    }
    for (const [sku, quantity] of expected) {
      expect(table.get(`SKU#${sku}`, "STOCK")?.reserved).toBe(quantity);
    }
    expect(dlq).toEqual([]);
    expect(delivered).toBeGreaterThan(2_050);
    expect(calls).toBeGreaterThan(delivered);
  }, 60_000);
});
