import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createCloudWatch } from "../src/services/cloudwatch";
import { decodeCbor, encodeCbor } from "../src/wire/cbor";
import { aws, awsOk, boto3, requireClients } from "./clients";

/**
 * CloudWatch through the clients that speak its query protocol (Debian's AWS CLI 2.9 and boto3 1.26),
 * and the Smithy RPC v2 CBOR protocol current botocore sends. SDK v3 (AWS JSON 1.0) is in
 * cloudwatch.test.ts.
 */

let engine: Engine;
let endpoint: string;
const iso = (offsetSeconds: number): string => new Date(Date.now() + offsetSeconds * 1000).toISOString();

beforeAll(async () => {
  await requireClients();
  engine = await Engine.listen({
    emulators: { cloudwatch: (ctx) => createCloudWatch(ctx, { evaluateEveryMs: 60_000 }) },
  });
  await engine.provision([]);
  endpoint = engine.endpoint;
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

describe("CloudWatch with Debian's AWS CLI 2.9 (query protocol)", () => {
  it("puts and reads metrics, creates, describes and sets alarms", async () => {
    const dims = "Name=FunctionName,Value=orders-handler";
    await awsOk(
      endpoint,
      "cloudwatch",
      "put-metric-data",
      "--namespace",
      "Switchyard/Orders",
      "--metric-data",
      JSON.stringify([
        {
          MetricName: "Failures",
          Dimensions: [{ Name: "FunctionName", Value: "orders-handler" }],
          Value: 2,
          Unit: "Count",
        },
        {
          MetricName: "Failures",
          Dimensions: [{ Name: "FunctionName", Value: "orders-handler" }],
          Values: [1, 4],
          Counts: [1, 2],
          Unit: "Count",
        },
      ]),
    );
    await awsOk(
      endpoint,
      "cloudwatch",
      "put-metric-alarm",
      "--alarm-name",
      "orders-failures",
      "--alarm-description",
      "Orders are failing",
      "--namespace",
      "Switchyard/Orders",
      "--metric-name",
      "Failures",
      "--dimensions",
      dims,
      "--statistic",
      "Sum",
      "--period",
      "60",
      "--evaluation-periods",
      "1",
      "--threshold",
      "5",
      "--comparison-operator",
      "GreaterThanOrEqualToThreshold",
      "--treat-missing-data",
      "notBreaching",
    );
    const [metrics, stats, data, described, forMetric] = await Promise.all([
      awsOk(endpoint, "cloudwatch", "list-metrics", "--namespace", "Switchyard/Orders"),
      awsOk(
        endpoint,
        "cloudwatch",
        "get-metric-statistics",
        "--namespace",
        "Switchyard/Orders",
        "--metric-name",
        "Failures",
        "--dimensions",
        dims,
        "--start-time",
        iso(-600),
        "--end-time",
        iso(60),
        "--period",
        "3600",
        "--statistics",
        "Sum",
        "SampleCount",
        "Maximum",
      ),
      awsOk(
        endpoint,
        "cloudwatch",
        "get-metric-data",
        "--start-time",
        iso(-600),
        "--end-time",
        iso(60),
        "--metric-data-queries",
        JSON.stringify([
          {
            Id: "failures",
            MetricStat: {
              Metric: {
                Namespace: "Switchyard/Orders",
                MetricName: "Failures",
                Dimensions: [{ Name: "FunctionName", Value: "orders-handler" }],
              },
              Period: 3600,
              Stat: "Sum",
            },
          },
        ]),
      ),
      awsOk(endpoint, "cloudwatch", "describe-alarms", "--alarm-names", "orders-failures"),
      awsOk(
        endpoint,
        "cloudwatch",
        "describe-alarms-for-metric",
        "--namespace",
        "Switchyard/Orders",
        "--metric-name",
        "Failures",
        "--dimensions",
        dims,
      ),
    ]);
    expect(metrics.Metrics).toEqual([
      {
        Namespace: "Switchyard/Orders",
        MetricName: "Failures",
        Dimensions: [{ Name: "FunctionName", Value: "orders-handler" }],
      },
    ]);
    expect(stats.Label).toBe("Failures");
    expect(stats.Datapoints).toHaveLength(1);
    expect(stats.Datapoints[0]).toMatchObject({ Sum: 11, SampleCount: 4, Maximum: 4, Unit: "Count" });
    expect(stats.Datapoints[0].Timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(data.MetricDataResults).toEqual([
      expect.objectContaining({ Id: "failures", Label: "Failures", Values: [11], StatusCode: "Complete" }),
    ]);
    const alarm = described.MetricAlarms[0];
    expect(alarm).toMatchObject({
      AlarmName: "orders-failures",
      AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-failures",
      AlarmDescription: "Orders are failing",
      StateValue: "INSUFFICIENT_DATA",
      Namespace: "Switchyard/Orders",
      Statistic: "Sum",
      Period: 60,
      Threshold: 5,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      Dimensions: [{ Name: "FunctionName", Value: "orders-handler" }],
      OKActions: [],
      AlarmActions: [],
    });
    expect(alarm.StateUpdatedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(described.CompositeAlarms).toEqual([]);
    expect(forMetric.MetricAlarms.map((item: { AlarmName: string }) => item.AlarmName)).toEqual([
      "orders-failures",
    ]);

    await awsOk(
      endpoint,
      "cloudwatch",
      "set-alarm-state",
      "--alarm-name",
      "orders-failures",
      "--state-value",
      "ALARM",
      "--state-reason",
      "drill",
    );
    const inAlarm = await awsOk(endpoint, "cloudwatch", "describe-alarms", "--state-value", "ALARM");
    expect(inAlarm.MetricAlarms).toEqual([
      expect.objectContaining({ AlarmName: "orders-failures", StateReason: "drill" }),
    ]);

    const missing = await aws(
      endpoint,
      "cloudwatch",
      "set-alarm-state",
      "--alarm-name",
      "nope",
      "--state-value",
      "OK",
      "--state-reason",
      "x",
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("(ResourceNotFound)");
    expect(missing.stderr).toContain("Alarm nope not found");

    const unsupported = await aws(endpoint, "cloudwatch", "delete-dashboards", "--dashboard-names", "x");
    expect(unsupported.code).not.toBe(0);
    expect(unsupported.stderr).toContain("DeleteDashboards");
  }, 240_000);
});

describe("CloudWatch with boto3 1.26 (query protocol)", () => {
  it("returns AWS's types (datetimes, floats) and the modelled errors", async () => {
    const out = await boto3(
      endpoint,
      `
cw = client("cloudwatch")
out["protocol"] = cw.meta.service_model.protocol
now = datetime.datetime.now(datetime.timezone.utc)
cw.put_metric_data(Namespace="Py/App", MetricData=[{"MetricName": "Latency", "Value": 120.5, "Unit": "Milliseconds", "Timestamp": now,
    "Dimensions": [{"Name": "Route", "Value": "/orders"}]}])
cw.put_metric_alarm(AlarmName="py-latency", MetricName="Latency", Namespace="Py/App", Statistic="Maximum",
    Dimensions=[{"Name": "Route", "Value": "/orders"}], Period=60, EvaluationPeriods=2, DatapointsToAlarm=1,
    Threshold=100.0, ComparisonOperator="GreaterThanThreshold", AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops"],
    Tags=[{"Key": "team", "Value": "platform"}])
out["alarms"] = cw.describe_alarms(AlarmNamePrefix="py-")["MetricAlarms"]
out["stats"] = cw.get_metric_statistics(Namespace="Py/App", MetricName="Latency", Dimensions=[{"Name": "Route", "Value": "/orders"}],
    StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=1), Period=360, Statistics=["Average"],
    ExtendedStatistics=["p99"])["Datapoints"]
out["tags"] = cw.list_tags_for_resource(ResourceARN=out["alarms"][0]["AlarmArn"])["Tags"]
out["invalid"] = error_of(lambda: cw.put_metric_alarm(AlarmName="bad", MetricName="m", Namespace="n", Statistic="Median",
    Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold"))
out["missing"] = error_of(lambda: cw.delete_alarms(AlarmNames=["nope"]))
cw.delete_alarms(AlarmNames=["py-latency"])
out["after_delete"] = cw.describe_alarms(AlarmNamePrefix="py-")["MetricAlarms"]
`,
    );
    expect(out.protocol).toBe("query");
    expect(out.alarms).toHaveLength(1);
    expect(out.alarms[0]).toMatchObject({
      AlarmName: "py-latency",
      Threshold: 100,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      AlarmActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
      ActionsEnabled: true,
    });
    expect(out.alarms[0].StateUpdatedTimestamp).toMatch(/^dt:\d{4}-/);
    expect(out.alarms[0].AlarmConfigurationUpdatedTimestamp).toMatch(/^dt:\d{4}-/);
    expect(out.stats).toEqual([
      expect.objectContaining({ Average: 120.5, ExtendedStatistics: { p99: 120.5 }, Unit: "Milliseconds" }),
    ]);
    expect(out.stats[0].Timestamp).toMatch(/^dt:/);
    expect(out.tags).toEqual([{ Key: "team", Value: "platform" }]);
    expect(out.invalid).toMatchObject({ code: "InvalidParameterValue", status: 400 });
    expect(out.invalid.message).toContain("Statistic");
    expect(out.missing).toMatchObject({ code: "ResourceNotFound", status: 404 });
    expect(out.after_delete).toEqual([]);
  }, 120_000);
});

describe("CloudWatch over Smithy RPC v2 CBOR (current botocore)", () => {
  const call = async (operation: string, input: unknown) => {
    const response = await fetch(`${endpoint}/service/GraniteServiceVersion20100801/operation/${operation}`, {
      method: "POST",
      headers: {
        "smithy-protocol": "rpc-v2-cbor",
        "content-type": "application/cbor",
        accept: "application/cbor",
        authorization:
          "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: encodeCbor(input),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: decodeCbor(new Uint8Array(await response.arrayBuffer())) as Record<string, unknown>,
    };
  };

  it("answers in CBOR with epoch-time tags, and errors with __type and the query code", async () => {
    const put = await call("PutMetricAlarm", {
      AlarmName: "cbor-alarm",
      Namespace: "Cbor/App",
      MetricName: "Errors",
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1.5,
      ComparisonOperator: "GreaterThanThreshold",
    });
    expect(put.status).toBe(200);
    expect(put.headers.get("smithy-protocol")).toBe("rpc-v2-cbor");
    const described = await call("DescribeAlarms", { AlarmNames: ["cbor-alarm"] });
    expect(described.status).toBe(200);
    const alarms = described.body.MetricAlarms as Array<Record<string, unknown>>;
    expect(alarms[0]).toMatchObject({
      AlarmName: "cbor-alarm",
      Threshold: 1.5,
      StateValue: "INSUFFICIENT_DATA",
    });
    expect(typeof alarms[0]?.StateUpdatedTimestamp).toBe("number");

    const missing = await call("SetAlarmState", { AlarmName: "nope", StateValue: "OK", StateReason: "x" });
    expect(missing.status).toBe(404);
    expect(missing.body.__type).toBe("com.amazonaws.cloudwatch#ResourceNotFound");
    expect(missing.headers.get("x-amzn-query-error")).toBe("ResourceNotFound;Sender");

    const unknown = await call("PutInsightRule", {});
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.message)).toContain("PutInsightRule");
  });
});
