import type * as pulumi from "@pulumi/pulumi";
import type { NodeFunction } from "./node-function";

/**
 * The environment variables a function reads, by name: the zod shape its handler parses
 * (`{ TABLE_NAME: envSchemas.string }`). The kit only reads its keys, so it needs no zod itself; the shape lives in a
 * handler-safe module of the service and is imported by both the component and the handler.
 */
export type EnvShape = Readonly<Record<string, unknown>>;

/** A value for every variable of `S`, no more, no fewer. */
export type EnvValues<S extends EnvShape> = { readonly [K in keyof S]: pulumi.Input<string> };

/**
 * What linking a resource gives a function, as SST's `link`: the environment variables naming the resource (the
 * names come from `env`, the shape the handler parses) and the exact grant the function needs on it.
 */
export interface Link<S extends EnvShape = EnvShape> {
  readonly env: S;
  readonly values: EnvValues<S>;
  /** Gives the function exactly what it needs on the resource, e.g. `(fn) => table.grant(fn, ["dynamodb:PutItem"])`. */
  readonly grant: ((fn: NodeFunction) => void) | undefined;
}

/**
 * A link: `env` (the handler's shape for this resource), a value for each of its variables, and the grant.
 * A link without a grant carries settings only (a TTL, a concurrency).
 */
export function link<S extends EnvShape>(
  env: S,
  values: EnvValues<S>,
  grant?: (fn: NodeFunction) => void,
): Link<S> {
  return { env, values, grant };
}

/** Problems with a set of links for a function reading `reads`: a missing or extra variable, one set twice. */
export function linkProblems(links: readonly Link[], reads: EnvShape | undefined): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, { env, values }] of links.entries()) {
    for (const name of Object.keys(env)) {
      if (!(name in values)) problems.push(`links[${index}] has no value for ${name}`);
      if (seen.has(name)) problems.push(`links[${index}] sets ${name} again`);
      seen.add(name);
    }
    for (const name of Object.keys(values)) {
      if (!(name in env)) problems.push(`links[${index}] gives ${name}, which its env does not declare`);
    }
  }
  if (reads !== undefined) {
    const missing = Object.keys(reads).filter((name) => !seen.has(name));
    const extra = [...seen].filter((name) => !(name in reads));
    if (missing.length > 0) problems.push(`no link sets ${missing.join(", ")}, which the handler reads`);
    if (extra.length > 0) problems.push(`links set ${extra.join(", ")}, which the handler does not read`);
  }
  return problems;
}
