import type { RecordedResource } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import { INVARIANTS } from "./invariants";

const ARN = "arn:aws:sqs:us-east-1:123456789012";
const resource = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
  parentUrn?: string,
): RecordedResource => ({
  type,
  name,
  urn: `urn:pulumi:t::p::${type}::${name}`,
  custom: true,
  inputs,
  outputs: { ...inputs, ...outputs },
  ...(parentUrn ? { parentUrn } : {}),
});
const policy = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const tlsDeny = {
  Effect: "Deny",
  Principal: "*",
  Action: "sqs:*",
  Resource: `${ARN}:q`,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

// Each row: an invariant, resources that break it, and the sentence it must produce. Proves the stack tests can fail.
describe.each([
  [
    "queuesAreReliable",
    [resource("aws:sqs/queue:Queue", "lonely", {}, { arn: `${ARN}:lonely` })],
    "queue lonely is not encrypted at rest",
  ],
  [
    "queuesAreReliable",
    [resource("aws:sqs/queue:Queue", "lonely", { sqsManagedSseEnabled: true }, { arn: `${ARN}:lonely` })],
    "queue lonely has no dead-letter queue and is no dead-letter destination",
  ],
  [
    "policiesAreTlsOnly",
    [
      resource("aws:sqs/queue:Queue", "q", {}, { url: "u" }),
      resource("aws:sqs/queuePolicy:QueuePolicy", "q-policy", { queueUrl: "u", policy: policy([]) }),
    ],
    "q's policy has no TLS-only deny statement",
  ],
  [
    "policiesAreTlsOnly",
    [resource("aws:sns/topic:Topic", "t", {}, { arn: "t-arn" })],
    "t has 0 resource policies; expected exactly one",
  ],
  [
    "servicePrincipalsArePinned",
    [
      resource("aws:sqs/queuePolicy:QueuePolicy", "q-policy", {
        policy: policy([
          tlsDeny,
          {
            Sid: "Open",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: "x",
          },
        ]),
      }),
    ],
    "q-policy: statement Open lets a service in without an aws:SourceArn condition",
  ],
  [
    "rolesAreLeastPrivilege",
    [
      resource("aws:iam/rolePolicy:RolePolicy", "fn-policy", {
        policy: policy([{ Effect: "Allow", Action: "sqs:*", Resource: "x" }]),
      }),
    ],
    "fn-policy grants wildcard action sqs:*",
  ],
  [
    "rolesAreLeastPrivilege",
    [
      resource("aws:iam/rolePolicy:RolePolicy", "fn-policy", {
        policy: policy([{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }]),
      }),
    ],
    "fn-policy grants sqs:SendMessage on every resource",
  ],
  [
    "deadLettersAlarm",
    [
      resource("aws:sns/topicSubscription:TopicSubscription", "alert-sub", {
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:alert-dlq` }),
      }),
      resource("aws:sqs/queue:Queue", "alert-dlq", {}, { arn: `${ARN}:alert-dlq`, name: "alert-dlq" }),
    ],
    "dead-letter queue alert-dlq has no alarm",
  ],
  [
    "deadLettersAlarm",
    [
      resource("aws:sqs/queue:Queue", "q", {
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:q-dlq` }),
      }),
      resource("aws:sqs/queue:Queue", "q-dlq", {}, { arn: `${ARN}:q-dlq`, name: "q-dlq" }),
    ],
    "dead-letter queue q-dlq has no alarm",
  ],
  [
    "deadLettersAlarm",
    [resource("aws:cloudwatch/metricAlarm:MetricAlarm", "silent", { dimensions: {} })],
    "alarm silent notifies nobody",
  ],
  [
    "keyGrantsGoThroughServices",
    [
      resource("aws:iam/rolePolicy:RolePolicy", "fn-policy", {
        policy: policy([
          { Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:1:key/k" },
        ]),
      }),
    ],
    "fn-policy grants kms:Decrypt without a kms:ViaService condition",
  ],
  [
    "tracingMatchesGrants",
    [
      resource("aws:iam/role:Role", "fn-role", {}, { arn: "role-arn", name: "fn-role-name" }),
      resource("aws:iam/rolePolicy:RolePolicy", "fn-policy", { role: "fn-role-name", policy: policy([]) }),
      resource("aws:lambda/function:Function", "fn", { role: "role-arn", tracingConfig: { mode: "Active" } }),
    ],
    "function fn is traced but its role may not send traces",
  ],
  [
    "tracingMatchesGrants",
    [
      resource("aws:iam/role:Role", "fn-role", {}, { arn: "role-arn", name: "fn-role-name" }),
      resource("aws:iam/rolePolicy:RolePolicy", "fn-policy", {
        role: "fn-role-name",
        policy: policy([
          { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
        ]),
      }),
      resource("aws:lambda/function:Function", "fn", { role: "role-arn" }),
    ],
    "function fn may send traces but is not traced",
  ],
  [
    "functionsAreWatched",
    [
      resource("aws:lambda/function:Function", "fn", {}, { name: "fn-123" }),
      resource("aws:cloudwatch/metricAlarm:MetricAlarm", "fn-errors", {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: "fn-123" },
      }),
    ],
    "function fn has no Throttles alarm",
  ],
  [
    "functionsAreOnADashboard",
    [
      resource("aws:lambda/function:Function", "fn", {}, { name: "fn-123" }),
      resource("aws:cloudwatch/dashboard:Dashboard", "board", {
        dashboardBody: JSON.stringify({
          widgets: [{ metrics: [["AWS/Lambda", "Errors", "FunctionName", "other"]] }],
        }),
      }),
    ],
    "function fn is on no dashboard",
  ],
  [
    "topicsAreWatched",
    [
      resource("switchyard:kit:AlarmTopic", "ops", {}),
      resource("aws:sns/topic:Topic", "ops-ops-topic", {}, { arn: "ops-arn", name: "ops-topic" }),
      resource("aws:sns/topic:Topic", "orders", {}, { arn: "orders-arn", name: "orders-1" }),
    ],
    "topic orders has no NumberOfNotificationsFailed alarm",
  ],
  [
    "rulesAreWatched",
    [resource("aws:cloudwatch/eventRule:EventRule", "replay", {}, { name: "replay-1" })],
    "rule replay has no FailedInvocations alarm",
  ],
  [
    "tablesAreWatched",
    [
      resource("aws:dynamodb/table:Table", "state", {}, { name: "state-1" }),
      resource("aws:cloudwatch/metricAlarm:MetricAlarm", "state-read", {
        namespace: "AWS/DynamoDB",
        metricName: "ReadThrottleEvents",
        dimensions: { TableName: "state-1" },
      }),
    ],
    "table state has no WriteThrottleEvents alarm",
  ],
  [
    "apisAreWatched",
    [
      { ...resource("aws:apigatewayv2/api:Api", "ingress", { protocolType: "HTTP" }), id: "api-1" },
      resource("aws:cloudwatch/metricAlarm:MetricAlarm", "ingress-4xx", {
        namespace: "AWS/ApiGateway",
        metricName: "4xx",
        dimensions: { ApiId: "api-1" },
      }),
    ],
    "API ingress has no 5xx alarm",
  ],
  [
    "apisAreWatched",
    [{ ...resource("aws:apigatewayv2/api:Api", "ws", { protocolType: "WEBSOCKET" }), id: "api-2" }],
    "API ws has no ExecutionError alarm",
  ],
  [
    "alarmsNotifyOps",
    [
      resource("switchyard:kit:AlarmTopic", "ops", {}),
      resource("aws:sns/topic:Topic", "ops-ops-topic", {}, { arn: "ops-arn" }),
      resource("aws:cloudwatch/metricAlarm:MetricAlarm", "elsewhere", {
        alarmActions: ["ops-arn"],
        okActions: ["other-arn"],
      }),
    ],
    "alarm elsewhere has no okActions on the ops topic",
  ],
  [
    "loggingStagesWaitForTheAccountRole",
    [
      resource("aws:apigateway/account:Account", "apigw-account", {}),
      resource("aws:apigatewayv2/stage:Stage", "stage", { accessLogSettings: { destinationArn: "x" } }),
    ],
    "stage stage logs before the API Gateway account's CloudWatch Logs role is set",
  ],
  [
    "childrenNamedFromParents",
    [
      resource("switchyard:kit:ReliableQueue", "orders", {}),
      resource(
        "aws:sqs/queue:Queue",
        "queue",
        {},
        {},
        "urn:pulumi:t::p::switchyard:kit:ReliableQueue::orders",
      ),
    ],
    "aws:sqs/queue:Queue queue is not named from its parent orders",
  ],
] as const)("%s", (name, resources, sentence) => {
  it(`reports: ${sentence}`, () => {
    const invariant = INVARIANTS[name];
    expect(invariant?.(resources as unknown as RecordedResource[])).toContain(sentence);
  });
});
