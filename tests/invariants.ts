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

/**
 * The only actions a role may hold on `Resource: "*"`: AWS offers no resource-level permissions for them (the
 * service authorization reference lists no resource type), so `*` is the only form IAM accepts. X-Ray's two are
 * what a traced function needs to send its segments (docs/aws-reference.md §7).
 */
export const ACTIONS_ONLY_ON_EVERY_RESOURCE = [
  "cloudwatch:PutMetricData",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
];

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
        !actions.every((a) => ACTIONS_ONLY_ON_EVERY_RESOURCE.includes(a))
      ) {
        problems.push(`${policy.name} grants ${actions.join(", ")} on every resource`);
      }
      return problems;
    }),
  );

/** Every grant on a KMS key holds only through the AWS service that uses the key (`kms:ViaService`). */
export const keyGrantsGoThroughServices: Invariant = (resources) =>
  ofType(resources, "aws:iam/rolePolicy:RolePolicy").flatMap((policy) =>
    statements(policy)
      .filter((s) => asList(s.Action).some((a) => String(a).startsWith("kms:")))
      .filter((s) => !Object.values(s.Condition ?? {}).some((block) => "kms:ViaService" in block))
      .map((s) => `${policy.name} grants ${asList(s.Action).join(", ")} without a kms:ViaService condition`),
  );

/** The X-Ray grant exists exactly on the roles of traced functions (a grant nobody uses is a defect). */
export const tracingMatchesGrants: Invariant = (resources) => {
  const functions = ofType(resources, "aws:lambda/function:Function");
  const policies = ofType(resources, "aws:iam/rolePolicy:RolePolicy");
  return functions.flatMap((fn) => {
    const traced = (fn.inputs.tracingConfig as { mode?: string } | undefined)?.mode === "Active";
    const policy = policies.find(
      (p) => p.inputs.role === resources.find((r) => r.outputs.arn === fn.inputs.role)?.outputs.name,
    );
    const granted = policy
      ? statements(policy).some((s) => asList(s.Action).includes("xray:PutTraceSegments"))
      : false;
    if (traced && !granted) return [`function ${fn.name} is traced but its role may not send traces`];
    if (!traced && granted) return [`function ${fn.name} may send traces but is not traced`];
    return [];
  });
};

/** Every function has an `Errors` alarm and a `Throttles` alarm. */
export const functionsAreWatched: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  return ofType(resources, "aws:lambda/function:Function").flatMap((fn) =>
    ["Errors", "Throttles"]
      .filter(
        (metric) =>
          !alarms.some(
            (a) =>
              a.inputs.namespace === "AWS/Lambda" &&
              a.inputs.metricName === metric &&
              (a.inputs.dimensions as Record<string, unknown> | undefined)?.FunctionName === fn.outputs.name,
          ),
      )
      .map((metric) => `function ${fn.name} has no ${metric} alarm`),
  );
};

/** Whether some alarm watches `metricName` in `namespace` with `dimension` = `value` (the resource's output). */
function watched(
  alarms: readonly RecordedResource[],
  namespace: string,
  metricName: string,
  dimension: string,
  value: unknown,
): boolean {
  return alarms.some(
    (a) =>
      a.inputs.namespace === namespace &&
      a.inputs.metricName === metricName &&
      (a.inputs.dimensions as Record<string, unknown> | undefined)?.[dimension] === value,
  );
}

/**
 * Every topic alarms on `NumberOfNotificationsFailed` (deliveries SNS gave up on), except the ops topics themselves:
 * their alarm would notify the topic that is failing.
 */
export const topicsAreWatched: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  const ops = opsTopicArns(resources);
  return ofType(resources, "aws:sns/topic:Topic")
    .filter((t) => !ops.has(String(t.outputs.arn)))
    .filter((t) => !watched(alarms, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", t.outputs.name))
    .map((t) => `topic ${t.name} has no NumberOfNotificationsFailed alarm`);
};

/** Every EventBridge rule alarms on `FailedInvocations` (events it could not deliver to its target). */
export const rulesAreWatched: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  return ofType(resources, "aws:cloudwatch/eventRule:EventRule")
    .filter((r) => !watched(alarms, "AWS/Events", "FailedInvocations", "RuleName", r.outputs.name))
    .map((r) => `rule ${r.name} has no FailedInvocations alarm`);
};

