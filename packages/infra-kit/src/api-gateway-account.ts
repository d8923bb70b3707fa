import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { grantStatements, renderPolicy } from "./policy";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

/** What API Gateway does with the role when it writes access and execution logs. */
export const API_GATEWAY_LOGGING_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:DescribeLogGroups",
  "logs:DescribeLogStreams",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:PutLogEvents",
] as const;

export interface ApiGatewayAccountArgs {
  /** Description of the role. @default "API Gateway CloudWatch Logs role of this account and region" */
  description?: string;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    role?: Transform<aws.iam.RoleArgs>;
    policy?: Transform<aws.iam.RolePolicyArgs>;
    account?: Transform<aws.apigateway.AccountArgs>;
  };
}

/**
 * The region's API Gateway account setting: the IAM role API Gateway assumes to write logs to CloudWatch
 * Logs (`aws.apigateway.Account`). Without it AWS refuses any stage with access logging ("CloudWatch Logs
 * role ARN must be set in account settings to enable logging"), so a first deploy into a fresh region fails.
 *
 * It is ONE setting per account and region, shared by every API there: declaring it replaces whatever role
 * was set before. Accounts that manage it centrally (landing zones, a platform stack) should not declare it.
 * The role may write to this account's log groups in this region only; its trust policy names the account and
 * region in `aws:SourceAccount` / `aws:SourceArn` conditions that apply when API Gateway sends those keys
 * (`...IfExists`: AWS does not document that it does for this role, and a condition on a missing key would lock
 * API Gateway out of logging altogether).
 */
export class ApiGatewayAccount extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:ApiGatewayAccount";
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  readonly account: aws.apigateway.Account;
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: ApiGatewayAccountArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(ApiGatewayAccount.type, name, {}, opts);
    new ArgChecker(ApiGatewayAccount.type, name);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    this.role = new aws.iam.Role(
      ...applyTransform(
        args.transform?.role,
        `${name}-role`,
        {
          description: args.description ?? "API Gateway CloudWatch Logs role of this account and region",
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "apigateway.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                  StringEqualsIfExists: { "aws:SourceAccount": identity.accountId },
                  ArnLikeIfExists: {
                    "aws:SourceArn": pulumi.interpolate`arn:${partition.partition}:apigateway:${region.region}::/*`,
                  },
                },
              },
            ],
          }),
        },
        { parent: this },
      ),
    );
    this.rolePolicy = new aws.iam.RolePolicy(
      ...applyTransform(
        args.transform?.policy,
        `${name}-policy`,
        {
          role: this.role.name,
          policy: renderPolicy(
            grantStatements([
              {
                actions: [...API_GATEWAY_LOGGING_ACTIONS],
                // Every API of the region logs through this one role: this account's log groups in this region.
                resources: [
                  pulumi.interpolate`arn:${partition.partition}:logs:${region.region}:${identity.accountId}:log-group:*`,
                ],
              },
            ]),
          ),
        },
        { parent: this },
      ),
    );
    this.account = new aws.apigateway.Account(
      ...applyTransform(
        args.transform?.account,
        `${name}-account`,
        { cloudwatchRoleArn: this.role.arn },
        // API Gateway checks that it can assume the role and write logs when the setting is made.
        { parent: this, dependsOn: [this.rolePolicy] },
      ),
    );
    this.roleArn = this.role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
