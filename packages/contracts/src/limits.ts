/** Transport limits every publisher checks before sending (see docs/aws-reference.md). */
export const LIMITS = {
  /** EventBridge PutEvents: entries per call. */
  eventBridgeBatchEntries: 10,
  /** EventBridge PutEvents: one entry, and the whole request, in bytes (256 KB). */
  eventBridgeEntryBytes: 262_144,
  /** SNS Publish/PublishBatch: one message, and a whole batch, in bytes (256 KB). */
  snsMessageBytes: 262_144,
  /** SNS PublishBatch: entries per call. */
  snsBatchEntries: 10,
  /** SNS: message attributes per message. */
  snsMessageAttributes: 10,
  /** API Gateway WebSocket: one message payload in bytes (128 KB), sent in frames of 32 KB. */
  webSocketPayloadBytes: 131_072,
  webSocketFrameBytes: 32_768,
} as const;

/** UTF-8 size of a string in bytes: AWS limits count bytes, not characters. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** Splits items into chunks of at most `max` items whose `size` adds up to at most `maxBytes`. */
export function chunk<T>(
  items: readonly T[],
  max: number,
  size: (item: T) => number,
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (current.length === max || (current.length > 0 && bytes + itemBytes > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
