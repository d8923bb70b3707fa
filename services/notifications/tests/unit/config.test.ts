import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { notificationsConfigSchema } from "../../src/config";

const examples = parse(
  readFileSync(fileURLToPath(new URL("../../examples/stack-config.yaml", import.meta.url)), "utf8"),
) as Record<string, Record<string, unknown>>;

describe("notificationsConfigSchema", () => {
  it.each(Object.entries(examples))("accepts the suggested %s config", (_, config) => {
    // Act
    const result = notificationsConfigSchema.safeParse(config["switchyard:notifications"]);

    // Assess
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("fills the defaults", () => {
    // Act
    const config = notificationsConfigSchema.parse({ auth: { mode: "hs256", issuer: "i", audience: "a" } });

    // Assess
    expect(config).toEqual({
      auth: { mode: "hs256", issuer: "i", audience: "a" },
      throttling: { rateLimit: 50, burstLimit: 100 },
      connectionTtlSeconds: 9000,
      inboxRetentionDays: 30,
      extraPublishers: [],
    });
  });

  it.each([
    ["no auth", {}, ["auth"], /^expected auth.mode "hs256"/],
    [
      "an unknown mode",
      { auth: { mode: "basic", issuer: "i", audience: "a" } },
      ["auth", "mode"],
      /^expected auth.mode/,
    ],
    [
      "a secret in plain config",
      { auth: { mode: "hs256", issuer: "i", audience: "a", secret: "x" } },
      ["auth"],
      /secret/,
    ],
    [
      "an http JWKS URL",
      { auth: { mode: "jwks", jwksUrl: "http://idp/jwks", issuer: "https://idp", audience: "a" } },
      ["auth", "jwksUrl"],
      /^expected the issuer's JWKS URL \(https\)$/,
    ],
    [
      "an empty audience",
      { auth: { mode: "hs256", issuer: "i", audience: " " } },
      ["auth", "audience"],
      /^expected the token audience/,
    ],
    [
      "a TTL beyond the cap plus an hour",
      { auth: { mode: "hs256", issuer: "i", audience: "a" }, connectionTtlSeconds: 86_400 },
      ["connectionTtlSeconds"],
      /^expected an integer from 7200 to 10800 seconds$/,
    ],
    [
      "a zero rate",
      { auth: { mode: "hs256", issuer: "i", audience: "a" }, throttling: { rateLimit: 0 } },
      ["throttling", "rateLimit"],
      /^expected an integer from 1 to 10000/,
    ],
  ])("refuses %s with an expectation", (_, raw, path, message) => {
    // Act
    const result = notificationsConfigSchema.safeParse(raw);

    // Assess
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(path);
    expect(issue?.message).toMatch(message);
  });
});
