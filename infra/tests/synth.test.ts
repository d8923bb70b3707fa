import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJsonInput, type RecordedResource } from "@switchyard/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildFlowGraph,
  type FlowGraph,
  renderArchitectureMarkdown,
  renderCounts,
  renderMermaid,
  renderSynthText,
  renderTree,
  StackConfigError,
  type SynthResult,
  synthesize,
  toSynthJson,
  writeArchitectureDoc,
} from "../src/synth/index";
import demoProgram from "./fixtures/demo-program";

const DEMO_PROGRAM = join(import.meta.dirname, "./fixtures/demo-program.ts");

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A temp project with one stack file per entry (stack -> lines under `config:`). */
function project(stacks: Record<string, string[]>): string {
  const root = tempDir("synth-");
  writeFileSync(join(root, "Pulumi.yaml"), "name: switchyard\nruntime: nodejs\nmain: infra/\n");
  for (const [stack, lines] of Object.entries(stacks)) {
    writeFileSync(
      join(root, `Pulumi.${stack}.yaml`),
      ["config:", ...lines.map((l) => `  ${l}`), ""].join("\n"),
    );
  }
  return root;
}

const DEMO_CONFIG = [
  "aws:region: eu-west-1",
  "switchyard:maxReceiveCount: 5",
  "switchyard:alarmEmail: ops@example.com",
  "switchyard:apiToken:",
  "  secure: v1:AAAABBBB",
];

