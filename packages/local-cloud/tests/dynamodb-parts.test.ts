import { afterEach, describe, expect, it, vi } from "vitest";
import { keyOf, unmarshall, unmarshallItem } from "../src/services/dynamodb/items";
import { ReadWriteLock } from "../src/services/dynamodb/lock";
import type { DynaliteStore } from "../src/services/dynamodb/store";
import { Transactions } from "../src/services/dynamodb/transactions";
import { expiredCondition, FIVE_YEARS_S } from "../src/services/dynamodb/ttl";

describe("dynamodb items", () => {
  it("unmarshalls every attribute type to plain JSON", () => {
    expect(
      unmarshallItem({
        s: { S: "a" },
        n: { N: "42" },
        f: { N: "1.5" },
        big: { N: "12345678901234567890" },
        b: { BOOL: true },
        nil: { NULL: true },
        ss: { SS: ["x", "y"] },
        ns: { NS: ["1", "2"] },
        l: { L: [{ S: "x" }, { N: "3" }] },
        m: { M: { inner: { S: "v" } } },
      }),
    ).toEqual({
      s: "a",
      n: 42,
      f: 1.5,
      big: "12345678901234567890",
      b: true,
      nil: null,
      ss: ["x", "y"],
      ns: [1, 2],
      l: ["x", 3],
      m: { inner: "v" },
    });
    expect(unmarshall("plain")).toBe("plain");
    expect(unmarshall({ X: 1 })).toEqual({ X: 1 });
  });

  it("takes the key attributes of an item", () => {
    expect(keyOf({ pk: { S: "a" }, sk: { N: "1" }, other: { S: "x" } }, ["pk", "sk"])).toEqual({
      pk: { S: "a" },
      sk: { N: "1" },
    });
  });
});

describe("dynamodb ttl", () => {
  it("counts as expired a Number before now and within five years", () => {
    const condition = expiredCondition("expiresAt", 1_000_000_000);
    expect(condition.expression).toBe("#ttl < :now AND #ttl >= :oldest");
    expect(condition.names).toEqual({ "#ttl": "expiresAt" });
    expect(condition.values).toEqual({
      ":now": { N: "1000000000" },
      ":oldest": { N: String(1_000_000_000 - FIVE_YEARS_S) },
    });
  });
});

describe("dynamodb readers-writer lock", () => {
  it("runs shared tasks together and an exclusive one alone, in arrival order", async () => {
    const lock = new ReadWriteLock();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = lock.shared(async () => {
      events.push("shared1 start");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      events.push("shared1 end");
    });
    const second = lock.shared(async () => {
      events.push("shared2 start");
    });
    const exclusive = lock.exclusive(async () => {
      events.push("exclusive");
    });
    // Arrived after the waiting exclusive task: waits for it (fairness).
    const third = lock.shared(async () => {
      events.push("shared3");
    });
    await second;
    expect(events).toEqual(["shared1 start", "shared2 start"]);
    releaseFirst();
    await Promise.all([first, exclusive, third]);
    expect(events).toEqual(["shared1 start", "shared2 start", "shared1 end", "exclusive", "shared3"]);
  });

  it("releases the lock when a task fails", async () => {
    const lock = new ReadWriteLock();
    await expect(lock.exclusive(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.exclusive(async () => "next")).resolves.toBe("next");
  });
});

describe("dynamodb transaction tokens", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("remembers a ClientRequestToken for 10 minutes, then applies a request with it again", async () => {
    const updates: string[] = [];
    const store = {
      request: async (operation: string, input: Record<string, unknown>) => {
        if (operation === "DescribeTable")
          return { Table: { KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }] } };
        if (operation === "UpdateItem") updates.push(JSON.stringify(input.Key));
        return {};
      },
    } as unknown as DynaliteStore;
    const transactions = new Transactions(store);
    let now = Date.parse("2031-07-01T10:00:00Z");
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const write = (token: string, pk: string) =>
      transactions.write({
        ClientRequestToken: token,
        TransactItems: [
          {
            Update: {
              TableName: "t",
              Key: { pk: { S: pk } },
              UpdateExpression: "ADD n :one",
              ExpressionAttributeValues: { ":one": { N: "1" } },
            },
          },
        ],
      });
    await write("a", "1");
    now += 5 * 60_000;
    await write("b", "2");
    await write("a", "1"); // within 10 minutes of its first use: not applied again
    expect(updates).toHaveLength(2);
    now += 5 * 60_000 + 1; // "a" is 10 min + 1 ms old, "b" 5 min + 1 ms
    await write("a", "1");
    await write("b", "2");
    expect(updates).toHaveLength(3);
    await expect(write("b", "other")).rejects.toMatchObject({ code: "IdempotentParameterMismatchException" });
    now += 10 * 60_000 + 1; // both expired: "b" may be reused with other parameters
    await write("b", "other");
    await write("a", "1");
    expect(updates).toHaveLength(5);
  });
});
