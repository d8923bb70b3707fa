import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mockOutputs, type OutputContext } from "@switchyard/testing";
import { afterAll, describe, expect, it } from "vitest";
import { findOutputsFile, outputsFileFor, outputsFiles } from "../src/paths";
import { localOutputs, unwrapSecrets } from "../src/run";
import {
  checkServiceName,
  functionServices,
  selectOutputs,
  selectService,
  serviceNames,
  workspaceServices,
} from "../src/select";
import { renderSummary } from "../src/summary";
import { formatLogRecord, type LogsMode, parseLogsMode } from "../src/terminal-logs";
import type { FunctionLogRecord, LocalResource } from "../src/types";

const stack = "urn:pulumi:dev::switchyard::";

function resource(
  type: string,
  name: string,
  options: {
    parent?: LocalResource;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
  } = {},
): LocalResource {
  const custom = type.startsWith("aws:");
  const urn = options.parent
    ? `${options.parent.urn.replace(/::[^:]+$/, "")}$${type}::${name}`
    : `${stack}${type}::${name}`;
  return {
    type,
    name,
    urn,
    parentUrn: options.parent?.urn,
    custom,
    inputs: options.inputs ?? {},
    outputs: options.outputs ?? {},
  };
}

const platform = resource("switchyard:kit:AlarmTopic", "switchyard-alarms");
const alarmTopic = resource("aws:sns/topic:Topic", "switchyard-alarms-topic", {
  parent: platform,
  outputs: {
    arn: "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-topic",
    name: "switchyard-alarms-topic",
  },
});
const notifications = resource("switchyard:notifications:NotificationsApi", "notifications");
const bus = resource("aws:cloudwatch/eventBus:EventBus", "notifications-bus", {
  parent: notifications,
  outputs: {
    arn: "arn:aws:events:us-east-1:123456789012:event-bus/notifications-bus",
    name: "notifications-bus",
  },
});
const rule = resource("aws:cloudwatch/eventRule:EventRule", "notifications-send-rule", {
  parent: notifications,
  inputs: { eventBusName: "notifications-bus" },
});
const orders = resource("switchyard:orders:OrdersFanOut", "orders");
const ordersFn = resource("aws:lambda/function:Function", "orders-customer-notifications-function", {
  parent: orders,
  inputs: { environment: { variables: { NOTIFICATIONS_BUS_NAME: "notifications-bus" } } },
  outputs: { name: "orders-customer-notifications-function" },
});
const ordersPolicy = resource("aws:iam/rolePolicy:RolePolicy", "orders-customer-notifications-policy", {
  parent: orders,
  inputs: {
    policy: JSON.stringify({
      Statement: [
        { Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-topic" },
      ],
    }),
  },
});
const sms = resource("switchyard:sms-throttle:SmsThrottle", "sms");
const smsQueue = resource("aws:sqs/queue:Queue", "sms-de-queue", {
  parent: sms,
  outputs: { name: "sms-de-queue" },
});
const smsTopic = resource("aws:sns/topic:Topic", "sms-throttle-requests-topic", {
  parent: sms,
  outputs: {
    name: "sms-throttle-requests-topic",
    arn: "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests-topic",
  },
});
const smsFn = resource("aws:lambda/function:Function", "sms-sender-function", {
  parent: sms,
  outputs: { name: "sms-sender-function" },
});
const alertFn = resource("aws:lambda/function:Function", "switchyard-budget-alert-function", {
  outputs: { name: "switchyard-budget-alert-function" },
});
const wsStage = resource("aws:apigatewayv2/stage:Stage", "notifications-stage", {
  parent: notifications,
  outputs: { name: "dev", invokeUrl: "ws://127.0.0.1:4566/ws/9dcd1e063b/dev" },
});
const budget = resource("aws:budgets/budget:Budget", "switchyard-budget");
const all = [
  platform,
  alarmTopic,
  notifications,
  bus,
  rule,
  orders,
  ordersFn,
  ordersPolicy,
  sms,
  smsQueue,
  smsTopic,
  smsFn,
  alertFn,
  wsStage,
  budget,
];
const KNOWN = ["notifications", "orders", "s3-pipeline", "sms-throttle"];

describe("selectService (--service)", () => {
  it("lists the top-level service components, not the shared kit", () => {
    expect(serviceNames(all)).toEqual(["notifications", "orders", "sms"]);
  });

  it("names services by their project package when the project's services are known", () => {
    expect(serviceNames(all, KNOWN)).toEqual(["notifications", "orders", "sms-throttle"]);
    expect(selectService(all, "sms", KNOWN).services).toEqual(["sms-throttle"]);
  });

  it("knows this project's services before the program runs (its services/ packages)", () => {
    expect(workspaceServices(join(import.meta.dirname, "../../.."))).toEqual(KNOWN);
  });

  it("checks a --service name before anything runs: package names, their first word, any case", () => {
    expect(checkServiceName("sms-throttle", KNOWN)).toBe("sms-throttle");
    expect(checkServiceName("SMS", KNOWN)).toBe("sms-throttle");
    expect(checkServiceName("s3", KNOWN)).toBe("s3-pipeline");
    expect(() => checkServiceName("bogus", KNOWN)).toThrow(
      '--service "bogus" is not a service of this project (services: notifications, orders, s3-pipeline, sms-throttle)',
    );
  });

  it("maps each function to its service (platform for the shared ones), for --logs <service>", () => {
    expect(Object.fromEntries(functionServices(all, KNOWN))).toEqual({
      "orders-customer-notifications-function": "orders",
      "sms-sender-function": "sms-throttle",
      "switchyard-budget-alert-function": "platform",
    });
  });

  it("without a service, keeps everything", () => {
    expect(selectService(all, undefined).resources).toHaveLength(all.length);
  });

  it("keeps the service, the platform and what the service references, not the other services", () => {
    const { resources, services } = selectService(all, "orders");
    expect(services).toEqual(["orders"]);
    const names = resources.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(["orders", "orders-customer-notifications-function", "switchyard-budget"]),
    );
    // Referenced by name (env var) and by ARN (inside a JSON policy document).
    expect(names).toContain("notifications-bus");
    expect(names).toContain("switchyard-alarms-topic");
    // The rest of notifications and the other services stay out.
    expect(names).not.toContain("notifications-send-rule");
    expect(names).not.toContain("notifications");
    expect(names).not.toContain("sms-de-queue");
  });

  it("accepts the package spelling of a service (sms-throttle) and its type", () => {
    expect(selectService(all, "sms-throttle").services).toEqual(["sms"]);
    expect(selectService(all, "NotificationsApi").services).toEqual(["notifications"]);
  });

  it("refuses an unknown service, naming the ones that exist", () => {
    expect(() => selectService(all, "billing")).toThrow(
      '--service "billing" matches no service of this stack (services: notifications, orders, sms)',
    );
  });
});

