import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { z } from "zod";
import { envSchemas, parseEnv } from "../env";
import { traced } from "../observability";
import type { EnvSource } from "../types";
import { createClientRateLimiter, type RateDecision } from "./rate-limit";

const schema = z.object({
  /** The ingress table: Powertools idempotency records and per-client rate items (key `id`, TTL `expiration`). */
  INGRESS_TABLE: envSchemas.string,
  /** Steady requests per second per client. */
  CLIENT_RATE_PER_SECOND: envSchemas.number,
  /** Requests per client at once. */
  CLIENT_BURST: envSchemas.positiveInt,
  /** Largest body accepted, in bytes. */
  MAX_BODY_BYTES: envSchemas.positiveInt,
  /** Seconds an Idempotency-Key is remembered. */
  IDEMPOTENCY_TTL_SECONDS: envSchemas.positiveInt.optional(),
});

/** The environment every ingress route function gets from the `IngressApi` component. */
export const ingressEnv = (source: EnvSource = process.env) => parseEnv(schema, source);

/** The adapters of an ingress route, created once per container: idempotency store and per-client limiter. */
export function ingressRuntime(env: z.output<typeof schema>): {
  persistenceStore: BasePersistenceLayer;
  throttle: (clientId: string) => Promise<RateDecision>;
} {
  const client = traced(new DynamoDBClient({}));
  return {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env.INGRESS_TABLE, awsSdkV3Client: client }),
    throttle: createClientRateLimiter({
      client,
      tableName: env.INGRESS_TABLE,
      rate: { ratePerSecond: env.CLIENT_RATE_PER_SECOND, burst: env.CLIENT_BURST },
    }),
  };
}
