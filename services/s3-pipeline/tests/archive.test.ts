import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleHandler } from "@switchyard/infra-kit";
import { s3TestEvent, s3ViaSnsSqsRecord, sqsEvent } from "@switchyard/testing";
import { afterAll, describe, expect, it } from "vitest";
import { SHARP_NODE_MODULES } from "../src/index";

const ENTRY = fileURLToPath(new URL("../src/handlers/renditions.ts", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the renditions archive layout", () => {
  // Lambda gets the arm64 build; this proves the same layout on the machine running the tests (its own build).
  const architecture = process.arch === "arm64" ? "arm64" : "x86_64";
  const platformPackages = SHARP_NODE_MODULES.map((name) => name.replace("arm64", process.arch));

  it(`loads sharp from node_modules/ beside the bundle and handles a batch (${architecture} build of this machine)`, () => {
    // Prepare
    const bundle = bundleHandler({
      entry: ENTRY,
      external: [],
      minify: true,
      nodeModules: platformPackages,
      architecture,
    });
    const dir = mkdtempSync(join(tmpdir(), "s3-pipeline-archive-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(bundle.files)) writeFileSync(join(dir, name), text);
    for (const [name, path] of Object.entries(bundle.packageFiles)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      copyFileSync(path, join(dir, name));
    }
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const event = sqsEvent([
      s3ViaSnsSqsRecord({ event: s3TestEvent("uploads"), raw: true, messageId: "t-1" }),
    ]);
    const script = `
      const { handler } = await import("./index.mjs");
      const sharp = (await import("sharp")).default;
      const result = await handler(${JSON.stringify(event)}, { functionName: "renditions", getRemainingTimeInMillis: () => 60000 });
      process.stdout.write(JSON.stringify({ sharp: sharp.versions.sharp, result }));`;

    // Act
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        AWS_REGION: "us-east-1",
        TABLE_NAME: "catalog",
        DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/renditions-dlq",
        UPLOADS_BUCKET: "uploads",
        RENDITIONS_BUCKET: "renditions",
        RENDITION_WIDTHS: "320",
        MAX_IMAGE_BYTES: "1048576",
        POWERTOOLS_METRICS_DISABLED: "true",
        POWERTOOLS_LOG_LEVEL: "SILENT",
      },
    });

    // Assess
    const lastLine = output.trim().split("\n").pop() ?? "";
    expect(JSON.parse(lastLine.slice(lastLine.indexOf('{"sharp"')))).toEqual({
      sharp: "0.35.5",
      result: { batchItemFailures: [] },
    });
    expect(bundle.files["index.mjs"]).toMatch(/from\s*"sharp"/);
  });
});
