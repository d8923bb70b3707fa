import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { validateEventPattern } from "@switchyard/routing";
import { metricAlarm } from "./alarm";
import type { ReliableQueue } from "./reliable-queue";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker, brief } from "./validate";

/** What a rule needs of an event bus. */
export interface EventBusRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

export interface EventRuleQueueTargetArgs {
  /** The event bus the rule listens on (an `aws.cloudwatch.EventBus` fits). */
  bus: EventBusRef;
  /** EventBridge event pattern; validated as AWS validates it when the program runs. */
  pattern: Record<string, unknown>;
  /** The standard queue that receives matching events; its policy gets a grant pinned to this rule. */
  queue: ReliableQueue;
  /**
   * How long and how often EventBridge retries a delivery the queue refused.
   * @default { maximumEventAgeSeconds: 86400, maximumRetryAttempts: 185 }
   */
  retryPolicy?: { maximumEventAgeSeconds?: number; maximumRetryAttempts?: number };
  /**
   * Send events EventBridge could not deliver to the queue's dead-letter queue.
   * @default true
   */
  deadLetter?: boolean;
  /** Rule description. @default undefined */
  description?: string;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    rule?: Transform<aws.cloudwatch.EventRuleArgs>;
    target?: Transform<aws.cloudwatch.EventTargetArgs>;
    failedAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * An EventBridge rule on a bus that delivers matching events to a ReliableQueue, with a retry
 * policy, a target dead-letter queue for deliveries that fail, and queue grants pinned to the rule.
 */
export class EventRuleQueueTarget extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:EventRuleQueueTarget";
  readonly rule: aws.cloudwatch.EventRule;
  readonly target: aws.cloudwatch.EventTarget;
  /** `FailedInvocations` >= 1: EventBridge could not deliver to the queue (to the queue's alarm topic). */
  readonly failedAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: EventRuleQueueTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(EventRuleQueueTarget.type, name, {}, opts);
    const check = new ArgChecker(EventRuleQueueTarget.type, name);
    const bus = check.required("bus", args.bus);
    const queue = check.required("queue", args.queue);
    const pattern = check.required("pattern", args.pattern);
    const problems = validateEventPattern(pattern);
    if (problems.length > 0) {
      check.fail(
        "pattern",
        `is not a pattern EventBridge accepts: ${problems.join(" ")} (got ${brief(pattern)})`,
      );
    }
    if (queue.fifo) {
      check.fail(
        "queue",
        "must be a standard queue: this target sends without a message group id, and a target DLQ must be standard (got a FIFO queue)",
      );
    }
    const maxAge = check.int(
      "retryPolicy.maximumEventAgeSeconds",
      args.retryPolicy?.maximumEventAgeSeconds,
      60,
      86_400,
      86_400,
    );
    const maxRetries = check.int(
      "retryPolicy.maximumRetryAttempts",
      args.retryPolicy?.maximumRetryAttempts,
      0,
      185,
      185,
    );
    const deadLetter = args.deadLetter ?? true;

    this.rule = new aws.cloudwatch.EventRule(
      ...applyTransform(
        args.transform?.rule,
        `${name}-rule`,
        {
          eventBusName: bus.name,
          eventPattern: JSON.stringify(pattern),
          ...(args.description ? { description: args.description } : {}),
        },
        { parent: this },
      ),
    );
    const source = { service: "events.amazonaws.com" as const, sourceArn: this.rule.arn };
    queue.allowSend(source);
    if (deadLetter) queue.allowDeadLetterSend(source);

    this.target = new aws.cloudwatch.EventTarget(
      ...applyTransform(
        args.transform?.target,
        `${name}-target`,
        {
          rule: this.rule.name,
          eventBusName: bus.name,
          arn: queue.arn,
          retryPolicy: { maximumEventAgeInSeconds: maxAge, maximumRetryAttempts: maxRetries },
          ...(deadLetter ? { deadLetterConfig: { arn: queue.deadLetterArn } } : {}),
        },
        { parent: this, dependsOn: [queue.queuePolicy, queue.deadLetterQueuePolicy] },
      ),
    );
    this.failedAlarm = metricAlarm(
      `${name}-failed-alarm`,
      {
        alarmTopicArn: queue.alarmTopicArn,
        alarmDescription: `${name}: EventBridge failed to deliver matching events to the queue (permanently, after its retries); they went to the target DLQ or were lost.`,
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensions: { EventBusName: bus.name, RuleName: this.rule.name },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
      { parent: this },
      args.transform?.failedAlarm,
    );
    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
