import { parsePhoneNumberFromString } from "libphonenumber-js";

/** Destination numbers: their E.164 form, country and validity, and how logs show them. */

/** What both APIs accept as a destination's shape: `+` (optional) and up to 19 digits, no leading 0. */
export const PHONE_PATTERN = /^\+?[1-9][0-9]{1,18}$/;

/** `+49*******5678`: numbers in logs are masked. */
export const mask = (phone: string): string =>
  phone.length <= 7
    ? "*".repeat(phone.length)
    : `${phone.slice(0, 3)}${"*".repeat(phone.length - 7)}${phone.slice(-4)}`;

export interface ParsedNumber {
  /** E.164 with the leading `+`. */
  e164: string;
  /** ISO alpha-2; `ZZ` for a valid number of no single region (e.g. +800). */
  country: string;
  valid: boolean;
}

/** The destination's E.164 form, country and validity (libphonenumber-js, like sms-throttle's validation). */
export function parseNumber(raw: string): ParsedNumber {
  const e164 = raw.startsWith("+") ? raw : `+${raw}`;
  const phone = parsePhoneNumberFromString(e164);
  if (!phone) return { e164, country: "", valid: false };
  const valid = phone.isValid();
  return { e164: valid ? phone.number : e164, country: phone.country ?? (valid ? "ZZ" : ""), valid };
}
