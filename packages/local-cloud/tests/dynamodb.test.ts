import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createDynamoDb, type DynamoDbEmulator } from "../src/services/dynamodb";
import type { LocalResource } from "../src/types";

const ACCOUNT = "123456789012";

/** A table resource shaped like the dev stack's (pulumi-aws inputs, mock outputs). */
function tableResource(name: string, inputs: Record<string, unknown>): LocalResource {
  return {
    type: "aws:dynamodb/table:Table",
    name,
    urn: `urn:pulumi:dev::switchyard::aws:dynamodb/table:Table::${name}`,
    custom: true,
    id: name,
    inputs: { billingMode: "PAY_PER_REQUEST", deletionProtectionEnabled: false, ...inputs },
    outputs: { name, arn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}` },
  } as unknown as LocalResource;
}

const notificationsTable = tableResource("notifications-table", {
  attributes: [
    { name: "pk", type: "S" },
    { name: "sk", type: "S" },
    { name: "GSI1PK", type: "S" },
    { name: "GSI1SK", type: "S" },
  ],
  hashKey: "pk",
  rangeKey: "sk",
  globalSecondaryIndexes: [
    {
      keySchemas: [
        { attributeName: "GSI1PK", keyType: "HASH" },
        { attributeName: "GSI1SK", keyType: "RANGE" },
      ],
      name: "GSI1",
      nonKeyAttributes: ["notificationId", "message"],
      projectionType: "INCLUDE",
    },
  ],
  ttl: { attributeName: "ttl", enabled: true },
});

const inventoryTable = tableResource("orders-inventory", {
  attributes: [
    { name: "pk", type: "S" },
    { name: "sk", type: "S" },
  ],
  hashKey: "pk",
  rangeKey: "sk",
  ttl: { attributeName: "expiresAt", enabled: true },
});

const plainTable = tableResource("orders-order-state", {
  attributes: [{ name: "orderId", type: "S" }],
  hashKey: "orderId",
});

let engines: Engine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const engine of engines) await engine.close();
  engines = [];
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(
  resources: LocalResource[],
  options: { persistDir?: string; ttlSweepMs?: number } = {},
): Promise<{ engine: Engine; ddb: DynamoDBClient }> {
  const engine = await Engine.listen({
    emulators: { dynamodb: (ctx) => createDynamoDb(ctx, { ttlSweepMs: options.ttlSweepMs ?? 60_000 }) },
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
  });
  engines.push(engine);
  await engine.provision(resources);
  const ddb = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return { engine, ddb };
}

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });

describe("dynamodb tables from resources", () => {
  it("creates the table with its key schema, GSI projection and ARN in the engine's account", async () => {
    const { ddb } = await start([notificationsTable]);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: "notifications-table" }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.TableArn).toBe(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/notifications-table`);
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe("GSI1");
    expect(Table?.GlobalSecondaryIndexes?.[0]?.Projection).toEqual({
      ProjectionType: "INCLUDE",
      NonKeyAttributes: ["notificationId", "message"],
    });
  });

  it("puts, gets and queries the GSI, which carries only the projected attributes", async () => {
    const { ddb } = await start([notificationsTable]);
    for (const [id, unread] of [
      ["n1", true],
      ["n2", false],
      ["n3", true],
    ] as const) {
      await ddb.send(
        new PutItemCommand({
          TableName: "notifications-table",
          Item: {
            pk: S("user#u1"),
            sk: S(`n#${id}`),
            notificationId: S(id),
            message: S(`hello ${id}`),
            secret: S("not projected"),
            ...(unread ? { GSI1PK: S("u1"), GSI1SK: S(`unread#${id}`) } : {}),
          },
        }),
      );
    }
    const got = await ddb.send(
      new GetItemCommand({ TableName: "notifications-table", Key: { pk: S("user#u1"), sk: S("n#n2") } }),
    );
    expect(got.Item?.message).toEqual(S("hello n2"));
    const page = await ddb.send(
      new QueryCommand({
        TableName: "notifications-table",
        IndexName: "GSI1",
        KeyConditionExpression: "GSI1PK = :user AND begins_with(GSI1SK, :unread)",
        ExpressionAttributeValues: { ":user": S("u1"), ":unread": S("unread#") },
      }),
    );
    expect(page.Items?.map((item) => item.notificationId?.S)).toEqual(["n1", "n3"]);
    expect(page.Items?.[0]?.secret).toBeUndefined();
    expect(page.Items?.[0]?.message).toEqual(S("hello n1"));
  });

  it("answers DescribeTimeToLive from the resource and UpdateTimeToLive for other tables", async () => {
    const { ddb } = await start([notificationsTable, plainTable]);
    const described = await ddb.send(new DescribeTimeToLiveCommand({ TableName: "notifications-table" }));
    expect(described.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "ttl" });
    expect(
      (await ddb.send(new DescribeTimeToLiveCommand({ TableName: "orders-order-state" })))
        .TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: "DISABLED" });
    const updated = await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: "orders-order-state",
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      }),
    );
    expect(updated.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
    expect(
      (await ddb.send(new DescribeTimeToLiveCommand({ TableName: "orders-order-state" })))
        .TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    await expect(
      ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: "orders-order-state",
          TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        }),
      ),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("sweeps items whose TTL (epoch seconds, Number) has passed, on its timer", async () => {
    const { ddb } = await start([inventoryTable], { ttlSweepMs: 20 });
    const now = Math.floor(Date.now() / 1000);
    const put = (sk: string, expiresAt?: AttributeValue) =>
      ddb.send(
        new PutItemCommand({
          TableName: "orders-inventory",
          Item: { pk: S("sku#1"), sk: S(sk), ...(expiresAt ? { expiresAt } : {}) },
        }),
      );
    await put("expired", N(now - 10));
    await put("future", N(now + 3600));
    await put("no-ttl");
    await put("string-ttl", S(String(now - 10)));
    await put("ancient", N(now - 6 * 365 * 24 * 3600));
    const remaining = async () =>
      ((await ddb.send(new ScanCommand({ TableName: "orders-inventory", ConsistentRead: true }))).Items ?? [])
        .map((item) => item.sk?.S)
        .sort();
    const deadline = Date.now() + 5000;
    while ((await remaining()).includes("expired") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await remaining()).toEqual(["ancient", "future", "no-ttl", "string-ttl"]);
  });

  it("sweepTtl deletes the expired items of tables with TTL enabled only", async () => {
    const { engine, ddb } = await start([inventoryTable, plainTable]);
    const past = N(Math.floor(Date.now() / 1000) - 1);
    await ddb.send(
      new PutItemCommand({
        TableName: "orders-inventory",
        Item: { pk: S("a"), sk: S("b"), expiresAt: past },
      }),
    );
    await ddb.send(
      new PutItemCommand({ TableName: "orders-order-state", Item: { orderId: S("o1"), expiresAt: past } }),
    );
    const emulator = engine.emulator<DynamoDbEmulator>("dynamodb");
    expect(await emulator?.sweepTtl()).toBe(1);
    const kept = await ddb.send(
      new GetItemCommand({ TableName: "orders-order-state", Key: { orderId: S("o1") } }),
    );
    expect(kept.Item).toBeDefined();
  });
});

