import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { OpsError } from "./errors";
import { findOutputsFile } from "./local-runs";

/** Which stack the operations act on: where its AWS APIs answer and what it exported. */
export interface StackRef {
  /** `local`: the local cloud of `pnpm dev`; `aws`: a deployed stack (default credential chain). */
  mode: "local" | "aws";
  /** The AWS endpoint override (the local cloud's); undefined on AWS. */
  endpoint?: string;
  region: string;
  /** The root stack's outputs (`pulumi stack output --json`, or the local cloud's). */
  outputs: Record<string, unknown>;
  /** Only queues, topics and buses whose names start with this are the stack's. @default every one */
  prefix?: string;
  stack?: string;
}

/** The folder holding Pulumi.yaml, walking up from `from`. */
export function findProjectRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const record = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The region of the first ARN among the outputs. */
export function regionOf(outputs: Record<string, unknown>): string | undefined {
  for (const value of Object.values(outputs)) {
    if (typeof value === "string") {
      const parts = value.split(":");
      if (parts[0] === "arn" && parts[3]) return parts[3];
    }
  }
  return undefined;
}

/**
 * The outputs file of the running local cloud, as `pnpm run token` finds it (`./local-runs`): the run on `port` when
 * given, else the only live run there is.
 * @throws OpsError saying what to start, or which --port to pass when several run
 */
export function findLocalOutputsFile(root: string, port?: number): string {
  try {
    return findOutputsFile(root, port);
  } catch (error) {
    if (error instanceof OpsError) throw new OpsError(`--local: ${error.message}`, error.exitCode);
    throw error;
  }
}

/**
 * The local cloud's stack: the outputs file `pnpm dev` writes under the project root (see `findLocalOutputsFile`;
 * `port` picks the run when several are up), or the file given.
 * @throws OpsError when the file is missing (pnpm dev is not running) or not the local cloud's
 */
export function loadLocalStack(options: { file?: string; cwd?: string; port?: number } = {}): StackRef {
  let file = options.file;
  if (!file) {
    const root = findProjectRoot(options.cwd);
    if (!root)
      throw new OpsError(
        "--local: not inside the Switchyard checkout (no Pulumi.yaml above the current folder); pass --local-outputs <file>",
      );
    file = findLocalOutputsFile(root, options.port);
  }
  if (!existsSync(file)) {
    throw new OpsError(`--local: no ${file}: start the local cloud first (corepack pnpm dev)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new OpsError(`--local: ${file} is not JSON (${(error as Error).message})`);
  }
  if (!record(parsed) || typeof parsed.endpoint !== "string" || !record(parsed.outputs)) {
    throw new OpsError(`--local: ${file} has no endpoint and outputs: is it the local cloud's outputs.json?`);
  }
  return localStackFrom(
    parsed.endpoint,
    parsed.outputs,
    typeof parsed.stack === "string" ? parsed.stack : undefined,
  );
}

/** A local cloud stack from its endpoint and outputs (as `GET /_local/outputs` answers). */
export function localStackFrom(endpoint: string, outputs: Record<string, unknown>, stack?: string): StackRef {
  return { mode: "local", endpoint, region: regionOf(outputs) ?? "us-east-1", outputs, stack };
}

/**
 * A deployed stack: its outputs from `file` (the JSON of `pulumi stack output --json`) or from running
 * `pulumi stack output --json [--stack <stack>]`; the region from `region`, AWS_REGION / AWS_DEFAULT_REGION,
 * or the outputs' ARNs.
 */
export function loadAwsStack(
  options: { outputsFile?: string; stack?: string; region?: string; prefix?: string; cwd?: string } = {},
): StackRef {
  let text: string;
  if (options.outputsFile) {
    if (!existsSync(options.outputsFile))
      throw new OpsError(`--outputs: no such file ${options.outputsFile}`);
    text = readFileSync(options.outputsFile, "utf8");
  } else {
    const args = ["stack", "output", "--json", ...(options.stack ? ["--stack", options.stack] : [])];
    try {
      text = execFileSync("pulumi", args, {
        cwd: findProjectRoot(options.cwd) ?? options.cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim().split("\n")[0] ?? (error as Error).message;
      throw new OpsError(
        `pulumi stack output --json failed (${detail}); pass --outputs <file> or --local for the local cloud`,
      );
    }
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch (error) {
    throw new OpsError(`the stack outputs are not JSON (${(error as Error).message})`);
  }
  if (!record(outputs)) throw new OpsError("the stack outputs must be a JSON object");
  const region =
    options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? regionOf(outputs);
  if (!region) throw new OpsError("no region: pass --region or set AWS_REGION");
  return { mode: "aws", region, outputs, stack: options.stack, prefix: options.prefix };
}
