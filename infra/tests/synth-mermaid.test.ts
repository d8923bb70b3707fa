import type { RecordedResource } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import { buildFlowGraph, escapeMermaid, renderMermaid, summarizePattern } from "../src/synth/index";

const ACCOUNT = "arn:aws:%s:us-east-1:123456789012:";
const arn = (service: string, rest: string) => `${ACCOUNT.replace("%s", service)}${rest}`;

/** A recorded resource as the mocks would record it, top-level unless a parent is given. */
function res(
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  outputs: Record<string, unknown> = {},
  parent?: RecordedResource,
): RecordedResource {
  const parentType = parent ? `${parent.urn.split("::")[2]}$` : "";
  return {
    type,
    name,
    urn: `urn:pulumi:test::switchyard::${parentType}${type}::${name}`,
    ...(parent ? { parentUrn: parent.urn } : {}),
    custom: !type.startsWith("switchyard:"),
    inputs,
    outputs: { ...inputs, ...outputs },
  };
}

const queue = (name: string, inputs: Record<string, unknown> = {}, parent?: RecordedResource) =>
  res("aws:sqs/queue:Queue", name, inputs, { name, arn: arn("sqs", name) }, parent);
const topic = (name: string, parent?: RecordedResource) =>
  res("aws:sns/topic:Topic", name, {}, { name, arn: arn("sns", name) }, parent);
const fn = (name: string, inputs: Record<string, unknown> = {}, parent?: RecordedResource) =>
  res("aws:lambda/function:Function", name, inputs, { name, arn: arn("lambda", `function:${name}`) }, parent);

describe("escapeMermaid", () => {
  it("replaces the characters Mermaid parses with entity codes", () => {
    // Act
    const escaped = escapeMermaid('a "b" [c] {d} |e| <f> #g &h `i`\nj');
    // Assess
    expect(escaped).toBe(
      "a #quot;b#quot; #91;c#93; #123;d#125; #124;e#124; #lt;f#gt; #35;g #amp;h #96;i#96; j",
    );
  });
});

describe("summarizePattern", () => {
  it("summarizes value lists, numeric conditions, prefixes, negations and existence", () => {
    // Act
    const lines = summarizePattern(
      JSON.stringify({
        eventType: ["ORDER_CREATED", "ORDER_CANCELLED"],
        orderValue: [{ numeric: [">", 1000] }],
        weight: [{ numeric: [">=", 0, "<", 10] }],
        region: [{ prefix: "eu-" }],
        channel: [{ "anything-but": ["test", "internal"] }],
        promo: [{ exists: false }],
      }),
    );
    // Assess
    expect(lines).toEqual([
      "eventType: ORDER_CREATED, ORDER_CANCELLED",
      "orderValue > 1000",
      "weight >= 0 and < 10",
      "region: eu-*",
      "channel not test, internal",
      "promo absent",
    ]);
  });

  it("flattens nested event patterns and shows $or alternatives", () => {
    // Act
    const lines = summarizePattern({
      source: ["switchyard.orders"],
      detail: { customer: { tier: ["gold"] } },
      $or: [{ priority: ["high"] }, { amount: [{ numeric: [">", 5] }] }],
    });
    // Assess
    expect(lines).toEqual([
      "source: switchyard.orders",
      "detail.customer.tier: gold",
      "(priority: high) or (amount > 5)",
    ]);
  });

  it("is empty when everything matches", () => {
    // Assess
    expect(summarizePattern(undefined)).toEqual([]);
    expect(summarizePattern("{}")).toEqual([]);
    expect(summarizePattern("not json")).toEqual([]);
  });
});

