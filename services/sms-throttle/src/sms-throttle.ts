import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ArgChecker,
  DashboardContent,
  functionDefaults,
  keyGrant,
  metricAlarm,
  NodeFunction,
  type PlatformArgs,
  type PlatformSettings,
  platformSettings,
  QueueConsumer,
  queueDefaults,
  ReliableQueue,
  TABLE_KEY_ACTIONS,
  Table,
  Topic,
  TopicQueueSubscription,
  tableDefaults,
} from "@switchyard/infra-kit";
import { BATCH_METRICS } from "@switchyard/runtime-kit";
import { attemptKey } from "./adapters/attempts";
import {
  type Origination,
  type SmsThrottleConfig,
  type SmsThrottleConfigInput,
  smsThrottleConfigSchema,
} from "./config";
import { SMS_METRICS } from "./constants";
import { dashboardWidgets } from "./dashboard";
import type { LaneDerivation } from "./domain/budget";
import { type LanePlan, planLanes } from "./domain/lanes";
import { SENDER_ENV } from "./env";
import { SmsThrottleArgsError } from "./errors";

const SENDER_ENTRY = fileURLToPath(new URL("./handlers/sender.ts", import.meta.url));
const METRICS_NAMESPACE = "Switchyard";

/**
 * The platform (alarm topic, key, logs, memory, queues, tracing: see `PlatformArgs`; `maxReceiveCount` never counts
 * throttles, which are re-enqueued; each lane's age alarm comes from its class, not the platform) and:
 */
export interface SmsThrottleArgs extends PlatformArgs {
  /** The `switchyard:sms-throttle` section, validated by `smsThrottleConfigSchema` (validated again here). */
  config: SmsThrottleConfig | SmsThrottleConfigInput;
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
  static readonly type = "switchyard:sms-throttle:SmsThrottle";
  /** The type token before the module took the service's one name; the component carries an alias to it. */
  static readonly previousType = "switchyard:sms-throttle:SmsThrottle";
  readonly topic: Topic;
  readonly topicArn: pulumi.Output<string>;
  readonly lanes: SmsLane[];
  /**
   * The service's state: per lane its re-enqueue counts (`retry#<lane>#<token>`, expiring) and its shared send
   * limiter (`limiter#<lane>`). Each sender may touch only its own lane's keys.
   */
  readonly stateTable: Table;
  readonly dashboard: aws.cloudwatch.Dashboard;
  /** What the dashboard charts besides the lanes: resources declared later (an ingress API) join with `watch()`. */
  readonly dashboardContent: DashboardContent;
  /** Derived settings per lane id, for stack outputs and docs. */
  readonly derivations: Record<string, LaneDerivation>;

