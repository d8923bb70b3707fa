import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { sendUserNotification } from "@switchyard/contracts";
import { type LocalCloud, setInvocationFaultHook, startLocalCloud } from "@switchyard/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  RecordingSocket,
  S,
  tableName,
  UpgradeRefused,
  unique,
  unmarshall,
} from "./harness";

/**
 * WebSocket churn against the local cloud (issue 14): real WebSocket clients connect through the real `$connect`
 * authorizer and drop abruptly (TCP cut, no close frame) while notifications flow from the notifications bus
 * through the send rule, the sends queue and the sender to `@connections`. `$disconnect` is best effort on AWS;
 * here it is made to fail for every dropped client (its worker is killed through the local Lambda runtime's
 * test-only fault hook), so each dropped client leaves a stale connection row, as a lost `$disconnect` does.
 *
 * Every live client receives every notification meant for it exactly once (by notification id), and each stale
 * connection is gone after its first failed delivery (the 410 deletes it; nothing is dead-lettered).
 */

const STEPS = 36;
/** Waits sized for a loaded machine (they end as soon as the check passes). */
const LOADED = { timeoutMs: 60_000 };
const USERS = 3;

let cloud: LocalCloud;
let aws: AwsClients;
const sockets: RecordingSocket[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ stack: "dev", service: "notifications", port: 0, writeOutputsFile: false });
  aws = awsClients(cloud.endpoint);
});

afterAll(async () => {
  setInvocationFaultHook();
  await Promise.all(sockets.map((socket) => socket.close()));
  if (aws) destroyClients(aws);
  await cloud?.close();
});

const output = (key: string): string => String(cloud.outputs[key]);

/** The connection ids stored for a user (GSI1), as the sender finds them. */
async function storedConnections(userId: string): Promise<string[]> {
  const { Items = [] } = await aws.dynamodb.send(
    new QueryCommand({
      TableName: tableName(cloud.resources, "notifications-table"),
      IndexName: "GSI1",
      KeyConditionExpression: "GSI1PK = :user AND GSI1SK = :sk",
      ExpressionAttributeValues: { ":user": S(userId), ":sk": S("user#") },
    }),
  );
  return Items.map((item) => String(unmarshall(item).pk));
}

interface Tab {
  userId: string;
  connectionId: string;
  socket: RecordingSocket;
  /** Index of the first notification sent after it connected. */
  from: number;
  droppedAt?: number;
}

describe("WebSocket churn against the local cloud", () => {
  // Each step waits for its deliveries: minutes on a loaded machine.
  it("delivers everything once to every live client; a stale connection is gone after its first failed delivery", {
    timeout: 600_000,
  }, async () => {
    const run = unique("churn").replace(/[^A-Za-z0-9-]/g, "");
    const users = Array.from({ length: USERS }, (_, i) => `${run}-u${i}`);
    const disconnectFunction = outputOf(
      cloud.resources,
      "aws:lambda/function:Function",
      "notifications-disconnect-function",
      "name",
    );
    let disconnectsKilled = 0;
    setInvocationFaultHook((functionName) => {
      if (functionName !== disconnectFunction) return undefined;
      disconnectsKilled++;
      return { killAfterMs: 0 };
    });
    const tabs: Tab[] = [];
    const known = new Set<string>();
    const open = async (userId: string, from: number): Promise<Tab> => {
      // A client reconnects when the upgrade is refused (a cold $connect can time out on a loaded machine).
      let socket: RecordingSocket | undefined;
      for (let attempt = 1; !socket; attempt++) {
        try {
          socket = await RecordingSocket.open(
            `${output("notificationsWebSocketUrl")}?token=${encodeURIComponent(await cloud.token(userId))}`,
            { timeoutMs: 60_000 },
          );
        } catch (error) {
          if (!(error instanceof UpgradeRefused) || attempt >= 6) throw error;
        }
      }
      sockets.push(socket);
      // Its id: the one connection of the user that is both stored and open at API Gateway, and new.
      const connectionId = await eventually(async () => {
        const live = new Set(
          (await localView<Array<{ connectionId: string }>>(cloud.endpoint, "apigateway/connections")).map(
            (c) => c.connectionId,
          ),
        );
        const added = (await storedConnections(userId)).filter((id) => live.has(id) && !known.has(id));
        expect(added).toHaveLength(1);
        return added[0] as string;
      }, LOADED);
      known.add(connectionId);
      const tab = { userId, connectionId, socket, from };
      tabs.push(tab);
      return tab;
    };
    for (const userId of users) for (let n = 0; n < 2; n++) await open(userId, 0);
    const bus = { eventBusName: output("notificationsBusName"), source: "switchyard.orders" };

    for (let i = 0; i < STEPS; i++) {
      const userId = users[i % USERS] as string;
      if (i % 2 === 0) await open(userId, i);
      const live = tabs.filter((t) => t.userId === userId && t.droppedAt === undefined);
      if (i % 3 === 1 && live.length > 1) {
        // Abruptly: the TCP connection is cut, no close frame; $disconnect fails, the row stays (stale).
        const victim = live[i % live.length] as Tab;
        victim.socket.socket.terminate();
        victim.droppedAt = i;
        await eventually(async () => {
          const connections = await localView<Array<{ connectionId: string }>>(
            cloud.endpoint,
            "apigateway/connections",
          );
          expect(connections.map((c) => c.connectionId)).not.toContain(victim.connectionId);
        }, LOADED);
        expect(await storedConnections(userId)).toContain(victim.connectionId);
      }
      const notificationId = `${run}-n${i}`;
      await sendUserNotification(aws.events, bus, [
        i % 2 === 0
          ? { userId, type: "feedback", message: `update ${i}`, notificationId }
          : {
              userId,
              type: "actionable",
              message: `update ${i}`,
              callback: "https://app.example.com/orders",
              notificationId,
            },
      ]);
      // Every live tab of the user gets it; then the stale rows of that user are gone (first failed post).
      await Promise.all(
        tabs
          .filter((t) => t.userId === userId && t.droppedAt === undefined)
          .map((t) => t.socket.waitFor((frame) => frame.id === notificationId, { timeoutMs: 90_000 })),
      );
      await eventually(async () => {
        const stored = await storedConnections(userId);
        for (const tab of tabs.filter((t) => t.userId === userId && t.droppedAt !== undefined))
          expect(stored, `stale ${tab.connectionId}`).not.toContain(tab.connectionId);
      }, LOADED);
    }
    setInvocationFaultHook();

    const dropped = tabs.filter((t) => t.droppedAt !== undefined);
    expect(dropped.length).toBeGreaterThanOrEqual(6);
    expect(disconnectsKilled).toBeGreaterThanOrEqual(dropped.length);
    // Every live tab: each notification of its user since it connected, exactly once, and nothing else.
    for (const tab of tabs.filter((t) => t.droppedAt === undefined)) {
      const ids = tab.socket.frames.map((f) => f.data.id).filter((id) => typeof id === "string");
      const expected = Array.from({ length: STEPS }, (_, i) => i)
        .filter((i) => users[i % USERS] === tab.userId && i >= tab.from)
        .map((i) => `${run}-n${i}`);
      expect(ids.length, tab.connectionId).toBe(new Set(ids).size);
      expect(new Set(ids), tab.connectionId).toEqual(new Set(expected));
    }
    // A 410 is the end of a connection, not a failure: nothing was dead-lettered.
    const dlq = await queueCounts(
      aws.sqs,
      await queueUrl(aws.sqs, queueName(cloud.resources, "notifications-sends-dlq")),
    );
    expect(dlq.visible + dlq.inFlight + dlq.delayed).toBe(0);
  });
});
