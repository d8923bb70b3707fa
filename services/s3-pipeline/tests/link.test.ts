import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MOCK_ACCOUNT_ID, type PulumiMocks, parseJsonInput, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";

// The functions' policies and environment variable names as synthesized before the component moved to links
// (fixtures/policies-before-link.json, recorded from the commit before "s3-pipeline adopts link"). Linking must keep
// every policy identical and every function's environment names the same.
const FIXTURE = fileURLToPath(new URL("./fixtures/policies-before-link.json", import.meta.url));
const FUNCTIONS = ["renditions", "catalog", "cleanup"] as const;

let mocks: PulumiMocks;
const statements = (policy: unknown): string[] =>
  ((policy as { Statement: unknown[] }).Statement ?? []).map((statement) => JSON.stringify(statement)).sort();
type Snapshot = Record<string, { policy: unknown; environment: string[] }>;
let now: Snapshot;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  const { S3EventPipeline } = await import("../src/s3-event-pipeline");
  // Every variable a function can get: a customer-managed key, the notifications bus and its callback URL.
  new S3EventPipeline("linked", {
    alarmTopicArn: `arn:aws:sns:us-east-1:${MOCK_ACCOUNT_ID}:ops-alarms`,
    kmsKeyArn: `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    kmsKeyServices: ["s3.amazonaws.com", "sns.amazonaws.com"],
    notificationBus: {
      name: "notifications",
      arn: `arn:aws:events:us-east-1:${MOCK_ACCOUNT_ID}:event-bus/notifications`,
    },
    notificationCallbackUrl: "https://app.example.com/media",
  });
  await mocks.settle();
  now = {};
  for (const fn of FUNCTIONS) {
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", `linked-${fn}-policy`);
    const lambda = await mocks.findResource("aws:lambda/function:Function", `linked-${fn}-function`);
    const variables = (lambda.inputs.environment as { variables: Record<string, string> }).variables;
    now[fn] = { policy: parseJsonInput(policy.inputs.policy), environment: Object.keys(variables).sort() };
  }
});

describe("s3-pipeline functions after linking", () => {
  it.each(FUNCTIONS)("%s keeps its policy and its environment names", (fn) => {
    const before = JSON.parse(readFileSync(FIXTURE, "utf8")) as Snapshot;
    // The same statements (a grant's place in the policy may move: links apply grants in link order).
    expect(statements(now[fn]?.policy)).toEqual(statements(before[fn]?.policy));
    // Less SOURCE_TOPIC_ARN, removed since the fixture was recorded: the consumers read raw deliveries only, so no
    // envelope's topic is compared with anything (component.test.ts asserts it is gone).
    const removedSince = new Set(["SOURCE_TOPIC_ARN"]);
    expect(now[fn]?.environment).toEqual(before[fn]?.environment.filter((name) => !removedSince.has(name)));
  });
});