  constructor(name: string, args: SmsThrottleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      SmsThrottle.type,
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: SmsThrottle.previousType }] },
    );
    const { config, platform } = validateArgs(name, args);
    const plans = planLanes(config);

    this.topic = new Topic(
      `${name}-requests`,
      {
        ...(platform.kmsKeyArn ? { kmsKeyArn: platform.kmsKeyArn } : {}),
        displayName: `${name} SMS requests`,
        alarmTopicArn: platform.alarmTopicArn,
      },
      { parent: this },
    );
    this.topicArn = this.topic.arn;
    this.stateTable = new Table(
      `${name}-state`,
      {
        ...tableDefaults(platform),
        hashKey: "pk",
        // Short-lived counters and limiter state: nothing to restore, so no point-in-time recovery.
        pointInTimeRecovery: false,
        ttlAttribute: "expiresAt",
      },
      { parent: this },
    );
    this.lanes = plans.map((plan) => this.createLane(name, plan, platform, config));
    this.derivations = Object.fromEntries(this.lanes.map((l) => [l.plan.id, l.plan.derivation]));
    this.createAlarms(name, platform, config);
    this.dashboardContent = new DashboardContent(`${SmsThrottle.type} "${name}"`, {
      functions: this.lanes.map((l) => l.sender),
      tables: [this.stateTable],
      topics: [this.topic],
    });
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
    platform: PlatformSettings,
    config: SmsThrottleConfig,
  ): SmsLane {
    const laneName = `${name}-${plan.id}`;
    const queue = new ReliableQueue(
      laneName,
      { ...queueDefaults(platform), oldestMessageAgeAlarmSeconds: plan.oldestMessageAgeAlarmSeconds },
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
        ...functionDefaults(platform),
        entry: SENDER_ENTRY,
        timeout: config.senderTimeoutSeconds,
        serviceName: name,
        environment: {
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ...senderEnvironment(plan, config),
          [SENDER_ENV.queueUrl]: queue.url,
          [SENDER_ENV.stateTable]: this.stateTable.tableName,
        },
        grants: [
          // Its own origination identity only (or the role that sends from it in another account).
          this.originationGrant(plan),
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
          ...(platform.kmsKeyArn ? [keyGrant(platform.kmsKeyArn, [...TABLE_KEY_ACTIONS], "dynamodb")] : []),
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
        // The sender re-enqueues throttled and transient messages as fresh copies (its own attempt count), so SQS's
        // receive count never decides a dead letter: no MAX_RECEIVE_COUNT.
        lastReceiveDeadLetter: false,
      },
      { parent: this },
    );
    return { plan, queue, sender, consumer };
  }

  /**
   * The one grant a lane's sender needs to send: `sts:AssumeRole` on exactly its identity's role when the identity
   * lives in another account (that account's role policy grants the send), else the send action on exactly its
   * identity (End User Messaging: the identity and its configuration set; Pinpoint: the project's messages).
   */
  private originationGrant(plan: LanePlan): { actions: string[]; resources: pulumi.Input<string>[] } {
    const origination = plan.origination;
    if (origination.roleArn) return { actions: ["sts:AssumeRole"], resources: [origination.roleArn] };
    if (origination.provider === "pinpoint") {
      const identity = aws.getCallerIdentityOutput({}, { parent: this });
      const region = aws.getRegionOutput({}, { parent: this });
      const partition = aws.getPartitionOutput({}, { parent: this });
      return {
        actions: ["mobiletargeting:SendMessages"],
        resources: [
          pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:apps/${origination.pinpoint.applicationId}/messages`,
        ],
      };
    }
    const eum = origination.endUserMessaging;
    return {
      actions: ["sms-voice:SendTextMessage"],
      resources: [eum.originationIdentityArn, ...(eum.configurationSetArn ? [eum.configurationSetArn] : [])],
    };
  }

  private createAlarms(name: string, platform: PlatformSettings, config: SmsThrottleConfig): void {
    // Backstop: SNS counts the messages its filter policies rejected because they had no attributes at all. The
    // catch-all (no filter policy) still receives and dead-letters them; this names the cause: a publisher that
    // sends without `country` and `useCase`.
    metricAlarm(
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
        alarmTopicArn: platform.alarmTopicArn,
      },
      { parent: this },
    );
    // Each sender's Errors and Throttles alarms come with its NodeFunction.
    for (const { plan } of this.lanes) {
      const dimensions = { service: name, lane: plan.id };
      const common = {
        namespace: METRICS_NAMESPACE,
        dimensions,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        alarmTopicArn: platform.alarmTopicArn,
      };
      metricAlarm(
        `${name}-${plan.id}-throttled-alarm`,
        {
          ...common,
          alarmDescription: `${name} ${plan.id}: the provider throttled ${config.throttledAlarmPerFiveMinutes}+ messages in 5 minutes; the budget is above the real limit. Lower it in switchyard:sms-throttle.`,
          metricName: SMS_METRICS.throttled,
          threshold: config.throttledAlarmPerFiveMinutes,
        },
        { parent: this },
      );
      metricAlarm(
        `${name}-${plan.id}-permanent-alarm`,
        {
          ...common,
          alarmDescription: `${name} ${plan.id}: messages failed permanently (invalid, opted out, blocked) and went to the DLQ with their reason.`,
          metricName: BATCH_METRICS.failedPermanent,
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
    const widgets = pulumi.all(lanes.map((l) => pulumi.all([l.queueName, l.deadLetterName]))).apply((names) =>
      dashboardWidgets({
        service: name,
        namespace: METRICS_NAMESPACE,
        lanes: lanes.map((l, i) => ({
          id: l.id,
          budget: l.budget,
          queueName: names[i]?.[0] ?? "",
          deadLetterName: names[i]?.[1] ?? "",
        })),
      }),
    );
    return new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.dashboardName ?? `${name}-${pulumi.getStack()}`,
        // The lanes' own charts, then the kit's for the senders, the state table, the topic and (via
        // dashboardContent.watch) an ingress API of the service. The lanes' queues have their charts above.
        dashboardBody: this.dashboardContent.body(region, widgets),
      },
      { parent: this },
    );
  }
}

/** Environment of one lane's sender (everything but the queue URL and the DLQ URL). */
export const senderEnvironment = (plan: LanePlan, config: SmsThrottleConfig): Record<string, string> => ({
  ...originationEnvironment(plan.origination),
  [SENDER_ENV.budget]: String(plan.derivation.budgetPartsPerSecond),
  [SENDER_ENV.windowMs]: String(plan.derivation.windowMs),
  [SENDER_ENV.maxParts]: String(config.maxPartsPerMessage),
  [SENDER_ENV.maxAttempts]: String(config.maxAttempts),
  [SENDER_ENV.backoffBase]: String(config.backoffBaseSeconds),
  [SENDER_ENV.lane]: plan.id,
  ...(plan.otherLanesPolicy ? { [SENDER_ENV.otherLanesPolicy]: JSON.stringify(plan.otherLanesPolicy) } : {}),
});

/** The lane's origination identity as sender environment. */
const originationEnvironment = (origination: Origination): Record<string, string> => ({
  [SENDER_ENV.provider]: origination.provider,
  ...(origination.provider === "endUserMessaging"
    ? {
        [SENDER_ENV.originationIdentity]: origination.endUserMessaging.originationIdentityArn,
        ...(origination.endUserMessaging.configurationSetArn
          ? { [SENDER_ENV.configurationSetName]: origination.endUserMessaging.configurationSetArn }
          : {}),
      }
    : {
        [SENDER_ENV.pinpointApplicationId]: origination.pinpoint.applicationId,
        ...(origination.pinpoint.originationNumber
          ? { [SENDER_ENV.pinpointOriginationNumber]: origination.pinpoint.originationNumber }
          : {}),
      }),
  ...(origination.roleArn ? { [SENDER_ENV.roleArn]: origination.roleArn } : {}),
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
function validateArgs(
  name: string,
  args: SmsThrottleArgs,
): { config: SmsThrottleConfig; platform: PlatformSettings } {
  const fail = (arg: string, detail: string): never => {
    throw new SmsThrottleArgsError(SmsThrottle.type, name, arg, detail);
  };
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    fail(
      "name",
      `must be lowercase letters, digits and hyphens, at most 20, so queue names fit (got ${JSON.stringify(name)})`,
    );
  }
  const platform = platformSettings(new ArgChecker(SmsThrottle.type, name, SmsThrottleArgsError), args);
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
  return { config: parsed.data, platform };
}
