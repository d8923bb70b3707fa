import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { jsonOperation, parseJsonBody, requestId, sendJson, sendJsonError } from "../../protocol";
import { type LocalContext, type LocalResource, LocalServiceError, type ServiceEmulator } from "../../types";
import { isRecord, records, nonEmptyString as str } from "../../values";
import { notEmulated } from "../../wire/rest-json";
import { DYNAMODB_NAMESPACE, DynaliteStore, errorCode, type Item, ReadWriteLock } from "./store";
import { TransactionCanceledError, Transactions } from "./transactions";

/**
 * The DynamoDB emulator: dynalite (a DynamoDB implementation on LevelDB, in memory by default, under
 * `<persistDir>/dynamodb` with `--persist`) behind the engine, plus what dynalite lacks:
 *
 * - `TransactWriteItems` / `TransactGetItems` (see transactions.ts), serialized against every
 *   other request with a readers-writer lock;
 * - Time to Live: `DescribeTimeToLive` / `UpdateTimeToLive` answer from the table's `ttl` input (or the
 *   last `UpdateTimeToLive`), and a sweeper deletes expired items. DynamoDB deletes expired items in the
 *   background, typically within 48 hours of expiry; locally the sweep runs every `ttlSweepMs` (1 s), so
 *   they disappear promptly. As in DynamoDB, only Number attributes (epoch seconds) count, and a value
 *   more than five years in the past is ignored;
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem/UpdateItem/DeleteItem (the item is read
 *   right after the failed write, so a concurrent change can show);
 * - provisioning from `aws:dynamodb/table:Table` (key schema, GSIs with `hashKey`/`rangeKey` or
 *   `keySchemas`, LSIs, billing mode, TTL). With `--persist`, an existing table keeps its items; when the
 *   program changes its indexes the table is rebuilt with its items, when it changes its key schema it is
 *   recreated empty (Pulumi replaces the table).
 *
 * - `DescribeContinuousBackups` / `UpdateContinuousBackups` from the table's `pointInTimeRecovery` input
 *   (recorded; nothing is restorable locally);
 *
 * Known dynalite gaps (answered `UnknownOperationException` naming the operation): PartiQL (`ExecuteStatement`,
 * `BatchExecuteStatement`, `ExecuteTransaction`), streams (`streamEnabled` is recorded, no stream
 * records), backups, global tables, `DescribeLimits`, `DescribeEndpoints`, imports/exports, resource
 * policies. UpdateTable cannot add or remove GSIs at runtime. Capacity is never throttled.
 */

/** Options of the DynamoDB emulator. */
export interface DynamoDbOptions {
  /** How often the TTL sweeper deletes expired items, in milliseconds. @default 1000 */
  ttlSweepMs?: number;
}

/** The DynamoDB emulator with its test hooks. */
export interface DynamoDbEmulator extends ServiceEmulator {
  /** Deletes every expired item now (what the timer does). @returns how many were deleted */
  sweepTtl(): Promise<number>;
}

interface TtlSetting {
  attributeName: string;
  enabled: boolean;
}

