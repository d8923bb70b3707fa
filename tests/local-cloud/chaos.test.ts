import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { ListSubscriptionsByTopicCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import { publishOrderEvents } from "@switchyard/contracts";
import {
  allEmulators,
  type LocalCloud,
  setInvocationFaultHook,
  startLocalCloud,
} from "@switchyard/local-cloud";
import { type DeadLetter, destroyClients as destroyOpsClients, localStackFrom, Ops } from "@switchyard/ops";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DynamoFaults, removeDynamoFaults, seededRandom, withDynamoFaults } from "./faults";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  outputOf,
  queueCounts,
  queueName,
  queueUrl,
  S,
  tableName,
  unique,
  unmarshall,
} from "./harness";

/**
 * Chaos against the local cloud (issue 14): 2,000 order events published to the real orders topic, fanned out by SNS
 * to the real inventory and analytics queues and consumed by their real handler bundles, while
 * - 10% of the consumers' transactional writes fail (TransactionConflict: the handler throws for that record),
 * - 3% of them land but lose their answer (the caller times out on a write that happened, and retries it),
 * - 5% of the events are published twice (a producer retry: two SNS messages, two deliveries),
 * - the consumers' workers are killed mid-batch (each consumer's 3rd invocation, then about 1% of them),
 * - the inventory table is down for longer than the queue's retry window (maxReceiveCount receives).
 * Afterwards every event is applied exactly once or sits in a DLQ with its reason, and the stored totals
 * reconcile with the applied events. Once the faults are removed, `@switchyard/ops` redrives the DLQs and the
 * set completes with nothing applied twice.
 *
 * Faults enter on the wire (a wrapper around the local DynamoDB endpoint) and through the local Lambda
 * runtime's test-only fault hook; the handlers run their production code unchanged. The topic's archive lane
 * (archiver -> orders bus) is unsubscribed for the run: nothing here asserts it and no fault targets it, and it
 * would spend a third of the run's CPU on a third consumer.
 */

/**
 * Events per run: the 2,000 (`SWITCHYARD_CHAOS_EVENTS` sets another number, e.g. to replay a failure
 * faster). The run is CPU-bound (the cloud, its Lambda workers and the test share one process); see the orders
 * README's "Guarantees and remaining limits" for measured times. `SWITCHYARD_CHAOS_TIMINGS=1` prints each phase's
 * wall and CPU time.
 */
const EVENTS = Number(process.env.SWITCHYARD_CHAOS_EVENTS ?? 2000);
const SKUS = 40;
const SEED = 20261206;
const random = seededRandom(SEED);
const faults: DynamoFaults = {
  conflictRate: 0.1,
  lostAnswerRate: 0.03,
  outage: new Set(),
  injected: { conflict: 0, lostAnswer: 0, outage: 0 },
};
const killed = { count: 0 };

let cloud: LocalCloud;
let aws: AwsClients;

/** Phase durations, printed with SWITCHYARD_CHAOS_TIMINGS=1 (to see where a run's time goes). */
const timings: Array<[string, number, number]> = [];
let phaseStart = performance.now();
const stats: Record<string, unknown> = {};
let cpuStart = process.cpuUsage();
function phase(name: string): void {
  const now = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  // Wall time, then the CPU time of this process (the cloud, its Lambda workers and the test) in the phase.
  timings.push([name, Math.round(now - phaseStart), Math.round((cpu.user + cpu.system) / 1000)]);
  phaseStart = now;
  cpuStart = process.cpuUsage();
}

beforeAll(async () => {
  // SQS clocks 300x faster: a 180 s visibility timeout lasts 0.6 s, so retries and the redrive policy act in
  // seconds; handlers still run in real time.
  cloud = await startLocalCloud({
    stack: "dev",
    service: "orders",
    port: 0,
    writeOutputsFile: false,
    emulators: withDynamoFaults(allEmulators({ timeScale: 300 }), faults, random),
  });
  aws = awsClients(cloud.endpoint);
  // The archive lane is not under test (see above): its subscription goes, so the consumers under test get the CPU.
  const archiveQueue = outputOf(cloud.resources, "aws:sqs/queue:Queue", "orders-archive-queue", "arn");
  const topicArn = String(cloud.outputs.ordersTopicArn);
  const { Subscriptions = [] } = await aws.sns.send(
    new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
  );
  const archive = Subscriptions.filter((subscription) => subscription.Endpoint === archiveQueue);
  expect(archive).toHaveLength(1);
  for (const { SubscriptionArn } of archive) await aws.sns.send(new UnsubscribeCommand({ SubscriptionArn }));
  phase("cloud started");
});

