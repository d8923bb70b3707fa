import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { settleBounded } from "../domain/concurrency";
import { type ConnectionItem, connectionKey, type InboxItem, inboxKey, TABLE } from "../domain/table";

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: unknown } | null)?.name === "ConditionalCheckFailedException";

/** Unread notification as listed from the sparse index. */
export interface UnreadEntry {
  notificationId: string;
  message: string;
  callback: string;
  createdAt: string;
}

/** Connections and inbox in the one table (see domain/table.ts). */
export function createStore(doc: DynamoDBDocumentClient, tableName: string) {
  const unreadCondition = {
    IndexName: TABLE.index,
    KeyConditionExpression: "GSI1PK = :user AND begins_with(GSI1SK, :unread)",
  };

  async function* unreadPages(userId: string, extra: Record<string, unknown>) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          ...unreadCondition,
          ExpressionAttributeValues: { ":user": userId, ":unread": TABLE.unreadIndexSkPrefix },
          ExclusiveStartKey: start,
          ...extra,
        }),
      );
      yield page;
      start = page.LastEvaluatedKey;
    } while (start);
  }

  const markOneRead = async (userId: string, id: string, readAt: string): Promise<boolean> => {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: inboxKey(userId, id),
          UpdateExpression: "SET #status = :read, readAt = :readAt REMOVE GSI1PK, GSI1SK",
          ConditionExpression: "attribute_exists(pk) AND #status = :unread",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":read": "read", ":unread": "unread", ":readAt": readAt },
        }),
      );
      return true;
    } catch (error) {
      // Unknown, someone else's or already read: nothing to change.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  const markRead = async (
    userId: string,
    ids: readonly string[],
    readAt: string,
    concurrency = 10,
  ): Promise<number> => {
    const results = await settleBounded([...new Set(ids)], concurrency, (id) =>
      markOneRead(userId, id, readAt),
    );
    const failure = results.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
    return results.filter((result) => result.status === "fulfilled" && result.value).length;
  };

  return {
    async putConnection(item: ConnectionItem): Promise<void> {
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    },

    async deleteConnection(connectionId: string): Promise<void> {
      await doc.send(new DeleteCommand({ TableName: tableName, Key: connectionKey(connectionId) }));
    },

    /** The user of a connection, or undefined when the connection is not (or no longer) stored. */
    async userOf(connectionId: string): Promise<string | undefined> {
      const { Item } = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: connectionKey(connectionId),
          ProjectionExpression: "userId",
        }),
      );
      return typeof Item?.userId === "string" ? Item.userId : undefined;
    },

    /** Every stored connection of a user (GSI1, `GSI1SK = "user#"`). */
    async connectionsOf(userId: string): Promise<string[]> {
      const ids: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: TABLE.index,
            KeyConditionExpression: "GSI1PK = :user AND GSI1SK = :sk",
            ExpressionAttributeValues: { ":user": userId, ":sk": TABLE.connectionIndexSk },
            ProjectionExpression: "pk",
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) if (typeof item.pk === "string") ids.push(item.pk);
        start = page.LastEvaluatedKey;
      } while (start);
      return ids;
    },

    /**
     * Stores an unread inbox item once (conditional put on its id). A second copy finds it there: `"delivered"`
     * when it was delivered to every connection already, else `"exists"`.
     */
    async putInboxItem(item: InboxItem): Promise<"created" | "exists" | "delivered"> {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return "created";
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = (error as { Item?: Record<string, unknown> }).Item;
        if (old !== undefined) return "deliveredAt" in old ? "delivered" : "exists";
        const out = await doc.send(
          new GetCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
        );
        return out?.Item && "deliveredAt" in out.Item ? "delivered" : "exists";
      }
    },

    /** Marks an inbox item delivered to every connection (a later copy then sends nothing). */
    async markDelivered(userId: string, id: string): Promise<void> {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: inboxKey(userId, id),
            UpdateExpression: "SET deliveredAt = if_not_exists(deliveredAt, :now)",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":now": new Date().toISOString() },
          }),
        );
      } catch (error) {
        // Expired or deleted meanwhile: nothing to mark.
        if (!isConditionFailure(error)) throw error;
      }
    },

    /** Exact unread count (sparse index: only unread items are read). */
    async unreadCount(userId: string): Promise<number> {
      let count = 0;
      for await (const page of unreadPages(userId, { Select: "COUNT" })) count += page.Count ?? 0;
      return count;
    },

    /** The newest unread notifications, at most `limit`. */
    async listUnread(userId: string, limit: number): Promise<UnreadEntry[]> {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          ...unreadCondition,
          ExpressionAttributeValues: { ":user": userId, ":unread": TABLE.unreadIndexSkPrefix },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (page.Items ?? []).map((item) => ({
        notificationId: String(item.notificationId),
        message: String(item.message),
        callback: String(item.callback),
        createdAt: String(item.createdAt),
      }));
    },

    /** Marks the named notifications read (unknown or already read ids are skipped); returns how many changed. */
    markRead,

    /** Marks every unread notification of the user read; returns how many changed. */
    async markAllRead(userId: string, readAt: string, concurrency = 10): Promise<number> {
      const ids: string[] = [];
      for await (const page of unreadPages(userId, { ProjectionExpression: "notificationId" })) {
        for (const item of page.Items ?? []) {
          if (typeof item.notificationId === "string") ids.push(item.notificationId);
        }
      }
      return markRead(userId, ids, readAt, concurrency);
    },
  };
}
export type Store = ReturnType<typeof createStore>;
