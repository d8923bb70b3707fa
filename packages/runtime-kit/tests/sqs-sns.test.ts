import { snsEnvelope, snsToSqsRecord, sqsRecord } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseSnsSqsMessage, parseSqsBody, unwrapSnsSqsRecord, ValidationError } from "../src/index";

const orderSchema = z.object({ orderId: z.string(), quantity: z.number().int().positive() });
const order = { orderId: "o-1", quantity: 2 };
const TOPIC = "arn:aws:sns:us-east-1:123456789012:orders";

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
};

describe("parseSqsBody", () => {
  it("parses and validates a JSON body", () => {
    // Prepare
    const record = sqsRecord({ body: order });

    // Act
    const parsed = parseSqsBody(record, orderSchema);

    // Assess
    expect(parsed).toEqual(order);
  });

  it.each([
    { case: "non-JSON body", body: "not json", field: "body: is not valid JSON" },
    { case: "missing field", body: { quantity: 1 }, field: "body.orderId:" },
    { case: "wrong type", body: { orderId: "o-1", quantity: "2" }, field: "body.quantity:" },
    { case: "JSON but not an object", body: "[1,2]", field: "body: Invalid input: expected object" },
  ])("throws a ValidationError naming the field on a $case", ({ body, field }) => {
    // Prepare
    const record = sqsRecord({ body, messageId: "m-42" });

    // Act
    const error = thrown(() => parseSqsBody(record, orderSchema));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^SQS message m-42 is invalid: /);
    expect((error as ValidationError).message).toContain(field);
  });
});

