import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LateList } from "./late";
import type { NodeFunction } from "./node-function";
import type { ReliableQueue } from "./reliable-queue";
import type { Table } from "./table";
import type { Topic } from "./topic";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

/** What a service dashboard charts: its kit resources, on the metrics their alarms watch. */
export interface DashboardSources {
  /** Functions: invocations, errors, throttles, duration. @default [] */
  functions?: NodeFunction[];
  /** Queues: age of the oldest message, dead-letter depth. @default [] */
  queues?: ReliableQueue[];
  /** Tables: read and write throttle events. @default [] */
  tables?: Table[];
  /** Topics: failed notifications. @default [] */
  topics?: Topic[];
  /** API Gateway stages: server-side errors (HTTP APIs: 4xx and 5xx; WebSocket APIs: integration and execution errors). @default [] */
  apis?: DashboardApi[];
}

/** An API Gateway (v2) stage on a dashboard. */
export interface DashboardApi {
  /** The API's id (the `ApiId` dimension of its metrics). */
  apiId: pulumi.Input<string>;
  /** The stage's name (the `Stage` dimension). */
  stage: pulumi.Input<string>;
  /** The API's protocol: an HTTP API reports `4xx`/`5xx`, a WebSocket API `IntegrationError`/`ExecutionError`. */
  protocol: "HTTP" | "WEBSOCKET";
}

/** Something a component declared later (an ingress API of the service) can add its resources to. */
export interface WatchingDashboard {
  /** Adds resources to the dashboard; call it while the program declares resources (the LateList rule). */
  watch(sources: DashboardSources): void;
}

export interface ServiceDashboardArgs extends DashboardSources {
  /**
   * Widgets of the service's own metrics, shown before the kit's.
   * @default []
   */
  widgets?: pulumi.Input<DashboardWidget[]>;
  /** Dashboard name (unique per account and region). @default `${name}-${stack}` */
  dashboardName?: string;
  /** Changes to the underlying resources. @default {} */
  transform?: { dashboard?: Transform<aws.cloudwatch.DashboardArgs> };
}

/** One metric line of a widget: namespace, metric name, dimension pairs, then options (`{ label, stat }`). */
export type DashboardMetric = (string | Record<string, string>)[];
/** One time-series widget. */
export interface DashboardWidget {
  title: string;
  metrics: DashboardMetric[];
  stat: string;
}
type Metric = DashboardMetric;
type Widget = DashboardWidget;

/** One charted resource, by the names its metrics carry. */
type Source =
  | { kind: "function"; name: pulumi.Input<string> }
  | { kind: "table"; name: pulumi.Input<string> }
  | { kind: "topic"; name: pulumi.Input<string> }
  | { kind: "queue"; name: pulumi.Input<string>; deadLetter: pulumi.Input<string> }
  | {
      kind: "api";
      name: pulumi.Input<string>;
      stage: pulumi.Input<string>;
      protocol: DashboardApi["protocol"];
    };
type Resolved<T> = { [K in keyof T]: K extends "kind" | "protocol" ? T[K] : string };

function sourcesOf(s: DashboardSources): Source[] {
  return [
    ...(s.functions ?? []).map((f): Source => ({ kind: "function", name: f.functionName })),
    ...(s.queues ?? []).map(
      (q): Source => ({ kind: "queue", name: q.queueName, deadLetter: q.deadLetterQueue.name }),
    ),
    ...(s.tables ?? []).map((t): Source => ({ kind: "table", name: t.tableName })),
    ...(s.topics ?? []).map((t): Source => ({ kind: "topic", name: t.topicName })),
    ...(s.apis ?? []).map(
      (a): Source => ({ kind: "api", name: a.apiId, stage: a.stage, protocol: a.protocol }),
    ),
  ];
}

/**
 * The resources a service dashboard charts, contributed while the program declares resources (a LateList: the
 * service's own at construction, an ingress API's later), and the kit's widgets for them.
 */
export class DashboardContent implements WatchingDashboard {
  private readonly sources: LateList<Source>;

  constructor(owner: string, initial: DashboardSources = {}) {
    this.sources = new LateList(`${owner} dashboard`, sourcesOf(initial));
  }

  watch(sources: DashboardSources): void {
    this.sources.add(...sourcesOf(sources));
  }

  /** The dashboard body: `widgets` first, then the kit's widgets for every watched resource. */
  body(region: pulumi.Input<string>, widgets: pulumi.Input<DashboardWidget[]> = []): pulumi.Output<string> {
    return pulumi
      .all([region, widgets, this.sources.output])
      .apply(([r, own, sources]) =>
        dashboardJson(r, [...(own as DashboardWidget[]), ...kitWidgets(sources as Resolved<Source>[])]),
      );
  }
}

