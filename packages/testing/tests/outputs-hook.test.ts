import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue, setupPulumiMocks } from "../src/index";

class Queue extends pulumi.CustomResource {
  declare readonly url: pulumi.Output<string>;
  constructor(name: string) {
    super("aws:sqs/queue:Queue", name, { url: undefined }, {});
  }
}

describe("setupPulumiMocks({ outputs })", () => {
  it("lets the caller rewrite what a custom resource returns (the local cloud's local URLs)", async () => {
    const seen: string[] = [];
    const mocks = await setupPulumiMocks({
      outputs: (ctx, computed) => {
        seen.push(`${ctx.type}::${ctx.name}`);
        return {
          id: computed.id,
          state: { ...computed.state, url: `http://127.0.0.1:4566/123456789012/${ctx.name}` },
        };
      },
    });
    const queue = new Queue("jobs");
    await expect(outputValue(queue.url)).resolves.toBe("http://127.0.0.1:4566/123456789012/jobs");
    const recorded = await mocks.findResource("aws:sqs/queue:Queue", "jobs");
    expect(recorded.outputs.url).toBe("http://127.0.0.1:4566/123456789012/jobs");
    // The computed outputs reach the hook: the ARN is still the realistic one.
    expect(recorded.outputs.arn).toBe("arn:aws:sqs:us-east-1:123456789012:jobs");
    expect(seen).toEqual(["aws:sqs/queue:Queue::jobs"]);
  });
});