interface TableRecord {
  /** Logical name of the resource that declared it, when provisioned. */
  resource?: string;
  ttl?: TtlSetting;
  stream?: { enabled: boolean; viewType?: string };
  /** Point-in-time recovery (recorded: nothing is restorable locally). */
  pointInTimeRecovery?: { enabled: boolean; recoveryPeriodInDays: number; since: number };
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

interface IndexDescription {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

interface TableDescription {
  TableName: string;
  TableArn?: string;
  TableStatus?: string;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions?: Array<{ AttributeName: string; AttributeType: string }>;
  GlobalSecondaryIndexes?: IndexDescription[];
  LocalSecondaryIndexes?: IndexDescription[];
  BillingModeSummary?: { BillingMode?: string };
  ItemCount?: number;
}

const TABLE_TYPE = "aws:dynamodb/table:Table";
/** DynamoDB ignores TTL values more than five years in the past. */
const FIVE_YEARS_S = 5 * 365 * 24 * 3600;
/** Operations this module answers itself; everything else goes to dynalite. */
const OWN_OPERATIONS = new Set([
  "TransactWriteItems",
  "TransactGetItems",
  "DescribeTimeToLive",
  "UpdateTimeToLive",
  "DescribeContinuousBackups",
  "UpdateContinuousBackups",
]);
/** What dynalite serves (its own list); any other operation is refused by name. */
const DYNALITE_OPERATIONS = new Set([
  "BatchGetItem",
  "BatchWriteItem",
  "CreateTable",
  "DeleteItem",
  "DeleteTable",
  "DescribeTable",
  "GetItem",
  "ListTables",
  "PutItem",
  "Query",
  "Scan",
  "TagResource",
  "UntagResource",
  "ListTagsOfResource",
  "UpdateItem",
  "UpdateTable",
]);
/** Operations after which cached key schemas may be stale. */
const SCHEMA_OPERATIONS = new Set(["CreateTable", "DeleteTable", "UpdateTable"]);

/** A DynamoDB attribute value as plain JSON (for the admin views). */
export function unmarshall(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case "S":
    case "B":
      return inner;
    case "N": {
      const n = Number(inner);
      return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : inner;
    }
    case "BOOL":
      return inner;
    case "NULL":
      return null;
    case "SS":
    case "BS":
      return inner;
    case "NS":
      return Array.isArray(inner) ? inner.map(Number) : inner;
    case "L":
      return Array.isArray(inner) ? inner.map(unmarshall) : inner;
    case "M":
      return isRecord(inner) ? unmarshallItem(inner as Item) : inner;
    default:
      return value;
  }
}

/** An item as plain JSON. */
export function unmarshallItem(item: Item): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, unmarshall(value)]));
}

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Creates the DynamoDB emulator (signing name `dynamodb`).
 * @param options.ttlSweepMs how often expired items are deleted (default 1000 ms)
 */