/** The kit's widgets: functions, queues, tables, topics and APIs on the metrics their alarms watch. */
function kitWidgets(sources: readonly Resolved<Source>[]): Widget[] {
  const of = <K extends Source["kind"]>(kind: K) =>
    sources.filter((s): s is Extract<Resolved<Source>, { kind: K }> => s.kind === kind);
  const fns = of("function").map((s) => s.name);
  const perFunction = (metric: string, stat?: string): Metric[] =>
    fns.map((fn) => ["AWS/Lambda", metric, "FunctionName", fn, { label: fn, ...(stat ? { stat } : {}) }]);
  const apis = of("api");
  return [
    { title: "Invocations", metrics: perFunction("Invocations"), stat: "Sum" },
    { title: "Errors", metrics: perFunction("Errors"), stat: "Sum" },
    { title: "Throttles", metrics: perFunction("Throttles"), stat: "Sum" },
    { title: "Duration p99 (ms)", metrics: perFunction("Duration", "p99"), stat: "p99" },
    {
      title: "Age of the oldest message (s)",
      metrics: of("queue").map((q) => [
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "QueueName",
        q.name,
        { label: q.name },
      ]),
      stat: "Maximum",
    },
    {
      title: "Dead-letter queue depth",
      metrics: of("queue").map((q) => [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        q.deadLetter,
        { label: q.deadLetter },
      ]),
      stat: "Maximum",
    },
    {
      title: "DynamoDB throttle events",
      metrics: of("table").flatMap((t) => [
        ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", t.name, { label: `${t.name} reads` }],
        ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t.name, { label: `${t.name} writes` }],
      ]),
      stat: "Sum",
    },
    {
      title: "SNS notifications failed",
      metrics: of("topic").map((t) => [
        "AWS/SNS",
        "NumberOfNotificationsFailed",
        "TopicName",
        t.name,
        { label: t.name },
      ]),
      stat: "Sum",
    },
    {
      title: "API Gateway errors",
      metrics: apis.flatMap((a) =>
        (a.protocol === "WEBSOCKET" ? ["IntegrationError", "ExecutionError"] : ["4xx", "5xx"]).map(
          (metric) => [
            "AWS/ApiGateway",
            metric,
            "ApiId",
            a.name,
            "Stage",
            a.stage,
            { label: `${a.name} ${metric}` },
          ],
        ),
      ),
      stat: "Sum",
    },
  ];
}

const WIDTH = 12;
const HEIGHT = 6;

/** The JSON body of a dashboard: one time-series widget per entry, two per row. */
export function dashboardJson(region: string, widgets: Widget[]): string {
  return JSON.stringify({
    widgets: widgets
      .filter((w) => w.metrics.length > 0)
      .map((w, i) => ({
        type: "metric",
        x: (i % 2) * WIDTH,
        y: Math.floor(i / 2) * HEIGHT,
        width: WIDTH,
        height: HEIGHT,
        properties: {
          title: w.title,
          region,
          view: "timeSeries",
          stat: w.stat,
          period: 60,
          metrics: w.metrics,
        },
      })),
  });
}

/**
 * One CloudWatch dashboard for a service, built from its kit resources: what its functions, queues, tables, topics
 * and APIs report, on the same metrics the kit's alarms watch. Resources declared after it (an ingress API of the
 * service) join with `watch()`.
 */
export class ServiceDashboard extends pulumi.ComponentResource implements WatchingDashboard {
  static readonly type = "switchyard:kit:ServiceDashboard";
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardName: pulumi.Output<string>;
  private readonly content: DashboardContent;

  constructor(name: string, args: ServiceDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ServiceDashboard.type, name, {}, opts);
    new ArgChecker(ServiceDashboard.type, name);
    this.content = new DashboardContent(`${ServiceDashboard.type} "${name}"`, args);
    const region = aws.getRegionOutput({}, { parent: this }).region;
    this.dashboard = new aws.cloudwatch.Dashboard(
      ...applyTransform(
        args.transform?.dashboard,
        name,
        {
          dashboardName: args.dashboardName ?? `${name}-${pulumi.getStack()}`,
          dashboardBody: this.content.body(region, args.widgets ?? []),
        },
        { parent: this },
      ),
    );
    this.dashboardName = this.dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }

  watch(sources: DashboardSources): void {
    this.content.watch(sources);
  }
}
