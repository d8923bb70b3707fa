import * as pulumi from "@pulumi/pulumi";
import { outputValue, setupPulumiMocks } from "@switchyard/testing";
import { describe, expect, it } from "vitest";

describe("NotificationsApi behind the local cloud", () => {
  it("derives the @connections endpoint from a ws:// API endpoint as http:// (wss:// -> https:// on AWS)", async () => {
    // Prepare: the local cloud returns its own URL as the WebSocket API's endpoint.
    await setupPulumiMocks({
      outputs: (ctx, computed) =>
        ctx.type === "aws:apigatewayv2/api:Api"
          ? {
              id: computed.id,
              state: { ...computed.state, apiEndpoint: `ws://127.0.0.1:4566/ws/${computed.id}` },
            }
          : computed,
    });
    const { NotificationsApi } = await import("../../src/notifications-api");

    // Act
    const api = new NotificationsApi("local", {
      alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-alarms-ops",
      stageName: "dev",
      auth: {
        mode: "hs256",
        secret: pulumi.secret("local-secret"),
        issuer: "switchyard-local",
        audience: "web",
      },
    });

    // Assess
    const endpoint = await outputValue(api.connectionsEndpoint);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:4566\/ws\/[0-9a-f]+\/dev$/);
  });
});
