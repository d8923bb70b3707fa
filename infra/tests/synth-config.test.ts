import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProjectRoot, loadStackConfig, StackConfigError } from "../src/synth/load-stack-config";

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A temp project folder with the given files (name -> content). */
function project(files: Record<string, string>): string {
  const root = tempDir("synth-config-");
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
  return root;
}

const PROJECT = "name: switchyard\nruntime: nodejs\nmain: infra/\n";

describe("loadStackConfig", () => {
  it("qualifies keys without a namespace with the project and keeps the others", () => {
    // Prepare
    const root = project({
      "Pulumi.yaml": PROJECT,
      "Pulumi.dev.yaml":
        "config:\n  aws:region: eu-west-1\n  switchyard:environment: dev\n  retentionDays: 7\n",
    });
    // Act
    const loaded = loadStackConfig("dev", root);
    // Assess
    expect(loaded.project).toBe("switchyard");
    expect(loaded.root).toBe(root);
    expect(loaded.file).toBe(join(root, "Pulumi.dev.yaml"));
    expect(loaded.config).toEqual({
      "aws:region": "eu-west-1",
      "switchyard:environment": "dev",
      "switchyard:retentionDays": 7,
    });
    expect(loaded.secretKeys).toEqual([]);
  });

  it("keeps structured values and applies project-level defaults the stack file does not override", () => {
    // Prepare
    const root = project({
      "Pulumi.yaml": `${PROJECT}config:\n  retentionDays:\n    type: integer\n    default: 14\n  switchyard:tier:\n    default: basic\n`,
      "Pulumi.prod.yaml":
        "config:\n  switchyard:tier: gold\n  switchyard:alarmEmails:\n    - a@example.com\n    - b@example.com\n",
    });
    // Act
    const { config } = loadStackConfig("prod", root);
    // Assess
    expect(config).toEqual({
      "switchyard:retentionDays": 14,
      "switchyard:tier": "gold",
      "switchyard:alarmEmails": ["a@example.com", "b@example.com"],
    });
  });

  it("replaces secure values (top-level and nested) by placeholders and lists their keys as secret", () => {
    // Prepare
    const root = project({
      "Pulumi.yaml": PROJECT,
      "Pulumi.staging.yaml": [
        "config:",
        "  switchyard:apiToken:",
        "    secure: v1:AAAA",
        "  switchyard:database:",
        "    user: app",
        "    password:",
        "      secure: v1:BBBB",
        "  switchyard:plain: visible",
        "",
      ].join("\n"),
    });
    // Act
    const { config, secretKeys } = loadStackConfig("staging", root);
    // Assess
    expect(config["switchyard:apiToken"]).toBe("offline-secret-switchyard:apiToken");
    expect(config["switchyard:database"]).toEqual({
      user: "app",
      password: "offline-secret-switchyard:database.password",
    });
    expect(config["switchyard:plain"]).toBe("visible");
    expect(secretKeys).toEqual(["switchyard:apiToken", "switchyard:database"]);
  });

  it("finds Pulumi.yaml by walking up from a nested folder", () => {
    // Prepare
    const root = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config: {}\n" });
    const nested = join(root, "infra", "src");
    mkdirSync(nested, { recursive: true });
    // Act
    const found = findProjectRoot(nested);
    const loaded = loadStackConfig("dev", nested);
    // Assess
    expect(found).toBe(root);
    expect(loaded.config).toEqual({});
  });

  it("names the missing stack file and lists the stacks that exist", () => {
    // Prepare
    const root = project({
      "Pulumi.yaml": PROJECT,
      "Pulumi.dev.yaml": "config: {}\n",
      "Pulumi.prod.yaml": "",
    });
    // Act
    const act = () => loadStackConfig("qa", root);
    // Assess
    expect(act).toThrow(StackConfigError);
    expect(act).toThrow(
      `No stack file ${join(root, "Pulumi.qa.yaml")} for stack "qa" (existing stacks: dev, prod)`,
    );
  });

  it("reports a YAML error on one line naming the file", () => {
    // Prepare
    const root = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config:\n  a: [1\n  b: 2\n" });
    // Act
    let error: unknown;
    try {
      loadStackConfig("dev", root);
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(StackConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`Cannot parse ${join(root, "Pulumi.dev.yaml")}: `);
    expect(message).toContain("line 3, column 3");
    expect(message).not.toContain("\n");
  });

  it("refuses stack names that are not file-name safe, and folders without Pulumi.yaml", () => {
    // Prepare
    const root = project({ "Pulumi.yaml": PROJECT });
    const empty = tempDir("synth-empty-");
    // Act / Assess
    expect(() => loadStackConfig("../dev", root)).toThrow(/^Invalid stack name "\.\.\/dev"/);
    expect(() => loadStackConfig("dev", empty)).toThrow(`No Pulumi.yaml in ${empty} or any folder above it`);
  });
});
