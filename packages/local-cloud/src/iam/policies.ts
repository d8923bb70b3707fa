import type { LocalResource } from "../types";

/**
 * The policies the program declared, collected at provisioning: each role's identity policies (inline
 * policies, `aws:iam/rolePolicy`, customer managed `aws:iam/policy` and the AWS managed policies attached
 * with `aws:iam/rolePolicyAttachment` or `managedPolicyArns`), each function's role, and the resource policies
 * (queue, topic, bucket, event bus and KMS key policies, Lambda permissions), by the resource's ARN.
 */

export type PolicyDocument = { Version?: string; Statement: unknown[] | unknown; Id?: string };

/** A named identity policy, as the evaluator takes it. */
export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/**
 * The AWS managed policies a stack may attach, with their documents as AWS publishes them (the IAM console's
 * "AWS managed policy" pages, AWS Managed Policy Reference Guide:
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html).
 */
export const AWS_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "*",
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
  "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:FilterLogEvents",
        ],
        Resource: "*",
      },
    ],
  },
};

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A policy input as the program gave it: a JSON string or an object. */
export function parsePolicy(value: unknown): PolicyDocument | undefined {
  let parsed = value;
  if (typeof value === "string") {
    if (value.trim() === "") return undefined;
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== "object" || !("Statement" in parsed)) return undefined;
  return parsed as PolicyDocument;
}

function output(resource: LocalResource, key: string): string | undefined {
  return str((resource.outputs as Record<string, unknown> | undefined)?.[key]) ?? str(resource.inputs[key]);
}

/** Adds a statement to a resource policy (Lambda permissions build one policy per function). */
function withStatement(policy: PolicyDocument | undefined, statement: unknown): PolicyDocument {
  const statements = policy ? (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]) : [];
  return { Version: "2012-10-17", Statement: [...statements, statement] };
}

export class PolicyStore {
  /** Role ARN -> its identity policies. */
  private readonly identity = new Map<string, NamedPolicy[]>();
  /** Role ARN by role name (rolePolicy and attachments name the role). */
  private readonly roleArns = new Map<string, string>();
  /** Customer managed policies by ARN. */
  private readonly managed = new Map<string, { name: string; policy: PolicyDocument }>();
  /** Attachments seen before the policy they name (registration order is the program's). */
  private readonly pendingAttachments: Array<{ role: string; policyArn: string }> = [];
  /** Resource ARN -> its resource policy. */
  private readonly resourcePolicies = new Map<string, PolicyDocument>();
  /** Function ARN (unqualified) and name -> its execution role's ARN. */
  private readonly functionRoles = new Map<string, string>();
  /** KMS: the key a queue, topic or table is encrypted with (key ARN), by the resource's ARN. */
  private readonly encryption = new Map<string, string>();
  /** KMS key ARN by id and alias. */
  private readonly keys = new Map<string, string>();
  /** A table's partition key attribute name, by table ARN (for `dynamodb:LeadingKeys`). */
  readonly partitionKeys = new Map<string, string>();
  /** API Gateway authorizers: `<apiId> <function ARN>` -> authorizer id (the authorizer's `aws:SourceArn`). */
  readonly authorizers = new Map<string, string>();
  private version = 0;

