import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type PulumiMocks, parseJsonInput, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { baseArgs, KEY_ARN } from "./helpers";

// The functions' policies and environment variable names as synthesized before the component moved to links
// (fixtures/policies-before-link.json, recorded from the commit before "orders adopts link"). Linking must keep every
// policy identical and every function's environment names the same, but for the one intended change (`expected`).
const FIXTURE = fileURLToPath(new URL("./fixtures/policies-before-link.json", import.meta.url));
const FUNCTIONS = [
  "inventory",
  "customer-notifications",
  "analytics",
  "high-value-alert",
  "archiver",
  "republisher",
  "order-processing",
] as const;

let mocks: PulumiMocks;
const statements = (policy: unknown): string[] =>
  ((policy as { Statement: unknown[] }).Statement ?? []).map((statement) => JSON.stringify(statement)).sort();
type Snapshot = Record<string, { policy: unknown; environment: string[] }>;
let now: Snapshot;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  const { OrdersFanOut } = await import("../src/orders-fan-out");
  // Every grant a function can get: a customer-managed key and the notifications bus.
  new OrdersFanOut("linked", baseArgs({ kmsKeyArn: KEY_ARN }));
  await mocks.settle();
  now = {};
  for (const fn of FUNCTIONS) {
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", `linked-${fn}-policy`);
    const lambda = await mocks.findResource("aws:lambda/function:Function", `linked-${fn}-function`);
    const variables = (lambda.inputs.environment as { variables: Record<string, string> }).variables;
    now[fn] = { policy: parseJsonInput(policy.inputs.policy), environment: Object.keys(variables).sort() };
  }
}, 120_000);

/**
 * The one intended change since: the idempotency link bounds each function to its own records
 * (`dynamodb:LeadingKeys` `<name>#*`) and tells it the prefix (`IDEMPOTENCY_KEY_PREFIX`). Every other statement and
 * variable stays as it was.
 */
const IDEMPOTENCY_USERS = ["high-value-alert", "archiver"] as const;
function expected(fn: (typeof FUNCTIONS)[number], before: Snapshot[string]): Snapshot[string] {
  if (!(IDEMPOTENCY_USERS as readonly string[]).includes(fn)) return before;
  const policy = before.policy as {
    Statement: { Action: string[]; Resource: string; Condition?: unknown }[];
  };
  return {
    policy: {
      ...policy,
      Statement: policy.Statement.map((statement) =>
        statement.Resource.includes(":table/linked-idempotency") &&
        statement.Action.includes("dynamodb:PutItem")
          ? {
              ...statement,
              Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${fn}#*`] } },
            }
          : statement,
      ),
    },
    environment: [...before.environment, "IDEMPOTENCY_KEY_PREFIX"].sort(),
  };
}

describe("orders functions after linking", () => {
  it.each(FUNCTIONS)("%s keeps its policy and its environment names", (fn) => {
    const before = (JSON.parse(readFileSync(FIXTURE, "utf8")) as Snapshot)[fn];
    if (!before) throw new Error(`no ${fn} in the fixture`);
    const want = expected(fn, before);
    // The same statements (a grant's place in the policy may move: links apply grants in link order).
    expect(statements(now[fn]?.policy)).toEqual(statements(want.policy));
    expect(now[fn]?.environment).toEqual(want.environment);
  });

  it.each(IDEMPOTENCY_USERS)("%s may touch only its own idempotency records", (fn) => {
    const policy = now[fn]?.policy as { Statement: { Resource: unknown; Condition?: unknown }[] };
    const onTable = policy.Statement.filter((s) => String(s.Resource).includes(":table/linked-idempotency"));
    expect(onTable).toHaveLength(1);
    expect(onTable[0]?.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${fn}#*`] },
    });
  });
});
