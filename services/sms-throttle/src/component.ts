import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ComponentArgsError,
  LOG_RETENTION_DAYS,
  type LogRetentionDays,
  NodeFunction,
  QueueConsumer,
  ReliableQueue,
  Topic,
  TopicQueueSubscription,
} from "@switchyard/infra-kit";
import { BATCH_METRICS } from "@switchyard/runtime-kit";
import { attemptKey } from "./adapters/attempts";
import { type SmsThrottleConfig, type SmsThrottleConfigInput, smsThrottleConfigSchema } from "./config";
import { SMS_METRICS } from "./constants";
import { dashboardBody } from "./dashboard";
import type { LaneDerivation } from "./domain/budget";
import { type LanePlan, planLanes } from "./domain/lanes";
import { SENDER_ENV } from "./env";

const SENDER_ENTRY = fileURLToPath(new URL("./handlers/sender.ts", import.meta.url));
const METRICS_NAMESPACE = "Switchyard";

export interface SmsThrottleArgs {
  /** The ops topic every alarm of the service notifies. */
  alarmTopicArn: pulumi.Input<string>;
  /** The `switchyard:sms` section, validated by `smsThrottleConfigSchema` (validated again here). */
  config: SmsThrottleConfig | SmsThrottleConfigInput;
  /**
   * Customer-managed KMS key (ARN) for the ingestion topic and every queue.
   * @default undefined (the AWS-managed `alias/aws/sns` key for the topic, SSE-SQS for the queues)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Days CloudWatch keeps the senders' logs.
   * @default 14
   */
  logRetentionDays?: LogRetentionDays;
  /**
   * Memory of each sender function, in MB (128 to 10240).
   * @default 256
   */
  memorySize?: number;
  /**
   * Receives before a message moves to its queue's DLQ (1 to 1000). Throttles never count: they are re-enqueued.
   * @default 5
   */
  maxReceiveCount?: number;
  /**
   * Name of the CloudWatch dashboard.
   * @default `${name}-${stack}`
   */
  dashboardName?: string;
}

/** One deployed lane: its plan, queue, sender and consumer. */
export interface SmsLane {
  plan: LanePlan;
  queue: ReliableQueue;
  sender: NodeFunction;
  consumer: QueueConsumer;
}

/**
 * Per-country SMS queues drained at a declared rate: an encrypted ingestion topic; per country and priority class a
 * ReliableQueue subscribed with a filter on `country` and `useCase`, plus a catch-all queue; one paced sender per
 * queue whose concurrency, batch size and per-invocation share derive from the budget; a dashboard and alarms.
 */
export class SmsThrottle extends pulumi.ComponentResource {
  static readonly type = "switchyard:sms:SmsThrottle";
  readonly topic: Topic;
  readonly topicArn: pulumi.Output<string>;
  readonly lanes: SmsLane[];
  /**
   * The service's state: per lane its re-enqueue counts (`retry#<lane>#<token>`, expiring) and its shared send
   * limiter (`limiter#<lane>`). Each sender may touch only its own lane's keys.
   */
  readonly stateTable: aws.dynamodb.Table;
  readonly dashboard: aws.cloudwatch.Dashboard;
  /** Derived settings per lane id, for stack outputs and docs. */
  readonly derivations: Record<string, LaneDerivation>;

  constructor(name: string, args: SmsThrottleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SmsThrottle.type, name, {}, opts);
    const config = validateArgs(name, args);
    const plans = planLanes(config);

