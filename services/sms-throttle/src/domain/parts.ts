import { SEGMENTS } from "../constants";

// GSM 03.38 basic character set (one septet each).
const GSM7_BASIC = new Set(
  Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
  ),
);
// GSM 03.38 extension table: an escape septet plus the character (two septets each).
const GSM7_EXTENSION = new Set(Array.from("^{}\\[~]|€\f"));

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface PartCount {
  encoding: SmsEncoding;
  /** Message parts (segments) carriers bill and rate-limit. */
  parts: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
}

/** GSM-7 when every character is in the basic or extension table; UCS-2 otherwise. */
export const smsEncoding = (text: string): SmsEncoding =>
  Array.from(text).every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c)) ? "GSM-7" : "UCS-2";

/**
 * Counts parts as carriers do: GSM-7 fits 160 septets in one part or 153 per part when split (an escape pair is
 * never split across parts); UCS-2 fits 70 code units in one part or 67 per part (a surrogate pair is never split).
 */
export const countParts = (text: string): PartCount => {
  const encoding = smsEncoding(text);
  // Each character's size in units: escape pairs and surrogate pairs are indivisible.
  const sizes = Array.from(text, (c) => (encoding === "GSM-7" ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const single = encoding === "GSM-7" ? SEGMENTS.gsm7Single : SEGMENTS.ucs2Single;
  const multi = encoding === "GSM-7" ? SEGMENTS.gsm7Multi : SEGMENTS.ucs2Multi;
  if (units <= single) return { encoding, parts: units === 0 ? 0 : 1, units };
  let parts = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > multi) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return { encoding, parts, units };
};
