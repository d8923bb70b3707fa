import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { jsonOperation, parseJsonBody, sendJson, sendJsonError } from "../protocol";
import {
  type CloudWatchEngine,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type MetricDatum,
  type ServiceEmulator,
} from "../types";
import {
  breaches,
  CLOUDWATCH_NAMESPACE,
  type ComparisonOperator,
  cloudWatchError,
  type DataPoint,
  formatNumber,
  isSupportedOperator,
  notificationDate,
  operatorText,
  reasonDate,
  regionDisplayName,
  STATISTICS,
  statistic,
  triggerStatistic,
} from "./cloudwatch-model";

/**
 * The local CloudWatch: metrics (PutMetricData on the wire, `putMetric` for the other emulators, and
 * Embedded Metric Format lines from the functions' output) and the program's metric alarms, evaluated
 * on a timer. AWS/SQS queue metrics are sampled from the SQS emulator at each evaluation. An alarm
 * that changes state publishes the CloudWatch notification JSON to its SNS actions, like AWS.
 *
 * Served over the protocol `@aws-sdk/client-cloudwatch` v3 uses: AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, awsQuery-compatible errors), gzip request
 * bodies accepted. Operations: PutMetricData, DescribeAlarms, SetAlarmState, ListMetrics,
 * GetMetricStatistics. State is in memory only.
 */

/** Options of {@link createCloudWatch}. */
export interface CloudWatchOptions {
  /** How often alarms are evaluated (an unref'd timer). @default 1000 */
  evaluateEveryMs?: number;
  /**
   * How many real milliseconds one second of an alarm's period lasts: a 60 s period with
   * `msPerSecond: 10` evaluates 600 ms windows (tests). Data point timestamps stay real.
   * @default 1000
   */
  msPerSecond?: number;
  /**
   * AWS runs an alarm's OK actions when it first leaves INSUFFICIENT_DATA for OK (so a new stack's
   * alarms send one OK notification each). Set false to skip that first OK notification locally.
   * @default true
   */
  notifyInitialOk?: boolean;
}

type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  returnData?: boolean;
  period?: number;
  metric?: MetricRef & { period: number; stat: string; unit?: string };
}

interface Transition {
  at: number;
  from: AlarmStateValue;
  to: AlarmStateValue;
  reason: string;
}

interface Alarm {
  name: string;
  arn: string;
  description?: string;
  metric?: MetricRef;
  statistic?: string;
  extendedStatistic?: string;
  unit?: string;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: string;
  treatMissingData: "missing" | "ignore" | "breaching" | "notBreaching";
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  actionsEnabled: boolean;
  metricQueries?: MetricQuery[];
  state: AlarmStateValue;
  reason: string;
  reasonData?: string;
  updatedAt: number;
  transitionedAt: number;
  configuredAt: number;
  /** Whether the alarm has left its initial INSUFFICIENT_DATA state yet. */
  evaluated: boolean;
  history: Transition[];
  /** The last evaluation's period values, newest first (undefined = no data). */
  lastValues: Array<number | undefined>;
}

interface Series extends MetricRef {
  key: string;
  points: DataPoint[];
}

const SQS_METRICS: Record<string, "visible" | "inFlight" | "delayed" | "oldestAgeSeconds"> = {
  ApproximateNumberOfMessagesVisible: "visible",
  ApproximateNumberOfMessagesNotVisible: "inFlight",
  ApproximateNumberOfMessagesDelayed: "delayed",
  ApproximateAgeOfOldestMessage: "oldestAgeSeconds",
};

const MAX_POINTS_PER_SERIES = 10_000;
const HISTORY_LENGTH = 50;

function seriesKey(ref: MetricRef): string {
  const dims = Object.keys(ref.dimensions)
    .sort()
    .map((name) => `${name}=${ref.dimensions[name]}`)
    .join(",");
  return `${ref.namespace}\u0000${ref.metricName}\u0000${dims}`;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof parsed === "number" && Number.isFinite(parsed) ? parsed : undefined;
}

function asStringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function asDimensions(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    // [{ Name, Value }] (the API shape)
    const out: Record<string, string> = {};
    for (const item of value) {
      if (item && typeof item === "object") {
        const { Name, Value } = item as { Name?: unknown; Value?: unknown };
        if (typeof Name === "string") out[Name] = String(Value ?? "");
      }
    }
    return out;
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, String(item)]),
    );
  }
  return {};
}

/**
 * Creates the CloudWatch emulator (signing name `monitoring`). Alarms start INSUFFICIENT_DATA and are
 * evaluated every `evaluateEveryMs` and on `evaluate()`. Admin views: `cloudwatch/alarms` (`?state=`),
 * `cloudwatch/metrics` (`?namespace=`), `cloudwatch/dashboards`.
 */
export function createCloudWatch(
  ctx: LocalContext,
  options: CloudWatchOptions = {},
): ServiceEmulator & CloudWatchEngine {
  return new CloudWatchEmulator(ctx, options);
}

