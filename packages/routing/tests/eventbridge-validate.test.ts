import { describe, expect, it } from "vitest";
import { validateEventPattern } from "../src/index";
import { EB_DOCS } from "./helpers";

describe("validateEventPattern accepts what EventBridge accepts", () => {
  it.each([
    {
      name: `source, detail-type and detail (${EB_DOCS.patterns})`,
      pattern: {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        detail: { state: ["running"] },
      },
    },
    {
      name: `every comparison operator on the page (${EB_DOCS.operators})`,
      pattern: {
        a: [{ "anything-but": "initializing" }],
        b: [{ "anything-but": { prefix: "us-" } }],
        c: [{ "anything-but": { suffix: ".png" } }],
        d: [{ "anything-but": { "equals-ignore-case": "initializing" } }],
        e: [{ "anything-but": { wildcard: "*/lib/*" } }],
        f: [{ prefix: "us-" }],
        g: [{ prefix: { "equals-ignore-case": "eventb" } }],
        h: [""],
        i: [{ "equals-ignore-case": "alice" }],
        j: [{ suffix: { "equals-ignore-case": "tBridge" } }],
        k: [{ exists: true }],
        l: [null],
        m: [{ numeric: [">", 10, "<=", 20] }],
        n: [{ wildcard: "dir/*.png" }],
        o: [{ cidr: "10.0.0.0/24" }],
      },
    },
    {
      name: `$or (${EB_DOCS.operators})`,
      pattern: { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] },
    },
    {
      name: `anything-but lists, observed on AWS (${EB_DOCS.operators})`,
      pattern: {
        a: [{ "anything-but": { prefix: ["init", "test"] } }],
        b: [{ "anything-but": { suffix: [".txt", ".bak"] } }],
        c: [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }],
        d: [{ "anything-but": { "equals-ignore-case": ["a", "b"] } }],
      },
    },
    {
      name: `anything-but an empty wildcard, observed on AWS (${EB_DOCS.operators})`,
      pattern: { FilePath: [{ "anything-but": { wildcard: "" } }] },
    },
    {
      name: `the complex example (${EB_DOCS.contentFiltering})`,
      pattern: {
        time: [{ prefix: "2017-10-02" }],
        detail: {
          state: [{ "anything-but": "initializing" }],
          "c-count": [{ numeric: [">", 0, "<=", 5] }],
          "d-count": [{ numeric: ["<", 10] }],
          "x-limit": [{ "anything-but": [100, 200, 300] }],
        },
      },
    },
    {
      name: `exactly 1000 $or combinations (${EB_DOCS.operators})`,
      pattern: {
        $or: Array.from({ length: 10 }, (_, i) => ({ a: [i] })),
        detail: {
          $or: Array.from({ length: 10 }, (_, i) => ({ b: [i] })),
          inner: { $or: Array.from({ length: 10 }, (_, i) => ({ c: [i] })) },
        },
      },
    },
    { name: `numbers up to 5e9 (${EB_DOCS.ruler})`, pattern: { n: [{ numeric: [">", -5e9, "<", 5e9] }] } },
    { name: `a pattern as JSON text (${EB_DOCS.patterns})`, pattern: '{"source": ["aws.ec2"]}' },
  ])("$name", ({ pattern }) => {
    // Act
    const errors = validateEventPattern(pattern);
    // Assess
    expect(errors).toEqual([]);
  });
});

