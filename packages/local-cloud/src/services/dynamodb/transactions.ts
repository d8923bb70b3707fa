import { createHash } from "node:crypto";
import { LocalServiceError } from "../../types";
import { isRecord } from "../../values";
import {
  type CancellationReason,
  TransactionCanceledError,
  tableResourceNotFound,
  validation,
} from "./errors";
import type { Item } from "./items";
import type { DynaliteStore } from "./store";

/**
 * TransactWriteItems and TransactGetItems, which dynalite does not implement, built on its single-item
 * operations. The caller runs them under an exclusive lock (no other request interleaves), so the
 * all-or-nothing outcome is observable as in DynamoDB:
 *
 * 1. the request is validated (at most 100 actions, one action per item, tables exist); when a key is not
 *    plainly of its declared type, every target item is read first (a snapshot), so that key fails the
 *    request before anything is written;
 * 2. every action runs through dynalite with its own condition, in order (answering the item as it was: the
 *    snapshot, unless read in 1); a failed condition is noted and the remaining actions still run, so each
 *    gets its cancellation reason;
 * 3. when any condition failed, every applied action is undone from the snapshots (items put back or
 *    deleted) and `TransactionCanceledException` lists one reason per action (`None`,
 *    `ConditionalCheckFailed`, with the item when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`).
 *
 * A `ConditionCheck` runs as an `UpdateItem` with the condition and no update (which creates a key-only
 * item when there was none; that item is removed again afterwards). A validation error of an action (bad
 * expression, wrong key) undoes the applied ones and fails the whole request with `ValidationException`.
 * `ClientRequestToken` makes a retried request within 10 minutes succeed without applying it twice, and a
 * reused token with other parameters fails with `IdempotentParameterMismatchException`, as in DynamoDB.
 *
 * Not emulated: conflicts with concurrent transactions (`TransactionConflict`: everything is serialized),
 * throttling, consumed capacity and item collection metrics.
 */

/** DynamoDB's limit of actions per transaction. */
export const MAX_TRANSACTION_ACTIONS = 100;
/** How long a ClientRequestToken is remembered. */
const TOKEN_TTL_MS = 10 * 60 * 1000;

type Action = "ConditionCheck" | "Put" | "Update" | "Delete";
const ACTIONS: readonly Action[] = ["ConditionCheck", "Put", "Update", "Delete"];

/** A key attribute of a table: its name and scalar type (`S`, `N` or `B`). */
interface KeyAttribute {
  name: string;
  type: string;
}

/** A number as DynamoDB writes it (what dynalite accepts without a validation message). */
const PLAIN_NUMBER = /^-?(0|[1-9]\d{0,20})(\.\d{1,20})?$/;

interface Step {
  action: Action;
  params: Record<string, unknown>;
  table: string;
  key: Item;
  before: Item | undefined;
  applied: boolean;
}

/** The DynamoDB transactions of one store. */
export class Transactions {
  private readonly tokens = new Map<string, { hash: string; at: number }>();
  private readonly keySchemas = new Map<string, KeyAttribute[]>();

  constructor(private readonly store: DynaliteStore) {}

  /** Forgets cached key schemas (after CreateTable/DeleteTable/UpdateTable). */
  forget(table?: string): void {
    if (table === undefined) this.keySchemas.clear();
    else this.keySchemas.delete(table);
  }

  /** TransactWriteItems. Call under the exclusive lock. */
  async write(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const items = this.actions(input, "TransactItems");
    const token = typeof input.ClientRequestToken === "string" ? input.ClientRequestToken : undefined;
    if (token !== undefined) {
      const hash = createHash("sha256").update(JSON.stringify(items)).digest("hex");
      const now = Date.now();
      // Tokens are remembered in the order they were used (transactions run one at a time), so the expired
      // ones are at the front: stop at the first that is not (a sweep of every token per write made a long
      // run quadratic). One out of order (the clock stepped back) is still ignored once expired.
      for (const [seen, entry] of this.tokens) {
        if (now - entry.at <= TOKEN_TTL_MS) break;
        this.tokens.delete(seen);
      }
      const remembered = this.tokens.get(token);
      const previous = remembered && now - remembered.at <= TOKEN_TTL_MS ? remembered : undefined;
      if (previous) {
        if (previous.hash !== hash) {
          throw new LocalServiceError(
            "IdempotentParameterMismatchException",
            `ClientRequestToken ${token} was already used with different parameters within the last 10 minutes.`,
          );
        }
        return {};
      }
      await this.apply(items);
      this.tokens.delete(token);
      this.tokens.set(token, { hash, at: now });
      return {};
    }
    await this.apply(items);
    return {};
  }

