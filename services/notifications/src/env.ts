import { envSchemas } from "@switchyard/runtime-kit";
import { z } from "zod";

/**
 * Every environment variable the notifications functions read, written once: the component links a resource with
 * one of these shapes (`link(LINK_ENV.table, { TABLE_NAME: table.tableName }, grant)`, infra-kit), and the handler
 * parses the same shapes (`parseEnv(z.object(FUNCTION_ENV.connect))`). Handler-safe: zod and runtime-kit only.
 */
export const LINK_ENV = {
  /** The connections-and-inbox table. */
  table: { TABLE_NAME: envSchemas.string },
  /** The `@connections` endpoint of the stage (posting needs `execute-api:ManageConnections` on it). */
  connections: { CONNECTIONS_ENDPOINT: envSchemas.url },
  /** Lifetime of a stored connection, from its start. */
  connectionTtl: { CONNECTION_TTL_SECONDS: envSchemas.positiveInt },
  /** Days an inbox item is kept. */
  inboxRetention: { INBOX_RETENTION_DAYS: envSchemas.positiveInt },
  /** Posts to connections in flight at once. */
  postConcurrency: { POST_CONCURRENCY: envSchemas.positiveInt.default(10) },
  /** Token verification common to both modes. */
  auth: {
    AUTH_MODE: z.enum(["hs256", "jwks"]),
    JWT_ISSUER: envSchemas.string,
    JWT_AUDIENCE: envSchemas.string,
  },
  /** The HS256 shared secret (mode hs256). */
  hs256: { JWT_SECRET: envSchemas.string },
  /** The issuer's JWKS (mode jwks). */
  jwks: { JWKS_URL: envSchemas.url },
} as const;

/** The whole environment each function's handler parses (besides what the kit adds, e.g. `DLQ_URL`). */
export const FUNCTION_ENV = {
  connect: { ...LINK_ENV.table, ...LINK_ENV.connectionTtl },
  disconnect: { ...LINK_ENV.table },
  messages: { ...LINK_ENV.table, ...LINK_ENV.connections, ...LINK_ENV.postConcurrency },
  sender: {
    ...LINK_ENV.table,
    ...LINK_ENV.connections,
    ...LINK_ENV.inboxRetention,
    ...LINK_ENV.postConcurrency,
  },
  /** One of the two mode shapes is set, so both are optional here; the handler checks the one its mode needs. */
  authorizer: { ...LINK_ENV.auth, JWT_SECRET: z.string().optional(), JWKS_URL: envSchemas.url.optional() },
} as const;
