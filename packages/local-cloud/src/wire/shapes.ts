/**
 * A small description of AWS API shapes: just what the wire codecs need to turn a protocol's encoding
 * into the plain JSON-shaped objects the service APIs take, and back. Member names are the JSON
 * protocol's; `name` is the query/XML name where it differs (`locationName` in the AWS model), `flat`
 * marks lists and maps the query protocol writes without a wrapper element (SQS), `member`/`key`/`value`
 * the element names of list members and map entries.
 *
 * Values in the JSON-shaped objects: strings, numbers (timestamps as epoch seconds, as AWS JSON 1.0
 * carries them), booleans, base64 strings for blobs, arrays and plain objects.
 */

export type Scalar = { kind: "string" | "integer" | "double" | "boolean" | "timestamp" | "blob" };

export interface ListShape {
  kind: "list";
  member: Shape;
  /** Query: no `.member.` wrapper; XML: members repeated in place. */
  flat?: boolean;
  /** Element name of each member (`member` by default). */
  memberName?: string;
}

export interface MapShape {
  kind: "map";
  key: Shape;
  value: Shape;
  flat?: boolean;
  keyName?: string;
  valueName?: string;
}

export interface StructShape {
  kind: "structure";
  members: Record<string, Member>;
}

export interface Member {
  shape: Shape;
  /** The query / XML name when it differs from the member name. */
  name?: string;
}

export type Shape = Scalar | ListShape | MapShape | StructShape;

/** One operation: its input, its output and the query result wrapper element (`<OpResult>`). */
export interface OperationShapes {
  input: StructShape;
  output?: StructShape;
  result?: string;
}

export const S: Scalar = { kind: "string" };
export const I: Scalar = { kind: "integer" };
export const D: Scalar = { kind: "double" };
export const B: Scalar = { kind: "boolean" };
export const T: Scalar = { kind: "timestamp" };
export const BLOB: Scalar = { kind: "blob" };

/** A member whose query/XML name differs from its JSON name. */
export interface Named {
  named: true;
  shape: Shape;
  name: string;
}

export function named(shape: Shape, name: string): Named {
  return { named: true, shape, name };
}

export function struct(members: Record<string, Shape | Named>): StructShape {
  const out: Record<string, Member> = {};
  for (const [key, value] of Object.entries(members)) {
    out[key] = "named" in value ? { shape: value.shape, name: value.name } : { shape: value };
  }
  return { kind: "structure", members: out };
}

export function list(member: Shape, options: { flat?: boolean; member?: string } = {}): ListShape {
  return { kind: "list", member, flat: options.flat, memberName: options.member };
}

export function map(
  key: Shape,
  value: Shape,
  options: { flat?: boolean; key?: string; value?: string } = {},
): MapShape {
  return {
    kind: "map",
    key,
    value,
    flat: options.flat,
    keyName: options.key,
    valueName: options.value,
  };
}

/** Epoch seconds from a Date, an epoch-seconds number or an ISO 8601 / epoch-seconds string. */
export function epochSeconds(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime() / 1000;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "") {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed / 1000;
  }
  return undefined;
}