  /** TransactGetItems. Call under the exclusive lock. */
  async get(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entries = this.actions(input, "TransactItems");
    const seen = new Set<string>();
    const gets: Array<Record<string, unknown>> = [];
    for (const [index, entry] of entries.entries()) {
      const get = entry.Get;
      if (!isRecord(get) || Object.keys(entry).length !== 1) {
        throw validation(`TransactItems.${index + 1} must contain exactly one Get.`);
      }
      const table = this.tableName(get, `TransactItems.${index + 1}.Get`);
      const key = get.Key;
      if (!isRecord(key)) throw validation(`TransactItems.${index + 1}.Get.Key is required.`);
      const id = await this.itemId(table, key as Item);
      if (seen.has(id))
        throw validation("Transaction request cannot include multiple operations on one item");
      seen.add(id);
      gets.push(get);
    }
    const responses: Array<Record<string, unknown>> = [];
    for (const get of gets) {
      const out = await this.store.request<{ Item?: Item }>("GetItem", { ...get, ConsistentRead: true });
      responses.push(out.Item ? { Item: out.Item } : {});
    }
    return { Responses: responses };
  }

  private actions(input: Record<string, unknown>, field: string): Array<Record<string, unknown>> {
    const list = input[field];
    const member = field.charAt(0).toLowerCase() + field.slice(1);
    if (!Array.isArray(list)) {
      throw validation(
        `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (list.length < 1 || list.length > MAX_TRANSACTION_ACTIONS) {
      const bound =
        list.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_TRANSACTION_ACTIONS}`;
      throw validation(
        `1 validation error detected: Value '${list.length} actions' at '${member}' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    return list.map((entry, index) => {
      if (!isRecord(entry)) throw validation(`${field}.${index + 1} must be an object.`);
      return entry;
    });
  }

  private tableName(params: Record<string, unknown>, at: string): string {
    if (typeof params.TableName !== "string" || params.TableName === "") {
      throw validation(
        `1 validation error detected: Value null at '${at}.TableName' failed to satisfy constraint: Member must not be null`,
      );
    }
    return params.TableName;
  }

  private async keyAttributes(table: string): Promise<string[]> {
    return (await this.keySchema(table)).map((attribute) => attribute.name);
  }

  private async keySchema(table: string): Promise<KeyAttribute[]> {
    const cached = this.keySchemas.get(table);
    if (cached) return cached;
    const out = await this.store
      .request<{
        Table?: {
          KeySchema?: Array<{ AttributeName: string; KeyType: string }>;
          AttributeDefinitions?: Array<{ AttributeName: string; AttributeType: string }>;
        };
      }>("DescribeTable", { TableName: table })
      .catch((error: unknown) => {
        if (error instanceof LocalServiceError && error.code === "ResourceNotFoundException") {
          throw tableResourceNotFound(table);
        }
        throw error;
      });
    const types = new Map(
      (out.Table?.AttributeDefinitions ?? []).map((entry) => [entry.AttributeName, entry.AttributeType]),
    );
    const schema = (out.Table?.KeySchema ?? [])
      .slice()
      .sort((a, b) => (a.KeyType === "HASH" ? -1 : b.KeyType === "HASH" ? 1 : 0))
      .map((entry) => ({ name: entry.AttributeName, type: types.get(entry.AttributeName) ?? "" }));
    this.keySchemas.set(table, schema);
    return schema;
  }

  /**
   * Whether every action's key is one dynalite can only accept (each key attribute once, of its declared type,
   * a non-empty string or a plain number, nothing else in a `Key`): then no action can fail on its key, and
   * the snapshots come from the writes themselves. Otherwise they are read first, so a bad key fails the
   * request before anything is written, with the message a read gives.
   */
  private async wellFormed(steps: readonly Step[]): Promise<boolean> {
    for (const step of steps) {
      const schema = await this.keySchema(step.table);
      const given = (step.action === "Put" ? step.key : step.params.Key) as Item;
      if (step.action !== "Put" && Object.keys(given).length !== schema.length) return false;
      for (const { name, type } of schema) {
        const value = given[name] as unknown;
        if (!isRecord(value) || Object.keys(value).length !== 1) return false;
        const scalar = value[type];
        if (typeof scalar !== "string" || scalar === "" || scalar.length > 1024) return false;
        if (type === "N" ? !PLAIN_NUMBER.test(scalar) : type !== "S") return false;
      }
    }
    return true;
  }

  private async keyOf(table: string, item: Item, at: string): Promise<Item> {
    const key: Item = {};
    for (const name of await this.keyAttributes(table)) {
      const value = item[name];
      if (!value)
        throw validation(
          `One or more parameter values were invalid: Missing the key ${name} in the item (${at})`,
        );
      key[name] = value;
    }
    return key;
  }

  private async itemId(table: string, key: Item): Promise<string> {
    const names = await this.keyAttributes(table);
    return JSON.stringify([table, ...names.map((name) => key[name] ?? null)]);
  }

  private async plan(entries: Array<Record<string, unknown>>): Promise<Step[]> {
    const steps: Step[] = [];
    const seen = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      const present = ACTIONS.filter((action) => entry[action] !== undefined && entry[action] !== null);
      const action = present[0];
      if (present.length !== 1 || !action) {
        throw validation(
          `TransactItems.${index + 1} must contain exactly one of ConditionCheck, Put, Update or Delete (got ${present.length}).`,
        );
      }
      const params = entry[action];
      if (!isRecord(params)) throw validation(`TransactItems.${index + 1}.${action} must be an object.`);
      const at = `transactItems.${index + 1}.member.${action.charAt(0).toLowerCase()}${action.slice(1)}`;
      const table = this.tableName(params, at);
      let key: Item;
      if (action === "Put") {
        if (!isRecord(params.Item))
          throw validation(
            `1 validation error detected: Value null at '${at}.item' failed to satisfy constraint: Member must not be null`,
          );
        key = await this.keyOf(table, params.Item as Item, at);
      } else {
        if (!isRecord(params.Key))
          throw validation(
            `1 validation error detected: Value null at '${at}.key' failed to satisfy constraint: Member must not be null`,
          );
        key = await this.keyOf(table, params.Key as Item, at);
      }
      if (action === "ConditionCheck" && typeof params.ConditionExpression !== "string") {
        throw validation(
          `1 validation error detected: Value null at '${at}.conditionExpression' failed to satisfy constraint: Member must not be null`,
        );
      }
      if (action === "Update" && typeof params.UpdateExpression !== "string") {
        throw validation(
          `1 validation error detected: Value null at '${at}.updateExpression' failed to satisfy constraint: Member must not be null`,
        );
      }
      const id = await this.itemId(table, key);
      if (seen.has(id))
        throw validation("Transaction request cannot include multiple operations on one item");
      seen.add(id);
      steps.push({ action, params, table, key, before: undefined, applied: false });
    }
    return steps;
  }

  /** Reads every target item as it is (the snapshots of the undo). */
  private async snapshot(steps: readonly Step[]): Promise<void> {
    for (const step of steps) {
      const out = await this.store.request<{ Item?: Item }>("GetItem", {
        TableName: step.table,
        Key: step.key,
        ConsistentRead: true,
      });
      step.before = out.Item;
    }
  }

  private operation(step: Step): [string, Record<string, unknown>] {
    const { params } = step;
    const expression: Record<string, unknown> = {};
    for (const field of ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"]) {
      if (params[field] !== undefined) expression[field] = params[field];
    }
    switch (step.action) {
      case "Put":
        return ["PutItem", { TableName: step.table, Item: params.Item, ...expression }];
      case "Delete":
        return ["DeleteItem", { TableName: step.table, Key: params.Key, ...expression }];
      case "Update":
        return [
          "UpdateItem",
          {
            TableName: step.table,
            Key: params.Key,
            UpdateExpression: params.UpdateExpression,
            ...expression,
          },
        ];
      case "ConditionCheck":
        return ["UpdateItem", { TableName: step.table, Key: params.Key, ...expression }];
    }
  }

  private async restore(step: Step): Promise<void> {
    if (step.before) await this.store.request("PutItem", { TableName: step.table, Item: step.before });
    else await this.store.request("DeleteItem", { TableName: step.table, Key: step.key });
  }

  private async undo(steps: readonly Step[]): Promise<void> {
    for (const step of [...steps].reverse()) {
      if (!step.applied) continue;
      await this.restore(step);
      step.applied = false;
    }
  }

  private async apply(entries: Array<Record<string, unknown>>): Promise<void> {
    const steps = await this.plan(entries);
    const snapshotFirst = !(await this.wellFormed(steps));
    if (snapshotFirst) await this.snapshot(steps);
    const reasons: CancellationReason[] = [];
    try {
      for (const step of steps) {
        const [operation, params] = this.operation(step);
        try {
          if (snapshotFirst) {
            await this.store.request(operation, params);
          } else {
            // The write answers the item as it was: its snapshot, for the undo.
            const out = await this.store.request<{ Attributes?: Item }>(operation, {
              ...params,
              ReturnValues: "ALL_OLD",
            });
            step.before = out.Attributes;
          }
          step.applied = true;
          reasons.push({ Code: "None" });
        } catch (error) {
          if (!(error instanceof LocalServiceError) || error.code !== "ConditionalCheckFailedException")
            throw error;
          const reason: CancellationReason = {
            Code: "ConditionalCheckFailed",
            Message: "The conditional request failed",
          };
          if (step.params.ReturnValuesOnConditionCheckFailure === "ALL_OLD") {
            // Untouched by this transaction so far (one action per item): the item as it was.
            const before = snapshotFirst
              ? step.before
              : (
                  await this.store.request<{ Item?: Item }>("GetItem", {
                    TableName: step.table,
                    Key: step.key,
                    ConsistentRead: true,
                  })
                ).Item;
            if (before) reason.Item = before;
          }
          reasons.push(reason);
        }
      }
    } catch (error) {
      await this.undo(steps);
      throw error;
    }
    if (reasons.some((reason) => reason.Code !== "None")) {
      await this.undo(steps);
      throw new TransactionCanceledError(reasons);
    }
    // A condition check leaves the item as it was: remove the key-only item it created.
    for (const step of steps) {
      if (step.action === "ConditionCheck" && !step.before) await this.restore(step);
    }
  }
}
