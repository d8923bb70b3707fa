import { xmlEscape } from "./xml";

/**
 * The REST-XML protocol's small XML toolkit (S3): writing an element, and reading the few request documents
 * a REST-XML service accepts (flat, schema-known documents, so element lookup by name is enough).
 */

/** An XML element, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes XML character references and entities. */
export function xmlDecode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? "";
  });
}

/** The raw inner XML of every `<name>` element (not nested in one another), in order. */
export function xmlElements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}>)`, "g");
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** The decoded text of the first `<name>` element, or undefined. */
export function elementText(xml: string, name: string): string | undefined {
  const inner = xmlElements(xml, name)[0];
  if (inner === undefined) return undefined;
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(inner.trim());
  return cdata ? (cdata[1] ?? "") : xmlDecode(inner);
}
