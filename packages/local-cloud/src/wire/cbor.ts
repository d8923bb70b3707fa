import { LocalCloudError } from "../errors";
/**
 * CBOR (RFC 8949) for the Smithy RPC v2 CBOR protocol (`smithy-protocol: rpc-v2-cbor`), which current
 * AWS SDKs (botocore since 2025) send to CloudWatch: `POST /service/<Service>/operation/<Op>` with a CBOR
 * map body. Decoded to the JSON-shaped values the APIs take: maps as objects, byte strings as base64
 * strings, epoch-time tags (1) as epoch seconds. Encoded back with {@link CborTimestamp} for timestamps.
 */

/** A timestamp to encode as tag 1 (epoch seconds). */
export class CborTimestamp {
  constructor(readonly seconds: number) {}
}

export class CborError extends LocalCloudError {
  override name = "CborError";
}

export function decodeCbor(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return {};
  const reader = new Decoder(bytes);
  const value = reader.item();
  if (reader.offset !== bytes.length) throw new CborError("Trailing bytes after the CBOR item.");
  return value;
}

const BREAK = Symbol("break");

class Decoder {
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw new CborError("Truncated CBOR.");
  }

  private argument(info: number): number | undefined {
    if (info < 24) return info;
    if (info === 31) return undefined;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (size < 0) throw new CborError(`Invalid CBOR additional information ${info}.`);
    this.need(size);
    let value: number;
    if (size === 1) value = this.view.getUint8(this.offset);
    else if (size === 2) value = this.view.getUint16(this.offset);
    else if (size === 4) value = this.view.getUint32(this.offset);
    else value = Number(this.view.getBigUint64(this.offset));
    this.offset += size;
    return value;
  }

  item(): unknown {
    this.need(1);
    const initial = this.bytes[this.offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info);
    const arg = this.argument(info);
    switch (major) {
      case 0:
        return arg;
      case 1:
        return -1 - (arg as number);
      case 2:
      case 3: {
        const chunks: Uint8Array[] = [];
        if (arg === undefined) {
          for (;;) {
            const chunk = this.item();
            if (chunk === BREAK) break;
            chunks.push(
              major === 2 ? Buffer.from(chunk as string, "base64") : Buffer.from(chunk as string, "utf8"),
            );
          }
        } else {
          this.need(arg);
          chunks.push(this.bytes.subarray(this.offset, this.offset + arg));
          this.offset += arg;
        }
        const all = Buffer.concat(chunks);
        return major === 2 ? all.toString("base64") : all.toString("utf8");
      }
      case 4: {
        const out: unknown[] = [];
        for (let i = 0; arg === undefined || i < arg; i += 1) {
          const value = this.item();
          if (value === BREAK) break;
          out.push(value);
        }
        return out;
      }
      case 5: {
        const out: Record<string, unknown> = {};
        for (let i = 0; arg === undefined || i < arg; i += 1) {
          const key = this.item();
          if (key === BREAK) break;
          out[String(key)] = this.item();
        }
        return out;
      }
      case 6: {
        const value = this.item();
        // 1: epoch time; anything else: the tagged value as is.
        return value;
      }
      default:
        throw new CborError(`Invalid CBOR major type ${major}.`);
    }
  }

  private simple(info: number): unknown {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
      case 23:
        return null;
      case 25: {
        this.need(2);
        const half = this.view.getUint16(this.offset);
        this.offset += 2;
        const exponent = (half >> 10) & 0x1f;
        const mantissa = half & 0x3ff;
        const sign = half & 0x8000 ? -1 : 1;
        if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
        if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
        return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
      }
      case 26: {
        this.need(4);
        const value = this.view.getFloat32(this.offset);
        this.offset += 4;
        return value;
      }
      case 27: {
        this.need(8);
        const value = this.view.getFloat64(this.offset);
        this.offset += 8;
        return value;
      }
      case 31:
        return BREAK;
      default:
        if (info < 24) return undefined;
        throw new CborError(`Invalid CBOR simple value ${info}.`);
    }
  }
}

export function encodeCbor(value: unknown): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function head(major: number, length: number, parts: Buffer[]): void {
  if (length < 24) parts.push(Buffer.from([(major << 5) | length]));
  else if (length < 0x100) parts.push(Buffer.from([(major << 5) | 24, length]));
  else if (length < 0x10000) {
    const buffer = Buffer.alloc(3);
    buffer[0] = (major << 5) | 25;
    buffer.writeUInt16BE(length, 1);
    parts.push(buffer);
  } else if (length < 0x100000000) {
    const buffer = Buffer.alloc(5);
    buffer[0] = (major << 5) | 26;
    buffer.writeUInt32BE(length, 1);
    parts.push(buffer);
  } else {
    const buffer = Buffer.alloc(9);
    buffer[0] = (major << 5) | 27;
    buffer.writeBigUInt64BE(BigInt(length), 1);
    parts.push(buffer);
  }
}

function write(value: unknown, parts: Buffer[]): void {
  if (value === undefined || value === null) {
    parts.push(Buffer.from([0xf6]));
  } else if (typeof value === "boolean") {
    parts.push(Buffer.from([value ? 0xf5 : 0xf4]));
  } else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) {
      if (value >= 0) head(0, value, parts);
      else head(1, -1 - value, parts);
    } else {
      const buffer = Buffer.alloc(9);
      buffer[0] = 0xfb;
      buffer.writeDoubleBE(value, 1);
      parts.push(buffer);
    }
  } else if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    head(3, bytes.length, parts);
    parts.push(bytes);
  } else if (value instanceof CborTimestamp) {
    parts.push(Buffer.from([0xc1]));
    const buffer = Buffer.alloc(9);
    buffer[0] = 0xfb;
    buffer.writeDoubleBE(value.seconds, 1);
    parts.push(buffer);
  } else if (value instanceof Uint8Array) {
    head(2, value.length, parts);
    parts.push(Buffer.from(value));
  } else if (Array.isArray(value)) {
    head(4, value.length, parts);
    for (const item of value) write(item, parts);
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    head(5, entries.length, parts);
    for (const [key, item] of entries) {
      write(key, parts);
      write(item, parts);
    }
  } else {
    throw new CborError(`Cannot encode a ${typeof value} as CBOR.`);
  }
}
