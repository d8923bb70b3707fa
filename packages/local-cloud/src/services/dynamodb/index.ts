import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { LocalContext, LocalResource, ServiceEmulator } from "../../types";
import { handleDynamoDb } from "./json";
import { DynamoDbModel } from "./model";
import { provisionTable, TABLE_TYPE } from "./provisioning";
import { TtlSweeper } from "./ttl";
import { itemsView, tablesView } from "./views";

export { unmarshall, unmarshallItem } from "./items";
export { createTableInput } from "./provisioning";

/**
 * The DynamoDB emulator: dynalite (a DynamoDB implementation on LevelDB, in memory by default, under
 * `<persistDir>/dynamodb` with `--persist`) behind the engine, plus what dynalite lacks:
 *
 * - `TransactWriteItems` / `TransactGetItems` (transactions.ts), serialized against every other request
 *   with a readers-writer lock (lock.ts);
 * - Time to Live: `DescribeTimeToLive` / `UpdateTimeToLive` (api.ts) and a sweeper deleting expired items
 *   every `ttlSweepMs` (ttl.ts);
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem/UpdateItem/DeleteItem (the item is read
 *   right after the failed write, so a concurrent change can show);
 * - `DescribeContinuousBackups` / `UpdateContinuousBackups` from the table's `pointInTimeRecovery` input
 *   (recorded; nothing is restorable locally);
 * - provisioning from `aws:dynamodb/table:Table` (provisioning.ts).
 *
 * Layout: store.ts (dynalite in-process), model.ts (tables and what dynalite does not keep), lock.ts,
 * transactions.ts, ttl.ts, items.ts (attribute values, plain JSON views), api.ts (the operations answered
 * here), json.ts (the JSON 1.0 codec and the relay to dynalite), provisioning.ts, errors.ts, views.ts (the
 * `/_local/` views); this file wires them.
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

/**
 * Creates the DynamoDB emulator (signing name `dynamodb`).
 * @param options.ttlSweepMs how often expired items are deleted (default 1000 ms)
 */
export function createDynamoDb(ctx: LocalContext, options: DynamoDbOptions = {}): DynamoDbEmulator {
  let path: string | undefined;
  if (ctx.persistDir) {
    path = join(ctx.persistDir, "dynamodb");
    mkdirSync(path, { recursive: true });
  }
  const model = new DynamoDbModel({
    ...(path ? { path } : {}),
    accountId: ctx.accountId,
    region: ctx.region,
  });
  const sweeper = new TtlSweeper(model, ctx.log, options.ttlSweepMs ?? 1000);

  return {
    signingNames: ["dynamodb"],
    provision(resource: LocalResource): Promise<void> | undefined {
      if (resource.type !== TABLE_TYPE) return undefined;
      return provisionTable(model, ctx.log, resource);
    },
    handle: (req, res, body) => handleDynamoDb(model, req, res, body),
    adminRoutes: {
      "dynamodb/tables": () => tablesView(model),
      "dynamodb/items": (query) => itemsView(model, query),
    },
    start(): void {
      sweeper.start();
    },
    async stop(): Promise<void> {
      await sweeper.stop();
      await model.lock.exclusive(() => model.close());
    },
    sweepTtl: () => sweeper.sweep(),
  };
}
