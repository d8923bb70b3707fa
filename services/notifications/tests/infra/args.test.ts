import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks } from "@switchyard/testing";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { NotificationsError } from "../../src/errors";
import type { NotificationsApiArgs } from "../../src/notifications-api";

let NotificationsApi: typeof import("../../src/notifications-api").NotificationsApi;

beforeAll(async () => {
  await setupPulumiMocks();
  ({ NotificationsApi } = await import("../../src/notifications-api"));
});

const valid = (): NotificationsApiArgs => ({
  alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:ops",
  stageName: "dev",
  auth: { mode: "hs256", secret: pulumi.secret("test"), issuer: "switchyard-dev", audience: "web" },
});

describe("NotificationsApi refuses bad args at construction", () => {
  it.each<[string, string, (args: NotificationsApiArgs) => unknown]>([
    [
      "stageName",
      'stageName must be 1 to 128 letters, digits, hyphens or underscores (got "my stage")',
      (a) => ({ ...a, stageName: "my stage" }),
    ],
    [
      "alarmTopicArn",
      "alarmTopicArn is required: every alarm notifies it (got undefined)",
      (a) => ({ ...a, alarmTopicArn: undefined }),
    ],
    [
      "auth.mode",
      'auth.mode must be "hs256" or "jwks" (got "basic")',
      (a) => ({ ...a, auth: { ...a.auth, mode: "basic" } }),
    ],
    [
      "auth.issuer",
      'auth.issuer is required and must be a non-empty string (got "")',
      (a) => ({ ...a, auth: { ...a.auth, issuer: "" } }),
    ],
    [
      "auth.secret",
      "auth.secret is required for hs256: pass config.requireSecret(...) (got nothing)",
      (a) => ({ ...a, auth: { mode: "hs256", issuer: "i", audience: "a" } }),
    ],
    [
      "auth.jwksUrl",
      'auth.jwksUrl must be an https URL (got "http://idp.test/jwks.json")',
      (a) => ({
        ...a,
        auth: {
          mode: "jwks",
          jwksUrl: "http://idp.test/jwks.json",
          issuer: "https://idp.test",
          audience: "a",
        },
      }),
    ],
    [
      "memorySize",
      "memorySize must be an integer from 128 to 10240 (got 64)",
      (a) => ({ ...a, memorySize: 64 }),
    ],
    [
      "maximumConcurrency",
      "maximumConcurrency must be an integer from 2 to 1000 (got 1)",
      (a) => ({ ...a, maximumConcurrency: 1 }),
    ],
    [
      "maxReceiveCount",
      "maxReceiveCount must be an integer from 1 to 1000 (got 0)",
      (a) => ({ ...a, maxReceiveCount: 0 }),
    ],
    ["logRetentionDays", "logRetentionDays must be one of", (a) => ({ ...a, logRetentionDays: 2 })],
    [
      "connectionTtlSeconds",
      "connectionTtlSeconds must be an integer from 7200 to 10800 (got 86400)",
      (a) => ({ ...a, connectionTtlSeconds: 86_400 }),
    ],
    [
      "throttling.rateLimit",
      "throttling.rateLimit must be an integer from 1 to 10000 (got 0)",
      (a) => ({ ...a, throttling: { rateLimit: 0 } }),
    ],
    [
      "senderBatchSize",
      "senderBatchSize must be an integer from 1 to 10 (got 11)",
      (a) => ({ ...a, senderBatchSize: 11 }),
    ],
  ])("%s", (_, message, change) => {
    // Act
    const construct = () => new NotificationsApi("bad", change(valid()) as NotificationsApiArgs);

    // Assess
    expect(construct).toThrow(`switchyard:notifications:NotificationsApi "bad": ${message}`);
    expect(construct).toThrow(NotificationsError);
  });
});

describe("NotificationsApiArgs documentation", () => {
  it("documents every property, and every optional one with @default", () => {
    // Prepare
    const file = fileURLToPath(new URL("../../src/notifications-api.ts", import.meta.url));
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const problems: string[] = [];

    // Act
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || node.name.text !== "NotificationsApiArgs") return;
      for (const member of node.members) {
        if (!ts.isPropertySignature(member)) continue;
        const docs = ts
          .getJSDocCommentsAndTags(member)
          .map((doc) => doc.getText())
          .join("\n");
        const name = member.name.getText();
        if (docs === "") problems.push(`${name} has no doc comment`);
        if (member.questionToken && !docs.includes("@default")) problems.push(`${name} has no @default`);
      }
    });

    // Assess
    expect(problems).toEqual([]);
  });
});