describe("buildFlowGraph / renderMermaid on hand-made resources", () => {
  it("escapes labels taken from names and filter policies", () => {
    // Prepare
    const t = topic('odd"topic<1>');
    const q = queue("odd|queue[2]");
    const sub = res("aws:sns/topicSubscription:TopicSubscription", "sub", {
      topic: t.outputs.arn,
      protocol: "sqs",
      endpoint: q.outputs.arn,
      filterPolicy: JSON.stringify({ "a|b": ['x"y', "<z>"] }),
    });
    // Act
    const diagram = renderMermaid(buildFlowGraph([t, q, sub]));
    // Assess
    expect(diagram).toContain('topic_odd_topic_1{{"odd#quot;topic#lt;1#gt;<br/>SNS topic"}}:::topic');
    expect(diagram).toContain('queue_odd_queue_2[("odd#124;queue#91;2#93;<br/>SQS queue")]:::queue');
    expect(diagram).toContain('topic_odd_topic_1 -->|"a#124;b: x#quot;y, #lt;z#gt;"| queue_odd_queue_2');
  });

  it("makes ids unique when sanitized names collide", () => {
    // Prepare
    const resources = [queue("a-b"), queue("a_b"), queue("a.b")];
    // Act
    const ids = buildFlowGraph(resources).nodes.map((n) => n.id);
    // Assess
    expect(ids).toEqual(["queue_a_b", "queue_a_b_2", "queue_a_b_3"]);
  });

  it("follows lambda subscriptions, default-bus rules, function alarms and function targets", () => {
    // Prepare
    const service = res("switchyard:billing:Service", "billing");
    const kit = res("switchyard:kit:NodeFunction", "billing-fn", {}, {}, service);
    const handler = fn("billing-handler", {}, kit);
    const t = topic("invoices", service);
    const sub = res("aws:sns/topicSubscription:TopicSubscription", "billing-sub", {
      topic: t.outputs.arn,
      protocol: "lambda",
      endpoint: handler.outputs.arn,
    });
    const rule = res(
      "aws:cloudwatch/eventRule:EventRule",
      "nightly-invoices",
      { eventPattern: JSON.stringify({ "detail-type": ["InvoiceDue"] }) },
      { name: "nightly-invoices", arn: arn("events", "rule/nightly-invoices") },
    );
    const target = res("aws:cloudwatch/eventTarget:EventTarget", "nightly-target", {
      rule: "nightly-invoices",
      arn: handler.outputs.arn,
    });
    const alarm = res(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "billing-errors",
      {
        metricName: "Errors",
        dimensions: { FunctionName: "billing-handler" },
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        alarmActions: [t.outputs.arn],
        okActions: [t.outputs.arn],
      },
      { name: "billing-errors", arn: arn("cloudwatch", "alarm:billing-errors") },
    );
    // Act
    const graph = buildFlowGraph([service, kit, handler, t, sub, rule, target, alarm]);
    const diagram = renderMermaid(graph);
    // Assess
    expect(diagram).toContain('topic_invoices -->|"all"| fn_billing_handler');
    expect(diagram).toContain('bus_default -->|"detail-type: InvoiceDue"| rule_nightly_invoices');
    expect(diagram).toContain("rule_nightly_invoices --> fn_billing_handler");
    expect(diagram).toContain('fn_billing_handler -.->|"Errors #gt;= 1"| alarm_billing_errors');
    expect(diagram).toContain('alarm_billing_errors -->|"ALARM, OK"| topic_invoices');
    expect(graph.nodes.find((n) => n.name === "billing-handler")?.group?.name).toBe("billing");
    expect(graph.nodes.find((n) => n.name === "default")?.group).toBeUndefined();
  });

  it("draws no publisher edge for a wildcard resource", () => {
    // Prepare
    const role = res("aws:iam/role:Role", "r", {}, { name: "r", arn: "arn:aws:iam::123456789012:role/r" });
    const t = topic("events");
    const handler = fn("publisher", { role: role.outputs.arn });
    const policy = res("aws:iam/rolePolicy:RolePolicy", "p", {
      role: "r",
      policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "sns:*", Resource: "*" }] }),
    });
    const scoped = res("aws:iam/rolePolicy:RolePolicy", "p2", {
      role: "r",
      policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "sns:*", Resource: arn("sns", "ev*") }],
      }),
    });
    // Act
    const wildcard = renderMermaid(buildFlowGraph([role, t, handler, policy]));
    const withScoped = renderMermaid(buildFlowGraph([role, t, handler, policy, scoped]));
    // Assess
    expect(wildcard).not.toContain("fn_publisher -->");
    expect(withScoped).toContain('fn_publisher -->|"publish"| topic_events');
  });

  it("marks topics of a kit AlarmTopic as alarm topics and sends to a DLQ as a dotted dead-letter edge", () => {
    // Prepare
    const alarms = res("switchyard:kit:AlarmTopic", "alarms");
    const kitTopic = res("switchyard:kit:Topic", "alarms-ops", {}, {}, alarms);
    const opsTopic = topic("alarms-ops-topic", kitTopic);
    const dlq = queue("work-dlq");
    const work = queue("work", { redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.outputs.arn }) });
    const role = res("aws:iam/role:Role", "r", {}, { name: "r", arn: "arn:aws:iam::123456789012:role/r" });
    const consumer = fn("worker", { role: role.outputs.arn });
    const policy = res("aws:iam/rolePolicy:RolePolicy", "p", {
      role: "r",
      policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [dlq.outputs.arn] }],
      }),
    });
    // Act
    const diagram = renderMermaid(
      buildFlowGraph([alarms, kitTopic, opsTopic, dlq, work, role, consumer, policy]),
    );
    // Assess
    expect(diagram).toContain('topic_alarms_ops_topic{{"alarms-ops-topic<br/>alarm topic"}}:::alarmTopic');
    expect(diagram).toContain("queue_work -.-> queue_work_dlq");
    expect(diagram).toContain('fn_worker -.->|"dead-letter"| queue_work_dlq');
    expect(diagram).not.toContain('fn_worker -->|"SendMessage"|');
  });

  it("draws HTTP API integrations to functions (with their routes) and to queues", () => {
    // Prepare
    const api = { ...res("aws:apigatewayv2/api:Api", "public", { name: "public-api" }), id: "abc123" };
    const handler = fn("ingest");
    const q = { ...queue("inbox"), outputs: { ...queue("inbox").outputs, url: "https://sqs/inbox" } };
    const toFn = {
      ...res("aws:apigatewayv2/integration:Integration", "to-fn", {
        apiId: "abc123",
        integrationUri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${String(handler.outputs.arn)}/invocations`,
      }),
      id: "int1",
    };
    const toQueue = res("aws:apigatewayv2/integration:Integration", "to-queue", {
      apiId: "abc123",
      integrationSubtype: "SQS-SendMessage",
      requestParameters: { QueueUrl: "https://sqs/inbox", MessageBody: "$request.body" },
    });
    const routes = ["POST /orders", "PUT /orders/{id}"].map((routeKey, i) =>
      res("aws:apigatewayv2/route:Route", `route-${i}`, {
        apiId: "abc123",
        routeKey,
        target: "integrations/int1",
      }),
    );
    // Act
    const diagram = renderMermaid(buildFlowGraph([api, handler, q, toFn, toQueue, ...routes]));
    // Assess
    expect(diagram).toContain('api_public_api(["public-api<br/>HTTP API"]):::api');
    expect(diagram).toContain('api_public_api -->|"POST /orders<br/>PUT /orders/#123;id#125;"| fn_ingest');
    expect(diagram).toContain("api_public_api --> queue_inbox");
  });

  it("renders a placeholder for a stack without message-flow resources", () => {
    // Act
    const diagram = renderMermaid(buildFlowGraph([res("aws:kms/key:Key", "key")]));
    // Assess
    expect(diagram).toBe('flowchart LR\n  empty["no message-flow resources"]\n');
  });
});
