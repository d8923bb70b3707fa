import { cloudWatchError } from "./errors";
import {
  type Alarm,
  asDimensions,
  asNumber,
  asString,
  asStringList,
  type CloudWatchModel,
  type MetricQuery,
  type MetricRef,
  parseTimestamp,
  safeJson,
  seriesKey,
} from "./model";
import type { DataPoint } from "./rules";
import { STATISTICS, statistic } from "./rules";

/**
 * The CloudWatch API: one function per operation, JSON-shaped input (what every codec decodes to: AWS
 * JSON 1.0, the query form read through `shapes.ts`, or CBOR) and output, over the {@link CloudWatchModel}.
 */

export function opPutMetricData(model: CloudWatchModel, input: Record<string, unknown>): unknown {
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
  const parsed = data.map((datum, index) => parseDatum(namespace, datum, index + 1));
  for (const { ref, points } of parsed) for (const point of points) model.addPoint(ref, point);
  return {};
}

function parseDatum(
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

export function opDescribeAlarms(model: CloudWatchModel, input: Record<string, unknown>): unknown {
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
    ? [...model.alarmsByName.values()]
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
    MetricAlarms: page.map((alarm) => model.describeAlarm(alarm)),
    CompositeAlarms: [],
    NextToken: next,
  };
}

export function opSetAlarmState(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const name = asString(input.AlarmName);
  if (!name)
    throw cloudWatchError("MissingRequiredParameterException", "The parameter AlarmName is required.");
  const alarm = model.alarmsByName.get(name);
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
  model.transition(alarm, state, reason, reasonData, Date.now());
  return {};
}

