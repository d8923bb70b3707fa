import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { validateFilterPolicy } from "@switchyard/routing";
import { metricAlarm } from "./alarm";
import type { NodeFunction } from "./node-function";
import { keyGrant, renderPolicy, serviceStatement, tlsOnlyStatement } from "./policy";
import { ArgChecker, brief } from "./validate";

/** Where this component was declared before it moved into the kit; existing stacks alias to it. */
export const PREVIOUS_TOPIC_FUNCTION_SUBSCRIPTION_TYPE = "switchyard:orders:TopicFunctionSubscription";

export interface TopicFunctionSubscriptionArgs {
  /** The topic to subscribe to (a kit Topic fits). */
  topic: { arn: pulumi.Input<string> };
  /** The function SNS invokes (asynchronously) for each matching message. */
  function: NodeFunction;
  /** The ops topic the DLQ alarm notifies. */
  alarmTopicArn: pulumi.Input<string>;
  /**
   * SNS filter policy (MessageAttributes scope); validated as SNS validates it when the program runs.
   * @default undefined (every message)
   */
  filterPolicy?: Record<string, unknown>;
  /**
   * A customer-managed key ARN for the DLQ; it must allow sns.amazonaws.com (EncryptionKey does).
   * @default undefined (SQS-managed encryption)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * How often Lambda retries a failed asynchronous invocation before the event goes to the DLQ (0 to 2).
   * @default 2
   */
  maximumRetryAttempts?: number;
  /**
   * Oldest age, in seconds, of an event Lambda still tries to process (60 to 21600).
   * @default 21600 (6 hours, the Lambda maximum)
   */
  maximumEventAgeSeconds?: number;
}

/**
 * SNS -> Lambda with nothing lost: the subscription (filter policy validated), the invoke permission pinned
 * to the topic, and ONE encrypted dead-letter queue for both failure paths: messages SNS could not deliver
 * (subscription redrive policy, SNS pinned to the topic in the queue policy) and invocations that kept
 * failing (Lambda on-failure destination, the function's role may send to it). An alarm watches the DLQ.
 *
 * Formerly `switchyard:orders:TopicFunctionSubscription`: the component carries an alias to that type, so a stack
 * deployed before the move updates in place (its queue, subscription and permission are not replaced).
 */
export class TopicFunctionSubscription extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:TopicFunctionSubscription";
  readonly subscription: aws.sns.TopicSubscription;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly deadLetterAlarm: aws.cloudwatch.MetricAlarm;
  readonly deadLetterArn: pulumi.Output<string>;

  constructor(name: string, args: TopicFunctionSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      TopicFunctionSubscription.type,
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: PREVIOUS_TOPIC_FUNCTION_SUBSCRIPTION_TYPE }],
      },
    );
    const check = new ArgChecker(TopicFunctionSubscription.type, name);
    const topic = check.required("topic", args.topic);
    const fn = check.required("function", args.function);
    check.required("alarmTopicArn", args.alarmTopicArn);
    const retries = check.int("maximumRetryAttempts", args.maximumRetryAttempts, 0, 2, 2);
    const maxAge = check.int("maximumEventAgeSeconds", args.maximumEventAgeSeconds, 60, 21_600, 21_600);
    if (args.filterPolicy !== undefined) {
      const problems = validateFilterPolicy(args.filterPolicy, "MessageAttributes");
      if (problems.length > 0) {
        check.fail(
          "filterPolicy",
          `is not a policy SNS accepts: ${problems.join(" ")} (got ${brief(args.filterPolicy)})`,
        );
      }
    }

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        ...(args.kmsKeyArn
          ? { kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }
          : { sqsManagedSseEnabled: true }),
        messageRetentionSeconds: 1_209_600,
        maxMessageSize: 1_048_576,
      },
      { parent: this },
    );
    const dlqArn = this.deadLetterQueue.arn;
    const queuePolicy = new aws.sqs.QueuePolicy(
      `${name}-dlq-policy`,
      {
        queueUrl: this.deadLetterQueue.url,
        policy: renderPolicy([
          tlsOnlyStatement("sqs", [dlqArn]),
          serviceStatement(
            { service: "sns.amazonaws.com", sourceArn: topic.arn },
            ["sqs:SendMessage"],
            dlqArn,
            "AllowSnsDeadLetters",
          ),
        ]),
      },
      { parent: this },
    );

    // The on-failure destination sends with the function's role.
    fn.grant({ actions: ["sqs:SendMessage"], resources: [dlqArn] });
    if (args.kmsKeyArn !== undefined) {
      fn.grant(keyGrant(args.kmsKeyArn, ["kms:Decrypt", "kms:GenerateDataKey"], "sqs"));
    }
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-invoke-config`,
      {
        functionName: fn.functionName,
        maximumRetryAttempts: retries,
        maximumEventAgeInSeconds: maxAge,
        destinationConfig: { onFailure: { destination: dlqArn } },
      },
      { parent: this, dependsOn: [fn.rolePolicy] },
    );

    const permission = new aws.lambda.Permission(
      `${name}-permission`,
      {
        action: "lambda:InvokeFunction",
        function: fn.functionName,
        principal: "sns.amazonaws.com",
        sourceArn: topic.arn,
      },
      { parent: this },
    );

    this.subscription = new aws.sns.TopicSubscription(
      `${name}-subscription`,
      {
        topic: topic.arn,
        protocol: "lambda",
        endpoint: fn.arn,
        ...(args.filterPolicy !== undefined
          ? { filterPolicy: JSON.stringify(args.filterPolicy), filterPolicyScope: "MessageAttributes" }
          : {}),
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlqArn }),
      },
      { parent: this, dependsOn: [permission, queuePolicy] },
    );

    this.deadLetterAlarm = metricAlarm(
      `${name}-dlq-alarm`,
      {
        alarmTopicArn: args.alarmTopicArn,
        alarmDescription: `${name}: events the function could not process or SNS could not deliver. Inspect the DLQ, fix the cause, then re-publish.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: this.deadLetterQueue.name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
      { parent: this },
    );

    this.deadLetterArn = dlqArn;
    this.registerOutputs({ subscriptionArn: this.subscription.arn, deadLetterArn: dlqArn });
  }
}
