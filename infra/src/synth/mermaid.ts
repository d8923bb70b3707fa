import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RecordedResource } from "@switchyard/testing";
import { parseJsonish, summarizePattern } from "./patterns";
import type { SynthResult } from "./synthesize";
import { countByType } from "./tree";

/**
 * The message-flow graph of a synthesized stack, built only from what the resources reference
 * (ARNs, names and URLs in their inputs matched against other resources' outputs):
 *
 * - publishers (functions by their IAM policies, HTTP APIs by their integrations) -> topics / buses / queues
 * - topic -> subscriber (queue, function, e-mail, endpoint), labelled with the filter policy
 * - bus -> rule (labelled with the event pattern) -> target
 * - queue -> function (event source mappings), bucket -> topic/queue/function (notifications)
 * - dotted: queue -> DLQ (redrive), subscription / rule-target / function DLQs, metric -> alarm
 * - alarm -> alarm topic -> e-mail
 */

export type NodeKind =
  | "api"
  | "function"
  | "topic"
  | "bus"
  | "rule"
  | "queue"
  | "bucket"
  | "table"
  | "alarm"
  | "email"
  | "external";

export interface FlowNode {
  /** Mermaid-safe id. */
  id: string;
  kind: NodeKind;
  /** Physical name (or address / endpoint). */
  name: string;
  /** Extra label lines (e.g. a rule's schedule). */
  details: string[];
  /** A queue that receives dead letters (redrive, subscription / target / function DLQ). */
  dlq: boolean;
  /** A topic alarms notify, or one inside a `switchyard:kit:AlarmTopic`. */
  alarmTopic: boolean;
  fifo: boolean;
  /** The top-level service component (`switchyard:<service>:*`) the node belongs to, if any. */
  group?: FlowGroup;
}

export interface FlowGroup {
  id: string;
  /** The component's type and logical name. */
  type: string;
  name: string;
}

export type EdgeStyle = "flow" | "failure";

export interface FlowEdge {
  from: FlowNode;
  to: FlowNode;
  /** `flow` = messages (solid), `failure` = dead letters and metrics watched by alarms (dotted). */
  style: EdgeStyle;
  label: string[];
}

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
  groups: FlowGroup[];
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : isRecord(value) ? [value] : [];
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** `arn:aws:lambda:r:a:function:NAME[:qualifier]` -> NAME; names pass through. */
function lambdaName(ref: string): string {
  const marker = ":function:";
  const at = ref.indexOf(marker);
  if (!ref.startsWith("arn:") || at < 0) return ref;
  return ref.slice(at + marker.length).split(":")[0] ?? ref;
}

/** `arn:aws:events:r:a:event-bus/NAME` -> NAME; names pass through. */
function busName(ref: string | undefined): string {
  if (!ref) return "default";
  return ref.startsWith("arn:") ? (ref.split("/").pop() ?? ref) : ref;
}

/** Escapes text for a quoted Mermaid label (entity codes instead of the characters Mermaid parses). */
export function escapeMermaid(text: string): string {
  const entities: Record<string, string> = {
    "#": "#35;",
    "&": "#amp;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "`": "#96;",
  };
  return text.replace(/[#&"<>|[\]{}`]/g, (char) => entities[char] ?? char).replace(/\s*[\r\n]+\s*/g, " ");
}

/** Escaped label lines joined with `<br/>`. */
function label(lines: readonly string[]): string {
  return lines.map(escapeMermaid).join("<br/>");
}

const ID_PREFIX: Record<NodeKind, string> = {
  api: "api",
  function: "fn",
  topic: "topic",
  bus: "bus",
  rule: "rule",
  queue: "queue",
  bucket: "bucket",
  table: "table",
  alarm: "alarm",
  email: "email",
  external: "ext",
};

function sanitizeId(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "x";
}

class GraphBuilder {
  readonly nodes: FlowNode[] = [];
  readonly edges: FlowEdge[] = [];
  readonly groups: FlowGroup[] = [];
  private readonly ids = new Set<string>();
  private readonly edgeKeys = new Set<string>();
  private readonly byArn = new Map<string, FlowNode>();
  private readonly byKey = new Map<string, FlowNode>();
  private readonly byUrn = new Map<string, RecordedResource>();
  private readonly groupByUrn = new Map<string, FlowGroup>();

  constructor(private readonly resources: readonly RecordedResource[]) {
    for (const resource of resources) this.byUrn.set(resource.urn, resource);
  }