class CloudWatchEmulator implements ServiceEmulator, CloudWatchEngine {
  readonly signingNames = ["monitoring"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;

  private readonly alarmsByName = new Map<string, Alarm>();
  private readonly series = new Map<string, Series>();
  private readonly dashboards = new Map<string, string>();
  private readonly warned = new Set<string>();
  private readonly evaluateEveryMs: number;
  private readonly msPerSecond: number;
  private readonly notifyInitialOk: boolean;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ctx: LocalContext,
    options: CloudWatchOptions,
  ) {
    this.evaluateEveryMs = options.evaluateEveryMs ?? 1000;
    this.msPerSecond = options.msPerSecond ?? 1000;
    this.notifyInitialOk = options.notifyInitialOk ?? true;
    this.adminRoutes = {
      "cloudwatch/alarms": (query) => this.adminAlarms(query),
      "cloudwatch/metrics": (query) => this.adminMetrics(query),
      "cloudwatch/dashboards": () =>
        [...this.dashboards].map(([name, body]) => ({ name, body: safeJson(body) })),
    };
  }

  // ---------------------------------------------------------------- provisioning

  provision(resource: LocalResource): void {
    const inputs = (resource.inputs ?? {}) as Record<string, unknown>;
    const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
    if (resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm") {
      this.provisionAlarm(resource, inputs, outputs);
    } else if (resource.type === "aws:cloudwatch/dashboard:Dashboard") {
      const name = asString(outputs.dashboardName) ?? asString(inputs.dashboardName) ?? resource.name;
      this.dashboards.set(
        name,
        typeof inputs.dashboardBody === "string"
          ? inputs.dashboardBody
          : JSON.stringify(inputs.dashboardBody ?? {}),
      );
    } else if (resource.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm") {
      this.ctx.log.warn(`cloudwatch: composite alarm ${resource.name} is recorded but not evaluated locally`);
    }
  }

  private provisionAlarm(
    resource: LocalResource,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown>,
  ): void {
    const name = asString(outputs.name) ?? asString(inputs.name) ?? resource.name;
    const arn =
      asString(outputs.arn) ?? `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.accountId}:alarm:${name}`;
    const evaluationPeriods = asNumber(inputs.evaluationPeriods) ?? 1;
    const namespace = asString(inputs.namespace);
    const metricName = asString(inputs.metricName);
    const metricQueries = Array.isArray(inputs.metricQueries)
      ? inputs.metricQueries.map((query) => this.metricQuery(query as Record<string, unknown>))
      : undefined;
    const treat = asString(inputs.treatMissingData) ?? "missing";
    const now = Date.now();
    const alarm: Alarm = {
      name,
      arn,
      description: asString(inputs.alarmDescription),
      metric:
        namespace && metricName
          ? { namespace, metricName, dimensions: asDimensions(inputs.dimensions) }
          : undefined,
      statistic: asString(inputs.statistic),
      extendedStatistic: asString(inputs.extendedStatistic),
      unit: asString(inputs.unit),
      period: asNumber(inputs.period) ?? metricQueries?.find((query) => query.metric)?.metric?.period ?? 60,
      evaluationPeriods,
      datapointsToAlarm: asNumber(inputs.datapointsToAlarm) ?? evaluationPeriods,
      threshold: asNumber(inputs.threshold) ?? 0,
      comparisonOperator: asString(inputs.comparisonOperator) ?? "GreaterThanOrEqualToThreshold",
      treatMissingData: (["missing", "ignore", "breaching", "notBreaching"].includes(treat)
        ? treat
        : "missing") as Alarm["treatMissingData"],
      alarmActions: asStringList(inputs.alarmActions),
      okActions: asStringList(inputs.okActions),
      insufficientDataActions: asStringList(inputs.insufficientDataActions),
      actionsEnabled: inputs.actionsEnabled !== false,
      metricQueries,
      state: "INSUFFICIENT_DATA",
      reason: "Unchecked: Initial alarm creation",
      updatedAt: now,
      transitionedAt: now,
      configuredAt: now,
      evaluated: false,
      history: [],
      lastValues: [],
    };
    const existing = this.alarmsByName.get(name);
    if (existing) {
      // Re-provisioned: keep the state, take the new configuration.
      Object.assign(existing, {
        ...alarm,
        state: existing.state,
        reason: existing.reason,
        history: existing.history,
        evaluated: existing.evaluated,
      });
    } else {
      this.alarmsByName.set(name, alarm);
    }
  }

