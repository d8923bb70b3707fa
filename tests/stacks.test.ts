import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  loadStackConfig,
  renderArchitectureMarkdown,
  type SynthResult,
  synthesize,
} from "@switchyard/infra/synth";
import { beforeAll, describe, expect, it } from "vitest";
import { INVARIANTS } from "./invariants";
import { ROOT, STACKS, synthStack } from "./synth-cache";

describe.each(STACKS)("stack %s", (stack) => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthStack(stack);
  });

  it("synthesizes and exports what a user needs", () => {
    expect(result.resources.length).toBeGreaterThan(0);
    expect(result.outputs.environment).toBe(stack);
    expect(result.outputs.alarmTopicArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);
  });

  it.each(Object.entries(INVARIANTS))("obeys %s", (_name, invariant) => {
    expect(invariant(result.resources)).toEqual([]);
  });

  it("subscribes every alarm recipient of the stack file to the alarm topic", () => {
    const file = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const emails = [...file.matchAll(/^\s+- (\S+@\S+)$/gm)].map((m) => m[1]);
    const subscribed = result.resources
      .filter(
        (r) => r.type === "aws:sns/topicSubscription:TopicSubscription" && r.inputs.protocol === "email",
      )
      .map((r) => r.inputs.endpoint);
    expect(emails.length).toBeGreaterThan(0);
    expect(subscribed).toEqual(emails);
  });
});

describe("environments differ where real teams differ", () => {
  it("uses a customer-managed data key in prod only", async () => {
    const prod = await synthStack("prod");
    const dev = await synthStack("dev");
    const dataKey = (r: SynthResult) =>
      r.resources.filter((x) => x.type === "switchyard:kit:EncryptionKey" && x.name === "switchyard-data");
    expect(dataKey(prod)).toHaveLength(1);
    expect(dataKey(dev)).toHaveLength(0);
    expect(prod.outputs.dataKeyArn).toMatch(/^arn:aws:kms:/);
    expect(dev.outputs.dataKeyArn).toBeNull();
  });

  it("sets the monthly budget from each stack file", async () => {
    const limits: Record<string, unknown> = {};
    for (const stack of STACKS) {
      const result = await synthStack(stack);
      limits[stack] = result.resources.find(
        (r) => r.type === "aws:budgets/budget:Budget",
      )?.inputs.limitAmount;
    }
    expect(limits).toEqual({ dev: "50.00", staging: "300.00", prod: "5000.00" });
  });
});