export function opListMetrics(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const namespace = asString(input.Namespace);
  const metricName = asString(input.MetricName);
  const filters = Array.isArray(input.Dimensions)
    ? (input.Dimensions as Array<{ Name?: string; Value?: string }>)
    : [];
  const metrics = [...model.series.values()]
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

export function opGetMetricStatistics(model: CloudWatchModel, input: Record<string, unknown>): unknown {
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
    const points = model.pointsIn(ref, start - 1, Math.min(start + period * 1000, endTime) - 1, unit);
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

const OPERATORS = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
  "LessThanLowerOrGreaterThanUpperThreshold",
  "LessThanLowerThreshold",
  "GreaterThanUpperThreshold",
];
const TREAT_MISSING = ["missing", "ignore", "breaching", "notBreaching"];

function required(input: Record<string, unknown>, name: string): unknown {
  const value = input[name];
  if (value === undefined || value === null || value === "")
    throw cloudWatchError("MissingRequiredParameterException", `The parameter ${name} is required.`);
  return value;
}

function invalid(name: string, value: unknown): never {
  throw cloudWatchError(
    "InvalidParameterValueException",
    `The value ${typeof value === "object" ? JSON.stringify(value) : String(value)} for parameter ${name} is invalid.`,
  );
}

function metricDataQuery(query: Record<string, unknown>, index: number): MetricQuery {
  const where = `Metrics.member.${index}`;
  const id = asString(query.Id);
  if (!id)
    throw cloudWatchError("MissingRequiredParameterException", `The parameter ${where}.Id is required.`);
  const stat = query.MetricStat as Record<string, unknown> | undefined;
  const expression = asString(query.Expression);
  if (!stat && !expression) {
    throw cloudWatchError(
      "InvalidParameterValueException",
      `${where}: exactly one of MetricStat and Expression must be specified.`,
    );
  }
  const metric = stat?.Metric as Record<string, unknown> | undefined;
  return {
    id,
    expression,
    label: asString(query.Label),
    returnData: query.ReturnData === undefined ? undefined : query.ReturnData === true,
    period: asNumber(query.Period),
    metric: stat
      ? {
          namespace: asString(metric?.Namespace) ?? "",
          metricName: asString(metric?.MetricName) ?? "",
          dimensions: asDimensions(metric?.Dimensions),
          period: asNumber(stat.Period) ?? invalid(`${where}.MetricStat.Period`, stat.Period),
          stat: asString(stat.Stat) ?? invalid(`${where}.MetricStat.Stat`, stat.Stat),
          unit: asString(stat.Unit),
        }
      : undefined,
  };
}

/**
 * PutMetricAlarm: validates like AWS (required name, evaluation periods and operator; one metric or
 * metric queries; known statistic, operator and missing-data treatment; datapoints to alarm at most the
 * evaluation periods), then creates or replaces the alarm. `arn`: provisioning passes the program's.
 */
export function opPutMetricAlarm(
  model: CloudWatchModel,
  input: Record<string, unknown>,
  options: { arn?: string; provisioned?: boolean } = {},
): unknown {
  const name = required(input, "AlarmName");
  if (typeof name !== "string" || name.length > 255) invalid("AlarmName", name);
  const evaluationPeriods = asNumber(required(input, "EvaluationPeriods"));
  if (evaluationPeriods === undefined || !Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    invalid("EvaluationPeriods", input.EvaluationPeriods);
  const operator = asString(required(input, "ComparisonOperator"));
  if (!operator || !OPERATORS.includes(operator)) invalid("ComparisonOperator", input.ComparisonOperator);
  const datapointsToAlarm = asNumber(input.DatapointsToAlarm) ?? evaluationPeriods;
  if (
    !Number.isInteger(datapointsToAlarm) ||
    datapointsToAlarm < 1 ||
    datapointsToAlarm > evaluationPeriods
  ) {
    throw cloudWatchError(
      "InvalidParameterValueException",
      `DatapointsToAlarm (${String(input.DatapointsToAlarm)}) must be from 1 to EvaluationPeriods (${evaluationPeriods}).`,
    );
  }
  const treat = asString(input.TreatMissingData) ?? "missing";
  if (!TREAT_MISSING.includes(treat)) invalid("TreatMissingData", treat);
  const metricName = asString(input.MetricName);
  const namespace = asString(input.Namespace);
  const queries = Array.isArray(input.Metrics)
    ? (input.Metrics as Array<Record<string, unknown>>).map((query, i) => metricDataQuery(query, i + 1))
    : undefined;
  if (queries && queries.length > 0 && (metricName || namespace)) {
    throw cloudWatchError(
      "InvalidParameterCombinationException",
      "MetricName and Namespace cannot be specified together with Metrics.",
    );
  }
  if (!queries?.length && (!metricName || !namespace)) {
    throw cloudWatchError(
      "MissingRequiredParameterException",
      "Either MetricName and Namespace, or Metrics, must be specified.",
    );
  }
  const stat = asString(input.Statistic);
  const extended = asString(input.ExtendedStatistic);
  if (stat !== undefined && !(STATISTICS as readonly string[]).includes(stat)) invalid("Statistic", stat);
  if (metricName && stat === undefined && extended === undefined) {
    throw cloudWatchError(
      "MissingRequiredParameterException",
      "Either Statistic or ExtendedStatistic must be specified.",
    );
  }
  if (stat !== undefined && extended !== undefined) {
    throw cloudWatchError(
      "InvalidParameterCombinationException",
      "Statistic and ExtendedStatistic cannot be specified together.",
    );
  }
  const period = asNumber(input.Period) ?? queries?.find((query) => query.metric)?.metric?.period;
  if (metricName && (period === undefined || period < 1)) invalid("Period", input.Period);
  const threshold = asNumber(input.Threshold);
  if (threshold === undefined && !asString(input.ThresholdMetricId))
    throw cloudWatchError("MissingRequiredParameterException", "The parameter Threshold is required.");
  const now = Date.now();
  const tags: Record<string, string> = {};
  for (const tag of Array.isArray(input.Tags)
    ? (input.Tags as Array<{ Key?: unknown; Value?: unknown }>)
    : []) {
    if (typeof tag.Key === "string") tags[tag.Key] = String(tag.Value ?? "");
  }
  const alarm: Alarm = {
    name: name as string,
    arn:
      options.arn ?? `arn:aws:cloudwatch:${model.ctx.region}:${model.ctx.accountId}:alarm:${name as string}`,
    description: asString(input.AlarmDescription),
    metric:
      metricName && namespace
        ? { namespace, metricName, dimensions: asDimensions(input.Dimensions) }
        : undefined,
    statistic: stat,
    extendedStatistic: extended,
    unit: asString(input.Unit),
    period: period ?? 60,
    evaluationPeriods: evaluationPeriods as number,
    datapointsToAlarm,
    threshold: threshold ?? 0,
    comparisonOperator: operator as string,
    treatMissingData: treat as Alarm["treatMissingData"],
    alarmActions: asStringList(input.AlarmActions),
    okActions: asStringList(input.OKActions),
    insufficientDataActions: asStringList(input.InsufficientDataActions),
    actionsEnabled: input.ActionsEnabled !== false,
    metricQueries: queries?.length ? queries : undefined,
    state: "INSUFFICIENT_DATA",
    reason: "Unchecked: Initial alarm creation",
    updatedAt: now,
    transitionedAt: now,
    configuredAt: now,
    evaluated: false,
    history: [],
    lastValues: [],
    tags,
    provisioned: options.provisioned,
  };
  model.putAlarm(alarm);
  return {};
}

export function opDeleteAlarms(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const names = asStringList(input.AlarmNames);
  const missing = names.filter((name) => !model.alarmsByName.has(name));
  if (missing.length > 0) throw cloudWatchError("ResourceNotFound", `Alarm ${missing.join(", ")} not found`);
  for (const name of names) model.deleteAlarm(name);
  return {};
}

function setActions(model: CloudWatchModel, input: Record<string, unknown>, enabled: boolean): unknown {
  for (const name of asStringList(input.AlarmNames)) {
    const alarm = model.alarmsByName.get(name);
    if (!alarm) continue;
    alarm.actionsEnabled = enabled;
    model.recorded(alarm);
  }
  return {};
}

/** DescribeAlarmsForMetric: the alarms on exactly that metric (and statistic, period, unit when given). */
export function opDescribeAlarmsForMetric(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const metricName = asString(required(input, "MetricName"));
  const namespace = asString(required(input, "Namespace"));
  const dimensions = asDimensions(input.Dimensions);
  const key = seriesKey({ namespace: namespace ?? "", metricName: metricName ?? "", dimensions });
  const stat = asString(input.Statistic);
  const extended = asString(input.ExtendedStatistic);
  const period = asNumber(input.Period);
  const unit = asString(input.Unit);
  const alarms = [...model.alarmsByName.values()]
    .filter((alarm) => alarm.metric && seriesKey(alarm.metric) === key)
    .filter((alarm) => stat === undefined || alarm.statistic === stat)
    .filter((alarm) => extended === undefined || alarm.extendedStatistic === extended)
    .filter((alarm) => period === undefined || alarm.period === period)
    .filter((alarm) => unit === undefined || alarm.unit === unit)
    .sort((a, b) => a.name.localeCompare(b.name));
  return { MetricAlarms: alarms.map((alarm) => model.describeAlarm(alarm)) };
}

export function opDescribeAlarmHistory(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const name = asString(input.AlarmName);
  const type = asString(input.HistoryItemType);
  const items = [...model.alarmsByName.values()]
    .filter((alarm) => name === undefined || alarm.name === name)
    .flatMap((alarm) =>
      alarm.history.map((entry) => ({
        AlarmName: alarm.name,
        AlarmType: "MetricAlarm",
        Timestamp: entry.at / 1000,
        HistoryItemType: "StateUpdate",
        HistorySummary: `Alarm updated from ${entry.from} to ${entry.to}`,
        HistoryData: JSON.stringify({
          version: "1.0",
          oldState: { stateValue: entry.from },
          newState: { stateValue: entry.to, stateReason: entry.reason },
        }),
      })),
    )
    .filter((item) => type === undefined || item.HistoryItemType === type)
    .sort((a, b) =>
      asString(input.ScanBy) === "TimestampAscending" ? a.Timestamp - b.Timestamp : b.Timestamp - a.Timestamp,
    );
  const max = asNumber(input.MaxRecords) ?? 100;
  return { AlarmHistoryItems: items.slice(0, max) };
}

/**
 * GetMetricData: each MetricStat query's values per period from StartTime to EndTime (newest first
 * unless `ScanBy: TimestampAscending`); metric math expressions answer with an error status naming them.
 */
export function opGetMetricData(model: CloudWatchModel, input: Record<string, unknown>): unknown {
  const queries = Array.isArray(input.MetricDataQueries)
    ? (input.MetricDataQueries as Array<Record<string, unknown>>)
    : [];
  if (queries.length === 0) required(input, "MetricDataQueries");
  if (queries.length > 500) invalid("MetricDataQueries", `(${queries.length} queries)`);
  const start = parseTimestamp(required(input, "StartTime"));
  const end = parseTimestamp(required(input, "EndTime"));
  if (start === undefined) invalid("StartTime", input.StartTime);
  if (end === undefined) invalid("EndTime", input.EndTime);
  if ((end as number) <= (start as number))
    throw cloudWatchError(
      "InvalidParameterValueException",
      "The parameter StartTime must be less than the parameter EndTime.",
    );
  const ascending = asString(input.ScanBy) === "TimestampAscending";
  const results = queries
    .map((raw, index) => ({ raw, query: metricDataQuery(raw, index + 1) }))
    .filter(({ query }) => query.returnData !== false)
    .map(({ query }) => {
      if (!query.metric) {
        return {
          Id: query.id,
          Label: query.label ?? query.id,
          Timestamps: [],
          Values: [],
          StatusCode: "InternalError",
          Messages: [
            { Code: "Unsupported", Value: `Metric math (${query.expression}) is not evaluated locally.` },
          ],
        };
      }
      const metric = query.metric;
      const periodMs = metric.period * 1000;
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let from = start as number; from < (end as number); from += periodMs) {
        const points = model.pointsIn(
          metric,
          from - 1,
          Math.min(from + periodMs, end as number) - 1,
          metric.unit,
        );
        const value = statistic(points, metric.stat);
        if (value === undefined) continue;
        timestamps.push(from / 1000);
        values.push(value);
      }
      if (!ascending) {
        timestamps.reverse();
        values.reverse();
      }
      return {
        Id: query.id,
        Label: query.label ?? metric.metricName,
        Timestamps: timestamps,
        Values: values,
        StatusCode: "Complete",
      };
    });
  return { MetricDataResults: results, Messages: [] };
}

function alarmByArn(model: CloudWatchModel, arn: unknown): Alarm {
  const alarm = [...model.alarmsByName.values()].find((candidate) => candidate.arn === arn);
  if (!alarm)
    throw cloudWatchError("ResourceNotFoundException", `The resource ${String(arn)} does not exist.`);
  return alarm;
}

type Operation = (model: CloudWatchModel, input: Record<string, unknown>) => unknown;

/** Every operation the local CloudWatch serves, by name. */
export const OPERATIONS: Record<string, Operation> = {
  PutMetricData: opPutMetricData,
  ListMetrics: opListMetrics,
  GetMetricStatistics: opGetMetricStatistics,
  GetMetricData: opGetMetricData,
  PutMetricAlarm: (model, input) => opPutMetricAlarm(model, input),
  DescribeAlarms: opDescribeAlarms,
  DescribeAlarmsForMetric: opDescribeAlarmsForMetric,
  DescribeAlarmHistory: opDescribeAlarmHistory,
  SetAlarmState: opSetAlarmState,
  DeleteAlarms: opDeleteAlarms,
  EnableAlarmActions: (model, input) => setActions(model, input, true),
  DisableAlarmActions: (model, input) => setActions(model, input, false),
  ListTagsForResource: (model, input) => ({
    Tags: Object.entries(alarmByArn(model, input.ResourceARN).tags).map(([Key, Value]) => ({ Key, Value })),
  }),
  TagResource: (model, input) => {
    const alarm = alarmByArn(model, input.ResourceARN);
    for (const tag of Array.isArray(input.Tags)
      ? (input.Tags as Array<{ Key?: unknown; Value?: unknown }>)
      : []) {
      if (typeof tag.Key === "string") alarm.tags[tag.Key] = String(tag.Value ?? "");
    }
    model.recorded(alarm);
    return {};
  },
  UntagResource: (model, input) => {
    const alarm = alarmByArn(model, input.ResourceARN);
    for (const key of asStringList(input.TagKeys)) delete alarm.tags[key];
    model.recorded(alarm);
    return {};
  },
};