export function createDynamoDb(ctx: LocalContext, options: DynamoDbOptions = {}): DynamoDbEmulator {
  const sweepEvery = options.ttlSweepMs ?? 1000;
  let path: string | undefined;
  if (ctx.persistDir) {
    path = join(ctx.persistDir, "dynamodb");
    mkdirSync(path, { recursive: true });
  }
  const store = new DynaliteStore({
    ...(path ? { path } : {}),
    accountId: ctx.accountId,
    region: ctx.region,
  });
  const lock = new ReadWriteLock();
  const transactions = new Transactions(store);
  const tables = new Map<string, TableRecord>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  let stopped = false;

  const tableRecord = (name: string): TableRecord => {
    let record = tables.get(name);
    if (!record) {
      record = {};
      tables.set(name, record);
    }
    return record;
  };

  const describe = async (name: string): Promise<TableDescription | undefined> => {
    try {
      const out = await store.request<{ Table: TableDescription }>("DescribeTable", { TableName: name });
      return out.Table;
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ResourceNotFoundException") return undefined;
      throw error;
    }
  };

  const waitFor = async (name: string, status: "ACTIVE" | "GONE"): Promise<void> => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const table = await describe(name);
      if (status === "GONE" ? !table : table?.TableStatus === "ACTIVE") return;
      await sleep(2);
    }
    throw new Error(`DynamoDB table ${name} did not become ${status}`);
  };

  const scanAll = async (name: string, extra: Record<string, unknown> = {}): Promise<Item[]> => {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await store.request<{ Items?: Item[]; LastEvaluatedKey?: Item }>("Scan", {
        TableName: name,
        ...extra,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const createTable = async (input: Record<string, unknown>): Promise<void> => {
    const name = String(input.TableName);
    try {
      await store.request("CreateTable", input);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot create DynamoDB table ${name}: ${detail}`);
    }
    await waitFor(name, "ACTIVE");
  };

  const provisionTable = async (resource: LocalResource): Promise<void> => {
    const input = createTableInput(resource);
    const name = String(input.TableName);
    const inputs = resource.inputs as Record<string, unknown>;
    const record = tableRecord(name);
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
    await lock.exclusive(async () => {
      transactions.forget(name);
      const existing = await describe(name);
      if (!existing) {
        await createTable(input);
        ctx.log.debug("dynamodb table created", { table: name });
        return;
      }
      const want = shape(input);
      const have = shape(existing);
      if (want.keys !== have.keys) {
        ctx.log.warn("dynamodb table key schema changed: the table is recreated empty (Pulumi replaces it)", {
          table: name,
          was: have.keys,
          now: want.keys,
        });
        await store.request("DeleteTable", { TableName: name });
        await waitFor(name, "GONE");
        await createTable(input);
        return;
      }
      if (want.indexes !== have.indexes) {
        const items = await scanAll(name);
        ctx.log.info("dynamodb table indexes changed: rebuilding it with its items", {
          table: name,
          items: items.length,
        });
        await store.request("DeleteTable", { TableName: name });
        await waitFor(name, "GONE");
        await createTable(input);
        for (const item of items) await store.request("PutItem", { TableName: name, Item: item });
        return;
      }
      ctx.log.debug("dynamodb table kept", { table: name });
    });
  };

  const sweepTable = async (name: string, ttl: TtlSetting, nowS: number): Promise<number> => {
    const table = await lock.shared(() => describe(name));
    if (!table) return 0;
    const keyNames = table.KeySchema.map((k) => k.AttributeName);
    const names = { "#ttl": ttl.attributeName };
    const window = { ":now": { N: String(nowS) }, ":oldest": { N: String(nowS - FIVE_YEARS_S) } };
    const expired = await lock.shared(() =>
      scanAll(name, {
        FilterExpression: "#ttl < :now AND #ttl >= :oldest",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: window,
        ConsistentRead: true,
      }),
    );
    let deleted = 0;
    for (const item of expired) {
      const key = Object.fromEntries(keyNames.map((k) => [k, item[k]]));
      try {
        await lock.shared(() =>
          store.request("DeleteItem", {
            TableName: name,
            Key: key,
            // The item may have been updated (new expiry) since the scan: delete it only if still expired.
            ConditionExpression: "#ttl < :now AND #ttl >= :oldest",
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: window,
          }),
        );
        deleted += 1;
      } catch (error) {
        if (!(error instanceof LocalServiceError && error.code === "ConditionalCheckFailedException"))
          throw error;
      }
    }
    if (deleted > 0) ctx.log.debug("dynamodb ttl: expired items deleted", { table: name, deleted });
    return deleted;
  };

  const sweepOnce = async (): Promise<number> => {
    const nowS = Math.floor(Date.now() / 1000);
    let deleted = 0;
    for (const [name, record] of tables) {
      if (!record.ttl?.enabled) continue;
      try {
        deleted += await sweepTable(name, record.ttl, nowS);
      } catch (error) {
        ctx.log.warn("dynamodb ttl sweep failed", { table: name, error: String(error) });
      }
    }
    return deleted;
  };

  const sweepTtl = (): Promise<number> => {
    // One sweep at a time: a caller during a sweep waits for it, then sweeps again.
    const run = (sweeping ?? Promise.resolve(0)).then(() => sweepOnce());
    const settled = run.catch(() => 0);
    sweeping = settled;
    return run;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void sweepTtl().finally(schedule);
    }, sweepEvery);
    timer.unref();
  };

  const describeTimeToLive = async (input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const name = str(input.TableName);
    if (!name) throw new LocalServiceError("ValidationException", "TableName is required.");
    if (!(await describe(name))) {
      throw new LocalServiceError(
        "ResourceNotFoundException",
        `Requested resource not found: Table: ${name} not found`,
      );
    }
    const ttl = tables.get(name)?.ttl;
    return {
      TimeToLiveDescription: ttl?.enabled
        ? { TimeToLiveStatus: "ENABLED", AttributeName: ttl.attributeName }
        : { TimeToLiveStatus: "DISABLED" },
    };
  };

  /**
   * DescribeContinuousBackups: continuous backups are always ENABLED; point-in-time recovery as declared, with a
   * recovery period of 1 to 35 days (35 by default).
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html
   */
  const describeContinuousBackups = async (
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const name = str(input.TableName);
    if (!name) throw new LocalServiceError("ValidationException", "TableName is required.");
    if (!(await describe(name)))
      throw new LocalServiceError("TableNotFoundException", `Table not found: ${name}`);
    const pitr = tables.get(name)?.pointInTimeRecovery;
    const now = Date.now() / 1000;
    return {
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: "ENABLED",
        PointInTimeRecoveryDescription: pitr?.enabled
          ? {
              PointInTimeRecoveryStatus: "ENABLED",
              RecoveryPeriodInDays: pitr.recoveryPeriodInDays,
              EarliestRestorableDateTime: Math.max(
                pitr.since / 1000,
                now - pitr.recoveryPeriodInDays * 86_400,
              ),
              LatestRestorableDateTime: now - 300,
            }
          : { PointInTimeRecoveryStatus: "DISABLED" },
      },
    };
  };

  const updateContinuousBackups = async (
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const name = str(input.TableName);
    const spec = isRecord(input.PointInTimeRecoverySpecification)
      ? input.PointInTimeRecoverySpecification
      : undefined;
    if (!name) throw new LocalServiceError("ValidationException", "TableName is required.");
    if (!spec || typeof spec.PointInTimeRecoveryEnabled !== "boolean") {
      throw new LocalServiceError(
        "ValidationException",
        "1 validation error detected: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is required.",
      );
    }
    if (!(await describe(name)))
      throw new LocalServiceError("TableNotFoundException", `Table not found: ${name}`);
    const days = typeof spec.RecoveryPeriodInDays === "number" ? spec.RecoveryPeriodInDays : 35;
    if (days < 1 || days > 35) {
      throw new LocalServiceError(
        "ValidationException",
        `1 validation error detected: Value '${days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35`,
      );
    }
    tableRecord(name).pointInTimeRecovery = spec.PointInTimeRecoveryEnabled
      ? { enabled: true, recoveryPeriodInDays: days, since: Date.now() }
      : undefined;
    return describeContinuousBackups({ TableName: name });
  };

  const updateTimeToLive = async (input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const name = str(input.TableName);
    const spec = isRecord(input.TimeToLiveSpecification) ? input.TimeToLiveSpecification : undefined;
    const attributeName = spec ? str(spec.AttributeName) : undefined;
    if (!name) throw new LocalServiceError("ValidationException", "TableName is required.");
    if (!spec || typeof spec.Enabled !== "boolean" || !attributeName) {
      throw new LocalServiceError(
        "ValidationException",
        "1 validation error detected: TimeToLiveSpecification needs Enabled (boolean) and AttributeName.",
      );
    }
    if (!(await describe(name))) {
      throw new LocalServiceError(
        "ResourceNotFoundException",
        `Requested resource not found: Table: ${name} not found`,
      );
    }
    const record = tableRecord(name);
    const enabled = record.ttl?.enabled === true;
    if (spec.Enabled && enabled)
      throw new LocalServiceError("ValidationException", "TimeToLive is already enabled");
    if (!spec.Enabled && !enabled)
      throw new LocalServiceError("ValidationException", "TimeToLive is already disabled");
    if (!spec.Enabled && record.ttl && record.ttl.attributeName !== attributeName) {
      throw new LocalServiceError(
        "ValidationException",
        `TimeToLive is enabled on attribute ${record.ttl.attributeName}, not ${attributeName}`,
      );
    }
    record.ttl = { attributeName, enabled: spec.Enabled };
    return { TimeToLiveSpecification: { AttributeName: attributeName, Enabled: spec.Enabled } };
  };

  const sendError = (res: ServerResponse, error: LocalServiceError): void => {
    if (error instanceof TransactionCanceledError) {
      const text = JSON.stringify({
        __type: `${DYNAMODB_NAMESPACE}#${error.code}`,
        Message: error.message,
        message: error.message,
        CancellationReasons: error.reasons,
      });
      res.writeHead(400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": requestId(),
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const namespace = error.code === "ValidationException" ? "com.amazon.coral.validate" : DYNAMODB_NAMESPACE;
    sendJsonError(res, error, { namespace });
  };

  /** Forwards one request to dynalite and relays its answer (adding what dynalite leaves out). */
  const forward = async (
    operation: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): Promise<void> => {
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "x-amz-date", "content-type"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const response = await lock.shared(async () => {
      const answer = await store.call(operation, body, headers);
      if (SCHEMA_OPERATIONS.has(operation)) transactions.forget();
      return answer;
    });
    let text = response.body;
    if (response.status === 400 && ["PutItem", "UpdateItem", "DeleteItem"].includes(operation)) {
      text = await withConditionItem(text, body);
    }
    const out: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (name !== "content-length" && name !== "x-amz-crc32") out[name] = value;
    }
    if (text === response.body && response.headers["x-amz-crc32"] !== undefined)
      out["x-amz-crc32"] = response.headers["x-amz-crc32"];
    out["content-length"] = Buffer.byteLength(text);
    res.writeHead(response.status, out);
    res.end(text);
  };

  /** Adds `Item` to a ConditionalCheckFailedException when the request asked for ALL_OLD. */
  const withConditionItem = async (errorText: string, requestBody: Buffer): Promise<string> => {
    let error: Record<string, unknown>;
    let input: Record<string, unknown>;
    try {
      error = JSON.parse(errorText) as Record<string, unknown>;
      input = JSON.parse(requestBody.toString("utf8")) as Record<string, unknown>;
    } catch {
      return errorText;
    }
    if (
      errorCode(error) !== "ConditionalCheckFailedException" ||
      input.ReturnValuesOnConditionCheckFailure !== "ALL_OLD"
    ) {
      return errorText;
    }
    const table = str(input.TableName);
    let key = isRecord(input.Key) ? input.Key : undefined;
    if (!key && isRecord(input.Item) && table) {
      const described = await describe(table);
      const item = input.Item;
      key = Object.fromEntries(
        (described?.KeySchema ?? []).map((k) => [k.AttributeName, item[k.AttributeName]]),
      );
    }
    if (!table || !key) return errorText;
    const current = await store.request<{ Item?: Item }>("GetItem", {
      TableName: table,
      Key: key,
      ConsistentRead: true,
    });
    return current.Item ? JSON.stringify({ ...error, Item: current.Item }) : errorText;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    let operation: string;
    try {
      operation = jsonOperation(req);
    } catch (error) {
      sendError(res, error as LocalServiceError);
      return;
    }
    if (!OWN_OPERATIONS.has(operation)) {
      if (DYNALITE_OPERATIONS.has(operation)) await forward(operation, req, res, body);
      else
        sendJsonError(res, notEmulated("dynamodb", operation, "json"), {
          namespace: "com.amazon.coral.service",
        });
      return;
    }
    try {
      const input = parseJsonBody(body);
      let output: Record<string, unknown>;
      switch (operation) {
        case "TransactWriteItems":
          output = await lock.exclusive(() => transactions.write(input));
          break;
        case "TransactGetItems":
          output = await lock.exclusive(() => transactions.get(input));
          break;
        case "DescribeTimeToLive":
          output = await lock.shared(() => describeTimeToLive(input));
          break;
        case "DescribeContinuousBackups":
          output = await lock.shared(() => describeContinuousBackups(input));
          break;
        case "UpdateContinuousBackups":
          output = await lock.shared(() => updateContinuousBackups(input));
          break;
        default:
          output = await lock.shared(() => updateTimeToLive(input));
      }
      sendJson(res, output);
    } catch (error) {
      if (error instanceof LocalServiceError) sendError(res, error);
      else throw error;
    }
  };

  const listTables = async (): Promise<string[]> => {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const out = await store.request<{ TableNames?: string[]; LastEvaluatedTableName?: string }>(
        "ListTables",
        {
          ...(start ? { ExclusiveStartTableName: start } : {}),
        },
      );
      names.push(...(out.TableNames ?? []));
      start = out.LastEvaluatedTableName;
    } while (start);
    return names;
  };

  const tablesView = async (): Promise<unknown> => {
    const views = [];
    for (const name of await lock.shared(listTables)) {
      const table = await lock.shared(() => describe(name));
      if (!table) continue;
      const counted = await lock.shared(async () => {
        let total = 0;
        let start: Item | undefined;
        do {
          const out = await store.request<{ Count?: number; LastEvaluatedKey?: Item }>("Scan", {
            TableName: name,
            Select: "COUNT",
            ...(start ? { ExclusiveStartKey: start } : {}),
          });
          total += out.Count ?? 0;
          start = out.LastEvaluatedKey;
        } while (start);
        return total;
      });
      const record = tables.get(name);
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
  };

  const itemsView = async (query: URLSearchParams): Promise<unknown> => {
    const table = query.get("table");
    if (!table)
      throw new LocalServiceError(
        "ValidationException",
        "Give the table: dynamodb/items?table=<name>&limit=N",
      );
    const limit = Math.min(Math.max(Number(query.get("limit") ?? 50) || 50, 1), 1000);
    const out = await lock.shared(() =>
      store.request<{ Items?: Item[]; Count?: number; LastEvaluatedKey?: Item }>("Scan", {
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
  };

  return {
    signingNames: ["dynamodb"],
    provision(resource: LocalResource): Promise<void> | undefined {
      if (resource.type !== TABLE_TYPE) return undefined;
      return provisionTable(resource);
    },
    handle,
    adminRoutes: {
      "dynamodb/tables": () => tablesView(),
      "dynamodb/items": (query) => itemsView(query),
    },
    start(): void {
      if (timer === undefined && !stopped) schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await sweeping?.catch(() => undefined);
      await lock.exclusive(() => store.close());
    },
    sweepTtl,
  };
}
