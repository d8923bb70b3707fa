// The Lambda runtime of one local execution environment: runs in a worker thread started by
// `src/lambda/sandbox.ts`. Plain JavaScript so the worker needs no TypeScript loader.
//
// Protocol (parentPort messages):
//   worker -> main  { type: "ready", initMs } | { type: "init-error", error }   once, after loading the handler
//   main -> worker  { type: "invoke", id, requestId, event (JSON text), deadline (epoch ms) }
//   worker -> main  { type: "result", id, payload (JSON text or undefined) } | { type: "error", id, error }
//   worker -> main  { type: "log", stream: "stdout" | "stderr", text }   everything the code writes
//   worker -> main  { type: "crash", error }   uncaught exception / unhandled rejection (main terminates us)
// Output goes through the same port as the results, so every line a handler wrote before it returned
// reaches the main thread before its result.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const data = workerData;
const port = parentPort;

if (data.sourceMaps && typeof process.setSourceMapsEnabled === "function") process.setSourceMapsEnabled(true);

/** Sends what the code writes to stdout/stderr to the main thread, in order with the results. */
function capture(stream, name) {
  const decoder = new TextDecoder();
  stream.write = (chunk, encoding, callback) => {
    const done = typeof encoding === "function" ? encoding : callback;
    let text;
    if (typeof chunk === "string") {
      text =
        typeof encoding === "string" && encoding !== "utf8" && encoding !== "utf-8"
          ? Buffer.from(chunk, encoding).toString("utf8")
          : chunk;
    } else {
      text = decoder.decode(chunk, { stream: true });
    }
    if (text.length > 0) port.postMessage({ type: "log", stream: name, text });
    if (typeof done === "function") process.nextTick(done);
    return true;
  };
}
capture(process.stdout, "stdout");
capture(process.stderr, "stderr");

/** Lambda's error payload for anything thrown. */
function toError(error) {
  if (error !== null && typeof error === "object" && typeof error.message === "string") {
    const name = typeof error.name === "string" && error.name ? error.name : "Error";
    const trace = typeof error.stack === "string" ? error.stack.split("\n") : [];
    return { errorType: name, errorMessage: error.message, trace };
  }
  if (typeof error === "string") return { errorType: "string", errorMessage: error, trace: [] };
  let message;
  try {
    message = JSON.stringify(error) ?? String(error);
  } catch {
    message = String(error);
  }
  return { errorType: typeof error, errorMessage: message, trace: [] };
}

let current; // { id, requestId } of the invocation in progress

process.on("uncaughtException", (error) => {
  port.postMessage({ type: "crash", requestId: current?.requestId, error: toError(error) });
});
process.on("unhandledRejection", (reason) => {
  const inner = toError(reason);
  port.postMessage({
    type: "crash",
    requestId: current?.requestId,
    error: {
      errorType: "Runtime.UnhandledPromiseRejection",
      errorMessage: `${inner.errorType}: ${inner.errorMessage}`,
      trace: inner.trace,
    },
  });
});

/** Loads `<module>.<export>` from the task root like the Node.js runtime: `.js`, then `.mjs`, then `.cjs`. */
async function loadHandler() {
  const handler = data.handler;
  const slash = handler.lastIndexOf("/");
  const dir = slash >= 0 ? handler.slice(0, slash + 1) : "";
  const rest = slash >= 0 ? handler.slice(slash + 1) : handler;
  const dot = rest.indexOf(".");
  if (dot <= 0 || dot === rest.length - 1) {
    throw Object.assign(new Error(`Bad handler ${handler}: expected <module>.<function>`), {
      name: "Runtime.MalformedHandlerName",
    });
  }
  const moduleName = dir + rest.slice(0, dot);
  const path = rest.slice(dot + 1).split(".");
  const file = [".js", ".mjs", ".cjs"]
    .map((ext) => join(data.taskRoot, moduleName + ext))
    .find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Error: Cannot find module '${moduleName}'`), {
      name: "Runtime.ImportModuleError",
    });
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw Object.assign(new Error(`SyntaxError: ${error.message}`), {
        name: "Runtime.UserCodeSyntaxError",
        stack: error.stack,
      });
    }
    if (
      error &&
      typeof error === "object" &&
      (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND")
    ) {
      throw Object.assign(new Error(`Error: ${error.message}`), {
        name: "Runtime.ImportModuleError",
        stack: error.stack,
      });
    }
    throw error;
  }
  let fn = module;
  for (const key of path) fn = fn == null ? undefined : fn[key];
  // A CommonJS module's exports arrive as the default export.
  if (fn === undefined && module.default && typeof module.default === "object") {
    fn = module.default;
    for (const key of path) fn = fn == null ? undefined : fn[key];
  }
  if (fn === undefined) {
    throw Object.assign(new Error(`${rest} is undefined or not exported`), {
      name: "Runtime.HandlerNotFound",
    });
  }
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${rest} is not a function`), { name: "Runtime.HandlerNotFound" });
  }
  return fn;
}

/** Runs an async (promise) or callback-style handler. */
function run(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    let returned;
    try {
      returned = fn(event, context, callback);
    } catch (error) {
      callback(error ?? new Error("handler threw a nullish value"));
      return;
    }
    if (returned && typeof returned.then === "function") {
      returned.then(
        (value) => callback(null, value),
        (error) => callback(error ?? new Error("handler rejected with a nullish value")),
      );
    } else if (fn.length < 3) {
      callback(null, returned);
    }
  });
}

/** A trace header as Lambda's: `Root=1-<epoch hex>-<96-bit hex>;Parent=<64-bit hex>;Sampled=0`. */
function traceHeader() {
  const hex = (bytes) => randomBytes(bytes).toString("hex");
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${epoch}-${hex(12)};Parent=${hex(8)};Sampled=0`;
}

const initStarted = performance.now();
let handlerFn;
try {
  handlerFn = await loadHandler();
  port.postMessage({ type: "ready", initMs: performance.now() - initStarted });
} catch (error) {
  port.postMessage({ type: "init-error", error: toError(error) });
}

port.on("message", async (message) => {
  if (message?.type !== "invoke" || !handlerFn) return;
  const { id, requestId, deadline } = message;
  current = { id, requestId };
  // Lambda sets the X-Ray trace header per invocation; the Powertools Tracer (and the X-Ray SDK under it) read
  // it, and log an error on every AWS call without it. Not sampled: nothing is sent to a daemon.
  process.env._X_AMZN_TRACE_ID = traceHeader();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: data.functionVersion,
    invokedFunctionArn: data.invokedFunctionArn,
    memoryLimitInMB: String(data.memoryLimitInMB),
    awsRequestId: requestId,
    logGroupName: data.logGroupName,
    logStreamName: data.logStreamName,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const event = JSON.parse(message.event);
    const result = await run(handlerFn, event, context);
    let payload;
    try {
      payload = result === undefined ? undefined : JSON.stringify(result);
    } catch (error) {
      port.postMessage({
        type: "error",
        id,
        error: {
          errorType: "Runtime.MarshalError",
          errorMessage: `Unable to stringify response body: ${error?.message ?? error}`,
          trace: [],
        },
      });
      return;
    }
    port.postMessage({ type: "result", id, payload });
  } catch (error) {
    port.postMessage({ type: "error", id, error: toError(error) });
  } finally {
    if (current?.id === id) current = undefined;
  }
});
