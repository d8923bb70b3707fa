import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { LocalResource } from "./types";

/**
 * The services of a project are its `services/<name>/` packages (notifications, orders, sms-throttle,
 * s3-pipeline): known before the program runs, so a wrong `--service` is refused before anything is bundled.
 * Sorted; empty when the project has no `services/` folder.
 */
export function workspaceServices(root: string): string[] {
  const dir = join(root, "services");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "package.json")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The service a `--service` / `--logs` name means: a service's package name (`sms-throttle`), or its first
 * word (`sms`, `s3`), any case. Undefined when it names none.
 */
export function resolveServiceName(wanted: string, known: readonly string[]): string | undefined {
  const name = wanted.trim().toLowerCase();
  return (
    known.find((service) => service.toLowerCase() === name) ??
    known.find((service) => service.toLowerCase().split("-")[0] === name)
  );
}

/**
 * Checks a `--service` name against the project's services, before the program runs.
 * @returns the service's package name
 * @throws Error naming the services when it names none
 */
export function checkServiceName(wanted: string, known: readonly string[]): string {
  const found = resolveServiceName(wanted, known);
  if (!found) {
    throw new Error(`--service "${wanted}" is not a service of this project (services: ${known.join(", ")})`);
  }
  return found;
}

/** A top-level service component: `switchyard:<module>:<Type>` with a module other than the shared kit. */
function isServiceComponent(resource: LocalResource): boolean {
  const [pkg, module] = resource.type.split(":");
  return (
    !resource.custom &&
    !resource.parentUrn &&
    pkg === "switchyard" &&
    module !== undefined &&
    module !== "kit"
  );
}

/** The names a service answers to: its project name, its logical name, its module and its type. */
function matches(resource: LocalResource, wanted: string, known: readonly string[]): boolean {
  const module = resource.type.split(":")[1] ?? "";
  const type = resource.type.split(":")[2] ?? "";
  const name = wanted.toLowerCase();
  return (
    name === serviceNameOf(resource, known).toLowerCase() ||
    name === resource.name.toLowerCase() ||
    name === module.toLowerCase() ||
    name === type.toLowerCase() ||
    name.startsWith(`${module.toLowerCase()}-`) // the package: sms-throttle, s3-pipeline
  );
}

/**
 * A service component's name: the project service (`services/<name>/`) whose name is its type's module or
 * starts with it (`switchyard:sms-throttle:SmsThrottle` -> sms-throttle), else its logical name.
 */
function serviceNameOf(component: LocalResource, known: readonly string[]): string {
  const module = (component.type.split(":")[1] ?? "").toLowerCase();
  return known.find((service) => service === module || service.startsWith(`${module}-`)) ?? component.name;
}

/**
 * The services a program composes, in the program's order: their project names when `known` (the
 * `services/` packages) is given (["notifications", "orders", "sms-throttle", "s3-pipeline"]), else their
 * logical names.
 */
export function serviceNames(resources: readonly LocalResource[], known: readonly string[] = []): string[] {
  return resources.filter(isServiceComponent).map((r) => serviceNameOf(r, known));
}

/** The service component a resource sits under (undefined for the shared platform). */
function owningService(
  resource: LocalResource,
  byUrn: ReadonlyMap<string, LocalResource>,
): LocalResource | undefined {
  let current: LocalResource | undefined = resource;
  while (current?.parentUrn) current = byUrn.get(current.parentUrn);
  return current && isServiceComponent(current) ? current : undefined;
}

/**
 * Function name -> the service it belongs to (`platform` for functions outside every service), for
 * `--logs <service>`.
 */
export function functionServices(
  resources: readonly LocalResource[],
  known: readonly string[] = [],
): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const out = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== "aws:lambda/function:Function") continue;
    const name = r.outputs.name ?? r.inputs.name ?? r.name;
    if (typeof name !== "string") continue;
    const owner = owningService(r, byUrn);
    out.set(name, owner ? serviceNameOf(owner, known) : "platform");
  }
  return out;
}

/** Every string leaf of a value (inputs), JSON documents included as they are. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) strings(item, out);
  }
  return out;
}

/** What other resources would find this one by: its ARN, URL, id and physical name. */
function handles(resource: LocalResource): string[] {
  const found: string[] = [];
  for (const key of ["arn", "url", "name", "bucket"]) {
    const value = resource.outputs[key];
    if (typeof value === "string" && value.length > 3) found.push(value);
  }
  if (resource.id && resource.id.length > 3) found.push(resource.id);
  return found;
}

