// The event factories and the Lambda context must produce the shapes AWS sends.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  encodeS3Key,
  lambdaContext,
  s3Event,
  snsEnvelope,
  snsToSqsRecord,
  sqsRecord,
  webSocketAuthorizerEvent,
  webSocketEvent,
} from "../src/index";

describe("lambdaContext", () => {
  it("gives every call its own request id and applies overrides", () => {
    // Act
    const first = lambdaContext();
    const second = lambdaContext({ functionName: "orders-consumer", remainingTimeMs: 5_000 });

    // Assess
    expect(first.awsRequestId).not.toBe(second.awsRequestId);
    expect(second.functionName).toBe("orders-consumer");
    expect(second.invokedFunctionArn).toBe("arn:aws:lambda:us-east-1:123456789012:function:orders-consumer");
    expect(second.logGroupName).toBe("/aws/lambda/orders-consumer");
    expect(second.getRemainingTimeInMillis()).toBeGreaterThan(4_000);
    expect(second.getRemainingTimeInMillis()).toBeLessThanOrEqual(5_000);
  });
});

describe("sqsRecord / snsToSqsRecord", () => {
  it("builds a record with a real md5OfBody and FIFO attributes when grouped", () => {
    // Act
    const record = sqsRecord({ body: { a: 1 }, messageGroupId: "g" });

    // Assess
    expect(record.body).toBe('{"a":1}');
    expect(record.md5OfBody).toBe(createHash("md5").update('{"a":1}').digest("hex"));
    expect(record.eventSourceARN.endsWith(".fifo")).toBe(true);
    expect(record.attributes).toMatchObject({ MessageGroupId: "g", ApproximateReceiveCount: "1" });
  });

  it("moves SNS attributes to SQS message attributes on raw delivery", () => {
    // Act
    const record = snsToSqsRecord({ raw: true, message: "hi", messageAttributes: { kind: "x", n: 2 } });

    // Assess
    expect(record.body).toBe("hi");
    expect(record.messageAttributes).toEqual({
      kind: { dataType: "String", stringValue: "x" },
      n: { dataType: "Number", stringValue: "2" },
    });
  });

  it("wraps the message in the SNS envelope otherwise", () => {
    // Act
    const envelope = JSON.parse(
      snsEnvelope({ message: { a: 1 }, subject: "S", messageAttributes: { kind: "x" } }),
    );

    // Assess
    expect(envelope).toMatchObject({
      Type: "Notification",
      TopicArn: expect.stringMatching(/^arn:aws:sns:/),
      Subject: "S",
      Message: '{"a":1}',
      SignatureVersion: "1",
      SigningCertURL: expect.any(String),
      UnsubscribeURL: expect.any(String),
      MessageAttributes: { kind: { Type: "String", Value: "x" } },
    });
  });
});

describe("s3Event", () => {
  it("omits size and eTag on removed events, as S3 does", () => {
    // Act
    const event = s3Event({ bucket: "b", records: [{ key: "k", eventName: "ObjectRemoved:Delete" }] });

    // Assess
    expect(Object.keys(event.Records[0]?.s3.object ?? {}).sort()).toEqual(["key", "sequencer"]);
  });

  it.each([
    { key: "red flower.jpg", encoded: "red+flower.jpg" },
    { key: "a+b.txt", encoded: "a%2Bb.txt" },
    { key: "dir/file.txt", encoded: "dir/file.txt" },
  ])("encodeS3Key($key) = $encoded", ({ key, encoded }) => {
    // Act
    const result = encodeS3Key(key);

    // Assess
    expect(result).toBe(encoded);
  });
});

describe("webSocketEvent", () => {
  it.each([
    { routeKey: "$connect", eventType: "CONNECT", hasHeaders: true },
    { routeKey: "$disconnect", eventType: "DISCONNECT", hasHeaders: false },
    { routeKey: "$default", eventType: "MESSAGE", hasHeaders: false },
    { routeKey: "sendMessage", eventType: "MESSAGE", hasHeaders: false },
  ])("$routeKey is a $eventType event", ({ routeKey, eventType, hasHeaders }) => {
    // Act
    const event = webSocketEvent({ routeKey, connectionId: "L0SM9cOFvHcCIhw=" });

    // Assess
    expect(event.requestContext).toMatchObject({
      routeKey,
      eventType,
      connectionId: "L0SM9cOFvHcCIhw=",
      domainName: "abcdef123.execute-api.us-east-1.amazonaws.com",
      stage: "default",
      apiId: "abcdef123",
      identity: { sourceIp: expect.any(String) },
      requestTimeEpoch: expect.any(Number),
    });
    expect(event.headers !== undefined).toBe(hasHeaders);
  });

  it("stringifies authorizer context values and JSON-encodes an object body", () => {
    // Act
    const event = webSocketEvent({
      routeKey: "$default",
      body: { action: "ping" },
      authorizer: { principalId: "user-1", tier: 2, admin: false },
      queryStringParameters: { token: "t" },
    });

    // Assess
    expect(event.body).toBe('{"action":"ping"}');
    expect(event.requestContext.authorizer).toEqual({ principalId: "user-1", tier: "2", admin: "false" });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ["t"] });
  });
});

describe("webSocketAuthorizerEvent", () => {
  it("builds the $connect REQUEST authorizer input", () => {
    // Act
    const event = webSocketAuthorizerEvent({ token: "abc", protocolHeader: "bearer, abc" });

    // Assess
    expect(event).toMatchObject({
      type: "REQUEST",
      methodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect",
      queryStringParameters: { token: "abc" },
      headers: { "Sec-WebSocket-Protocol": "bearer, abc", Upgrade: "websocket" },
      requestContext: { routeKey: "$connect", eventType: "CONNECT", apiId: "abcdef123", stage: "default" },
    });
    expect(event).not.toHaveProperty("pathParameters");
  });

  it("takes api id and stage from a given methodArn", () => {
    // Act
    const event = webSocketAuthorizerEvent({
      methodArn: "arn:aws:execute-api:us-east-1:123456789012:xyz789/prod/$connect",
    });

    // Assess
    expect(event.requestContext).toMatchObject({ apiId: "xyz789", stage: "prod" });
    expect(event.queryStringParameters).toEqual({});
  });
});
