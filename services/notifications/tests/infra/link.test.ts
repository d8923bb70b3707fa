import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { type PulumiMocks, parseJsonInput, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";

// The functions' policies and environment variable names as synthesized before the component moved to links
// (fixtures/policies-before-link.json, recorded from commit "READMEs for packages/contracts and packages/testing").
// Linking must keep every policy identical and every function's environment names the same, but for the one intended
// narrowing since (expectedPolicy).
const FIXTURE = fileURLToPath(new URL("./fixtures/policies-before-link.json", import.meta.url));
const FUNCTIONS = ["authorizer", "connect", "disconnect", "messages", "sender"] as const;

let mocks: PulumiMocks;
const statements = (policy: unknown): string[] =>
  ((policy as { Statement: unknown[] }).Statement ?? []).map((statement) => JSON.stringify(statement)).sort();
type Snapshot = Record<string, { policy: unknown; environment: string[] }>;
let now: Snapshot;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  const { NotificationsApi } = await import("../../src/notifications-api");
  new NotificationsApi("notif", {
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-ops",
    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    stageName: "prod",
    auth: {
      mode: "hs256",
      secret: pulumi.secret("s3cr3t-for-tests"),
      issuer: "https://auth.test",
      audience: "web",
    },
  });
  await mocks.settle();
  now = {};
  for (const fn of FUNCTIONS) {
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", `notif-${fn}-policy`);
    const lambda = await mocks.findResource("aws:lambda/function:Function", `notif-${fn}-function`);
    // A secret variable (the authorizer's JWT_SECRET) makes the whole environment a secret: unwrap it.
    const raw = lambda.inputs.environment as { value?: unknown; variables?: Record<string, string> };
    const environment = (raw.variables ? raw : raw.value) as { variables: Record<string, string> };
    const variables = environment.variables;
    now[fn] = { policy: parseJsonInput(policy.inputs.policy), environment: Object.keys(variables).sort() };
  }
});

/** Connection items have no key prefix: since the fixture, their grants keep off the inbox (issue 13). */
const OFF_THE_INBOX = { "ForAllValues:StringNotLike": { "dynamodb:LeadingKeys": ["inbox#*"] } };
const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/notif-table";

/** The fixture's policy with the one intended change: unbounded statements on the table keep off the inbox. */
function expectedPolicy(before: unknown): unknown {
  const policy = before as { Statement: { Resource: unknown; Action: unknown; Condition?: unknown }[] };
  return {
    ...policy,
    Statement: policy.Statement.map((statement) =>
      statement.Resource === TABLE_ARN && statement.Condition === undefined
        ? { ...statement, Condition: OFF_THE_INBOX }
        : statement,
    ),
  };
}

describe("notifications functions after linking", () => {
  it.each(FUNCTIONS)("%s keeps its policy and its environment names", (fn) => {
    const before = JSON.parse(readFileSync(FIXTURE, "utf8")) as Snapshot;
    // The same statements (a grant's place in the policy may move: links apply grants in link order).
    expect(statements(now[fn]?.policy)).toEqual(statements(expectedPolicy(before[fn]?.policy)));
    expect(now[fn]?.environment).toEqual(before[fn]?.environment);
  });

  it.each(["connect", "disconnect", "messages", "sender"] as const)(
    "%s touches connection items only off the inbox, and inbox items only under inbox#",
    (fn) => {
      const policy = now[fn]?.policy as { Statement: { Resource: unknown; Condition?: unknown }[] };
      const onTable = policy.Statement.filter((statement) => statement.Resource === TABLE_ARN);
      expect(onTable.length).toBeGreaterThan(0);
      for (const statement of onTable) {
        expect([
          OFF_THE_INBOX,
          { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["inbox#*"] } },
        ]).toContainEqual(statement.Condition);
      }
    },
  );
});
