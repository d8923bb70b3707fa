import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyStatement, renderPolicy, type ServicePrincipal, sid } from "./policy";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

const SOURCE_ARN_PATTERNS: Record<ServicePrincipal, (region: string, account: string) => string> = {
  "sns.amazonaws.com": (region, account) => `arn:aws:sns:${region}:${account}:*`,
  "events.amazonaws.com": (region, account) => `arn:aws:events:${region}:${account}:*`,
  // Bucket ARNs carry neither region nor account: aws:SourceAccount pins the account.
  "s3.amazonaws.com": () => "arn:aws:s3:::*",
  "cloudwatch.amazonaws.com": (region, account) => `arn:aws:cloudwatch:${region}:${account}:alarm:*`,
};

export interface EncryptionKeyArgs {
  /**
   * AWS services that encrypt into, or decrypt from, resources under this key (an SNS topic delivering to an
   * encrypted queue, S3 publishing to an encrypted topic, CloudWatch alarms notifying an encrypted topic). Each
   * is limited to sources in this account and region.
   * @default []
   */
  services?: ServicePrincipal[];
  /**
   * Days before a scheduled deletion happens (7 to 30).
   * @default 30
   */
  deletionWindowInDays?: number;
  /** Alias without the `alias/` prefix. @default undefined (no alias) */
  alias?: string;
  /** Description of the key. @default "Switchyard <name>" */
  description?: string;
  /** Changes to the underlying resources. @default {} */
  transform?: { key?: Transform<aws.kms.KeyArgs>; alias?: Transform<aws.kms.AliasArgs> };
}

/**
 * A customer-managed KMS key with rotation on and a key policy that lets the named AWS services
 * use it for this account's resources only. AWS-managed keys (`alias/aws/sns`, `alias/aws/sqs`)
 * cannot be shared with services such as S3 or CloudWatch, whose deliveries then fail silently.
 */
export class EncryptionKey extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:EncryptionKey";
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly services: readonly ServicePrincipal[];

  constructor(name: string, args: EncryptionKeyArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(EncryptionKey.type, name, {}, opts);
    const check = new ArgChecker(EncryptionKey.type, name);
    const deletionWindow = check.int("deletionWindowInDays", args.deletionWindowInDays, 7, 30, 30);
    this.services = [...new Set(args.services ?? [])];
    for (const service of this.services) {
      if (!Object.hasOwn(SOURCE_ARN_PATTERNS, service)) {
        check.fail(
          "services",
          `must hold only ${Object.keys(SOURCE_ARN_PATTERNS).join(", ")} (got ${String(service)})`,
        );
      }
    }
    if (args.alias !== undefined && !/^[a-zA-Z0-9/_-]+$/.test(args.alias)) {
      check.fail("alias", `may hold only letters, digits, "/", "_" and "-" (got ${args.alias})`);
    }
    if (args.alias?.toLowerCase().startsWith("aws/")) {
      check.fail(
        "alias",
        `must not start with "aws/", which AWS reserves for AWS-managed keys (got ${args.alias})`,
      );
    }

    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const policy = pulumi.all([identity.accountId, region.region]).apply(([account, regionName]) => {
      const statements: PolicyStatement[] = [
        {
          // Without this the key becomes unmanageable: IAM policies in the account govern everything else.
          Sid: "EnableAccountIamPolicies",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        ...this.services.map(
          (service): PolicyStatement => ({
            Sid: sid("Allow", service.split(".")[0] ?? service),
            Effect: "Allow",
            Principal: { Service: service },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: "*",
            Condition: {
              StringEquals: { "aws:SourceAccount": account },
              ArnLike: { "aws:SourceArn": SOURCE_ARN_PATTERNS[service](regionName, account) },
            },
          }),
        ),
      ];
      return statements;
    });

    this.key = new aws.kms.Key(
      ...applyTransform(
        args.transform?.key,
        `${name}-key`,
        {
          description: args.description ?? `Switchyard ${name}`,
          enableKeyRotation: true,
          deletionWindowInDays: deletionWindow,
          policy: renderPolicy(policy),
        },
        { parent: this },
      ),
    );
    if (args.alias !== undefined) {
      new aws.kms.Alias(
        ...applyTransform(
          args.transform?.alias,
          `${name}-alias`,
          { name: `alias/${args.alias}`, targetKeyId: this.key.keyId },
          { parent: this },
        ),
      );
    }
    this.arn = this.key.arn;
    this.keyId = this.key.keyId;
    this.registerOutputs({ arn: this.arn, keyId: this.keyId });
  }
}
