import { afterEach, describe, expect, it, vi } from "vitest";

const ENV = {
  TABLE_NAME: "s3-pipeline-catalog",
  DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/media-dlq",
  UPLOADS_BUCKET: "s3-pipeline-uploads",
  RENDITIONS_BUCKET: "s3-pipeline-renditions",
  RENDITION_WIDTHS: "320,1280",
  MAX_IMAGE_BYTES: "1048576",
  AWS_REGION: "us-east-1",
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("handler modules", () => {
  it.each(["renditions", "catalog", "cleanup"])(
    "%s reads its environment once, at module scope",
    async (name) => {
      // Prepare
      for (const [key, value] of Object.entries(ENV)) vi.stubEnv(key, value);

      // Act
      const module = (await import(`../src/handlers/${name}`)) as { handler: unknown };

      // Assess
      expect(typeof module.handler).toBe("function");
    },
  );

  it.each(["renditions", "catalog", "cleanup"])(
    "%s fails its cold start without a table name",
    async (name) => {
      // Prepare
      for (const [key, value] of Object.entries(ENV)) vi.stubEnv(key, value);
      vi.stubEnv("TABLE_NAME", "");

      // Act / Assess
      await expect(import(`../src/handlers/${name}`)).rejects.toThrow(/TABLE_NAME is required/);
    },
  );

  it("refuses widths that are not pixel counts", async () => {
    // Prepare
    for (const [key, value] of Object.entries(ENV)) vi.stubEnv(key, value);
    vi.stubEnv("RENDITION_WIDTHS", "320,big");

    // Act / Assess
    await expect(import("../src/handlers/renditions")).rejects.toThrow(/RENDITION_WIDTHS/);
  });
});
