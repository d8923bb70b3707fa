import { type LocalLogger, LocalServiceError } from "../../types";
import { keyOf } from "./items";
import type { DynamoDbModel, TtlSetting } from "./model";

/**
 * Time to Live: DynamoDB deletes expired items in the background, typically within 48 hours of expiry;
 * locally a sweep runs every `ttlSweepMs` (1 s), so they disappear promptly. As in DynamoDB, only Number
 * attributes (epoch seconds) count, and a value more than five years in the past is ignored.
 */

/** DynamoDB ignores TTL values more than five years in the past. */
export const FIVE_YEARS_S = 5 * 365 * 24 * 3600;

/**
 * The condition an expired item meets at `nowS` (epoch seconds): its TTL attribute is a Number before now
 * and not more than five years in the past (a comparison with a Number never matches another type).
 */
export function expiredCondition(
  attributeName: string,
  nowS: number,
): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, { N: string }>;
} {
  return {
    expression: "#ttl < :now AND #ttl >= :oldest",
    names: { "#ttl": attributeName },
    values: { ":now": { N: String(nowS) }, ":oldest": { N: String(nowS - FIVE_YEARS_S) } },
  };
}

/** The sweeper: deletes the expired items of every table whose TTL is enabled, on a timer or on demand. */
export class TtlSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly model: DynamoDbModel,
    private readonly log: LocalLogger,
    private readonly everyMs: number,
  ) {}

  /** Deletes every expired item now. One sweep at a time: a caller during a sweep waits for it, then sweeps again. */
  sweep(): Promise<number> {
    const run = (this.sweeping ?? Promise.resolve(0)).then(() => this.sweepOnce());
    const settled = run.catch(() => 0);
    this.sweeping = settled;
    return run;
  }

  /** Starts the timer (once; never after `stop`). */
  start(): void {
    if (this.timer === undefined && !this.stopped) this.schedule();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sweep().finally(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  private async sweepOnce(): Promise<number> {
    const nowS = Math.floor(Date.now() / 1000);
    let deleted = 0;
    for (const [name, record] of this.model.tables) {
      if (!record.ttl?.enabled) continue;
      try {
        deleted += await this.sweepTable(name, record.ttl, nowS);
      } catch (error) {
        this.log.warn("dynamodb ttl sweep failed", { table: name, error: String(error) });
      }
    }
    return deleted;
  }

  private async sweepTable(name: string, ttl: TtlSetting, nowS: number): Promise<number> {
    const { model } = this;
    const table = await model.lock.shared(() => model.describe(name));
    if (!table) return 0;
    const keyNames = table.KeySchema.map((k) => k.AttributeName);
    const expired = expiredCondition(ttl.attributeName, nowS);
    const items = await model.lock.shared(() =>
      model.scanAll(name, {
        FilterExpression: expired.expression,
        ExpressionAttributeNames: expired.names,
        ExpressionAttributeValues: expired.values,
        ConsistentRead: true,
      }),
    );
    let deleted = 0;
    for (const item of items) {
      try {
        await model.lock.shared(() =>
          model.store.request("DeleteItem", {
            TableName: name,
            Key: keyOf(item, keyNames),
            // The item may have been updated (new expiry) since the scan: delete it only if still expired.
            ConditionExpression: expired.expression,
            ExpressionAttributeNames: expired.names,
            ExpressionAttributeValues: expired.values,
          }),
        );
        deleted += 1;
      } catch (error) {
        if (!(error instanceof LocalServiceError && error.code === "ConditionalCheckFailedException"))
          throw error;
      }
    }
    if (deleted > 0) this.log.debug("dynamodb ttl: expired items deleted", { table: name, deleted });
    return deleted;
  }
}
