import { isIP } from "node:net";

/**
 * `cidr` matching for IPv4 and IPv6, as SNS and EventBridge document it: the value matches when it is an IP
 * address of the same family inside the block.
 * https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html#ip-address-matching
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching
 */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly mask: bigint;
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip.split("%")[0] as string;
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two hextets written in dotted form.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = Number(ipv4ToBigInt(tail));
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const zeros = rest === undefined ? [] : Array(8 - headGroups.length - restGroups.length).fill("0");
  return [...headGroups, ...zeros, ...restGroups].reduce(
    (acc, group) => (acc << 16n) | BigInt(`0x${group}`),
    0n,
  );
}

function toBigInt(ip: string, family: 4 | 6): bigint {
  return family === 4 ? ipv4ToBigInt(ip) : ipv6ToBigInt(ip);
}

function familyOf(ip: string): 4 | 6 | undefined {
  const family = isIP(ip);
  return family === 4 || family === 6 ? family : undefined;
}

/** Parses "10.0.0.0/24"; returns the block, or the rule the text breaks as a phrase. */
export function parseCidr(text: string): CidrBlock | string {
  const parts = text.split("/");
  if (parts.length !== 2)
    return `cidr ${JSON.stringify(text)} must be an IP address and a prefix length separated by one "/"`;
  const [address = "", bits = ""] = parts;
  if (!/^\d+$/.test(bits)) return `cidr ${JSON.stringify(text)} must end in an integer prefix length`;
  const family = familyOf(address);
  if (family === undefined)
    return `cidr ${JSON.stringify(text)} does not start with a standard IPv4 or IPv6 address`;
  const width = family === 4 ? 32 : 128;
  const prefix = Number(bits);
  if (prefix > width) return `cidr ${JSON.stringify(text)} has a prefix length above ${width}`;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family, network: toBigInt(address, family) & mask, mask };
}

export function ipInCidr(block: CidrBlock, value: string): boolean {
  const family = familyOf(value);
  if (family !== block.family) return false;
  return (toBigInt(value, family) & block.mask) === block.network;
}
