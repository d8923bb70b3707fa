import { mockOutputs, type OutputContext } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import { localOutputs, unwrapSecrets } from "../src/run";
import { selectService, serviceNames } from "../src/select";
import { renderSummary } from "../src/summary";
import type { LocalResource } from "../src/types";

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
const sms = resource("switchyard:sms:SmsThrottle", "sms");
const smsQueue = resource("aws:sqs/queue:Queue", "sms-de-queue", {
  parent: sms,
  outputs: { name: "sms-de-queue" },
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
  budget,
];

describe("selectService (--service)", () => {
  it("lists the top-level service components, not the shared kit", () => {
    expect(serviceNames(all)).toEqual(["notifications", "orders", "sms"]);
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
    expect(text).toContain("outputs    .switchyard/local/outputs.json");
    expect(text).toContain("console    http://127.0.0.1:4566/   (the bell: http://127.0.0.1:4566/bell;");
    expect(text).toMatch(/ordersBusName\s+orders-bus/);
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
