import { LocalServiceError } from "../../types";
import type { Item } from "./items";
import { ReadWriteLock } from "./lock";
import { DynaliteStore } from "./store";
import { Transactions } from "./transactions";

/**
 * The state of the local DynamoDB, without wire format or Pulumi: the tables and items (dynalite, see
 * store.ts), the readers-writer lock every request takes (transactions run alone), the transactions
 * (transactions.ts), and what DynamoDB keeps per table that dynalite does not (TTL, stream and
 * point-in-time recovery settings, the resource that declared it). The helpers below call dynalite without
 * taking the lock: their callers (api.ts, provisioning.ts, ttl.ts, the views) hold it.
 */

export interface TtlSetting {
  attributeName: string;
  enabled: boolean;
}

/** What the local DynamoDB keeps about a table besides dynalite's description. */
export interface TableRecord {
  /** Logical name of the resource that declared it, when provisioned. */
  resource?: string;
  ttl?: TtlSetting;
  stream?: { enabled: boolean; viewType?: string };
  /** Point-in-time recovery (recorded: nothing is restorable locally). */
  pointInTimeRecovery?: { enabled: boolean; recoveryPeriodInDays: number; since: number };
}

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

export interface IndexDescription {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

/** The part of DescribeTable's `Table` the local cloud reads. */
export interface TableDescription {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class DynamoDbModel {
  readonly store: DynaliteStore;
  readonly lock = new ReadWriteLock();
  readonly transactions: Transactions;
  /** Per table name: what dynalite does not keep. */
  readonly tables = new Map<string, TableRecord>();

  /**
   * @param options.path LevelDB folder; in memory when undefined.
   * @param options.accountId / options.region go into the table ARNs.
   */
  constructor(options: { path?: string; accountId: string; region: string }) {
    this.store = new DynaliteStore(options);
    this.transactions = new Transactions(this.store);
  }

  /** The record of a table, created empty when missing. */
  tableRecord(name: string): TableRecord {
    let record = this.tables.get(name);
    if (!record) {
      record = {};
      this.tables.set(name, record);
    }
    return record;
  }

  /** DescribeTable's `Table`, undefined when there is no such table. */
  async describe(name: string): Promise<TableDescription | undefined> {
    try {
      const out = await this.store.request<{ Table: TableDescription }>("DescribeTable", { TableName: name });
      return out.Table;
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ResourceNotFoundException") return undefined;
      throw error;
    }
  }

  /** Waits until the table is ACTIVE, or gone. */
  async waitFor(name: string, status: "ACTIVE" | "GONE"): Promise<void> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const table = await this.describe(name);
      if (status === "GONE" ? !table : table?.TableStatus === "ACTIVE") return;
      await sleep(2);
    }
    throw new Error(`DynamoDB table ${name} did not become ${status}`);
  }

  /** Every item of a table (Scan, all pages), with extra Scan parameters (a filter...). */
  async scanAll(name: string, extra: Record<string, unknown> = {}): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.store.request<{ Items?: Item[]; LastEvaluatedKey?: Item }>("Scan", {
        TableName: name,
        ...extra,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** CreateTable, waiting until the table is ACTIVE. @throws Error naming the table */
  async createTable(input: Record<string, unknown>): Promise<void> {
    const name = String(input.TableName);
    try {
      await this.store.request("CreateTable", input);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot create DynamoDB table ${name}: ${detail}`);
    }
    await this.waitFor(name, "ACTIVE");
  }

  /** DeleteTable, waiting until the table is gone. */
  async deleteTable(name: string): Promise<void> {
    await this.store.request("DeleteTable", { TableName: name });
    await this.waitFor(name, "GONE");
  }

  /** Every table name (ListTables, all pages). */
  async listTables(): Promise<string[]> {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const out = await this.store.request<{ TableNames?: string[]; LastEvaluatedTableName?: string }>(
        "ListTables",
        {
          ...(start ? { ExclusiveStartTableName: start } : {}),
        },
      );
      names.push(...(out.TableNames ?? []));
      start = out.LastEvaluatedTableName;
    } while (start);
    return names;
  }

  /** How many items a table holds (Scan with `Select: COUNT`, all pages). */
  async countItems(name: string): Promise<number> {
    let total = 0;
    let start: Item | undefined;
    do {
      const out = await this.store.request<{ Count?: number; LastEvaluatedKey?: Item }>("Scan", {
        TableName: name,
        Select: "COUNT",
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return total;
  }

  /** Closes the store; call under the exclusive lock. */
  close(): Promise<void> {
    return this.store.close();
  }
}