  uniqueId(base: string): string {
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}_${n}`;
    this.ids.add(id);
    return id;
  }

  /** The topmost `switchyard:<service>:*` component (not `switchyard:kit:*`) above a resource. */
  groupOf(resource: RecordedResource | undefined): FlowGroup | undefined {
    let owner: RecordedResource | undefined;
    const seen = new Set<string>();
    for (
      let at = resource;
      at && !seen.has(at.urn);
      at = at.parentUrn ? this.byUrn.get(at.parentUrn) : undefined
    ) {
      seen.add(at.urn);
      const [ns, service] = at.type.split(":");
      if (ns === "switchyard" && service && service !== "kit" && !at.custom) owner = at;
    }
    if (!owner) return undefined;
    let group = this.groupByUrn.get(owner.urn);
    if (!group) {
      group = { id: this.uniqueId(`svc_${sanitizeId(owner.name)}`), type: owner.type, name: owner.name };
      this.groupByUrn.set(owner.urn, group);
      this.groups.push(group);
    }
    return group;
  }

  /** Whether a resource or one of its ancestors has the given type. */
  within(resource: RecordedResource, type: string): boolean {
    const seen = new Set<string>();
    for (let at: RecordedResource | undefined = resource; at && !seen.has(at.urn); ) {
      if (at.type === type) return true;
      seen.add(at.urn);
      at = at.parentUrn ? this.byUrn.get(at.parentUrn) : undefined;
    }
    return false;
  }

  addNode(kind: NodeKind, name: string, owner: RecordedResource | undefined, keys: string[]): FlowNode {
    const node: FlowNode = {
      id: this.uniqueId(`${ID_PREFIX[kind]}_${sanitizeId(name)}`),
      kind,
      name,
      details: [],
      dlq: false,
      alarmTopic: false,
      fifo: false,
    };
    const group = this.groupOf(owner);
    if (group) node.group = group;
    this.nodes.push(node);
    for (const key of keys) {
      if (key.startsWith("arn:")) this.byArn.set(key, node);
      else this.byKey.set(key, node);
    }
    return node;
  }

  key(kind: string, name: string | undefined): FlowNode | undefined {
    return name === undefined ? undefined : this.byKey.get(`${kind}:${name}`);
  }

  ensure(kind: NodeKind, name: string, owner: RecordedResource | undefined): FlowNode {
    return this.key(kind, name) ?? this.addNode(kind, name, owner, [`${kind}:${name}`]);
  }

  defaultBus(): FlowNode {
    return this.key("bus", "default") ?? this.addNode("bus", "default", undefined, ["bus:default"]);
  }

  /** The node an ARN (or a function / bus name) designates, if the stack has it. */
  resolve(ref: string | undefined): FlowNode | undefined {
    if (!ref) return undefined;
    const exact = this.byArn.get(ref);
    if (exact) return exact;
    if (ref.includes(":function:") || !ref.startsWith("arn:")) {
      const fn = this.key("function", lambdaName(ref));
      if (fn) return fn;
    }
    if (ref.startsWith("arn:") && ref.includes(":event-bus/")) {
      const name = busName(ref);
      return name === "default" ? this.defaultBus() : this.key("bus", name);
    }
    return undefined;
  }

  /** The bus an `eventBusName` (name or ARN; absent = default) designates. */
  bus(ref: string | undefined): FlowNode | undefined {
    const name = busName(ref);
    return name === "default" ? this.defaultBus() : (this.resolve(ref) ?? this.key("bus", name));
  }

  /** Resolves an ARN, or stands for it with an external node (labelled with its last segment). */
  resolveOrExternal(ref: string | undefined, owner: RecordedResource): FlowNode | undefined {
    if (!ref) return undefined;
    return this.resolve(ref) ?? this.ensure("external", ref.split(/[:/]/).pop() || ref, owner);
  }

  edge(from: FlowNode | undefined, to: FlowNode | undefined, style: EdgeStyle, lines: string[] = []): void {
    if (!from || !to) return;
    const labelLines = lines.filter((line) => line.length > 0);
    const key = `${from.id}|${to.id}|${style}|${labelLines.join("\n")}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push({ from, to, style, label: labelLines });
  }

  ofType(...types: string[]): RecordedResource[] {
    return this.resources.filter((resource) => types.includes(resource.type));
  }
}

