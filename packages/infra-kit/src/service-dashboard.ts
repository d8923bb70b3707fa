import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodeFunction } from "./node-function";
import type { ReliableQueue } from "./reliable-queue";
import type { Table } from "./table";
import type { Topic } from "./topic";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

export interface ServiceDashboardArgs {
  /** The service's functions: invocations, errors, throttles, duration. @default [] */
  functions?: NodeFunction[];
  /** The service's queues: age of the oldest message, dead-letter depth. @default [] */
  queues?: ReliableQueue[];
  /** The service's tables: read and write throttle events. @default [] */
  tables?: Table[];
  /** The service's topics: failed notifications. @default [] */
  topics?: Topic[];
  /** Dashboard name (unique per account and region). @default `${name}-${stack}` */
  dashboardName?: string;
  /** Changes to the underlying resources. @default {} */
  transform?: { dashboard?: Transform<aws.cloudwatch.DashboardArgs> };
}

type Metric = (string | Record<string, string>)[];
interface Widget {
  title: string;
  metrics: Metric[];
  stat: string;
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
 * One CloudWatch dashboard for a service, built from its kit resources: what its functions, queues, tables and
 * topics report, on the same metrics the kit's alarms watch.
 */
export class ServiceDashboard extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:ServiceDashboard";
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ServiceDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ServiceDashboard.type, name, {}, opts);
    new ArgChecker(ServiceDashboard.type, name);
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const names = (items: { name: pulumi.Input<string> }[]) => pulumi.all(items.map((item) => item.name));
    const functions = names((args.functions ?? []).map((f) => ({ name: f.functionName })));
    const queues = pulumi.all(
      (args.queues ?? []).map((q) => pulumi.all([q.queueName, q.deadLetterQueue.name])),
    );
    const tables = names((args.tables ?? []).map((t) => ({ name: t.tableName })));
    const topics = names((args.topics ?? []).map((t) => ({ name: t.topicName })));

    const body = pulumi.all([region, functions, queues, tables, topics]).apply(([r, fns, qs, ts, tps]) => {
      const perFunction = (metric: string, stat?: string): Metric[] =>
        fns.map((fn) => ["AWS/Lambda", metric, "FunctionName", fn, { label: fn, ...(stat ? { stat } : {}) }]);
      return dashboardJson(r, [
        { title: "Invocations", metrics: perFunction("Invocations"), stat: "Sum" },
        { title: "Errors", metrics: perFunction("Errors"), stat: "Sum" },
        { title: "Throttles", metrics: perFunction("Throttles"), stat: "Sum" },
        { title: "Duration p99 (ms)", metrics: perFunction("Duration", "p99"), stat: "p99" },
        {
          title: "Age of the oldest message (s)",
          metrics: qs.map(([q]) => [
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            q,
            { label: q },
          ]),
          stat: "Maximum",
        },
        {
          title: "Dead-letter queue depth",
          metrics: qs.map(([, dlq]) => [
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            dlq,
            { label: dlq },
          ]),
          stat: "Maximum",
        },
        {
          title: "DynamoDB throttle events",
          metrics: ts.flatMap((t) => [
            ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", t, { label: `${t} reads` }],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t, { label: `${t} writes` }],
          ]),
          stat: "Sum",
        },
        {
          title: "SNS notifications failed",
          metrics: tps.map((t) => ["AWS/SNS", "NumberOfNotificationsFailed", "TopicName", t, { label: t }]),
          stat: "Sum",
        },
      ]);
    });
    this.dashboard = new aws.cloudwatch.Dashboard(
      ...applyTransform(
        args.transform?.dashboard,
        name,
        { dashboardName: args.dashboardName ?? `${name}-${pulumi.getStack()}`, dashboardBody: body },
        { parent: this },
      ),
    );
    this.dashboardName = this.dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
