import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Topology } from "../src/discover";
import { loadAwsStack, loadLocalStack } from "../src/stack";
import { trace } from "../src/trace";

const topicArn = "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests-topic";
const sub = (
  name: string,
  filterPolicy: unknown,
  scope: "MessageAttributes" | "MessageBody" = "MessageAttributes",
) => ({
  arn: `${topicArn}:${name}`,
  topicArn,
  protocol: "sqs",
  endpoint: `arn:aws:sqs:us-east-1:123456789012:${name}`,
  rawMessageDelivery: true,
  filterPolicy,
  filterPolicyScope: scope,
});

const topology: Topology = {
  queues: [],
  topics: [
    {
      arn: topicArn,
      name: "sms-throttle-requests-topic",
      subscriptions: [
        sub("sms-throttle-de-verification-queue", { country: ["DE"], useCase: ["VERIFICATION"] }),
        sub("sms-throttle-other-queue", {
          $or: [{ country: [{ "anything-but": ["DE", "FR"] }] }, { country: [{ exists: false }] }],
        }),
        sub("big-orders-queue", { order: { value: [{ numeric: [">", 100] }] } }, "MessageBody"),
        { ...sub("audit-queue", undefined), filterPolicy: undefined },
      ],
    },
  ],
  rules: [
    {
      busName: "notifications-bus",
      name: "send-rule",
      arn: "arn:aws:events:us-east-1:123456789012:rule/notifications-bus/send-rule",
      state: "ENABLED",
      eventPattern: { "detail-type": ["Send User Notification"], detail: { type: ["actionable"] } },
      targets: [{ id: "t", arn: "arn:aws:sqs:us-east-1:123456789012:sends-queue", transformsInput: false }],
    },
  ],
  functions: [],
};

describe("trace", () => {
  it("explains each refusing key with what the message had", () => {
    const result = trace(topology, { smsTopicArn: topicArn }, "smsTopicArn", {
      body: { order: { value: 50 } },
      attributes: { country: "DE", useCase: "OFFER" },
    });
    expect(result.matched.map((m) => m.name)).toEqual(["audit-queue"]);
    expect(result.matched[0]?.reasons).toEqual(["no filter policy: receives every message"]);
    const why = Object.fromEntries(result.notMatched.map((m) => [m.name, m.reasons]));
    expect(why["sms-throttle-de-verification-queue"]).toEqual([
      'useCase: wants ["VERIFICATION"], the message has "OFFER"',
    ]);
    expect(why["sms-throttle-other-queue"]).toEqual(["none of the 2 $or alternatives matches"]);
    expect(why["big-orders-queue"]).toEqual([
      'order.value: wants [{"numeric":[">",100]}], the message has 50',
    ]);
  });

  it("matches what the policies accept, by the topic's logical name", () => {
    const result = trace(topology, {}, "sms-throttle-requests", {
      body: "{}",
      attributes: { country: "DE", useCase: "VERIFICATION" },
    });
    expect(result.matched.map((m) => m.name).sort()).toEqual([
      "audit-queue",
      "sms-throttle-de-verification-queue",
    ]);
  });

  it("explains a bus rule on nested detail, and names an absent key", () => {
    const feedback = trace(topology, {}, "notifications-bus", {
      userId: "u",
      type: "feedback",
      message: "m",
    });
    expect(feedback.notMatched[0]?.reasons).toEqual([
      'detail.type: wants ["actionable"], the message has "feedback"',
    ]);
    const other = trace(topology, {}, "notifications", { source: "x", "detail-type": "Other", detail: {} });
    expect(other.notMatched[0]?.reasons).toEqual([
      'detail-type: wants ["Send User Notification"], the message has "Other"',
      'detail.type: wants ["actionable"], the message has nothing (absent)',
    ]);
  });

  it("refuses an unknown target naming what exists", () => {
    expect(() => trace(topology, {}, "nope", {})).toThrow(
      'unknown topic or bus "nope": topics sms-throttle-requests-topic; buses notifications-bus',
    );
  });
});

describe("stack loading", () => {
  it("reads the local cloud's outputs.json and refuses a missing or foreign one", () => {
    const dir = mkdtempSync(join(tmpdir(), "ops-stack-"));
    const file = join(dir, "outputs.json");
    expect(() => loadLocalStack({ file })).toThrow(/start the local cloud first/);
    writeFileSync(
      file,
      JSON.stringify({ endpoint: "http://127.0.0.1:1", outputs: { a: "arn:aws:sns:eu-west-1:1:t" } }),
    );
    expect(loadLocalStack({ file })).toMatchObject({
      mode: "local",
      endpoint: "http://127.0.0.1:1",
      region: "eu-west-1",
    });
    writeFileSync(file, JSON.stringify({ hello: 1 }));
    expect(() => loadLocalStack({ file })).toThrow(/is it the local cloud's outputs.json/);
  });

  it("--local finds the running local cloud on any port, and asks for --port when several run", () => {
    const root = mkdtempSync(join(tmpdir(), "ops-root-"));
    writeFileSync(join(root, "Pulumi.yaml"), "name: switchyard\n");
    const dir = join(root, ".switchyard", "local");
    expect(() => loadLocalStack({ cwd: root })).toThrow(/no local cloud is running .*corepack pnpm dev/);
    mkdirSync(dir, { recursive: true });
    const run = (port: number) =>
      JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, outputs: {}, pid: process.pid });
    // `pnpm dev -- --port 4710` writes outputs-4710.json: --local alone finds it.
    writeFileSync(join(dir, "outputs-4710.json"), run(4710));
    expect(loadLocalStack({ cwd: join(root) }).endpoint).toBe("http://127.0.0.1:4710");
    writeFileSync(join(dir, "outputs.json"), run(4566));
    expect(() => loadLocalStack({ cwd: root })).toThrow(
      "--local: 2 local clouds are running (ports 4566, 4710): pass --port <port>",
    );
    expect(loadLocalStack({ cwd: root, port: 4566 }).endpoint).toBe("http://127.0.0.1:4566");
    expect(loadLocalStack({ cwd: root, port: 4710 }).endpoint).toBe("http://127.0.0.1:4710");
    expect(() => loadLocalStack({ cwd: root, port: 4999 })).toThrow(/no local cloud on port 4999/);
  });

  it("reads a deployed stack's outputs file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ops-stack-"));
    const file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify({ ordersTopicArn: "arn:aws:sns:eu-central-1:1:orders" }));
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(loadAwsStack({ outputsFile: file })).toMatchObject({ mode: "aws", region: "eu-central-1" });
      expect(loadAwsStack({ outputsFile: file, region: "us-west-2" }).region).toBe("us-west-2");
    } finally {
      if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
      if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
    }
    expect(() => loadAwsStack({ outputsFile: join(dir, "missing.json") })).toThrow("--outputs: no such file");
  });
});
