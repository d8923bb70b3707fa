import { randomUUID } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { setInvocationFaultHook } from "../src/lambda/faults";
import { md5 } from "../src/protocol";
import { createLambda, type LambdaEmulator, type LambdaOptions } from "../src/services/lambda";
import { createLogs } from "../src/services/logs";
import { createSqs } from "../src/services/sqs";
import {
  type CloudWatchEngine,
  type EventsEngine,
  type InternalSendInput,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type MetricDatum,
  type ReceivedMessage,
  type ServiceEmulator,
  type SqsEngine,
} from "../src/types";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGES = join(HERE, "fixtures/lambda/packages");
const REPO = resolve(HERE, "../../..");

// ---------------------------------------------------------------------------------------------
// Small in-memory stand-ins for the SQS and CloudWatch emulators (written by other helpers), with
// just the engine-facing behaviour the Lambda emulator relies on: visibility timeouts (fractional
// seconds allowed, to keep tests fast), receive counts, receipt handles, long polls that abort.
// ---------------------------------------------------------------------------------------------

interface FakeMessage {
  messageId: string;
  body: string;
  attributes: InternalSendInput["messageAttributes"];
  receiveCount: number;
  visibleAt: number;
  sentAt: number;
  firstReceiveAt?: number;
  receipt?: string;
}

interface FakeQueue {
  name: string;
  visibilityMs: number;
  messages: FakeMessage[];
  /** Bodies of deleted messages, in order. */
  deleted: string[];
  /** How many messages an event source mapping held while invoking, and released after. */
  held: number;
  released: number;
}

type FakeSqs = ServiceEmulator & SqsEngine & { queues: Map<string, FakeQueue> };

