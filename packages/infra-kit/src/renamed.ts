import * as pulumi from "@pulumi/pulumi";

/** Resource properties that hold a physical name derived from the logical one. */
const PHYSICAL_NAME_PROPS = ["name", "namePrefix", "dashboardName"] as const;

/** How a component instance was known before it was renamed. */
export interface RenamedFromArgs {
  /** The instance's previous name. */
  from: string;
  /** The component type token it had then, when the type moved too. @default the current type */
  type?: string;
  /**
   * Keep the physical names that were derived from the previous name (`namePrefix`, `name`, `dashboardName`
   * starting with `<from>-`, and `/aws/lambda/<from>-` log groups). Changing such a prefix replaces the resource
   * (a FIFO queue with its messages, a log group with its history), so a stack deployed before the rename sets
   * this; a new stack does not need it. @default false
   */
  keepPhysicalNames?: boolean;
}

/**
 * Options for a component instance renamed from `from` to `to`: an alias for the component itself and, for each
 * resource under it named `<to>-...`, an alias to `<from>-...`, so a stack deployed under the old name updates
 * in place instead of replacing everything. With `keepPhysicalNames`, name-derived physical names stay as they
 * were.
 */
export function renamedFrom(to: string, args: RenamedFromArgs): pulumi.ComponentResourceOptions {
  const { from } = args;
  if (from === to) return {};
  const newPrefix = `${to}-`;
  const oldPrefix = `${from}-`;
  const keep = (value: unknown): unknown => {
    if (typeof value !== "string") return value;
    if (value.startsWith(newPrefix)) return oldPrefix + value.slice(newPrefix.length);
    const lambdaLogs = `/aws/lambda/${newPrefix}`;
    if (value.startsWith(lambdaLogs)) return `/aws/lambda/${oldPrefix}${value.slice(lambdaLogs.length)}`;
    return value;
  };
  return {
    aliases: [{ name: from, ...(args.type ? { type: args.type } : {}) }],
    transformations: [
      ({ name, props, opts }) => {
        if (!name.startsWith(newPrefix)) return undefined;
        const kept = args.keepPhysicalNames
          ? Object.fromEntries(
              Object.entries(props).map(([k, v]) => [
                k,
                (PHYSICAL_NAME_PROPS as readonly string[]).includes(k) ? keep(v) : v,
              ]),
            )
          : props;
        return {
          props: kept,
          opts: pulumi.mergeOptions(opts, { aliases: [{ name: oldPrefix + name.slice(newPrefix.length) }] }),
        };
      },
    ],
  };
}
