import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { TABLE } from "../constants";
import { padSequencer } from "../domain/sequencer";

const { partitionKey: PK, sortKey: SK } = TABLE;

/** One catalog record: the facts of one object version. */
export interface CatalogRecord {
  key: string;
  versionId: string | undefined;
  size: number;
  contentType: string;
  sha256: string;
  uploadedAt: string;
  eTag: string | undefined;
  sequencer: string | undefined;
}

/** What S3 said about the object when an event was confirmed: created (with its ETag/version) or removed. */
export interface LatestState {
  kind: "created" | "removed";
  eTag?: string;
  versionId?: string;
}

export interface LatestEntry {
  /** Padded (see `padSequencer`). */
  sequencer: string;
  eventName: string;
  state: LatestState;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === "ConditionalCheckFailedException"
  );
}

/** The pipeline's table: catalog records, the newest sequencer per key, and notification markers. */
export class PipelineTable {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Records `sequencer` (of an event S3 has confirmed) as the newest event seen for `key`, with what S3 said
   * then (`state`), unless a newer one was recorded already. Returns false for a stale event (an older event
   * arriving after a newer one), which must then change nothing. The same sequencer passes again, so every
   * consumer of one event, and its redeliveries, get through.
   *
   * With `replaceIf`: when the condition fails, the recorded entry is read and, if `replaceIf(recorded)` says
   * it no longer describes the object (S3 now disagrees with it), it is replaced by this event's: a recorded
   * sequencer can hold back only events S3 itself says are outdated.
   */
  async admit(
    key: string,
    sequencer: string,
    eventName: string,
    state: LatestState = { kind: "created" },
    replaceIf?: (recorded: LatestEntry) => Promise<boolean>,
  ): Promise<boolean> {
    const padded = padSequencer(sequencer);
    const values = {
      ":seq": padded,
      ":event": eventName,
      ":state": {
        kind: state.kind,
        ...(state.eTag ? { eTag: state.eTag } : {}),
        ...(state.versionId ? { versionId: state.versionId } : {}),
      },
    };
    const update = (condition: string, extra: Record<string, unknown> = {}) =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: key, [SK]: TABLE.latestSortKey },
          UpdateExpression: "SET #seq = :seq, #event = :event, #state = :state",
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            "#pk": PK,
            "#seq": "sequencer",
            "#event": "eventName",
            "#state": "state",
          },
          ExpressionAttributeValues: { ...values, ...extra },
        }),
      );
    try {
      await update("attribute_not_exists(#pk) OR #seq <= :seq");
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    if (!replaceIf) return false;
    const recorded = await this.latest(key);
    if (!recorded || !(await replaceIf(recorded))) return false;
    try {
      await update("#seq = :recorded", { ":recorded": recorded.sequencer });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The recorded newest event of `key`, or undefined. */
  async latest(key: string): Promise<LatestEntry | undefined> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: key, [SK]: TABLE.latestSortKey },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const state = (out.Item.state ?? {}) as Partial<LatestState>;
    return {
      sequencer: String(out.Item.sequencer),
      eventName: String(out.Item.eventName ?? ""),
      state: {
        kind: state.kind === "removed" ? "removed" : "created",
        ...(typeof state.eTag === "string" ? { eTag: state.eTag } : {}),
        ...(typeof state.versionId === "string" ? { versionId: state.versionId } : {}),
      },
    };
  }

  /** Whether `sequencer` is still the newest event of `key` (nothing newer arrived meanwhile). */
  async isLatest(key: string, sequencer: string): Promise<boolean> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: key, [SK]: TABLE.latestSortKey },
        ConsistentRead: true,
      }),
    );
    const latest = out.Item?.sequencer as string | undefined;
    return latest === undefined || latest <= padSequencer(sequencer);
  }

  /**
   * Writes the record of one version, once: a redelivery (same or older sequencer) changes nothing and returns
   * false. An unversioned key's record (`v#null`) is replaced only by a newer upload.
   */
  async putVersion(record: CatalogRecord, sortKey: string): Promise<boolean> {
    const sequencer = record.sequencer === undefined ? undefined : padSequencer(record.sequencer);
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [PK]: record.key, [SK]: sortKey, ...record, sequencer },
          // Same content again (a redelivery) writes nothing; a newer upload, or different content S3 has
          // confirmed as current, replaces the record.
          ConditionExpression:
            sequencer === undefined
              ? "attribute_not_exists(#pk) OR #etag <> :etag"
              : "attribute_not_exists(#pk) OR #seq < :seq OR #etag <> :etag",
          ExpressionAttributeNames: {
            "#pk": PK,
            "#etag": "eTag",
            ...(sequencer === undefined ? {} : { "#seq": "sequencer" }),
          },
          ExpressionAttributeValues: {
            ":etag": record.eTag ?? "",
            ...(sequencer === undefined ? {} : { ":seq": sequencer }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Sort keys of every version record of `key`. */
  async versionSortKeys(key: string): Promise<string[]> {
    const keys: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
          ExpressionAttributeValues: { ":pk": key, ":prefix": TABLE.versionPrefix },
          ProjectionExpression: "#sk",
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) keys.push(String(item[SK]));
      start = out.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  /** Deletes one item (deleting a missing item succeeds, so this is idempotent). */
  async delete(key: string, sortKey: string): Promise<void> {
    await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { [PK]: key, [SK]: sortKey } }));
  }

  async wasNotified(key: string, marker: string): Promise<boolean> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: key, [SK]: `${TABLE.notifiedPrefix}${marker}` },
        ConsistentRead: true,
      }),
    );
    return out.Item !== undefined;
  }

  async markNotified(key: string, marker: string, at: string): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [PK]: key, [SK]: `${TABLE.notifiedPrefix}${marker}`, notifiedAt: at },
      }),
    );
  }
}
