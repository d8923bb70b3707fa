import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLocalStack, OpsError } from "../src/index";

const dir = mkdtempSync(join(tmpdir(), "ops-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("OpsError", () => {
  it("is the base of the CLI's refusals, e.g. a local stack file that is not the local cloud's", () => {
    const file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify({ hello: "world" }));
    const act = () => loadLocalStack({ file });
    expect(act).toThrow(OpsError);
    expect(act).toThrow(/has no endpoint and outputs/);
  });
});