describe("dynamodb writes", () => {
  it("fails a conditional write with ConditionalCheckFailedException, with the item on ALL_OLD", async () => {
    const { ddb } = await start([plainTable]);
    await ddb.send(
      new PutItemCommand({ TableName: "orders-order-state", Item: { orderId: S("o1"), version: N(1) } }),
    );
    const failure = await ddb
      .send(
        new PutItemCommand({
          TableName: "orders-order-state",
          Item: { orderId: S("o1"), version: N(2) },
          ConditionExpression: "#v = :expected",
          ExpressionAttributeNames: { "#v": "version" },
          ExpressionAttributeValues: { ":expected": N(5) },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    expect((failure as ConditionalCheckFailedException).Item).toEqual({ orderId: S("o1"), version: N(1) });
    const updated = await ddb.send(
      new UpdateItemCommand({
        TableName: "orders-order-state",
        Key: { orderId: S("o1") },
        UpdateExpression: "SET #v = :next ADD hits :one",
        ConditionExpression: "attribute_exists(orderId) AND #v = :expected",
        ExpressionAttributeNames: { "#v": "version" },
        ExpressionAttributeValues: { ":expected": N(1), ":next": N(2), ":one": N(1) },
        ReturnValues: "ALL_NEW",
      }),
    );
    expect(updated.Attributes).toEqual({ orderId: S("o1"), version: N(2), hits: N(1) });
  });

  it("evaluates the services' own expressions: the s3-pipeline's sequencer gate and a GSI key REMOVE", async () => {
    const { ddb } = await start([notificationsTable]);
    const admit = (sequencer: string) =>
      ddb
        .send(
          new UpdateItemCommand({
            TableName: "notifications-table",
            Key: { pk: S("uploads/a.jpg"), sk: S("#latest") },
            UpdateExpression: "SET #seq = :seq, #event = :event",
            ConditionExpression: "attribute_not_exists(#pk) OR #seq <= :seq",
            ExpressionAttributeNames: { "#pk": "pk", "#seq": "sequencer", "#event": "eventName" },
            ExpressionAttributeValues: {
              ":seq": S(sequencer.padStart(64, "0")),
              ":event": S("ObjectCreated:Put"),
            },
          }),
        )
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof ConditionalCheckFailedException) return false;
            throw error;
          },
        );
    expect(await admit("0A2")).toBe(true);
    expect(await admit("0A1")).toBe(false);
    expect(await admit("0A2")).toBe(true);
    expect(await admit("1000")).toBe(true);

    const key = { pk: S("user#u1"), sk: S("n#1") };
    await ddb.send(
      new PutItemCommand({
        TableName: "notifications-table",
        Item: { ...key, status: S("unread"), GSI1PK: S("u1"), GSI1SK: S("unread#1") },
      }),
    );
    const markRead = () =>
      ddb.send(
        new UpdateItemCommand({
          TableName: "notifications-table",
          Key: key,
          UpdateExpression: "SET #status = :read, readAt = :readAt REMOVE GSI1PK, GSI1SK",
          ConditionExpression: "attribute_exists(pk) AND #status = :unread",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":read": S("read"),
            ":unread": S("unread"),
            ":readAt": S("2026-01-01T00:00:00Z"),
          },
        }),
      );
    await markRead();
    await expect(markRead()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const unread = await ddb.send(
      new QueryCommand({
        TableName: "notifications-table",
        IndexName: "GSI1",
        KeyConditionExpression: "GSI1PK = :user",
        ExpressionAttributeValues: { ":user": S("u1") },
      }),
    );
    expect(unread.Count).toBe(0);
  });

  it("writes batches with BatchWriteItem", async () => {
    const { ddb } = await start([plainTable]);
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          "orders-order-state": [
            { PutRequest: { Item: { orderId: S("a") } } },
            { PutRequest: { Item: { orderId: S("b") } } },
            { PutRequest: { Item: { orderId: S("c") } } },
          ],
        },
      }),
    );
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: { "orders-order-state": [{ DeleteRequest: { Key: { orderId: S("b") } } }] },
      }),
    );
    const scan = await ddb.send(new ScanCommand({ TableName: "orders-order-state" }));
    expect(scan.Items?.map((item) => item.orderId?.S).sort()).toEqual(["a", "c"]);
  });
});