  private metricQuery(query: Record<string, unknown>): MetricQuery {
    const metric = (query.metric ?? undefined) as Record<string, unknown> | undefined;
    return {
      id: asString(query.id) ?? "m1",
      expression: asString(query.expression),
      label: asString(query.label),
      returnData: query.returnData === true,
      period: asNumber(query.period),
      metric: metric
        ? {
            namespace: asString(metric.namespace) ?? "",
            metricName: asString(metric.metricName) ?? "",
            dimensions: asDimensions(metric.dimensions),
            period: asNumber(metric.period) ?? 60,
            stat: asString(metric.stat) ?? "Average",
            unit: asString(metric.unit),
          }
        : undefined,
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.evaluate(), this.evaluateEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---------------------------------------------------------------- metrics

  putMetric(datum: MetricDatum): void {
    if (!Number.isFinite(datum.value)) return;
    this.addPoint(
      { namespace: datum.namespace, metricName: datum.metricName, dimensions: { ...datum.dimensions } },
      {
        timestamp: datum.timestamp,
        sampleCount: 1,
        sum: datum.value,
        min: datum.value,
        max: datum.value,
        values: [{ value: datum.value, count: 1 }],
        unit: datum.unit,
      },
    );
  }

  private addPoint(ref: MetricRef, point: DataPoint): void {
    const key = seriesKey(ref);
    let series = this.series.get(key);
    if (!series) {
      series = { ...ref, key, points: [] };
      this.series.set(key, series);
    }
    series.points.push(point);
    if (series.points.length > MAX_POINTS_PER_SERIES)
      series.points.splice(0, series.points.length - MAX_POINTS_PER_SERIES);
  }

  /**
   * Reads one log line: an Embedded Metric Format document (what Powertools Metrics prints) becomes
   * one data point per metric value and dimension set; anything else is ignored. A prefix before the
   * JSON (the Lambda text log format) is skipped.
   */
  ingestLogLine(line: string): void {
    if (!line.includes('"_aws"')) return;
    const start = line.indexOf("{");
    const end = line.lastIndexOf("}");
    if (start < 0 || end <= start) return;
    let document: Record<string, unknown>;
    try {
      const parsed = JSON.parse(line.slice(start, end + 1)) as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return;
      document = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    const metadata = document._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
    if (!metadata || !Array.isArray(metadata.CloudWatchMetrics)) return;
    const timestamp = asNumber(metadata.Timestamp) ?? Date.now();
    for (const directive of metadata.CloudWatchMetrics as Array<Record<string, unknown>>) {
      const namespace = asString(directive?.Namespace);
      if (!namespace || !Array.isArray(directive.Metrics)) continue;
      const sets =
        Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
      for (const definition of directive.Metrics as Array<Record<string, unknown>>) {
        const metricName = asString(definition?.Name);
        if (!metricName) continue;
        const raw = document[metricName];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (value): value is number => typeof value === "number" && Number.isFinite(value),
        );
        for (const set of sets) {
          if (!Array.isArray(set)) continue;
          const dimensions: Record<string, string> = {};
          let complete = true;
          for (const key of set) {
            const value = typeof key === "string" ? document[key] : undefined;
            if (value === undefined || value === null || typeof value === "object") {
              complete = false;
              break;
            }
            dimensions[key as string] = String(value);
          }
          if (!complete) continue;
          for (const value of values) {
            this.putMetric({
              namespace,
              metricName,
              dimensions,
              value,
              unit: asString(definition.Unit),
              timestamp,
            });
          }
        }
      }
    }
  }

  /** Samples the SQS depth metrics the alarms watch (AWS/SQS, QueueName dimension). */
  private sampleSqs(now: number): void {
    const wanted = new Map<string, Set<string>>();
    for (const alarm of this.alarmsByName.values()) {
      for (const ref of this.metricRefs(alarm)) {
        const queueName = ref.dimensions.QueueName;
        if (ref.namespace !== "AWS/SQS" || !(ref.metricName in SQS_METRICS) || queueName === undefined)
          continue;
        const metrics = wanted.get(queueName) ?? new Set<string>();
        metrics.add(ref.metricName);
        wanted.set(queueName, metrics);
      }
    }
    if (wanted.size === 0) return;
    let queues: Array<{ arn: string; name: string }>;
    try {
      queues = this.ctx.sqs.list();
    } catch {
      return;
    }
    for (const [queueName, metrics] of wanted) {
      const queue = queues.find((candidate) => candidate.name === queueName);
      if (!queue) continue;
      const depth = this.ctx.sqs.depth(queue.arn);
      for (const metricName of metrics) {
        const field = SQS_METRICS[metricName] as keyof typeof depth;
        const value = depth[field];
        this.addPoint(
          { namespace: "AWS/SQS", metricName, dimensions: { QueueName: queueName } },
          {
            timestamp: now,
            sampleCount: 1,
            sum: value,
            min: value,
            max: value,
            values: [{ value, count: 1 }],
            unit: field === "oldestAgeSeconds" ? "Seconds" : "Count",
          },
        );
      }
    }
  }

  private metricRefs(alarm: Alarm): MetricRef[] {
    if (alarm.metric) return [alarm.metric];
    return (alarm.metricQueries ?? []).flatMap((query) => (query.metric ? [query.metric] : []));
  }

  /** Data points of a metric (exact dimension set) in (from, to]. */
  private pointsIn(ref: MetricRef, from: number, to: number, unit?: string): DataPoint[] {
    const series = this.series.get(seriesKey(ref));
    if (!series) return [];
    return series.points.filter(
      (point) =>
        point.timestamp > from && point.timestamp <= to && (unit === undefined || point.unit === unit),
    );
  }

  private prune(now: number): void {
    let longest = 3_600_000;
    for (const alarm of this.alarmsByName.values()) {
      longest = Math.max(longest, 2 * alarm.period * alarm.evaluationPeriods * this.msPerSecond);
    }
    const cutoff = now - longest;
    for (const series of this.series.values()) {
      const firstKept = series.points.findIndex((point) => point.timestamp > cutoff);
      if (firstKept === -1) series.points.length = 0;
      else if (firstKept > 0) series.points.splice(0, firstKept);
    }
  }

  // ---------------------------------------------------------------- alarms

  alarms(): Array<{
    name: string;
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
    reason: string;
    updatedAt: number;
  }> {
    return [...this.alarmsByName.values()].map((alarm) => ({
      name: alarm.name,
      state: alarm.state,
      reason: alarm.reason,
      updatedAt: alarm.updatedAt,
    }));
  }

  evaluate(): void {
    const now = Date.now();
    try {
      this.sampleSqs(now);
    } catch (error) {
      this.ctx.log.warn("cloudwatch: sampling SQS metrics failed", { error: String(error) });
    }
    for (const alarm of this.alarmsByName.values()) {
      try {
        this.evaluateAlarm(alarm, now);
      } catch (error) {
        this.ctx.log.warn(`cloudwatch: evaluating ${alarm.name} failed`, { error: String(error) });
      }
    }
    this.prune(now);
  }

  /** What the alarm evaluates: one metric and statistic, or the single returned metric query. */
  private evaluationTarget(
    alarm: Alarm,
  ): { ref: MetricRef; stat: string; unit?: string; period: number } | string {
    if (alarm.metric) {
      const stat = alarm.statistic ?? alarm.extendedStatistic;
      if (!stat) return "the alarm has no statistic";
      return { ref: alarm.metric, stat, unit: alarm.unit, period: alarm.period };
    }
    const queries = alarm.metricQueries ?? [];
    const returned = queries.filter((query) => query.returnData);
    const target = returned.length === 1 ? returned[0] : queries.length === 1 ? queries[0] : undefined;
    if (!target?.metric) return "metric math expressions are not evaluated locally";
    return {
      ref: target.metric,
      stat: target.metric.stat,
      unit: target.metric.unit,
      period: target.metric.period,
    };
  }

  private evaluateAlarm(alarm: Alarm, now: number): void {
    const target = this.evaluationTarget(alarm);
    if (typeof target === "string" || !isSupportedOperator(alarm.comparisonOperator)) {
      const why =
        typeof target === "string"
          ? target
          : `the comparison operator ${alarm.comparisonOperator} is not evaluated locally`;
      this.warnOnce(alarm.name, `cloudwatch: alarm ${alarm.name} stays INSUFFICIENT_DATA: ${why}`);
      if (alarm.state !== "INSUFFICIENT_DATA")
        this.transition(alarm, "INSUFFICIENT_DATA", `Unchecked: ${why}`, undefined, now);
      return;
    }
    const operator: ComparisonOperator = alarm.comparisonOperator;
    const periodMs = target.period * this.msPerSecond;
    const n = Math.max(1, alarm.evaluationPeriods);
    const m = Math.max(1, Math.min(n, alarm.datapointsToAlarm));
    const windows: Array<{ start: number; value: number | undefined; count: number }> = [];
    for (let i = 0; i < n; i += 1) {
      const end = now - i * periodMs;
      const start = end - periodMs;
      const points = this.pointsIn(target.ref, start, end, target.unit);
      windows.push({
        start,
        value: statistic(points, target.stat),
        count: points.reduce((sum, point) => sum + point.sampleCount, 0),
      });
    }
    alarm.lastValues = windows.map((window) => window.value);
    const present = windows.filter(
      (window): window is { start: number; value: number; count: number } => window.value !== undefined,
    );
    const missing = n - present.length;
    const breachingPresent = present.filter((window) => breaches(operator, window.value, alarm.threshold));
    const reasonData = JSON.stringify({
      version: "1.0",
      queryDate: notificationDate(now),
      startDate: notificationDate(windows[windows.length - 1]?.start ?? now),
      statistic: target.stat,
      period: target.period,
      recentDatapoints: present.map((window) => window.value),
      threshold: alarm.threshold,
      evaluatedDatapoints: present.map((window) => ({
        timestamp: notificationDate(window.start),
        sampleCount: window.count,
        value: window.value,
      })),
    });
    const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;
    const list = (items: typeof present): string =>
      `[${items.map((window) => `${formatNumber(window.value)} (${reasonDate(window.start)})`).join(", ")}]`;

    if (present.length === 0) {
      switch (alarm.treatMissingData) {
        case "ignore":
          return;
        case "missing":
          this.transition(
            alarm,
            "INSUFFICIENT_DATA",
            `Insufficient Data: ${plural(n, "datapoint")} ${n === 1 ? "was" : "were"} unknown.`,
            reasonData,
            now,
          );
          return;
        case "notBreaching":
          this.transition(
            alarm,
            "OK",
            `Threshold Crossed: no datapoints were received for ${plural(n, "period")} and ${plural(n, "missing datapoint")} ${n === 1 ? "was" : "were"} treated as [NonBreaching].`,
            reasonData,
            now,
          );
          return;
        case "breaching":
          this.transition(
            alarm,
            "ALARM",
            `Threshold Crossed: no datapoints were received for ${plural(n, "period")} and ${plural(n, "missing datapoint")} ${n === 1 ? "was" : "were"} treated as [Breaching].`,
            reasonData,
            now,
          );
          return;
      }
    }
    const breachingCount = breachingPresent.length + (alarm.treatMissingData === "breaching" ? missing : 0);
    const text = operatorText(operator);
    if (breachingCount >= m) {
      this.transition(
        alarm,
        "ALARM",
        `Threshold Crossed: ${breachingCount} out of the last ${n} datapoints ${list(breachingPresent.length > 0 ? breachingPresent : present)} ${breachingCount === 1 ? "was" : "were"} ${text} the threshold (${formatNumber(alarm.threshold)}) (minimum ${plural(m, "datapoint")} for OK -> ALARM transition).`,
        reasonData,
        now,
      );
    } else {
      const notBreaching = present.filter((window) => !breaches(operator, window.value, alarm.threshold));
      this.transition(
        alarm,
        "OK",
        `Threshold Crossed: ${plural(notBreaching.length, "datapoint")} ${list(notBreaching)} ${notBreaching.length === 1 ? "was" : "were"} not ${text} the threshold (${formatNumber(alarm.threshold)}) (minimum ${plural(Math.max(1, n - m + 1), "datapoint")} for ALARM -> OK transition).`,
        reasonData,
        now,
      );
    }
  }

  /** Moves the alarm to `state` (no-op when already there) and runs the state's actions. */
  private transition(
    alarm: Alarm,
    state: AlarmStateValue,
    reason: string,
    reasonData: string | undefined,
    now: number,
  ): void {
    if (alarm.state === state) return;
    const from = alarm.state;
    const first = !alarm.evaluated;
    alarm.evaluated = true;
    alarm.state = state;
    alarm.reason = reason;
    alarm.reasonData = reasonData;
    alarm.updatedAt = now;
    alarm.transitionedAt = now;
    alarm.history.unshift({ at: now, from, to: state, reason });
    alarm.history.length = Math.min(alarm.history.length, HISTORY_LENGTH);
    this.ctx.log.info(`cloudwatch: alarm ${alarm.name} ${from} -> ${state}`, { reason });
    if (!alarm.actionsEnabled) return;
    if (first && from === "INSUFFICIENT_DATA" && state === "OK" && !this.notifyInitialOk) return;
    const actions =
      state === "ALARM"
        ? alarm.alarmActions
        : state === "OK"
          ? alarm.okActions
          : alarm.insufficientDataActions;
    if (actions.length === 0) return;
    const message = JSON.stringify(this.notification(alarm, from, now));
    const subject = `${state}: "${alarm.name}" in ${regionDisplayName(this.ctx.region)}`.slice(0, 100);
    for (const action of actions) {
      if (!action.startsWith("arn:aws:sns:")) {
        this.warnOnce(
          `action:${action}`,
          `cloudwatch: alarm action ${action} is not emulated (only SNS topics are)`,
        );
        continue;
      }
      try {
        this.ctx.sns.publish(action, { message, subject });
      } catch (error) {
        this.ctx.log.warn(`cloudwatch: publishing the ${alarm.name} notification to ${action} failed`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** The CloudWatch alarm notification document AWS publishes to SNS. */
  private notification(alarm: Alarm, oldState: AlarmStateValue, now: number): Record<string, unknown> {
    const trigger: Record<string, unknown> = {};
    if (alarm.metric) {
      trigger.MetricName = alarm.metric.metricName;
      trigger.Namespace = alarm.metric.namespace;
      trigger.StatisticType = alarm.statistic ? "Statistic" : "ExtendedStatistic";
      if (alarm.statistic) trigger.Statistic = triggerStatistic(alarm.statistic);
      else trigger.ExtendedStatistic = alarm.extendedStatistic;
      trigger.Unit = alarm.unit ?? null;
      trigger.Dimensions = Object.entries(alarm.metric.dimensions).map(([name, value]) => ({ value, name }));
      trigger.Period = alarm.period;
    } else {
      trigger.Metrics = (alarm.metricQueries ?? []).map((query) => this.describeQuery(query));
    }
    Object.assign(trigger, {
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      ComparisonOperator: alarm.comparisonOperator,
      Threshold: alarm.threshold,
      TreatMissingData: alarm.treatMissingData,
      EvaluateLowSampleCountPercentile: "",
    });
    return {
      AlarmName: alarm.name,
      AlarmDescription: alarm.description ?? null,
      AWSAccountId: this.ctx.accountId,
      AlarmConfigurationUpdatedTimestamp: notificationDate(alarm.configuredAt),
      NewStateValue: alarm.state,
      NewStateReason: alarm.reason,
      StateChangeTime: notificationDate(now),
      Region: regionDisplayName(this.ctx.region),
      AlarmArn: alarm.arn,
      OldStateValue: oldState,
      OKActions: alarm.okActions,
      AlarmActions: alarm.alarmActions,
      InsufficientDataActions: alarm.insufficientDataActions,
      Trigger: trigger,
    };
  }

  private describeQuery(query: MetricQuery): Record<string, unknown> {
    return {
      Id: query.id,
      Expression: query.expression,
      Label: query.label,
      ReturnData: query.returnData,
      Period: query.period,
      MetricStat: query.metric
        ? {
            Metric: {
              Namespace: query.metric.namespace,
              MetricName: query.metric.metricName,
              Dimensions: Object.entries(query.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: query.metric.period,
            Stat: query.metric.stat,
            Unit: query.metric.unit,
          }
        : undefined,
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.log.warn(message);
  }

  // ---------------------------------------------------------------- wire

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    try {
      const encoding = String(req.headers["content-encoding"] ?? "");
      const payload = /gzip/i.test(encoding) ? gunzipSync(body) : body;
      if (String(req.headers["content-type"] ?? "").includes("x-www-form-urlencoded")) {
        throw cloudWatchError(
          "InvalidAction",
          "The local CloudWatch serves the AWS JSON protocol that @aws-sdk/client-cloudwatch v3 uses, not the query protocol.",
        );
      }
      const operation = jsonOperation(req);
      const input = parseJsonBody(payload);
      sendJson(res, this.dispatch(operation, input));
    } catch (error) {
      const failure =
        error instanceof LocalServiceError
          ? error
          : cloudWatchError("InternalServiceFault", error instanceof Error ? error.message : String(error));
      if (failure.status >= 500) this.ctx.log.error("cloudwatch: request failed", { error: failure.message });
      const shaped =
        failure.queryCode === undefined
          ? new LocalServiceError(failure.code, failure.message, failure.status, failure.code)
          : failure;
      sendJsonError(res, shaped, { namespace: CLOUDWATCH_NAMESPACE });
    }
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case "PutMetricData":
        return this.opPutMetricData(input);
      case "DescribeAlarms":
        return this.opDescribeAlarms(input);
      case "SetAlarmState":
        return this.opSetAlarmState(input);
      case "ListMetrics":
        return this.opListMetrics(input);
      case "GetMetricStatistics":
        return this.opGetMetricStatistics(input);
      default:
        throw cloudWatchError(
          "InvalidAction",
          `The local CloudWatch does not support the ${operation} action.`,
        );
    }
  }

  private opPutMetricData(input: Record<string, unknown>): unknown {
    const namespace = asString(input.Namespace);
    if (!namespace)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter Namespace is required.");
    if (namespace.startsWith("AWS/")) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The value ${namespace} for parameter Namespace is invalid.`,
      );
    }
    const data = [
      ...(Array.isArray(input.MetricData) ? input.MetricData : []),
      ...(Array.isArray(input.EntityMetricData)
        ? input.EntityMetricData.flatMap((entity) => {
            const metricData = (entity as { MetricData?: unknown })?.MetricData;
            return Array.isArray(metricData) ? metricData : [];
          })
        : []),
    ] as Array<Record<string, unknown>>;
    if (data.length === 0)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter MetricData is required.");
    if (data.length > 1000) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        "The collection MetricData must not have a size greater than 1000.",
      );
    }
    const parsed = data.map((datum, index) => this.parseDatum(namespace, datum, index + 1));
    for (const { ref, points } of parsed) for (const point of points) this.addPoint(ref, point);
    return {};
  }

  private parseDatum(
    namespace: string,
    datum: Record<string, unknown>,
    index: number,
  ): { ref: MetricRef; points: DataPoint[] } {
    const where = `MetricData.member.${index}`;
    const metricName = asString(datum.MetricName);
    if (!metricName)
      throw cloudWatchError(
        "MissingRequiredParameterException",
        `The parameter ${where}.MetricName is required.`,
      );
    const rawDimensions = Array.isArray(datum.Dimensions) ? datum.Dimensions : [];
    if (rawDimensions.length > 30) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The collection ${where}.Dimensions must not have a size greater than 30.`,
      );
    }
    const dimensions = asDimensions(rawDimensions);
    const timestamp = parseTimestamp(datum.Timestamp) ?? Date.now();
    const unit = asString(datum.Unit);
    const hasValue = datum.Value !== undefined && datum.Value !== null;
    const values = Array.isArray(datum.Values) ? datum.Values : undefined;
    const stats = datum.StatisticValues as Record<string, unknown> | undefined;
    const given = [hasValue, values !== undefined, stats !== undefined && stats !== null].filter(
      Boolean,
    ).length;
    if (given > 1) {
      throw cloudWatchError(
        "InvalidParameterCombinationException",
        `The parameters ${where}.Value, ${where}.Values and ${where}.StatisticValues are mutually exclusive.`,
      );
    }
    const ref = { namespace, metricName, dimensions };
    const finite = (value: unknown, name: string): number => {
      const number = asNumber(value);
      if (number === undefined)
        throw cloudWatchError(
          "InvalidParameterValueException",
          `The value for parameter ${where}.${name} is invalid.`,
        );
      return number;
    };
    if (stats) {
      const sampleCount = finite(stats.SampleCount, "StatisticValues.SampleCount");
      const sum = finite(stats.Sum, "StatisticValues.Sum");
      const min = finite(stats.Minimum, "StatisticValues.Minimum");
      const max = finite(stats.Maximum, "StatisticValues.Maximum");
      return { ref, points: [{ timestamp, sampleCount, sum, min, max, unit }] };
    }
    if (values) {
      const counts = Array.isArray(datum.Counts) ? datum.Counts : undefined;
      if (counts && counts.length !== values.length) {
        throw cloudWatchError(
          "InvalidParameterValueException",
          `The parameters ${where}.Values and ${where}.Counts must be arrays of the same length.`,
        );
      }
      const entries = values.map((value, i) => ({
        value: finite(value, `Values.member.${i + 1}`),
        count: counts ? finite(counts[i], `Counts.member.${i + 1}`) : 1,
      }));
      if (entries.length === 0) return { ref, points: [] };
      return {
        ref,
        points: [
          {
            timestamp,
            sampleCount: entries.reduce((sum, entry) => sum + entry.count, 0),
            sum: entries.reduce((sum, entry) => sum + entry.value * entry.count, 0),
            min: Math.min(...entries.map((entry) => entry.value)),
            max: Math.max(...entries.map((entry) => entry.value)),
            values: entries,
            unit,
          },
        ],
      };
    }
    const value = finite(datum.Value ?? 0, "Value");
    return {
      ref,
      points: [
        {
          timestamp,
          sampleCount: 1,
          sum: value,
          min: value,
          max: value,
          values: [{ value, count: 1 }],
          unit,
        },
      ],
    };
  }

  private describeAlarm(alarm: Alarm): Record<string, unknown> {
    const seconds = (ms: number): number => ms / 1000;
    return {
      AlarmName: alarm.name,
      AlarmArn: alarm.arn,
      AlarmDescription: alarm.description,
      AlarmConfigurationUpdatedTimestamp: seconds(alarm.configuredAt),
      ActionsEnabled: alarm.actionsEnabled,
      OKActions: alarm.okActions,
      AlarmActions: alarm.alarmActions,
      InsufficientDataActions: alarm.insufficientDataActions,
      StateValue: alarm.state,
      StateReason: alarm.reason,
      StateReasonData: alarm.reasonData,
      StateUpdatedTimestamp: seconds(alarm.updatedAt),
      StateTransitionedTimestamp: seconds(alarm.transitionedAt),
      MetricName: alarm.metric?.metricName,
      Namespace: alarm.metric?.namespace,
      Statistic: alarm.statistic,
      ExtendedStatistic: alarm.extendedStatistic,
      Dimensions: alarm.metric
        ? Object.entries(alarm.metric.dimensions).map(([Name, Value]) => ({ Name, Value }))
        : undefined,
      Period: alarm.metric ? alarm.period : undefined,
      Unit: alarm.unit,
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparisonOperator,
      TreatMissingData: alarm.treatMissingData,
      Metrics: alarm.metricQueries?.map((query) => this.describeQuery(query)),
    };
  }

  private opDescribeAlarms(input: Record<string, unknown>): unknown {
    const names = asStringList(input.AlarmNames);
    const prefix = asString(input.AlarmNamePrefix);
    if (names.length > 0 && prefix !== undefined) {
      throw cloudWatchError(
        "InvalidParameterCombinationException",
        "AlarmNames and AlarmNamePrefix cannot be specified together.",
      );
    }
    if (names.length > 100) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        "The collection AlarmNames must not have a size greater than 100.",
      );
    }
    const stateValue = asString(input.StateValue);
    if (stateValue !== undefined && !["OK", "ALARM", "INSUFFICIENT_DATA"].includes(stateValue)) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The value ${stateValue} for parameter StateValue is invalid.`,
      );
    }
    const actionPrefix = asString(input.ActionPrefix);
    const types = asStringList(input.AlarmTypes);
    const maxRecords = asNumber(input.MaxRecords) ?? 50;
    if (maxRecords < 1 || maxRecords > 100) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The value ${maxRecords} for parameter MaxRecords is invalid.`,
      );
    }
    const token = asString(input.NextToken);
    const start = token ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(start) || start < 0)
      throw cloudWatchError("InvalidNextToken", "The NextToken is invalid.");
    const includeMetric = types.length === 0 || types.includes("MetricAlarm");
    const matching = includeMetric
      ? [...this.alarmsByName.values()]
          .filter((alarm) => names.length === 0 || names.includes(alarm.name))
          .filter((alarm) => prefix === undefined || alarm.name.startsWith(prefix))
          .filter((alarm) => stateValue === undefined || alarm.state === stateValue)
          .filter(
            (alarm) =>
              actionPrefix === undefined ||
              [...alarm.alarmActions, ...alarm.okActions, ...alarm.insufficientDataActions].some((action) =>
                action.startsWith(actionPrefix),
              ),
          )
          .sort((a, b) => a.name.localeCompare(b.name))
      : [];
    const page = matching.slice(start, start + maxRecords);
    const next =
      start + maxRecords < matching.length
        ? Buffer.from(String(start + maxRecords)).toString("base64url")
        : undefined;
    return {
      MetricAlarms: page.map((alarm) => this.describeAlarm(alarm)),
      CompositeAlarms: [],
      NextToken: next,
    };
  }

