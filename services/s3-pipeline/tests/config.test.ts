import { describe, expect, it } from "vitest";
import { s3PipelineConfigSchema } from "../src/index";

describe("s3PipelineConfigSchema", () => {
  it("fills in the defaults", () => {
    expect(s3PipelineConfigSchema.parse({})).toEqual({
      renditionWidths: [320, 1280],
      maxImageBytes: 26_214_400,
      filterPrefix: "uploads/",
      lifecycleRules: [],
    });
  });

  it("accepts the prod example", () => {
    // Prepare
    const prod = {
      renditionWidths: [320, 1280, 2560],
      maxImageBytes: 52_428_800,
      filterPrefix: "uploads/",
      lifecycleRules: [
        { id: "old-versions", noncurrentVersionExpirationDays: 90 },
        { id: "abandoned-uploads", abortIncompleteMultipartUploadDays: 7 },
      ],
      notificationCallbackUrl: "https://app.example.com/uploads",
    };

    // Act / Assess
    expect(s3PipelineConfigSchema.parse(prod)).toEqual(prod);
  });

  it.each([
    [{ renditionWidths: [] }, "renditionWidths", "expected at least one rendition width"],
    [{ renditionWidths: [320, 320] }, "renditionWidths", "expected distinct rendition widths"],
    [
      { renditionWidths: [10.5] },
      "renditionWidths.0",
      "expected each rendition width to be a whole number of pixels",
    ],
    [{ renditionWidths: [9000] }, "renditionWidths.0", "expected each rendition width <= 8192 px"],
    [{ maxImageBytes: 10 }, "maxImageBytes", "expected maxImageBytes >= 1024"],
    [{ filterPrefix: 5 }, "filterPrefix", "expected filterPrefix to be a string"],
    [{ notificationCallbackUrl: "http://insecure" }, "notificationCallbackUrl", "expected an https URL"],
    [
      { lifecycleRules: [{ id: "x", expirationDays: 0 }] },
      "lifecycleRules.0.expirationDays",
      "expected expirationDays >= 1 day",
    ],
    [
      {
        lifecycleRules: [
          { id: "a", expirationDays: 1 },
          { id: "a", expirationDays: 2 },
        ],
      },
      "lifecycleRules",
      "expected distinct lifecycle rule ids",
    ],
    [{ renditionWidth: [320] }, "", "renditionWidth"],
  ])("refuses %j at %s: %s", (input, path, message) => {
    // Act
    const result = s3PipelineConfigSchema.safeParse(input);

    // Assess
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join(".")).toBe(path);
    expect(issue?.message).toContain(message);
  });
});
