import * as pulumi from "@pulumi/pulumi";
import { SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { routeEvent } from "@switchyard/routing";
import { outputValue, type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";

let mocks: PulumiMocks;
let busName: string;

beforeAll(async () => {
  mocks = await setupPulumiMocks();
  const { NotificationsApi } = await import("../../src/notifications-api");
  const api = new NotificationsApi("route", {
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:ops",
    stageName: "dev",
    auth: { mode: "hs256", secret: pulumi.secret("test"), issuer: "switchyard-dev", audience: "web" },
  });
  busName = await outputValue(api.busName);
  await mocks.settle();
});

const put = (detailType: string, source = "switchyard.orders") => ({
  eventBusName: busName,
  event: {
    source,
    "detail-type": detailType,
    detail: { userId: "user-1", type: "feedback", message: "hi" },
  },
});

describe("routing on the component's bus", () => {
  it.each([
    [SEND_USER_NOTIFICATION, ["route-sends-queue"], ["route-sender-function"]],
    ["Order Placed", [], []],
    ["send user notification", [], []],
  ])("an event with detail-type %j reaches queues %j and functions %j", (detailType, queues, functions) => {
    // Act
    const route = routeEvent(mocks.resources, put(detailType));

    // Assess
    expect(route.queueNames).toEqual(queues);
    expect(route.functionNames).toEqual(functions);
  });

  it.each([
    ["switchyard.s3-pipeline", ["route-sends-queue"]],
    ["attacker.spoofed", []],
    ["switchyard.orders.evil", []],
  ])(
    "a Send User Notification with source %j reaches queues %j (only known publishers' sources)",
    (source, queues) => {
      // Act
      const route = routeEvent(mocks.resources, put(SEND_USER_NOTIFICATION, source));

      // Assess
      expect(route.queueNames).toEqual(queues);
    },
  );

  it("does not route Send User Notification put on the default bus", () => {
    // Act
    const route = routeEvent(mocks.resources, { ...put(SEND_USER_NOTIFICATION), eventBusName: "default" });

    // Assess
    expect(route.queueNames).toEqual([]);
  });
});
