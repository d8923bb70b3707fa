import { randomUUID } from "node:crypto";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListMetricsCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createCloudWatch } from "../src/services/cloudwatch";
import { createSqs } from "../src/services/sqs";
import type { CloudWatchEngine, LocalContext, LocalResource, ServiceEmulator, SnsEngine } from "../src/types";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const OPS_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:switchyard-alarms-ops-topic`;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

interface Published {
  topicArn: string;
  message: string;
  subject?: string;
}

/** A stand-in SNS that records what is published to it. */
function fakeSns(published: Published[]): (ctx: LocalContext) => ServiceEmulator & SnsEngine {
  return () => ({
    signingNames: ["sns"],
    provision: () => undefined,
    handle: (_req, res) => {
      res.writeHead(501);
      res.end();
    },
    hasTopic: () => true,
    publish: (topicArn, input) => {
      published.push({ topicArn, message: input.message, subject: input.subject });
      return { messageId: randomUUID() };
    },
    outbox: () => [],
  });
}

function queue(name: string, inputs: Record<string, unknown> = {}): LocalResource {
  const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  return {
    type: "aws:sqs/queue:Queue",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue$aws:sqs/queue:Queue::${name}`,
    parentUrn: "urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue::test",
    custom: true,
    inputs: {
      maxMessageSize: 1048576,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
      ...inputs,
    },
    outputs: { name, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, url },
    id: url,
  } as LocalResource;
}

/** An `aws:cloudwatch/metricAlarm:MetricAlarm` shaped like the dev stack's. */
function alarm(name: string, inputs: Record<string, unknown>): LocalResource {
  return {
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    name,
    urn: `urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue$aws:cloudwatch/metricAlarm:MetricAlarm::${name}`,
    parentUrn: "urn:pulumi:dev::switchyard::switchyard:kit:ReliableQueue::test",
    custom: true,
    inputs: {
      alarmActions: [OPS_TOPIC],
      okActions: [OPS_TOPIC],
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      ...inputs,
    },
    outputs: { name, arn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}` },
    id: name,
  } as LocalResource;
}

const RESOURCES: LocalResource[] = [
  queue("sends-dlq"),
  queue("sends-queue", {
    visibilityTimeoutSeconds: 180,
    redrivePolicy: JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:sends-dlq`,
      maxReceiveCount: 1,
    }),
  }),
  alarm("sends-dlq-alarm", {
    alarmDescription: "sends: messages in the dead-letter queue. Inspect them, fix the cause, then redrive.",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    dimensions: { QueueName: "sends-dlq" },
    metricName: "ApproximateNumberOfMessagesVisible",
    namespace: "AWS/SQS",
    period: 60,
    statistic: "Maximum",
    threshold: 1,
  }),
  alarm("sms-throttled-alarm", {
    alarmDescription: "sms: the provider throttled 100+ messages in 5 minutes.",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    dimensions: { lane: "de-bulk", service: "sms" },
    metricName: "MessagesThrottled",
    namespace: "Switchyard",
    period: 300,
    statistic: "Sum",
    threshold: 100,
  }),
  {
    type: "aws:cloudwatch/dashboard:Dashboard",
    name: "sms-throttle-dashboard",
    urn: "urn:pulumi:dev::switchyard::switchyard:sms-throttle:SmsThrottle$aws:cloudwatch/dashboard:Dashboard::sms-throttle-dashboard",
    parentUrn: "urn:pulumi:dev::switchyard::switchyard:sms-throttle:SmsThrottle::sms-throttle",
    custom: true,
    inputs: { dashboardName: "sms-throttle-dashboard", dashboardBody: JSON.stringify({ widgets: [] }) },
    outputs: { dashboardName: "sms-throttle-dashboard" },
    id: "sms-throttle-dashboard",
  } as LocalResource,
];

/** One second of an alarm period lasts 2 ms: a 60 s period is a 120 ms window. */
const MS_PER_SECOND = 2;

const published: Published[] = [];
let engine: Engine;
let cloudwatch: CloudWatchEngine;
let cw: CloudWatchClient;
let sqs: SQSClient;

