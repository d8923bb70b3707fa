import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createLambda, type LambdaEmulator } from "../src/services/lambda";
import { createLogs, type LogsEmulator } from "../src/services/logs";
import { compileFilterPattern } from "../src/services/logs/filter-pattern";
import type { FunctionLogRecord, LocalResource } from "../src/types";
import { spawnProcess } from "./spawn";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function logGroup(name: string, retentionInDays?: number): LocalResource {
  return {
    type: "aws:cloudwatch/logGroup:LogGroup",
    name: `${name}-log-group`,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:NodeFunction$aws:cloudwatch/logGroup:LogGroup::${name}`,
    custom: true,
    inputs: { name, ...(retentionInDays ? { retentionInDays } : {}) },
    outputs: { name, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}` },
    id: name,
  };
}

function fn(name: string, code: string, timeout = 3): LocalResource {
  return {
    type: "aws:lambda/function:Function",
    name: `${name}-function`,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:NodeFunction$aws:lambda/function:Function::${name}-function`,
    custom: true,
    inputs: {
      code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
      handler: "index.handler",
      loggingConfig: { logFormat: "JSON", logGroup: `/aws/lambda/${name}-abc1234` },
      memorySize: 128,
      runtime: "nodejs24.x",
      timeout,
    },
    outputs: { name, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` },
    id: name,
  };
}

function record(message: string, extra: Partial<FunctionLogRecord> = {}): FunctionLogRecord {
  return {
    functionName: "orders-inventory",
    logGroupName: "/aws/lambda/orders-inventory",
    logStreamName: "2026/12/05/[$LATEST]0123456789abcdef0123456789abcdef",
    timestamp: Date.now(),
    message,
    source: "stdout",
    ...extra,
  };
}

describe("filter patterns", () => {
  const json = (value: unknown) => JSON.stringify(value);

  it("matches every plain term, case-sensitively, and quoted phrases as a whole", () => {
    const match = compileFilterPattern('ERROR "order o-1"');
    expect(match("ERROR while reserving order o-1")).toBe(true);
    expect(match("ERROR while reserving order o-2")).toBe(false);
    expect(match("error while reserving order o-1")).toBe(false);
    expect(match("order o-1 ERROR")).toBe(true);
  });

  it("matches any ?term and excludes -terms", () => {
    const any = compileFilterPattern("?ERROR ?WARN");
    expect(any("a WARN line")).toBe(true);
    expect(any("an INFO line")).toBe(false);
    const without = compileFilterPattern("ERROR -retrying");
    expect(without("ERROR giving up")).toBe(true);
    expect(without("ERROR retrying")).toBe(false);
  });

  it("reads JSON patterns: =, != with wildcards, numbers, && and ||, IS TRUE, NOT EXISTS", () => {
    const error = compileFilterPattern('{ $.level = "ERROR" }');
    expect(error(json({ level: "ERROR", message: "x" }))).toBe(true);
    expect(error(json({ level: "INFO", message: "x" }))).toBe(false);
    expect(error("ERROR not json")).toBe(false);
    expect(compileFilterPattern('{ $.message = "reserved*" }')(json({ message: "reserved 2 items" }))).toBe(
      true,
    );
    const slow = compileFilterPattern("{ ($.latency > 500) && ($.service != orders) }");
    expect(slow(json({ latency: 900, service: "sms" }))).toBe(true);
    expect(slow(json({ latency: 900, service: "orders" }))).toBe(false);
    expect(slow(json({ latency: 100, service: "sms" }))).toBe(false);
    const either = compileFilterPattern('{ $.level = "ERROR" || $.cold_start IS TRUE }');
    expect(either(json({ level: "INFO", cold_start: true }))).toBe(true);
    expect(either(json({ level: "INFO", cold_start: false }))).toBe(false);
    expect(compileFilterPattern("{ $.error NOT EXISTS }")(json({ ok: 1 }))).toBe(true);
    expect(
      compileFilterPattern("{ $.items[1].sku = b }")(json({ items: [{ sku: "a" }, { sku: "b" }] })),
    ).toBe(true);
  });

  it("refuses what it cannot read, saying why", () => {
    expect(() => compileFilterPattern('{ $.level = "ERROR" ')).toThrow(/ends with }/);
    expect(() => compileFilterPattern("[ip, user]")).toThrow(/space-delimited/);
    expect(() => compileFilterPattern('{ $.level > "x" }')).toThrow(/compares numbers/);
  });
});

