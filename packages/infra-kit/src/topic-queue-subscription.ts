import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { validateFilterPolicy } from "@switchyard/routing";
import type { ReliableQueue } from "./reliable-queue";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker, brief } from "./validate";

/** What a subscription needs of a topic: a kit Topic, or any topic's ARN and kind. */
export interface TopicRef {
  arn: pulumi.Input<string>;
  fifo?: boolean;
}

export type FilterPolicyScope = "MessageAttributes" | "MessageBody";

export interface TopicQueueSubscriptionArgs {
  /** The topic to subscribe to: a kit Topic, or any topic's ARN and whether it is FIFO. */
  topic: TopicRef;
  /** The queue that receives the topic's messages; its policy gets a grant pinned to this topic. */
  queue: ReliableQueue;
  /**
   * SNS filter policy; validated as AWS validates it when the program runs.
   * @default undefined (every message)
   */
  filterPolicy?: Record<string, unknown>;
  /**
   * What the filter policy reads.
   * @default "MessageAttributes"
   */
  filterPolicyScope?: FilterPolicyScope;
  /**
   * Deliver the message body as published, without the SNS envelope (message attributes then arrive as SQS
   * message attributes).
   * @default true
   */
  rawMessageDelivery?: boolean;
  /**
   * Send messages SNS cannot deliver (queue gone, key denied) to the queue's dead-letter queue.
   * @default true
   */
  deadLetter?: boolean;
  /** Changes to the underlying resources. @default {} */
  transform?: { subscription?: Transform<aws.sns.TopicSubscriptionArgs> };
}

/**
 * Subscribes a ReliableQueue to an SNS topic: a validated filter policy, raw delivery, a
 * subscription dead-letter queue, and the queue policy grants pinned to this topic.
 */
export class TopicQueueSubscription extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:TopicQueueSubscription";
  readonly subscription: aws.sns.TopicSubscription;

  constructor(name: string, args: TopicQueueSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TopicQueueSubscription.type, name, {}, opts);
    const check = new ArgChecker(TopicQueueSubscription.type, name);
    const topic = check.required("topic", args.topic);
    const queue = check.required("queue", args.queue);
    const scope = check.oneOf(
      "filterPolicyScope",
      args.filterPolicyScope,
      ["MessageAttributes", "MessageBody"],
      "MessageAttributes",
    );
    if (args.filterPolicy !== undefined) {
      const problems = validateFilterPolicy(args.filterPolicy, scope);
      if (problems.length > 0) {
        check.fail(
          "filterPolicy",
          `is not a policy SNS accepts: ${problems.join(" ")} (got ${brief(args.filterPolicy)})`,
        );
      }
    } else if (args.filterPolicyScope !== undefined) {
      check.fail("filterPolicyScope", `applies only with a filterPolicy (got ${args.filterPolicyScope})`);
    }
    if (!topic.fifo && queue.fifo) {
      check.fail(
        "queue",
        "must be a standard queue: a standard SNS topic cannot deliver to FIFO queues (got a FIFO queue)",
      );
    }
    const deadLetter = args.deadLetter ?? true;
    if (deadLetter && topic.fifo && !queue.fifo) {
      check.fail(
        "deadLetter",
        "must be false for a FIFO topic delivering to a standard queue: the subscription's dead-letter queue must be FIFO (got true)",
      );
    }

    const source = { service: "sns.amazonaws.com" as const, sourceArn: topic.arn };
    queue.allowSend(source);
    if (deadLetter) queue.allowDeadLetterSend(source);

    this.subscription = new aws.sns.TopicSubscription(
      ...applyTransform(
        args.transform?.subscription,
        `${name}-subscription`,
        {
          topic: topic.arn,
          protocol: "sqs",
          endpoint: queue.arn,
          rawMessageDelivery: args.rawMessageDelivery ?? true,
          ...(args.filterPolicy !== undefined
            ? { filterPolicy: JSON.stringify(args.filterPolicy), filterPolicyScope: scope }
            : {}),
          ...(deadLetter
            ? { redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: queue.deadLetterArn }) }
            : {}),
        },
        // SNS must be allowed to send before the first message flows.
        { parent: this, dependsOn: [queue.queuePolicy, queue.deadLetterQueuePolicy] },
      ),
    );
    this.registerOutputs({ arn: this.subscription.arn });
  }
}