afterAll(async () => {
  if (process.env.SWITCHYARD_CHAOS_TIMINGS)
    console.info(
      `chaos phases (ms): ${JSON.stringify(timings)}; ${JSON.stringify({ ...stats, injected: faults.injected, killed: killed.count })}`,
    );
  setInvocationFaultHook();
  if (aws) destroyClients(aws);
  await cloud?.close();
});

interface Order {
  eventType: "ORDER_CREATED";
  orderId: string;
  version: number;
  customerId: string;
  priority: "NORMAL";
  orderValue: number;
  currency: string;
  occurredAt: string;
  items: Array<{ sku: string; quantity: number }>;
}

/** Every item of a table whose `pk` starts with `prefix` (paginated Scan). */
async function scan(table: string, prefix: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
  do {
    const page = await aws.dynamodb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "begins_with(pk, :prefix)",
        ExpressionAttributeValues: { ":prefix": S(prefix) },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(page.Items ?? []).map(unmarshall));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Visible + in flight + delayed messages of a queue, by logical name. */
async function depth(logicalName: string): Promise<number> {
  const counts = await queueCounts(aws.sqs, await queueUrl(aws.sqs, queueName(cloud.resources, logicalName)));
  return counts.visible + counts.inFlight + counts.delayed;
}

/**
 * Every dead letter of a DLQ, by message id. One `ops.peek` may miss some: it hides what it reads for 30 s, which
 * the 300x clock makes 0.1 s, so on a loaded machine the first messages reappear (and end its read) before the
 * rest are reached. Peeks are repeated until they have seen as many messages as the queue holds.
 */
async function allLetters(ops: Ops, dlq: string): Promise<DeadLetter[]> {
  const byId = new Map<string, DeadLetter>();
  return eventually(
    async () => {
      for (const letter of (await ops.peek(dlq, 1000)).messages) byId.set(letter.messageId, letter);
      expect(byId.size, `${dlq}: dead letters read`).toBeGreaterThanOrEqual(await depth(dlq));
      return [...byId.values()];
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

describe("chaos: order events through the local cloud with injected faults", () => {
  // 2,000 events through two consumers and a redrive: about a minute on a quiet machine, minutes on a loaded one.
  it("applies every event exactly once or dead-letters it with its reason; a redrive completes the set", {
    timeout: 420_000,
  }, async () => {
    const run = unique("chaos").replace(/[^A-Za-z0-9]/g, "");
    const day = "2031-07-01";
    const sku = (i: number) => `${run}.sku-${i % SKUS}`;
    const events: Order[] = Array.from({ length: EVENTS }, (_, i) => ({
      eventType: "ORDER_CREATED",
      orderId: `${run}-${i}`,
      version: 1,
      customerId: `cust-${i % 97}`,
      priority: "NORMAL",
      orderValue: 10 + (i % 50),
      currency: "EUR",
      occurredAt: `${day}T10:00:00Z`,
      items: [{ sku: sku(i), quantity: 1 + (i % 3) }],
    }));
    const expectedStock = new Map<string, number>();
    for (const event of events) {
      for (const line of event.items)
        expectedStock.set(line.sku, (expectedStock.get(line.sku) ?? 0) + line.quantity);
    }
    const expectedCents = events.reduce((sum, event) => sum + Math.round(event.orderValue * 100), 0);
    const duplicates = events.filter(() => random() < 0.05);
    expect(duplicates.length).toBeGreaterThan(EVENTS * 0.02);

    const inventoryTable = tableName(cloud.resources, "orders-inventory");
    const analyticsTable = tableName(cloud.resources, "orders-analytics");
    const consumers = new Set(
      ["orders-inventory-function", "orders-analytics-function"].map((name) =>
        outputOf(cloud.resources, "aws:lambda/function:Function", name, "name"),
      ),
    );
    const invocations = new Map<string, number>();
    setInvocationFaultHook((functionName) => {
      if (!consumers.has(functionName)) return undefined;
      const n = (invocations.get(functionName) ?? 0) + 1;
      invocations.set(functionName, n);
      // The 3rd invocation of each consumer for sure, then about 1% of them (each kill costs a cold start).
      if (n !== 3 && random() >= 0.01) return undefined;
      killed.count++;
      return { killAfterMs: 20 + Math.floor(random() * 200) };
    });

    // Publish (the duplicates interleaved, as a producer's retries would be); then the inventory table goes down
    // while the consumers work through the backlog.
    const topicArn = String(cloud.outputs.ordersTopicArn);
    const stream = [...events, ...duplicates].sort((a, b) => a.orderId.localeCompare(b.orderId));
    await publishOrderEvents(aws.sns, { topicArn }, stream);
    phase("published");
    faults.outage.add(inventoryTable);
    // The outage lasts until the redrive policy's window has passed for some events: they are dead-lettered.
    await eventually(async () => expect(await depth("orders-inventory-dlq")).toBeGreaterThanOrEqual(10), {
      timeoutMs: 40_000,
      intervalMs: 250,
    });
    faults.outage.clear();
    phase("outage");

    // Everything delivered has been consumed (or dead-lettered).
    await eventually(
      async () => {
        expect(await depth("orders-inventory-queue")).toBe(0);
        expect(await depth("orders-analytics-queue")).toBe(0);
      },
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    setInvocationFaultHook();
    phase("drained");
    expect(faults.injected.conflict).toBeGreaterThan(EVENTS * 0.05);
    expect(faults.injected.lostAnswer).toBeGreaterThan(0);
    expect(faults.injected.outage).toBeGreaterThan(0);
    expect(killed.count).toBeGreaterThan(0);
    const functions = await localView<Array<{ name: string; crashes: number }>>(
      cloud.endpoint,
      "lambda/functions",
    );
    expect(
      functions.filter((f) => consumers.has(f.name)).reduce((sum, f) => sum + f.crashes, 0),
    ).toBeGreaterThan(0);

    const inventoryFunction = outputOf(
      cloud.resources,
      "aws:lambda/function:Function",
      "orders-inventory-function",
      "name",
    );
    const history = new Map<string, string[]>();
    const remember = (orderId: string, fact: string) =>
      history.set(orderId, [...(history.get(orderId) ?? []), fact]);
    /**
     * Where events that should have been applied were last seen: the failure message of a run that lost some,
     * so a loss names its events and its trail (dead letters before the redrive, queues and DLQs now, the
     * inventory consumer's log lines that mention them or their messages).
     */
    const whereAre = async (missing: string[], letters: DeadLetter[]): Promise<string> => {
      const lines: string[] = ["where they were last seen:"];
      const queues: Record<string, Array<Record<string, unknown>>> = {};
      for (const logical of ["orders-inventory-queue", "orders-inventory-dlq"]) {
        queues[logical] = await localView(cloud.endpoint, "sqs/messages", {
          queue: queueName(cloud.resources, logical),
        });
      }
      const logs = await localView<Array<{ line: string }>>(cloud.endpoint, "lambda/logs", {
        function: inventoryFunction,
      });
      const mappings = await localView(cloud.endpoint, "lambda/event-source-mappings");
      for (const orderId of missing) {
        lines.push(`- ${orderId}`);
        for (const fact of history.get(orderId) ?? []) lines.push(`  before: ${fact}`);
        for (const letter of letters.filter((l) => l.body.includes(`"${orderId}"`)))
          lines.push(`  in the DLQ now: ${letter.messageId} ${letter.reason}`);
        const ids = new Set<string>();
        for (const [logical, messages] of Object.entries(queues)) {
          for (const m of messages.filter((m) => String(m.body).includes(`"${orderId}"`))) {
            ids.add(String(m.messageId));
            lines.push(`  ${logical}: ${JSON.stringify({ ...m, body: undefined })}`);
          }
        }
        for (const fact of history.get(orderId) ?? [])
          for (const id of fact.match(/[0-9a-f-]{36}/g) ?? []) ids.add(id);
        for (const line of logs.map((l) => l.line)) {
          if (line.includes(`"${orderId}"`) || [...ids].some((id) => line.includes(id)))
            lines.push(`  log: ${line.slice(0, 400)}`);
        }
      }
      lines.push(
        `queue depths: ${JSON.stringify(Object.fromEntries(Object.entries(queues).map(([k, v]) => [k, v.length])))}`,
      );
      lines.push(`event source mappings: ${JSON.stringify(mappings)}`);
      return lines.join("\n");
    };

    /** What the last complete check found missing (for the probe). */
    let unapplied: { missing: string[]; letters: DeadLetter[] } = { missing: [], letters: [] };

    const ops = new Ops(localStackFrom(cloud.endpoint, cloud.outputs, "dev"));
    try {
      // Every event is applied once (its marker) or sits in the DLQ with its reason; totals reconcile.
      const check = async (complete: boolean) => {
        const markers = await scan(inventoryTable, `EVENT#${run}-`);
        const applied = new Set(markers.map((m) => String(m.pk).slice("EVENT#".length, -"#1".length)));
        const letters = await allLetters(ops, "orders-inventory-dlq");
        // Each with its reason: recorded by the handler (`switchyard.failure.reason`), or, for a consumer killed
        // during a message's last receive, the redrive policy's own move, which ops names as such.
        for (const letter of letters) {
          expect(letter.reason, letter.body.slice(0, 200)).toMatch(
            /still failing after \d+ receives \(transient\)|moved by SQS after \d+ receives? \(maxReceiveCount\)/,
          );
        }
        const parked = new Set(letters.map((l) => (JSON.parse(l.body) as Order).orderId));
        for (const event of events) {
          expect(applied.has(event.orderId) || parked.has(event.orderId), event.orderId).toBe(true);
        }
        const stock = new Map<string, number>();
        for (const event of events.filter((e) => applied.has(e.orderId))) {
          for (const line of event.items) stock.set(line.sku, (stock.get(line.sku) ?? 0) + line.quantity);
        }
        const stored = await scan(inventoryTable, `SKU#${run}.`);
        expect(new Map(stored.map((item) => [String(item.pk).slice(4), Number(item.reserved)]))).toEqual(
          new Map([...stock].filter(([, n]) => n !== 0)),
        );
        if (complete) {
          const missing = events.filter((e) => !applied.has(e.orderId)).map((e) => e.orderId);
          unapplied = { missing, letters };
          if (missing.length > 0) {
            throw new Error(
              `${missing.length} of ${EVENTS} events not applied after the redrive: ${missing.slice(0, 10).join(", ")}`,
            );
          }
          expect(letters).toEqual([]);
          expect(new Map(stored.map((item) => [String(item.pk).slice(4), Number(item.reserved)]))).toEqual(
            expectedStock,
          );
        }
        return { applied: applied.size, parked: parked.size, letters };
      };
      const before = await check(false);
      expect(before.parked).toBeGreaterThan(0);
      expect(
        before.letters.some((l) => /still failing after \d+ receives \(transient\)/.test(l.reason)),
      ).toBe(true);

      // Analytics: counted once per event (or dead-lettered); its DLQ holds only what the faults exhausted.
      const analyticsLetters = await allLetters(ops, "orders-analytics-dlq");
      const countedBefore = await scan(analyticsTable, `EVENT#${run}-`);
      expect(countedBefore.length + analyticsLetters.length).toBeGreaterThanOrEqual(EVENTS);

      // Every fault removed (the outage, and the conflicts and lost answers too: left on, a redriven event could
      // fail its 3 receives again and be dead-lettered again, with its reason, about once in a thousand), redrive
      // both DLQs: the set completes, nothing applied twice.
      removeDynamoFaults(faults);
      const injected = { ...faults.injected };
      for (const letter of before.letters) {
        const orderId = (JSON.parse(letter.body) as Order).orderId;
        const original = letter.attributes["switchyard.failure.messageId"]?.StringValue ?? "";
        remember(
          orderId,
          `dead letter ${letter.messageId} (of ${original}, ${letter.receiveCount} receives): ${letter.reason}`,
        );
      }
      stats.parked = before.letters.length;
      stats.analyticsParked = analyticsLetters.length;
      phase("checked");
      const redriven = await ops.redrive("orders-inventory-dlq", { rate: 1000 });
      for (const outcome of redriven.messages) {
        const letter = before.letters.find((l) => l.messageId === outcome.messageId);
        if (letter)
          remember(
            (JSON.parse(letter.body) as Order).orderId,
            `redrive of ${outcome.messageId}: ${outcome.outcome} ${outcome.detail ?? ""}`,
          );
      }
      expect(redriven.moved).toBe(before.letters.length);
      if (analyticsLetters.length > 0) await ops.redrive("orders-analytics-dlq", { rate: 1000 });
      phase("redriven");
      await eventually(
        async () => {
          unapplied = { missing: [], letters: [] };
          expect(await depth("orders-inventory-queue")).toBe(0);
          expect(await depth("orders-analytics-queue")).toBe(0);
          await check(true);
        },
        // The redriven letters (tens) drain in seconds; a run that misses events ends here with the probe's report.
        { timeoutMs: 120_000, intervalMs: 500 },
      ).catch(async (error: unknown) => {
        if (error instanceof Error && unapplied.missing.length > 0)
          error.message += `\n${await whereAre(unapplied.missing, unapplied.letters)}`;
        throw error;
      });
      phase("completed");
      expect(faults.injected, "faults injected after they were removed").toEqual(injected);
      const counted = await scan(analyticsTable, `EVENT#${run}-`);
      expect(counted).toHaveLength(EVENTS);
      expect(await depth("orders-analytics-dlq")).toBe(0);
      const [dayTotals] = await scan(analyticsTable, `DAY#${day}`).then((items) =>
        items.filter((item) => item.sk === "ORDER_CREATED#EUR"),
      );
      // The cloud is this file's alone (in memory), so the day's totals are this run's.
      expect(dayTotals).toMatchObject({ eventCount: EVENTS, totalCents: expectedCents });
    } finally {
      destroyOpsClients(ops.clients);
    }
  });
});