describe("validateEventPattern rejects what EventBridge rejects", () => {
  it.each([
    {
      name: "not JSON, observed on AWS",
      pattern: "this is valid json but not a dict",
      says: ["not valid JSON"],
    },
    { name: "single quotes, observed on AWS", pattern: "{'bad': 'quotation'}", says: ["not valid JSON"] },
    {
      name: "a JSON array, observed on AWS",
      pattern: '["not", "a", "dict", "but valid json"]',
      says: ["must be a JSON object"],
    },
    {
      name: "a number leaf, observed on AWS",
      pattern: { int: 42 },
      says: ['key "int"', "list of match values"],
    },
    {
      name: "a string leaf, observed on AWS",
      pattern: { string: "my-value" },
      says: ['key "string"', "list of match values"],
    },
    {
      name: "an empty list, observed on AWS",
      pattern: { resources: [] },
      says: ['key "resources"', "must not be empty"],
    },
    {
      name: "NUMERIC in capitals, observed on AWS",
      pattern: { detail: { equal: [{ NUMERIC: ["=", 5] }] } },
      says: ['key "detail.equal"', '"NUMERIC" is not an operator'],
    },
    {
      name: "EXISTS in capitals, observed on AWS",
      pattern: { my_key: [{ EXISTS: true }] },
      says: ['"EXISTS" is not an operator'],
    },
    {
      name: "numeric with two lower bounds, observed on AWS",
      pattern: { detail: { "c-count": [{ numeric: [">", 0, ">", 0] }] } },
      says: ['upper bound must use "<" or "<="'],
    },
    {
      name: "numeric with a missing bound, observed on AWS",
      pattern: { detail: { "c-count": [{ numeric: [">", 0, "<"] }] } },
      says: ['numeric operator "<" must be followed by a number'],
    },
    {
      name: "numeric above 5e9",
      pattern: { n: [{ numeric: [">", 6e9] }] },
      says: ["-5,000,000,000 and 5,000,000,000", "6e9"],
    },
    {
      name: "equals-ignore-case list, observed on AWS",
      pattern: { "detail-type": [{ "equals-ignore-case": ["ec2 instance state-change notification"] }] },
      says: ["equals-ignore-case must be a string"],
    },
    {
      name: "equals-ignore-case object, observed on AWS",
      pattern: { "detail-type": [{ "equals-ignore-case": { prefix: "ec2" } }] },
      says: ["equals-ignore-case must be a string"],
    },
    {
      name: "anything-but equals-ignore-case number, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": 123 } }] } },
      says: ["anything-but equals-ignore-case must be a string"],
    },
    {
      name: "anything-but equals-ignore-case numbers, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": [123, 456] } }] } },
      says: ["anything-but equals-ignore-case must be a string"],
    },
    {
      name: "anything-but prefix ignoring case, observed on AWS",
      pattern: { detail: { FileName: [{ "anything-but": { prefix: { "equals-ignore-case": "file" } } }] } },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but suffix ignoring case, observed on AWS",
      pattern: { detail: { FileName: [{ "anything-but": { suffix: { "equals-ignore-case": ".png" } } }] } },
      says: ["anything-but suffix must be a non-empty string"],
    },
    {
      name: "anything-but prefix number, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": { prefix: 123 } }] } },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but prefix list with a number, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": { prefix: [123, "test"] } }] } },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but empty prefix, observed on AWS",
      pattern: { detail: { FileName: [{ "anything-but": { prefix: "" } }] } },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but suffix number, observed on AWS",
      pattern: { detail: { FileName: [{ "anything-but": { suffix: 123 } }] } },
      says: ["anything-but suffix must be a non-empty string"],
    },
    {
      name: "anything-but suffix list with a number, observed on AWS",
      pattern: { detail: { FileName: [{ "anything-but": { suffix: [123, ".txt"] } }] } },
      says: ["anything-but suffix must be a non-empty string"],
    },
    {
      name: "anything-but wildcard number, observed on AWS",
      pattern: { detail: { FilePath: [{ "anything-but": { wildcard: 123 } }] } },
      says: ["anything-but wildcard must be a string"],
    },
    {
      name: "anything-but wildcard list with a number, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": { wildcard: [123, "*/dir/*"] } }] } },
      says: ["anything-but wildcard must be a string"],
    },
    {
      name: "anything-but null, observed on AWS",
      pattern: { detail: { state: [{ "anything-but": null }] } },
      says: ["anything-but takes a string, a number"],
    },
    {
      name: "anything-but list with null",
      pattern: { detail: { state: [{ "anything-but": ["a", null] }] } },
      says: ["only strings and numbers"],
    },
    {
      name: "prefix list, observed on AWS",
      pattern: { time: [{ prefix: ["2022-07-13"] }] },
      says: ["prefix must be a string"],
    },
    {
      name: "prefix number, observed on AWS",
      pattern: { time: [{ prefix: 123 }] },
      says: ["prefix must be a string"],
    },
    {
      name: "suffix number, observed on AWS",
      pattern: { FileName: [{ suffix: 123 }] },
      says: ["suffix must be a string"],
    },
    {
      name: "suffix list, observed on AWS",
      pattern: { FileName: [{ suffix: [".png"] }] },
      says: ["suffix must be a string"],
    },
    {
      name: "cidr without a slash, observed on AWS",
      pattern: { ip: [{ cidr: "10.0.0.0" }] },
      says: ['separated by one "/"'],
    },
    {
      name: "cidr with a word for mask, observed on AWS",
      pattern: { ip: [{ cidr: "10.0.0.0/xx" }] },
      says: ["integer prefix length"],
    },
    {
      name: "cidr with a bad address, observed on AWS",
      pattern: { ip: [{ cidr: "xx.11.xx/8" }] },
      says: ["standard IPv4 or IPv6 address"],
    },
    {
      name: "cidr with a bad IPv6 address, observed on AWS",
      pattern: { ip: [{ cidr: "xxxx:db8:1234:1a00::/64" }] },
      says: ["standard IPv4 or IPv6 address"],
    },
    {
      name: "cidr list, observed on AWS",
      pattern: { detail: { sourceIPAddress: [{ cidr: ["bad-type"] }] } },
      says: ["cidr must be a string"],
    },
    {
      name: "wildcard consecutive stars, observed on AWS",
      pattern: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:**:event-bus/*" }] },
      says: ["two consecutive"],
    },
    {
      name: "wildcard number, observed on AWS",
      pattern: { EventBusArn: [{ wildcard: 123 }] },
      says: ["wildcard must be a string"],
    },
    {
      name: "wildcard list, observed on AWS",
      pattern: { EventBusArn: [{ wildcard: ["arn:*"] }] },
      says: ["wildcard must be a string"],
    },
    {
      name: "wildcard too complex, observed on AWS",
      pattern: { EventBusArn: [{ wildcard: "*:*:*:*:*:event-bus/*" }] },
      says: ["too complex"],
    },
    {
      name: "wildcard escaping another character",
      pattern: { name: [{ wildcard: "a\\.b" }] },
      says: ['"\\" before a character'],
    },
    {
      name: "exists as a string",
      pattern: { name: [{ exists: "true" }] },
      says: ["exists must be true or false"],
    },
    {
      name: `more than 1000 $or combinations (${EB_DOCS.operators})`,
      pattern: {
        $or: Array.from({ length: 11 }, (_, i) => ({ a: [i] })),
        detail: {
          $or: Array.from({ length: 10 }, (_, i) => ({ b: [i] })),
          inner: { $or: Array.from({ length: 10 }, (_, i) => ({ c: [i] })) },
        },
      },
      says: ["1100 $or combinations", "at most 1000"],
    },
  ])("$name", ({ pattern, says }) => {
    // Act
    const errors = validateEventPattern(pattern);
    // Assess
    expect(errors).toHaveLength(1);
    for (const text of says) expect(errors[0]).toContain(text);
  });

  it("writes one sentence per problem, naming the dotted key and the rule", () => {
    // Prepare
    const pattern = {
      source: "aws.ec2",
      detail: { state: [{ prefix: 1 }], count: [{ numeric: [">", 1, "<", 0] }] },
    };
    // Act
    const errors = validateEventPattern(pattern);
    // Assess
    expect(errors).toEqual([
      'Event pattern key "source": value must be a list of match values or an object of nested keys, such as ["a", "b"] (got "aws.ec2").',
      'Event pattern key "detail.state": prefix must be a string or {"equals-ignore-case": "..."} (got 1).',
      'Event pattern key "detail.count": numeric range lower bound 1 must be less than upper bound 0.',
    ]);
  });
});
