import { GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { webSocketEvent } from "@switchyard/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { serverFrameSchema } from "../../src/protocol";
import { awsMocks, handlerEnv } from "./fixture";

handlerEnv();
const connect = (await import("../../src/handlers/connect")).handler;
const disconnect = (await import("../../src/handlers/disconnect")).handler;
const messages = (await import("../../src/handlers/messages")).handler;

const { ddb, api, reset } = awsMocks();
beforeEach(reset);

/** The answer frame of a route response, checked against the protocol schema. */
const frameOf = (response: { body?: string }) => serverFrameSchema.parse(JSON.parse(response.body ?? ""));

describe("$connect", () => {
  it("stores the connection in the seed design's shape with a TTL of the cap plus margin", async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    const event = webSocketEvent({
      routeKey: "$connect",
      connectionId: "conn-1",
      authorizer: { userId: "user-1" },
      sourceIp: "198.51.100.7",
    });
    const connectedAt = event.requestContext.connectedAt;

    // Act
    const response = await connect(event);

    // Assess
    expect(response).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: "notifications-table",
      Item: {
        pk: "conn-1",
        sk: "connection#",
        GSI1PK: "user-1",
        GSI1SK: "user#",
        userId: "user-1",
        ipAddress: "198.51.100.7",
        connectedAt,
        ttl: Math.floor(connectedAt / 1000) + 9000,
      },
    });
  });

  it("selects the switchyard.v1 subprotocol when the browser offered it (with its token)", async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    const event = webSocketEvent({
      routeKey: "$connect",
      authorizer: { userId: "user-1" },
      headers: { "sec-websocket-protocol": "switchyard.v1, eyJhbGciOiJIUzI1NiJ9.e30.sig" },
    });

    // Act
    const response = await connect(event);

    // Assess
    expect(response).toEqual({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "switchyard.v1" } });
  });

  it("refuses a connection the authorizer did not identify", async () => {
    // Act
    const response = await connect(webSocketEvent({ routeKey: "$connect" }));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe("$disconnect", () => {
  it.each([
    ["succeeds", () => ddb.on(DeleteCommand).resolves({})],
    ["fails (best effort: the TTL covers it)", () => ddb.on(DeleteCommand).rejects(new Error("boom"))],
  ])("deletes the connection and answers 200 when the delete %s", async (_, given) => {
    // Prepare
    given();

    // Act
    const response = await disconnect(webSocketEvent({ routeKey: "$disconnect", connectionId: "conn-1" }));

    // Assess
    expect(response).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({
      pk: "conn-1",
      sk: "connection#",
    });
  });
});

describe("$default and invalid frames", () => {
  it.each([
    ["$default", "not json", /expected a JSON object with an action/],
    ["$default", { action: "subscribe" }, /unknown action "subscribe": expected one of markRead, listUnread/],
    ["markRead", { action: "markRead" }, /exactly one of ids and all/],
    ["markRead", { action: "markRead", ids: [] }, /at least one/],
    ["markRead", { action: "markRead", ids: ["a"], all: true }, /exactly one of ids and all/],
    ["listUnread", { action: "listUnread", extra: 1 }, /Unrecognized key/i],
  ])("%s with %j answers an error frame listing the valid actions", async (routeKey, body, problem) => {
    // Act
    const response = await messages(webSocketEvent({ routeKey, body }));

    // Assess
    const frame = frameOf(response);
    expect(frame).toMatchObject({ type: "error", actions: ["markRead", "listUnread"] });
    expect(frame.type === "error" && frame.message).toMatch(problem);
    expect(ddb.calls()).toHaveLength(0);
  });

  it("asks an unregistered connection to reconnect", async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const response = await messages(
      webSocketEvent({ routeKey: "listUnread", body: { action: "listUnread" } }),
    );

    // Assess
    expect(frameOf(response)).toMatchObject({
      type: "error",
      message: "this connection is not registered: reconnect",
    });
  });
});

/** A user with stored connections and unread notifications, as the table would answer. */
function givenInbox(user: string, connections: string[], unread: string[]): void {
  ddb.on(GetCommand).resolves({ Item: { userId: user } });
  ddb
    .on(QueryCommand)
    .callsFake(
      (input: {
        ExpressionAttributeValues: Record<string, string>;
        Select?: string;
        ProjectionExpression?: string;
      }) => {
        if (input.ExpressionAttributeValues[":sk"] === "user#")
          return { Items: connections.map((pk) => ({ pk })) };
        if (input.Select === "COUNT") return { Count: unread.length };
        return {
          Items: unread.map((id) => ({
            notificationId: id,
            message: `message ${id}`,
            callback: `https://app.example.com/${id}`,
            createdAt: "2026-01-01T12:00:00.000Z",
          })),
        };
      },
    );
}

describe("listUnread (what the client sends on open: the unread count after connect)", () => {
  it("answers the exact unread count and the newest unread notifications", async () => {
    // Prepare
    givenInbox("user-1", ["conn-1"], ["n2", "n1"]);

    // Act
    const response = await messages(
      webSocketEvent({ routeKey: "listUnread", connectionId: "conn-1", body: { action: "listUnread" } }),
    );

    // Assess
    expect(frameOf(response)).toEqual({
      type: "unreadList",
      unreadCount: 2,
      notifications: ["n2", "n1"].map((id) => ({
        type: "actionable",
        id,
        message: `message ${id}`,
        callback: `https://app.example.com/${id}`,
        createdAt: "2026-01-01T12:00:00.000Z",
      })),
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ pk: "conn-1", sk: "connection#" });
  });
});

describe("markRead", () => {
  it("marks the named ones read (leaving the sparse index) and pushes the new count to the other connections", async () => {
    // Prepare
    givenInbox("user-1", ["conn-1", "conn-2", "conn-gone"], ["n3"]);
    ddb.on(UpdateCommand).resolves({});
    ddb
      .on(UpdateCommand, { Key: { pk: "inbox#user-1", sk: "notification#unknown" } })
      .rejects(new ConditionalCheckFailedException({ message: "no", $metadata: {} }));
    ddb.on(DeleteCommand).resolves({});
    api.on(PostToConnectionCommand).resolves({});
    api
      .on(PostToConnectionCommand, { ConnectionId: "conn-gone" })
      .rejects(new GoneException({ message: "gone", $metadata: { httpStatusCode: 410 } }));

    // Act
    const response = await messages(
      webSocketEvent({
        routeKey: "markRead",
        connectionId: "conn-1",
        body: { action: "markRead", ids: ["n1", "n2", "unknown"] },
      }),
    );

    // Assess
    expect(frameOf(response)).toEqual({ type: "unreadCount", unreadCount: 1 });
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((update) => update.Key?.sk)).toEqual([
      "notification#n1",
      "notification#n2",
      "notification#unknown",
    ]);
    expect(updates[0]?.UpdateExpression).toContain("REMOVE GSI1PK, GSI1SK");
    expect(updates[0]?.Key?.pk).toBe("inbox#user-1");
    const pushes = api.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input);
    expect(pushes.map((push) => push.ConnectionId)).toEqual(["conn-2", "conn-gone"]);
    expect(JSON.parse(String(pushes[0]?.Data))).toEqual({ type: "unreadCount", unreadCount: 1 });
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: "conn-gone", sk: "connection#" },
    ]);
  });

  it("marks all unread ones read with all: true", async () => {
    // Prepare
    givenInbox("user-1", ["conn-1"], ["n1", "n2"]);
    ddb.on(UpdateCommand).resolves({});

    // Act
    await messages(
      webSocketEvent({
        routeKey: "markRead",
        connectionId: "conn-1",
        body: { action: "markRead", all: true },
      }),
    );

    // Assess
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: "inbox#user-1", sk: "notification#n1" },
      { pk: "inbox#user-1", sk: "notification#n2" },
    ]);
  });
});