/** Every table alarms on read and on write throttle events. */
export const tablesAreWatched: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  return ofType(resources, "aws:dynamodb/table:Table").flatMap((t) =>
    ["ReadThrottleEvents", "WriteThrottleEvents"]
      .filter((metric) => !watched(alarms, "AWS/DynamoDB", metric, "TableName", t.outputs.name))
      .map((metric) => `table ${t.name} has no ${metric} alarm`),
  );
};

/**
 * Every API alarms on its server-side errors: an HTTP API on `5xx`; a WebSocket API, which reports no 4xx/5xx, on
 * `IntegrationError` and `ExecutionError`.
 */
export const apisAreWatched: Invariant = (resources) => {
  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
  return ofType(resources, "aws:apigatewayv2/api:Api").flatMap((api) =>
    (api.inputs.protocolType === "WEBSOCKET" ? ["IntegrationError", "ExecutionError"] : ["5xx"])
      .filter((metric) => !watched(alarms, "AWS/ApiGateway", metric, "ApiId", api.id ?? api.outputs.id))
      .map((metric) => `API ${api.name} has no ${metric} alarm`),
  );
};

/** Every function is on a service dashboard (the dashboards' metrics name it). */
export const functionsAreOnADashboard: Invariant = (resources) => {
  const bodies = ofType(resources, "aws:cloudwatch/dashboard:Dashboard").map((d) =>
    String(d.inputs.dashboardBody),
  );
  return ofType(resources, "aws:lambda/function:Function")
    .filter((fn) => !bodies.some((body) => body.includes(JSON.stringify(String(fn.outputs.name)))))
    .map((fn) => `function ${fn.name} is on no dashboard`);
};

/** The ARNs of the stack's ops topics (the SNS topic inside each AlarmTopic). */
function opsTopicArns(resources: readonly RecordedResource[]): Set<string> {
  const owners = ofType(resources, "switchyard:kit:AlarmTopic").map((a) => `${a.name}-ops-topic`);
  return new Set(
    ofType(resources, "aws:sns/topic:Topic")
      .filter((t) => owners.includes(t.name))
      .map((t) => String(t.outputs.arn)),
  );
}

/** Every alarm notifies the ops topic when it fires and when it clears. */
export const alarmsNotifyOps: Invariant = (resources) => {
  const ops = opsTopicArns(resources);
  return ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").flatMap((a) => {
    const problems: string[] = [];
    for (const key of ["alarmActions", "okActions"]) {
      if (!asList(a.inputs[key]).some((arn) => ops.has(String(arn)))) {
        problems.push(`alarm ${a.name} has no ${key} on the ops topic`);
      }
    }
    return problems;
  });
};

/**
 * A stage with access logging waits for the region's API Gateway CloudWatch Logs role setting when the stack
 * declares it: AWS refuses the stage before the setting exists.
 */
export const loggingStagesWaitForTheAccountRole: Invariant = (resources) => {
  const accounts = ofType(resources, "aws:apigateway/account:Account");
  if (accounts.length === 0) return [];
  const ready = new Set(
    resources.filter((r) => accounts.some((a) => a.urn === r.urn || a.parentUrn === r.urn)).map((r) => r.urn),
  );
  return ofType(resources, "aws:apigatewayv2/stage:Stage")
    .filter((stage) => stage.inputs.accessLogSettings !== undefined)
    .filter((stage) => !(stage.dependencies ?? []).some((urn) => ready.has(urn)))
    .map((stage) => `stage ${stage.name} logs before the API Gateway account's CloudWatch Logs role is set`);
};

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
  keyGrantsGoThroughServices,
  tracingMatchesGrants,
  deadLettersAlarm,
  functionsAreWatched,
  functionsAreOnADashboard,
  topicsAreWatched,
  rulesAreWatched,
  tablesAreWatched,
  apisAreWatched,
  alarmsNotifyOps,
  loggingStagesWaitForTheAccountRole,
  childrenNamedFromParents,
};