  private opSetAlarmState(input: Record<string, unknown>): unknown {
    const name = asString(input.AlarmName);
    if (!name)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter AlarmName is required.");
    const alarm = this.alarmsByName.get(name);
    if (!alarm) throw cloudWatchError("ResourceNotFound", `Alarm ${name} not found`);
    const state = asString(input.StateValue);
    if (state !== "OK" && state !== "ALARM" && state !== "INSUFFICIENT_DATA") {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The value ${String(state)} for parameter StateValue is invalid.`,
      );
    }
    const reason = asString(input.StateReason);
    if (!reason)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter StateReason is required.");
    const reasonData = asString(input.StateReasonData);
    if (reasonData !== undefined && safeJson(reasonData) === undefined) {
      throw cloudWatchError("InvalidFormatFault", "StateReasonData is not valid JSON.");
    }
    this.transition(alarm, state, reason, reasonData, Date.now());
    return {};
  }

  private opListMetrics(input: Record<string, unknown>): unknown {
    const namespace = asString(input.Namespace);
    const metricName = asString(input.MetricName);
    const filters = Array.isArray(input.Dimensions)
      ? (input.Dimensions as Array<{ Name?: string; Value?: string }>)
      : [];
    const metrics = [...this.series.values()]
      .filter((series) => series.points.length > 0)
      .filter((series) => namespace === undefined || series.namespace === namespace)
      .filter((series) => metricName === undefined || series.metricName === metricName)
      .filter((series) =>
        filters.every(
          (filter) =>
            typeof filter.Name === "string" &&
            filter.Name in series.dimensions &&
            (filter.Value === undefined || series.dimensions[filter.Name] === filter.Value),
        ),
      )
      .map((series) => ({
        Namespace: series.namespace,
        MetricName: series.metricName,
        Dimensions: Object.entries(series.dimensions).map(([Name, Value]) => ({ Name, Value })),
      }));
    return { Metrics: metrics };
  }

  private opGetMetricStatistics(input: Record<string, unknown>): unknown {
    const namespace = asString(input.Namespace);
    const metricName = asString(input.MetricName);
    if (!namespace)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter Namespace is required.");
    if (!metricName)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter MetricName is required.");
    const startTime = parseTimestamp(input.StartTime);
    const endTime = parseTimestamp(input.EndTime);
    if (startTime === undefined)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter StartTime is required.");
    if (endTime === undefined)
      throw cloudWatchError("MissingRequiredParameterException", "The parameter EndTime is required.");
    const period = asNumber(input.Period);
    if (period === undefined || period < 1) {
      throw cloudWatchError(
        "InvalidParameterValueException",
        `The value ${String(input.Period)} for parameter Period is invalid.`,
      );
    }
    const statistics = asStringList(input.Statistics);
    const extended = asStringList(input.ExtendedStatistics);
    if (statistics.length === 0 && extended.length === 0) {
      throw cloudWatchError(
        "MissingRequiredParameterException",
        "Either Statistics or ExtendedStatistics must be specified.",
      );
    }
    for (const stat of statistics) {
      if (!(STATISTICS as readonly string[]).includes(stat)) {
        throw cloudWatchError(
          "InvalidParameterValueException",
          `The value ${stat} for parameter Statistics is invalid.`,
        );
      }
    }
    const unit = asString(input.Unit);
    const ref = { namespace, metricName, dimensions: asDimensions(input.Dimensions) };
    const datapoints: Array<Record<string, unknown>> = [];
    for (let start = startTime; start < endTime; start += period * 1000) {
      const points = this.pointsIn(ref, start - 1, Math.min(start + period * 1000, endTime) - 1, unit);
      if (points.length === 0) continue;
      const datapoint: Record<string, unknown> = {
        Timestamp: start / 1000,
        Unit: unit ?? points[0]?.unit ?? "None",
      };
      for (const stat of statistics) datapoint[stat] = statistic(points, stat);
      if (extended.length > 0) {
        datapoint.ExtendedStatistics = Object.fromEntries(
          extended.map((stat) => [stat, statistic(points, stat)]),
        );
      }
      datapoints.push(datapoint);
    }
    return { Label: metricName, Datapoints: datapoints };
  }

  // ---------------------------------------------------------------- admin views

  private adminAlarms(query: URLSearchParams): unknown {
    const state = query.get("state");
    return [...this.alarmsByName.values()]
      .filter((alarm) => !state || alarm.state === state)
      .map((alarm) => ({
        name: alarm.name,
        arn: alarm.arn,
        description: alarm.description,
        state: alarm.state,
        reason: alarm.reason,
        updatedAt: alarm.updatedAt,
        metric: alarm.metric,
        statistic: alarm.statistic ?? alarm.extendedStatistic,
        period: alarm.period,
        evaluationPeriods: alarm.evaluationPeriods,
        datapointsToAlarm: alarm.datapointsToAlarm,
        comparisonOperator: alarm.comparisonOperator,
        threshold: alarm.threshold,
        treatMissingData: alarm.treatMissingData,
        alarmActions: alarm.alarmActions,
        okActions: alarm.okActions,
        lastValues: alarm.lastValues.map((value) => value ?? null),
        history: alarm.history,
      }));
  }

  private adminMetrics(query: URLSearchParams): unknown {
    const namespace = query.get("namespace");
    const now = Date.now();
    const window = 300 * this.msPerSecond;
    return [...this.series.values()]
      .filter((series) => !namespace || series.namespace === namespace)
      .map((series) => {
        const last = series.points[series.points.length - 1];
        const recent = series.points.filter((point) => point.timestamp > now - window);
        return {
          namespace: series.namespace,
          metricName: series.metricName,
          dimensions: series.dimensions,
          datapoints: series.points.length,
          last: last ? { timestamp: last.timestamp, value: last.max, unit: last.unit } : null,
          recent: {
            seconds: 300,
            sum: statistic(recent, "Sum") ?? null,
            sampleCount: statistic(recent, "SampleCount") ?? null,
            maximum: statistic(recent, "Maximum") ?? null,
          },
        };
      });
  }
}

function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value * 1000;
  if (typeof value === "string" && value !== "") {
    const asNum = Number(value);
    if (Number.isFinite(asNum)) return asNum * 1000;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
