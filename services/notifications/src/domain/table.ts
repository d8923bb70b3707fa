/**
 * The single-table design (see README "Table design"). Connections keep the shape of the seed design;
 * inbox items live in the same table under their own partition, and only *unread* ones carry the GSI1
 * keys, so the index is sparse: counting a user's unread notifications reads only unread items.
 */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  index: "GSI1",
  indexPartitionKey: "GSI1PK",
  indexSortKey: "GSI1SK",
  ttl: "ttl",
  connectionSk: "connection#",
  connectionIndexSk: "user#",
  inboxPkPrefix: "inbox#",
  inboxSkPrefix: "notification#",
  unreadIndexSkPrefix: "unread#",
} as const;

/** API Gateway closes every WebSocket connection after 2 hours (docs/aws-reference.md §5). */
export const CONNECTION_MAX_SECONDS = 7_200;
/** Default connection TTL: the 2-hour cap plus 30 minutes for DynamoDB's lazy TTL deletion to be moot. */
export const DEFAULT_CONNECTION_TTL_SECONDS = 9_000;
/** Longest connection TTL accepted: the cap plus one hour. */
export const MAX_CONNECTION_TTL_SECONDS = 10_800;

export interface ConnectionItem {
  pk: string;
  sk: typeof TABLE.connectionSk;
  GSI1PK: string;
  GSI1SK: typeof TABLE.connectionIndexSk;
  userId: string;
  ipAddress: string;
  connectedAt: number;
  ttl: number;
}

export interface NewConnection {
  connectionId: string;
  userId: string;
  ipAddress: string;
  /** Epoch milliseconds, from the request context. */
  connectedAt: number;
}

/** The stored connection; `ttl` (epoch seconds) is counted from the connection's start. */
export function connectionItem(connection: NewConnection, ttlSeconds: number): ConnectionItem {
  return {
    pk: connection.connectionId,
    sk: TABLE.connectionSk,
    GSI1PK: connection.userId,
    GSI1SK: TABLE.connectionIndexSk,
    userId: connection.userId,
    ipAddress: connection.ipAddress,
    connectedAt: connection.connectedAt,
    ttl: Math.floor(connection.connectedAt / 1000) + ttlSeconds,
  };
}

export const connectionKey = (connectionId: string) => ({ pk: connectionId, sk: TABLE.connectionSk });

export interface InboxItem {
  pk: string;
  sk: string;
  /** Present while unread only (sparse index). */
  GSI1PK?: string;
  GSI1SK?: string;
  notificationId: string;
  userId: string;
  message: string;
  callback: string;
  status: "unread" | "read";
  createdAt: string;
  readAt?: string;
  ttl: number;
}

export interface NewInboxEntry {
  /** The EventBridge event id: a redelivered event finds its item already there. */
  id: string;
  userId: string;
  message: string;
  callback: string;
  /** ISO 8601. */
  createdAt: string;
}

export const inboxKey = (userId: string, id: string) => ({
  pk: `${TABLE.inboxPkPrefix}${userId}`,
  sk: `${TABLE.inboxSkPrefix}${id}`,
});

/** An unread inbox item; it expires `retentionDays` after creation, read or not. */
export function inboxItem(entry: NewInboxEntry, retentionDays: number): InboxItem {
  return {
    ...inboxKey(entry.userId, entry.id),
    GSI1PK: entry.userId,
    GSI1SK: `${TABLE.unreadIndexSkPrefix}${entry.createdAt}#${entry.id}`,
    notificationId: entry.id,
    userId: entry.userId,
    message: entry.message,
    callback: entry.callback,
    status: "unread",
    createdAt: entry.createdAt,
    ttl: Math.floor(Date.parse(entry.createdAt) / 1000) + retentionDays * 86_400,
  };
}
