import { PermanentError, TransientError } from "@switchyard/runtime-kit";
import { describe, expect, it } from "vitest";
import { settleBounded } from "../../src/domain/concurrency";
import { deliverToUser } from "../../src/domain/deliver";
import { extractToken, selectedProtocol } from "../../src/domain/token";

describe("extractToken", () => {
  it.each([
    ["the query string", { queryStringParameters: { token: "q.q.q" } }, { token: "q.q.q", source: "query" }],
    [
      "the subprotocol list",
      { headers: { "Sec-WebSocket-Protocol": "switchyard.v1, p.p.p" } },
      { token: "p.p.p", source: "protocol" },
    ],
    [
      "a lower-case header",
      { headers: { "sec-websocket-protocol": "p.p.p,switchyard.v1" } },
      { token: "p.p.p", source: "protocol" },
    ],
    [
      "both (the query string wins)",
      {
        queryStringParameters: { token: "q.q.q" },
        headers: { "Sec-WebSocket-Protocol": "switchyard.v1, p.p.p" },
      },
      { token: "q.q.q", source: "query" },
    ],
    [
      "a subprotocol list without switchyard.v1",
      { headers: { "Sec-WebSocket-Protocol": "chat, p.p.p" } },
      undefined,
    ],
    ["switchyard.v1 alone", { headers: { "Sec-WebSocket-Protocol": "switchyard.v1" } }, undefined],
    ["nothing", {}, undefined],
  ])("reads a token from %s", (_, request, expected) => {
    // Act
    const found = extractToken(request);

    // Assess
    expect(found).toEqual(expected);
  });

  it.each([
    [{ headers: { "Sec-WebSocket-Protocol": "switchyard.v1, p.p.p" } }, "switchyard.v1"],
    [{ headers: { "Sec-WebSocket-Protocol": "chat" } }, undefined],
    [{}, undefined],
  ])("selects the subprotocol only when offered (%j)", (request, expected) => {
    // Act + Assess
    expect(selectedProtocol(request)).toBe(expected);
  });
});

describe("settleBounded", () => {
  it("never has more than the limit in flight and keeps results in order", async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const work = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      if (n === 3) throw new Error("three");
      return n * 2;
    };

    // Act
    const results = await settleBounded([1, 2, 3, 4, 5, 6, 7], 3, work);

    // Assess
    expect(most).toBe(3);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "failed"))).toEqual([
      2,
      4,
      "failed",
      8,
      10,
      12,
      14,
    ]);
  });
});

describe("deliverToUser", () => {
  const ports = (outcomes: Record<string, "sent" | "gone" | Error>) => {
    const deleted: string[] = [];
    return {
      deleted,
      connectionsOf: async () => Object.keys(outcomes),
      deleteConnection: async (id: string) => {
        deleted.push(id);
      },
      post: async (id: string) => {
        const outcome = outcomes[id];
        if (outcome instanceof Error) throw outcome;
        return outcome ?? "sent";
      },
    };
  };
  const clientError = () =>
    Object.assign(new Error("too large"), {
      name: "PayloadTooLargeException",
      $fault: "client",
      $metadata: { httpStatusCode: 413 },
    });

  it("reports sent and gone, deleting gone connections", async () => {
    // Prepare
    const given = ports({ a: "sent", b: "gone", c: "sent" });

    // Act
    const report = await deliverToUser(given, "u", "{}", 2);

    // Assess
    expect(report).toEqual({ connections: 3, sent: 2, gone: 1 });
    expect(given.deleted).toEqual(["b"]);
  });

  it.each([
    ["a client error everywhere", { a: clientError() }, PermanentError],
    [
      "a client error and a throttle",
      {
        a: clientError(),
        b: Object.assign(new Error("slow"), {
          name: "LimitExceededException",
          $metadata: { httpStatusCode: 429 },
        }),
      },
      TransientError,
    ],
    ["an unknown error", { a: new Error("socket hang up") }, TransientError],
  ])("classifies %s", async (_, outcomes, kind) => {
    // Act
    const outcome = deliverToUser(ports(outcomes), "u", "{}", 2);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(kind);
    await expect(outcome).rejects.toThrow(/connections failed/);
  });

  it("skips the excluded connection", async () => {
    // Prepare
    const given = ports({ me: "sent", other: "sent" });

    // Act
    const report = await deliverToUser(given, "u", "{}", 2, "me");

    // Assess
    expect(report).toEqual({ connections: 1, sent: 1, gone: 0 });
  });
});