function out(resource: RecordedResource, key: string): string | undefined {
  return str(resource.outputs[key]) ?? str(resource.inputs[key]);
}

function addResourceNodes(g: GraphBuilder, resources: readonly RecordedResource[]): void {
  for (const r of resources) {
    const arn = out(r, "arn");
    const arns = arn ? [arn] : [];
    switch (r.type) {
      case "aws:sqs/queue:Queue": {
        const name = out(r, "name") ?? r.name;
        const node = g.addNode("queue", name, r, [
          ...arns,
          `queue:${name}`,
          `queueUrl:${out(r, "url") ?? ""}`,
        ]);
        node.fifo = r.inputs.fifoQueue === true;
        break;
      }
      case "aws:sns/topic:Topic": {
        const name = out(r, "name") ?? r.name;
        const node = g.addNode("topic", name, r, [...arns, `topic:${name}`]);
        node.fifo = r.inputs.fifoTopic === true;
        node.alarmTopic = g.within(r, "switchyard:kit:AlarmTopic");
        break;
      }
      case "aws:lambda/function:Function": {
        const name = out(r, "name") ?? r.name;
        const qualified = out(r, "qualifiedArn");
        g.addNode("function", name, r, [...arns, ...(qualified ? [qualified] : []), `function:${name}`]);
        break;
      }
      case "aws:cloudwatch/eventBus:EventBus": {
        const name = out(r, "name") ?? r.name;
        g.addNode("bus", name, r, [...arns, `bus:${name}`]);
        break;
      }
      case "aws:cloudwatch/eventRule:EventRule": {
        const name = out(r, "name") ?? r.name;
        const bus = busName(str(r.inputs.eventBusName));
        const node = g.addNode("rule", name, r, [...arns, `rule:${bus}/${name}`, `ruleName:${name}`]);
        const schedule = str(r.inputs.scheduleExpression);
        if (schedule) node.details.push(schedule);
        break;
      }
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2": {
        const name = out(r, "bucket") ?? r.name;
        g.addNode("bucket", name, r, [...arns, `bucket:${name}`]);
        break;
      }
      case "aws:cloudwatch/metricAlarm:MetricAlarm": {
        const name = out(r, "name") ?? r.name;
        g.addNode("alarm", name, r, [...arns, `alarm:${name}`]);
        break;
      }
      case "aws:apigatewayv2/api:Api": {
        const name = str(r.inputs.name) ?? r.name;
        const node = g.addNode("api", name, r, [...arns, `apiId:${r.id ?? ""}`]);
        node.details.push(r.inputs.protocolType === "WEBSOCKET" ? "WebSocket API" : "HTTP API");
        break;
      }
    }
  }
}

function tableNode(g: GraphBuilder, tables: RecordedResource[], ref: string) {
  const table = tables.find(
    (t) => out(t, "name") === ref || out(t, "streamArn") === ref || out(t, "arn") === ref,
  );
  return table ? g.ensure("table", out(table, "name") ?? table.name, table) : undefined;
}

function labelOf(node: FlowNode | undefined): string {
  return node?.name ?? "?";
}

function subscriptionEdges(g: GraphBuilder, r: RecordedResource): void {
  const topic = g.resolve(str(r.inputs.topic));
  const protocol = str(r.inputs.protocol) ?? "";
  const endpoint = str(r.inputs.endpoint);
  let target: FlowNode | undefined;
  if (!endpoint) target = undefined;
  else if (protocol.startsWith("email")) target = g.ensure("email", endpoint, r);
  else if (protocol === "sqs" || protocol === "lambda") target = g.resolveOrExternal(endpoint, r);
  else target = g.resolve(endpoint) ?? g.ensure("external", `${protocol}: ${endpoint}`, r);
  const filter = summarizePattern(r.inputs.filterPolicy);
  const lines = filter.length > 0 ? filter : ["all"];
  if (filter.length > 0 && r.inputs.filterPolicyScope === "MessageBody") lines.push("(on message body)");
  if (r.inputs.rawMessageDelivery === true || r.inputs.rawMessageDelivery === "true") lines.push("raw");
  g.edge(topic, target, "flow", lines);

  const redrive = parseJsonish(r.inputs.redrivePolicy);
  const dlq = isRecord(redrive) ? g.resolve(str(redrive.deadLetterTargetArn)) : undefined;
  if (dlq) {
    dlq.dlq = true;
    g.edge(topic, dlq, "failure", [`subscription DLQ (${labelOf(target)})`]);
  }
}

