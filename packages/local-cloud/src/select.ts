import type { LocalResource } from "./types";

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

/** The names a service answers to: its logical name, its module, and the module's package spelling. */
function matches(resource: LocalResource, wanted: string): boolean {
  const module = resource.type.split(":")[1] ?? "";
  const type = resource.type.split(":")[2] ?? "";
  const name = wanted.toLowerCase();
  return (
    name === resource.name.toLowerCase() ||
    name === module.toLowerCase() ||
    name === type.toLowerCase() ||
    name.startsWith(`${module.toLowerCase()}-`) // the package: sms-throttle, s3-pipeline
  );
}

/** The services a program composes (their logical names), e.g. ["notifications", "orders", "sms", "media"]. */
export function serviceNames(resources: readonly LocalResource[]): string[] {
  return resources.filter(isServiceComponent).map((r) => r.name);
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
): { resources: LocalResource[]; services: string[] } {
  const all = serviceNames(resources);
  if (service === undefined || service === "") return { resources: [...resources], services: all };
  const chosen = resources.filter((r) => isServiceComponent(r) && matches(r, service));
  if (chosen.length !== 1) {
    throw new Error(`--service "${service}" matches no service of this stack (services: ${all.join(", ")})`);
  }
  const [root] = chosen as [LocalResource];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const serviceOf = (r: LocalResource): LocalResource | undefined => {
    let current: LocalResource | undefined = r;
    while (current?.parentUrn) current = byUrn.get(current.parentUrn);
    return current && isServiceComponent(current) ? current : undefined;
  };
  const included = new Set<LocalResource>(
    resources.filter((r) => {
      const owner = serviceOf(r);
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
    services: [root.name],
  };
}