function find(result: SynthResult, type: string, name: string): RecordedResource {
  const found = result.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

let root: string;
let demo: SynthResult;

beforeAll(async () => {
  root = project({
    demo: DEMO_CONFIG,
    low: [...DEMO_CONFIG.slice(0, 1), "switchyard:maxReceiveCount: 2", "switchyard:alarmEmail: a@b.c"],
  });
  demo = await synthesize({ stack: "demo", root, program: demoProgram });
}, 60_000);

describe("synthesize", () => {
  it("records every resource with its parent component", () => {
    // Prepare
    const thing = find(demo, "switchyard:demo:Thing", "orders");
    // Act
    const queue = find(demo, "aws:sqs/queue:Queue", "orders-queue");
    const alarmTopic = find(demo, "aws:sns/topic:Topic", "alarms");
    // Assess
    expect(demo.stack).toBe("demo");
    expect(demo.project).toBe("switchyard");
    expect(demo.root).toBe(root);
    expect(demo.resources).toHaveLength(19);
    expect(queue.parentUrn).toBe(thing.urn);
    expect(alarmTopic.parentUrn).toBeUndefined();
    expect(queue.outputs.arn).toBe("arn:aws:sqs:eu-west-1:123456789012:orders-queue");
  });

  it("runs the program with the stack's config (inputs resolved)", () => {
    // Prepare
    const queue = find(demo, "aws:sqs/queue:Queue", "orders-queue");
    // Act
    const redrive = parseJsonInput<{ deadLetterTargetArn: string; maxReceiveCount: number }>(
      queue.inputs.redrivePolicy,
    );
    // Assess
    expect(redrive).toEqual({
      deadLetterTargetArn: "arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
      maxReceiveCount: 5,
    });
  });

  it("resolves the stack outputs to plain values and hides secrets", () => {
    // Assess
    expect(demo.outputs).toEqual({
      topicArn: "arn:aws:sns:eu-west-1:123456789012:orders-events",
      queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-queue",
      consumer: { name: "orders-consumer" },
      apiToken: "[secret]",
    });
    expect(demo.secretKeys).toEqual(["switchyard:apiToken"]);
  });

  it("can run again for another stack in the same process, with that stack's config only", async () => {
    // Act
    const low = await synthesize({ stack: "low", root, programPath: DEMO_PROGRAM });
    // Assess
    const queue = find(low, "aws:sqs/queue:Queue", "orders-queue");
    expect(parseJsonInput<{ maxReceiveCount: number }>(queue.inputs.redrivePolicy).maxReceiveCount).toBe(2);
    expect(low.resources).toHaveLength(demo.resources.length);
    expect(low.outputs.apiToken).toBeUndefined();
    expect(low.secretKeys).toEqual([]);
  }, 30_000);

  it("takes config overrides (secrets stay secret) and an outputs hook, as the local cloud uses them", async () => {
    // Act
    const local = await synthesize({
      stack: "demo",
      root,
      program: demoProgram,
      configOverrides: { "switchyard:maxReceiveCount": 9, "switchyard:apiToken": "local-token" },
      secretOverrides: ["switchyard:apiToken"],
      outputs: (ctx, computed) =>
        ctx.type === "aws:sqs/queue:Queue"
          ? { id: computed.id, state: { ...computed.state, url: `http://127.0.0.1:4566/local/${ctx.name}` } }
          : computed,
    });
    // Assess
    const queue = find(local, "aws:sqs/queue:Queue", "orders-queue");
    expect(parseJsonInput<{ maxReceiveCount: number }>(queue.inputs.redrivePolicy).maxReceiveCount).toBe(9);
    expect(local.outputs.queueUrl).toBe("http://127.0.0.1:4566/local/orders-queue");
    expect(local.outputs.apiToken).toBe("[secret]");
    // Only the stack file's secure values are reported as offline placeholders.
    expect(local.secretKeys).toEqual(["switchyard:apiToken"]);
  }, 30_000);

  it("lets the program's ConfigError through unchanged", async () => {
    // Prepare
    const bad = project({ bad: ["switchyard:maxReceiveCount: 0", "switchyard:alarmEmail: a@b.c"] });
    // Act
    const run = synthesize({ stack: "bad", root: bad, program: demoProgram });
    // Assess
    await expect(run).rejects.toMatchObject({
      name: "ConfigError",
      message: "Invalid stack config switchyard:maxReceiveCount: expected an integer from 1 to 1000; got 0",
    });
  });

  it("runs without stack traces when asked (errors keep their message) and restores the limit after", async () => {
    // Prepare
    const limit = Error.stackTraceLimit;
    const failing = (): never => {
      throw new Error("program failed");
    };
    // Act
    const failure = (run: Promise<unknown>): Promise<Error> =>
      run.then(
        () => new Error("the program did not fail"),
        (error: Error) => error,
      );
    const without = await failure(synthesize({ stack: "demo", root, program: failing, stackTraces: false }));
    const withTraces = await failure(synthesize({ stack: "demo", root, program: failing }));
    // Assess
    expect(without.message).toBe("program failed");
    expect(without.stack).toBe("Error: program failed");
    expect(withTraces.stack).toContain("\n    at ");
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("rejects with a StackConfigError for a stack without a file", async () => {
    // Act
    const run = synthesize({ stack: "nope", root, program: demoProgram });
    // Assess
    await expect(run).rejects.toBeInstanceOf(StackConfigError);
    await expect(run).rejects.toThrow("(existing stacks: demo, low)");
  });
});

describe("tree", () => {
  it("indents each resource under its parent, top-level resources at the root", () => {
    // Act
    const lines = renderTree(demo.resources).split("\n");
    // Assess
    expect(lines).toContain("switchyard:demo:Thing orders");
    expect(lines).toContain("  aws:sqs/queue:Queue orders-queue");
    expect(lines).toContain("  aws:lambda/eventSourceMapping:EventSourceMapping orders-consumer-mapping");
    expect(lines).toContain("aws:sns/topic:Topic alarms");
    expect(lines).toContain("aws:cloudwatch/metricAlarm:MetricAlarm orders-dlq-not-empty");
    expect(lines).toHaveLength(19);
    const parentAt = lines.indexOf("switchyard:demo:Thing orders");
    const childAt = lines.indexOf("  aws:sqs/queue:Queue orders-queue");
    expect(childAt).toBeGreaterThan(parentAt);
  });

  it("counts per type with a total, and leaves providers out", () => {
    // Prepare
    const provider: RecordedResource = {
      type: "pulumi:providers:aws",
      name: "default",
      urn: "urn:pulumi:demo::switchyard::pulumi:providers:aws::default",
      custom: true,
      inputs: {},
      outputs: {},
    };
    const withProvider = [...demo.resources, provider];
    // Act
    const table = renderCounts(withProvider).split("\n");
    const tree = renderTree(withProvider);
    // Assess
    expect(table).toContainEqual(expect.stringMatching(/^aws:sqs\/queue:Queue +2$/));
    expect(table).toContainEqual(expect.stringMatching(/^aws:lambda\/function:Function +2$/));
    expect(table).toContainEqual(expect.stringMatching(/^total +19$/));
    expect(table.at(-1)).toBe("(1 provider resource not shown nor counted)");
    expect(tree).not.toContain("pulumi:providers");
  });

  it("has a JSON form with parents, counts, total and outputs", () => {
    // Act
    const json = toSynthJson(demo);
    // Assess
    expect(json.stack).toBe("demo");
    expect(json.project).toBe("switchyard");
    expect(json.total).toBe(19);
    expect(json.resources).toHaveLength(19);
    expect(json.counts["aws:sns/topic:Topic"]).toBe(2);
    expect(Object.keys(json.counts)).toEqual([...Object.keys(json.counts)].sort());
    expect(json.resources).toContainEqual({
      type: "aws:sqs/queue:Queue",
      name: "orders-queue",
      parent: "orders",
      parentType: "switchyard:demo:Thing",
      urn: "urn:pulumi:demo::switchyard::switchyard:demo:Thing$aws:sqs/queue:Queue::orders-queue",
    });
    expect(json.resources).toContainEqual(
      expect.objectContaining({ name: "alarms", parent: null, parentType: null }),
    );
    expect(json.resources.map((r) => r.urn)).toEqual(demo.resources.map((r) => r.urn));
    expect(json.outputs.apiToken).toBe("[secret]");
    expect(json.providers).toBe(0);
  });

  it("renders the text report with the outputs and the secrets note", () => {
    // Act
    const text = renderSynthText(demo);
    // Assess
    expect(text).toMatch(/^Stack demo \(project switchyard\): 19 resources\n/);
    expect(text).toContain("\nOutputs\ntopicArn: arn:aws:sns:eu-west-1:123456789012:orders-events\n");
    expect(text).toContain('consumer: {"name":"orders-consumer"}');
    expect(text).toContain("placeholders were used for switchyard:apiToken");
  });
});

describe("mermaid", () => {
  let graph: FlowGraph;
  let diagram: string;
  const id = (name: string): string => {
    const node = graph.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node.id;
  };
  const lines = () => diagram.split("\n").map((line) => line.trim());

  beforeAll(() => {
    graph = buildFlowGraph(demo.resources);
    diagram = renderMermaid(graph);
  });

  it("gives every node a safe, unique id", () => {
    // Assess
    const ids = graph.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const nodeId of ids) expect(nodeId).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    expect(graph.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining([
        "orders-events",
        "orders-queue",
        "orders-dlq",
        "orders-consumer",
        "alarms",
        "ops@example.com",
      ]),
    );
  });

  it("draws topic -> queue with the filter policy summary and raw delivery", () => {
    // Assess
    expect(lines()).toContain(
      `${id("orders-events")} -->|"eventType: ORDER_CREATED, ORDER_CANCELLED<br/>orderValue #gt; 1000<br/>raw"| ${id("orders-queue")}`,
    );
  });

  it("draws the redrive, subscription DLQ and rule target DLQ as dotted edges to the DLQ", () => {
    // Assess
    const dlq = id("orders-dlq");
    expect(lines()).toContain(`${id("orders-queue")} -.->|"maxReceiveCount 5"| ${dlq}`);
    expect(lines()).toContain(`${id("orders-events")} -.->|"subscription DLQ (orders-queue)"| ${dlq}`);
    expect(lines()).toContain(`${id("orders-shipped")} -.->|"target DLQ (orders-queue)"| ${dlq}`);
    expect(diagram).toContain(`${dlq}[("orders-dlq<br/>DLQ")]:::dlq`);
  });

  it("draws queue -> function from the event source mapping with batch and concurrency", () => {
    // Assess
    expect(lines()).toContain(
      `${id("orders-queue")} -->|"batch 10, max concurrency 5<br/>partial batch failures"| ${id("orders-consumer")}`,
    );
  });

  it("draws bus -> rule with the pattern and rule -> target queue", () => {
    // Assess
    expect(lines()).toContain(
      `${id("orders-bus")} -->|"source: demo.shipping<br/>detail-type: OrderShipped"| ${id("orders-shipped")}`,
    );
    expect(lines()).toContain(
      `${id("orders-shipped")} -->|"retries 3, max age 3600s"| ${id("orders-queue")}`,
    );
  });

  it("draws bucket -> topic with the events and the key filters", () => {
    // Assess
    expect(lines()).toContain(
      `${id("orders-uploads")} -->|"ObjectCreated:*<br/>prefix incoming/, suffix .json"| ${id("orders-events")}`,
    );
  });

  it("draws DLQ -> alarm -> alarm topic -> e-mail", () => {
    // Assess
    const alarm = id("orders-dlq-not-empty");
    expect(lines()).toContain(
      `${id("orders-dlq")} -.->|"ApproximateNumberOfMessagesVisible #gt; 0"| ${alarm}`,
    );
    expect(lines()).toContain(`${alarm} -->|"ALARM"| ${id("alarms")}`);
    expect(lines()).toContain(`${id("alarms")} -->|"all"| ${id("ops@example.com")}`);
    expect(diagram).toContain(`${id("alarms")}{{"alarms<br/>alarm topic"}}:::alarmTopic`);
  });

  it("draws publishers from their IAM publish permissions only", () => {
    // Assess
    expect(lines()).toContain(`${id("orders-publisher")} -->|"publish"| ${id("orders-events")}`);
    expect(diagram).not.toContain(`${id("orders-consumer")} -->|"publish"|`);
  });

  it("groups the nodes of a service component in one subgraph, shared ones outside", () => {
    // Prepare
    const all = lines();
    const start = all.indexOf('subgraph svc_orders["orders (switchyard:demo:Thing)"]');
    const end = all.indexOf("end", start);
    const inside = all.slice(start + 1, end).join("\n");
    // Assess
    expect(start).toBeGreaterThan(0);
    expect(inside).toContain(`${id("orders-queue")}[(`);
    expect(inside).toContain(`${id("orders-consumer")}(`);
    expect(inside).not.toContain(id("alarms"));
    expect(all.filter((line) => line.startsWith("subgraph svc_"))).toHaveLength(1);
  });

  it("has a legend for the kinds of node present", () => {
    // Assess
    expect(lines()).toContain('subgraph legend["Legend"]');
    expect(lines()).toContain('legend_dlq[("DLQ")]:::dlq');
    expect(diagram).not.toContain("legend_table");
  });

  it("writes docs/architecture-<stack>.md with the note, the diagram and the counts", () => {
    // Prepare
    const out = tempDir("synth-docs-");
    // Act
    const file = writeArchitectureDoc(demo, join(out, "docs"));
    const defaultFile = writeArchitectureDoc(demo);
    // Assess
    expect(file).toBe(join(out, "docs", "architecture-demo.md"));
    expect(defaultFile).toBe(join(root, "docs", "architecture-demo.md"));
    const markdown = readFileSync(file, "utf8");
    expect(markdown).toBe(renderArchitectureMarkdown(demo));
    expect(markdown).toMatch(/^# Architecture: switchyard \(demo\)\n/);
    expect(markdown).toContain("Generated by `pnpm synth -- --stack demo`; do not edit.");
    expect(markdown).toContain(`\`\`\`mermaid\n${diagram}\`\`\``);
    expect(markdown).toContain("| `aws:sqs/queue:Queue` | 2 |");
    expect(markdown).toContain("| **Total** | **19** |");
    expect(existsSync(defaultFile)).toBe(true);
  });
});
