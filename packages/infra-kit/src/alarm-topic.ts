import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EncryptionKey } from "./encryption-key";
import { isAwsManagedSnsKey, Topic } from "./topic";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface AlarmTopicArgs {
  /**
   * Addresses that receive every alarm (each must confirm the subscription e-mail AWS sends).
   * @default []
   */
  emails?: string[];
  /**
   * A customer-managed key that allows `cloudwatch.amazonaws.com`. When absent the topic gets its own key:
   * CloudWatch cannot publish to a topic under the AWS-managed SNS key.
   * @default undefined (a dedicated EncryptionKey)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    key?: Transform<aws.kms.KeyArgs>;
    topic?: Transform<aws.sns.TopicArgs>;
    policy?: Transform<aws.sns.TopicPolicyArgs>;
    subscription?: Transform<aws.sns.TopicSubscriptionArgs>;
  };
}

/** The encrypted ops topic every alarm notifies, with e-mail subscribers. */
export class AlarmTopic extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:AlarmTopic";
  readonly topic: Topic;
  readonly key: EncryptionKey | undefined;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: AlarmTopicArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(AlarmTopic.type, name, {}, opts);
    const check = new ArgChecker(AlarmTopic.type, name);
    const emails = args.emails ?? [];
    const seen = new Set<string>();
    emails.forEach((email, index) => {
      if (!EMAIL.test(email)) check.fail(`emails[${index}]`, `must be an e-mail address (got "${email}")`);
      // Mail domains ignore case, and a second subscription would only send every alarm twice.
      if (seen.has(email.toLowerCase()))
        check.fail(`emails[${index}]`, `must not repeat an address (got "${email}")`);
      seen.add(email.toLowerCase());
    });
    if (args.kmsKeyArn !== undefined && isAwsManagedSnsKey(args.kmsKeyArn)) {
      check.fail(
        "kmsKeyArn",
        `must be a customer-managed key that allows cloudwatch.amazonaws.com; CloudWatch cannot use the AWS-managed key (got ${String(args.kmsKeyArn)})`,
      );
    }

    this.key =
      args.kmsKeyArn === undefined
        ? new EncryptionKey(
            `${name}-key`,
            {
              services: ["cloudwatch.amazonaws.com"],
              description: `Switchyard ${name} alarms`,
              ...(args.transform?.key ? { transform: { key: args.transform.key } } : {}),
            },
            { parent: this },
          )
        : undefined;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    this.topic = new Topic(
      `${name}-ops`,
      {
        kmsKeyArn: args.kmsKeyArn ?? (this.key as EncryptionKey).arn,
        displayName: "Switchyard alarms",
        publishers: [
          {
            service: "cloudwatch.amazonaws.com",
            sourceArn: pulumi.interpolate`arn:aws:cloudwatch:${region.region}:${identity.accountId}:alarm:*`,
            sourceAccount: identity.accountId,
          },
        ],
        transform: { topic: args.transform?.topic, policy: args.transform?.policy },
      },
      { parent: this },
    );
    for (const email of emails) {
      // Named by address, not position: removing one address must not replace (and unconfirm) the others.
      new aws.sns.TopicSubscription(
        ...applyTransform(
          args.transform?.subscription,
          `${name}-email-${email.toLowerCase()}`,
          { topic: this.topic.arn, protocol: "email", endpoint: email },
          { parent: this },
        ),
      );
    }
    this.arn = this.topic.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
