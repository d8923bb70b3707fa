import type * as pulumi from "@pulumi/pulumi";

/**
 * Changes the args of one underlying resource: either a partial object merged over the defaults,
 * or a function that edits the args (and options) in place.
 */
export type Transform<T> = Partial<T> | ((args: T, opts: pulumi.CustomResourceOptions, name: string) => void);

/** Applies a transform to (name, args, opts) and returns the result, ready for the resource constructor. */
export function applyTransform<T extends object>(
  transform: Transform<T> | undefined,
  name: string,
  args: T,
  opts: pulumi.CustomResourceOptions,
): [string, T, pulumi.CustomResourceOptions] {
  if (transform === undefined) return [name, args, opts];
  if (typeof transform === "function") {
    transform(args, opts, name);
    return [name, args, opts];
  }
  return [name, { ...args, ...transform }, opts];
}

/** Options of a kit component's child; with `movedFrom`, an alias to the parent it had before it moved. */
export function childOptions(
  parent: pulumi.Resource,
  movedFrom: pulumi.Resource | undefined,
): pulumi.CustomResourceOptions {
  return movedFrom === undefined ? { parent } : { parent, aliases: [{ parent: movedFrom }] };
}
