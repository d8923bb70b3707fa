/**
 * SMS segmentation as carriers count it: the unit carriers bill and rate-limit (message parts per second).
 * One count shared by the sms-throttle sender (its budgets) and the local cloud's carrier (its caps), so the
 * two always agree on a message's parts. No imports: `@switchyard/contracts/sms` adds nothing to a bundle.
 *
 * - GSM-7 when every character is in the GSM 03.38 basic table or its extension table (an extension
 *   character such as `€ [ ] { } ~ ^ \ |` is an escape plus the character: two septets). 160 septets fit in
 *   one part; a longer message is split into parts of 153 (the rest is the concatenation header).
 * - UCS-2 otherwise: 70 UTF-16 code units in one part, 67 per part when split.
 * - An escape pair or a surrogate pair (emoji) is never split across parts, so it may open a part early.
 */

/** GSM 03.38 basic character set (one septet each). */
const GSM7_BASIC = new Set(
  Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
  ),
);
/** GSM 03.38 extension table: an escape septet plus the character (two septets each). */
const GSM7_EXTENSION = new Set(Array.from("^{}\\[~]|€\f"));

/** Segment sizes: single-part and per-part-when-split, in septets (GSM-7) or UTF-16 units (UCS-2). */
export const SMS_SEGMENTS = {
  gsm7Single: 160,
  gsm7Multi: 153,
  ucs2Single: 70,
  ucs2Multi: 67,
} as const;

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsPartCount {
  encoding: SmsEncoding;
  /** Message parts (segments) carriers bill and rate-limit; 0 for an empty text. */
  parts: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
}

/** GSM-7 when every character is in the basic or extension table; UCS-2 otherwise. */
export function smsEncoding(text: string): SmsEncoding {
  for (const c of text) {
    if (!GSM7_BASIC.has(c) && !GSM7_EXTENSION.has(c)) return "UCS-2";
  }
  return "GSM-7";
}

/** Counts the parts of an SMS body as carriers do (see the module comment). */
export function countSmsParts(text: string): SmsPartCount {
  const encoding = smsEncoding(text);
  // Each character's size in units; escape pairs and surrogate pairs are indivisible.
  const sizes = Array.from(text, (c) => (encoding === "GSM-7" ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const single = encoding === "GSM-7" ? SMS_SEGMENTS.gsm7Single : SMS_SEGMENTS.ucs2Single;
  const multi = encoding === "GSM-7" ? SMS_SEGMENTS.gsm7Multi : SMS_SEGMENTS.ucs2Multi;
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
}
