import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderArchitectureMarkdown, type SynthResult, synthesize } from "@switchyard/infra/synth";
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
