import type { RecordedResource } from "@switchyard/testing";
import type { SynthResult } from "./synthesize";

/** Provider resources (`pulumi:providers:*`) are left out of the tree, the counts and the total. */
export function isProvider(resource: Pick<RecordedResource, "type">): boolean {
  return resource.type.startsWith("pulumi:providers:");
}

export interface TreeEntry {
  type: string;
  name: string;
  /** Logical name of the parent; null for a top-level resource. */
  parent: string | null;
  parentType: string | null;
  urn: string;
}

export interface SynthJson {
  stack: string;
  project: string;
  /** Registration order; providers excluded. */
  resources: TreeEntry[];
  /** Resources per type (providers excluded), sorted by type. */
  counts: Record<string, number>;
  total: number;
  /** Provider resources left out of `resources`, `counts` and `total`. */
  providers: number;
  outputs: Record<string, unknown>;
  /** Config keys whose encrypted value was replaced by an offline placeholder. */
  secretKeys: string[];
}

/** Resources per type, providers excluded, sorted by type. */
export function countByType(resources: readonly RecordedResource[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const resource of resources) {
    if (isProvider(resource)) continue;
    counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The shown resources with their parent (null when top-level or the parent is not shown). */
export function treeEntries(resources: readonly RecordedResource[]): TreeEntry[] {
  const shown = resources.filter((resource) => !isProvider(resource));
  const byUrn = new Map(shown.map((resource) => [resource.urn, resource]));
  return shown.map((resource) => {
    const parent = resource.parentUrn ? byUrn.get(resource.parentUrn) : undefined;
    return {
      type: resource.type,
      name: resource.name,
      parent: parent?.name ?? null,
      parentType: parent?.type ?? null,
      urn: resource.urn,
    };
  });
}

export function toSynthJson(result: SynthResult): SynthJson {
  const counts = countByType(result.resources);
  return {
    stack: result.stack,
    project: result.project,
    resources: treeEntries(result.resources),
    counts,
    total: Object.values(counts).reduce((sum, n) => sum + n, 0),
    providers: result.resources.filter(isProvider).length,
    outputs: result.outputs,
    secretKeys: result.secretKeys,
  };
}

/**
 * The resource tree as text: one `type name` line per resource, indented two spaces per level under
 * its parent, in registration order (children follow their parent).
 */
export function renderTree(resources: readonly RecordedResource[]): string {
  const shown = resources.filter((resource) => !isProvider(resource));
  const urns = new Set(shown.map((resource) => resource.urn));
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const resource of shown) {
    const parent = resource.parentUrn && urns.has(resource.parentUrn) ? resource.parentUrn : undefined;
    const list = children.get(parent) ?? [];
    list.push(resource);
    children.set(parent, list);
  }
  const lines: string[] = [];
  const visit = (parent: string | undefined, depth: number): void => {
    for (const resource of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}${resource.type} ${resource.name}`);
      visit(resource.urn, depth + 1);
    }
  };
  visit(undefined, 0);
  return lines.join("\n");
}

/** The counts per type as an aligned two-column table, ending with the total. */
export function renderCounts(resources: readonly RecordedResource[]): string {
  const counts = countByType(resources);
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const rows: Array<[string, string]> = [
    ["TYPE", "COUNT"],
    ...Object.entries(counts).map(([type, n]): [string, string] => [type, String(n)]),
    ["total", String(total)],
  ];
  const width = Math.max(...rows.map(([type]) => type.length));
  const countWidth = Math.max(...rows.map(([, n]) => n.length));
  const lines = rows.map(([type, n]) => `${type.padEnd(width)}  ${n.padStart(countWidth)}`);
  const providers = resources.filter(isProvider).length;
  if (providers > 0) {
    lines.push(`(${providers} provider resource${providers === 1 ? "" : "s"} not shown nor counted)`);
  }
  return lines.join("\n");
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `key: value` lines, values that are not strings as JSON. */
export function renderOutputs(outputs: Record<string, unknown>): string {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return "(none)";
  return entries.map(([key, value]) => `${key}: ${formatValue(value)}`).join("\n");
}

/** The full text report: header, tree, counts and outputs. */
export function renderSynthText(result: SynthResult): string {
  const shown = result.resources.filter((resource) => !isProvider(resource)).length;
  const sections = [
    `Stack ${result.stack} (project ${result.project}): ${shown} resource${shown === 1 ? "" : "s"}`,
    renderTree(result.resources) || "(no resources)",
    `Resources per type\n${renderCounts(result.resources)}`,
    `Outputs\n${renderOutputs(result.outputs)}`,
  ];
  if (result.secretKeys.length > 0) {
    sections.push(
      `Note: encrypted config cannot be decrypted offline; placeholders were used for ${result.secretKeys.join(", ")}`,
    );
  }
  return `${sections.join("\n\n")}\n`;
}
