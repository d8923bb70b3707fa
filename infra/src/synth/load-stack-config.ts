import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { InfraError } from "../errors";

/**
 * A problem with the project or stack files (missing, unreadable, malformed). Its `message` is always
 * one line, so a CLI can print it as is.
 */
export class StackConfigError extends InfraError {
  override name = "StackConfigError";
}

export interface StackConfig {
  /** The folder holding Pulumi.yaml. */
  root: string;
  /** `name` from Pulumi.yaml. */
  project: string;
  stack: string;
  /** The stack file that was read. */
  file: string;
  /**
   * Stack config with fully-qualified keys (`switchyard:retentionDays`, `aws:region`): project-level
   * defaults from Pulumi.yaml, overridden by the stack file. Values as YAML gave them (strings, numbers,
   * objects...). Secure values are replaced by placeholders (see `secretKeys`).
   */
  config: Record<string, unknown>;
  /**
   * Fully-qualified keys whose value is (or contains) a `secure:` value. Those cannot be decrypted offline:
   * each `secure` value is replaced by `offline-secret-<key>` (nested ones by `offline-secret-<key>.<path>`).
   */
  secretKeys: string[];
}

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The placeholder that stands for a `secure:` value that cannot be decrypted offline. */
export function secretPlaceholder(key: string): string {
  return `offline-secret-${key}`;
}

function projectFileIn(dir: string): string | undefined {
  for (const name of PROJECT_FILES) {
    const file = join(dir, name);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

/** The folder holding Pulumi.yaml: `from` or its nearest ancestor that has one. */
export function findProjectRoot(from: string): string {
  const start = resolve(from);
  let dir = start;
  for (;;) {
    if (projectFileIn(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new StackConfigError(`No Pulumi.yaml in ${start} or any folder above it`);
    dir = parent;
  }
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").trim().replace(/:$/, "");
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new StackConfigError(`Cannot read ${file}: ${firstLine((error as Error).message)}`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new StackConfigError(`Cannot parse ${file}: ${firstLine((error as Error).message)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSecure(value: unknown): value is { secure: string } {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** Replaces every `{ secure: ... }` in `value` by a placeholder; tells whether there was any. */
function replaceSecure(value: unknown, label: string): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: secretPlaceholder(label), secret: true };
  if (Array.isArray(value)) {
    let secret = false;
    const items = value.map((item, index) => {
      const replaced = replaceSecure(item, `${label}[${index}]`);
      secret ||= replaced.secret;
      return replaced.value;
    });
    return { value: items, secret };
  }
  if (isRecord(value)) {
    let secret = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const replaced = replaceSecure(item, `${label}.${key}`);
      secret ||= replaced.secret;
      return [key, replaced.value] as const;
    });
    return { value: Object.fromEntries(entries), secret };
  }
  return { value, secret: false };
}

/** Stack names that have a stack file in `dir`, sorted. */
export function listStacks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stacks = names.flatMap((name) => {
    const match = /^Pulumi\.(.+)\.ya?ml$/.exec(name);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(stacks)].sort();
}

function qualify(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * Project-level config in Pulumi.yaml: `config: { key: value }` or `config: { key: { default: value, ... } }`.
 * Only entries with a value (or a `default`) contribute.
 */
function projectDefaults(project: string, raw: unknown, file: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new StackConfigError(`Invalid ${file}: "config" must be a mapping`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isRecord(value) && !isSecure(value) && ("default" in value || "type" in value || "value" in value)) {
      const given = "value" in value ? value.value : value.default;
      if (given !== undefined) out[qualify(project, key)] = given;
    } else if (value !== undefined && value !== null) {
      out[qualify(project, key)] = value;
    }
  }
  return out;
}

/**
 * Reads the project name from Pulumi.yaml (found by walking up from `from`) and the config of `stack`
 * from `Pulumi.<stack>.yaml` next to it (or in the project's `stackConfigDir`).
 *
 * @throws StackConfigError (one-line message) when a file is missing or malformed; a missing stack file
 * lists the stacks that exist.
 */
export function loadStackConfig(stack: string, from: string = process.cwd()): StackConfig {
  if (!STACK_NAME.test(stack)) {
    throw new StackConfigError(
      `Invalid stack name "${stack}": use letters, digits, "_", "." and "-" (the stack file is Pulumi.<stack>.yaml)`,
    );
  }
  const root = findProjectRoot(from);
  const projectFile = projectFileIn(root) ?? join(root, "Pulumi.yaml");
  const projectDoc = readYaml(projectFile);
  if (!isRecord(projectDoc) || typeof projectDoc.name !== "string" || projectDoc.name.length === 0) {
    throw new StackConfigError(`Invalid ${projectFile}: missing the project "name"`);
  }
  const project = projectDoc.name;
  const stackDir =
    typeof projectDoc.stackConfigDir === "string" ? resolve(root, projectDoc.stackConfigDir) : root;

  const candidates = [join(stackDir, `Pulumi.${stack}.yaml`), join(stackDir, `Pulumi.${stack}.yml`)];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    const stacks = listStacks(stackDir);
    const known = stacks.length > 0 ? `existing stacks: ${stacks.join(", ")}` : "no stack files there";
    throw new StackConfigError(`No stack file ${candidates[0]} for stack "${stack}" (${known})`);
  }

  const stackDoc = readYaml(file);
  if (stackDoc !== null && stackDoc !== undefined && !isRecord(stackDoc)) {
    throw new StackConfigError(`Invalid ${file}: expected a mapping with a "config" key`);
  }
  const rawConfig = isRecord(stackDoc) ? stackDoc.config : undefined;
  if (rawConfig !== undefined && rawConfig !== null && !isRecord(rawConfig)) {
    throw new StackConfigError(`Invalid ${file}: "config" must be a mapping`);
  }

  const merged: Record<string, unknown> = {
    ...projectDefaults(project, projectDoc.config, basename(projectFile)),
  };
  for (const [key, value] of Object.entries(rawConfig ?? {})) merged[qualify(project, key)] = value;

  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(merged)) {
    const replaced = replaceSecure(value, key);
    config[key] = replaced.value;
    if (replaced.secret) secretKeys.push(key);
  }
  return { root, project, stack, file, config, secretKeys };
}