describe("CloudWatch Logs emulator", () => {
  let engine: Engine;
  let logs: LogsEmulator;
  let client: CloudWatchLogsClient;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "switchyard-logs-test-"));
    engine = await Engine.listen({
      log: quiet,
      persistDir: workDir,
      emulators: {
        logs: (ctx) => createLogs(ctx),
        lambda: (ctx) => createLambda(ctx),
      },
    });
    await engine.provision([
      logGroup("/aws/lambda/orders-inventory", 7),
      fn("throws", "export const handler = async () => { throw new TypeError('no stock for o-1'); };"),
      fn(
        "talks",
        `export const handler = async (event) => {
          console.log(JSON.stringify({ level: "INFO", message: "reserved", orderId: event.orderId }));
          return { ok: true };
        };`,
      ),
      fn("slow", "export const handler = () => new Promise(() => {});", 1),
      fn(
        "crashes",
        "export const handler = async () => { setTimeout(() => { throw new Error('boom'); }); await new Promise(() => {}); };",
      ),
    ]);
    logs = engine.emulator<LogsEmulator>("logs") as LogsEmulator;
    client = new CloudWatchLogsClient({ endpoint: engine.endpoint, region: REGION, credentials });
  });

  afterAll(async () => {
    client?.destroy();
    await engine?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("provisions the program's log groups with their retention (CreateLogGroup, PutRetentionPolicy)", async () => {
    const { logGroups } = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/orders-" }),
    );
    expect(logGroups).toEqual([
      expect.objectContaining({
        logGroupName: "/aws/lambda/orders-inventory",
        retentionInDays: 7,
        arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-inventory:*`,
        logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-inventory`,
      }),
    ]);
  });

  it("creates groups and streams, refuses duplicates and bad retention, and answers missing groups as AWS", async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: "/test/app" }));
    await expect(
      client.send(new CreateLogGroupCommand({ logGroupName: "/test/app" })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      client.send(new PutRetentionPolicyCommand({ logGroupName: "/test/app", retentionInDays: 8 })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await client.send(new PutRetentionPolicyCommand({ logGroupName: "/test/app", retentionInDays: 14 }));
    await expect(
      client.send(new DescribeLogStreamsCommand({ logGroupName: "/test/missing" })),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "The specified log group does not exist.",
    });
    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: "/test/missing", logStreamName: "s" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("pages GetLogEvents forward and backward with Lambda-style tokens", async () => {
    await client.send(new CreateLogStreamCommand({ logGroupName: "/test/app", logStreamName: "worker-1" }));
    const base = Date.now() - 10_000;
    await client.send(
      new PutLogEventsCommand({
        logGroupName: "/test/app",
        logStreamName: "worker-1",
        logEvents: [1, 2, 3, 4, 5].map((n) => ({ timestamp: base + n, message: `line ${n}` })),
      }),
    );
    const latest = await client.send(
      new GetLogEventsCommand({ logGroupName: "/test/app", logStreamName: "worker-1", limit: 2 }),
    );
    expect(latest.events?.map((e) => e.message)).toEqual(["line 4", "line 5"]);
    const earlier = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/test/app",
        logStreamName: "worker-1",
        limit: 2,
        nextToken: latest.nextBackwardToken,
      }),
    );
    expect(earlier.events?.map((e) => e.message)).toEqual(["line 2", "line 3"]);
    const head = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/test/app",
        logStreamName: "worker-1",
        startFromHead: true,
        limit: 3,
      }),
    );
    expect(head.events?.map((e) => e.message)).toEqual(["line 1", "line 2", "line 3"]);
    const end = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/test/app",
        logStreamName: "worker-1",
        nextToken: latest.nextForwardToken,
      }),
    );
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(latest.nextForwardToken);
  });

  it("writes a function's lines to its log group, one Lambda-named stream per worker, and reports failures", async () => {
    const lambda = engine.emulator<LambdaEmulator>("lambda") as LambdaEmulator;
    const seen: FunctionLogRecord[] = [];
    const unsubscribe = logs.subscribe((r) => seen.push(r));
    await lambda.invoke("talks", { orderId: "o-7" });
    await lambda.invoke("throws", {});
    await lambda.invoke("slow", {});
    await lambda.invoke("crashes", {});
    unsubscribe();

    const { logStreams } = await client.send(
      new DescribeLogStreamsCommand({ logGroupName: "/aws/lambda/talks-abc1234" }),
    );
    expect(logStreams).toHaveLength(1);
    expect(logStreams?.[0]?.logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);

    const talks = await client.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/lambda/talks-abc1234",
        filterPattern: '{ $.orderId = "o-7" }',
      }),
    );
    expect(talks.events?.map((e) => JSON.parse(e.message as string))).toEqual([
      { level: "INFO", message: "reserved", orderId: "o-7" },
    ]);
    expect(talks.events?.[0]?.eventId).toMatch(/^\d{56}$/);

    const failures = seen
      .filter((r) => r.failure)
      .map((r) => [r.functionName, r.failure?.kind, r.failure?.errorType]);
    expect(failures).toEqual([
      ["throws", "error", "TypeError"],
      ["slow", "timeout", "Sandbox.Timedout"],
      ["crashes", "crash", "Error"],
    ]);
    const invokeError = await client.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/lambda/throws-abc1234",
        filterPattern: '{ $.level = "ERROR" }',
      }),
    );
    expect(JSON.parse(invokeError.events?.[0]?.message as string)).toMatchObject({
      level: "ERROR",
      message: "Invoke Error",
      errorType: "TypeError",
      errorMessage: "no stock for o-1",
    });
    const timeout = await client.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/lambda/slow-abc1234",
        filterPattern: '"Task timed out"',
      }),
    );
    expect(timeout.events?.[0]?.message).toMatch(/Task timed out after 1\.00 seconds$/);
    // The platform's lines are there too, as in CloudWatch.
    const platform = await client.send(
      new FilterLogEventsCommand({ logGroupName: "/aws/lambda/slow-abc1234", filterPattern: "REPORT" }),
    );
    expect(platform.events?.[0]?.message).toMatch(/\tStatus: timeout$/);
  });

  it("pages FilterLogEvents with nextToken, interleaving streams by time", async () => {
    for (const stream of ["a", "b"]) {
      logs.putFunctionLog(
        record(`first ${stream}`, {
          logGroupName: "/test/paged",
          logStreamName: stream,
          timestamp: stream === "a" ? 1000 : 2000,
        }),
      );
      logs.putFunctionLog(
        record(`second ${stream}`, {
          logGroupName: "/test/paged",
          logStreamName: stream,
          timestamp: stream === "a" ? 3000 : 4000,
        }),
      );
    }
    const first = await client.send(new FilterLogEventsCommand({ logGroupName: "/test/paged", limit: 3 }));
    expect(first.events?.map((e) => e.message)).toEqual(["first a", "first b", "second a"]);
    expect(first.nextToken).toBeDefined();
    const second = await client.send(
      new FilterLogEventsCommand({ logGroupName: "/test/paged", limit: 3, nextToken: first.nextToken }),
    );
    expect(second.events?.map((e) => e.message)).toEqual(["second b"]);
    expect(second.nextToken).toBeUndefined();
    const windowed = await client.send(
      new FilterLogEventsCommand({
        logGroupName: "/test/paged",
        startTime: 2000,
        endTime: 3000,
        logStreamNames: ["b"],
      }),
    );
    expect(windowed.events?.map((e) => e.message)).toEqual(["first b"]);
  });

  it("answers an operation it does not serve with its name", async () => {
    const response = await fetch(engine.endpoint, {
      method: "POST",
      headers: {
        "x-amz-target": "Logs_20140328.StartQuery",
        "content-type": "application/x-amz-json-1.1",
        authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/logs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      __type: "UnknownOperationException",
      message: expect.stringContaining("StartQuery"),
    });
  });

  it("keeps the logs in the state folder and reads them back on the next start (--persist)", async () => {
    logs.putFunctionLog(record("kept across runs", { logGroupName: "/test/kept", logStreamName: "w" }));
    expect(existsSync(join(workDir, "cloudwatch-logs", "groups.json"))).toBe(true);
    const again = await Engine.listen({
      log: quiet,
      persistDir: workDir,
      emulators: { logs: (ctx) => createLogs(ctx) },
    });
    try {
      const reader = new CloudWatchLogsClient({ endpoint: again.endpoint, region: REGION, credentials });
      const { events } = await reader.send(new FilterLogEventsCommand({ logGroupName: "/test/kept" }));
      expect(events?.map((e) => e.message)).toEqual(["kept across runs"]);
      reader.destroy();
    } finally {
      await again.close();
    }
  });

  it("serves a function's lines to /_local/lambda/logs from the store, with their request ids, across runs", async () => {
    const group = { functionName: "kept-fn", logGroupName: "/aws/lambda/kept-fn" };
    logs.putFunctionLog(
      record("START RequestId: req-1", { ...group, requestId: "req-1", source: "platform" }),
    );
    logs.putFunctionLog(record("line of req-1", { ...group, requestId: "req-1" }));
    logs.putFunctionLog(record("line of req-2", { ...group, requestId: "req-2", logStreamName: "other" }));
    // A new engine on the same state folder: its Lambda never ran the function, so only the store has the lines.
    const again = await Engine.listen({
      log: quiet,
      persistDir: workDir,
      emulators: { logs: (ctx) => createLogs(ctx), lambda: (ctx) => createLambda(ctx) },
    });
    try {
      const view = async (query: string) =>
        (await fetch(`${again.endpoint}/_local/lambda/logs?function=kept-fn${query}`)).json();
      expect(await view("&requestId=req-1")).toEqual([
        { at: expect.any(String), requestId: "req-1", line: "START RequestId: req-1" },
        { at: expect.any(String), requestId: "req-1", line: "line of req-1" },
      ]);
      expect(await view("&tail=1")).toEqual([
        { at: expect.any(String), requestId: "req-2", line: "line of req-2" },
      ]);
    } finally {
      await again.close();
    }
  });
});

