import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { SNIFF_BYTES } from "../domain/sniff";

export interface Digest {
  sha256: string;
  size: number;
  /** The first bytes, for content sniffing. */
  head: Uint8Array;
}

/** Hashes a stream chunk by chunk: memory stays flat whatever the object's size. */
export async function digestStream(stream: Readable): Promise<Digest> {
  const hash = createHash("sha256");
  let size = 0;
  const head: number[] = [];
  for await (const chunk of stream) {
    const bytes: Uint8Array = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    size += bytes.length;
    for (let i = 0; i < bytes.length && head.length < SNIFF_BYTES; i++) head.push(bytes[i] as number);
  }
  return { sha256: hash.digest("hex"), size, head: Uint8Array.from(head) };
}
