import type { LocalContext, MetricDatum } from "../../types";
import {
  breaches,
  type ComparisonOperator,
  type DataPoint,
  formatNumber,
  isSupportedOperator,
  notificationDate,
  operatorText,
  reasonDate,
  regionDisplayName,
  statistic,
  triggerStatistic,
} from "./rules";

/**
 * The state and rules of the local CloudWatch: metrics (PutMetricData, `putMetric` for the other
 * emulators, and Embedded Metric Format lines from the functions' output) and metric alarms, evaluated
 * on a timer. AWS/SQS queue metrics are sampled from the SQS emulator at each evaluation. An alarm that
 * changes state publishes the CloudWatch notification JSON to its SNS actions, like AWS. No wire format
 * and no Pulumi here.
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

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

export interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  returnData?: boolean;
  period?: number;
  metric?: MetricRef & { period: number; stat: string; unit?: string };
}

export interface Transition {
  at: number;
  from: AlarmStateValue;
  to: AlarmStateValue;
  reason: string;
}

export interface Alarm {
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
  tags: Record<string, string>;
  /** Declared by the program (provisioning), not created through the API. */
  provisioned?: boolean;
}

/** Where the model records alarms and data points, when persisting (`persistence.ts`). */
export interface CloudWatchJournal {
  alarm(alarm: Alarm): void;
  alarmDeleted(name: string): void;
  point(ref: MetricRef, point: DataPoint): void;
}

export interface Series extends MetricRef {
  key: string;
  points: DataPoint[];
}

export const SQS_METRICS: Record<string, "visible" | "inFlight" | "delayed" | "oldestAgeSeconds"> = {
  ApproximateNumberOfMessagesVisible: "visible",
  ApproximateNumberOfMessagesNotVisible: "inFlight",
  ApproximateNumberOfMessagesDelayed: "delayed",
  ApproximateAgeOfOldestMessage: "oldestAgeSeconds",
};

const MAX_POINTS_PER_SERIES = 10_000;
const HISTORY_LENGTH = 50;

export function seriesKey(ref: MetricRef): string {
  const dims = Object.keys(ref.dimensions)
    .sort()
    .map((name) => `${name}=${ref.dimensions[name]}`)
    .join(",");
  return `${ref.namespace}\u0000${ref.metricName}\u0000${dims}`;
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof parsed === "number" && Number.isFinite(parsed) ? parsed : undefined;
}

export function asStringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function asDimensions(value: unknown): Record<string, string> {
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

/** The state and rules of the local CloudWatch: metric series, alarms, their evaluation and notifications. */
export class CloudWatchModel {
  /** Set when persisting. */
  journal?: CloudWatchJournal;
  /** Alarms put (by the program or the API) in this run. */
  readonly putThisRun = new Set<string>();
  readonly alarmsByName = new Map<string, Alarm>();
  readonly series = new Map<string, Series>();
  readonly dashboards = new Map<string, string>();
  readonly warned = new Set<string>();
  readonly evaluateEveryMs: number;
  readonly msPerSecond: number;
  readonly notifyInitialOk: boolean;
  timer?: NodeJS.Timeout;

  constructor(
    readonly ctx: LocalContext,
    options: CloudWatchOptions = {},
  ) {
    this.evaluateEveryMs = options.evaluateEveryMs ?? 1000;
    this.msPerSecond = options.msPerSecond ?? 1000;
    this.notifyInitialOk = options.notifyInitialOk ?? true;
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

  /**
   * Adds a data point. `record: false` for points sampled from another emulator's state (AWS/SQS depth),
   * which that emulator persists itself: only accepted data goes to the journal.
   */
  addPoint(ref: MetricRef, point: DataPoint, record = true): void {
    const key = seriesKey(ref);
    let series = this.series.get(key);
    if (!series) {
      series = { ...ref, key, points: [] };
      this.series.set(key, series);
    }
    series.points.push(point);
    if (record) this.journal?.point(ref, point);
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
  sampleSqs(now: number): void {
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
          false,
        );
      }
    }
  }

  metricRefs(alarm: Alarm): MetricRef[] {
    if (alarm.metric) return [alarm.metric];
    return (alarm.metricQueries ?? []).flatMap((query) => (query.metric ? [query.metric] : []));
  }

  /** Data points of a metric (exact dimension set) in (from, to]. */
  pointsIn(ref: MetricRef, from: number, to: number, unit?: string): DataPoint[] {
    const series = this.series.get(seriesKey(ref));
    if (!series) return [];
    return series.points.filter(
      (point) =>
        point.timestamp > from && point.timestamp <= to && (unit === undefined || point.unit === unit),
    );
  }

  prune(now: number): void {
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
  evaluationTarget(alarm: Alarm): { ref: MetricRef; stat: string; unit?: string; period: number } | string {
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

  evaluateAlarm(alarm: Alarm, now: number): void {
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
  /**
   * Creates or replaces an alarm (PutMetricAlarm and provisioning). As on AWS, replacing one keeps its
   * state and history and takes the new configuration whole.
   */
  putAlarm(alarm: Alarm): void {
    this.putThisRun.add(alarm.name);
    const existing = this.alarmsByName.get(alarm.name);
    if (existing) {
      Object.assign(existing, {
        ...alarm,
        state: existing.state,
        reason: existing.reason,
        reasonData: existing.reasonData,
        updatedAt: existing.updatedAt,
        transitionedAt: existing.transitionedAt,
        history: existing.history,
        evaluated: existing.evaluated,
      });
    } else {
      this.alarmsByName.set(alarm.name, alarm);
    }
    this.recorded(this.alarmsByName.get(alarm.name) as Alarm);
  }

  /** @returns whether it existed */
  deleteAlarm(name: string): boolean {
    const existed = this.alarmsByName.delete(name);
    if (existed) this.forgotten(name);
    return existed;
  }

  /** Resolves once everything accepted so far is on disk (at once when not persisting). */
  async durable(): Promise<void> {}

  /** Records an alarm's configuration and state (the journal, when persisting). */
  recorded(alarm: Alarm): void {
    this.journal?.alarm(alarm);
  }

  /** Records an alarm's deletion (the journal, when persisting). */
  forgotten(name: string): void {
    this.journal?.alarmDeleted(name);
  }

  transition(
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
    this.recorded(alarm);
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
        // The topic's policy must let CloudWatch publish for this alarm (AWS drops the notification otherwise).
        this.ctx.iam.deliverChecked(
          {
            service: "cloudwatch.amazonaws.com",
            action: "sns:Publish",
            resource: action,
            sourceArn: alarm.arn,
          },
          alarm.arn,
          () => this.ctx.sns.publish(action, { message, subject }),
        );
      } catch (error) {
        this.ctx.log.warn(`cloudwatch: publishing the ${alarm.name} notification to ${action} failed`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** The CloudWatch alarm notification document AWS publishes to SNS. */
  notification(alarm: Alarm, oldState: AlarmStateValue, now: number): Record<string, unknown> {
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

  describeQuery(query: MetricQuery): Record<string, unknown> {
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

  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.log.warn(message);
  }

  describeAlarm(alarm: Alarm): Record<string, unknown> {
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
}

/** Epoch ms from an epoch-seconds number or an ISO 8601 / epoch-seconds string. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value * 1000;
  if (typeof value === "string" && value !== "") {
    const asNum = Number(value);
    if (Number.isFinite(asNum)) return asNum * 1000;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
