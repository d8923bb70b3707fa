import { isRecord, nonEmptyString as str } from "../../values";
import { errorCode, tableNotFound, tableResourceNotFound, validation } from "./errors";
import type { Item } from "./items";
import type { DynamoDbModel } from "./model";

/**
 * The DynamoDB API the local cloud adds to dynalite's: the operations it answers itself (one function per
 * operation, the JSON protocol's input and output, over the {@link DynamoDbModel}), the list of what dynalite
 * serves, and what it adds to dynalite's answers.
 *
 * - `TransactWriteItems` / `TransactGetItems` (transactions.ts), each alone under the exclusive lock;
 * - Time to Live: `DescribeTimeToLive` / `UpdateTimeToLive` answer from the table's `ttl` input (or the last
 *   `UpdateTimeToLive`); ttl.ts deletes expired items;
 * - `DescribeContinuousBackups` / `UpdateContinuousBackups` from the table's `pointInTimeRecovery` input
 *   (recorded; nothing is restorable locally);
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem/UpdateItem/DeleteItem ({@link withConditionItem}).
 */

/** An operation the local cloud answers itself, and the lock it runs under. */
export interface OwnOperation {
  /** Runs alone (a transaction) rather than alongside other requests. */
  exclusive: boolean;
  run(model: DynamoDbModel, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** What dynalite serves (its own list); any operation neither here nor in {@link OPERATIONS} is refused by name. */
export const DYNALITE_OPERATIONS = new Set([
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

/** dynalite's operations after which cached key schemas may be stale. */
export const SCHEMA_OPERATIONS = new Set(["CreateTable", "DeleteTable", "UpdateTable"]);

/** dynalite's operations whose ConditionalCheckFailedException may carry the item ({@link withConditionItem}). */
export const CONDITIONAL_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem"]);

async function describeTimeToLive(
  model: DynamoDbModel,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const name = str(input.TableName);
  if (!name) throw validation("TableName is required.");
  if (!(await model.describe(name))) {
    throw tableResourceNotFound(name);
  }
  const ttl = model.tables.get(name)?.ttl;
  return {
    TimeToLiveDescription: ttl?.enabled
      ? { TimeToLiveStatus: "ENABLED", AttributeName: ttl.attributeName }
      : { TimeToLiveStatus: "DISABLED" },
  };
}

async function updateTimeToLive(
  model: DynamoDbModel,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const name = str(input.TableName);
  const spec = isRecord(input.TimeToLiveSpecification) ? input.TimeToLiveSpecification : undefined;
  const attributeName = spec ? str(spec.AttributeName) : undefined;
  if (!name) throw validation("TableName is required.");
  if (!spec || typeof spec.Enabled !== "boolean" || !attributeName) {
    throw validation(
      "1 validation error detected: TimeToLiveSpecification needs Enabled (boolean) and AttributeName.",
    );
  }
  if (!(await model.describe(name))) {
    throw tableResourceNotFound(name);
  }
  const record = model.tableRecord(name);
  const enabled = record.ttl?.enabled === true;
  if (spec.Enabled && enabled) throw validation("TimeToLive is already enabled");
  if (!spec.Enabled && !enabled) throw validation("TimeToLive is already disabled");
  if (!spec.Enabled && record.ttl && record.ttl.attributeName !== attributeName) {
    throw validation(`TimeToLive is enabled on attribute ${record.ttl.attributeName}, not ${attributeName}`);
  }
  record.ttl = { attributeName, enabled: spec.Enabled };
  return { TimeToLiveSpecification: { AttributeName: attributeName, Enabled: spec.Enabled } };
}

/**
 * DescribeContinuousBackups: continuous backups are always ENABLED; point-in-time recovery as declared, with a
 * recovery period of 1 to 35 days (35 by default).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html
 */
async function describeContinuousBackups(
  model: DynamoDbModel,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const name = str(input.TableName);
  if (!name) throw validation("TableName is required.");
  if (!(await model.describe(name))) throw tableNotFound(name);
  const pitr = model.tables.get(name)?.pointInTimeRecovery;
  const now = Date.now() / 1000;
  return {
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: "ENABLED",
      PointInTimeRecoveryDescription: pitr?.enabled
        ? {
            PointInTimeRecoveryStatus: "ENABLED",
            RecoveryPeriodInDays: pitr.recoveryPeriodInDays,
            EarliestRestorableDateTime: Math.max(pitr.since / 1000, now - pitr.recoveryPeriodInDays * 86_400),
            LatestRestorableDateTime: now - 300,
          }
        : { PointInTimeRecoveryStatus: "DISABLED" },
    },
  };
}

async function updateContinuousBackups(
  model: DynamoDbModel,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const name = str(input.TableName);
  const spec = isRecord(input.PointInTimeRecoverySpecification)
    ? input.PointInTimeRecoverySpecification
    : undefined;
  if (!name) throw validation("TableName is required.");
  if (!spec || typeof spec.PointInTimeRecoveryEnabled !== "boolean") {
    throw validation(
      "1 validation error detected: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is required.",
    );
  }
  if (!(await model.describe(name))) throw tableNotFound(name);
  const days = typeof spec.RecoveryPeriodInDays === "number" ? spec.RecoveryPeriodInDays : 35;
  if (days < 1 || days > 35) {
    throw validation(
      `1 validation error detected: Value '${days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35`,
    );
  }
  model.tableRecord(name).pointInTimeRecovery = spec.PointInTimeRecoveryEnabled
    ? { enabled: true, recoveryPeriodInDays: days, since: Date.now() }
    : undefined;
  return describeContinuousBackups(model, { TableName: name });
}

/** The operations the local cloud answers itself (everything else of {@link DYNALITE_OPERATIONS} goes to dynalite). */
export const OPERATIONS: ReadonlyMap<string, OwnOperation> = new Map<string, OwnOperation>([
  ["TransactWriteItems", { exclusive: true, run: (model, input) => model.transactions.write(input) }],
  ["TransactGetItems", { exclusive: true, run: (model, input) => model.transactions.get(input) }],
  ["DescribeTimeToLive", { exclusive: false, run: describeTimeToLive }],
  ["UpdateTimeToLive", { exclusive: false, run: updateTimeToLive }],
  ["DescribeContinuousBackups", { exclusive: false, run: describeContinuousBackups }],
  ["UpdateContinuousBackups", { exclusive: false, run: updateContinuousBackups }],
]);

/** Adds `Item` to a ConditionalCheckFailedException when the request asked for ALL_OLD. */
export async function withConditionItem(
  model: DynamoDbModel,
  errorText: string,
  requestBody: Buffer,
): Promise<string> {
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
    const described = await model.describe(table);
    const item = input.Item;
    key = Object.fromEntries(
      (described?.KeySchema ?? []).map((k) => [k.AttributeName, item[k.AttributeName]]),
    );
  }
  if (!table || !key) return errorText;
  const current = await model.store.request<{ Item?: Item }>("GetItem", {
    TableName: table,
    Key: key,
    ConsistentRead: true,
  });
  return current.Item ? JSON.stringify({ ...error, Item: current.Item }) : errorText;
}
