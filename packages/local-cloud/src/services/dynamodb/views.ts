import { LocalServiceError } from "../../types";
import { type Item, unmarshallItem } from "./items";
import type { DynamoDbModel, IndexDescription } from "./model";

/** The `/_local/` views of the local DynamoDB: `dynamodb/tables` and `dynamodb/items?table=<name>&limit=N`. */

/** Every table with its keys, indexes, item count, TTL and stream settings, and the resource that declared it. */
export async function tablesView(model: DynamoDbModel): Promise<unknown> {
  const views = [];
  for (const name of await model.lock.shared(() => model.listTables())) {
    const table = await model.lock.shared(() => model.describe(name));
    if (!table) continue;
    const counted = await model.lock.shared(() => model.countItems(name));
    const record = model.tables.get(name);
    const index = (i: IndexDescription) => ({
      name: i.IndexName,
      keySchema: i.KeySchema.map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
      projection: i.Projection?.ProjectionType,
      ...(i.Projection?.NonKeyAttributes ? { nonKeyAttributes: i.Projection.NonKeyAttributes } : {}),
    });
    views.push({
      name,
      arn: table.TableArn,
      status: table.TableStatus,
      itemCount: counted,
      keySchema: table.KeySchema.map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
      attributes: (table.AttributeDefinitions ?? []).map((a) => ({
        name: a.AttributeName,
        type: a.AttributeType,
      })),
      billingMode: table.BillingModeSummary?.BillingMode ?? "PROVISIONED",
      globalSecondaryIndexes: (table.GlobalSecondaryIndexes ?? []).map(index),
      localSecondaryIndexes: (table.LocalSecondaryIndexes ?? []).map(index),
      ttl: record?.ttl ?? { enabled: false },
      ...(record?.stream ? { stream: record.stream } : {}),
      ...(record?.resource ? { resource: record.resource } : {}),
    });
  }
  return views;
}

/** The first `limit` items of a table (50 by default, at most 1000), as plain JSON. */
export async function itemsView(model: DynamoDbModel, query: URLSearchParams): Promise<unknown> {
  const table = query.get("table");
  if (!table)
    throw new LocalServiceError("ValidationException", "Give the table: dynamodb/items?table=<name>&limit=N");
  const limit = Math.min(Math.max(Number(query.get("limit") ?? 50) || 50, 1), 1000);
  const out = await model.lock.shared(() =>
    model.store.request<{ Items?: Item[]; Count?: number; LastEvaluatedKey?: Item }>("Scan", {
      TableName: table,
      Limit: limit,
    }),
  );
  return {
    table,
    count: out.Count ?? 0,
    items: (out.Items ?? []).map(unmarshallItem),
    ...(out.LastEvaluatedKey ? { lastEvaluatedKey: unmarshallItem(out.LastEvaluatedKey) } : {}),
  };
}