describe("dynamodb transactions", () => {
  /** What services/orders sends: a marker put (refused when present) and ADD updates, in one transaction. */
  const applyOnce = (ddb: DynamoDBClient, eventId: string, delta: number) =>
    ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: "orders-inventory",
              Item: { pk: S(`marker#${eventId}`), sk: S("marker"), expiresAt: N(2_000_000_000) },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName: "orders-inventory",
              Key: { pk: S("sku#1"), sk: S("stock") },
              UpdateExpression: "ADD reserved :delta",
              ExpressionAttributeValues: { ":delta": N(delta) },
            },
          },
          {
            Update: {
              TableName: "orders-inventory",
              Key: { pk: S("sku#2"), sk: S("stock") },
              UpdateExpression: "ADD reserved :delta",
              ExpressionAttributeValues: { ":delta": N(delta) },
            },
          },
        ],
      }),
    );

  const reserved = async (ddb: DynamoDBClient, sku: string) =>
    (
      await ddb.send(
        new GetItemCommand({
          TableName: "orders-inventory",
          Key: { pk: S(sku), sk: S("stock") },
          ConsistentRead: true,
        }),
      )
    ).Item?.reserved?.N;

  it("applies every action, or none with one cancellation reason per action", async () => {
    const { ddb } = await start([inventoryTable]);
    await applyOnce(ddb, "e1", 3);
    expect(await reserved(ddb, "sku#1")).toBe("3");
    expect(await reserved(ddb, "sku#2")).toBe("3");
    const failure = await applyOnce(ddb, "e1", 3).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect(
      (failure as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code),
    ).toEqual(["ConditionalCheckFailed", "None", "None"]);
    expect(await reserved(ddb, "sku#1")).toBe("3");
    expect(await reserved(ddb, "sku#2")).toBe("3");
    await applyOnce(ddb, "e2", 2);
    expect(await reserved(ddb, "sku#1")).toBe("5");
  });

  it("undoes puts and deletes when a later condition check fails, and leaves no item behind a check", async () => {
    const { ddb } = await start([inventoryTable]);
    await ddb.send(
      new PutItemCommand({ TableName: "orders-inventory", Item: { pk: S("keep"), sk: S("1"), v: N(1) } }),
    );
    const failure = await ddb
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: "orders-inventory", Key: { pk: S("keep"), sk: S("1") } } },
            { Put: { TableName: "orders-inventory", Item: { pk: S("new"), sk: S("1") } } },
            {
              ConditionCheck: {
                TableName: "orders-inventory",
                Key: { pk: S("absent"), sk: S("1") },
                ConditionExpression: "attribute_exists(pk)",
              },
            },
          ],
        }),
      )
      .catch((error: unknown) => error);
    expect(
      (failure as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code),
    ).toEqual(["None", "None", "ConditionalCheckFailed"]);
    const scan = async () =>
      ((await ddb.send(new ScanCommand({ TableName: "orders-inventory" }))).Items ?? [])
        .map((item) => item.pk?.S)
        .sort();
    expect(await scan()).toEqual(["keep"]);
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: "orders-inventory",
              Key: { pk: S("absent"), sk: S("1") },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          { Put: { TableName: "orders-inventory", Item: { pk: S("new"), sk: S("1") } } },
        ],
      }),
    );
    expect(await scan()).toEqual(["keep", "new"]);
  });

  it("answers the item as it was with ALL_OLD, and undoes every applied action, whatever its kind", async () => {
    const { ddb } = await start([inventoryTable]);
    const put = (pk: string, v: number) =>
      ddb.send(
        new PutItemCommand({ TableName: "orders-inventory", Item: { pk: S(pk), sk: S("1"), v: N(v) } }),
      );
    await put("held", 1);
    await put("gone", 2);
    await put("bumped", 3);
    const transaction = () =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "orders-inventory", Item: { pk: S("held"), sk: S("1"), v: N(10) } } },
            { Delete: { TableName: "orders-inventory", Key: { pk: S("gone"), sk: S("1") } } },
            {
              Update: {
                TableName: "orders-inventory",
                Key: { pk: S("bumped"), sk: S("1") },
                UpdateExpression: "SET v = :v, w = :v",
                ExpressionAttributeValues: { ":v": N(30) },
              },
            },
            { Put: { TableName: "orders-inventory", Item: { pk: S("fresh"), sk: S("1") } } },
            {
              Put: {
                TableName: "orders-inventory",
                Item: { pk: S("taken"), sk: S("1") },
                ConditionExpression: "attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
          ],
        }),
      );
    await transaction();
    const items = async () =>
      ((await ddb.send(new ScanCommand({ TableName: "orders-inventory", ConsistentRead: true }))).Items ?? [])
        .map((item) => `${item.pk?.S}:${item.v?.N ?? "-"}:${item.w?.N ?? "-"}`)
        .sort();
    expect(await items()).toEqual(["bumped:30:30", "fresh:-:-", "held:10:-", "taken:-:-"]);
    // Now "taken" exists: the last Put fails and answers it; every action before it is undone.
    await put("gone", 2);
    await ddb.send(
      new PutItemCommand({ TableName: "orders-inventory", Item: { pk: S("taken"), sk: S("1"), v: N(5) } }),
    );
    await put("held", 1);
    await ddb.send(
      new DeleteItemCommand({ TableName: "orders-inventory", Key: { pk: S("fresh"), sk: S("1") } }),
    );
    await put("bumped", 3);
    const before = await items();
    const again = await transaction().catch((error: unknown) => error);
    expect(again).toBeInstanceOf(TransactionCanceledException);
    const reasons = (again as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((r) => r.Code)).toEqual(["None", "None", "None", "None", "ConditionalCheckFailed"]);
    expect(reasons[4]?.Item).toEqual({ pk: S("taken"), sk: S("1"), v: N(5) });
    expect(await items()).toEqual(before);
  });

  it("fails a transaction with a key of the wrong type before writing anything", async () => {
    const { ddb } = await start([inventoryTable]);
    const failure = await ddb
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "orders-inventory", Item: { pk: S("first"), sk: S("1") } } },
            { Put: { TableName: "orders-inventory", Item: { pk: N(7), sk: S("1") } } },
          ],
        }),
      )
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      name: "ValidationException",
      message: expect.stringMatching(/key element does not match the schema/),
    });
    const scanned = await ddb.send(new ScanCommand({ TableName: "orders-inventory" }));
    expect(scanned.Items ?? []).toEqual([]);
  });

  it("refuses two actions on one item and honours ClientRequestToken", async () => {
    const { ddb } = await start([inventoryTable]);
    const key = { pk: S("x"), sk: S("1") };
    await expect(
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "orders-inventory", Item: { ...key } } },
            { Delete: { TableName: "orders-inventory", Key: key } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: "ValidationException" });
    const add = (token: string, delta: number) =>
      ddb.send(
        new TransactWriteItemsCommand({
          ClientRequestToken: token,
          TransactItems: [
            {
              Update: {
                TableName: "orders-inventory",
                Key: key,
                UpdateExpression: "ADD n :d",
                ExpressionAttributeValues: { ":d": N(delta) },
              },
            },
          ],
        }),
      );
    await add("token-1", 1);
    await add("token-1", 1);
    const got = await ddb.send(
      new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: "orders-inventory", Key: key } }] }),
    );
    expect(got.Responses?.[0]?.Item?.n).toEqual(N(1));
    await expect(add("token-1", 2)).rejects.toMatchObject({ name: "IdempotentParameterMismatchException" });
  });
});

