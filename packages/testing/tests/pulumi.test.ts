import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { mockOutputs, outputValue, type PulumiMocks, setupPulumiMocks, TestingError } from "../src/index";

/** A bare custom resource of the SQS queue type, so the test needs no provider package. */
class Queue extends pulumi.CustomResource {
  declare readonly arn: pulumi.Output<string>;
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super("aws:sqs/queue:Queue", name, { fifoQueue: true, arn: undefined }, opts);
  }
}

class Parent extends pulumi.ComponentResource {
  readonly childArn: pulumi.Output<string>;
  constructor(name: string) {
    super("switchyard:test:Parent", name, {}, {});
    this.childArn = new Queue(`${name}-queue`, { parent: this }).arn;
    this.registerOutputs({});
  }
}

describe("setupPulumiMocks", () => {
  let mocks: PulumiMocks;
  beforeAll(async () => {
    mocks = await setupPulumiMocks({ stack: "unit", config: { retentionDays: 7, alarmEmails: ["a@b.c"] } });
  });

  it("records components and children with their parent", async () => {
    // Prepare / Act
    new Parent("orders");
    // Assess
    const parent = await mocks.findResource("switchyard:test:Parent", "orders");
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "orders-queue");
    expect(queue.parentUrn).toBe(parent.urn);
    expect(queue.urn).toBe(
      "urn:pulumi:unit::switchyard::switchyard:test:Parent$aws:sqs/queue:Queue::orders-queue",
    );
    expect(await mocks.childrenOf(parent)).toEqual([queue]);
    expect(parent.custom).toBe(false);
  });

  it("returns realistic outputs: FIFO queues get the .fifo suffix in name, ARN and URL", async () => {
    const queue = await mocks.findResource("aws:sqs/queue:Queue", "orders-queue");
    expect(queue.outputs).toMatchObject({
      name: "orders-queue.fifo",
      arn: "arn:aws:sqs:us-east-1:123456789012:orders-queue.fifo",
      url: "https://sqs.us-east-1.amazonaws.com/123456789012/orders-queue.fifo",
      fifoQueue: true,
    });
  });

  it("resolves outputs for awaiting instead of asserting inside apply", async () => {
    const parent = new Parent("billing");
    await expect(outputValue(parent.childArn)).resolves.toBe(
      "arn:aws:sqs:us-east-1:123456789012:billing-queue.fifo",
    );
  });

  it("injects stack config, JSON-encoding non-string values", () => {
    const config = new pulumi.Config();
    expect(config.requireNumber("retentionDays")).toBe(7);
    expect(config.requireObject<string[]>("alarmEmails")).toEqual(["a@b.c"]);
    expect(new pulumi.Config("aws").require("region")).toBe("us-east-1");
  });

  it("throws on an unmocked provider call, naming the token", async () => {
    await expect(pulumi.runtime.invoke("aws:ec2/getVpc:getVpc", {})).rejects.toThrow(
      /Unmocked Pulumi call "aws:ec2\/getVpc:getVpc"/,
    );
  });

  it("answers the built-in calls", async () => {
    const identity = await pulumi.runtime.invoke("aws:index/getCallerIdentity:getCallerIdentity", {});
    expect(identity).toMatchObject({ accountId: "123456789012" });
  });

  it("findResource refuses ambiguity and absence with the candidates listed", async () => {
    await expect(mocks.findResource("aws:sqs/queue:Queue")).rejects.toThrow(
      /found 2 .*orders-queue, billing-queue/,
    );
    await expect(mocks.findResource("aws:sns/topic:Topic", "nope")).rejects.toThrow(
      /found 0 \(resources of that type: none\)/,
    );
    await expect(mocks.findResource("aws:sns/topic:Topic", "nope")).rejects.toBeInstanceOf(TestingError);
  });

  it("hands the runtime responses whose string form is constant, not the rendered state", async () => {
    // Prepare: the runtime's debug line renders `${response}` for every registration; spy on what it gets.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: unknown, callback: (err: unknown, res: unknown) => void): Promise<void>;
    };
    const original = monitor.registerResource;
    const rendered: string[] = [];
    monitor.registerResource = (req, callback) =>
      original(req, (err, res) => {
        rendered.push(String(res));
        callback(err, res);
      });
    // Act
    try {
      const queue = new Queue("x".repeat(2_000), {});
      await outputValue(queue.arn);
    } finally {
      monitor.registerResource = original;
    }
    // Assess
    expect(rendered).toEqual(["[mocked response]"]);
  });
});

describe("mockOutputs", () => {
  it("echoes an input named arn on types without a factory, as the provider does", () => {
    const state = mockOutputs({
      type: "aws:cloudwatch/eventTarget:EventTarget",
      name: "rule-target",
      urn: "urn:pulumi:s::p::aws:cloudwatch/eventTarget:EventTarget::rule-target",
      inputs: { arn: "arn:aws:sqs:us-east-1:123456789012:work" },
      accountId: "123456789012",
      region: "us-east-1",
    });
    expect(state.state.arn).toBe("arn:aws:sqs:us-east-1:123456789012:work");
  });

  it("computes an ARN for types without a factory when none is given", () => {
    const state = mockOutputs({
      type: "aws:sqs/queuePolicy:QueuePolicy",
      name: "q-policy",
      urn: "urn:pulumi:s::p::aws:sqs/queuePolicy:QueuePolicy::q-policy",
      inputs: {},
      accountId: "123456789012",
      region: "us-east-1",
    });
    expect(state.state.arn).toBe("arn:aws:sqs:us-east-1:123456789012:q-policy");
  });
});
