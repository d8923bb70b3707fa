import { eventBridgeEvent, eventBridgeSqsRecord, sqsRecord } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseEventBridgeBody, ValidationError } from "../src/index";

const detailSchema = z.object({ orderId: z.string(), total: z.number() });

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
};

describe("parseEventBridgeBody", () => {
  it("returns the event with the detail parsed", () => {
    // Prepare
    const event = eventBridgeEvent({
      source: "switchyard.orders",
      detailType: "OrderPlaced",
      detail: { orderId: "o-1", total: 12.5 },
      resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"],
    });
    const record = eventBridgeSqsRecord(event);

    // Act
    const parsed = parseEventBridgeBody(record, detailSchema);

    // Assess
    expect(parsed).toEqual({
      id: event.id,
      version: "0",
      source: "switchyard.orders",
      detailType: "OrderPlaced",
      account: "123456789012",
      time: event.time,
      region: "us-east-1",
      resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"],
      detail: { orderId: "o-1", total: 12.5 },
    });
  });

  it("builds the event from factory input too", () => {
    // Prepare
    const record = eventBridgeSqsRecord({
      source: "s",
      detailType: "d",
      detail: { orderId: "o-2", total: 1 },
    });

    // Act
    const parsed = parseEventBridgeBody(record, detailSchema);

    // Assess
    expect(parsed.detail.orderId).toBe("o-2");
  });

  it.each([
    {
      case: "an invalid detail",
      body: eventBridgeEvent({ source: "s", detailType: "d", detail: { orderId: 1, total: 1 } }),
      paths: ["body.detail.orderId"],
    },
    {
      case: "a missing detail-type",
      body: (() => {
        const { "detail-type": _, ...rest } = eventBridgeEvent({ source: "s", detailType: "d", detail: {} });
        return rest;
      })(),
      paths: ["body.detail-type"],
    },
    { case: "a non-JSON body", body: "{", paths: ["body"] },
  ])("throws a ValidationError naming the field on $case", ({ body, paths }) => {
    // Prepare
    const record = sqsRecord({ body });

    // Act
    const error = thrown(() => parseEventBridgeBody(record, detailSchema));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual(paths);
  });
});