describe("selectOutputs (--service)", () => {
  const outputs = {
    environment: "dev",
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-topic",
    notificationsWebSocketUrl: "ws://127.0.0.1:4566/ws/9dcd1e063b/dev",
    notificationsBusName: "notifications-bus",
    smsTopicArn: "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests-topic",
    smsLanes: { "de-bulk": { batchSize: 10 } },
  };

  it("keeps every output when everything runs", () => {
    expect(selectOutputs(outputs, all, all, KNOWN)).toEqual(outputs);
  });

  it("lists only what exists in an --service orders run", () => {
    const { resources } = selectService(all, "orders", KNOWN);
    expect(selectOutputs(outputs, all, resources, KNOWN)).toEqual({
      environment: "dev",
      alarmTopicArn: outputs.alarmTopicArn,
      // The bus runs (orders publishes to it); the WebSocket API behind it does not.
      notificationsBusName: "notifications-bus",
    });
  });
});

describe("outputs files (two runs in one checkout)", () => {
  const root = mkdtempSync(join(tmpdir(), "switchyard-outputs-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("gives the default port outputs.json and any other port outputs-<port>.json", () => {
    expect(outputsFileFor(4566, root)).toBe(join(root, ".switchyard/local/outputs.json"));
    expect(outputsFileFor(4600, root)).toBe(join(root, ".switchyard/local/outputs-4600.json"));
  });

  it("finds the run a script means: --port, else the only one running, else asks", () => {
    mkdirSync(join(root, ".switchyard/local"), { recursive: true });
    expect(() => findOutputsFile(root)).toThrow(/no local cloud is running/);
    writeFileSync(outputsFileFor(4600, root), "{}");
    expect(findOutputsFile(root)).toBe(outputsFileFor(4600, root));
    writeFileSync(outputsFileFor(4566, root), "{}");
    expect(outputsFiles(root).map((f) => f.port)).toEqual([4566, 4600]);
    expect(() => findOutputsFile(root)).toThrow(
      "2 local clouds are running (ports 4566, 4600): pass --port <port>",
    );
    expect(findOutputsFile(root, 4600)).toBe(outputsFileFor(4600, root));
    expect(() => findOutputsFile(root, 4700)).toThrow(/no local cloud on port 4700/);
  });

  it("ignores the file of a run killed without a clean stop (its process is gone)", () => {
    rmSync(outputsFileFor(4566, root));
    writeFileSync(
      outputsFileFor(4600, root),
      JSON.stringify({ endpoint: "http://127.0.0.1:4600", pid: process.pid }),
    );
    // A pid no process has (above Linux's pid_max).
    writeFileSync(
      outputsFileFor(4700, root),
      JSON.stringify({ endpoint: "http://127.0.0.1:4700", pid: 2 ** 30 }),
    );
    expect(outputsFiles(root).map((f) => f.port)).toEqual([4600]);
    expect(findOutputsFile(root)).toBe(outputsFileFor(4600, root));
    expect(() => findOutputsFile(root, 4700)).toThrow(/no local cloud on port 4700/);
  });
});