function ruleEdges(g: GraphBuilder, r: RecordedResource): void {
  const rule =
    g.resolve(out(r, "arn")) ?? g.key("rule", `${busName(str(r.inputs.eventBusName))}/${out(r, "name")}`);
  if (!rule || r.inputs.eventPattern === undefined) return;
  const bus = g.bus(str(r.inputs.eventBusName));
  const pattern = summarizePattern(r.inputs.eventPattern);
  g.edge(bus, rule, "flow", pattern.length > 0 ? pattern : ["all events"]);
}

function targetEdges(g: GraphBuilder, r: RecordedResource): void {
  const ruleRef = str(r.inputs.rule);
  const bus = busName(str(r.inputs.eventBusName));
  const rule =
    ruleRef && (g.resolve(ruleRef) ?? g.key("rule", `${bus}/${ruleRef}`) ?? g.key("ruleName", ruleRef));
  if (!rule) return;
  const target = g.resolveOrExternal(str(r.inputs.arn), r);
  const lines: string[] = [];
  const retry = isRecord(r.inputs.retryPolicy) ? r.inputs.retryPolicy : undefined;
  if (retry) {
    const parts: string[] = [];
    if (retry.maximumRetryAttempts !== undefined) parts.push(`retries ${String(retry.maximumRetryAttempts)}`);
    if (retry.maximumEventAgeInSeconds !== undefined) {
      parts.push(`max age ${String(retry.maximumEventAgeInSeconds)}s`);
    }
    if (parts.length > 0) lines.push(parts.join(", "));
  }
  if (r.inputs.inputTransformer !== undefined) lines.push("input transformed");
  g.edge(rule, target, "flow", lines);
  const deadLetter = isRecord(r.inputs.deadLetterConfig)
    ? g.resolve(str(r.inputs.deadLetterConfig.arn))
    : undefined;
  if (deadLetter) {
    deadLetter.dlq = true;
    g.edge(rule, deadLetter, "failure", [`target DLQ (${labelOf(target)})`]);
  }
}

function mappingEdges(g: GraphBuilder, r: RecordedResource, tables: RecordedResource[]): void {
  const sourceArn = str(r.inputs.eventSourceArn);
  const source =
    g.resolve(sourceArn) ??
    (sourceArn ? tableNode(g, tables, sourceArn) : undefined) ??
    g.resolveOrExternal(sourceArn, r);
  const fn = g.resolve(str(r.inputs.functionName));
  const settings: string[] = [];
  if (r.inputs.batchSize !== undefined) settings.push(`batch ${String(r.inputs.batchSize)}`);
  if (r.inputs.maximumBatchingWindowInSeconds !== undefined) {
    settings.push(`window ${String(r.inputs.maximumBatchingWindowInSeconds)}s`);
  }
  const scaling = isRecord(r.inputs.scalingConfig) ? r.inputs.scalingConfig.maximumConcurrency : undefined;
  if (scaling !== undefined) settings.push(`max concurrency ${String(scaling)}`);
  const lines = settings.length > 0 ? [settings.join(", ")] : [];
  if (strings(r.inputs.functionResponseTypes).includes("ReportBatchItemFailures")) {
    lines.push("partial batch failures");
  }
  const filters = isRecord(r.inputs.filterCriteria) ? records(r.inputs.filterCriteria.filters) : [];
  for (const filter of filters) {
    lines.push(...summarizePattern(filter.pattern).map((line) => `filter ${line}`));
  }
  g.edge(source, fn, "flow", lines);

  const destination = isRecord(r.inputs.destinationConfig) ? r.inputs.destinationConfig.onFailure : undefined;
  if (isRecord(destination)) {
    g.edge(fn, g.resolve(str(destination.destinationArn)), "failure", ["on failure"]);
  }
}

function functionEdges(g: GraphBuilder, r: RecordedResource): void {
  const fn = g.resolve(out(r, "arn")) ?? g.key("function", out(r, "name"));
  const deadLetter = isRecord(r.inputs.deadLetterConfig)
    ? g.resolve(str(r.inputs.deadLetterConfig.targetArn))
    : undefined;
  if (deadLetter) {
    if (deadLetter.kind === "queue") deadLetter.dlq = true;
    g.edge(fn, deadLetter, "failure", ["async DLQ"]);
  }
}

