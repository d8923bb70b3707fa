import { z } from "zod";
import { EnvironmentError } from "./errors";
import type { EnvSource } from "./types";

const ARN_PATTERN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/;

// Values of variables with these words in their name are never repeated in error messages.
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|AUTH|(^|_)KEY($|_)/i;

const MAX_SHOWN_VALUE = 60;

/**
 * Ready-made zod schemas for environment variables. Every variable arrives as a string; these check and
 * convert it, and their messages read well after the variable name (`BATCH_SIZE must be a positive integer`).
 */
export const envSchemas = {
  /** Any non-blank string. */
  string: z.string().trim().min(1, { error: "must not be blank" }),
  /** `1`, `2`, … as a number. */
  positiveInt: z
    .string()
    .trim()
    .regex(/^[1-9]\d*$/, { error: "must be a positive integer" })
    .refine((value) => Number.isSafeInteger(Number(value)), { error: "must be a positive integer" })
    .transform(Number),
  /** `0`, `1`, … as a number. */
  nonNegativeInt: z
    .string()
    .trim()
    .regex(/^(0|[1-9]\d*)$/, { error: "must be a non-negative integer" })
    .refine((value) => Number.isSafeInteger(Number(value)), { error: "must be a non-negative integer" })
    .transform(Number),
  /** Any finite decimal number (`0.25`, `-3`, `1e3`). */
  number: z
    .string()
    .trim()
    .refine((value) => value !== "" && Number.isFinite(Number(value)), { error: "must be a number" })
    .transform(Number),
  /** `true`/`false`/`1`/`0`, any case, as a boolean. */
  boolean: z
    .string()
    .trim()
    .refine((value) => /^(true|false|1|0)$/i.test(value), { error: 'must be "true" or "false"' })
    .transform((value) => /^(true|1)$/i.test(value)),
  /** An http(s) URL, e.g. an SQS queue URL (`http` allowed for LocalStack). */
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /** Any ARN, in any partition. */
  arn: z.string().trim().regex(ARN_PATTERN, { error: "must be an ARN" }),
  /** An ARN of one service: `envSchemas.arnOf("sqs")`. */
  arnOf: (service: string) =>
    z
      .string()
      .trim()
      .regex(ARN_PATTERN, { error: `must be an ${service} ARN` })
      .refine((value) => value.split(":")[2] === service, { error: `must be an ${service} ARN` }),
  /** A comma-separated list, as an array of trimmed, non-empty items. */
  csv: z.string().transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  ),
};

const withArticle = (noun: string): string => (/^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`);

const expectation = (issue: z.core.$ZodIssue): string => {
  if (/^(must|is|should) /.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      return `must be ${withArticle(issue.expected)}`;
    case "invalid_format":
      return issue.format === "regex" && issue.pattern
        ? `must match ${issue.pattern}`
        : `must be ${withArticle(`valid ${issue.format}`)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `must be at least ${issue.minimum} characters long`
        : `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${issue.maximum} characters long`
        : `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    default:
      return `is invalid (${issue.message})`;
  }
};

const shown = (name: string, value: string): string => {
  if (SECRET_NAME.test(name)) return `a value of ${value.length} characters`;
  const text = value.length > MAX_SHOWN_VALUE ? `${value.slice(0, MAX_SHOWN_VALUE)}…` : value;
  return JSON.stringify(text);
};

const describeIssue = (issue: z.core.$ZodIssue, input: EnvSource): string => {
  if (issue.path.length === 0) return issue.message;
  const name = issue.path.map(String).join(".");
  const raw = typeof issue.path[0] === "string" ? input[issue.path[0]] : undefined;
  if (raw === undefined) return `${name} is required`;
  return `${name} ${expectation(issue)} (got ${shown(name, raw)})`;
};

/**
 * Parses the handler environment with a zod object schema. Call it at module scope: a bad environment
 * then fails the cold start with one message naming every missing or invalid variable, e.g.
 * `Handler environment is invalid: TABLE_NAME is required; BATCH_SHARE must be a number (got "abc")`.
 *
 * Only the variables named in the schema are read. An empty value counts as missing. Values of
 * variables whose names look secret (`*_TOKEN`, `*_SECRET`, `*_KEY`, …) are never echoed.
 *
 * @throws EnvironmentError
 */
export const parseEnv = <S extends z.ZodObject>(schema: S, env: EnvSource = process.env): z.output<S> => {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    input[name] = value === "" ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = [...new Set(result.error.issues.map((issue) => describeIssue(issue, input)))];
  throw new EnvironmentError(problems);
};