beforeAll(async () => {
  engine = await Engine.listen({
    emulators: {
      sqs: (ctx) => createSqs(ctx, { purgeCooldownSeconds: 0 }),
      sns: fakeSns(published),
      // A long timer: these tests call evaluate() themselves.
      cloudwatch: (ctx) => createCloudWatch(ctx, { evaluateEveryMs: 60_000, msPerSecond: MS_PER_SECOND }),
    },
  });
  await engine.provision(RESOURCES);
  cloudwatch = engine.emulator("cloudwatch") as unknown as CloudWatchEngine;
  cw = new CloudWatchClient({ endpoint: engine.endpoint, region: REGION, credentials });
  sqs = new SQSClient({ endpoint: engine.endpoint, region: REGION, credentials });
});

afterAll(async () => {
  cw.destroy();
  sqs.destroy();
  await engine.close();
});

beforeEach(() => {
  published.length = 0;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const stateOf = (name: string): string | undefined =>
  cloudwatch.alarms().find((entry) => entry.name === name)?.state;
const notifications = (): Array<Record<string, unknown>> =>
  published.map((entry) => JSON.parse(entry.message) as Record<string, unknown>);

describe("alarms on SQS metrics", () => {
  it("a DLQ alarm fires once when redrive lands a message in the DLQ and returns to OK when it is purged", async () => {
    expect(stateOf("sends-dlq-alarm")).toBe("INSUFFICIENT_DATA");
    cloudwatch.evaluate();
    expect(stateOf("sends-dlq-alarm")).toBe("OK");
    // Like AWS, leaving INSUFFICIENT_DATA for OK runs the OK actions.
    expect(notifications().filter((entry) => entry.AlarmName === "sends-dlq-alarm")).toEqual([
      expect.objectContaining({ NewStateValue: "OK", OldStateValue: "INSUFFICIENT_DATA" }),
    ]);
    published.length = 0;

    const url = `${engine.endpoint}/${ACCOUNT}/sends-queue`;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "undeliverable" }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    cloudwatch.evaluate();
    expect(stateOf("sends-dlq-alarm")).toBe("OK");
    // maxReceiveCount 1: the second receive moves it to the DLQ.
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    expect(second.Messages).toBeUndefined();

    cloudwatch.evaluate();
    cloudwatch.evaluate();
    cloudwatch.evaluate();
    expect(stateOf("sends-dlq-alarm")).toBe("ALARM");
    expect(published).toHaveLength(1);
    const [alarmPublish] = published;
    expect(alarmPublish?.topicArn).toBe(OPS_TOPIC);
    expect(alarmPublish?.subject).toBe('ALARM: "sends-dlq-alarm" in US East (N. Virginia)');
    const notification = JSON.parse(alarmPublish?.message ?? "{}") as Record<string, unknown>;
    expect(notification).toMatchObject({
      AlarmName: "sends-dlq-alarm",
      AlarmDescription:
        "sends: messages in the dead-letter queue. Inspect them, fix the cause, then redrive.",
      AWSAccountId: ACCOUNT,
      NewStateValue: "ALARM",
      OldStateValue: "OK",
      Region: "US East (N. Virginia)",
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:sends-dlq-alarm`,
      Trigger: {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        StatisticType: "Statistic",
        Statistic: "MAXIMUM",
        Dimensions: [{ value: "sends-dlq", name: "QueueName" }],
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
        TreatMissingData: "notBreaching",
      },
    });
    expect(notification.NewStateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[1\.0 \(.+\)\] was greater than or equal to the threshold \(1\.0\)/,
    );
    expect(notification.StateChangeTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    const described = await cw.send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));
    expect(described.MetricAlarms?.map((entry) => entry.AlarmName)).toEqual(["sends-dlq-alarm"]);
    expect(described.MetricAlarms?.[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);

    await sqs.send(new PurgeQueueCommand({ QueueUrl: `${engine.endpoint}/${ACCOUNT}/sends-dlq` }));
    // The maximum over the last period still sees the message until the period has passed.
    await sleep(60 * MS_PER_SECOND + 20);
    cloudwatch.evaluate();
    expect(stateOf("sends-dlq-alarm")).toBe("OK");
    expect(notifications().map((entry) => [entry.NewStateValue, entry.OldStateValue])).toEqual([
      ["ALARM", "OK"],
      ["OK", "ALARM"],
    ]);
    expect(published[1]?.subject).toBe('OK: "sends-dlq-alarm" in US East (N. Virginia)');
  });
});

describe("custom metrics", () => {
  it("sums Embedded Metric Format lines and PutMetricData over the alarm's period", async () => {
    const emf = (lane: string, value: number): string =>
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: "Switchyard",
              Dimensions: [["service", "lane"]],
              Metrics: [{ Name: "MessagesThrottled", Unit: "Count" }],
            },
          ],
        },
        service: "sms",
        lane,
        MessagesThrottled: value,
      });
    cloudwatch.evaluate();
    published.length = 0;
    expect(stateOf("sms-throttled-alarm")).toBe("OK");

    cloudwatch.ingestLogLine(emf("de-bulk", 60));
    // Another dimension set is another metric.
    cloudwatch.ingestLogLine(emf("other", 500));
    // The Lambda text log format prefixes the JSON.
    cloudwatch.ingestLogLine(`2024-05-01T10:00:00.000Z\t${randomUUID()}\tINFO\t${emf("de-bulk", 20)}`);
    cloudwatch.ingestLogLine("not json at all");
    cloudwatch.evaluate();
    expect(stateOf("sms-throttled-alarm")).toBe("OK");

    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Switchyard",
        MetricData: [
          {
            MetricName: "MessagesThrottled",
            Unit: "Count",
            Value: 20,
            Dimensions: [
              { Name: "service", Value: "sms" },
              { Name: "lane", Value: "de-bulk" },
            ],
          },
        ],
      }),
    );
    cloudwatch.evaluate();
    expect(stateOf("sms-throttled-alarm")).toBe("ALARM");
    const [notification] = notifications();
    expect(notification).toMatchObject({ AlarmName: "sms-throttled-alarm", NewStateValue: "ALARM" });
    expect(notification?.NewStateReason).toContain("[100.0 (");

    const listed = await cw.send(
      new ListMetricsCommand({ Namespace: "Switchyard", MetricName: "MessagesThrottled" }),
    );
    expect(listed.Metrics).toHaveLength(2);

    // The period (300 ms here) passes with no data: missing data is not breaching.
    await sleep(300 * MS_PER_SECOND + 20);
    cloudwatch.evaluate();
    expect(stateOf("sms-throttled-alarm")).toBe("OK");
    expect(cloudwatch.alarms().find((entry) => entry.name === "sms-throttled-alarm")?.reason).toContain(
      "[NonBreaching]",
    );
  });

  it("accepts gzip-compressed PutMetricData and serves GetMetricStatistics", async () => {
    // Force the SDK's request compression (normally from 10 KB up).
    const gzipClient = new CloudWatchClient({
      endpoint: engine.endpoint,
      region: REGION,
      credentials,
      requestMinCompressionSizeBytes: 1,
    });
    const start = new Date(Date.now() - 60_000);
    await gzipClient.send(
      new PutMetricDataCommand({
        Namespace: "Switchyard/Test",
        MetricData: [
          { MetricName: "Latency", Values: [10, 20, 30], Counts: [1, 1, 2], Unit: "Milliseconds" },
          {
            MetricName: "Latency",
            StatisticValues: { SampleCount: 2, Sum: 50, Minimum: 5, Maximum: 45 },
            Unit: "Milliseconds",
          },
        ],
      }),
    );
    gzipClient.destroy();
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Switchyard/Test",
        MetricName: "Latency",
        StartTime: start,
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: ["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
      }),
    );
    expect(stats.Datapoints).toHaveLength(1);
    expect(stats.Datapoints?.[0]).toMatchObject({
      Sum: 140,
      SampleCount: 6,
      Minimum: 5,
      Maximum: 45,
      Unit: "Milliseconds",
    });
    expect(stats.Datapoints?.[0]?.Average).toBeCloseTo(140 / 6);
  });

  it("answers invalid requests with CloudWatch's exception classes", async () => {
    await expect(
      cw.send(
        new PutMetricDataCommand({ Namespace: "AWS/SQS", MetricData: [{ MetricName: "x", Value: 1 }] }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(
      cw.send(
        new PutMetricDataCommand({
          Namespace: "Switchyard",
          MetricData: [{ MetricName: "x", Value: 1, Values: [1] }],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(
      cw.send(new DescribeAlarmsCommand({ AlarmNames: ["a"], AlarmNamePrefix: "a" })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(
      cw.send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "ALARM", StateReason: "test" })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
  });

  it("SetAlarmState runs the new state's actions; DescribeAlarms filters by name", async () => {
    cloudwatch.evaluate();
    published.length = 0;
    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: "sms-throttled-alarm",
        StateValue: "ALARM",
        StateReason: "drill",
      }),
    );
    expect(notifications()).toEqual([
      expect.objectContaining({
        AlarmName: "sms-throttled-alarm",
        NewStateValue: "ALARM",
        NewStateReason: "drill",
      }),
    ]);
    const described = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["sms-throttled-alarm"] }));
    expect(described.MetricAlarms).toHaveLength(1);
    expect(described.MetricAlarms?.[0]).toMatchObject({
      AlarmName: "sms-throttled-alarm",
      StateValue: "ALARM",
      StateReason: "drill",
      Namespace: "Switchyard",
      MetricName: "MessagesThrottled",
      Statistic: "Sum",
      Period: 300,
      Threshold: 100,
      OKActions: [OPS_TOPIC],
      Dimensions: [
        { Name: "lane", Value: "de-bulk" },
        { Name: "service", Value: "sms" },
      ],
    });
    // The next evaluation puts it back where the data says.
    cloudwatch.evaluate();
    expect(stateOf("sms-throttled-alarm")).toBe("OK");
  });

  it("serves the admin views", async () => {
    const alarms = (await (await fetch(`${engine.endpoint}/_local/cloudwatch/alarms`)).json()) as Array<
      Record<string, unknown>
    >;
    expect(alarms.map((entry) => entry.name).sort()).toEqual(["sends-dlq-alarm", "sms-throttled-alarm"]);
    expect(alarms[0]).toHaveProperty("history");
    const metrics = (await (
      await fetch(`${engine.endpoint}/_local/cloudwatch/metrics?namespace=AWS/SQS`)
    ).json()) as Array<Record<string, unknown>>;
    expect(metrics).toEqual([
      expect.objectContaining({
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "sends-dlq" },
      }),
    ]);
  });
});

describe("the evaluation timer", () => {
  it("evaluates on its own and stops with the engine", async () => {
    const seen: Published[] = [];
    const timed = await Engine.listen({
      emulators: {
        sqs: createSqs,
        sns: fakeSns(seen),
        cloudwatch: (ctx) =>
          createCloudWatch(ctx, { evaluateEveryMs: 10, msPerSecond: 1, notifyInitialOk: false }),
      },
    });
    try {
      await timed.provision(RESOURCES);
      const client = new SQSClient({ endpoint: timed.endpoint, region: REGION, credentials });
      await client.send(
        new SendMessageCommand({ QueueUrl: `${timed.endpoint}/${ACCOUNT}/sends-dlq`, MessageBody: "dead" }),
      );
      client.destroy();
      const engineView = timed.emulator("cloudwatch") as unknown as CloudWatchEngine;
      for (
        let i = 0;
        i < 200 && engineView.alarms().find((entry) => entry.name === "sends-dlq-alarm")?.state !== "ALARM";
        i += 1
      ) {
        await sleep(10);
      }
      expect(engineView.alarms().find((entry) => entry.name === "sends-dlq-alarm")?.state).toBe("ALARM");
      // notifyInitialOk: false skipped the first OK notifications; the ALARM one went out.
      expect(seen.map((entry) => JSON.parse(entry.message).NewStateValue)).toEqual(["ALARM"]);
    } finally {
      await timed.close();
    }
  });
});