function fakeSqs(ctx: LocalContext): FakeSqs {
  const queues = new Map<string, FakeQueue>();
  const queue = (arn: string): FakeQueue => {
    const found = queues.get(arn);
    if (!found) throw new LocalServiceError("QueueDoesNotExist", `no queue ${arn}`);
    return found;
  };
  return {
    signingNames: ["sqs"],
    queues,
    provision(resource) {
      if (resource.type !== "aws:sqs/queue:Queue") return;
      queues.set(String(resource.outputs.arn), {
        name: String(resource.outputs.name),
        visibilityMs: Number(resource.inputs.visibilityTimeoutSeconds ?? 30) * 1000,
        messages: [],
        deleted: [],
        held: 0,
        released: 0,
      });
    },
    handle() {
      throw new LocalServiceError("NotImplemented", "fake SQS has no wire protocol", 501);
    },
    hasQueue: (arn) => queues.has(arn),
    queueUrl: (arn) => `${ctx.endpoint}/${ctx.accountId}/${queue(arn).name}`,
    send(arn, input) {
      const messageId = randomUUID();
      queue(arn).messages.push({
        messageId,
        body: input.body,
        attributes: input.messageAttributes,
        receiveCount: 0,
        visibleAt: Date.now(),
        sentAt: Date.now(),
      });
      return { messageId };
    },
    async receive(arn, { maxMessages, waitSeconds, signal }) {
      const deadline = Date.now() + waitSeconds * 1000;
      for (;;) {
        const now = Date.now();
        const q = queue(arn);
        const visible = q.messages.filter((m) => m.visibleAt <= now).slice(0, maxMessages);
        if (visible.length > 0) {
          return visible.map((m): ReceivedMessage => {
            m.receiveCount++;
            m.firstReceiveAt ??= now;
            m.receipt = randomUUID();
            m.visibleAt = now + q.visibilityMs;
            return {
              messageId: m.messageId,
              receiptHandle: m.receipt,
              body: m.body,
              attributes: {
                ApproximateReceiveCount: String(m.receiveCount),
                SentTimestamp: String(m.sentAt),
                SenderId: ACCOUNT,
                ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
              },
              messageAttributes: m.attributes ?? {},
              md5OfBody: md5(m.body),
            };
          });
        }
        if (signal?.aborted || now >= deadline) return [];
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    deleteMessage(arn, receiptHandle) {
      const q = queue(arn);
      const index = q.messages.findIndex((m) => m.receipt === receiptHandle);
      if (index < 0) return false;
      q.deleted.push((q.messages[index] as FakeMessage).body);
      q.messages.splice(index, 1);
      return true;
    },
    changeVisibility(arn, receiptHandle, seconds) {
      const m = queue(arn).messages.find((x) => x.receipt === receiptHandle);
      if (!m) return false;
      m.visibleAt = Date.now() + seconds * 1000;
      return true;
    },
    hold(arn, receiptHandle) {
      const m = queue(arn).messages.find((x) => x.receipt === receiptHandle);
      if (!m) return () => undefined;
      const visibleAt = m.visibleAt;
      m.visibleAt = Number.MAX_SAFE_INTEGER;
      queue(arn).held++;
      return () => {
        m.visibleAt = Math.max(Date.now(), visibleAt);
        queue(arn).released++;
      };
    },
    depth(arn) {
      const now = Date.now();
      const q = queue(arn);
      return {
        visible: q.messages.filter((m) => m.visibleAt <= now).length,
        inFlight: q.messages.filter((m) => m.visibleAt > now).length,
        delayed: 0,
        oldestAgeSeconds: 0,
      };
    },
    list: () =>
      [...queues.entries()].map(([arn, q]) => ({
        arn,
        url: `${ctx.endpoint}/${ctx.accountId}/${q.name}`,
        name: q.name,
        fifo: false,
      })),
  };
}

type FakeCloudWatch = ServiceEmulator & CloudWatchEngine & { lines: string[]; metrics: MetricDatum[] };

function fakeCloudWatch(): FakeCloudWatch {
  const lines: string[] = [];
  const metrics: MetricDatum[] = [];
  return {
    signingNames: ["monitoring"],
    lines,
    metrics,
    provision() {},
    handle() {
      throw new LocalServiceError("NotImplemented", "fake CloudWatch has no wire protocol", 501);
    },
    putMetric: (datum) => void metrics.push(datum),
    ingestLogLine: (line) => void lines.push(line),
    alarms: () => [],
    evaluate() {},
  };
}

type FakeEvents = ServiceEmulator &
  EventsEngine & { entries: Array<Parameters<EventsEngine["putEvents"]>[0][number]> };

function fakeEvents(): FakeEvents {
  const entries: FakeEvents["entries"] = [];
  return {
    signingNames: ["events"],
    entries,
    provision() {},
    handle() {
      throw new LocalServiceError("NotImplemented", "fake EventBridge has no wire protocol", 501);
    },
    putEvents: (batch) =>
      batch.map((entry) => {
        entries.push(entry);
        return { EventId: randomUUID() };
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Resources shaped like the dev stack's.
// ---------------------------------------------------------------------------------------------

const arnOf = (name: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

function fn(
  name: string,
  code: string | Record<string, pulumi.asset.Asset>,
  inputs: Record<string, unknown> = {},
): LocalResource {
  const assets = typeof code === "string" ? { "index.mjs": new pulumi.asset.StringAsset(code) } : code;
  const { variables, ...rest } = inputs as { variables?: Record<string, string> };
  return {
    type: "aws:lambda/function:Function",
    name: `${name}-function`,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:NodeFunction$aws:lambda/function:Function::${name}-function`,
    custom: true,
    inputs: {
      architectures: ["arm64"],
      code: new pulumi.asset.AssetArchive(assets),
      environment: {
        variables: { NODE_OPTIONS: "--enable-source-maps", POWERTOOLS_SERVICE_NAME: name, ...variables },
      },
      handler: "index.handler",
      loggingConfig: { logFormat: "JSON", logGroup: `/aws/lambda/${name}-abc1234` },
      memorySize: 256,
      role: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
      runtime: "nodejs24.x",
      timeout: 3,
      ...rest,
    },
    outputs: { name, arn: arnOf(name), version: "$LATEST" },
    id: name,
  };
}

function queue(name: string, visibilityTimeoutSeconds: number): LocalResource {
  return {
    type: "aws:sqs/queue:Queue",
    name: `${name}-queue`,
    urn: `urn:pulumi:dev::switchyard::aws:sqs/queue:Queue::${name}`,
    custom: true,
    inputs: { name, visibilityTimeoutSeconds },
    outputs: { name, arn: queueArn(name), url: `http://local/${ACCOUNT}/${name}` },
    id: name,
  };
}

function mapping(
  name: string,
  queueName: string,
  functionName: string,
  inputs: Record<string, unknown> = {},
): LocalResource {
  return {
    type: "aws:lambda/eventSourceMapping:EventSourceMapping",
    name: `${name}-esm`,
    urn: `urn:pulumi:dev::switchyard::aws:lambda/eventSourceMapping:EventSourceMapping::${name}-esm`,
    custom: true,
    inputs: {
      batchSize: 10,
      enabled: true,
      eventSourceArn: queueArn(queueName),
      functionName: arnOf(functionName),
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 2 },
      ...inputs,
    },
    outputs: { uuid: randomUUID().replace(/-/g, ""), functionArn: arnOf(functionName) },
  };
}

function invokeConfig(functionName: string, inputs: Record<string, unknown>): LocalResource {
  return {
    type: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    name: `${functionName}-invoke-config`,
    urn: `urn:pulumi:dev::switchyard::aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig::${functionName}-invoke-config`,
    custom: true,
    inputs: { functionName, maximumEventAgeInSeconds: 21600, maximumRetryAttempts: 2, ...inputs },
    outputs: { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:${functionName}-invoke-config` },
    id: `${functionName}-invoke-config-1`,
  };
}

// ---------------------------------------------------------------------------------------------

let engine: Engine | undefined;
/** Warnings and errors the engine logged in the current test. */
const warnings: string[] = [];

afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function start(
  resources: LocalResource[],
  options: LambdaOptions = {},
): Promise<{
  engine: Engine;
  lambda: LambdaEmulator;
  sqs: FakeSqs;
  cloudwatch: FakeCloudWatch;
  events: FakeEvents;
}> {
  const cloudwatch = fakeCloudWatch();
  const events = fakeEvents();
  warnings.length = 0;
  engine = await Engine.listen({
    log: {
      debug() {},
      info() {},
      warn: (message) => void warnings.push(message),
      error: (message) => void warnings.push(message),
    },
    emulators: {
      sqs: fakeSqs,
      cloudwatch: () => cloudwatch,
      events: () => events,
      logs: (ctx) => createLogs(ctx),
      lambda: (ctx) => createLambda(ctx, { asyncRetryDelayMs: () => 20, pollIntervalMs: 10, ...options }),
    },
  });
  await engine.provision(resources);
  return {
    engine,
    lambda: engine.emulator<LambdaEmulator>("lambda") as LambdaEmulator,
    sqs: engine.emulator<FakeSqs>("sqs") as FakeSqs,
    cloudwatch,
    events,
  };
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The most intervals that overlap at any instant. */
function maxOverlap(intervals: Array<{ start: number; end: number }>): number {
  const points = intervals.flatMap(({ start, end }) => [
    { at: start, delta: 1 },
    { at: end, delta: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let max = 0;
  for (const point of points) {
    now += point.delta;
    max = Math.max(max, now);
  }
  return max;
}

const SLEEP = "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));";

/**
 * A gate shared by the test and its handlers through a folder: each run marks its start, then waits
 * until the test opens the gate. So "how many run at once" is observed, not inferred from timing.
 */
interface Gate {
  dir: string;
  started(): number;
  open(): void;
}
const gates: string[] = [];
function gate(): Gate {
  const dir = mkdtempSync(join(tmpdir(), "lambda-gate-"));
  gates.push(dir);
  return {
    dir,
    started: () => readdirSync(dir).filter((f) => f.startsWith("started-")).length,
    open: () => writeFileSync(join(dir, "open"), ""),
  };
}
afterEach(() => {
  for (const dir of gates.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const GATED = `import { existsSync, writeFileSync } from "node:fs";
${SLEEP}
const pass = async (id) => {
  const start = Date.now();
  writeFileSync(process.env.GATE_DIR + "/started-" + id, "");
  while (!existsSync(process.env.GATE_DIR + "/open")) await sleep(5);
  return { start, end: Date.now() };
};`;
/** Lets a few more event-loop turns pass so any run that should not start would have started. */
const settle = () => new Promise((r) => setTimeout(r, 150));

describe("functions", () => {
  it("runs the handler with the function's environment and a realistic context", async () => {
    const { engine, lambda } = await start([
      fn(
        "env-probe",
        `export const handler = async (event, context) => ({
          event,
          env: { ...process.env },
          context: {
            awsRequestId: context.awsRequestId, functionName: context.functionName, functionVersion: context.functionVersion,
            invokedFunctionArn: context.invokedFunctionArn, memoryLimitInMB: context.memoryLimitInMB,
            logGroupName: context.logGroupName, logStreamName: context.logStreamName,
            remaining: context.getRemainingTimeInMillis(), waits: context.callbackWaitsForEmptyEventLoop,
          },
        });`,
        { timeout: 7, variables: { TABLE_NAME: "orders-table", QUEUE_URL: "http://x/q" } },
      ),
    ]);
    const outcome = await lambda.invokeDetailed("env-probe", { hello: "world", when: new Date(0) });
    expect(outcome.error).toBeUndefined();
    const { event, env, context } = outcome.payload as {
      event: unknown;
      env: Record<string, string>;
      context: Record<string, unknown>;
    };
    expect(event).toEqual({ hello: "world", when: "1970-01-01T00:00:00.000Z" }); // JSON, as Lambda delivers it
    expect(env).toMatchObject({
      TABLE_NAME: "orders-table",
      QUEUE_URL: "http://x/q",
      POWERTOOLS_SERVICE_NAME: "env-probe",
      AWS_ENDPOINT_URL: engine.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: expect.stringMatching(/^ASIA[0-9A-F]{16}$/),
      AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^[0-9A-F]{40}$/),
      AWS_SESSION_TOKEN: expect.stringMatching(/^local-session-/),
      AWS_LAMBDA_FUNCTION_NAME: "env-probe",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/env-probe-abc1234",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      _HANDLER: "index.handler",
      LAMBDA_TASK_ROOT: join(engine.context.workDir, "functions", "env-probe"),
    });
    // The runtime signs as the function's execution role, as Lambda's credentials do: the key id maps to it.
    expect(engine.iam.principals.resolve(env.AWS_ACCESS_KEY_ID).sessionArn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/env-probe-role/env-probe`,
    );
    expect(env.NODE_OPTIONS).toBeUndefined();
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toBe(context.logStreamName);
    expect(context).toMatchObject({
      awsRequestId: outcome.requestId,
      functionName: "env-probe",
      functionVersion: "$LATEST",
      invokedFunctionArn: arnOf("env-probe"),
      memoryLimitInMB: "256",
      logGroupName: "/aws/lambda/env-probe-abc1234",
      waits: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(5000);
    expect(context.remaining).toBeLessThanOrEqual(7000);
    // Each invocation has its own X-Ray trace header, as Lambda sets it (not sampled).
    expect(env._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    // The engine-facing result is JSON-cloned too.
    const result = await engine.context.lambda.invoke(arnOf("env-probe"), { n: 1 });
    expect((result.payload as { event: unknown }).event).toEqual({ n: 1 });
    const again = (result.payload as { env: Record<string, string> }).env._X_AMZN_TRACE_ID;
    expect(again).toMatch(/^Root=1-/);
    expect(again).not.toBe(env._X_AMZN_TRACE_ID);
  });

  it("resolves names, ARNs, qualified ARNs and API Gateway integration URIs", async () => {
    const { engine } = await start([fn("named", "export const handler = async () => 1;")]);
    const lambda = engine.context.lambda;
    expect(lambda.hasFunction("named")).toBe(true);
    expect(lambda.hasFunction(arnOf("named"))).toBe(true);
    expect(lambda.hasFunction(`${arnOf("named")}:$LATEST`)).toBe(true);
    expect(
      lambda.hasFunction(
        `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arnOf("named")}/invocations`,
      ),
    ).toBe(true);
    expect(lambda.hasFunction("other")).toBe(false);
    expect(lambda.hasFunction(`${arnOf("named")}:7`)).toBe(false);
    await expect(lambda.invoke("other", {})).rejects.toMatchObject({ code: "ResourceNotFoundException" });
  });

  it("keeps a worker warm between invocations (module scope survives)", async () => {
    const { lambda } = await start([
      fn(
        "warm",
        "let count = 0; const loaded = Date.now(); export const handler = async () => ({ count: ++count, loaded });",
      ),
    ]);
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push((await lambda.invoke("warm", {})).payload as { count: number; loaded: number });
    expect(results.map((r) => r.count)).toEqual([1, 2, 3]);
    expect(new Set(results.map((r) => r.loaded)).size).toBe(1);
    expect(lambda.functions().find((f) => f.name === "warm")).toMatchObject({
      warmWorkers: 1,
      invocations: 3,
      errors: 0,
    });
  });

  it("reports handler errors as errorType/errorMessage and keeps the worker", async () => {
    const { lambda } = await start([
      fn(
        "thrower",
        `let count = 0;
        export const handler = async (event) => {
          count++;
          if (event.kind === "type") throw new TypeError("bad input " + count);
          if (event.kind === "string") throw "plain string";
          return { count };
        };`,
      ),
    ]);
    expect(await lambda.invoke("thrower", { kind: "type" })).toMatchObject({
      error: { errorType: "TypeError", errorMessage: "bad input 1" },
    });
    expect(await lambda.invoke("thrower", { kind: "string" })).toMatchObject({
      error: { errorType: "string", errorMessage: "plain string" },
    });
    expect((await lambda.invoke("thrower", {})).payload).toEqual({ count: 3 });
    const detailed = await lambda.invokeDetailed("thrower", { kind: "type" });
    expect(detailed.error?.trace?.[0]).toBe("TypeError: bad input 4");
  });

  it("supports callback-style handlers and CommonJS modules", async () => {
    const { lambda } = await start([
      fn("callback", {
        "index.cjs": new pulumi.asset.StringAsset(
          "exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { doubled: event.n * 2 }), 5); };",
        ),
      }),
    ]);
    expect(await lambda.invoke("callback", { n: 21 })).toMatchObject({ payload: { doubled: 42 } });
  });

  it("reports a missing handler export as Runtime.HandlerNotFound", async () => {
    const { lambda } = await start([fn("no-export", "export const other = async () => 1;")]);
    expect(await lambda.invoke("no-export", {})).toMatchObject({
      error: {
        errorType: "Runtime.HandlerNotFound",
        errorMessage: "index.handler is undefined or not exported",
      },
    });
  });

  it("never runs more invocations at once than the reserved concurrency", async () => {
    const g = gate();
    const { lambda } = await start([
      fn(
        "reserved",
        `${GATED} export const handler = async (event, context) => pass(context.awsRequestId);`,
        {
          reservedConcurrentExecutions: 2,
          variables: { GATE_DIR: g.dir },
        },
      ),
    ]);
    const all = Promise.all(Array.from({ length: 6 }, () => lambda.invoke("reserved", {})));
    await waitFor(() => g.started() === 2, "two runs started");
    await settle();
    expect(g.started()).toBe(2);
    expect(lambda.functions().find((f) => f.name === "reserved")).toMatchObject({
      concurrencyLimit: 2,
      reservedConcurrency: 2,
      running: 2,
      waiting: 4,
    });
    g.open();
    const results = await all;
    expect(results.every((r) => !r.error)).toBe(true);
    expect(maxOverlap(results.map((r) => r.payload as { start: number; end: number }))).toBeLessThanOrEqual(
      2,
    );
    expect(lambda.functions().find((f) => f.name === "reserved")).toMatchObject({
      warmWorkers: 2,
      running: 0,
      invocations: 6,
    });
  });

  it("caps a caller at its maxConcurrency within the function's limit", async () => {
    const g = gate();
    const { lambda } = await start(
      [
        fn(
          "capped",
          `${GATED} export const handler = async (event, context) => pass(context.awsRequestId);`,
          { variables: { GATE_DIR: g.dir } },
        ),
      ],
      { defaultConcurrency: 3 },
    );
    const capped = Array.from({ length: 4 }, () =>
      lambda.invoke("capped", {}, { maxConcurrency: 1, source: "esm:one" }),
    );
    await waitFor(() => g.started() === 1, "the capped caller's first run");
    const others = Array.from({ length: 4 }, () => lambda.invoke("capped", {}));
    await waitFor(() => g.started() === 3, "the function's limit reached");
    await settle();
    expect(g.started()).toBe(3); // 1 capped + 2 others = the function's limit of 3
    expect(lambda.functions().find((f) => f.name === "capped")).toMatchObject({
      concurrencyLimit: 3,
      running: 3,
      waiting: 5,
    });
    g.open();
    const results = await Promise.all([...capped, ...others]);
    expect(results.every((r) => !r.error)).toBe(true);
    expect(maxOverlap(results.slice(0, 4).map((r) => r.payload as { start: number; end: number }))).toBe(1);
  });

  it("kills a function at its timeout, reports Sandbox.Timedout, and the next call gets a fresh worker", async () => {
    const { lambda } = await start([
      fn(
        "slow",
        `${SLEEP} let count = 0; export const handler = async (event) => { count++; if (event.hang) { await sleep(10_000); } return { count }; };`,
        { timeout: 1 },
      ),
    ]);
    expect((await lambda.invoke("slow", {})).payload).toEqual({ count: 1 });
    const timedOut = await lambda.invokeDetailed("slow", { hang: true });
    expect(timedOut.error).toEqual({
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${timedOut.requestId} Error: Task timed out after 1.00 seconds`,
    });
    expect(timedOut.timedOut).toBe(true);
    expect((await lambda.invoke("slow", {})).payload).toEqual({ count: 1 }); // a new worker: module state is fresh
    expect(lambda.functions().find((f) => f.name === "slow")).toMatchObject({
      timeouts: 1,
      errors: 1,
      warmWorkers: 1,
    });
    expect(lambda.logs("slow", { requestId: timedOut.requestId }).at(-1)?.line).toMatch(/\tStatus: timeout$/);
  });

  it("recovers from crashes: uncaught exceptions, unhandled rejections and process.exit", async () => {
    const { lambda } = await start([
      fn(
        "crashy",
        `${SLEEP} let count = 0;
        export const handler = async (event) => {
          count++;
          if (event.crash === "uncaught") { setTimeout(() => { throw new RangeError("async boom"); }, 1); await sleep(1000); }
          if (event.crash === "rejection") { Promise.reject(new Error("nobody listens")); await sleep(1000); }
          if (event.crash === "exit") { process.exit(3); }
          return { count };
        };`,
      ),
    ]);
    expect((await lambda.invoke("crashy", {})).payload).toEqual({ count: 1 });
    expect((await lambda.invoke("crashy", { crash: "uncaught" })).error).toEqual({
      errorType: "RangeError",
      errorMessage: "async boom",
    });
    expect((await lambda.invoke("crashy", {})).payload).toEqual({ count: 1 });
    expect((await lambda.invoke("crashy", { crash: "rejection" })).error).toEqual({
      errorType: "Runtime.UnhandledPromiseRejection",
      errorMessage: "Error: nobody listens",
    });
    expect((await lambda.invoke("crashy", {})).payload).toEqual({ count: 1 });
    const exited = await lambda.invokeDetailed("crashy", { crash: "exit" });
    expect(exited.error).toEqual({
      errorType: "Runtime.ExitError",
      errorMessage: `RequestId: ${exited.requestId} Error: Runtime exited with error: exit status 3`,
    });
    expect((await lambda.invoke("crashy", {})).payload).toEqual({ count: 1 });
    expect(lambda.functions().find((f) => f.name === "crashy")).toMatchObject({
      crashes: 3,
      errors: 3,
      invocations: 7,
    });
  });

  it("kills only the invocation a fault names: a kill timer never outlives its invocation into the next", async () => {
    const { lambda } = await start([
      fn(
        "victim",
        `${SLEEP} export const handler = async (event) => { await sleep(event.ms); return { ms: event.ms }; };`,
      ),
    ]);
    let faults = 0;
    setInvocationFaultHook((name) =>
      name === "victim" && faults++ === 0 ? { killAfterMs: 400 } : undefined,
    );
    try {
      // The faulted invocation ends before its kill; the same warm worker then runs one that outlasts the kill time.
      expect((await lambda.invoke("victim", { ms: 0 })).payload).toEqual({ ms: 0 });
      expect((await lambda.invoke("victim", { ms: 800 })).payload).toEqual({ ms: 800 });
      expect(lambda.functions().find((f) => f.name === "victim")).toMatchObject({
        crashes: 0,
        invocations: 2,
      });
    } finally {
      setInvocationFaultHook();
    }
  });

  it("captures output line by line: CloudWatch, the logs view, platform lines and metrics", async () => {
    const { engine, lambda, cloudwatch } = await start([
      fn(
        "chatty",
        `export const handler = async (event) => {
          console.log(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, Orders: event.n }));
          process.stdout.write("partial ");
          process.stdout.write("line\\nsecond line\\n");
          console.error("to stderr");
          return "ok";
        };`,
      ),
    ]);
    const outcome = await lambda.invokeDetailed("chatty", { n: 3 });
    const lines = lambda.logs("chatty", { requestId: outcome.requestId }).map((l) => l.line);
    expect(lines[0]).toBe(`START RequestId: ${outcome.requestId} Version: $LATEST`);
    expect(lines.slice(1, 5)).toEqual([
      '{"_aws":{"CloudWatchMetrics":[]},"Orders":3}',
      "partial line",
      "second line",
      "to stderr",
    ]);
    expect(lines[5]).toBe(`END RequestId: ${outcome.requestId}`);
    expect(lines[6]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${outcome.requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tInit Duration: [\\d.]+ ms$`,
      ),
    );
    expect(cloudwatch.lines).toEqual([
      '{"_aws":{"CloudWatchMetrics":[]},"Orders":3}',
      "partial line",
      "second line",
      "to stderr",
    ]);
    expect(
      cloudwatch.metrics.map((m) => [m.namespace, m.metricName, m.dimensions.FunctionName, m.value]),
    ).toEqual([
      ["AWS/Lambda", "Invocations", "chatty", 1],
      ["AWS/Lambda", "Errors", "chatty", 0],
      ["AWS/Lambda", "Duration", "chatty", expect.any(Number)],
    ]);
    const view = await (await fetch(`${engine.endpoint}/_local/lambda/logs?function=chatty&tail=2`)).json();
    expect(view).toEqual([
      { at: expect.any(String), requestId: outcome.requestId, line: `END RequestId: ${outcome.requestId}` },
      { at: expect.any(String), requestId: outcome.requestId, line: lines[6] },
    ]);
    const invocations = await (
      await fetch(`${engine.endpoint}/_local/lambda/invocations?function=chatty`)
    ).json();
    expect(invocations).toEqual([
      expect.objectContaining({
        requestId: outcome.requestId,
        function: "chatty",
        source: "api",
        invocationType: "RequestResponse",
      }),
    ]);
    // Function logs are stored once, by CloudWatch Logs: the view names the group, no file is written besides.
    const functions = await (await fetch(`${engine.endpoint}/_local/lambda/functions`)).json();
    expect(functions).toEqual([
      expect.objectContaining({ name: "chatty", logGroup: expect.stringMatching(/^\/aws\/lambda\/chatty-/) }),
    ]);
    expect(existsSync(join(engine.context.workDir, "logs"))).toBe(false);
  });

  it("serves the Invoke API (RequestResponse, Event, function errors, unknown functions)", async () => {
    const { engine, lambda } = await start([
      fn(
        "wire",
        `export const handler = async (event) => { if (event.fail) throw new Error("wire failure"); return { got: event }; };`,
      ),
    ]);
    const authorization = `AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/lambda/aws4_request, SignedHeaders=host, Signature=0`;
    const call = (name: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${engine.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", ...headers },
        body,
      });

    const ok = await call("wire", JSON.stringify({ a: 1 }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-amz-function-error")).toBeNull();
    expect(ok.headers.get("x-amz-executed-version")).toBe("$LATEST");
    expect(await ok.json()).toEqual({ got: { a: 1 } });

    const failed = await call(arnOf("wire"), JSON.stringify({ fail: true }), { "x-amz-log-type": "Tail" });
    expect(failed.status).toBe(200);
    expect(failed.headers.get("x-amz-function-error")).toBe("Unhandled");
    expect(await failed.json()).toMatchObject({ errorType: "Error", errorMessage: "wire failure" });
    const tail = Buffer.from(failed.headers.get("x-amz-log-result") ?? "", "base64").toString("utf8");
    // As on AWS, the tail holds the runtime's "Invoke Error" record between START and END.
    expect(tail).toMatch(
      /^START RequestId: .*\n\{.*"level":"ERROR".*"message":"Invoke Error".*\}\nEND RequestId: .*\nREPORT RequestId: /,
    );

    const queued = await call("wire", JSON.stringify({ a: 2 }), { "x-amz-invocation-type": "Event" });
    expect(queued.status).toBe(202);
    await waitFor(
      () => lambda.invocations("wire").find((i) => i.invocationType === "Event"),
      "the Event invocation",
    );

    const missing = await call("nope", "{}");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(await missing.json()).toMatchObject({ message: `Function not found: ${arnOf("nope")}` });

    const bad = await call("wire", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidRequestContentException");
  });
});

describe("deployment archives", () => {
  const file = (path: string) => new pulumi.asset.FileAsset(path);

  it("links node_modules packages to their folder on this machine and leaves out other platforms' builds", async () => {
    const { engine, lambda } = await start([
      fn("linked", {
        "index.mjs": new pulumi.asset.StringAsset(
          `import { greet, where } from "greeter"; import { shout } from "@switchyard-fixture/shout";
          export const handler = async () => {
            let mips = "absent";
            try { (await import("node:module")).createRequire(import.meta.url)("mips-only"); mips = "present"; } catch {}
            return { text: shout(greet("lambda")), where, mips };
          };`,
        ),
        "node_modules/greeter/package.json": file(join(PACKAGES, "greeter/package.json")),
        "node_modules/greeter/index.js": file(join(PACKAGES, "greeter/index.js")),
        "node_modules/@switchyard-fixture/shout/package.json": file(
          join(PACKAGES, "@switchyard-fixture/shout/package.json"),
        ),
        "node_modules/@switchyard-fixture/shout/index.js": file(
          join(PACKAGES, "@switchyard-fixture/shout/index.js"),
        ),
        "node_modules/mips-only/package.json": file(join(PACKAGES, "mips-only/package.json")),
        "node_modules/mips-only/index.js": file(join(PACKAGES, "mips-only/index.js")),
      }),
    ]);
    const root = join(engine.context.workDir, "functions", "linked");
    expect(lstatSync(join(root, "node_modules/greeter")).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(root, "node_modules/@switchyard-fixture/shout"))).toBe(
      realpathSync(join(PACKAGES, "@switchyard-fixture/shout")),
    );
    expect(existsSync(join(root, "node_modules/mips-only"))).toBe(false);
    expect(readFileSync(join(root, "index.mjs"), "utf8")).toContain('from "greeter"');
    const result = await lambda.invoke("linked", {});
    expect(result).toMatchObject({
      payload: { text: "HELLO LAMBDA!", where: realpathSync(join(PACKAGES, "greeter")), mips: "absent" },
    });
  });

  it("runs sharp from an archive that ships its arm64 Linux build (the host's own build resolves)", async () => {
    // The archive the s3-pipeline renditions function ships: sharp and its dependencies as FileAssets,
    // including the arm64-only native packages. Built here the way infra-kit's bundler lists them.
    const sharpDir = realpathSync(join(REPO, "services/s3-pipeline/node_modules/sharp"));
    const storeDir = dirname(sharpDir); // .pnpm/sharp@x/node_modules
    const packages: Record<string, string> = { sharp: sharpDir };
    for (const name of [
      "@img/colour",
      "@img/sharp-linux-arm64",
      "@img/sharp-libvips-linux-arm64",
      "detect-libc",
      "semver",
    ]) {
      packages[name] = realpathSync(join(storeDir, name));
    }
    const assets: Record<string, pulumi.asset.Asset> = {
      "index.mjs": new pulumi.asset.StringAsset(
        `import sharp from "sharp";
        export const handler = async () => {
          const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: "#ff0000" } }).png().toBuffer();
          const resized = await sharp(png).resize(4).jpeg().toBuffer();
          const meta = await sharp(resized).metadata();
          return { format: meta.format, width: meta.width, height: meta.height };
        };`,
      ),
    };
    const walk = (dir: string, base: string): void => {
      for (const entry of readdirSync(dir)) {
        if (entry === "node_modules") continue;
        const full = join(dir, entry);
        if (statSync(full).isDirectory()) walk(full, base);
        else assets[`node_modules/${base}/${relative(packages[base] as string, full)}`] = file(full);
      }
    };
    for (const [name, dir] of Object.entries(packages)) walk(dir, name);
    expect(Object.keys(assets).some((key) => key.endsWith(".node"))).toBe(true);

    const { engine, lambda } = await start([fn("renditions", assets, { timeout: 30 })]);
    const root = join(engine.context.workDir, "functions", "renditions");
    expect(existsSync(join(root, "node_modules/@img/sharp-linux-arm64"))).toBe(process.arch === "arm64");
    expect(lstatSync(join(root, "node_modules/sharp")).isSymbolicLink()).toBe(true);
    const first = await lambda.invoke("renditions", {});
    expect(first).toMatchObject({ payload: { format: "jpeg", width: 4, height: 3 } });
  });
});

describe("SQS event source mappings", () => {
  it("deletes the successes of a partial batch; the reported failure comes back with receive count 2", async () => {
    const { engine, lambda, sqs } = await start([
      queue("orders-inventory-queue", 1),
      fn(
        "inventory",
        `export const handler = async (event) => {
          const failures = [];
          for (const record of event.Records) {
            console.log(JSON.stringify({ body: record.body, count: record.attributes.ApproximateReceiveCount, source: record.eventSource, arn: record.eventSourceARN, region: record.awsRegion, md5: record.md5OfBody, attrs: record.messageAttributes }));
            if (record.body === "bad" && record.attributes.ApproximateReceiveCount === "1") failures.push({ itemIdentifier: record.messageId });
          }
          return { batchItemFailures: failures };
        };`,
        { timeout: 3 },
      ),
      mapping("inventory", "orders-inventory-queue", "inventory"),
    ]);
    const arn = queueArn("orders-inventory-queue");
    const q = sqs.queues.get(arn) as FakeQueue;
    // Sent together so they land in one batch.
    for (const body of ["good-1", "bad", "good-2"]) {
      engine.context.sqs.send(arn, {
        body,
        messageAttributes: { kind: { DataType: "String", StringValue: body } },
      });
    }
    await waitFor(() => q.deleted.length === 3, "every message deleted");
    expect(q.deleted).toEqual(["good-1", "good-2", "bad"]);
    const seen = lambda
      .logs("inventory")
      .filter((l) => l.line.startsWith("{"))
      .map((l) => JSON.parse(l.line) as Record<string, unknown>);
    expect(seen.map((s) => [s.body, s.count])).toEqual([
      ["good-1", "1"],
      ["bad", "1"],
      ["good-2", "1"],
      ["bad", "2"],
    ]);
    expect(seen[0]).toMatchObject({
      source: "aws:sqs",
      arn,
      region: REGION,
      md5: md5("good-1"),
      attrs: {
        kind: { stringValue: "good-1", stringListValues: [], binaryListValues: [], dataType: "String" },
      },
    });
    expect(lambda.invocations("inventory").map((i) => i.source)).toEqual([`sqs:${arn}`, `sqs:${arn}`]);
  });

  it("keeps the whole batch when the handler fails or answers an unknown itemIdentifier", async () => {
    const { engine, lambda, sqs } = await start([
      queue("replay-queue", 1),
      fn(
        "republisher",
        `export const handler = async (event) => {
          const [record] = event.Records;
          const count = Number(record.attributes.ApproximateReceiveCount);
          if (record.body === "throws" && count === 1) throw new Error("downstream down");
          if (record.body === "unknown-id" && count === 1) return { batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] };
          return {};
        };`,
      ),
      mapping("republisher", "replay-queue", "republisher", { batchSize: 1 }),
    ]);
    const arn = queueArn("replay-queue");
    const q = sqs.queues.get(arn) as FakeQueue;
    engine.context.sqs.send(arn, { body: "throws" });
    engine.context.sqs.send(arn, { body: "unknown-id" });
    await waitFor(() => q.deleted.length === 2, "both messages deleted on their second delivery");
    expect(q.deleted.sort()).toEqual(["throws", "unknown-id"]);
    expect(warnings).toContainEqual(
      expect.stringMatching(/republisher returned an invalid partial batch response/),
    );
    // Each failed once (nothing deleted) and succeeded on its second receive.
    expect(lambda.invocations("republisher")).toHaveLength(4);
    expect(lambda.invocations("republisher").filter((i) => i.error)).toHaveLength(1);
  });

  it("runs at most scalingConfig.maximumConcurrency batches at once", async () => {
    const g = gate();
    const { engine, sqs, lambda } = await start([
      queue("sends-queue", 30),
      fn(
        "sender",
        `${GATED} export const handler = async (event, context) => {
          const run = await pass(context.awsRequestId);
          console.log(JSON.stringify({ ...run, n: event.Records.length }));
          return { batchItemFailures: [] };
        };`,
        { variables: { GATE_DIR: g.dir } },
      ),
      mapping("sender", "sends-queue", "sender", { batchSize: 1, scalingConfig: { maximumConcurrency: 2 } }),
    ]);
    const arn = queueArn("sends-queue");
    for (let i = 0; i < 6; i++) engine.context.sqs.send(arn, { body: `m${i}` });
    await waitFor(() => g.started() === 2, "two batches in flight");
    await settle();
    expect(g.started()).toBe(2); // the function's own limit (10) would allow more
    expect(engine.context.sqs.depth(arn)).toMatchObject({ visible: 4, inFlight: 2 });
    g.open();
    const q = sqs.queues.get(arn) as FakeQueue;
    await waitFor(() => q.deleted.length === 6, "all six messages processed");
    const runs = lambda
      .logs("sender")
      .filter((l) => l.line.startsWith("{"))
      .map((l) => JSON.parse(l.line) as { start: number; end: number; n: number });
    expect(runs).toHaveLength(6);
    expect(runs.every((r) => r.n === 1)).toBe(true);
    expect(maxOverlap(runs)).toBeLessThanOrEqual(2);
    const view = (await (
      await fetch(`${engine.endpoint}/_local/lambda/event-source-mappings`)
    ).json()) as Array<Record<string, unknown>>;
    expect(view).toEqual([
      expect.objectContaining({
        name: "sender-esm",
        maximumConcurrency: 2,
        batches: 6,
        deleted: 6,
        failedBatches: 0,
        running: true,
      }),
    ]);
  });

  it("gathers up to batchSize messages within the batching window", async () => {
    const { engine, lambda, sqs } = await start([
      queue("batched-queue", 5),
      fn(
        "batched",
        `export const handler = async (event) => { console.log("batch " + event.Records.length); };`,
      ),
      mapping("batched", "batched-queue", "batched", { batchSize: 15, maximumBatchingWindowInSeconds: 1 }),
    ]);
    const arn = queueArn("batched-queue");
    for (let i = 0; i < 15; i++) engine.context.sqs.send(arn, { body: `m${i}` });
    await waitFor(() => (sqs.queues.get(arn) as FakeQueue).deleted.length === 15, "the batch deleted");
    expect(lambda.logs("batched").filter((l) => l.line.startsWith("batch "))).toEqual([
      expect.objectContaining({ line: "batch 15" }),
    ]);
  });

  it("refuses a mapping with batchSize over 10 and no batching window", async () => {
    await expect(
      start([
        queue("q", 30),
        fn("f", "export const handler = async () => {};"),
        mapping("f", "q", "f", { batchSize: 20 }),
      ]),
    ).rejects.toMatchObject({ code: "InvalidParameterValueException" });
  });
});

describe("with the real SQS emulator", () => {
  it("partial batch failures return to the queue until SQS redrives the poison message to its DLQ", async () => {
    engine = await Engine.listen({
      log: { debug() {}, info() {}, warn() {}, error: (message) => void warnings.push(message) },
      emulators: {
        // One SQS second lasts 50 ms: the 20 s visibility timeout is 1 s.
        sqs: (ctx) => createSqs(ctx, { msPerSecond: 50 }),
        logs: (ctx) => createLogs(ctx),
        lambda: (ctx) => createLambda(ctx, { pollIntervalMs: 10 }),
      },
    });
    const dlq = queue("work-dlq", 20);
    const work = queue("work-queue", 20);
    work.inputs.redrivePolicy = JSON.stringify({
      deadLetterTargetArn: queueArn("work-dlq"),
      maxReceiveCount: 2,
    });
    await engine.provision([
      dlq,
      work,
      fn(
        "worker",
        `export const handler = async (event) => {
          for (const r of event.Records) console.log(JSON.stringify({ body: r.body, count: r.attributes.ApproximateReceiveCount }));
          return { batchItemFailures: event.Records.filter((r) => r.body === "poison").map((r) => ({ itemIdentifier: r.messageId })) };
        };`,
        { timeout: 20 },
      ),
      mapping("worker", "work-queue", "worker"),
    ]);
    const client = new SQSClient({
      endpoint: engine.endpoint,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const url = engine.context.sqs.queueUrl(queueArn("work-queue"));
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: ["ok-1", "poison", "ok-2"].map((body, i) => ({ Id: `m${i}`, MessageBody: body })),
      }),
    );
    const dlqUrl = engine.context.sqs.queueUrl(queueArn("work-dlq"));
    await waitFor(
      () => engine?.context.sqs.depth(queueArn("work-dlq")).visible === 1,
      "the poison message in the DLQ",
    );
    const received = await client.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }),
    );
    expect(received.Messages?.map((m) => m.Body)).toEqual(["poison"]);
    const lambda = engine.emulator<LambdaEmulator>("lambda") as LambdaEmulator;
    const seen = lambda
      .logs("worker")
      .filter((l) => l.line.startsWith("{"))
      .map((l) => JSON.parse(l.line) as { body: string; count: string });
    expect(
      seen
        .filter((s) => s.body !== "poison")
        .map((s) => [s.body, s.count])
        .sort(),
    ).toEqual([
      ["ok-1", "1"],
      ["ok-2", "1"],
    ]);
    expect(seen.filter((s) => s.body === "poison").map((s) => s.count)).toEqual(["1", "2"]);
    expect(engine.context.sqs.depth(queueArn("work-queue"))).toMatchObject({ visible: 0, inFlight: 0 });
    client.destroy();
  });

  it("keeps a batch invisible while its invocation outlasts a time-scaled visibility timeout", async () => {
    engine = await Engine.listen({
      log: { debug() {}, info() {}, warn() {}, error: (message) => void warnings.push(message) },
      emulators: {
        // 1 s visibility lasts 20 ms; the handler runs 400 ms in real time, as handlers do under scaling.
        sqs: (ctx) => createSqs(ctx, { msPerSecond: 20 }),
        logs: (ctx) => createLogs(ctx),
        lambda: (ctx) => createLambda(ctx, { pollIntervalMs: 10 }),
      },
    });
    await engine.provision([
      queue("slow-queue", 1),
      fn(
        "slow",
        `export const handler = async (event) => {
          for (const r of event.Records) console.log(JSON.stringify({ body: r.body, count: r.attributes.ApproximateReceiveCount }));
          await new Promise((resolve) => setTimeout(resolve, 400));
        };`,
        { timeout: 1 },
      ),
      mapping("slow", "slow-queue", "slow"),
    ]);
    engine.context.sqs.send(queueArn("slow-queue"), { body: "once" });
    await waitFor(
      () =>
        engine?.context.sqs.depth(queueArn("slow-queue")).inFlight === 0 &&
        engine?.context.sqs.depth(queueArn("slow-queue")).visible === 0,
      "the message processed and deleted",
    );
    const lambda = engine.emulator<LambdaEmulator>("lambda") as LambdaEmulator;
    const seen = lambda
      .logs("slow")
      .filter((l) => l.line.startsWith("{"))
      .map((l) => JSON.parse(l.line) as { body: string; count: string });
    // Without the hold, the message would have been received again (count 2) while the first run slept.
    expect(seen).toEqual([{ body: "once", count: "1" }]);
  });
});

describe("asynchronous invocation", () => {
  it("retries twice, then sends the invocation record to the onFailure destination", async () => {
    const { engine, lambda, sqs } = await start([
      queue("alert-dlq", 30),
      fn(
        "alert",
        `export const handler = async (event, context) => { throw new Error("alert failed for " + event.orderId); };`,
      ),
      invokeConfig("alert", { destinationConfig: { onFailure: { destination: queueArn("alert-dlq") } } }),
    ]);
    engine.context.lambda.invokeAsync(
      arnOf("alert"),
      { orderId: "o-1" },
      { source: `sns:arn:aws:sns:${REGION}:${ACCOUNT}:orders` },
    );
    const dlq = sqs.queues.get(queueArn("alert-dlq")) as FakeQueue;
    const message = await waitFor(() => dlq.messages[0], "the invocation record");
    const record = JSON.parse(message.body) as Record<string, Record<string, unknown>>;
    const attempts = lambda.invocations("alert");
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.requestId)).size).toBe(1); // retries keep the request id
    expect(
      attempts.every(
        (a) => a.invocationType === "Event" && a.source === `sns:arn:aws:sns:${REGION}:${ACCOUNT}:orders`,
      ),
    ).toBe(true);
    expect(record).toEqual({
      version: "1.0",
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      requestContext: {
        requestId: attempts[0]?.requestId,
        functionArn: `${arnOf("alert")}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { orderId: "o-1" },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "alert failed for o-1", trace: expect.any(Array) },
    });
    expect(dlq.messages).toHaveLength(1);
  });

  it("honours maximumRetryAttempts 0 and sends successes to onSuccess", async () => {
    const { engine, lambda, sqs } = await start([
      queue("ok-queue", 30),
      queue("fail-queue", 30),
      fn(
        "once",
        `export const handler = async (event) => { if (event.fail) throw new Error("no"); return { done: event.id }; };`,
      ),
      invokeConfig("once", {
        maximumRetryAttempts: 0,
        destinationConfig: {
          onSuccess: { destination: queueArn("ok-queue") },
          onFailure: { destination: queueArn("fail-queue") },
        },
      }),
    ]);
    engine.context.lambda.invokeAsync("once", { id: 1 });
    engine.context.lambda.invokeAsync("once", { id: 2, fail: true });
    const ok = await waitFor(() => sqs.queues.get(queueArn("ok-queue"))?.messages[0], "the success record");
    const failed = await waitFor(
      () => sqs.queues.get(queueArn("fail-queue"))?.messages[0],
      "the failure record",
    );
    expect(JSON.parse(ok.body)).toMatchObject({
      requestContext: { condition: "Success", approximateInvokeCount: 1 },
      requestPayload: { id: 1 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      responsePayload: { done: 1 },
    });
    expect(JSON.parse(failed.body)).toMatchObject({
      requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 1 },
      requestPayload: { id: 2, fail: true },
    });
    expect(lambda.invocations("once")).toHaveLength(2);
  });

  it("delivers records to Lambda and EventBridge destinations", async () => {
    const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders-bus`;
    const { engine, lambda, events } = await start([
      fn(
        "source",
        `export const handler = async (event) => { if (event.fail) throw new Error("nope"); return { ok: true }; };`,
      ),
      fn(
        "on-failure",
        `export const handler = async (record) => { console.log("got " + record.requestContext.condition + " " + record.requestPayload.id); };`,
      ),
      invokeConfig("source", {
        maximumRetryAttempts: 1,
        destinationConfig: {
          onSuccess: { destination: busArn },
          onFailure: { destination: arnOf("on-failure") },
        },
      }),
    ]);
    engine.context.lambda.invokeAsync("source", { id: "a" });
    engine.context.lambda.invokeAsync("source", { id: "b", fail: true });
    await waitFor(
      () => lambda.logs("on-failure").find((l) => l.line === "got RetriesExhausted b"),
      "the failure record",
    );
    expect(lambda.invocations("source").filter((i) => i.error)).toHaveLength(2); // one retry
    const entry = await waitFor(() => events.entries[0], "the success event");
    expect(entry).toMatchObject({
      Source: "lambda",
      DetailType: "Lambda Function Invocation Result - Success",
      EventBusName: busArn,
      Resources: [`${arnOf("source")}:$LATEST`, busArn],
    });
    expect(JSON.parse(entry.Detail ?? "{}")).toMatchObject({
      requestContext: { condition: "Success", approximateInvokeCount: 1 },
      requestPayload: { id: "a" },
      responsePayload: { ok: true },
    });
  });

  it("sends the event to the function's dead-letter queue with the error attributes", async () => {
    const { engine, sqs } = await start([
      queue("fn-dlq", 30),
      fn("dead", `export const handler = async () => { throw new Error("always"); };`, {
        deadLetterConfig: { targetArn: queueArn("fn-dlq") },
      }),
    ]);
    engine.context.lambda.invokeAsync("dead", { payload: [1, 2] });
    const message = await waitFor(() => sqs.queues.get(queueArn("fn-dlq"))?.messages[0], "the dead letter");
    expect(JSON.parse(message.body)).toEqual({ payload: [1, 2] });
    expect(message.attributes).toEqual({
      RequestID: { DataType: "String", StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ErrorCode: { DataType: "Number", StringValue: "200" },
      ErrorMessage: { DataType: "String", StringValue: "always" },
    });
    const lambda = engine.emulator<LambdaEmulator>("lambda") as LambdaEmulator;
    expect(lambda.invocations("dead")).toHaveLength(3); // default maximumRetryAttempts: 2
  });
});

describe("lifecycle", () => {
  it("terminates idle workers after idleTimeoutMs and starts a fresh one when needed", async () => {
    const { lambda } = await start([fn("idle", "let n = 0; export const handler = async () => ++n;")], {
      idleTimeoutMs: 50,
    });
    expect((await lambda.invoke("idle", {})).payload).toBe(1);
    await waitFor(() => lambda.functions()[0]?.warmWorkers === 0, "the idle worker reaped");
    expect((await lambda.invoke("idle", {})).payload).toBe(1);
  });

  it("stops cleanly with invocations in flight and deletes nothing they were processing", async () => {
    const g = gate();
    const {
      engine: running,
      lambda,
      sqs,
    } = await start([
      queue("stuck-queue", 30),
      fn(
        "stuck",
        `${GATED} export const handler = async (event, context) => { await pass(context.awsRequestId); };`,
        {
          variables: { GATE_DIR: g.dir },
        },
      ),
      mapping("stuck", "stuck-queue", "stuck", { batchSize: 1 }),
    ]);
    running.context.sqs.send(queueArn("stuck-queue"), { body: "in flight" });
    const direct = lambda.invoke("stuck", {});
    await waitFor(() => g.started() === 2, "both invocations running");
    engine = undefined; // closed here, not in afterEach
    await running.close();
    expect(await direct).toMatchObject({ error: { errorType: "Runtime.ExitError" } });
    const q = sqs.queues.get(queueArn("stuck-queue")) as FakeQueue;
    expect(q.deleted).toEqual([]);
    expect(q.messages.map((m) => m.body)).toEqual(["in flight"]);
    expect(lambda.functions()[0]).toMatchObject({ warmWorkers: 0, running: 0 });
    await expect(lambda.invoke("stuck", {})).rejects.toMatchObject({ code: "ServiceException" });
  });
});
