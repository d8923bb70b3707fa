import { describe, expect, it } from "vitest";
import { checkRequest, messageTypeOf } from "../src/domain/request";

const DE = "+4915112345678";
const US = "+12015550123";

describe("checkRequest", () => {
  it.each([
    [
      "a German number for DE",
      { phoneNumber: DE, text: "Code 1234" },
      { country: "DE", useCase: "VERIFICATION" },
      1,
    ],
    ["a US number for US", { phoneNumber: US, text: "Hi" }, { country: "US", useCase: "OFFER" }, 1],
    [
      "an emoji (a surrogate pair)",
      { phoneNumber: DE, text: "Code 1234 \u{1F44D}" },
      { country: "DE", useCase: "VERIFICATION" },
      1,
    ],
    [
      "three GSM-7 parts at the limit",
      { phoneNumber: DE, text: "a".repeat(459) },
      { country: "DE", useCase: "REMINDER" },
      3,
    ],
  ])("accepts %s", (_name, body, attributes, parts) => {
    // Act
    const result = checkRequest(body, attributes, 3);

    // Assess
    expect(result).toMatchObject({ ok: true, request: { phoneNumber: body.phoneNumber, parts } });
  });

  it.each([
    [
      "a number without +",
      { phoneNumber: "4915112345678", text: "x" },
      { country: "DE", useCase: "VERIFICATION" },
      "phoneNumber: expected an E.164",
    ],
    [
      "a number of another country",
      { phoneNumber: DE, text: "x" },
      { country: "FR", useCase: "VERIFICATION" },
      "expected a number of country FR (got one of DE)",
    ],
    [
      "an impossible number",
      { phoneNumber: "+4900000", text: "x" },
      { country: "DE", useCase: "VERIFICATION" },
      "expected a valid phone number",
    ],
    [
      "an empty text",
      { phoneNumber: DE, text: "" },
      { country: "DE", useCase: "VERIFICATION" },
      "text: expected a non-empty message text",
    ],
    [
      "a missing text",
      { phoneNumber: DE },
      { country: "DE", useCase: "VERIFICATION" },
      "text: expected the message text",
    ],
    [
      "a text with a lone surrogate",
      { phoneNumber: DE, text: "Code \ud800 1234" },
      { country: "DE", useCase: "VERIFICATION" },
      "text: expected well-formed Unicode (the text holds a lone surrogate)",
    ],
    [
      "an unknown use case",
      { phoneNumber: DE, text: "x" },
      { country: "DE", useCase: "SPAM" },
      "attribute useCase: expected a useCase attribute",
    ],
    [
      "a missing country",
      { phoneNumber: DE, text: "x" },
      { useCase: "OFFER" },
      "attribute country: expected a country attribute",
    ],
    [
      "an unknown country",
      { phoneNumber: DE, text: "x" },
      { country: "XX", useCase: "OFFER" },
      "attribute country: expected an ISO 3166-1",
    ],
    [
      "too many parts",
      { phoneNumber: DE, text: "a".repeat(460) },
      { country: "DE", useCase: "OFFER" },
      "text: expected at most 3 parts (got 4 GSM-7 parts)",
    ],
  ])("refuses %s", (_name, body, attributes, problem) => {
    // Act
    const result = checkRequest(body, attributes, 3);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.join("; ")).toContain(problem);
  });

  it("never repeats the phone number in a problem", () => {
    // Act
    const result = checkRequest({ phoneNumber: DE, text: "x" }, { country: "FR", useCase: "OFFER" }, 3);

    // Assess
    expect(JSON.stringify(result)).not.toContain("15112345678");
  });

  it.each([
    ["VERIFICATION", "TRANSACTIONAL"],
    ["TRANSACTIONAL", "TRANSACTIONAL"],
    ["REMINDER", "TRANSACTIONAL"],
    ["OFFER", "PROMOTIONAL"],
  ] as const)("sends %s as %s", (useCase, type) => {
    expect(messageTypeOf(useCase)).toBe(type);
  });
});
