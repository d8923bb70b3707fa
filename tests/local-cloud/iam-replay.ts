import type { LocalCloud } from "@switchyard/local-cloud";
import { expect } from "vitest";

/**
 * Helpers of the IAM scenarios of the end-to-end tests: the statements of a role's identity policies, one removed,
 * replayed against the calls the role's function made during the scenarios (`Iam.recordCalls`/`Iam.replay`). The AWS
 * CLI and boto3 a developer would use come from `@switchyard/testing/aws-cli`.
 */

type Iam = LocalCloud["engine"]["iam"];
type NamedPolicies = ReturnType<Iam["policies"]["identityPolicies"]>;

/** One statement of a role's identity policy, as the program declared it. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/**
 * A statement of a function's role, named by its role, one of its actions and a fragment of one of its resources
 * (`:orders-inventory-dlq`, `table/notifications-table/index/GSI1`): together they name exactly one statement.
 */
export interface StatementRow {
  role: string;
  action: string;
  resource: string;
  /** For a KMS statement: the service its `kms:ViaService` condition names (`sqs`, `dynamodb`, `sns`). */
  via?: string;
}

export const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of a role's identity policies, with the policy it is in. */
export function statementsOf(policies: NamedPolicies): Array<{ policy: string; statement: Statement }> {
  return policies.flatMap((named) =>
    list(named.policy.Statement as Statement | Statement[]).map((statement) => ({
      policy: named.name,
      statement,
    })),
  );
}

/** The service a statement's `kms:ViaService` condition names (`sqs.us-east-1.amazonaws.com` -> `sqs`), if any. */
function viaService(statement: Statement): string | undefined {
  const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)
    ?.StringEquals;
  const value = equals?.["kms:ViaService"];
  return typeof value === "string" ? value.split(".")[0] : undefined;
}

/** Whether a row names this statement. */
export function names(row: StatementRow, statement: Statement): boolean {
  return (
    list(statement.Action).includes(row.action) &&
    list(statement.Resource).some((resource) => resource.includes(row.resource)) &&
    (row.via === undefined || viaService(statement) === row.via)
  );
}

/** The one statement a row names. @throws when none or several do */
export function statementOf(policies: NamedPolicies, row: StatementRow): Statement {
  const found = statementsOf(policies).filter(({ statement }) => names(row, statement));
  if (found.length !== 1)
    throw new Error(
      `${row.role}: ${found.length} statements grant ${row.action} on a resource containing "${row.resource}" (expected 1)`,
    );
  return (found[0] as { statement: Statement }).statement;
}

/** The role's policies without one statement. */
export function without(policies: NamedPolicies, removed: Statement): NamedPolicies {
  return policies.map((named) => ({
    name: named.name,
    policy: {
      ...named.policy,
      Statement: list(named.policy.Statement as Statement | Statement[]).filter((s) => s !== removed),
    },
  }));
}

/** Whether an IAM resource pattern (`*` and `?` wildcards) covers an ARN. */
export function covers(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

/** A short label of a statement for test output: `sqs:SendMessage on …:orders-inventory-dlq`. */
export function describeStatement(statement: Statement): string {
  return `${list(statement.Action).join(",")} on ${list(statement.Resource).join(",")}`;
}

/**
 * What the role's recorded calls get without the statement `row` names: they all pass with the whole policy, and
 * each refusal without it names the role's session, an action of the removed statement and a resource it covers.
 * Resolves with the refusals (at least one: the statement was needed) for checks of the caller's own.
 */
export async function replayWithout(
  iam: Iam,
  roleArn: string,
  row: StatementRow,
): Promise<Awaited<ReturnType<Iam["replay"]>>> {
  const policies = iam.policies.identityPolicies(roleArn);
  const removed = statementOf(policies, row);
  const calls = iam.recordedCalls(roleArn).filter((call) => call.allowed);
  expect(await iam.replay(calls, policies), "the calls as the scenarios made them").toEqual([]);
  const denials = await iam.replay(calls, without(policies, removed));
  expect(denials.length, `no call of ${row.role} needed ${describeStatement(removed)}`).toBeGreaterThan(0);
  for (const denial of denials) {
    expect(denial.principal).toMatch(new RegExp(`^arn:aws:sts::123456789012:assumed-role/${row.role}/`));
    expect(list(removed.Action)).toContain(denial.action);
    expect(list(removed.Resource).some((pattern) => covers(pattern, denial.resource))).toBe(true);
  }
  return denials;
}
