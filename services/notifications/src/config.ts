import { z } from "zod";
import { CONNECTION_MAX_SECONDS, MAX_CONNECTION_TTL_SECONDS } from "./domain/table";

/** A lower-case host name of dot-separated labels (letters, digits, hyphens), two labels at least, no wildcard. */
export const DOMAIN_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** An ACM certificate ARN. */
export const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
/** A Route 53 hosted zone id. */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

const nonEmpty = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, { error: `expected ${what}` });

const httpsUrl = (what: string) =>
  nonEmpty(what).refine(
    (value) => {
      try {
        return new URL(value).protocol === "https:";
      } catch {
        return false;
      }
    },
    { error: `expected ${what}` },
  );

const intIn = (min: number, max: number, unit: string) =>
  z
    .number({ error: `expected an integer from ${min} to ${max} ${unit}` })
    .int({ error: `expected an integer from ${min} to ${max} ${unit}` })
    .min(min, { error: `expected an integer from ${min} to ${max} ${unit}` })
    .max(max, { error: `expected an integer from ${min} to ${max} ${unit}` });

const issuer = nonEmpty("the token issuer (iss)");
const audience = nonEmpty("the token audience (aud)");

/**
 * An IAM principal that may put events on the notifications bus besides the stack's own publishers: a role,
 * a user or a whole account (`:root`), in any partition. Wildcards are refused: the bus policy names principals.
 */
const PUBLISHER_ARN =
  /^arn:aws(-[a-z]+)*:iam::\d{12}:(root|role\/[\w+=,.@/-]{1,512}|user\/[\w+=,.@/-]{1,512})$/;
const PUBLISHER_EXPECTED =
  "expected an IAM role, user or account ARN (arn:aws:iam::<12 digits>:role/<name>, :user/<name> or :root)";
/** A bus policy is at most 10 KB; each principal is named twice in it. */
export const MAX_EXTRA_PUBLISHERS = 20;

/**
 * `switchyard:notifications` in the stack files. The HS256 secret is not here: it is read with
 * `config.requireSecret("notificationsJwtSecret")` and handed to the component as `auth.secret`.
 */
export const notificationsConfigSchema = z
  .object(
    {
      auth: z.discriminatedUnion(
        "mode",
        [
          z.object({ mode: z.literal("hs256"), issuer, audience }).strict(),
          z
            .object({
              mode: z.literal("jwks"),
              jwksUrl: httpsUrl("the issuer's JWKS URL (https)"),
              issuer: httpsUrl("the OIDC issuer (iss) as an https URL"),
              audience,
            })
            .strict(),
        ],
        { error: 'expected auth.mode "hs256" (shared secret) or "jwks" (OIDC issuer, e.g. Cognito)' },
      ),
      throttling: z
        .object(
          {
            rateLimit: intIn(1, 10_000, "requests per second").default(50),
            burstLimit: intIn(1, 5_000, "requests").default(100),
          },
          { error: "expected an object with rateLimit and burstLimit" },
        )
        .strict()
        .default({ rateLimit: 50, burstLimit: 100 }),
      connectionTtlSeconds: intIn(CONNECTION_MAX_SECONDS, MAX_CONNECTION_TTL_SECONDS, "seconds").default(
        9_000,
      ),
      inboxRetentionDays: intIn(1, 365, "days").default(30),
      extraPublishers: z
        .array(z.string({ error: PUBLISHER_EXPECTED }).regex(PUBLISHER_ARN, { error: PUBLISHER_EXPECTED }), {
          error: "expected a list of IAM principal ARNs (roles, users or accounts)",
        })
        .max(MAX_EXTRA_PUBLISHERS, { error: `expected at most ${MAX_EXTRA_PUBLISHERS} principals` })
        .refine((arns) => new Set(arns).size === arns.length, { error: "expected each principal once" })
        .default([]),
      domain: z
        .object(
          {
            name: nonEmpty("a lower-case host name such as ws.example.com").regex(DOMAIN_NAME, {
              error: "expected a lower-case host name such as ws.example.com",
            }),
            certificateArn: nonEmpty("an ACM certificate ARN in the API's region").regex(CERTIFICATE_ARN, {
              error: "expected an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            }),
            hostedZoneId: nonEmpty("a Route 53 hosted zone id")
              .regex(HOSTED_ZONE_ID, { error: "expected a Route 53 hosted zone id such as Z0123456789ABC" })
              .optional(),
          },
          { error: "expected an object with name and certificateArn (and optionally hostedZoneId)" },
        )
        .strict()
        .optional(),
    },
    {
      error:
        "expected an object with auth (and optionally throttling, connectionTtlSeconds, inboxRetentionDays, extraPublishers, domain)",
    },
  )
  .strict();

export type NotificationsConfig = z.output<typeof notificationsConfigSchema>;