describe("function logs on the terminal", () => {
  const at = Date.UTC(2026, 11, 5, 12, 4, 31, 207);
  const rec = (message: string, extra: Partial<FunctionLogRecord> = {}): FunctionLogRecord => ({
    functionName: "orders-inventory",
    logGroupName: "/aws/lambda/orders-inventory",
    logStreamName: "2026/12/05/[$LATEST]0123",
    timestamp: at,
    message,
    source: "stdout",
    ...extra,
  });
  const services = new Map([
    ["orders-inventory", "orders"],
    ["sms-sender", "sms-throttle"],
  ]);
  const show = (record: FunctionLogRecord, mode: LogsMode = { kind: "all" }) =>
    formatLogRecord(record, {
      mode,
      timeZone: "utc",
      functionWidth: 16,
      serviceOf: (name) => services.get(name),
    });
  const powertools = JSON.stringify({
    level: "INFO",
    message: "reserved stock",
    timestamp: "2026-12-05T12:04:31.200Z",
    service: "orders-inventory",
    cold_start: true,
    function_arn: "arn:aws:lambda:us-east-1:123456789012:function:orders-inventory",
    function_memory_size: "256",
    function_name: "orders-inventory",
    function_request_id: "b49e6114-6a3f-47e8-865c-d7b79a996961",
    xray_trace_id: "1-6b1486b2-667c52ebebdf9e146f8bc518",
    sampling_rate: 0,
    orderId: "o-123",
    items: 2,
  });

  it("prints a Powertools line as time, function, level, message and its own fields only", () => {
    expect(show(rec(powertools))).toBe(
      "12:04:31.207  orders-inventory  INFO   reserved stock  orderId=o-123 items=2",
    );
  });

  it("shows an error field as its name and message, and caps the fields shown", () => {
    const line = JSON.stringify({
      level: "ERROR",
      message: "reserve failed",
      error: { name: "ConditionalCheckFailedException", message: "stock", stack: "at x" },
      a: 1,
      b: 2,
      c: 3,
      d: 4,
    });
    expect(show(rec(line))).toBe(
      "12:04:31.207  orders-inventory  ERROR  reserve failed  error=ConditionalCheckFailedException: stock a=1 b=2 c=3 +1 more",
    );
  });

  it("reads Lambda's text format, and plain lines (stderr as errors)", () => {
    expect(show(rec("2026-12-05T12:04:31.207Z\tb49e6114-6a3f-47e8-865c-d7b79a996961\tWARN\tlow stock"))).toBe(
      "12:04:31.207  orders-inventory  WARN   low stock",
    );
    expect(show(rec("plain text"))).toBe("12:04:31.207  orders-inventory  INFO   plain text");
    expect(show(rec("TypeError: x is undefined", { source: "stderr" }))).toBe(
      "12:04:31.207  orders-inventory  ERROR  TypeError: x is undefined",
    );
  });

  it("leaves out metrics (EMF) and the platform's START/END/REPORT lines", () => {
    expect(
      show(rec(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, RecordsProcessed: 1 }))),
    ).toBeUndefined();
    expect(show(rec("START RequestId: x Version: $LATEST", { source: "platform" }))).toBeUndefined();
  });

  it("prints a failed invocation with the function and the reason", () => {
    const timeout = rec("... Task timed out after 3.00 seconds", {
      source: "platform",
      failure: {
        kind: "timeout",
        errorType: "Sandbox.Timedout",
        errorMessage: "Task timed out after 3.00 seconds",
      },
    });
    expect(show(timeout)).toBe(
      "12:04:31.207  orders-inventory  FAIL   timed out: Task timed out after 3.00 seconds",
    );
    const thrown = rec("{}", {
      source: "stderr",
      failure: { kind: "error", errorType: "TypeError", errorMessage: "no stock" },
    });
    expect(show(thrown)).toBe(
      "12:04:31.207  orders-inventory  FAIL   invocation failed: TypeError: no stock",
    );
  });

  it("--logs errors|none|<service> filters lines, never failures", () => {
    const info = rec(powertools);
    const error = rec(JSON.stringify({ level: "ERROR", message: "boom" }));
    const failure = rec("x", {
      source: "stderr",
      functionName: "sms-sender",
      failure: { kind: "crash", errorType: "Runtime.ExitError", errorMessage: "exit status 1" },
    });
    const sms = rec(JSON.stringify({ level: "INFO", message: "sent" }), { functionName: "sms-sender" });
    const visible = (mode: LogsMode) =>
      [info, error, failure, sms].filter((r) => show(r, mode) !== undefined).map((r) => r.message);
    expect(visible({ kind: "all" })).toHaveLength(4);
    expect(visible({ kind: "errors" })).toEqual([error.message, failure.message]);
    expect(visible({ kind: "none" })).toEqual([failure.message]);
    expect(visible({ kind: "service", service: "sms-throttle" })).toEqual([failure.message, sms.message]);
    expect(visible({ kind: "service", service: "orders" })).toEqual([
      info.message,
      error.message,
      failure.message,
    ]);
  });

  it("reads --logs, refusing anything else with the accepted values", () => {
    expect(parseLogsMode(undefined, KNOWN)).toEqual({ kind: "all" });
    expect(parseLogsMode("errors", KNOWN)).toEqual({ kind: "errors" });
    expect(parseLogsMode("Orders", KNOWN)).toEqual({ kind: "service", service: "orders" });
    expect(() => parseLogsMode("loud", KNOWN)).toThrow(
      '--logs "loud" is not one of all, errors, none or a service (notifications, orders, s3-pipeline, sms-throttle)',
    );
  });
});

