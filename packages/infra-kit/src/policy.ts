import * as pulumi from "@pulumi/pulumi";

/** The AWS service principals that deliver into our queues and topics. */
export type ServicePrincipal =
  | "sns.amazonaws.com"
  | "events.amazonaws.com"
  | "s3.amazonaws.com"
  | "cloudwatch.amazonaws.com";

export type ConditionBlock = Record<string, Record<string, pulumi.Input<string | string[] | boolean>>>;

/** One IAM policy statement, in the JSON shape AWS reads. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Service?: string | string[]; AWS?: pulumi.Input<string> | pulumi.Input<string>[] };
  Action: string | string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: ConditionBlock;
}

/** An AWS service that may deliver to a resource, and the one source it may deliver from. */
export interface ServiceSource {
  service: ServicePrincipal;
  /** The exact ARN of the topic, rule, bucket or alarm that delivers (`aws:SourceArn`). */
  sourceArn: pulumi.Input<string>;
  /** The account that owns the source (`aws:SourceAccount`); S3 bucket ARNs carry no account, so pass it for S3. */
  sourceAccount?: pulumi.Input<string>;
}

/** A grant to a function's role: exact actions on exact resources. */
export interface Grant {
  /** IAM actions, `service:Action`, no wildcards. */
  actions: string[];
  /** Exact ARNs. `*` only for actions AWS does not scope to resources (see `ACTIONS_WITHOUT_RESOURCES`). */
  resources: pulumi.Input<string>[];
  /** Optional IAM conditions, e.g. `{ StringEquals: { "cloudwatch:namespace": "Switchyard" } }`. */
  conditions?: ConditionBlock;
}

/**
 * Actions for which AWS supports no resource-level permissions, so `Resource: "*"` is the only form
 * IAM accepts (per each service's "Actions, resources, and condition keys" page).
 */
export const ACTIONS_WITHOUT_RESOURCES: readonly string[] = [
  "cloudwatch:PutMetricData",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
];

/** What a traced function needs to send its segments to X-Ray (both only with `Resource: "*"`). */
export const XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"] as const;

/**
 * Denies every request to the resource that does not use TLS (`aws:SecureTransport` false). Every queue, topic
 * and bucket policy of the kit starts with it; use it in hand-written resource policies too.
 */
export function tlsOnlyStatement(
  service: "sqs" | "sns" | "s3",
  resources: pulumi.Input<string>[],
): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    // SNS topic policies scope by action: publishing is what must never travel in clear text.
    Action: service === "sns" ? "sns:Publish" : `${service}:*`,
    Resource: resources.length === 1 ? (resources[0] as pulumi.Input<string>) : resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Lets one AWS service perform `actions` on `resource`, only on behalf of the given source. */
export function serviceStatement(
  source: ServiceSource,
  actions: string[],
  resource: pulumi.Input<string>,
  sid: string,
): PolicyStatement {
  // ArnLike with a plain ARN is an exact match; it also admits the alarm-ARN pattern CloudWatch needs.
  const condition: ConditionBlock = { ArnLike: { "aws:SourceArn": source.sourceArn } };
  if (source.sourceAccount !== undefined) {
    condition.StringEquals = { "aws:SourceAccount": source.sourceAccount };
  }
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: source.service },
    Action: actions.length === 1 ? (actions[0] as string) : actions,
    Resource: resource,
    Condition: condition,
  };
}

/** A statement id from free text: IAM Sids are alphanumeric only. */
export function sid(...parts: string[]): string {
  return parts
    .join(" ")
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

/** Services that use a KMS key on a caller's behalf (`kms:ViaService`). */
export type KeyUsingService = "sqs" | "sns" | "dynamodb" | "events";

/**
 * A grant on a customer-managed key that holds only when `service` uses the key on the caller's behalf in the key's
 * own region (`kms:ViaService` = `<service>.<region>.amazonaws.com`): the function cannot call KMS directly with
 * it. The region comes from the key ARN (a key serves resources of its own region only).
 */
export function keyGrant(keyArn: pulumi.Input<string>, actions: string[], service: KeyUsingService): Grant {
  const via = pulumi.output(keyArn).apply((arn) => `${service}.${arn.split(":")[3] ?? ""}.amazonaws.com`);
  return { actions, resources: [keyArn], conditions: { StringEquals: { "kms:ViaService": via } } };
}

/**
 * Conditions that bound table writes to items whose partition key starts with one of `prefixes`
 * (`dynamodb:LeadingKeys`), so a function can only touch the item families it owns.
 */
export function leadingKeys(prefixes: readonly string[]): ConditionBlock {
  return { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((p) => `${p}*`) } };
}

