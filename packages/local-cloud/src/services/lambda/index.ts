import type { InvocationOutcome, InvocationRecord, InvokeOptions } from "../../lambda/runtime";
import type { InvokeResult, LambdaEngine, LocalContext, LocalResource, ServiceEmulator } from "../../types";
import { LambdaApi } from "./api";
import { invalidParameter, requestTooLarge } from "./errors";
import {
  ASYNC_PAYLOAD_LIMIT,
  type FunctionView,
  LambdaModel,
  type LambdaOptions,
  type LogLine,
} from "./model";
import { provisionLambda } from "./provisioning";
import { handleLambda } from "./rest-json";

export type { FunctionView, LambdaOptions, LambdaPermission, LogLine } from "./model";
export { functionNameOf } from "./model";

/**
 * The local Lambda: runs the program's functions (`aws:lambda/function:Function`, their archives
 * materialised under `<workDir>/functions/<name>/`) in warm worker threads (the runtime is `src/lambda/`),
 * polls SQS for their event source mappings, runs asynchronous invocations with retries and destinations, and
 * serves the Invoke API (`POST /2015-03-31/functions/{name}/invocations`) and the control-plane reads, so
 * `@aws-sdk/client-lambda` and `aws lambda` work against it.
 *
 * Layout: model.ts (functions, event source mappings, event-invoke configs, permissions, recent invocations,
 * function logs), api.ts (Invoke and the control-plane reads, one method per operation), rest-json.ts (the
 * REST-JSON codec: paths and headers in, answers out), provisioning.ts (the program's functions, mappings,
 * event-invoke configs and permissions), errors.ts; this file wires them, with the engine interface
 * (`LambdaEngine`) and the `/_local/lambda/...` views.
 *
 * `GET /_local/lambda/logs?function=<name>` (and the console) read function logs back from the CloudWatch
 * Logs store.
 */

/** The Lambda emulator: the engine's `LambdaEngine` plus views for tests and the console. */
export interface LambdaEmulator extends ServiceEmulator, LambdaEngine {
  /** A function's recent log lines (the last `tail`, optionally of one request). */
  logs(nameOrArn: string, options?: { tail?: number; requestId?: string }): LogLine[];
  /** Recent invocations (the last 100), of one function or all. */
  invocations(nameOrArn?: string): InvocationRecord[];
  functions(): FunctionView[];
  /** Like `invoke`, with the request id, the error trace and the result's JSON text. */
  invokeDetailed(nameOrArn: string, event: unknown, options?: InvokeOptions): Promise<InvocationOutcome>;
}

/** Creates the Lambda emulator (signing name `lambda`). */
export function createLambda(ctx: LocalContext, options: LambdaOptions = {}): LambdaEmulator {
  const model = new LambdaModel(ctx, options);
  const api = new LambdaApi(model);

  const logs = (nameOrArn: string, query: { tail?: number; requestId?: string } = {}): LogLine[] =>
    model.logs(nameOrArn, query);

  return {
    signingNames: ["lambda"],

    provision(resource: LocalResource): Promise<void> {
      return provisionLambda(model, resource);
    },

    handle: (req, res, body) => handleLambda(api, req, res, body),

    adminRoutes: {
      "lambda/functions": () => model.functionViews(),
      "lambda/invocations": (query) => model.invocations(query.get("function") ?? undefined),
      "lambda/logs": (query) => {
        const name = query.get("function");
        if (!name) throw invalidParameter("lambda/logs needs ?function=<name>");
        const tail = query.get("tail");
        return logs(name, {
          tail: tail ? Number(tail) : undefined,
          requestId: query.get("requestId") ?? undefined,
        });
      },
      "lambda/event-source-mappings": () =>
        [...model.mappings.values()].map((mapping) => ({
          ...mapping.config,
          running: mapping.running,
          ...mapping.counters,
        })),
      "lambda/permissions": () => [...model.permissions],
    },

    start(): void {
      model.start();
    },

    stop(): Promise<void> {
      return model.stop();
    },

    hasFunction(nameOrArn: string): boolean {
      return model.find(nameOrArn) !== undefined;
    },

    async invoke(
      nameOrArn: string,
      event: unknown,
      invokeOptions: { maxConcurrency?: number; source?: string } = {},
    ): Promise<InvokeResult> {
      const outcome = await model.need(nameOrArn).invoke(event, invokeOptions);
      const result: InvokeResult = { durationMs: outcome.durationMs };
      if (outcome.error)
        result.error = { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
      else if (outcome.payload !== undefined) result.payload = outcome.payload;
      return result;
    },

    invokeAsync(nameOrArn: string, event: unknown, invokeOptions: { source?: string } = {}): void {
      const size = Buffer.byteLength(JSON.stringify(event ?? {}) ?? "");
      if (size > ASYNC_PAYLOAD_LIMIT) throw requestTooLarge(ASYNC_PAYLOAD_LIMIT);
      model.asyncInvoker.enqueue(nameOrArn, event, invokeOptions.source ?? "async");
    },

    logs,
    invocations: (nameOrArn?: string) => model.invocations(nameOrArn),
    functions: () => model.functionViews(),
    async invokeDetailed(
      nameOrArn: string,
      event: unknown,
      invokeOptions: InvokeOptions = {},
    ): Promise<InvocationOutcome> {
      return model.need(nameOrArn).invoke(event, invokeOptions);
    },
  };
}