describe("localOutputs", () => {
  const rewrite = localOutputs("http://127.0.0.1:4599", "123456789012");
  const ctx = (type: string, name: string, inputs: Record<string, unknown>): OutputContext => ({
    type,
    name,
    urn: `${stack}${type}::${name}`,
    inputs,
    accountId: "123456789012",
    region: "us-east-1",
  });

  it("points queue URLs at the engine", () => {
    const c = ctx("aws:sqs/queue:Queue", "orders-inventory-queue", {});
    const out = rewrite(c, mockOutputs(c));
    expect(out.state.url).toBe("http://127.0.0.1:4599/123456789012/orders-inventory-queue");
    expect(out.id).toBe(out.state.url);
    expect(out.state.arn).toBe("arn:aws:sqs:us-east-1:123456789012:orders-inventory-queue");
  });

  it("points the WebSocket API and its stage at the engine's /ws path", () => {
    const api = ctx("aws:apigatewayv2/api:Api", "notifications-api", { protocolType: "WEBSOCKET" });
    const apiOut = rewrite(api, mockOutputs(api));
    expect(apiOut.state.apiEndpoint).toBe(`ws://127.0.0.1:4599/ws/${apiOut.id}`);
    const stage = ctx("aws:apigatewayv2/stage:Stage", "notifications-stage", {
      apiId: apiOut.id,
      name: "dev",
    });
    expect(rewrite(stage, mockOutputs(stage)).state.invokeUrl).toBe(
      `ws://127.0.0.1:4599/ws/${apiOut.id}/dev`,
    );
  });

  it("leaves other resources as the mocks computed them", () => {
    const c = ctx("aws:sns/topic:Topic", "orders-topic", {});
    const computed = mockOutputs(c);
    expect(rewrite(c, computed)).toBe(computed);
  });
});

