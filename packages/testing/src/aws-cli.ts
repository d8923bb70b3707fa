import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestingError } from "./errors";

/**
 * Runs Debian's AWS CLI v2 (`apt-get install -y awscli`) and boto3 (`python3-boto3`) against a local endpoint, with
 * dummy or given credentials and no user configuration (`@switchyard/testing/aws-cli`: the local cloud's CLI tests
 * and the end-to-end tests). `AWS_CLI` overrides where it is; without it, `/usr/bin/aws` (Debian's) is used,
 * because a `pip`/pyenv `aws` earlier on PATH is often the v1 CLI. Missing, it fails with how to install it.
 */

const CLI = process.env.AWS_CLI ?? "/usr/bin/aws";
const HOME = mkdtempSync(join(tmpdir(), "switchyard-aws-cli-"));

/** Throws (so the tests fail, not skip) when the CLI is not installed. */
export function requireAwsCli(): void {
  if (!existsSync(CLI)) {
    throw new TestingError(
      `The AWS CLI is not installed at ${CLI}: these tests drive the local cloud with Debian's AWS CLI v2 ` +
        "(apt-get install -y awscli python3-boto3), or set AWS_CLI to another v2 CLI.",
    );
  }
}

/** What the CLI printed when it failed: its exit code and stderr (`An error occurred (Code) when calling ...`). */
export class AwsCliError extends TestingError {
  override name = "AwsCliError";
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(stderr.trim());
  }
}

/**
 * At most two CLI processes at once: each is a Python start-up, and more in parallel on a 2-core machine only
 * makes every one of them slower.
 */
const MAX_PARALLEL = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Keys the CLI signs with. @default `local` (the administrator) */
export interface CliCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Keys and region from the environment only: no user configuration, no metadata lookups, one attempt. */
function clientEnv(
  credentials: CliCredentials = { accessKeyId: "local", secretAccessKey: "local" },
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(HOME, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(HOME, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
  };
}

function run(
  endpoint: string,
  args: string[],
  credentials?: CliCredentials,
): Promise<{ stdout: string; stderr: string }> {
  return limited(() => spawnCli(endpoint, args, credentials));
}

function spawnCli(
  endpoint: string,
  args: string[],
  credentials?: CliCredentials,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      CLI,
      ["--endpoint-url", endpoint, "--output", "json", "--no-cli-pager", ...args],
      {
        env: clientEnv(credentials),
        // Hang protection only: a loaded machine can take many seconds to start Python.
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === "number" ? error.code : -1;
          const killed = error.killed ? ` (killed after ${error.signal ?? "a timeout"})` : "";
          reject(new AwsCliError(code, stderr || `${error.message}${killed}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** A CLI bound to one endpoint: `cli("sns", "list-topics")` resolves to the parsed JSON output ({} when none). */
export function awsCli(endpoint: string, credentials?: CliCredentials) {
  const cli = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run(endpoint, args, credentials);
    return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };
  /** Runs a command that must fail; resolves to its stderr. */
  cli.fails = async (...args: string[]): Promise<string> => {
    try {
      await run(endpoint, args, credentials);
    } catch (error) {
      if (error instanceof AwsCliError) return error.stderr;
      throw error;
    }
    throw new TestingError(`aws ${args.join(" ")} succeeded; it was expected to fail`);
  };
  return cli;
}

const PYTHON = process.env.LOCAL_CLOUD_PYTHON ?? "/usr/bin/python3";

/**
 * A Python 3 script with boto3 (Debian's `/usr/bin/python3`, or `LOCAL_CLOUD_PYTHON`) against the endpoint, signed
 * with `credentials` (default: the administrator); `ENDPOINT` holds the endpoint, and its stdout is parsed as JSON.
 * Counted with the CLI's processes (at most two at once).
 */
export function boto3(endpoint: string, script: string, credentials?: CliCredentials): Promise<unknown> {
  return limited(
    () =>
      new Promise((resolve, reject) => {
        execFile(
          PYTHON,
          ["-c", `import boto3, json\nENDPOINT = ${JSON.stringify(endpoint)}\n${script}`],
          {
            env: clientEnv(credentials),
            timeout: 180_000,
            maxBuffer: 16 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            if (error) reject(new TestingError(`${PYTHON} (boto3) failed: ${stderr || error.message}`));
            else resolve(JSON.parse(stdout) as unknown);
          },
        );
      }),
  );
}