describe("dynamodb persistence and views", () => {
  it("keeps tables and items across engines with the same persistDir, and rebuilds changed indexes with their items", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dynamodb-persist-"));
    dirs.push(dir);
    const first = await start([plainTable], { persistDir: dir });
    await first.ddb.send(
      new PutItemCommand({
        TableName: "orders-order-state",
        Item: { orderId: S("o1"), status: S("PLACED") },
      }),
    );
    await first.engine.close();
    engines = engines.filter((engine) => engine !== first.engine);

    const second = await start([plainTable], { persistDir: dir });
    const kept = await second.ddb.send(
      new GetItemCommand({ TableName: "orders-order-state", Key: { orderId: S("o1") } }),
    );
    expect(kept.Item?.status).toEqual(S("PLACED"));
    await second.engine.close();
    engines = engines.filter((engine) => engine !== second.engine);

    const withIndex = tableResource("orders-order-state", {
      attributes: [
        { name: "orderId", type: "S" },
        { name: "status", type: "S" },
      ],
      hashKey: "orderId",
      globalSecondaryIndexes: [{ name: "byStatus", hashKey: "status", projectionType: "ALL" }],
    });
    const third = await start([withIndex], { persistDir: dir });
    const byStatus = await third.ddb.send(
      new QueryCommand({
        TableName: "orders-order-state",
        IndexName: "byStatus",
        KeyConditionExpression: "#s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": S("PLACED") },
      }),
    );
    expect(byStatus.Items?.map((item) => item.orderId?.S)).toEqual(["o1"]);
  });

  it("serves the tables and items views", async () => {
    const { engine, ddb } = await start([notificationsTable]);
    await ddb.send(
      new PutItemCommand({
        TableName: "notifications-table",
        Item: { pk: S("p"), sk: S("s"), count: N(2), tags: { SS: ["a"] } },
      }),
    );
    const tables = (await (await fetch(`${engine.endpoint}/_local/dynamodb/tables`)).json()) as Array<
      Record<string, unknown>
    >;
    expect(tables).toHaveLength(1);
    expect(tables[0]).toMatchObject({
      name: "notifications-table",
      itemCount: 1,
      keySchema: [
        { attributeName: "pk", keyType: "HASH" },
        { attributeName: "sk", keyType: "RANGE" },
      ],
      globalSecondaryIndexes: [{ name: "GSI1", projection: "INCLUDE" }],
      ttl: { attributeName: "ttl", enabled: true },
    });
    const items = (await (
      await fetch(`${engine.endpoint}/_local/dynamodb/items?table=notifications-table&limit=5`)
    ).json()) as {
      items: unknown[];
    };
    expect(items.items).toEqual([{ pk: "p", sk: "s", count: 2, tags: ["a"] }]);
  });

  it("counts the AWS requests it served by signing name and operation (requests view)", async () => {
    const { engine, ddb } = await start([notificationsTable]);
    const requests = async () =>
      (await (await fetch(`${engine.endpoint}/_local/requests`)).json()) as Record<string, number>;
    const before = await requests();
    for (const pk of ["a", "b"]) {
      await ddb.send(
        new PutItemCommand({ TableName: "notifications-table", Item: { pk: S(pk), sk: S("s") } }),
      );
    }
    await ddb.send(new GetItemCommand({ TableName: "notifications-table", Key: { pk: S("a"), sk: S("s") } }));
    // A refused request is still a request served; views are not counted.
    await expect(
      ddb.send(new GetItemCommand({ TableName: "no-such-table", Key: { pk: S("a") } })),
    ).rejects.toThrow();
    const after = await requests();
    expect((after["dynamodb PutItem"] ?? 0) - (before["dynamodb PutItem"] ?? 0)).toBe(2);
    expect((after["dynamodb GetItem"] ?? 0) - (before["dynamodb GetItem"] ?? 0)).toBe(2);
    expect(Object.keys(after).every((key) => key.startsWith("dynamodb "))).toBe(true);
  });
});
