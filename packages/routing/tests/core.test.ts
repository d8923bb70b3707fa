import { describe, expect, it } from "vitest";
import { ipInCidr, parseCidr } from "../src/core/cidr";
import { decimalPlaces, parseNumeric } from "../src/core/numeric";
import { compileWildcard, wildcardProblem } from "../src/core/wildcard";
import { encodeS3Key, s3EventTypeCovers } from "../src/stack/s3-event";

describe("wildcard", () => {
  it.each([
    { pattern: "*", value: "", expected: true },
    { pattern: "*", value: "anything", expected: true },
    { pattern: "a*", value: "a", expected: true },
    { pattern: "*.png", value: "dir/a.png", expected: true },
    { pattern: "*.png", value: "a.png.bak", expected: false },
    { pattern: "a*b*c", value: "aXXbYYc", expected: true },
    { pattern: "a*b*c", value: "aXXcYYb", expected: false },
    { pattern: "a*a*a*a*b", value: "a".repeat(5000), expected: false },
    { pattern: "exact", value: "exact", expected: true },
    { pattern: "exact", value: "exactly", expected: false },
  ])("$pattern against $value is $expected", ({ pattern, value, expected }) => {
    // Act
    const matched = compileWildcard(pattern)(value);
    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    { pattern: "a*b", problem: undefined },
    { pattern: "a\\*b", problem: undefined },
    { pattern: "a\\\\b", problem: undefined },
    { pattern: "a**b", problem: "consecutive" },
    { pattern: "a\\nb", problem: "before a character" },
    { pattern: "*a*a*a*a*a", problem: undefined },
    { pattern: "*a*a*a*a*a*", problem: "too complex" },
  ])("$pattern: $problem", ({ pattern, problem }) => {
    // Act
    const found = wildcardProblem(pattern);
    // Assess
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("cidr", () => {
  it.each([
    { cidr: "10.0.0.0/8", ip: "10.255.1.2", expected: true },
    { cidr: "10.0.0.0/8", ip: "11.0.0.1", expected: false },
    { cidr: "0.0.0.0/0", ip: "192.168.1.1", expected: true },
    { cidr: "192.168.1.7/32", ip: "192.168.1.7", expected: true },
    { cidr: "10.0.0.0/8", ip: "::ffff:10.0.0.1", expected: false },
    { cidr: "::ffff:10.0.0.0/120", ip: "::ffff:10.0.0.1", expected: true },
    { cidr: "2001:db8::/32", ip: "2001:0db8:ffff::1", expected: true },
    { cidr: "2001:db8::/32", ip: "2001:db9::1", expected: false },
    { cidr: "fe80::/10", ip: "fe80::1%eth0", expected: true },
  ])("$ip in $cidr is $expected", ({ cidr, ip, expected }) => {
    // Prepare
    const block = parseCidr(cidr);
    if (typeof block === "string") throw new Error(block);
    // Act
    const inside = ipInCidr(block, ip);
    // Assess
    expect(inside).toBe(expected);
  });
});

describe("numeric", () => {
  it.each([
    { expression: ["=", 5], value: 5, expected: true },
    { expression: ["<", 5], value: 5, expected: false },
    { expression: ["<=", 5], value: 5, expected: true },
    { expression: [">", 5], value: 5.000001, expected: true },
    { expression: [">=", 0, "<", 1], value: 1, expected: false },
  ])("$expression with $value is $expected", ({ expression, value, expected }) => {
    // Prepare
    const condition = parseNumeric(expression);
    if (typeof condition === "string") throw new Error(condition);
    // Act
    const matched = condition.test(value);
    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    { value: 1, places: 0 },
    { value: 1.5, places: 1 },
    { value: 0.12345, places: 5 },
    { value: 1e-7, places: 7 },
    { value: 2e9, places: 0 },
  ])("$value has $places decimal places", ({ value, places }) => {
    // Act, Assess
    expect(decimalPlaces(value)).toBe(places);
  });
});

describe("S3 event types and keys", () => {
  it.each([
    { configured: "s3:ObjectCreated:*", event: "ObjectCreated:Put", expected: true },
    { configured: "s3:ObjectCreated:*", event: "ObjectCreated:CompleteMultipartUpload", expected: true },
    { configured: "s3:ObjectCreated:Put", event: "ObjectCreated:Post", expected: false },
    { configured: "s3:ObjectRemoved:*", event: "ObjectCreated:Put", expected: false },
    { configured: "ObjectRemoved:Delete", event: "s3:ObjectRemoved:Delete", expected: true },
  ])("$configured covers $event: $expected", ({ configured, event, expected }) => {
    // Act, Assess
    expect(s3EventTypeCovers(configured, event)).toBe(expected);
  });

  it("URL-encodes keys the way S3 events carry them", () => {
    // Act, Assess
    expect(encodeS3Key("photos/red flower.jpg")).toBe("photos/red+flower.jpg");
  });
});
