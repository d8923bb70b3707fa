import type { RecordedResource } from "@switchyard/testing";

/**
 * Rules every synthesized stack must obey, whatever services it composes. Each returns the
 * violations as sentences naming the resource, so a failing test says what to fix.
 */
export type Invariant = (resources: readonly RecordedResource[]) => string[];

type Statement = {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

function statements(resource: RecordedResource, key = "policy"): Statement[] {
  const raw = resource.inputs[key];
  if (typeof raw !== "string") return [];
  const doc = JSON.parse(raw) as { Statement?: Statement | Statement[] };
  return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
}

const ofType = (resources: readonly RecordedResource[], type: string) =>
  resources.filter((r) => r.type === type);
const asList = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/**
 * ARNs used as dead-letter destinations: queue redrive targets, SNS subscription and EventBridge target
 * DLQs, and Lambda async on-failure destinations and DLQs.
 */
export function deadLetterArns(resources: readonly RecordedResource[]): Set<string> {
  const fromJson = (value: unknown): string[] =>
    typeof value === "string" ? [String(JSON.parse(value).deadLetterTargetArn ?? "")] : [];
  const at = (value: unknown, ...path: string[]): string[] => {
    let node: unknown = value;
    for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
    return typeof node === "string" ? [node] : [];
  };
  const arns = resources.flatMap((r) => {
    switch (r.type) {
      case "aws:sqs/queue:Queue":
      case "aws:sns/topicSubscription:TopicSubscription":
        return fromJson(r.inputs.redrivePolicy);
      case "aws:cloudwatch/eventTarget:EventTarget":
        return at(r.inputs, "deadLetterConfig", "arn");
      case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
        return at(r.inputs, "destinationConfig", "onFailure", "destination");
      case "aws:lambda/function:Function":
        return at(r.inputs, "deadLetterConfig", "targetArn");
      default:
        return [];
    }
  });
  return new Set(arns.filter((arn) => arn.length > 0));
}

/** Every queue is encrypted at rest, and is either redriven to a DLQ or is itself a dead-letter destination. */
export const queuesAreReliable: Invariant = (resources) => {
  const queues = ofType(resources, "aws:sqs/queue:Queue");
  const dlqArns = deadLetterArns(resources);
  return queues.flatMap((q) => {
    const problems: string[] = [];
    if (q.inputs.sqsManagedSseEnabled !== true && typeof q.inputs.kmsMasterKeyId !== "string") {
      problems.push(`queue ${q.name} is not encrypted at rest`);
    }
    if (typeof q.inputs.redrivePolicy !== "string" && !dlqArns.has(String(q.outputs.arn))) {
      problems.push(`queue ${q.name} has no dead-letter queue and is no dead-letter destination`);
    }
    return problems;
  });
};

/** Every queue and topic has exactly one resource policy, and it denies requests without TLS. */
export const policiesAreTlsOnly: Invariant = (resources) => {
  const checks: Array<[string, string, string, string]> = [
    ["aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy", "url", "queueUrl"],
    ["aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "arn", "arn"],
  ];
  return checks.flatMap(([type, policyType, outputKey, inputKey]) =>
    ofType(resources, type).flatMap((resource) => {
      const policies = ofType(resources, policyType).filter(
        (p) => p.inputs[inputKey] === resource.outputs[outputKey],
      );
      if (policies.length !== 1)
        return [`${resource.name} has ${policies.length} resource policies; expected exactly one`];
      const tls = statements(policies[0] as RecordedResource).some(
        (s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      );
      return tls ? [] : [`${resource.name}'s policy has no TLS-only deny statement`];
    }),
  );
};

/** Every Allow to an AWS service principal in a resource policy is conditioned on aws:SourceArn. */
export const servicePrincipalsArePinned: Invariant = (resources) =>
  resources
    .filter((r) =>
      ["aws:sqs/queuePolicy:QueuePolicy", "aws:sns/topicPolicy:TopicPolicy", "aws:kms/key:Key"].includes(
        r.type,
      ),
    )
    .flatMap((policy) =>
      statements(policy)
        .filter(
          (s) =>
            s.Effect === "Allow" &&
            typeof s.Principal === "object" &&
            s.Principal !== null &&
            "Service" in s.Principal,
        )
        .filter((s) => !Object.values(s.Condition ?? {}).some((block) => "aws:SourceArn" in block))
        .map(
          (s) =>
            `${policy.name}: statement ${s.Sid ?? "(no Sid)"} lets a service in without an aws:SourceArn condition`,
        ),
    );

/** Role policies grant exact actions; `*` resources only where AWS offers nothing narrower. */
export const rolesAreLeastPrivilege: Invariant = (resources) =>
  ofType(resources, "aws:iam/rolePolicy:RolePolicy").flatMap((policy) =>
    statements(policy).flatMap((s) => {
      const actions = asList(s.Action).map(String);
      const problems = actions
        .filter((a) => a.includes("*"))
        .map((a) => `${policy.name} grants wildcard action ${a}`);
      if (
        asList(s.Resource).includes("*") &&
        !actions.every((a) =>
          ["cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords"].includes(a),
        )
      ) {
        problems.push(`${policy.name} grants ${actions.join(", ")} on every resource`);
      }
      return problems;
    }),
  );

/** Every dead-letter queue has an alarm, and every alarm notifies somebody. */
export const deadLettersAlarm: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  const watched = new Set(
    alarms.map((a) => (a.inputs.dimensions as Record<string, unknown> | undefined)?.QueueName),
  );
  const queues = ofType(resources, "aws:sqs/queue:Queue");
  const dlqArns = deadLetterArns(resources);
  return [
    ...queues
      .filter((q) => dlqArns.has(String(q.outputs.arn)) && !watched.has(q.outputs.name))
      .map((q) => `dead-letter queue ${q.name} has no alarm`),
    ...alarms
      .filter((a) => asList(a.inputs.alarmActions).length === 0)
      .map((a) => `alarm ${a.name} notifies nobody`),
  ];
};

/** Every child of a component has a name built from its parent's name. */
export const childrenNamedFromParents: Invariant = (resources) => {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return resources.flatMap((r) => {
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    if (!parent || r.type.startsWith("pulumi:")) return [];
    return r.name.startsWith(parent.name)
      ? []
      : [`${r.type} ${r.name} is not named from its parent ${parent.name}`];
  });
};

export const INVARIANTS: Record<string, Invariant> = {
  queuesAreReliable,
  policiesAreTlsOnly,
  servicePrincipalsArePinned,
  rolesAreLeastPrivilege,
  deadLettersAlarm,
  childrenNamedFromParents,
};