/**
 * `--service <name>`: that service's component and everything under it, the shared platform (everything
 * not inside another service: the alarm topic, keys, budget), and, transitively, every resource those
 * reference by ARN, URL or name (orders puts events on the notifications bus: the bus comes along, without
 * the notifications service behind it).
 *
 * @throws Error naming the services that exist when `service` matches none
 */
export function selectService(
  resources: readonly LocalResource[],
  service: string | undefined,
  known: readonly string[] = [],
): { resources: LocalResource[]; services: string[] } {
  const all = serviceNames(resources, known);
  if (service === undefined || service === "") return { resources: [...resources], services: all };
  const chosen = resources.filter((r) => isServiceComponent(r) && matches(r, service, known));
  if (chosen.length !== 1) {
    throw new Error(`--service "${service}" matches no service of this stack (services: ${all.join(", ")})`);
  }
  const [root] = chosen as [LocalResource];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const included = new Set<LocalResource>(
    resources.filter((r) => {
      const owner = owningService(r, byUrn);
      return owner === undefined || owner === root;
    }),
  );

  // Index every resource by its handles, then follow references out of what is included.
  const byHandle = new Map<string, LocalResource>();
  for (const r of resources) for (const h of handles(r)) if (!byHandle.has(h)) byHandle.set(h, r);
  const allHandles = [...byHandle.keys()];
  const queue = [...included];
  while (queue.length > 0) {
    const current = queue.pop() as LocalResource;
    for (const text of strings(current.inputs)) {
      const exact = byHandle.get(text);
      const referenced = exact
        ? [exact]
        : text.includes("arn:")
          ? allHandles
              .filter((h) => h.startsWith("arn:") && text.includes(h))
              .map((h) => byHandle.get(h) as LocalResource)
          : [];
      for (const target of referenced) {
        if (!included.has(target)) {
          included.add(target);
          queue.push(target);
        }
      }
    }
  }
  return {
    resources: resources.filter((r) => included.has(r)),
    services: [serviceNameOf(root, known)],
  };
}

/** Every string a resource can be found by in an output: its id and its top-level string outputs. */
function outputHandles(resource: LocalResource): string[] {
  const found = Object.values(resource.outputs).filter(
    (value): value is string => typeof value === "string" && value.length > 3,
  );
  if (resource.id && resource.id.length > 3) found.push(resource.id);
  return found;
}

/**
 * The stack outputs of what runs: an output naming (by ARN, URL, id or name) only resources left out by
 * `--service` is dropped, as is an output naming no resource whose key starts with the name of a service left
 * out (`smsThrottleLanes` without sms-throttle). Everything is kept when every resource runs.
 */
export function selectOutputs(
  outputs: Record<string, unknown>,
  all: readonly LocalResource[],
  selected: readonly LocalResource[],
  known: readonly string[] = [],
): Record<string, unknown> {
  if (selected.length === all.length) return { ...outputs };
  const running = new Set(selected);
  const exact = new Map<string, LocalResource[]>();
  const long: Array<[string, LocalResource]> = [];
  for (const r of all) {
    for (const handle of outputHandles(r)) {
      exact.set(handle, [...(exact.get(handle) ?? []), r]);
      if (handle.length >= 20 && (handle.startsWith("arn:") || handle.includes("://")))
        long.push([handle, r]);
    }
  }
  const leftOutPrefixes = all
    .filter((r) => isServiceComponent(r) && !running.has(r))
    .flatMap((r) => [r.name, serviceNameOf(r, known), r.type.split(":")[1] ?? ""])
    .map((name) => name.toLowerCase().replace(/-/g, ""))
    .filter((name) => name.length > 1);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const referenced = new Set<LocalResource>();
    for (const text of strings(value)) {
      for (const r of exact.get(text) ?? []) referenced.add(r);
      for (const [handle, r] of long) if (text !== handle && text.includes(handle)) referenced.add(r);
    }
    const keep =
      referenced.size > 0
        ? [...referenced].some((r) => running.has(r))
        : !leftOutPrefixes.some((prefix) => key.toLowerCase().startsWith(prefix));
    if (keep) kept[key] = value;
  }
  return kept;
}
