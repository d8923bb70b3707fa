import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");

describe("importing @switchyard/contracts", () => {
  it("loads no X-Ray SDK or cls-hooked (the ops console and the local cloud import it; their async hook taxes every promise)", () => {
    // A fresh process: the CommonJS modules anything imported show in require.cache.
    const entry = pathToFileURL(resolve(import.meta.dirname, "../src/index.ts")).href;
    const script = `
      import { createRequire } from "node:module";
      const contracts = await import(${JSON.stringify(entry)});
      if (typeof contracts.parseOrderEvent !== "function") throw new Error("contracts did not load");
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
    `;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    const modules = JSON.parse(out.trim().split("\n").pop() as string) as string[];
    expect(modules.length).toBeGreaterThan(0);
    expect(modules.filter((m) => /aws-xray-sdk|cls-hooked|powertools[\\/]tracer/.test(m))).toEqual([]);
  });
});
