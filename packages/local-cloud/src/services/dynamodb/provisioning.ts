import type { LocalLogger, LocalResource } from "../../types";
import { isRecord, records, nonEmptyString as str } from "../../values";
import type { DynamoDbModel, KeySchemaElement } from "./model";

/**
 * Provisioning: each `aws:dynamodb/table:Table` the program declares becomes the CreateTable request it
 * describes (key schema, GSIs with `hashKey`/`rangeKey` or `keySchemas`, LSIs, billing mode), and its TTL,
 * stream and point-in-time recovery settings are recorded. With `--persist`, an existing table keeps its
 * items; when the program changes its indexes the table is rebuilt with its items, when it changes its key
 * schema it is recreated empty (Pulumi replaces the table).
 */

export const TABLE_TYPE = "aws:dynamodb/table:Table";

function keySchema(hashKey: string | undefined, rangeKey: string | undefined): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [];
  if (hashKey) schema.push({ AttributeName: hashKey, KeyType: "HASH" });
  if (rangeKey) schema.push({ AttributeName: rangeKey, KeyType: "RANGE" });
  return schema;
}

function projection(index: Record<string, unknown>): Record<string, unknown> {
  const nonKey = Array.isArray(index.nonKeyAttributes)
    ? index.nonKeyAttributes.filter((a) => typeof a === "string")
    : [];
  const type = str(index.projectionType) ?? "ALL";
  return {
    ProjectionType: type,
    ...(type === "INCLUDE" && nonKey.length > 0 ? { NonKeyAttributes: nonKey } : {}),
  };
}

/** The CreateTable request a `aws:dynamodb/table:Table` resource declares. */
export function createTableInput(resource: LocalResource): Record<string, unknown> {
  const inputs = resource.inputs as Record<string, unknown>;
  const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
  const name = str(outputs.name) ?? str(inputs.name) ?? resource.name;
  const billingMode = str(inputs.billingMode) ?? "PROVISIONED";
  const provisioned = billingMode === "PROVISIONED";
  const throughput = (source: Record<string, unknown>) =>
    provisioned
      ? {
          ProvisionedThroughput: {
            ReadCapacityUnits: typeof source.readCapacity === "number" ? source.readCapacity : 1,
            WriteCapacityUnits: typeof source.writeCapacity === "number" ? source.writeCapacity : 1,
          },
        }
      : {};
  const hashKey = str(inputs.hashKey);
  const gsis = records(inputs.globalSecondaryIndexes).map((index) => {
    const declared = records(index.keySchemas).map((k) => ({
      AttributeName: String(k.attributeName),
      KeyType: String(k.keyType),
    }));
    return {
      IndexName: String(index.name),
      KeySchema: declared.length > 0 ? declared : keySchema(str(index.hashKey), str(index.rangeKey)),
      Projection: projection(index),
      ...throughput(index),
    };
  });
  const lsis = records(inputs.localSecondaryIndexes).map((index) => ({
    IndexName: String(index.name),
    KeySchema: keySchema(hashKey, str(index.rangeKey)),
    Projection: projection(index),
  }));
  return {
    TableName: name,
    AttributeDefinitions: records(inputs.attributes).map((a) => ({
      AttributeName: String(a.name),
      AttributeType: String(a.type),
    })),
    KeySchema: keySchema(hashKey, str(inputs.rangeKey)),
    BillingMode: billingMode,
    ...throughput(inputs),
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis } : {}),
  };
}

/** A comparable summary of a table's keys and indexes. */
function shape(table: {
  KeySchema?: unknown;
  GlobalSecondaryIndexes?: unknown;
  LocalSecondaryIndexes?: unknown;
}): {
  keys: string;
  indexes: string;
} {
  const keys = (schema: unknown) => JSON.stringify(records(schema).map((k) => [k.AttributeName, k.KeyType]));
  const indexes = (list: unknown) =>
    records(list)
      .map((index) => {
        const p = isRecord(index.Projection) ? index.Projection : {};
        const nonKey = Array.isArray(p.NonKeyAttributes) ? [...p.NonKeyAttributes].sort() : [];
        return JSON.stringify([index.IndexName, keys(index.KeySchema), p.ProjectionType ?? "ALL", nonKey]);
      })
      .sort();
  return {
    keys: keys(table.KeySchema),
    indexes: JSON.stringify([indexes(table.GlobalSecondaryIndexes), indexes(table.LocalSecondaryIndexes)]),
  };
}

/** Creates (or keeps, rebuilds, recreates) the table a resource declares, and records its settings. */
export async function provisionTable(
  model: DynamoDbModel,
  log: LocalLogger,
  resource: LocalResource,
): Promise<void> {
  const input = createTableInput(resource);
  const name = String(input.TableName);
  const inputs = resource.inputs as Record<string, unknown>;
  const record = model.tableRecord(name);
  record.resource = resource.name;
  const ttl = isRecord(inputs.ttl) ? inputs.ttl : undefined;
  const ttlName = ttl ? str(ttl.attributeName) : undefined;
  record.ttl = ttlName ? { attributeName: ttlName, enabled: ttl?.enabled === true } : undefined;
  record.stream =
    inputs.streamEnabled === true ? { enabled: true, viewType: str(inputs.streamViewType) } : undefined;
  const pitr = isRecord(inputs.pointInTimeRecovery) ? inputs.pointInTimeRecovery : undefined;
  record.pointInTimeRecovery =
    pitr?.enabled === true
      ? {
          enabled: true,
          recoveryPeriodInDays:
            typeof pitr.recoveryPeriodInDays === "number" ? pitr.recoveryPeriodInDays : 35,
          since: Date.now(),
        }
      : undefined;
  await model.lock.exclusive(async () => {
    model.transactions.forget(name);
    const existing = await model.describe(name);
    if (!existing) {
      await model.createTable(input);
      log.debug("dynamodb table created", { table: name });
      return;
    }
    const want = shape(input);
    const have = shape(existing);
    if (want.keys !== have.keys) {
      log.warn("dynamodb table key schema changed: the table is recreated empty (Pulumi replaces it)", {
        table: name,
        was: have.keys,
        now: want.keys,
      });
      await model.deleteTable(name);
      await model.createTable(input);
      return;
    }
    if (want.indexes !== have.indexes) {
      const items = await model.scanAll(name);
      log.info("dynamodb table indexes changed: rebuilding it with its items", {
        table: name,
        items: items.length,
      });
      await model.deleteTable(name);
      await model.createTable(input);
      for (const item of items) await model.store.request("PutItem", { TableName: name, Item: item });
      return;
    }
    log.debug("dynamodb table kept", { table: name });
  });
}