    this.topic = new Topic(
      `${name}-requests`,
      { ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}), displayName: `${name} SMS requests` },
      { parent: this },
    );
    this.topicArn = this.topic.arn;
    const providerGrant = this.providerGrant(name, config);
    this.stateTable = new aws.dynamodb.Table(
      `${name}-state`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        attributes: [{ name: "pk", type: "S" }],
        // Short-lived counters and limiter state: nothing to restore, so no point-in-time recovery.
        ttl: { attributeName: "expiresAt", enabled: true },
        serverSideEncryption: args.kmsKeyArn
          ? { enabled: true, kmsKeyArn: args.kmsKeyArn }
          : { enabled: false },
      },
      { parent: this },
    );
    this.lanes = plans.map((plan) => this.createLane(name, plan, args, config, providerGrant));
    this.derivations = Object.fromEntries(this.lanes.map((l) => [l.plan.id, l.plan.derivation]));
    this.createAlarms(name, args, config);
    this.dashboard = this.createDashboard(name, args);

    this.registerOutputs({
      topicArn: this.topicArn,
      queueUrls: Object.fromEntries(this.lanes.map((l) => [l.plan.id, l.queue.url])),
      dashboardName: this.dashboard.dashboardName,
    });
  }

  private createLane(
    name: string,
    plan: LanePlan,
    args: SmsThrottleArgs,
    config: SmsThrottleConfig,
    providerGrant: { actions: string[]; resources: pulumi.Input<string>[] },
  ): SmsLane {
    const laneName = `${name}-${plan.id}`;
    const queue = new ReliableQueue(
      laneName,
      {
        alarmTopicArn: args.alarmTopicArn,
        ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}),
        ...(args.maxReceiveCount !== undefined ? { maxReceiveCount: args.maxReceiveCount } : {}),
        oldestMessageAgeAlarmSeconds: plan.oldestMessageAgeAlarmSeconds,
      },
      { parent: this },
    );
    new TopicQueueSubscription(
      `${laneName}-sub`,
      { topic: this.topic, queue, ...(plan.filterPolicy ? { filterPolicy: plan.filterPolicy } : {}) },
      { parent: this },
    );
    const sender = new NodeFunction(
      `${laneName}-sender`,
      {
        entry: SENDER_ENTRY,
        timeout: config.senderTimeoutSeconds,
        ...(args.memorySize !== undefined ? { memorySize: args.memorySize } : {}),
        ...(args.logRetentionDays !== undefined ? { logRetentionDays: args.logRetentionDays } : {}),
        serviceName: name,
        environment: {
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ...senderEnvironment(plan, config),
          [SENDER_ENV.queueUrl]: queue.url,
          [SENDER_ENV.stateTable]: this.stateTable.name,
        },
        grants: [
          providerGrant,
          // Throttled and transient messages are re-enqueued as fresh copies on this queue (see README).
          { actions: ["sqs:SendMessage"], resources: [queue.arn] },
          // Its own lane's keys of the state table only: re-enqueue counts and the lane's limiter.
          {
            actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            resources: [this.stateTable.arn],
            conditions: {
              "ForAllValues:StringLike": { "dynamodb:LeadingKeys": stateKeys(plan.id) },
            },
          },
          ...(args.kmsKeyArn
            ? [
                {
                  actions: ["kms:Decrypt", "kms:GenerateDataKey"],
                  resources: [args.kmsKeyArn],
                  conditions: { StringLike: { "kms:ViaService": "dynamodb.*.amazonaws.com" } },
                },
              ]
            : []),
        ],
      },
      { parent: this },
    );
    const consumer = new QueueConsumer(
      `${laneName}-sender`,
      {
        queue,
        function: sender,
        batchSize: plan.derivation.batchSize,
        maximumConcurrency: plan.derivation.maximumConcurrency,
      },
      { parent: this },
    );
    return { plan, queue, sender, consumer };
  }

  private providerGrant(
    name: string,
    config: SmsThrottleConfig,
  ): { actions: string[]; resources: pulumi.Input<string>[] } {
    if (config.provider === "pinpoint") {
      const appId = config.pinpoint?.applicationId;
      const identity = aws.getCallerIdentityOutput({}, { parent: this });
      const region = aws.getRegionOutput({}, { parent: this });
      const partition = aws.getPartitionOutput({}, { parent: this });
      return {
        actions: ["mobiletargeting:SendMessages"],
        resources: [
          pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:apps/${appId}/messages`,
        ],
      };
    }
    const eum = config.endUserMessaging;
    if (!eum)
      throw new ComponentArgsError(
        SmsThrottle.type,
        name,
        "config.endUserMessaging",
        "is required (got undefined)",
      );
    return {
      actions: ["sms-voice:SendTextMessage"],
      resources: [eum.originationIdentityArn, ...(eum.configurationSetArn ? [eum.configurationSetArn] : [])],
    };
  }

  private createAlarms(name: string, args: SmsThrottleArgs, config: SmsThrottleConfig): void {
    // Backstop: SNS counts the messages its filter policies rejected because they had no attributes at all. The
    // catch-all (no filter policy) still receives and dead-letters them; this names the cause: a publisher that
    // sends without `country` and `useCase`.
    new aws.cloudwatch.MetricAlarm(
      `${name}-unattributed-alarm`,
      {
        alarmDescription: `${name}: SMS requests were published without message attributes; they reach the catch-all DLQ with a reason. Fix the publisher (country and useCase attributes).`,
        namespace: "AWS/SNS",
        metricName: "NumberOfNotificationsFilteredOut-NoMessageAttributes",
        dimensions: { TopicName: this.topic.topicName },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        treatMissingData: "notBreaching",
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
      },
      { parent: this },
    );
    for (const { plan, sender } of this.lanes) {
      const dimensions = { service: name, lane: plan.id };
      const common = {
        namespace: METRICS_NAMESPACE,
        dimensions,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
      };
      new aws.cloudwatch.MetricAlarm(
        `${name}-${plan.id}-throttled-alarm`,
        {
          ...common,
          alarmDescription: `${name} ${plan.id}: the provider throttled ${config.throttledAlarmPerFiveMinutes}+ messages in 5 minutes; the budget is above the real limit. Lower it in switchyard:sms.`,
          metricName: SMS_METRICS.throttled,
          threshold: config.throttledAlarmPerFiveMinutes,
        },
        { parent: this },
      );
      new aws.cloudwatch.MetricAlarm(
        `${name}-${plan.id}-permanent-alarm`,
        {
          ...common,
          alarmDescription: `${name} ${plan.id}: messages failed permanently (invalid, opted out, blocked) and went to the DLQ with their reason.`,
          metricName: BATCH_METRICS.failedPermanent,
          threshold: 1,
        },
        { parent: this },
      );
      new aws.cloudwatch.MetricAlarm(
        `${name}-${plan.id}-errors-alarm`,
        {
          ...common,
          alarmDescription: `${name} ${plan.id}: the sender function failed (crash, timeout, bad environment).`,
          namespace: "AWS/Lambda",
          metricName: "Errors",
          dimensions: { FunctionName: sender.functionName },
          threshold: 1,
        },
        { parent: this },
      );
    }
  }

  private createDashboard(name: string, args: SmsThrottleArgs): aws.cloudwatch.Dashboard {
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const lanes = this.lanes.map((l) => ({
      id: l.plan.id,
      budget: l.plan.derivation.budgetPartsPerSecond,
      queueName: l.queue.queueName,
      deadLetterName: l.queue.deadLetterQueue.name,
    }));
    return new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.dashboardName ?? `${name}-${pulumi.getStack()}`,
        dashboardBody: pulumi
          .all([region, pulumi.all(lanes.map((l) => pulumi.all([l.queueName, l.deadLetterName])))])
          .apply(([r, names]) =>
            dashboardBody({
              region: r,
              service: name,
              namespace: METRICS_NAMESPACE,
              lanes: lanes.map((l, i) => ({
                id: l.id,
                budget: l.budget,
                queueName: names[i]?.[0] ?? "",
                deadLetterName: names[i]?.[1] ?? "",
              })),
            }),
          ),
      },
      { parent: this },
    );
  }
}

/** Environment of one lane's sender (everything but the queue URL and the DLQ URL). */
export const senderEnvironment = (plan: LanePlan, config: SmsThrottleConfig): Record<string, string> => ({
  [SENDER_ENV.provider]: config.provider,
  ...(config.provider === "endUserMessaging" && config.endUserMessaging
    ? {
        [SENDER_ENV.originationIdentity]: config.endUserMessaging.originationIdentityArn,
        ...(config.endUserMessaging.configurationSetArn
          ? { [SENDER_ENV.configurationSetName]: config.endUserMessaging.configurationSetArn }
          : {}),
      }
    : {}),
  ...(config.provider === "pinpoint" && config.pinpoint
    ? {
        [SENDER_ENV.pinpointApplicationId]: config.pinpoint.applicationId,
        ...(config.pinpoint.originationNumber
          ? { [SENDER_ENV.pinpointOriginationNumber]: config.pinpoint.originationNumber }
          : {}),
      }
    : {}),
  [SENDER_ENV.budget]: String(plan.derivation.budgetPartsPerSecond),
  [SENDER_ENV.windowMs]: String(plan.derivation.windowMs),
  [SENDER_ENV.maxParts]: String(config.maxPartsPerMessage),
  [SENDER_ENV.maxAttempts]: String(config.maxAttempts),
  [SENDER_ENV.backoffBase]: String(config.backoffBaseSeconds),
  [SENDER_ENV.lane]: plan.id,
  ...(plan.otherLanesPolicy ? { [SENDER_ENV.otherLanesPolicy]: JSON.stringify(plan.otherLanesPolicy) } : {}),
});

/** The state table keys one lane's sender may read and write (`dynamodb:LeadingKeys`). */
export const stateKeys = (lane: string): string[] => [attemptKey(lane, "*"), `limiter#${lane}`];

const describe = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Checks the args; every failure names the component, the arg, the rule and the value. */
function validateArgs(name: string, args: SmsThrottleArgs): SmsThrottleConfig {
  const fail = (arg: string, detail: string): never => {
    throw new ComponentArgsError(SmsThrottle.type, name, arg, detail);
  };
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    fail(
      "name",
      `must be lowercase letters, digits and hyphens, at most 20, so queue names fit (got ${JSON.stringify(name)})`,
    );
  }
  if (args.alarmTopicArn === undefined)
    fail("alarmTopicArn", "is required: every queue alarms (got undefined)");
  if (
    args.memorySize !== undefined &&
    (!Number.isInteger(args.memorySize) || args.memorySize < 128 || args.memorySize > 10_240)
  ) {
    fail("memorySize", `must be an integer from 128 to 10240 (got ${args.memorySize})`);
  }
  if (
    args.maxReceiveCount !== undefined &&
    (!Number.isInteger(args.maxReceiveCount) || args.maxReceiveCount < 1 || args.maxReceiveCount > 1000)
  ) {
    fail("maxReceiveCount", `must be an integer from 1 to 1000 (got ${args.maxReceiveCount})`);
  }
  if (
    args.logRetentionDays !== undefined &&
    !(LOG_RETENTION_DAYS as readonly number[]).includes(args.logRetentionDays)
  ) {
    fail(
      "logRetentionDays",
      `must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${args.logRetentionDays})`,
    );
  }
  const parsed = smsThrottleConfigSchema.safeParse(args.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const message = (issue?.message ?? "is invalid").replace(/^Invalid input: /, "");
    return fail(
      ["config", ...path.map(String)].join("."),
      `${message.replace(/^expected/, "must be")} (got ${describe(valueAt(args.config, path))})`,
    );
  }
  return parsed.data;
}
