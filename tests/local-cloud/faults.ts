import { ServerResponse } from "node:http";
import type { EmulatorFactories, ServiceEmulator } from "@switchyard/local-cloud";

/**
 * A DynamoDB endpoint with injected faults, for the chaos suite: it wraps the local cloud's own DynamoDB
 * emulator (passed to `startLocalCloud({ emulators })`), so the handlers under test run their production code
 * paths unchanged and meet the faults where a deployed stack meets them, on the wire. Only writes are
 * disturbed (`TransactWriteItems`, `PutItem`, `UpdateItem`, `DeleteItem`); the test's own reads never are.
 */
export interface DynamoFaults {
  /** Share of transactional writes answered `TransactionCanceledException` (TransactionConflict) untried. */
  conflictRate: number;
  /**
   * Share of transactional writes that are applied, after which the connection is cut before the answer: the
   * caller sees a socket error (a timeout, to it) on a write that did land, and retries it.
   */
  lostAnswerRate: number;
  /** Tables that answer every write with 503 ServiceUnavailable (an outage). */
  outage: Set<string>;
  /** What was injected, by kind. */
  readonly injected: { conflict: number; lostAnswer: number; outage: number };
}

const WRITES = new Set(["TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);

/** The tables a write request names (one for item writes; every item's table for transactions). */
function tablesOf(operation: string, input: Record<string, unknown>): string[] {
  if (typeof input.TableName === "string") return [input.TableName];
  if (operation === "TransactWriteItems" && Array.isArray(input.TransactItems)) {
    return input.TransactItems.flatMap((item: Record<string, { TableName?: string }>) =>
      Object.values(item)
        .map((op) => op?.TableName)
        .filter((name): name is string => typeof name === "string"),
    );
  }
  if (operation === "BatchWriteItem" && input.RequestItems && typeof input.RequestItems === "object")
    return Object.keys(input.RequestItems);
  return [];
}

function sendError(res: ServerResponse, status: number, type: string, body: Record<string, unknown>): void {
  const text = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, ...body });
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-errortype": type,
  });
  res.end(text);
}

/**
 * Every emulator of `base`, with DynamoDB wrapped by the faults `faults` describes (changeable while the
 * cloud runs). `random` picks which requests fail (seed it to replay a run).
 */
export function withDynamoFaults(
  base: EmulatorFactories,
  faults: DynamoFaults,
  random: () => number,
): EmulatorFactories {
  const inner = base.dynamodb;
  if (!inner) throw new Error("withDynamoFaults: the base emulators have no DynamoDB");
  return {
    ...base,
    dynamodb: (ctx) => {
      const emulator = inner(ctx);
      const handle: ServiceEmulator["handle"] = async (req, res, body) => {
        const target = String(req.headers["x-amz-target"] ?? "");
        const operation = target.split(".").at(-1) ?? "";
        if (!WRITES.has(operation)) return emulator.handle(req, res, body);
        let input: Record<string, unknown> = {};
        try {
          input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        } catch {
          return emulator.handle(req, res, body);
        }
        if (tablesOf(operation, input).some((table) => faults.outage.has(table))) {
          faults.injected.outage++;
          return sendError(res, 503, "ServiceUnavailable", { message: "injected: table outage" });
        }
        if (operation !== "TransactWriteItems") return emulator.handle(req, res, body);
        const roll = random();
        if (roll < faults.conflictRate) {
          faults.injected.conflict++;
          const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
          return sendError(res, 400, "TransactionCanceledException", {
            message:
              "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
            CancellationReasons: items.map((_, index) =>
              index === 0
                ? { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }
                : { Code: "None" },
            ),
          });
        }
        if (roll < faults.conflictRate + faults.lostAnswerRate) {
          faults.injected.lostAnswer++;
          // Applied for real, its answer written nowhere, then the caller's connection cut.
          await emulator.handle(req, new ServerResponse(req), body);
          req.socket.destroy();
          return;
        }
        return emulator.handle(req, res, body);
      };
      return Object.assign(Object.create(emulator) as typeof emulator, { handle });
    },
  };
}

/**
 * Removes every DynamoDB fault (conflicts, lost answers, outages); what was injected stays counted. A test that
 * asserts that something completes "once the faults are gone" must call this first: a fault left on keeps
 * failing writes, and with the dev stack's `maxReceiveCount` of 3 a redriven event that meets a 10% conflict rate
 * is dead-lettered again (correctly, with its reason) once in a thousand.
 */
export function removeDynamoFaults(faults: DynamoFaults): void {
  faults.conflictRate = 0;
  faults.lostAnswerRate = 0;
  faults.outage.clear();
}

/** A deterministic pseudo-random sequence (mulberry32), so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
