import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { OrderEvent } from "@switchyard/contracts";
import { traced } from "@switchyard/runtime-kit";
import type { Context } from "aws-lambda";

/** How long an order event's side effect (an alert, an archive entry) is remembered: beyond any redelivery. */
export const SIDE_EFFECT_TTL_SECONDS = 7 * 24 * 3600;

/** Powertools idempotency records in the component's idempotency table (`IDEMPOTENCY_TABLE`). */
export function dynamoPersistence(tableName: string): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: traced(new DynamoDBClient({})) });
}

/**
 * Wraps a side effect of an order event so it happens once per event (`orderId`, `version`, `eventType`),
 * however often the event is delivered or re-published: Powertools idempotency stores the result under that
 * key (`<keyPrefix>#<hash>`; the prefix is the function's own, `IDEMPOTENCY_KEY_PREFIX`, which its grant is bounded
 * to) and returns it to later calls without running the effect again.
 */
export function oncePerOrderEvent<R>(
  persistenceStore: BasePersistenceLayer,
  keyPrefix: string,
  effect: (event: OrderEvent) => Promise<R>,
): { run: (event: OrderEvent) => Promise<R>; registerContext: (context: Context) => void } {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "[orderId, version, eventType]",
    expiresAfterSeconds: SIDE_EFFECT_TTL_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  const run = makeIdempotent(effect, { persistenceStore, config, keyPrefix });
  return { run, registerContext: (context) => config.registerLambdaContext(context) };
}
