import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalCloud } from "@switchyard/local-cloud";

/**
 * Helpers of the IAM scenarios of the end-to-end tests: the statements of a role's identity policies, one removed,
 * replayed against the calls the role's function made during the scenarios (`Iam.recordCalls`/`Iam.replay`), and
 * Debian's AWS CLI and boto3 driven as a developer would (`aws sts assume-role`, then calls with those keys).
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

const CLI = process.env.AWS_CLI ?? "/usr/bin/aws";
const HOME = mkdtempSync(join(tmpdir(), "switchyard-e2e-aws-cli-"));

/** Keys a CLI or boto3 process signs with; without them, `local` (the account's administrator). */
export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function environment(keys: Keys): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ...(keys.sessionToken ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(HOME, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(HOME, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
  };
}

const ADMIN: Keys = { accessKeyId: "local", secretAccessKey: "local" };

/** Runs a program; resolves with its exit code, stdout and stderr (a failure is an answer, not a throw). */
function run(
  file: string,
  args: string[],
  keys: Keys,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: environment(keys), timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Debian's AWS CLI v2 (`/usr/bin/aws`, or `AWS_CLI`) against the local endpoint. @throws when it is not installed
 * (the test fails saying how to install it: `apt-get install -y awscli python3-boto3`)
 */
export async function awsCli(
  endpoint: string,
  args: string[],
  keys: Keys = ADMIN,
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(CLI))
    throw new Error(`The AWS CLI is not installed at ${CLI}: apt-get install -y awscli python3-boto3`);
  return run(CLI, ["--endpoint-url", endpoint, "--output", "json", "--no-cli-pager", ...args], keys);
}

/** A Python 3 script with boto3 (`apt-get install -y python3-boto3`), its stdout parsed as JSON. */
export async function boto3(endpoint: string, script: string, keys: Keys = ADMIN): Promise<unknown> {
  const { code, stdout, stderr } = await run(
    "python3",
    ["-c", `import boto3, json\nENDPOINT = ${JSON.stringify(endpoint)}\n${script}`],
    keys,
  );
  if (code !== 0) throw new Error(`python3 (boto3) exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as unknown;
}
