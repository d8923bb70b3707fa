import { classifyAwsError, PermanentError, TransientError } from "@switchyard/runtime-kit";
import { settleBounded } from "./concurrency";

export interface DeliveryPorts {
  connectionsOf(userId: string): Promise<string[]>;
  /** `"gone"` for a 410: the connection no longer exists. */
  post(connectionId: string, data: string): Promise<"sent" | "gone">;
  deleteConnection(connectionId: string): Promise<void>;
}

export interface DeliveryReport {
  connections: number;
  sent: number;
  /** Stale connections found (410) and deleted. */
  gone: number;
}

const errorName = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === "object" ? "Error" : String(error);

/**
 * Posts one frame to every open connection of a user, at most `concurrency` at a time.
 *
 * - No connection: success (an actionable notification waits in the inbox).
 * - 410 Gone: the connection is deleted (best effort) and counts as done, not as a failure.
 * - Anything else: after every post has settled, throws a TransientError (throttling, 5xx, auth, unknown:
 *   the record is retried) or, when every failure is a client error that no retry can fix, a PermanentError.
 *   A retry re-posts to connections that already got the frame: clients de-duplicate by `id`.
 */
export async function deliverToUser(
  ports: DeliveryPorts,
  userId: string,
  frame: string,
  concurrency: number,
  excludeConnectionId?: string,
): Promise<DeliveryReport> {
  const connections = (await ports.connectionsOf(userId)).filter((id) => id !== excludeConnectionId);
  const results = await settleBounded(connections, concurrency, async (connectionId) => {
    const outcome = await ports.post(connectionId, frame);
    if (outcome === "gone") {
      await ports.deleteConnection(connectionId).catch(() => undefined);
    }
    return outcome;
  });
  const report: DeliveryReport = { connections: connections.length, sent: 0, gone: 0 };
  const failures: unknown[] = [];
  for (const result of results) {
    if (result.status === "rejected") failures.push(result.reason);
    else if (result.value === "gone") report.gone++;
    else report.sent++;
  }
  if (failures.length === 0) return report;
  const names = [...new Set(failures.map(errorName))].join(", ");
  const reason = `${failures.length} of ${connections.length} connections failed (${names})`;
  if (failures.every((failure) => classifyAwsError(failure) === "permanent")) {
    throw new PermanentError(reason);
  }
  throw new TransientError(reason);
}