describe("renderSummary", () => {
  it("shows the endpoint, the WebSocket URL, how to get a token and every output", () => {
    const text = renderSummary(
      {
        endpoint: "http://127.0.0.1:4566",
        stack: "dev",
        services: ["notifications", "orders"],
        resources: [ordersFn, smsQueue, orders, resource("aws:apigatewayv2/api:Api", "notifications-api")],
        outputs: { notificationsWebSocketUrl: "ws://127.0.0.1:4566/ws/abc/dev", ordersBusName: "orders-bus" },
        outputsFile: "/repo/.switchyard/local/outputs.json",
      },
      { seconds: 12.34, cwd: "/repo" },
    );
    expect(text).toContain("stack dev, services notifications, orders");
    expect(text).toContain("3 resources, 1 functions, up in 12.3 s");
    expect(text).toContain("endpoint   http://127.0.0.1:4566");
    expect(text).toContain("WebSocket  ws://127.0.0.1:4566/ws/abc/dev?token=<token>");
    expect(text).toContain("pnpm -s run token <userId>");
    expect(text).toContain("@connections  http://127.0.0.1:4566/ws/abc/dev");
    expect(text).toContain("outputs    .switchyard/local/outputs.json");
    expect(text).toContain("in memory and a temporary folder, lost on stop (--persist <dir> keeps it)");
    expect(text).toContain("views      http://127.0.0.1:4566/_local/");
    expect(text).toContain("console    http://127.0.0.1:4566/   (the bell: http://127.0.0.1:4566/bell;");
    expect(text).toMatch(/ordersBusName\s+orders-bus/);
    expect(text).toContain("Ctrl-C stops.");
  });

  it("says where state is kept with --persist, and what --logs prints", () => {
    const text = renderSummary(
      {
        endpoint: "http://127.0.0.1:4566",
        stack: "dev",
        services: ["orders"],
        resources: [ordersFn],
        outputs: {},
      },
      { seconds: 1, persistDir: "/data/local", logs: { kind: "errors" } },
    );
    expect(text).toContain("state      kept in /data/local");
    expect(text).toContain("logs       function errors and failed invocations below");
  });

  it("leaves the WebSocket lines out when no WebSocket API runs (--service orders)", () => {
    const text = renderSummary(
      {
        endpoint: "http://127.0.0.1:4566",
        stack: "dev",
        services: ["orders"],
        resources: [ordersFn],
        outputs: { notificationsWebSocketUrl: "ws://127.0.0.1:4566/ws/abc/dev" },
      },
      { seconds: 1 },
    );
    expect(text).toContain("service orders");
    expect(text).not.toContain("WebSocket  ");
    expect(text).not.toContain("@connections");
    expect(text).not.toContain("run token");
  });
});

describe("unwrapSecrets", () => {
  it("replaces Pulumi's wire form of a secret by its value, at any depth, and keeps the rest", () => {
    const secret = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "s3cr3t",
    };
    const asset = { keep: true };
    expect(
      unwrapSecrets({
        environment: { variables: { JWT_SECRET: secret, MODE: "hs256" } },
        list: [secret],
        asset,
      }),
    ).toEqual({
      environment: { variables: { JWT_SECRET: "s3cr3t", MODE: "hs256" } },
      list: ["s3cr3t"],
      asset,
    });
  });
});
