import { type LocalResource, LocalServiceError } from "../../types";
import { opPutMetricAlarm } from "./api";
import { asString, type CloudWatchModel } from "./model";

/**
 * Provisioning: the program's `aws:cloudwatch/metricAlarm:MetricAlarm` resources turned into the same
 * PutMetricAlarm call the API serves (one validation path); dashboards recorded for the admin view;
 * composite alarms recorded but not evaluated (said once).
 */
export function provision(model: CloudWatchModel, resource: LocalResource): void {
  const inputs = (resource.inputs ?? {}) as Record<string, unknown>;
  const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
  if (resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm") {
    const name = asString(outputs.name) ?? asString(inputs.name) ?? resource.name;
    try {
      opPutMetricAlarm(model, putMetricAlarmInput(name, inputs), {
        arn: asString(outputs.arn),
        provisioned: true,
      });
    } catch (error) {
      if (error instanceof LocalServiceError) {
        throw new Error(`${resource.type} ${resource.name}: ${error.code}: ${error.message}`);
      }
      throw error;
    }
  } else if (resource.type === "aws:cloudwatch/dashboard:Dashboard") {
    const name = asString(outputs.dashboardName) ?? asString(inputs.dashboardName) ?? resource.name;
    model.dashboards.set(
      name,
      typeof inputs.dashboardBody === "string"
        ? inputs.dashboardBody
        : JSON.stringify(inputs.dashboardBody ?? {}),
    );
  } else if (resource.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm") {
    model.ctx.log.warn(`cloudwatch: composite alarm ${resource.name} is recorded but not evaluated locally`);
  }
}

/** Pulumi's `dimensions` map as the API's `[{ Name, Value }]`. */
function dimensions(value: unknown): Array<{ Name: string; Value: string }> | undefined {
  if (!value || typeof value !== "object") return undefined;
  return Object.entries(value as Record<string, unknown>).map(([Name, item]) => ({
    Name,
    Value: String(item),
  }));
}

/** The PutMetricAlarm input of a `MetricAlarm` resource's inputs (Pulumi's camelCase names). */
export function putMetricAlarmInput(name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const queries = Array.isArray(inputs.metricQueries)
    ? (inputs.metricQueries as Array<Record<string, unknown>>).map((query) => {
        const metric = query.metric as Record<string, unknown> | undefined;
        return {
          Id: query.id,
          Expression: query.expression,
          Label: query.label,
          ReturnData: query.returnData,
          Period: query.period,
          AccountId: query.accountId,
          MetricStat: metric
            ? {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.metricName,
                  Dimensions: dimensions(metric.dimensions),
                },
                Period: metric.period,
                Stat: metric.stat,
                Unit: metric.unit,
              }
            : undefined,
        };
      })
    : undefined;
  return {
    AlarmName: name,
    AlarmDescription: inputs.alarmDescription,
    ActionsEnabled: inputs.actionsEnabled,
    OKActions: inputs.okActions,
    AlarmActions: inputs.alarmActions,
    InsufficientDataActions: inputs.insufficientDataActions,
    MetricName: inputs.metricName,
    Namespace: inputs.namespace,
    Statistic: inputs.statistic,
    ExtendedStatistic: inputs.extendedStatistic,
    Dimensions: dimensions(inputs.dimensions),
    Period: inputs.period,
    Unit: inputs.unit,
    EvaluationPeriods: inputs.evaluationPeriods,
    DatapointsToAlarm: inputs.datapointsToAlarm,
    Threshold: inputs.threshold,
    ComparisonOperator: inputs.comparisonOperator,
    TreatMissingData: inputs.treatMissingData,
    EvaluateLowSampleCountPercentile: inputs.evaluateLowSampleCountPercentiles,
    ThresholdMetricId: inputs.thresholdMetricId,
    Metrics: queries,
    Tags: inputs.tags
      ? Object.entries(inputs.tags as Record<string, unknown>).map(([Key, Value]) => ({
          Key,
          Value: String(Value),
        }))
      : undefined,
  };
}