  constructor(
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  /** Bumped on every change, so decision caches know when to forget. */
  get generation(): number {
    return this.version;
  }

  roles(): string[] {
    return [...this.identity.keys()];
  }

  hasRole(roleArn: string): boolean {
    return this.identity.has(roleArn);
  }

  identityPolicies(roleArn: string): NamedPolicy[] {
    return this.identity.get(roleArn) ?? [];
  }

  /** Every policy the evaluator can be given: each role's identity policies and every resource policy. */
  *documents(): Iterable<PolicyDocument> {
    for (const policies of this.identity.values()) for (const named of policies) yield named.policy;
    yield* this.resourcePolicies.values();
  }

  resourcePolicy(arn: string): PolicyDocument | undefined {
    return this.resourcePolicies.get(arn);
  }

  /** Replaces a resource's policy (SetQueueAttributes Policy, SetTopicAttributes, PutBucketPolicy...). */
  setResourcePolicy(arn: string, policy: PolicyDocument | undefined): void {
    if (policy) this.resourcePolicies.set(arn, policy);
    else this.resourcePolicies.delete(arn);
    this.version++;
  }

  roleOfFunction(nameOrArn: string): string | undefined {
    return this.functionRoles.get(nameOrArn) ?? this.functionRoles.get(this.functionArn(nameOrArn));
  }

  /** The customer managed key a resource is encrypted with, if any (AWS owned and AWS managed keys are not). */
  keyOf(resourceArn: string): string | undefined {
    return this.encryption.get(resourceArn);
  }

  functionArn(nameOrArn: string): string {
    if (nameOrArn.startsWith("arn:")) return nameOrArn.split(":").slice(0, 7).join(":");
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${nameOrArn}`;
  }

  /** Replaces a role's identity policies (tests remove one statement this way). */
  setIdentityPolicies(roleArn: string, policies: NamedPolicy[]): void {
    this.identity.set(roleArn, policies);
    this.version++;
  }

  provision(resource: LocalResource): void {
    const inputs = resource.inputs;
    switch (resource.type) {
      case "aws:iam/role:Role": {
        const arn = output(resource, "arn");
        if (!arn) return;
        const name = output(resource, "name") ?? arn.slice(arn.lastIndexOf("/") + 1);
        this.roleArns.set(name, arn);
        const policies = this.identity.get(arn) ?? [];
        const inline = Array.isArray(inputs.inlinePolicies) ? inputs.inlinePolicies : [];
        for (const entry of inline as Array<Record<string, unknown>>) {
          const policy = parsePolicy(entry.policy);
          if (policy) policies.push({ name: str(entry.name) ?? `${name}-inline`, policy });
        }
        this.identity.set(arn, policies);
        for (const policyArn of Array.isArray(inputs.managedPolicyArns) ? inputs.managedPolicyArns : []) {
          if (typeof policyArn === "string") this.attach(name, policyArn);
        }
        break;
      }
      case "aws:iam/rolePolicy:RolePolicy": {
        const role = this.roleArn(str(inputs.role));
        const policy = parsePolicy(inputs.policy);
        if (!role || !policy) return;
        this.add(role, { name: output(resource, "name") ?? resource.name, policy });
        break;
      }
      case "aws:iam/policy:Policy": {
        const arn = output(resource, "arn");
        const policy = parsePolicy(inputs.policy);
        if (!arn || !policy) return;
        this.managed.set(arn, { name: output(resource, "name") ?? resource.name, policy });
        for (const pending of this.pendingAttachments.filter((p) => p.policyArn === arn)) {
          this.attach(pending.role, arn);
        }
        break;
      }
      case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        const role = str(inputs.role);
        const policyArn = str(inputs.policyArn);
        if (role && policyArn) this.attach(role, policyArn);
        break;
      }
      case "aws:lambda/function:Function": {
        const arn = output(resource, "arn");
        const role = str(inputs.role);
        const name = output(resource, "name");
        if (!arn || !role) return;
        this.functionRoles.set(arn, role);
        if (name) this.functionRoles.set(name, role);
        break;
      }
      case "aws:sqs/queue:Queue":
        this.resourcePolicyInput(output(resource, "arn"), inputs.policy);
        this.encrypted(output(resource, "arn"), str(inputs.kmsMasterKeyId));
        break;
      case "aws:sqs/queuePolicy:QueuePolicy":
        this.resourcePolicyInput(this.queueArnOfUrl(str(inputs.queueUrl)), inputs.policy);
        break;
      case "aws:sns/topic:Topic":
        this.resourcePolicyInput(output(resource, "arn"), inputs.policy);
        this.encrypted(output(resource, "arn"), str(inputs.kmsMasterKeyId));
        break;
      case "aws:sns/topicPolicy:TopicPolicy":
        this.resourcePolicyInput(str(inputs.arn), inputs.policy);
        break;
      case "aws:s3/bucketPolicy:BucketPolicy": {
        const bucket = str(inputs.bucket);
        if (bucket) this.resourcePolicyInput(`arn:aws:s3:::${bucket}`, inputs.policy);
        break;
      }
      case "aws:cloudwatch/eventBusPolicy:EventBusPolicy": {
        const bus = str(inputs.eventBusName) ?? "default";
        const arn = bus.startsWith("arn:")
          ? bus
          : `arn:aws:events:${this.region}:${this.accountId}:event-bus/${bus}`;
        this.resourcePolicyInput(arn, inputs.policy);
        break;
      }
      case "aws:kms/key:Key": {
        const arn = output(resource, "arn");
        if (!arn) return;
        this.keys.set(arn, arn);
        const id = output(resource, "keyId") ?? resource.id;
        if (id) this.keys.set(id, arn);
        // A key without a policy gets the default one: the account may use IAM policies to allow access.
        // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
        this.resourcePolicyInput(
          arn,
          inputs.policy ?? {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "Enable IAM User Permissions",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
                Action: "kms:*",
                Resource: "*",
              },
            ],
          },
        );
        break;
      }
      case "aws:kms/alias:Alias": {
        const name = str(inputs.name);
        const target = this.keys.get(str(inputs.targetKeyId) ?? "") ?? str(inputs.targetKeyId);
        if (name && target) this.keys.set(name, target);
        break;
      }
      case "aws:dynamodb/table:Table": {
        const arn = output(resource, "arn");
        if (!arn) return;
        const hashKey = str(inputs.hashKey);
        if (hashKey) this.partitionKeys.set(arn, hashKey);
        const sse = inputs.serverSideEncryption as Record<string, unknown> | undefined;
        if (sse?.enabled === true) this.encrypted(arn, str(sse.kmsKeyArn));
        break;
      }
      case "aws:apigatewayv2/authorizer:Authorizer": {
        const uri = str(inputs.authorizerUri);
        const fn = uri ? /\/functions\/(.+?)\/invocations\/?$/.exec(uri)?.[1] : undefined;
        if (fn && str(inputs.apiId) && resource.id)
          this.authorizers.set(`${str(inputs.apiId)} ${this.functionArn(fn)}`, resource.id);
        break;
      }
      case "aws:lambda/permission:Permission": {
        const fn = str(inputs.function);
        const principal = str(inputs.principal);
        if (!fn || !principal) return;
        const arn = this.functionArn(fn);
        const condition: Record<string, Record<string, string>> = {};
        if (str(inputs.sourceArn)) condition.ArnLike = { "aws:SourceArn": str(inputs.sourceArn) as string };
        if (str(inputs.sourceAccount))
          condition.StringEquals = { "aws:SourceAccount": str(inputs.sourceAccount) as string };
        const statement: Record<string, unknown> = {
          Sid: output(resource, "statementId") ?? resource.name,
          Effect: "Allow",
          Principal: principal.endsWith(".amazonaws.com")
            ? { Service: principal }
            : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
          Action: str(inputs.action) ?? "lambda:InvokeFunction",
          Resource: arn,
        };
        if (Object.keys(condition).length > 0) statement.Condition = condition;
        this.resourcePolicies.set(arn, withStatement(this.resourcePolicies.get(arn), statement));
        this.version++;
        break;
      }
      default:
    }
  }

  private encrypted(resourceArn: string | undefined, keyId: string | undefined): void {
    if (!resourceArn || !keyId) return;
    // alias/aws/sqs, alias/aws/sns, alias/aws/dynamodb: AWS managed keys, whose policies allow the account's
    // principals through the service; only customer managed keys are checked.
    if (keyId.startsWith("alias/aws/")) return;
    const arn = this.keys.get(keyId) ?? (keyId.startsWith("arn:aws:kms:") ? keyId : undefined);
    if (arn) this.encryption.set(resourceArn, arn);
  }

  private queueArnOfUrl(url: string | undefined): string | undefined {
    if (!url) return undefined;
    const parts = new URL(url, "http://local").pathname.split("/").filter(Boolean);
    if (parts.length < 2) return undefined;
    return `arn:aws:sqs:${this.region}:${parts[0]}:${parts[1]}`;
  }

  private resourcePolicyInput(arn: string | undefined, value: unknown): void {
    const policy = parsePolicy(value);
    if (!arn || !policy) return;
    this.resourcePolicies.set(arn, policy);
    this.version++;
  }

  private roleArn(nameOrArn: string | undefined): string | undefined {
    if (!nameOrArn) return undefined;
    if (nameOrArn.startsWith("arn:")) return nameOrArn;
    return this.roleArns.get(nameOrArn) ?? `arn:aws:iam::${this.accountId}:role/${nameOrArn}`;
  }

  private add(roleArn: string, policy: NamedPolicy): void {
    this.identity.set(roleArn, [...(this.identity.get(roleArn) ?? []), policy]);
    this.version++;
  }

  private attach(role: string, policyArn: string): void {
    const roleArn = this.roleArn(role);
    if (!roleArn) return;
    const managed = this.managed.get(policyArn);
    const document = managed?.policy ?? AWS_MANAGED_POLICIES[policyArn];
    if (!document) {
      this.pendingAttachments.push({ role, policyArn });
      return;
    }
    this.add(roleArn, {
      name: managed?.name ?? policyArn.slice(policyArn.lastIndexOf("/") + 1),
      policy: document,
    });
  }
}
