import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { type PulumiMocks, parseJsonInput, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";

// The functions' policies and environment variable names as synthesized before the component moved to links
// (fixtures/policies-before-link.json, recorded from commit "READMEs for packages/contracts and packages/testing").
// Linking must keep every policy identical (or narrower) and every function's environment names the same.
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

describe("notifications functions after linking", () => {
  it.each(FUNCTIONS)("%s keeps its policy and its environment names", (fn) => {
    const before = JSON.parse(readFileSync(FIXTURE, "utf8")) as Snapshot;
    // The same statements (a grant's place in the policy may move: links apply grants in link order).
    expect(statements(now[fn]?.policy)).toEqual(statements(before[fn]?.policy));
    expect(now[fn]?.environment).toEqual(before[fn]?.environment);
  });
});
