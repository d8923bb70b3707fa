import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  ingressConfig,
  loadConfig,
  loadSecrets,
  parseStackConfig,
  serviceConfigs,
} from "../src/config";

const valid = {
  environment: "staging",
  logRetentionDays: 30,
  alarmEmails: ["ops@example.com"],
  customerManagedKeys: false,
  deletionProtection: false,
  pointInTimeRecovery: true,
  monthlyBudgetUsd: 300,
  notifications: {
    auth: {
      mode: "jwks",
      jwksUrl: "https://issuer.example.com/.well-known/jwks.json",
      issuer: "https://issuer.example.com",
      audience: "web",
    },
  },
  "sms-throttle": {
    endUserMessaging: { originationIdentityArn: "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-test" },
    maxPartsPerMessage: 2,
    countries: { DE: { capPartsPerSecond: 8, budgets: { verification: 4, bulk: 4 } } },
    catchAll: { partsPerSecond: 4 },
  },
  orders: { archiveRetentionDays: 7, highValueThreshold: 1000 },
  "s3-pipeline": { renditionWidths: [320], filterPrefix: "uploads/" },
};
const hs256 = { auth: { mode: "hs256", issuer: "switchyard-test", audience: "web" } };

describe("parseStackConfig", () => {
  it("accepts a valid config and fills the defaults", () => {
    const config = parseStackConfig(valid);
    expect(config).toMatchObject({
      ...valid,
      queues: { maxReceiveCount: 5, oldestMessageAgeAlarmSeconds: 900 },
      functions: { memorySize: 256, maximumConcurrency: 5 },
      notifications: { auth: valid.notifications.auth },
    });
  });

  it("reports a bad value inside a service's section with its full key", () => {
    const act = () =>
      parseStackConfig({
        ...valid,
        notifications: { auth: { ...valid.notifications.auth, jwksUrl: "http://x" } },
      });
    expect(act).toThrow(
      /^Invalid stack config switchyard:notifications\.auth(\.jwksUrl)?: expected .*; got /,
    );
  });

  it("takes extra publishers of the notifications bus as IAM principal ARNs, none by default", () => {
    expect(parseStackConfig(valid).notifications?.extraPublishers).toEqual([]);
    const extraPublishers = [
      "arn:aws:iam::123456789012:role/ops/console",
      "arn:aws:iam::123456789012:user/deployer",
      "arn:aws-cn:iam::210987654321:root",
    ];
    const config = parseStackConfig({ ...valid, notifications: { ...valid.notifications, extraPublishers } });
    expect(config.notifications?.extraPublishers).toEqual(extraPublishers);
  });

  it("takes an optional WebSocket custom domain, off by default, naming a bad field", () => {
    const domain = {
      name: "ws.example.com",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
    };
    expect(parseStackConfig(valid).notifications?.domain).toBeUndefined();
    const withDomain = (change: object) =>
      parseStackConfig({
        ...valid,
        notifications: { ...valid.notifications, domain: { ...domain, ...change } },
      });
    expect(withDomain({}).notifications?.domain).toEqual(domain);
    expect(() => withDomain({ name: "WS_example" })).toThrow(
      /^Invalid stack config switchyard:notifications\.domain\.name: expected a lower-case host name such as ws\.example\.com; got "WS_example"/,
    );
    expect(() => withDomain({ certificateArn: "arn:aws:iam::123456789012:server-certificate/x" })).toThrow(
      /^Invalid stack config switchyard:notifications\.domain\.certificateArn: expected an ACM certificate ARN/,
    );
    expect(() => withDomain({ hostedZoneId: "example.com" })).toThrow(
      /^Invalid stack config switchyard:notifications\.domain\.hostedZoneId: expected a Route 53 hosted zone id/,
    );
  });

  it("does not take the notifications secret for a plain config value", () => {
    expect(() => parseStackConfig({ ...valid, notificationsJwtSecret: "s3cr3t" })).not.toThrow();
  });

  // Each row: a change to the valid config -> the one-line message naming the key, the expectation and the value.
  it.each([
    [
      "an unknown environment",
      { environment: "qa" },
      'Invalid stack config switchyard:environment: expected one of dev, staging, prod; got "qa"',
    ],
    [
      "a negative budget",
      { monthlyBudgetUsd: -5 },
      "Invalid stack config switchyard:monthlyBudgetUsd: expected a positive number of US dollars; got -5",
    ],
    [
      "a malformed e-mail",
      { alarmEmails: ["ops@example.com", "not-an-email"] },
      'Invalid stack config switchyard:alarmEmails.1: expected an e-mail address; got "not-an-email"',
    ],
    [
      "a retention CloudWatch refuses",
      { logRetentionDays: 15 },
      /^Invalid stack config switchyard:logRetentionDays: expected one of 1, 3, 5, 7, 14, 30, .* \(the values CloudWatch Logs accepts\); got 15$/,
    ],
    [
      "a missing required key",
      { environment: undefined },
      "Missing stack config switchyard:environment: expected one of dev, staging, prod; got nothing",
    ],
    [
      "a string where a boolean belongs",
      { deletionProtection: "yes" },
      'Invalid stack config switchyard:deletionProtection: expected true or false; got "yes"',
    ],
    [
      "a wildcard principal among the notifications bus's extra publishers",
      { notifications: { ...valid.notifications, extraPublishers: ["*"] } },
      /^Invalid stack config switchyard:notifications\.extraPublishers\.0: expected an IAM role, user or account ARN \(.*\); got "\*"$/,
    ],
    [
      "a principal named twice among the extra publishers",
      {
        notifications: {
          ...valid.notifications,
          extraPublishers: ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"],
        },
      },
      /^Invalid stack config switchyard:notifications\.extraPublishers: expected each principal once; got /,
    ],
    [
      "extra publishers that are not a list",
      { notifications: { ...valid.notifications, extraPublishers: "arn:aws:iam::123456789012:root" } },
      /^Invalid stack config switchyard:notifications\.extraPublishers: expected a list of IAM principal ARNs/,
    ],
    [
      "a nested value out of range",
      { queues: { maxReceiveCount: 0 } },
      "Invalid stack config switchyard:queues.maxReceiveCount: expected an integer from 1 to 1000; got 0",
    ],
    [
      "an unknown nested key",
      { functions: { memory: 512 } },
      /^Invalid stack config switchyard:functions: .*; got \{"memory":512\}$/,
    ],
    [
      "an unknown key (a typo)",
      { alarmEmail: ["a@b.co"] },
      /^Unknown stack config switchyard:alarmEmail: expected one of environment, services, apiGatewayCloudWatchRole, logRetentionDays, alarmEmails, .*; got \["a@b.co"\]$/,
    ],
    [
      "a section under its name from before each service had one name",
      { sms: { countries: {} } },
      "Renamed stack config switchyard:sms: the section is now switchyard:sms-throttle (one name per service: package, config key, component); move it there",
    ],
    [
      "an unknown service",
      { services: ["orders", "billing"] },
      'Invalid stack config switchyard:services.1: expected one of notifications, orders, sms-throttle, s3-pipeline; got "billing"',
    ],
    [
      "a service listed twice",
      { services: ["orders", "orders"] },
      'Invalid stack config switchyard:services: expected each service once; got ["orders","orders"]',
    ],
    [
      "notifications on without its section",
      { notifications: undefined },
      "Missing stack config switchyard:notifications: expected an object with auth because the notifications service is on (switchyard:services); got nothing",
    ],
    [
      "sms-throttle on without its section",
      { services: ["orders", "sms-throttle"], "sms-throttle": undefined },
      "Missing stack config switchyard:sms-throttle: expected an object with a provider, countries and catchAll because the sms-throttle service is on (switchyard:services); got nothing",
    ],
    [
      "s3-pipeline asked to notify uploaders while notifications is off",
      {
        services: ["s3-pipeline"],
        "s3-pipeline": { notificationCallbackUrl: "https://app.example.com/uploads" },
      },
      'Invalid stack config switchyard:s3-pipeline.notificationCallbackUrl: expected no notificationCallbackUrl while the notifications service is off: "renditions ready" notifications go through its bus (add notifications to switchyard:services, or remove the URL); got "https://app.example.com/uploads"',
    ],
    [
      "a tracing switch that is not a boolean",
      { functions: { tracing: "on" } },
      'Invalid stack config switchyard:functions.tracing: expected true or false; got "on"',
    ],
    [
      "a country's origination identity with both providers",
      {
        "sms-throttle": {
          ...valid["sms-throttle"],
          countries: {
            DE: {
              capPartsPerSecond: 8,
              budgets: { verification: 4, bulk: 4 },
              origination: {
                endUserMessaging: {
                  originationIdentityArn: "arn:aws:sms-voice:eu-central-1:123456789012:pool/pool-de",
                },
                pinpoint: { applicationId: "0123456789abcdef0123456789abcdef" },
              },
            },
          },
        },
      },
      /^Invalid stack config switchyard:sms-throttle\.countries\.DE\.origination: expected exactly one of endUserMessaging or pinpoint; got /,
    ],
    [
      "a country's role that is not an IAM role ARN",
      {
        "sms-throttle": {
          ...valid["sms-throttle"],
          countries: {
            DE: {
              capPartsPerSecond: 8,
              budgets: { verification: 4, bulk: 4 },
              origination: {
                endUserMessaging: {
                  originationIdentityArn: "arn:aws:sms-voice:eu-central-1:210987654321:pool/pool-de",
                },
                roleArn: "arn:aws:iam::210987654321:user/sender",
              },
            },
          },
        },
      },
      'Invalid stack config switchyard:sms-throttle.countries.DE.origination.roleArn: expected the ARN of an IAM role (arn:aws:iam::<account>:role/...); got "arn:aws:iam::210987654321:user/sender"',
    ],
    [
      "a country's identity outside its role's account",
      {
        "sms-throttle": {
          ...valid["sms-throttle"],
          countries: {
            DE: {
              capPartsPerSecond: 8,
              budgets: { verification: 4, bulk: 4 },
              origination: {
                endUserMessaging: {
                  originationIdentityArn: "arn:aws:sms-voice:eu-central-1:123456789012:pool/pool-de",
                },
                roleArn: "arn:aws:iam::210987654321:role/sms-de",
              },
            },
          },
        },
      },
      'Invalid stack config switchyard:sms-throttle.countries.DE.origination.endUserMessaging.originationIdentityArn: expected an identity in the account of roleArn (210987654321), not 123456789012; got "arn:aws:sms-voice:eu-central-1:123456789012:pool/pool-de"',
    ],
    [
      "prod without customer-managed keys",
      { environment: "prod", deletionProtection: true },
      "Invalid stack config switchyard:customerManagedKeys: expected true in prod; got false",
    ],
    [
      "prod without alarm recipients",
      { environment: "prod", customerManagedKeys: true, deletionProtection: true, alarmEmails: [] },
      "Invalid stack config switchyard:alarmEmails: expected at least one address in prod; got []",
    ],
  ])("refuses %s with one line naming the key", (_case, change, message) => {
    // Prepare
    const raw: Record<string, unknown> = { ...valid, ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete raw[key];
    // Act
    const act = () => parseStackConfig(raw);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
    try {
      act();
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});

describe("services switchable per environment", () => {
  it("deploys every service by default and manages the API Gateway logging role", () => {
    const config = parseStackConfig(valid);
    expect(config.services).toEqual(["notifications", "orders", "sms-throttle", "s3-pipeline"]);
    expect(config.apiGatewayCloudWatchRole).toBe(true);
    expect(config.functions.tracing).toBe(false);
  });

  it("needs neither auth nor SMS config for orders alone, and fills the orders defaults", () => {
    const config = parseStackConfig({
      environment: "dev",
      services: ["orders"],
      logRetentionDays: 7,
      alarmEmails: ["ops@example.com"],
      customerManagedKeys: false,
      deletionProtection: false,
      pointInTimeRecovery: false,
      monthlyBudgetUsd: 50,
    });
    expect(serviceConfigs(config)).toEqual({
      notifications: undefined,
      orders: { archiveRetentionDays: 30, highValueThreshold: 1000 },
      "sms-throttle": undefined,
      "s3-pipeline": undefined,
    });
  });

  it("ignores the section of a service that is off", () => {
    const config = parseStackConfig({ ...valid, services: ["orders"] });
    expect(serviceConfigs(config)["sms-throttle"]).toBeUndefined();
    expect(serviceConfigs(config).notifications).toBeUndefined();
  });
});

describe("ingress config (switchyard:ingress)", () => {
  it("is off by default and on for each service listed", () => {
    expect(ingressConfig(parseStackConfig(valid), "orders")).toBeUndefined();
    const config = parseStackConfig({
      ...valid,
      ingress: { orders: { perClient: { ratePerSecond: 1, burst: 2 } } },
    });
    expect(ingressConfig(config, "orders")).toEqual({ perClient: { ratePerSecond: 1, burst: 2 } });
    expect(ingressConfig(config, "sms-throttle")).toBeUndefined();
    // Listed for a service that is off: ignored, like the service's own section.
    const off = parseStackConfig({ ...valid, services: ["orders"], ingress: { "sms-throttle": {} } });
    expect(ingressConfig(off, "sms-throttle")).toBeUndefined();
  });

  it.each([
    [
      { services: ["orders"], notifications: undefined, ingress: { orders: {} } },
      /switchyard:ingress\.orders: expected switchyard:notifications with auth/,
    ],
    [
      { ingress: { orders: { perClient: { ratePerSecond: 0, burst: 1 } } } },
      /switchyard:ingress\.orders\.perClient\.ratePerSecond/,
    ],
    [{ ingress: { billing: {} } }, /switchyard:ingress/],
  ])("refuses a bad ingress config in one line naming the key (%#)", (change, message) => {
    expect(() => parseStackConfig({ ...valid, ...change })).toThrow(message);
  });

  it("needs the HS256 secret for an ingress even while the notifications service is off", async () => {
    await setupPulumiMocks({
      config: { ...valid, services: ["orders"], notifications: hs256, ingress: { orders: {} } },
    });
    expect(() => loadSecrets(loadConfig())).toThrow(/notificationsJwtSecret/);
  });
});

describe("loadSecrets", () => {
  it("needs no secret for JWKS auth", async () => {
    await setupPulumiMocks({ config: valid });
    expect(loadSecrets(loadConfig())).toEqual({});
  });

  it("refuses HS256 auth without the secret, in one line naming the key", async () => {
    await setupPulumiMocks({ config: { ...valid, notifications: hs256 } });
    expect(() => loadSecrets(loadConfig())).toThrow(
      /^Missing stack config switchyard:notificationsJwtSecret: expected a secret \(pulumi config set --secret notificationsJwtSecret <value>\) because notifications.auth.mode is hs256; got nothing$/,
    );
  });

  it("reads the HS256 secret as a Pulumi secret", async () => {
    await setupPulumiMocks({
      config: { ...valid, notifications: hs256, notificationsJwtSecret: "s3cr3t" },
      secretKeys: ["notificationsJwtSecret"],
    });
    const secret = loadSecrets(loadConfig()).notificationsJwtSecret;
    expect(secret).toBeDefined();
    expect(await pulumi.isSecret(secret as pulumi.Output<string>)).toBe(true);
  });
});

describe("loadConfig", () => {
  it("reads the switchyard namespace of the running stack and ignores other namespaces", async () => {
    // Prepare
    await setupPulumiMocks({ config: { ...valid, "aws:region": "eu-west-1" } });
    // Act
    const config = loadConfig();
    // Assess
    expect(config.environment).toBe("staging");
    expect(config.alarmEmails).toEqual(["ops@example.com"]);
    expect(config.logRetentionDays).toBe(30);
  });
});