function invokeConfigEdges(g: GraphBuilder, r: RecordedResource): void {
  const fn = g.resolve(str(r.inputs.functionName));
  const config = isRecord(r.inputs.destinationConfig) ? r.inputs.destinationConfig : {};
  const onFailure = isRecord(config.onFailure) ? g.resolve(str(config.onFailure.destination)) : undefined;
  const onSuccess = isRecord(config.onSuccess) ? g.resolve(str(config.onSuccess.destination)) : undefined;
  if (onFailure?.kind === "queue") onFailure.dlq = true;
  g.edge(fn, onFailure, "failure", ["on failure"]);
  g.edge(fn, onSuccess, "flow", ["on success"]);
}

function bucketEdges(g: GraphBuilder, r: RecordedResource): void {
  const bucket = g.key("bucket", str(r.inputs.bucket));
  if (!bucket) return;
  const groups: Array<[string, string]> = [
    ["topics", "topicArn"],
    ["queues", "queueArn"],
    ["lambdaFunctions", "lambdaFunctionArn"],
  ];
  for (const [list, arnKey] of groups) {
    for (const notification of records(r.inputs[list])) {
      const events = strings(notification.events).map((event) => event.replace(/^s3:/, ""));
      const filters = [
        ...(str(notification.filterPrefix) ? [`prefix ${str(notification.filterPrefix)}`] : []),
        ...(str(notification.filterSuffix) ? [`suffix ${str(notification.filterSuffix)}`] : []),
      ];
      const lines = [events.join(", "), filters.join(", ")];
      g.edge(bucket, g.resolveOrExternal(str(notification[arnKey]), r), "flow", lines);
    }
  }
  if (r.inputs.eventbridge === true) g.edge(bucket, g.defaultBus(), "flow", ["all events (EventBridge)"]);
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: ">=",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};

function alarmEdges(g: GraphBuilder, r: RecordedResource, tables: RecordedResource[]): void {
  const alarm = g.resolve(out(r, "arn")) ?? g.key("alarm", out(r, "name"));
  if (!alarm) return;
  const operator = str(r.inputs.comparisonOperator);
  const condition = [
    operator ? (COMPARISON[operator] ?? operator) : undefined,
    r.inputs.threshold !== undefined ? String(r.inputs.threshold) : undefined,
  ]
    .filter(Boolean)
    .join(" ");
  const metrics: Array<{ metricName?: string; dimensions: Json }> = [];
  if (isRecord(r.inputs.dimensions)) {
    metrics.push({ metricName: str(r.inputs.metricName), dimensions: r.inputs.dimensions });
  }
  for (const query of records(r.inputs.metricQueries)) {
    const metric = isRecord(query.metric) ? query.metric : undefined;
    if (metric && isRecord(metric.dimensions)) {
      metrics.push({ metricName: str(metric.metricName), dimensions: metric.dimensions });
    }
  }
  for (const { metricName, dimensions } of metrics) {
    const sources = Object.entries(dimensions).flatMap(([key, value]) => {
      const name = str(value);
      if (!name) return [];
      switch (key) {
        case "QueueName":
          return [g.key("queue", name)];
        case "FunctionName":
          return [g.key("function", lambdaName(name))];
        case "TopicName":
          return [g.key("topic", name)];
        case "RuleName":
          return [
            g.key("rule", `${busName(str(dimensions.EventBusName))}/${name}`) ?? g.key("ruleName", name),
          ];
        case "BucketName":
          return [g.key("bucket", name)];
        case "TableName":
          return [tableNode(g, tables, name)];
        case "ApiId":
          return [g.key("apiId", name)];
        default:
          return [];
      }
    });
    const lines = [[metricName, condition].filter(Boolean).join(" ")];
    for (const source of sources) g.edge(source, alarm, "failure", lines);
  }

  const actions = new Map<FlowNode, string[]>();
  const kinds: Array<[string, string]> = [
    ["alarmActions", "ALARM"],
    ["okActions", "OK"],
    ["insufficientDataActions", "INSUFFICIENT_DATA"],
  ];
  for (const [key, state] of kinds) {
    for (const arn of strings(r.inputs[key])) {
      const target = g.resolve(arn);
      if (!target) continue;
      if (target.kind === "topic") target.alarmTopic = true;
      actions.set(target, [...(actions.get(target) ?? []), state]);
    }
  }
  for (const [target, states] of actions) g.edge(alarm, target, "flow", [states.join(", ")]);
}