describe("ready for a real account (each finding of issue 13)", () => {
  const ofType = (r: SynthResult, type: string) => r.resources.filter((x) => x.type === type);

  it.each(STACKS)(
    "%s sets the region's API Gateway CloudWatch Logs role, and the logging stage waits for it",
    async (stack) => {
      const result = await synthStack(stack);
      const [account] = ofType(result, "aws:apigateway/account:Account");
      const role = ofType(result, "aws:iam/role:Role").find(
        (r) => r.outputs.arn === account?.inputs.cloudwatchRoleArn,
      );
      expect(JSON.parse(String(role?.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({
        Service: "apigateway.amazonaws.com",
      });
      const [stage] = ofType(result, "aws:apigatewayv2/stage:Stage");
      expect(stage?.inputs.accessLogSettings).toBeDefined();
      expect(stage?.dependencies).toContain(account?.urn);
    },
  );

  it("lets an account that manages the API Gateway role centrally opt out", async () => {
    const result = await synthesize({
      stack: "dev",
      root: ROOT,
      configOverrides: { "switchyard:apiGatewayCloudWatchRole": false },
    });
    expect(ofType(result, "aws:apigateway/account:Account")).toEqual([]);
    // The notifications WebSocket stage and the two ingress stages dev lists (sms-throttle, orders) still deploy.
    expect(ofType(result, "aws:apigatewayv2/stage:Stage")).toHaveLength(3);
  });

  it("uses switchyard:queues.oldestMessageAgeAlarmSeconds for every queue age alarm but the SMS lanes' own", async () => {
    const dev = await synthStack("dev");
    const thresholds = ofType(dev, "aws:cloudwatch/metricAlarm:MetricAlarm")
      .filter((a) => a.inputs.metricName === "ApproximateAgeOfOldestMessage" && !a.name.startsWith("sms-"))
      .map((a) => a.inputs.threshold);
    expect(thresholds.length).toBe(10);
    expect(new Set(thresholds)).toEqual(new Set([600]));
  });

  it("puts every prod table under the customer-managed data key", async () => {
    const prod = await synthStack("prod");
    const tables = ofType(prod, "aws:dynamodb/table:Table");
    expect(tables.map((t) => t.name)).toContain("s3-pipeline-catalog");
    for (const table of tables) {
      expect(table.inputs.serverSideEncryption, table.name).toEqual({
        enabled: true,
        kmsKeyArn: prod.outputs.dataKeyArn,
      });
    }
  });

  it("grants sqs:ChangeMessageVisibility to nobody (no handler or poller calls it)", async () => {
    for (const stack of STACKS) {
      const result = await synthStack(stack);
      for (const policy of ofType(result, "aws:iam/rolePolicy:RolePolicy")) {
        expect(String(policy.inputs.policy), policy.name).not.toContain("sqs:ChangeMessageVisibility");
      }
    }
  });

  it("traces every function in prod only", async () => {
    const traced = (r: SynthResult) =>
      ofType(r, "aws:lambda/function:Function").map(
        (f) => (f.inputs.tracingConfig as { mode?: string })?.mode,
      );
    expect(new Set(traced(await synthStack("prod")))).toEqual(new Set(["Active"]));
    expect(new Set(traced(await synthStack("dev")))).toEqual(new Set([undefined]));
  });

  it("watches every function of prod with both ingress APIs on (alarms, dashboards, traces, key grants)", async () => {
    // prod lists no ingress; turned on, its API functions and authorizers must obey every rule the rest does.
    const result = await synthesize({
      stack: "prod",
      root: ROOT,
      configOverrides: { "switchyard:ingress": { "sms-throttle": {}, orders: {} } },
    });
    const functions = ofType(result, "aws:lambda/function:Function").map((f) => f.name);
    expect(functions).toEqual(
      expect.arrayContaining([
        "orders-ingress-authorizer-function",
        "orders-ingress-post-orders-events-function",
        "sms-throttle-ingress-authorizer-function",
        "sms-throttle-ingress-post-sms-function",
      ]),
    );
    for (const [name, invariant] of Object.entries(INVARIANTS))
      expect(invariant(result.resources), name).toEqual([]);
  });

  it("charts each ingress API's functions on its own service's dashboard", async () => {
    const dev = await synthStack("dev");
    const body = (service: string) =>
      String(
        ofType(dev, "aws:cloudwatch/dashboard:Dashboard").find((d) => d.name === `${service}-dashboard`)
          ?.inputs.dashboardBody,
      );
    const nameOf = (fn: string) =>
      JSON.stringify(
        String(ofType(dev, "aws:lambda/function:Function").find((f) => f.name === fn)?.outputs.name),
      );
    for (const service of ["orders", "sms-throttle"]) {
      const ingressFunctions = ofType(dev, "aws:lambda/function:Function").filter((f) =>
        f.name.startsWith(`${service}-ingress-`),
      );
      expect(ingressFunctions).toHaveLength(2);
      for (const fn of ingressFunctions) expect(body(service)).toContain(nameOf(fn.name));
    }
    expect(body("orders")).not.toContain(nameOf("sms-throttle-ingress-post-sms-function"));
  });

  it.each(STACKS)("%s has one dashboard per service", async (stack) => {
    const result = await synthStack(stack);
    const dashboards = ofType(result, "aws:cloudwatch/dashboard:Dashboard").map((d) => d.name);
    expect(dashboards.sort()).toEqual([
      "notifications-dashboard",
      "orders-dashboard",
      "s3-pipeline-dashboard",
      "sms-throttle-dashboard",
    ]);
  });
});

describe("services switchable per environment", () => {
  it("synthesizes orders alone, with customer notifications off and saying why", async () => {
    const result = await synthesize({
      stack: "dev",
      root: ROOT,
      configOverrides: { "switchyard:services": ["orders"] },
    });
    const components = result.resources
      .filter(
        (r) =>
          !r.custom &&
          !r.parentUrn &&
          r.type.startsWith("switchyard:") &&
          !r.type.startsWith("switchyard:kit:"),
      )
      .map((r) => r.type);
    expect(components).toEqual(["switchyard:orders:OrdersFanOut"]);
    expect(result.outputs.ordersCustomerNotifications).toMatch(
      /^off: the notifications service is not in switchyard:services/,
    );
    expect(result.resources.some((r) => r.type === "aws:apigateway/account:Account")).toBe(false);
    for (const [name, invariant] of Object.entries(INVARIANTS))
      expect(invariant(result.resources), name).toEqual([]);
  });

  it("refuses s3-pipeline's renditions-ready notifications without the notifications service, naming the link", async () => {
    const attempt = synthesize({
      stack: "dev",
      root: ROOT,
      configOverrides: { "switchyard:services": ["orders", "s3-pipeline"] },
    });
    await expect(attempt).rejects.toThrow(
      /^Invalid stack config switchyard:s3-pipeline\.notificationCallbackUrl: expected no notificationCallbackUrl while the notifications service is off/,
    );
  });
});

describe("switchyard:notifications.extraPublishers", () => {
  const devNotifications = () =>
    (loadStackConfig("dev", ROOT).config["switchyard:notifications"] ?? {}) as Record<string, unknown>;

  it("adds the configured principals to the notifications bus policy, beside the stack's own publishers", async () => {
    const operator = "arn:aws:iam::123456789012:role/ops-console";
    const partner = "arn:aws:iam::210987654321:root";
    const result = await synthesize({
      stack: "dev",
      root: ROOT,
      configOverrides: {
        // notifications and one of the stack's publishers (orders' customer notifications) are enough here.
        "switchyard:services": ["notifications", "orders"],
        "switchyard:notifications": { ...devNotifications(), extraPublishers: [operator, partner] },
      },
    });
    const policy = result.resources.find(
      (r) =>
        r.type === "aws:cloudwatch/eventBusPolicy:EventBusPolicy" && r.name === "notifications-bus-policy",
    );
    interface Statement {
      Effect: string;
      Principal?: { AWS: string[] };
      Condition?: { ArnNotEquals: { "aws:PrincipalArn": string[] } };
    }
    const statements = (JSON.parse(String(policy?.inputs.policy)) as { Statement: Statement[] }).Statement;
    const allowed = statements.find((s) => s.Effect === "Allow")?.Principal?.AWS ?? [];
    const excepted =
      statements.find((s) => s.Effect === "Deny")?.Condition?.ArnNotEquals["aws:PrincipalArn"] ?? [];
    for (const principals of [allowed, excepted]) {
      expect(principals).toEqual(expect.arrayContaining([operator, partner]));
      // The stack's own publisher (orders' customer notifications) is still there.
      expect(principals.filter((p) => p !== operator && p !== partner)).toHaveLength(1);
    }
  });

  it("refuses a principal that is not an IAM role, user or account ARN, naming the field", async () => {
    const attempt = synthesize({
      stack: "dev",
      root: ROOT,
      configOverrides: {
        "switchyard:notifications": {
          ...devNotifications(),
          extraPublishers: ["arn:aws:iam::123456789012:role/*"],
        },
      },
    });
    await expect(attempt).rejects.toThrow(
      /^Invalid stack config switchyard:notifications\.extraPublishers\.0: expected an IAM role, user or account ARN .*; got "arn:aws:iam::123456789012:role\/\*"$/,
    );
  });
});

describe("a broken stack file", () => {
  it("fails with one line naming the key, the expectation and the value", async () => {
    // Prepare: a copy of the project whose dev stack has a retention CloudWatch does not accept.
    const dir = mkdtempSync(join(tmpdir(), "switchyard-stack-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const broken = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8").replace(
      "switchyard:logRetentionDays: 7",
      "switchyard:logRetentionDays: 15",
    );
    writeFileSync(join(dir, "Pulumi.dev.yaml"), broken);
    // Act
    const attempt = synthesize({ stack: "dev", root: dir });
    // Assess
    await expect(attempt).rejects.toThrow(
      /^Invalid stack config switchyard:logRetentionDays: expected one of 1, 3, 5, 7, 14, 30, .*; got 15$/,
    );
  });
});

describe("the committed architecture diagrams", () => {
  it.each(STACKS)("docs/architecture-%s.md matches what the program synthesizes", async (stack) => {
    const result = await synthStack(stack);
    const committed = readFileSync(join(ROOT, "docs", `architecture-${stack}.md`), "utf8");
    expect(committed, `docs/architecture-${stack}.md is stale: run pnpm synth -- --stack ${stack}`).toBe(
      renderArchitectureMarkdown(result),
    );
  });
});
