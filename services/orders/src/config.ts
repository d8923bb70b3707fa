import { z } from "zod";

/** EventBridge archives keep events up to this many days here (0, "forever", is refused on purpose). */
export const MAX_ARCHIVE_RETENTION_DAYS = 3650;

/**
 * The orders service's stack config, embedded by the root config module under `switchyard:orders`.
 * Errors are phrased as expectations: the root turns them into "<key>: expected ...; got <value>".
 */
export const ordersConfigSchema = z
  .object(
    {
      archiveRetentionDays: z
        .number({ error: `expected whole days from 1 to ${MAX_ARCHIVE_RETENTION_DAYS}` })
        .int({ error: `expected whole days from 1 to ${MAX_ARCHIVE_RETENTION_DAYS}` })
        .min(1, { error: "expected at least 1 day (0 would keep events forever)" })
        .max(MAX_ARCHIVE_RETENTION_DAYS, { error: `expected at most ${MAX_ARCHIVE_RETENTION_DAYS} days` })
        .default(30),
      highValueThreshold: z
        .number({ error: "expected an order value above 0" })
        .positive({ error: "expected an order value above 0" })
        .max(1_000_000_000, { error: "expected at most 1000000000 (the SNS numeric filter range)" })
        .default(1000),
    },
    { error: "expected an object with archiveRetentionDays and highValueThreshold" },
  )
  .strict();

export type OrdersConfig = z.output<typeof ordersConfigSchema>;
