import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { jsonOperation, parseJsonBody, sendJson, sendJsonError } from "../../protocol";
import {
  type FunctionLogRecord,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type LogsEngine,
  type ServiceEmulator,
} from "../../types";
import { logsApi } from "./api";
import { LogStore } from "./model";

/**
 * The local CloudWatch Logs (signing name `logs`): the functions' log groups and streams, served over AWS
 * JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`), the protocol `@aws-sdk/client-cloudwatch-logs` and
 * the AWS CLI (`aws logs tail --follow` polls FilterLogEvents) speak.
 *
 * - model.ts: groups, streams, events and their rules; appended to `<workDir>/cloudwatch-logs/` and read back
 *   on start (with `--persist <dir>`, the logs of earlier runs stay queryable);
 * - api.ts: one function per operation (CreateLogGroup, DeleteLogGroup, PutRetentionPolicy,
 *   DeleteRetentionPolicy, DescribeLogGroups, CreateLogStream, DescribeLogStreams, PutLogEvents, GetLogEvents,
 *   FilterLogEvents);
 * - filter-pattern.ts: FilterLogEvents' `filterPattern` (terms, quoted phrases, `?`/`-` terms, JSON patterns);
 * - provisioning (here): `aws:cloudwatch/logGroup:LogGroup` through the same CreateLogGroup and
 *   PutRetentionPolicy paths;
 * - `putFunctionLog` (the Lambda runtime's path): a function's lines go to its group (created if missing, as
 *   Lambda does with `logs:CreateLogGroup`) and to the stream of the worker that wrote them.
 */

export interface LogsEmulator extends ServiceEmulator, LogsEngine {
  /** Where the groups and events are written. */
  readonly dir: string;
  readonly store: LogStore;
}

const TARGET_PREFIX = "Logs_20140328";

export function createLogs(ctx: LocalContext): LogsEmulator {
  const dir = join(ctx.workDir, "cloudwatch-logs");
  const store = new LogStore(dir);
  const api = logsApi(store, ctx.accountId, ctx.region);
  const listeners = new Set<(record: FunctionLogRecord) => void>();

  function putFunctionLog(record: FunctionLogRecord): void {
    try {
      store.createGroup(record.logGroupName, { ifMissing: true });
      store.createStream(record.logGroupName, record.logStreamName, { ifMissing: true });
      store.append(record.logGroupName, record.logStreamName, [
        {
          timestamp: record.timestamp,
          message: record.message === "" ? " " : record.message,
          ...(record.requestId ? { requestId: record.requestId } : {}),
        },
      ]);
    } catch (error) {
      ctx.log.warn(`logs: could not store a line of ${record.functionName}`, { error: String(error) });
    }
    for (const listener of listeners) {
      try {
        listener(record);
      } catch (error) {
        ctx.log.warn("logs: a log listener failed", { error: String(error) });
      }
    }
  }

  return {
    signingNames: ["logs"],
    dir,
    store,

    provision(resource: LocalResource): void {
      if (resource.type !== "aws:cloudwatch/logGroup:LogGroup") return;
      const name = resource.outputs.name ?? resource.inputs.name;
      if (typeof name !== "string" || name === "") return;
      // A persisted folder may hold the group from an earlier run: keep it and its events.
      if (!store.group(name)) api.CreateLogGroup?.({ logGroupName: name });
      const days = resource.inputs.retentionInDays;
      if (typeof days === "number" && days > 0)
        api.PutRetentionPolicy?.({ logGroupName: name, retentionInDays: days });
    },

    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      let operation = "";
      try {
        operation = jsonOperation(req);
        const target = String(req.headers["x-amz-target"] ?? "");
        const run = target.startsWith(`${TARGET_PREFIX}.`) ? api[operation] : undefined;
        if (!run) {
          throw new LocalServiceError(
            "UnknownOperationException",
            `The local CloudWatch Logs does not implement ${operation || target} (it serves ${Object.keys(api).join(", ")}).`,
            400,
          );
        }
        sendJson(res, run(parseJsonBody(body)), { version: "1.1" });
      } catch (error) {
        const failure =
          error instanceof LocalServiceError
            ? error
            : new LocalServiceError(
                "ServiceUnavailableException",
                `${operation}: ${error instanceof Error ? error.message : String(error)}`,
                500,
              );
        sendJsonError(res, failure, { version: "1.1" });
      }
    },

    adminRoutes: {
      "logs/groups": () =>
        store.listGroups().map((group) => ({
          name: group.name,
          retentionInDays: group.retentionInDays,
          streams: group.streams.size,
          events: [...group.streams.values()].reduce((n, s) => n + s.events.length, 0),
        })),
    },

    putFunctionLog,

    functionLogs(logGroupName, options = {}) {
      return store.recentEvents(logGroupName, options).map((event) => ({
        timestamp: event.timestamp,
        message: event.message,
        ...(event.requestId ? { requestId: event.requestId } : {}),
      }));
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    stop(): void {
      listeners.clear();
      store.close();
    },
  };
}
