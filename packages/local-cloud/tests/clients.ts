import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The older AWS clients the local cloud must serve: Debian's AWS CLI 2.9 and boto3 1.26, which speak the
 * query protocol to SQS and CloudWatch. They are found at Debian's paths (a newer `aws` or `python3`
 * earlier on PATH would speak another protocol); `LOCAL_CLOUD_AWS_CLI` / `LOCAL_CLOUD_PYTHON` override.
 * Missing clients fail the tests with the command that installs them (CI runs it in `.ci/run`).
 */
export const AWS_CLI = process.env.LOCAL_CLOUD_AWS_CLI ?? "/usr/bin/aws";
export const PYTHON = process.env.LOCAL_CLOUD_PYTHON ?? "/usr/bin/python3";

const INSTALL = "apt-get install -y awscli python3-boto3";

/** Throws with the install command when Debian's clients are missing. */
export async function requireClients(): Promise<void> {
  if (!existsSync(AWS_CLI)) {
    throw new Error(
      `The AWS CLI is not installed at ${AWS_CLI}: run \`${INSTALL}\` (Debian's AWS CLI 2.9, query protocol).`,
    );
  }
  const probe = await run(PYTHON, ["-c", "import boto3, botocore; print(botocore.__version__)"], {});
  if (probe.code !== 0) {
    throw new Error(`boto3 is not importable by ${PYTHON}: run \`${INSTALL}\` (${probe.stderr.trim()}).`);
  }
}

const HOME = mkdtempSync(join(tmpdir(), "switchyard-clients-"));

/** Credentials and region from the environment only, no config files, no pager, no metadata lookups. */
function clientEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME,
    AWS_ACCESS_KEY_ID: "x",
    AWS_SECRET_ACCESS_KEY: "x",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(HOME, "none"),
    AWS_SHARED_CREDENTIALS_FILE: join(HOME, "none"),
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    ...extra,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: clientEnv(env), timeout: 120_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `aws --endpoint-url <endpoint> <args> --output json`; `json` is the parsed output (undefined when empty). */
// biome-ignore lint/suspicious/noExplicitAny: a client's JSON output, asserted on by the tests
type Json = any;

export async function aws(endpoint: string, ...args: string[]): Promise<RunResult & { json: Json }> {
  const result = await run(AWS_CLI, ["--endpoint-url", endpoint, ...args, "--output", "json"], {});
  const text = result.stdout.trim();
  return { ...result, json: result.code === 0 && text !== "" ? JSON.parse(text) : undefined };
}

/** `aws ...` that must succeed: its parsed output. */
export async function awsOk(endpoint: string, ...args: string[]): Promise<Json> {
  const result = await aws(endpoint, ...args);
  if (result.code !== 0) throw new Error(`aws ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.json ?? {};
}

/**
 * Runs a boto3 script (`endpoint` is a global) that prints one JSON document; returns it parsed.
 * Datetimes print as ISO strings tagged `dt:`, bytes as base64 tagged `b64:`, so tests see the types.
 */
export async function boto3(endpoint: string, script: string): Promise<Json> {
  const program = `
import base64, datetime, json, sys
import boto3, botocore
endpoint = ${JSON.stringify(endpoint)}
def client(name):
    return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=botocore.config.Config(retries={"max_attempts": 1}))
def encode(value):
    if isinstance(value, datetime.datetime): return "dt:" + value.isoformat()
    if isinstance(value, (bytes, bytearray)): return "b64:" + base64.b64encode(value).decode()
    raise TypeError(type(value))
def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return {"code": error.response["Error"]["Code"], "message": error.response["Error"].get("Message"),
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"], "type": type(error).__name__}
    return None
out = {}
${script}
print(json.dumps(out, default=encode))
`;
  const result = await run(PYTHON, ["-"], {}, program);
  if (result.code !== 0) throw new Error(`boto3 script failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}");
}
