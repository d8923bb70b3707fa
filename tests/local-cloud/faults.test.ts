import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorFactories, LocalContext, ServiceEmulator } from "@switchyard/local-cloud";
import { afterEach, describe, expect, it } from "vitest";
import { type DynamoFaults, removeDynamoFaults, seededRandom, withDynamoFaults } from "./faults";

/**
 * The chaos suite's DynamoDB fault wrapper, on its own: a stand-in emulator behind it, requests over HTTP. The
 * chaos suite relies on `removeDynamoFaults` before its redrive: a fault left on kept failing redriven events (a
 * 10% conflict rate left on dead-lettered one redriven event in a thousand again, with maxReceiveCount 3).
 */

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A DynamoDB stand-in that applies every request (counted) and answers `{}`, wrapped with `faults`. */
async function wrapped(faults: DynamoFaults): Promise<{ url: string; applied: string[] }> {
  const applied: string[] = [];
  const inner: ServiceEmulator = {
    signingNames: ["dynamodb"],
    provision: () => undefined,
    handle: (req, res) => {
      applied.push(String(req.headers["x-amz-target"]).split(".").at(-1) ?? "");
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end("{}");
    },
  };
  const factories = withDynamoFaults({ dynamodb: () => inner } as EmulatorFactories, faults, seededRandom(7));
  const emulator = factories.dynamodb?.({} as LocalContext) as ServiceEmulator;
  const listening = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => void emulator.handle(req, res, Buffer.concat(chunks)));
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/`, applied };
}

const transaction = (table: string) =>
  JSON.stringify({ TransactItems: [{ Put: { TableName: table, Item: { pk: { S: "k" } } } }] });

/** Sends one DynamoDB call; the status, or "cut" when the connection was cut before an answer. */
async function send(url: string, operation: string, body: string): Promise<number | "cut"> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "x-amz-target": `DynamoDB_20120810.${operation}`, connection: "close" },
      body,
    });
    await response.text();
    return response.status;
  } catch {
    return "cut";
  }
}

const fresh = (): DynamoFaults => ({
  conflictRate: 0.1,
  lostAnswerRate: 0.03,
  outage: new Set(["inventory"]),
  injected: { conflict: 0, lostAnswer: 0, outage: 0 },
});

describe("withDynamoFaults", () => {
  it("fails writes as configured: an outage answers 503, conflicts answer 400 unapplied, lost answers apply and cut", async () => {
    // Prepare
    const faults = fresh();
    const { url, applied } = await wrapped(faults);

    // Act
    const outage = await send(url, "PutItem", JSON.stringify({ TableName: "inventory" }));
    const results = [];
    for (let i = 0; i < 200; i++)
      results.push(await send(url, "TransactWriteItems", transaction("analytics")));

    // Assess
    expect(outage).toBe(503);
    expect(faults.injected.outage).toBe(1);
    expect(results.filter((r) => r === 400)).toHaveLength(faults.injected.conflict);
    expect(results.filter((r) => r === "cut")).toHaveLength(faults.injected.lostAnswer);
    expect(faults.injected.conflict).toBeGreaterThan(5);
    expect(faults.injected.lostAnswer).toBeGreaterThan(0);
    // Conflicts never reach the table; lost answers do (the write happened).
    expect(applied).toHaveLength(200 - faults.injected.conflict);
  });

  it("after removeDynamoFaults, every write goes through and is answered, and nothing more is injected", async () => {
    // Prepare
    const faults = fresh();
    const { url, applied } = await wrapped(faults);
    removeDynamoFaults(faults);

    // Act
    const results = [await send(url, "PutItem", JSON.stringify({ TableName: "inventory" }))];
    for (let i = 0; i < 200; i++)
      results.push(await send(url, "TransactWriteItems", transaction("inventory")));

    // Assess
    expect(results.every((r) => r === 200)).toBe(true);
    expect(applied).toHaveLength(201);
    expect(faults.injected).toEqual({ conflict: 0, lostAnswer: 0, outage: 0 });
  });
});
