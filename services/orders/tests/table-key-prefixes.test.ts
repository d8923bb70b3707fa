import { ORDER_EVENT_TYPES } from "@switchyard/contracts";
import { lambdaContext, sqsEvent } from "@switchyard/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { TABLE_KEY_PREFIXES } from "../src/subscribers";
import { acceptDeadLetters, dynamo, fakeTable, handlerEnv, order, recordOf, sqs } from "./fakes";

// The grants of the inventory and analytics writers are bounded with `dynamodb:LeadingKeys` to
// TABLE_KEY_PREFIXES; a handler writing a key outside them would be denied on AWS (and nowhere in the unit
// tests, which mock DynamoDB). This runs both writers over every event type and compares the keys they write.
const TABLES = { inventoryTable: "inventory-table", analyticsTable: "analytics-table" } as const;
handlerEnv({ INVENTORY_TABLE: TABLES.inventoryTable, ANALYTICS_TABLE: TABLES.analyticsTable });
const writers = {
  inventoryTable: (await import("../src/handlers/inventory")).handler,
  analyticsTable: (await import("../src/handlers/analytics")).handler,
};

/** Every `Item`/`Key` partition key in a DynamoDB command input, with the table it goes to. */
function writtenKeys(input: unknown, table?: string, out: { table: string; pk: string }[] = []) {
  if (Array.isArray(input)) {
    for (const entry of input) writtenKeys(entry, table, out);
  } else if (input && typeof input === "object") {
    const record = input as Record<string, unknown>;
    const here = typeof record.TableName === "string" ? record.TableName : table;
    for (const field of ["Item", "Key"]) {
      const key = record[field] as Record<string, unknown> | undefined;
      if (key && here) out.push({ table: here, pk: String(key.pk) });
    }
    for (const [field, value] of Object.entries(record)) {
      if (field !== "Item" && field !== "Key") writtenKeys(value, here, out);
    }
  }
  return out;
}

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  acceptDeadLetters();
  fakeTable();
});

describe("TABLE_KEY_PREFIXES", () => {
  it.each(Object.keys(TABLES) as (keyof typeof TABLES)[])(
    "covers every partition key the %s writer writes, and names no prefix it never writes",
    async (resource) => {
      // Act: every event type, twice (the second delivery is a duplicate the marker refuses)
      const events = ORDER_EVENT_TYPES.map((eventType, index) =>
        order({
          eventType,
          version: index + 1,
          ...(eventType === "ORDER_SHIPPED" || eventType === "ORDER_DELIVERED"
            ? { trackingUrl: "https://carrier.test/t/1" }
            : {}),
        }),
      );
      for (const [index, event] of events.entries()) {
        const result = (await writers[resource](
          sqsEvent([recordOf(event, `m-${index}`), recordOf(event, `m-${index}-again`)]),
          lambdaContext(),
          () => {},
        )) as SQSBatchResponse;
        expect(result.batchItemFailures).toEqual([]);
      }

      // Assess
      const keys = dynamo.calls().flatMap((call) => writtenKeys(call.args[0].input));
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(keys.map((key) => key.table))).toEqual(new Set([TABLES[resource]]));
      const prefixes: readonly string[] = TABLE_KEY_PREFIXES[resource];
      const outside = keys.filter((key) => !prefixes.some((prefix) => key.pk.startsWith(prefix)));
      expect(outside).toEqual([]);
      const unused = prefixes.filter((prefix) => !keys.some((key) => key.pk.startsWith(prefix)));
      expect(unused).toEqual([]);
    },
  );
});
