import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import {
  type CallMock,
  type PulumiMocksOptions,
  type RecordedResource,
  setupPulumiMocks,
} from "@switchyard/testing";
import { InfraError } from "../errors";
import { loadStackConfig } from "./load-stack-config";

/** A Pulumi program: creates resources, returns the stack outputs (values may be Outputs). */
export type Program = () => Promise<Record<string, unknown>> | Record<string, unknown>;

/** How a secret stack output is shown. */
export const SECRET_OUTPUT = "[secret]";
/** How an output that is unknown (preview-only values) is shown. */
export const UNKNOWN_OUTPUT = "[unknown]";

/** infra/src/index.ts: the root program, relative to this file so it does not depend on the cwd. */
export const DEFAULT_PROGRAM_PATH = fileURLToPath(new URL("../index.ts", import.meta.url));
const DEFAULT_ROOT = dirname(fileURLToPath(import.meta.url));

export interface SynthesizeOptions {
  /** Stack name: its config is read from `Pulumi.<stack>.yaml` next to Pulumi.yaml. */
  stack: string;
  /**
   * A folder at or below the project root (the folder holding Pulumi.yaml is found by walking up).
   * @default the repository this file is in
   */
  root?: string;
  /** The program to run. @default the default export of `programPath` */
  program?: Program;
  /** Module whose default export is the program; ignored when `program` is given. @default infra/src/index.ts */
  programPath?: string;
  /** Extra provider functions to mock (`aws.getCallerIdentity` & co. are mocked already). */
  calls?: Record<string, CallMock>;
  /**
   * Config values that replace the stack file's (fully-qualified keys, values as YAML would give them).
   * The local cloud uses it for its local-only token secret. @default {}
   */
  configOverrides?: Record<string, unknown>;
  /** Keys of `configOverrides` that are secrets. @default [] */
  secretOverrides?: string[];
  /** Rewrites the outputs of custom resources (see `PulumiMocksOptions.outputs`). @default unchanged */
  outputs?: PulumiMocksOptions["outputs"];
  /**
   * Capture stack traces while the program runs. Pulumi records one for every promise it creates and every
   * resource it registers (for its leak report and the engine's source positions; nothing reads them under
   * the mocks): turning them off saves about a second and a half of a warm dev-stack run on the 2-core
   * machine. The program's errors then carry their message but no stack. @default true
   */
  stackTraces?: boolean;
}

export interface SynthResult {
  stack: string;
  project: string;
  /** The folder holding Pulumi.yaml. */
  root: string;
  /** Every registered resource, in registration order (providers included). */
  resources: RecordedResource[];
  /** The stack outputs as plain values; secret ones are `"[secret]"`. */
  outputs: Record<string, unknown>;
  /** Config keys whose `secure:` value was replaced by an offline placeholder. */
  secretKeys: string[];
}

/** The program module could not be found or has no program to run. One-line message. */
export class ProgramLoadError extends InfraError {
  override name = "ProgramLoadError";
}

/** Imports a program module and returns its default export (or `main`). */
export async function loadProgram(path: string): Promise<Program> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ProgramLoadError(`Program module not found: ${file}`);
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown; main?: unknown };
  const program = typeof mod.default === "function" ? mod.default : mod.main;
  if (typeof program !== "function") {
    throw new ProgramLoadError(`Program module ${file} has no default export function`);
  }
  return program as Program;
}

interface OutputInternals {
  promise(withUnknowns?: boolean): Promise<unknown>;
  isKnown: Promise<boolean>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Resolves Outputs, promises and resources nested anywhere in `value` to plain values. */
export async function resolveOutputValue(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    if (await pulumi.isSecret(value)) return SECRET_OUTPUT;
    const internals = value as unknown as OutputInternals;
    if (!(await internals.isKnown)) return UNKNOWN_OUTPUT;
    return resolveOutputValue(await internals.promise(true));
  }
  if (typeof (value as { then?: unknown } | null | undefined)?.then === "function") {
    return resolveOutputValue(await (value as PromiseLike<unknown>));
  }
  if (pulumi.Resource.isInstance(value)) {
    return { urn: await resolveOutputValue(value.urn) };
  }
  if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return "[asset]";
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map((item) => resolveOutputValue(item)));
  if (isPlainObject(value)) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await resolveOutputValue(item)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

async function run(options: SynthesizeOptions): Promise<SynthResult> {
  const { root, project, config, secretKeys } = loadStackConfig(options.stack, options.root ?? DEFAULT_ROOT);
  const region = config["aws:region"];
  Object.assign(config, options.configOverrides);
  const secrets = [...new Set([...secretKeys, ...(options.secretOverrides ?? [])])];
  // Mocks first: the config must be in place (fresh for this stack) before the program runs.
  const mocks = await setupPulumiMocks({
    project,
    stack: options.stack,
    config,
    secretKeys: secrets,
    region: typeof region === "string" && region.length > 0 ? region : undefined,
    calls: options.calls,
    outputs: options.outputs,
  });
  const program = options.program ?? (await loadProgram(options.programPath ?? DEFAULT_PROGRAM_PATH));
  const returned = (await program()) ?? {};
  await mocks.settle();
  const outputs = (await resolveOutputValue(returned)) as Record<string, unknown>;
  await mocks.settle();
  return { stack: options.stack, project, root, resources: [...mocks.resources], outputs, secretKeys };
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Pulumi records a stack trace for every promise it creates (for its leak report); with source maps on
 * (tsx turns them on) each trace is mapped, which doubles the time of a synth. The program's own errors
 * still name their component and arg; only stack positions refer to the transformed code meanwhile.
 */
async function withoutSourceMaps<T>(work: () => Promise<T>, stackTraces: boolean): Promise<T> {
  const enabled = process.sourceMapsEnabled ?? false;
  const limit = Error.stackTraceLimit;
  process.setSourceMapsEnabled(false);
  if (!stackTraces) Error.stackTraceLimit = 0;
  try {
    return await work();
  } finally {
    process.setSourceMapsEnabled(enabled);
    Error.stackTraceLimit = limit;
  }
}

/**
 * Runs the program for a stack's config under the Pulumi mocks (no CLI, no credentials) and returns
 * what it registered and its resolved outputs.
 *
 * The Pulumi runtime is process-global, so calls are serialised: several stacks can be synthesized
 * one after the other in one process, each with its own config.
 *
 * @throws StackConfigError for missing/malformed stack files, ProgramLoadError, and whatever the program
 * throws (e.g. the config module's `ConfigError`).
 */
export function synthesize(options: SynthesizeOptions): Promise<SynthResult> {
  const result = queue.then(() => withoutSourceMaps(() => run(options), options.stackTraces ?? true));
  queue = result.catch(() => undefined);
  return result;
}
