import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import { LIMITS, USE_CASES, type UseCase } from "../constants";
import { countParts, type SmsEncoding } from "./parts";

/** A lone UTF-16 surrogate (a high one not followed by a low one, or a low one not after a high one). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The published message body (JSON). */
export const smsBodySchema = z.object({
  /** Destination in E.164 (`+4915112345678`). */
  phoneNumber: z
    .string({ error: "expected an E.164 phone number" })
    .regex(/^\+[1-9]\d{6,14}$/, { error: "expected an E.164 phone number (+ and 7 to 15 digits)" }),
  /** The text; GSM-7 or UCS-2 is chosen from its characters. */
  text: z
    .string({ error: "expected the message text" })
    .min(1, { error: "expected a non-empty message text" })
    .max(LIMITS.maxBodyCharacters, { error: `expected at most ${LIMITS.maxBodyCharacters} characters` })
    // A lone UTF-16 surrogate has no encoding a handset can show: refused, never sent as U+FFFD.
    .refine((text) => !LONE_SURROGATE.test(text), {
      error: "expected well-formed Unicode (the text holds a lone surrogate)",
    }),
  /** The publisher's own reference, echoed in logs. */
  reference: z.string().max(128).optional(),
});
export type SmsBody = z.output<typeof smsBodySchema>;

/** The message attributes, already normalised by runtime-kit. */
export const smsAttributesSchema = z.object({
  country: z.string({ error: "expected a country attribute" }).refine((c) => isSupportedCountry(c), {
    error: "expected an ISO 3166-1 alpha-2 country code",
  }),
  useCase: z.enum(USE_CASES, { error: `expected a useCase attribute, one of ${USE_CASES.join(", ")}` }),
});

/** A request that passed validation, ready to send. */
export interface SmsRequest {
  phoneNumber: string;
  text: string;
  country: string;
  useCase: UseCase;
  parts: number;
  encoding: SmsEncoding;
  reference?: string;
}

export type RequestCheck = { ok: true; request: SmsRequest } | { ok: false; problems: string[] };

/**
 * Validates one SMS request: schema of body and attributes, the number's country agrees with the `country`
 * attribute, and the parts fit `maxParts`. Problems never repeat the phone number.
 */
export const checkRequest = (
  body: unknown,
  attributes: { country?: string; useCase?: string },
  maxParts: number,
): RequestCheck => {
  const parsedBody = smsBodySchema.safeParse(body);
  const parsedAttributes = smsAttributesSchema.safeParse(attributes);
  const problems = [
    ...(parsedBody.success ? [] : parsedBody.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)),
    ...(parsedAttributes.success
      ? []
      : parsedAttributes.error.issues.map((i) => `attribute ${i.path.join(".")}: ${i.message}`)),
  ];
  if (!parsedBody.success || !parsedAttributes.success) return { ok: false, problems };
  const { phoneNumber, text, reference } = parsedBody.data;
  const { country, useCase } = parsedAttributes.data;
  const phone = parsePhoneNumberFromString(phoneNumber);
  if (!phone?.isValid()) return { ok: false, problems: ["phoneNumber: expected a valid phone number"] };
  if (phone.country !== country) {
    return {
      ok: false,
      problems: [
        `phoneNumber: expected a number of country ${country} (got one of ${phone.country ?? "unknown"})`,
      ],
    };
  }
  const { parts, encoding } = countParts(text);
  if (parts > maxParts) {
    return {
      ok: false,
      problems: [`text: expected at most ${maxParts} parts (got ${parts} ${encoding} parts)`],
    };
  }
  return {
    ok: true,
    request: {
      phoneNumber: phone.number,
      text,
      country,
      useCase,
      parts,
      encoding,
      ...(reference ? { reference } : {}),
    },
  };
};

/** Carriers and providers distinguish transactional from promotional traffic. */
export const messageTypeOf = (useCase: UseCase): "TRANSACTIONAL" | "PROMOTIONAL" =>
  useCase === "OFFER" ? "PROMOTIONAL" : "TRANSACTIONAL";
