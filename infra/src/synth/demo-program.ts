/**
 * A small but realistic Pulumi program for exercising the synth tool without the real root program
 * (the synth tests run it). It reads its own config, so run it against a project folder whose stack
 * file sets it: `pnpm synth -- --root <dir> --stack <name> --program infra/src/synth/demo-program.ts`.
 *
 * Config (namespace = project): `maxReceiveCount` (integer 1-1000, required), `alarmEmail` (required),
 * `apiToken` (optional secret).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Same contract as the real config module's error: `name` "ConfigError", one-line message. */
export class DemoConfigError extends Error {
  override name = "ConfigError";
}

export interface DemoThingArgs {
  maxReceiveCount: number;
}

/** An order pipeline: publisher -> topic -> filtered queue (with DLQ) -> consumer; bucket and bus feeds. */
export class DemoThing extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly queue: aws.sqs.Queue;
  readonly dlq: aws.sqs.Queue;
  readonly consumer: aws.lambda.Function;

  constructor(name: string, args: DemoThingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:demo:Thing", name, {}, opts);
    const parent = { parent: this };
    this.topic = new aws.sns.Topic(`${name}-events`, {}, parent);
    this.dlq = new aws.sqs.Queue(`${name}-dlq`, { messageRetentionSeconds: 1_209_600 }, parent);
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        visibilityTimeoutSeconds: 60,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.dlq.arn,
          maxReceiveCount: args.maxReceiveCount,
        }),
      },
      parent,
    );
    new aws.sns.TopicSubscription(
      `${name}-big-orders`,
      {
        topic: this.topic.arn,
        protocol: "sqs",
        endpoint: this.queue.arn,
        rawMessageDelivery: true,
        filterPolicy: JSON.stringify({
          eventType: ["ORDER_CREATED", "ORDER_CANCELLED"],
          orderValue: [{ numeric: [">", 1000] }],
        }),
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: this.dlq.arn }),
      },
      parent,
    );

    const assumeRolePolicy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    const code = new pulumi.asset.AssetArchive({
      "index.mjs": new pulumi.asset.StringAsset("export const handler = async () => ({});"),
    });
    const lambda = (fn: string) => {
      const role = new aws.iam.Role(`${name}-${fn}-role`, { assumeRolePolicy }, parent);
      const created = new aws.lambda.Function(
        `${name}-${fn}`,
        { role: role.arn, runtime: "nodejs20.x", handler: "index.handler", code },
        parent,
      );
      return { role, fn: created };
    };
    this.consumer = lambda("consumer").fn;
    const publisher = lambda("publisher");
    new aws.iam.RolePolicy(
      `${name}-publish`,
      {
        role: publisher.role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["sns:Publish"], Resource: [this.topic.arn] }],
        }),
      },
      parent,
    );
    new aws.lambda.EventSourceMapping(
      `${name}-consumer-mapping`,
      {
        eventSourceArn: this.queue.arn,
        functionName: this.consumer.arn,
        batchSize: 10,
        scalingConfig: { maximumConcurrency: 5 },
        functionResponseTypes: ["ReportBatchItemFailures"],
      },
      parent,
    );

    const bucket = new aws.s3.Bucket(`${name}-uploads`, {}, parent);
    new aws.s3.BucketNotification(
      `${name}-uploads-notifications`,
      {
        bucket: bucket.bucket,
        topics: [
          {
            topicArn: this.topic.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: "incoming/",
            filterSuffix: ".json",
          },
        ],
      },
      parent,
    );

    const bus = new aws.cloudwatch.EventBus(`${name}-bus`, {}, parent);
    const rule = new aws.cloudwatch.EventRule(
      `${name}-shipped`,
      {
        eventBusName: bus.name,
        eventPattern: JSON.stringify({ source: ["demo.shipping"], "detail-type": ["OrderShipped"] }),
      },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-shipped-target`,
      {
        rule: rule.name,
        eventBusName: bus.name,
        arn: this.queue.arn,
        deadLetterConfig: { arn: this.dlq.arn },
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
      parent,
    );
    this.registerOutputs({ topicArn: this.topic.arn, queueUrl: this.queue.url });
  }
}

function requireInteger(config: pulumi.Config, key: string, min: number, max: number): number {
  const raw = config.get(key);
  const value = Number(raw);
  if (raw === undefined || !Number.isInteger(value) || value < min || value > max) {
    throw new DemoConfigError(
      `Invalid stack config ${config.name}:${key}: expected an integer from ${min} to ${max}; got ${raw ?? "nothing"}`,
    );
  }
  return value;
}

export default async function main(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config();
  const maxReceiveCount = requireInteger(config, "maxReceiveCount", 1, 1000);
  const alarmEmail = config.get("alarmEmail");
  if (!alarmEmail) {
    throw new DemoConfigError(
      `Invalid stack config ${config.name}:alarmEmail: expected an e-mail address; got nothing`,
    );
  }
  const apiToken = config.getSecret("apiToken");
  // Programs log; under the mocks this goes to the console, which the CLI keeps off stdout.
  pulumi.log.info(`demo: messages are dead-lettered after ${maxReceiveCount} receives`);

  const orders = new DemoThing("orders", { maxReceiveCount });
  const alarms = new aws.sns.Topic("alarms", {});
  new aws.sns.TopicSubscription("alarms-email", {
    topic: alarms.arn,
    protocol: "email",
    endpoint: alarmEmail,
  });
  new aws.cloudwatch.MetricAlarm("orders-dlq-not-empty", {
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: orders.dlq.name },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    alarmActions: [alarms.arn],
  });

  return {
    topicArn: orders.topic.arn,
    queueUrl: orders.queue.url,
    consumer: { name: orders.consumer.name },
    ...(apiToken ? { apiToken } : {}),
  };
}