/**
 * Debian's AWS CLI v2 (`apt-get install awscli`; CI installs it). The pyenv `aws` on some machines is CLI v1,
 * which has no `logs tail`: the Debian one is preferred.
 */
function awsCli(): string {
  for (const candidate of ["/usr/bin/aws", "aws"]) {
    try {
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" });
      if (version.startsWith("aws-cli/2.")) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    "These tests need the AWS CLI v2 (Debian: apt-get install -y awscli); none was found (.ci/run installs it)",
  );
}

describe("CloudWatch Logs from the AWS CLI", () => {
  let engine: Engine;
  let logs: LogsEmulator;
  let cli: string;
  const env = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
    PYTHONUNBUFFERED: "1",
  });

  beforeAll(async () => {
    cli = awsCli();
    engine = await Engine.listen({ log: quiet, emulators: { logs: (ctx) => createLogs(ctx) } });
    logs = engine.emulator<LogsEmulator>("logs") as LogsEmulator;
    logs.putFunctionLog(
      record(JSON.stringify({ level: "ERROR", message: "no stock", orderId: "o-9" }), {
        logGroupName: "/aws/lambda/cli",
      }),
    );
    logs.putFunctionLog(
      record(JSON.stringify({ level: "INFO", message: "reserved" }), { logGroupName: "/aws/lambda/cli" }),
    );
  });

  afterAll(async () => {
    await engine?.close();
  });

  it("aws logs filter-log-events returns the matching events", async () => {
    // Asynchronously: the engine answering the CLI runs in this process.
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        cli,
        [
          "logs",
          "filter-log-events",
          "--endpoint-url",
          engine.endpoint,
          "--log-group-name",
          "/aws/lambda/cli",
          "--filter-pattern",
          '{ $.level = "ERROR" }',
          "--output",
          "json",
        ],
        { encoding: "utf8", env: env() },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}${stderr}`)) : resolve(stdout)),
      ),
    );
    const parsed = JSON.parse(out) as { events: Array<{ message: string; logStreamName: string }> };
    expect(parsed.events.map((e) => JSON.parse(e.message).message)).toEqual(["no stock"]);
  });

  it("aws logs tail --follow prints what is there, then what arrives", async () => {
    const child = spawnProcess(
      cli,
      ["logs", "tail", "/aws/lambda/cli", "--follow", "--format", "short", "--endpoint-url", engine.endpoint],
      { env: env() },
    );
    try {
      await child.waitFor("no stock", 45_000);
      // The CLI polls FilterLogEvents every 5 s from the newest timestamp it has seen.
      logs.putFunctionLog(record("arrived while following", { logGroupName: "/aws/lambda/cli" }));
      await child.waitFor("arrived while following", 45_000);
      expect(child.stdout().split("\n")[0]).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \{"level":"ERROR","message":"no stock"/,
      );
    } finally {
      child.child.kill("SIGINT");
    }
  }, 90_000);
});