function apiEdges(g: GraphBuilder, integrations: RecordedResource[], routes: RecordedResource[]): void {
  const routeKeys = new Map<string, string[]>();
  for (const route of routes) {
    const target = str(route.inputs.target);
    const routeKey = str(route.inputs.routeKey);
    if (!target || !routeKey) continue;
    const id = target.replace(/^integrations\//, "");
    routeKeys.set(id, [...(routeKeys.get(id) ?? []), routeKey]);
  }
  for (const r of integrations) {
    const api = g.key("apiId", str(r.inputs.apiId));
    const uri = str(r.inputs.integrationUri);
    const params = isRecord(r.inputs.requestParameters) ? r.inputs.requestParameters : {};
    const subtype = str(r.inputs.integrationSubtype) ?? "";
    const queueUrl = str(params.QueueUrl);
    const invoked = uri ? (/functions\/(arn:[^/]+)\/invocations/.exec(uri)?.[1] ?? uri) : undefined;
    let target: FlowNode | undefined;
    if (subtype.startsWith("SQS-")) target = g.key("queueUrl", queueUrl) ?? g.resolve(queueUrl);
    else if (subtype.startsWith("EventBridge-")) target = g.bus(str(params.EventBusName));
    else target = g.resolve(invoked);
    g.edge(api, target, "flow", r.id ? (routeKeys.get(r.id) ?? []) : []);
  }
}

interface Statement {
  actions: string[];
  resources: string[];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

function allowStatements(document: unknown): Statement[] {
  const doc = parseJsonish(document);
  if (!isRecord(doc)) return [];
  return records(doc.Statement)
    .filter((statement) => statement.Effect === undefined || statement.Effect === "Allow")
    .map((statement) => ({ actions: strings(statement.Action), resources: strings(statement.Resource) }));
}

const PUBLISH_ACTIONS: Array<{ action: string; kind: NodeKind; label: string }> = [
  { action: "sns:Publish", kind: "topic", label: "publish" },
  { action: "events:PutEvents", kind: "bus", label: "PutEvents" },
  { action: "sqs:SendMessage", kind: "queue", label: "SendMessage" },
];

/** Function -> topic / bus / queue edges from the publish permissions of the function's role. */
function publisherEdges(
  g: GraphBuilder,
  resources: readonly RecordedResource[],
  nodeArns: Map<FlowNode, string>,
) {
  const documentsByRole = new Map<string, unknown[]>();
  const addDocument = (role: string | undefined, document: unknown) => {
    if (!role || document === undefined) return;
    documentsByRole.set(role, [...(documentsByRole.get(role) ?? []), document]);
  };
  const policies = new Map<string, unknown>();
  for (const r of resources) {
    if (r.type === "aws:iam/policy:Policy") {
      const arn = out(r, "arn");
      if (arn) policies.set(arn, r.inputs.policy);
    }
  }
  const roles = resources.filter((r) => r.type === "aws:iam/role:Role");
  const roleKey = (ref: string | undefined): string | undefined => {
    if (!ref) return undefined;
    const role = roles.find((r) => out(r, "arn") === ref || out(r, "name") === ref || r.id === ref);
    return role?.urn;
  };
  for (const r of roles) {
    for (const inline of records(r.inputs.inlinePolicies)) addDocument(r.urn, inline.policy);
    for (const arn of strings(r.inputs.managedPolicyArns)) addDocument(r.urn, policies.get(arn));
  }
  for (const r of resources) {
    if (r.type === "aws:iam/rolePolicy:RolePolicy") addDocument(roleKey(str(r.inputs.role)), r.inputs.policy);
    if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
      addDocument(roleKey(str(r.inputs.role)), policies.get(str(r.inputs.policyArn) ?? ""));
    }
  }
  for (const r of resources) {
    if (r.type !== "aws:lambda/function:Function") continue;
    const fn = g.resolve(out(r, "arn"));
    const role = roleKey(str(r.inputs.role));
    if (!fn || !role) continue;
    for (const statement of (documentsByRole.get(role) ?? []).flatMap(allowStatements)) {
      for (const { action, kind, label: text } of PUBLISH_ACTIONS) {
        if (!statement.actions.some((pattern) => globToRegExp(pattern).test(action))) continue;
        for (const resource of statement.resources) {
          if (resource === "*") continue; // too broad to say where it publishes
          const matcher = globToRegExp(resource);
          for (const [node, arn] of nodeArns) {
            if (node.kind !== kind || node === fn || !matcher.test(arn)) continue;
            // Sending to a dead-letter queue (a consumer parking a message) is a failure path.
            if (node.dlq) g.edge(fn, node, "failure", ["dead-letter"]);
            else g.edge(fn, node, "flow", [text]);
          }
        }
      }
    }
  }
}

/** Builds the message-flow graph from the recorded resources (providers and unrelated types ignored). */
export function buildFlowGraph(resources: readonly RecordedResource[]): FlowGraph {
  const g = new GraphBuilder(resources);
  addResourceNodes(g, resources);
  const nodeArns = new Map<FlowNode, string>();
  for (const r of resources) {
    const arn = out(r, "arn");
    const node = arn ? g.resolve(arn) : undefined;
    if (node && arn && !nodeArns.has(node)) nodeArns.set(node, arn);
  }
  const tables = g.ofType("aws:dynamodb/table:Table");
  for (const r of resources) {
    switch (r.type) {
      case "aws:sqs/queue:Queue": {
        const redrive = parseJsonish(r.inputs.redrivePolicy);
        if (!isRecord(redrive)) break;
        const dlq = g.resolve(str(redrive.deadLetterTargetArn));
        if (dlq) dlq.dlq = true;
        const count = redrive.maxReceiveCount;
        g.edge(
          g.resolve(out(r, "arn")),
          dlq,
          "failure",
          count === undefined ? [] : [`maxReceiveCount ${String(count)}`],
        );
        break;
      }
      case "aws:sns/topicSubscription:TopicSubscription":
        subscriptionEdges(g, r);
        break;
      case "aws:cloudwatch/eventRule:EventRule":
        ruleEdges(g, r);
        break;
      case "aws:cloudwatch/eventTarget:EventTarget":
        targetEdges(g, r);
        break;
      case "aws:lambda/eventSourceMapping:EventSourceMapping":
        mappingEdges(g, r, tables);
        break;
      case "aws:lambda/function:Function":
        functionEdges(g, r);
        break;
      case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
        invokeConfigEdges(g, r);
        break;
      case "aws:s3/bucketNotification:BucketNotification":
        bucketEdges(g, r);
        break;
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        alarmEdges(g, r, tables);
        break;
    }
  }
  apiEdges(g, g.ofType("aws:apigatewayv2/integration:Integration"), g.ofType("aws:apigatewayv2/route:Route"));
  publisherEdges(g, resources, nodeArns);
  return { nodes: g.nodes, edges: g.edges, groups: g.groups };
}

type NodeClass = NodeKind | "dlq" | "alarmTopic";

function nodeClass(node: FlowNode): NodeClass {
  if (node.kind === "queue" && node.dlq) return "dlq";
  if (node.kind === "topic" && node.alarmTopic) return "alarmTopic";
  return node.kind;
}

const KIND_TEXT: Record<NodeClass, string> = {
  api: "API",
  function: "Lambda function",
  topic: "SNS topic",
  alarmTopic: "alarm topic",
  bus: "event bus",
  rule: "rule",
  queue: "SQS queue",
  dlq: "DLQ",
  bucket: "S3 bucket",
  table: "DynamoDB stream",
  alarm: "alarm",
  email: "e-mail",
  external: "external",
};

const SHAPES: Record<NodeClass, [string, string]> = {
  api: ['(["', '"])'],
  function: ['("', '")'],
  topic: ['{{"', '"}}'],
  alarmTopic: ['{{"', '"}}'],
  bus: ['[["', '"]]'],
  rule: ['>"', '"]'],
  queue: ['[("', '")]'],
  dlq: ['[("', '")]'],
  bucket: ['[/"', '"\\]'],
  table: ['[("', '")]'],
  alarm: ['{"', '"}'],
  email: ['[/"', '"/]'],
  external: ['[/"', '"/]'],
};

const STYLES: Record<NodeClass, string> = {
  api: "fill:#e8eaf6,stroke:#3949ab",
  function: "fill:#fff3e0,stroke:#ef6c00",
  topic: "fill:#fce4ec,stroke:#c2185b",
  alarmTopic: "fill:#fff8e1,stroke:#c62828",
  bus: "fill:#ede7f6,stroke:#5e35b1",
  rule: "fill:#f3e5f5,stroke:#8e24aa",
  queue: "fill:#e3f2fd,stroke:#1565c0",
  dlq: "fill:#ffebee,stroke:#c62828",
  bucket: "fill:#e8f5e9,stroke:#2e7d32",
  table: "fill:#e0f2f1,stroke:#00695c",
  alarm: "fill:#fff8e1,stroke:#f9a825",
  email: "fill:#f5f5f5,stroke:#616161",
  external: "fill:#f5f5f5,stroke:#9e9e9e",
};

function nodeLine(id: string, cls: NodeClass, lines: string[]): string {
  const [open, close] = SHAPES[cls];
  return `${id}${open}${label(lines)}${close}:::${cls}`;
}

function renderNode(node: FlowNode): string {
  const cls = nodeClass(node);
  const kind = node.kind === "api" ? [] : [node.fifo ? `${KIND_TEXT[cls]} (FIFO)` : KIND_TEXT[cls]];
  return nodeLine(node.id, cls, [node.name, ...kind, ...node.details]);
}

function renderEdge(edge: FlowEdge): string {
  const arrow = edge.style === "flow" ? "-->" : "-.->";
  const text = edge.label.length > 0 ? `|"${label(edge.label)}"|` : "";
  return `${edge.from.id} ${arrow}${text} ${edge.to.id}`;
}

/** The graph as a Mermaid flowchart: a subgraph per service component, the edges, a legend, styles. */
export function renderMermaid(graph: FlowGraph): string {
  const lines = ["flowchart LR"];
  if (graph.nodes.length === 0) {
    lines.push('  empty["no message-flow resources"]');
    return `${lines.join("\n")}\n`;
  }
  for (const group of graph.groups) {
    const members = graph.nodes.filter((node) => node.group === group);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${group.id}["${label([`${group.name} (${group.type})`])}"]`);
    for (const node of members) lines.push(`    ${renderNode(node)}`);
    lines.push("  end");
  }
  for (const node of graph.nodes.filter((n) => !n.group)) lines.push(`  ${renderNode(node)}`);
  for (const edge of graph.edges) lines.push(`  ${renderEdge(edge)}`);

  const used = [...new Set(graph.nodes.map(nodeClass))];
  const order = Object.keys(KIND_TEXT) as NodeClass[];
  lines.push('  subgraph legend["Legend"]', "    direction TB");
  for (const cls of order.filter((c) => used.includes(c))) {
    lines.push(`    ${nodeLine(`legend_${cls}`, cls, [KIND_TEXT[cls]])}`);
  }
  lines.push("  end");
  for (const cls of order.filter((c) => used.includes(c))) lines.push(`  classDef ${cls} ${STYLES[cls]}`);
  return `${lines.join("\n")}\n`;
}

/** The Markdown document: title, generation note, the Mermaid diagram, the resource counts. */
export function renderArchitectureMarkdown(result: SynthResult): string {
  const counts = countByType(result.resources);
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const diagram = renderMermaid(buildFlowGraph(result.resources));
  const parts = [
    `# Architecture: ${result.project} (${result.stack})`,
    `> Generated by \`pnpm synth -- --stack ${result.stack}\`; do not edit.`,
    "## Message flow",
    `\`\`\`mermaid\n${diagram}\`\`\``,
    [
      "Solid arrows carry messages; their labels are the subscription filter policies, event patterns,",
      "S3 event filters, batch settings and publish permissions. Dotted arrows are failure and",
      "monitoring paths: redrive and dead-letter queues, and the metrics alarms watch. Boxes are grouped",
      "by the service component that owns them.",
    ].join("\n"),
  ];
  if (result.secretKeys.length > 0) {
    parts.push(
      `Encrypted config was replaced by offline placeholders: ${result.secretKeys.map((k) => `\`${k}\``).join(", ")}.`,
    );
  }
  const rows = Object.entries(counts).map(([type, n]) => `| \`${type}\` | ${n} |`);
  parts.push(
    "## Resources",
    ["| Type | Count |", "| --- | ---: |", ...rows, `| **Total** | **${total}** |`].join("\n"),
  );
  return `${parts.join("\n\n")}\n`;
}

/**
 * Writes `architecture-<stack>.md` into `outDir` (default: `<project root>/docs`), creating the folder.
 * Returns the file written.
 */
export function writeArchitectureDoc(
  result: SynthResult,
  outDir: string = join(result.root, "docs"),
): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `architecture-${result.stack}.md`);
  writeFileSync(file, renderArchitectureMarkdown(result));
  return file;
}
