import { describe, expect, it } from "vitest";
import { maskEmail, maskPhone, maskPii, piiJsonReplacer } from "../src/index";

describe("maskPhone", () => {
  it.each([
    { input: "+4915112345678", masked: "+49*******5678" },
    { input: "+1 (415) 555-0142", masked: "+14*****0142" },
    { input: "015112345678", masked: "01******5678" },
    { input: "+49123", masked: "+***23" },
    { input: "1234", masked: "****" },
    { input: "", masked: "" },
  ])("$input -> $masked", ({ input, masked }) => {
    // Act
    const result = maskPhone(input);

    // Assess
    expect(result).toBe(masked);
  });
});

describe("maskEmail", () => {
  it.each([
    { input: "jane.doe@example.com", masked: "j*******@example.com" },
    { input: "a@b.de", masked: "a@b.de" },
    { input: "no-at-sign", masked: "**********" },
    { input: "@example.com", masked: "************" },
  ])("$input -> $masked", ({ input, masked }) => {
    // Act
    const result = maskEmail(input);

    // Assess
    expect(result).toBe(masked);
  });
});

describe("maskPii", () => {
  it("masks fields by name at any depth and leaves the input untouched", () => {
    // Prepare
    const input = {
      orderId: "o-1",
      customer: { phoneNumber: "+4915112345678", email: "jane.doe@example.com", name: "Jane" },
      headers: { Authorization: "Bearer abc.def", "x-api-key": "k-123" },
      recipients: [{ phone: "+4915112345678" }, { mobile: 4915112345678 }],
      deviceToken: "tok",
      password: { nested: "object" },
      count: 3,
    };
    const before = structuredClone(input);

    // Act
    const masked = maskPii(input);

    // Assess
    expect(masked).toEqual({
      orderId: "o-1",
      customer: { phoneNumber: "+49*******5678", email: "j*******@example.com", name: "Jane" },
      headers: { Authorization: "****", "x-api-key": "****" },
      recipients: [{ phone: "+49*******5678" }, { mobile: "49*******5678" }],
      deviceToken: "****",
      password: "****",
      count: 3,
    });
    expect(input).toEqual(before);
  });

  it("uses only the keys it is given", () => {
    // Prepare
    const input = { ssn: "123-45-6789", phone: "+4915112345678" };

    // Act
    const masked = maskPii(input, ["ssn"]);

    // Assess
    expect(masked).toEqual({ ssn: "****", phone: "+4915112345678" });
  });

  it("masks every item of an array under a PII key, by the kind its name suggests", () => {
    // Act
    const masked = maskPii({ phones: ["+4915112345678", "+4915187654321"], apiTokens: ["a", "b"] }, [
      "phones",
      "apiTokens",
    ]);

    // Assess
    expect(masked).toEqual({ phones: ["+49*******5678", "+49*******4321"], apiTokens: ["****", "****"] });
  });

  it("survives cycles", () => {
    // Prepare
    const node: Record<string, unknown> = { email: "jane@example.com" };
    node.self = node;

    // Act
    const masked = maskPii(node) as Record<string, unknown>;

    // Assess
    expect(masked.email).toBe("j***@example.com");
    expect(masked.self).toBe(masked);
  });
});

describe("piiJsonReplacer", () => {
  it("masks PII while JSON.stringify walks the value", () => {
    // Prepare
    const value = { to: { phoneNumber: "+4915112345678" }, token: "secret", ok: true };

    // Act
    const json = JSON.stringify(value, piiJsonReplacer());

    // Assess
    expect(JSON.parse(json)).toEqual({ to: { phoneNumber: "+49*******5678" }, token: "****", ok: true });
  });
});