/**
 * A condition keeping a DynamoDB grant off the items whose partition key starts with one of `prefixes`
 * (`dynamodb:LeadingKeys`), for item families whose own keys have no prefix to bound them with (ids chosen by
 * another service), so their functions cannot touch the families that do.
 */
export function leadingKeysNot(prefixes: readonly string[]): ConditionBlock {
  return { "ForAllValues:StringNotLike": { "dynamodb:LeadingKeys": prefixes.map((p) => `${p}*`) } };
}

/** Renders statements into a policy document JSON string. */
export function renderPolicy(
  statements: pulumi.Input<pulumi.Input<PolicyStatement>[]>,
): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

// arn:partition:service:region:account:resource
const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.+)$/;

/**
 * Validates a grant's shape: exact actions, and exact ARNs. `*` stands alone only for actions AWS
 * does not scope to resources; a wildcard inside an ARN is allowed only in its resource part after a
 * concrete prefix (`arn:aws:s3:::bucket/*`, a log group's `:*` streams). ARNs given as Outputs are
 * not known yet and are not checked.
 */
export function grantProblems(grant: Grant): string[] {
  const problems: string[] = [];
  if (grant.actions.length === 0) problems.push("has no actions");
  for (const action of grant.actions) {
    if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
      problems.push(`action "${action}" must be an exact "service:Action" (no wildcards)`);
    }
  }
  if (grant.resources.length === 0) problems.push("has no resources");
  for (const resource of grant.resources) {
    if (typeof resource !== "string" || resource === "*") continue;
    const arn = ARN.exec(resource);
    if (!arn) {
      problems.push(`resource "${resource}" must be an ARN or "*"`);
    } else if (arn.slice(1, 5).some((part) => /[*?]/.test(part))) {
      problems.push(
        `resource "${resource}" must be an exact ARN (no wildcard in partition, service, region or account)`,
      );
    } else if (/^[*?]/.test(arn[5] ?? "")) {
      problems.push(`resource "${resource}" must name a resource, not every resource of the service`);
    }
  }
  const unscoped = grant.actions.filter((a) => ACTIONS_WITHOUT_RESOURCES.includes(a));
  const scoped = grant.actions.filter((a) => !ACTIONS_WITHOUT_RESOURCES.includes(a));
  if (grant.resources.some((r) => r === "*") && scoped.length > 0) {
    problems.push(
      `resource "*" is only allowed for actions without resource-level permissions, not ${scoped.join(", ")}`,
    );
  }
  if (unscoped.length > 0 && (grant.resources.length !== 1 || grant.resources[0] !== "*")) {
    // IAM matches these actions only against "*": an ARN would silently grant nothing.
    problems.push(
      `actions without resource-level permissions (${unscoped.join(", ")}) need resources ["*"] in a grant of their own`,
    );
  }
  return problems;
}

/** The statements of a role policy for the given grants. */
export function grantStatements(grants: readonly Grant[]): PolicyStatement[] {
  return grants.map((grant) => {
    const statement: PolicyStatement = {
      Effect: "Allow",
      Action: grant.actions.length === 1 ? (grant.actions[0] as string) : [...grant.actions].sort(),
      Resource: grant.resources.length === 1 ? (grant.resources[0] as pulumi.Input<string>) : grant.resources,
    };
    if (grant.conditions) statement.Condition = grant.conditions;
    return statement;
  });
}

/** A grant for an error message: its actions on its resources, with unresolved Outputs shown as such. */
export function describeGrant(grant: Grant): string {
  const resources = (grant.resources ?? []).map((r) => (typeof r === "string" ? r : "<output>"));
  return `${(grant.actions ?? []).join(", ")} on ${resources.join(", ")}`;
}

/**
 * The resource policy of a queue or topic: deny anything without TLS, then one statement per AWS
 * service source, each allowed `action` on the resource only from that source.
 */
export function servicePolicy(
  service: "sqs" | "sns",
  action: string,
  resourceArn: pulumi.Input<string>,
  sources: pulumi.Output<ServiceSource[]>,
): pulumi.Output<string> {
  return renderPolicy(
    sources.apply((list) => [
      tlsOnlyStatement(service, [resourceArn]),
      ...list.map((source, index) =>
        serviceStatement(
          source,
          [action],
          resourceArn,
          sid("Allow", source.service.split(".")[0] ?? "", String(index + 1)),
        ),
      ),
    ]),
  );
}