describe("unwrapSnsSqsRecord", () => {
  describe.each([{ raw: true }, { raw: false }])("raw delivery $raw", ({ raw }) => {
    it("returns the message and the attributes in one shape", () => {
      // Prepare
      const record = snsToSqsRecord({
        raw,
        message: order,
        topicArn: TOPIC,
        messageAttributes: { eventType: "OrderPlaced", priority: 3, tags: ["a", "b"] },
      });

      // Act
      const unwrapped = unwrapSnsSqsRecord(record);

      // Assess
      expect(unwrapped.raw).toBe(raw);
      expect(JSON.parse(unwrapped.message)).toEqual(order);
      expect(unwrapped.attributes).toEqual({
        eventType: { dataType: "String", value: "OrderPlaced" },
        priority: { dataType: "Number", value: "3" },
        tags: { dataType: "String.Array", value: '["a","b"]' },
      });
      expect(unwrapped.topicArn).toBe(raw ? undefined : TOPIC);
      expect(unwrapped.messageId === undefined).toBe(raw);
    });

    it("parses the message with a schema", () => {
      // Prepare
      const record = snsToSqsRecord({ raw, message: order });

      // Act
      const parsed = parseSnsSqsMessage(record, orderSchema);

      // Assess
      expect(parsed.message).toEqual(order);
      expect(parsed.raw).toBe(raw);
    });

    it("names the field inside the message when it is invalid", () => {
      // Prepare
      const record = snsToSqsRecord({ raw, message: { orderId: 7, quantity: 1 } });

      // Act
      const error = thrown(() => parseSnsSqsMessage(record, orderSchema));

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
        raw ? "body.orderId" : "body.Message.orderId",
      ]);
    });

    it("says where a non-JSON message sits", () => {
      // Prepare
      const record = snsToSqsRecord({ raw, message: "plain text" });

      // Act
      const error = thrown(() => parseSnsSqsMessage(record, orderSchema));

      // Assess
      expect((error as ValidationError).message).toContain(
        raw ? "body: is not valid JSON" : "body.Message: is not valid JSON",
      );
    });
  });

  it("keeps the subject and timestamp of a wrapped notification", () => {
    // Prepare
    const record = snsToSqsRecord({
      raw: false,
      message: "hi",
      subject: "Greeting",
      timestamp: "2025-01-01T00:00:00.000Z",
    });

    // Act
    const unwrapped = unwrapSnsSqsRecord(record);

    // Assess
    expect(unwrapped).toMatchObject({
      message: "hi",
      subject: "Greeting",
      timestamp: "2025-01-01T00:00:00.000Z",
    });
  });

  it.each([
    { case: "a Type field", body: { Type: "Notification", orderId: "o-1" } },
    {
      case: "Type and Message but no TopicArn",
      body: { Type: "Notification", Message: "x", MessageId: "1" },
    },
    {
      case: "a non-ARN TopicArn",
      body: { Type: "Notification", Message: "x", MessageId: "1", TopicArn: "orders" },
    },
    {
      case: "an object Message",
      body: { Type: "Notification", Message: {}, MessageId: "1", TopicArn: TOPIC },
    },
  ])("does not mistake a raw JSON message with $case for an envelope", ({ body }) => {
    // Prepare
    const record = sqsRecord({ body });

    // Act
    const unwrapped = unwrapSnsSqsRecord(record);

    // Assess
    expect(unwrapped.raw).toBe(true);
    expect(JSON.parse(unwrapped.message)).toEqual(body);
  });

  it("names the bad field of a malformed envelope", () => {
    // Prepare
    const envelope = JSON.parse(snsEnvelope({ message: "x", messageAttributes: { a: "b" } }));
    envelope.MessageAttributes.a = { Type: "String" };
    const record = sqsRecord({ body: envelope });

    // Act
    const error = thrown(() => unwrapSnsSqsRecord(record));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      "body.MessageAttributes.a.Value",
    ]);
  });

  it.each([
    { delivery: "raw" as const, raw: true, expectRaw: true },
    { delivery: "wrapped" as const, raw: false, expectRaw: false },
  ])("honours delivery: $delivery", ({ delivery, raw, expectRaw }) => {
    // Prepare
    const record = snsToSqsRecord({ raw, message: "x" });

    // Act
    const unwrapped = unwrapSnsSqsRecord(record, { delivery });

    // Assess
    expect(unwrapped.raw).toBe(expectRaw);
  });

  it("refuses an SNS envelope as the body of a raw delivery, naming the topic it claims", () => {
    // Prepare: SNS never wraps a raw delivery, so this envelope was sent to the queue (or nested) by someone
    const forged = "arn:aws:sns:us-east-1:999999999999:elsewhere";
    const record = snsToSqsRecord({ raw: false, topicArn: forged, message: order });

    // Act
    const error = thrown(() => parseSnsSqsMessage(record, orderSchema, { delivery: "raw" }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        path: "body",
        message: `is an SNS notification envelope claiming topic "${forged}", but the subscription delivers raw messages: refused as forged`,
      },
    ]);
  });

  it("refuses a wrapped envelope from another topic than the subscribed one", () => {
    // Prepare
    const forged = "arn:aws:sns:us-east-1:999999999999:elsewhere";
    const record = snsToSqsRecord({ raw: false, topicArn: forged, message: order });

    // Act
    const error = thrown(() => parseSnsSqsMessage(record, orderSchema, { topicArn: TOPIC }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(
      `body.TopicArn: names topic "${forged}"; this queue is subscribed to ${TOPIC} only`,
    );
  });

  it("accepts a wrapped envelope from the subscribed topic", () => {
    // Prepare
    const record = snsToSqsRecord({ raw: false, topicArn: TOPIC, message: order });

    // Act
    const parsed = parseSnsSqsMessage(record, orderSchema, { topicArn: TOPIC, delivery: "wrapped" });

    // Assess
    expect(parsed.message).toEqual(order);
    expect(parsed.topicArn).toBe(TOPIC);
  });

  it("refuses a raw body when delivery is wrapped", () => {
    // Prepare
    const record = snsToSqsRecord({ raw: true, message: { orderId: "o-1" } });

    // Act
    const error = thrown(() => unwrapSnsSqsRecord(record, { delivery: "wrapped" }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain("body.Type");
  });
});
