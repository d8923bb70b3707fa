import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ReliableQueue } from "./reliable-queue";
import type { Topic } from "./topic";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker, brief } from "./validate";

/** S3 event types that can be sent to SNS and SQS (the S3 user guide's "Supported event types"). */
export const S3_EVENT_TYPES = [
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:ObjectRestore:Delete",
  "s3:ReducedRedundancyLostObject",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:Replication:OperationNotTracked",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
  "s3:ObjectAcl:Put",
] as const;
export type S3EventType = (typeof S3_EVENT_TYPES)[number];

export interface BucketNotificationRule {
  /** S3 event types, e.g. `["s3:ObjectCreated:*"]`. */
  events: S3EventType[];
  /** Only keys starting with this. @default undefined (every key) */
  filterPrefix?: string;
  /** Only keys ending with this. @default undefined (every key) */
  filterSuffix?: string;
  /** Destination topic (give exactly one of topic and queue). @default undefined */
  topic?: Topic;
  /** Destination queue (give exactly one of topic and queue). @default undefined */
  queue?: ReliableQueue;
}

export interface BucketNotificationsArgs {
  /** The bucket: its name and ARN (an `aws.s3.Bucket` fits). A second BucketNotifications for it is refused. */
  bucket: { bucket: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** Every notification rule of the bucket: S3 keeps one configuration per bucket and this owns it. */
  rules: BucketNotificationRule[];
  /** Changes to the underlying resources. @default {} */
  transform?: { notification?: Transform<aws.s3.BucketNotificationArgs> };
}

// S3 holds one notification configuration per bucket: a second writer silently replaces the first.
const owners = new WeakMap<object, string>();
const ownersByName = new Map<string, string>();

function eventsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const covers = (x: string, y: string) => x === y || (x.endsWith(":*") && y.startsWith(x.slice(0, -1)));
  return a.some((x) => b.some((y) => covers(x, y) || covers(y, x)));
}

function affixesOverlap(a?: string, b?: string, at: "start" | "end" = "start"): boolean {
  if (!a || !b) return true;
  return at === "start" ? a.startsWith(b) || b.startsWith(a) : a.endsWith(b) || b.endsWith(a);
}

/**
 * The whole S3 event notification configuration of one bucket, delivering to kit Topics and
 * ReliableQueues. It grants S3 (this bucket, this account) the right to publish or send, and
 * refuses rules S3 would reject as overlapping, and a second owner of the same bucket.
 */
export class BucketNotifications extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:BucketNotifications";
  readonly notification: aws.s3.BucketNotification;

  constructor(name: string, args: BucketNotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BucketNotifications.type, name, {}, opts);
    const check = new ArgChecker(BucketNotifications.type, name);
    const bucket = check.required("bucket", args.bucket);
    if (!Array.isArray(args.rules) || args.rules.length === 0) {
      check.fail("rules", `must list at least one rule (got ${brief(args.rules)})`);
    }

    args.rules.forEach((rule, index) => {
      const at = `rules[${index}]`;
      if (Boolean(rule.topic) === Boolean(rule.queue)) {
        check.fail(at, `must name exactly one of topic and queue (got ${rule.topic ? "both" : "neither"})`);
      }
      if (!Array.isArray(rule.events) || rule.events.length === 0) {
        check.fail(`${at}.events`, `must list at least one event type (got ${brief(rule.events)})`);
      }
      for (const event of rule.events) {
        if (!(S3_EVENT_TYPES as readonly string[]).includes(event)) {
          check.fail(
            `${at}.events`,
            `must hold only S3 event types such as s3:ObjectCreated:* (got ${event})`,
          );
        }
      }
      if (rule.topic?.fifo) {
        check.fail(
          `${at}.topic`,
          "must be a standard topic: S3 cannot publish to FIFO topics (got a FIFO topic)",
        );
      }
      if (rule.topic && !rule.topic.customerManagedKey) {
        // Checked here, before any grant, so a refused component changes no topic or queue policy.
        check.fail(
          `${at}.topic`,
          "must be encrypted with a customer-managed key that allows s3.amazonaws.com: S3 cannot use the AWS-managed key, so its events would be lost (got a topic on alias/aws/sns)",
        );
      }
      if (rule.queue?.fifo) {
        check.fail(
          `${at}.queue`,
          "must be a standard queue: S3 cannot send to FIFO queues (got a FIFO queue)",
        );
      }
      args.rules.slice(0, index).forEach((earlier, earlierIndex) => {
        if (
          eventsOverlap(earlier.events, rule.events) &&
          affixesOverlap(earlier.filterPrefix, rule.filterPrefix, "start") &&
          affixesOverlap(earlier.filterSuffix, rule.filterSuffix, "end")
        ) {
          check.fail(
            at,
            `must not overlap rules[${earlierIndex}]: S3 rejects rules that share an event type and have overlapping prefix and suffix filters ("Configurations overlap") (got ${brief({ events: rule.events, filterPrefix: rule.filterPrefix, filterSuffix: rule.filterSuffix })})`,
          );
        }
      });
    });
    // Claimed only once the rules are valid, so a refused component does not hold the bucket.
    this.claim(check, bucket);

    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const source = {
      service: "s3.amazonaws.com" as const,
      sourceArn: bucket.arn,
      sourceAccount: identity.accountId,
    };
    const policies: pulumi.Resource[] = [];
    for (const rule of args.rules) {
      if (rule.topic) {
        rule.topic.allowPublish(source);
        policies.push(rule.topic.policy);
      }
      if (rule.queue) {
        rule.queue.allowSend(source);
        policies.push(rule.queue.queuePolicy);
      }
    }
    const filters = (rule: BucketNotificationRule) => ({
      events: rule.events,
      ...(rule.filterPrefix ? { filterPrefix: rule.filterPrefix } : {}),
      ...(rule.filterSuffix ? { filterSuffix: rule.filterSuffix } : {}),
    });

    this.notification = new aws.s3.BucketNotification(
      ...applyTransform(
        args.transform?.notification,
        `${name}-notification`,
        {
          bucket: bucket.bucket,
          topics: args.rules.flatMap((rule, index) =>
            rule.topic ? [{ id: `${name}-${index + 1}`, topicArn: rule.topic.arn, ...filters(rule) }] : [],
          ),
          queues: args.rules.flatMap((rule, index) =>
            rule.queue ? [{ id: `${name}-${index + 1}`, queueArn: rule.queue.arn, ...filters(rule) }] : [],
          ),
        },
        // S3 checks that it may publish to each destination when the configuration is written.
        { parent: this, dependsOn: [...new Set(policies)] },
      ),
    );
    this.registerOutputs({});
  }

  private claim(check: ArgChecker, bucket: BucketNotificationsArgs["bucket"]): void {
    const owner = `${BucketNotifications.type} "${check.instance}"`;
    // A bucket name given as an Output is the same Output object wherever that bucket is passed.
    const handle = bucket.bucket as unknown;
    const key = typeof handle === "string" ? `${pulumi.getStack()}:${handle}` : undefined;
    const existing = key ? ownersByName.get(key) : owners.get(handle as object);
    if (existing) {
      check.fail(
        "bucket",
        `must not be given to a second BucketNotifications: S3 keeps one configuration per bucket and ${existing} already owns it; give all rules to that component (got ${typeof handle === "string" ? handle : "the same bucket"})`,
      );
    }
    if (key) ownersByName.set(key, owner);
    else owners.set(handle as object, owner);
  }
}
