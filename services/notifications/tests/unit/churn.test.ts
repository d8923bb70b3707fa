import { GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { awsMocks, handlerEnv, notificationRecord } from "./fixture";

// WebSocket churn at handler level: clients connect and drop abruptly while notifications flow through the real
// sender handler. Every live client receives everything meant for it exactly once (by id, after client-side
// de-duplication of retries, and with no duplicate posts at all when nothing fails), and each dropped connection
// is deleted after its first failed delivery and never posted to again.

handlerEnv({ POST_CONCURRENCY: "4", POWERTOOLS_LOG_LEVEL: "SILENT" });
const { handler } = await import("../../src/handlers/sender");
const { ddb, api, sqs, reset } = awsMocks();

/** The connections table as the sender sees it, and the sockets as API Gateway sees them. */
function world() {
  const stored = new Map<string, string>(); // connectionId -> userId (the table)
  const open = new Set<string>(); // sockets still open at API Gateway
  const received = new Map<string, string[]>(); // connectionId -> frame ids, in order
  const postsAfterDelete: string[] = [];
  const deleted: string[] = [];
  const inbox = new Map<string, Record<string, unknown>>();
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    const user = input.ExpressionAttributeValues[":user"];
    if (input.ExpressionAttributeValues[":sk"] === "user#") {
      return { Items: [...stored].filter(([, u]) => u === user).map(([pk]) => ({ pk })) };
    }
    return { Count: [...inbox.values()].filter((item) => item.userId === user).length };
  });
  ddb.on(DeleteCommand).callsFake((input: { Key: { pk: string } }) => {
    deleted.push(input.Key.pk);
    stored.delete(input.Key.pk);
    return {};
  });
  ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
    inbox.set(`${input.Item.pk}|${input.Item.sk}`, input.Item);
    return {};
  });
  ddb.on(UpdateCommand).resolves({});
  ddb.on(GetCommand).resolves({});
  api.on(PostToConnectionCommand).callsFake((input: { ConnectionId: string; Data: string }) => {
    if (deleted.includes(input.ConnectionId)) postsAfterDelete.push(input.ConnectionId);
    if (!open.has(input.ConnectionId))
      throw new GoneException({ message: "Gone", $metadata: { httpStatusCode: 410 } });
    const frame = JSON.parse(String(input.Data)) as { id: string };
    received.set(input.ConnectionId, [...(received.get(input.ConnectionId) ?? []), frame.id]);
    return {};
  });
  return {
    stored,
    open,
    received,
    deleted,
    postsAfterDelete,
    connect(id: string, user: string) {
      stored.set(id, user);
      open.add(id);
    },
    /** The client vanishes: the socket is gone, but its table item stays until a post finds out. */
    drop(id: string) {
      open.delete(id);
    },
  };
}

const notification = (i: number, userId: string): SQSRecord =>
  notificationRecord(
    i % 2 === 0
      ? { userId, type: "feedback", message: `update ${i}`, notificationId: `n-${i}` }
      : {
          userId,
          type: "actionable",
          message: `update ${i}`,
          callback: "https://app.example.com/x",
          notificationId: `n-${i}`,
        },
    { id: `evt-${i}`, messageId: `m-${i}`, time: "2026-01-01T12:00:00Z" },
  );

beforeEach(reset);

describe("WebSocket churn", () => {
  it("delivers every notification once to every live client and removes each dropped one at its first failed post", async () => {
    // Prepare: 3 users, a few tabs each.
    const w = world();
    const users = ["u-1", "u-2", "u-3"];
    let next = 0;
    const connectNew = (user: string) => {
      const id = `c-${next++}`;
      w.connect(id, user);
      return id;
    };
    for (const user of users) for (let tab = 0; tab < 3; tab++) connectNew(user);
    const expectedFor = new Map<string, string[]>(); // connectionId -> ids it must get
    const droppedAt = new Map<string, number>();

    // Act: 120 notifications; between them clients connect and drop abruptly.
    for (let i = 0; i < 120; i++) {
      if (i % 7 === 3) connectNew(users[i % 3] as string);
      if (i % 5 === 1) {
        const victim = [...w.open][i % w.open.size];
        if (victim) {
          w.drop(victim);
          droppedAt.set(victim, i);
        }
      }
      const user = users[i % 3] as string;
      for (const id of w.open) {
        if (w.stored.get(id) === user) expectedFor.set(id, [...(expectedFor.get(id) ?? []), `n-${i}`]);
      }
      const response = (await handler(
        sqsEvent([notification(i, user)]),
        lambdaContext({ functionName: "notifications-sender" }),
        () => undefined,
      )) as SQSBatchResponse;
      expect(response.batchItemFailures).toEqual([]);
    }
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0); // nothing dead-lettered

    // Assess: every live client got exactly what was meant for it, once, in order.
    for (const id of w.open) expect(w.received.get(id) ?? []).toEqual(expectedFor.get(id) ?? []);
    // Dropped clients got everything up to their drop, and nothing after.
    for (const [id, at] of droppedAt) {
      expect(w.received.get(id) ?? []).toEqual(
        (expectedFor.get(id) ?? []).filter((n) => Number(n.slice(2)) < at),
      );
    }
    // Each dropped connection that was posted to after its drop is deleted once, and never posted to again.
    const postedAfterDrop = [...droppedAt.keys()].filter((id) => !w.stored.has(id));
    expect(new Set(w.deleted)).toEqual(new Set(postedAfterDrop));
    expect(w.deleted).toHaveLength(new Set(w.deleted).size);
    expect(w.postsAfterDelete).toEqual([]);
    expect(droppedAt.size).toBeGreaterThan(10);
  });
});
