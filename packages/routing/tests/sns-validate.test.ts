import { describe, expect, it } from "vitest";
import { validateFilterPolicy } from "../src/index";
import { SNS_DOCS } from "./helpers";

const values = (count: number, prefix = "value"): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe("validateFilterPolicy accepts what SNS accepts", () => {
  it.each([
    {
      name: `exact values (${SNS_DOCS.stringMatching})`,
      policy: { customer_interests: ["rugby", "tennis"] },
    },
    {
      name: `every string operator (${SNS_DOCS.stringMatching})`,
      policy: {
        a: [{ prefix: "bas" }],
        b: [{ suffix: "ball" }],
        c: [{ "equals-ignore-case": "tennis" }],
        d: [{ cidr: "10.0.0.0/24" }],
        e: [{ wildcard: "*ball" }],
      },
    },
    {
      name: `anything-but forms (${SNS_DOCS.stringMatching})`,
      policy: {
        a: [{ "anything-but": ["rugby", "tennis"] }],
        b: [{ "anything-but": "x" }],
        c: [{ "anything-but": { prefix: "order-" } }],
        d: [{ "anything-but": { suffix: "-x" } }],
        e: [{ "anything-but": [100, 500] }],
      },
    },
    {
      name: `numeric forms (${SNS_DOCS.numericMatching})`,
      policy: {
        a: [{ numeric: ["=", 301.5] }],
        b: [{ numeric: [">", 0, "<=", 150] }],
        c: [{ numeric: ["<", 1e9] }],
        d: [{ numeric: [">=", -1e9] }],
        e: [{ numeric: ["=", 0.12345] }],
      },
    },
    {
      name: `exists (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }], other: [{ exists: false }] },
    },
    {
      name: `the example policy (${SNS_DOCS.examples})`,
      policy: {
        store: ["example_corp"],
        event: [{ "anything-but": "order_cancelled" }],
        customer_interests: ["rugby", "football", "baseball"],
        price_usd: [{ numeric: [">=", 100] }],
      },
    },
    {
      name: `the $or example totalling 7 combinations (${SNS_DOCS.andOr})`,
      policy: {
        source: ["aws.cloudwatch"],
        $or: [
          { metricName: ["CPUUtilization", "ReadLatency"] },
          { metricType: ["MetricType"], $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }] },
        ],
      },
    },
    {
      name: `exactly 150 combinations with $or, observed on AWS (${SNS_DOCS.andOr})`,
      policy: {
        source: values(3),
        $or: [
          { metricName: values(6) },
          { metricType: values(4), $or: [{ metricId: [1, 2, 3, 4] }, { spaceId: [1, 2, 3, 4, 5, 6, 7] }] },
        ],
      },
    },
    { name: `exactly 150 values under one key (${SNS_DOCS.constraints})`, policy: { key: values(150) } },
    {
      name: `exactly five keys (${SNS_DOCS.constraints})`,
      policy: { a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"] },
    },
    { name: `keywords true, false and null (${SNS_DOCS.constraints})`, policy: { a: [true, false, null] } },
    { name: `policy as JSON text (${SNS_DOCS.constraints})`, policy: '{"eventType":["ORDER_CREATED"]}' },
    {
      name: `an $or whose alternatives use operator names is an ordinary key (${SNS_DOCS.andOr})`,
      policy: { $or: [{ "anything-but": "a" }, { prefix: "abc" }] },
    },
  ])("$name", ({ policy }) => {
    // Act
    const errors = validateFilterPolicy(policy);
    // Assess
    expect(errors).toEqual([]);
  });

  it.each([
    { name: "nested keys", policy: { object: { key: [{ prefix: "auto-" }] } } },
    {
      name: "the 72-combination nested example",
      policy: { key_a: { key_b: { key_c: values(4) } }, key_d: { key_e: values(3) } },
    },
    {
      name: "nested $or",
      policy: {
        $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
        detail: { scope: ["Service"], $or: [{ source: ["aws.cloudwatch"] }, { type: ["x"] }] },
      },
    },
  ])(`MessageBody scope accepts $name (${SNS_DOCS.constraints})`, ({ policy }) => {
    // Act
    const errors = validateFilterPolicy(policy, "MessageBody");
    // Assess
    expect(errors).toEqual([]);
  });
});

interface RejectCase {
  name: string;
  policy: unknown;
  scope?: "MessageAttributes" | "MessageBody";
  /** Substrings the one error sentence must contain. */
  says: string[];
}

describe("validateFilterPolicy rejects what SNS rejects", () => {
  it.each<RejectCase>([
    { name: "not JSON", policy: '{"eventType": [', says: ["not valid JSON"] },
    { name: "a JSON array", policy: '["a"]', says: ["must be a JSON object"] },
    { name: "a number", policy: 42, says: ["must be a JSON object"] },
    { name: "null", policy: null, says: ["must be a JSON object"] },
    {
      name: `six keys (${SNS_DOCS.constraints})`,
      policy: { key1: ["1"], key2: ["2"], key3: ["3"], key4: ["4"], key5: ["5"], key6: ["6"] },
      says: ["6 keys", "at most 5"],
    },
    {
      name: `six keys in one $or branch (${SNS_DOCS.constraints})`,
      policy: { a: ["1"], b: ["1"], c: ["1"], d: ["1"], $or: [{ e: ["1"], f: ["1"] }, { g: ["1"] }] },
      says: ["6 keys", "at most 5"],
    },
    {
      name: `151 values under one key, observed on AWS (${SNS_DOCS.constraints})`,
      policy: { key: values(151) },
      says: ["151 value combinations", "at most 150"],
    },
    {
      name: `100 × 51 values, observed on AWS (${SNS_DOCS.constraints})`,
      policy: { key1: values(100), key2: values(51) },
      says: ["5100 value combinations"],
    },
    {
      name: `152 combinations with $or, observed on AWS (${SNS_DOCS.andOr})`,
      policy: {
        source: values(4),
        $or: [
          { metricName: values(6) },
          { metricType: values(4), $or: [{ metricId: [1, 2, 3, 4] }, { spaceId: [1, 2, 3, 4] }] },
        ],
      },
      says: ["152 value combinations"],
    },
    {
      name: `160 nested combinations with $or, observed on AWS (${SNS_DOCS.andOr})`,
      scope: "MessageBody",
      policy: {
        $or: [{ metricName: values(3) }, { namespace: values(2) }],
        detail: { scope: values(2), $or: [{ source: values(1) }, { type: values(3) }] },
      },
      says: ["160 value combinations"],
    },
    {
      name: `216 nested combinations, observed on AWS (${SNS_DOCS.constraints})`,
      scope: "MessageBody",
      policy: { key_a: { key_b: { key_c: values(4) } }, key_d: { key_e: values(3) }, key_f: values(3) },
      says: ["216 value combinations"],
    },
    {
      name: `a nested policy in the MessageAttributes scope, observed on AWS (${SNS_DOCS.constraints})`,
      policy: { object: { key: [{ prefix: "auto-" }] } },
      says: ['key "object"', "MessageAttributes", "MessageBody"],
    },
    {
      name: `a value that is not a list, observed on AWS (${SNS_DOCS.constraints})`,
      policy: { key_a: "value_one" },
      says: ['key "key_a"', "list of match values"],
    },
    { name: "an empty list", policy: { key: [] }, says: ['key "key"', "must not be empty"] },
    {
      name: "a list inside the list, observed on AWS",
      policy: { key: [["value"]] },
      says: ['key "key"', "strings, numbers, true, false or null"],
    },
    {
      name: "an unknown operator, observed on AWS",
      policy: { key: [{ "wrong-operator": true }] },
      says: ['key "key"', '"wrong-operator" is not an operator'],
    },
    {
      name: "operators are case-sensitive",
      policy: { key: [{ Prefix: "a" }] },
      says: ['"Prefix" is not an operator'],
    },
    {
      name: "two operators in one expression, observed on AWS",
      policy: { key: [{ suffix: "value", prefix: "value2" }] },
      says: ["exactly one operator"],
    },
    { name: "an empty expression", policy: { key: [{}] }, says: ["exactly one operator"] },
    {
      name: "suffix that is a number, observed on AWS",
      policy: { key: [{ suffix: 100 }] },
      says: ["suffix must be a string"],
    },
    {
      name: "suffix that is null, observed on AWS",
      policy: { key: [{ suffix: null }] },
      says: ["suffix must be a string"],
    },
    {
      name: "suffix that is an empty list, observed on AWS",
      policy: { key: [{ suffix: [] }] },
      says: ["suffix must be a string"],
    },
    {
      name: "suffix that is a list, observed on AWS",
      policy: { key: [{ suffix: ["test", "test2"] }] },
      says: ["suffix must be a string"],
    },
    {
      name: "prefix ignoring case is not an SNS form",
      policy: { key: [{ prefix: { "equals-ignore-case": "a" } }] },
      says: ["prefix must be a string"],
    },
    {
      name: "equals-ignore-case that is a list",
      policy: { key: [{ "equals-ignore-case": ["a"] }] },
      says: ["equals-ignore-case must be a string"],
    },
    {
      name: "exists null, observed on AWS",
      policy: { key: [{ exists: null }] },
      says: ["exists must be true or false"],
    },
    {
      name: "exists as a string, observed on AWS",
      policy: { key: [{ exists: "no" }] },
      says: ["exists must be true or false"],
    },
    {
      name: "anything-but with an unknown operator, observed on AWS",
      policy: { key: [{ "anything-but": { "wrong-operator": null } }] },
      says: ['anything-but does not support "wrong-operator"'],
    },
    {
      name: "anything-but exists, observed on AWS",
      policy: { key: [{ "anything-but": { exists: false } }] },
      says: ['anything-but does not support "exists"'],
    },
    {
      name: "anything-but prefix false, observed on AWS",
      policy: { key: [{ "anything-but": { prefix: false } }] },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but empty prefix",
      policy: { key: [{ "anything-but": { prefix: "" } }] },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but equals-ignore-case is not documented for SNS",
      policy: { key: [{ "anything-but": { "equals-ignore-case": "a" } }] },
      says: ['does not support "equals-ignore-case"'],
    },
    {
      name: "anything-but prefix list is not an SNS form",
      policy: { key: [{ "anything-but": { prefix: ["a", "b"] } }] },
      says: ["anything-but prefix must be a non-empty string"],
    },
    {
      name: "anything-but null",
      policy: { key: [{ "anything-but": null }] },
      says: ["anything-but takes a string, a number"],
    },
    {
      name: "anything-but empty list",
      policy: { key: [{ "anything-but": [] }] },
      says: ["anything-but must not be an empty list"],
    },
    {
      name: "anything-but list with a boolean",
      policy: { key: [{ "anything-but": ["a", true] }] },
      says: ["only strings and numbers"],
    },
    {
      name: `numeric above 1e9 (${SNS_DOCS.constraints})`,
      policy: { eventType: [{ numeric: [">", 2e9] }] },
      says: [
        'Filter policy key "eventType": numeric values must be within -1,000,000,000 and 1,000,000,000 (got 2e9).',
      ],
    },
    {
      name: `numeric below -1e9 (${SNS_DOCS.constraints})`,
      policy: { price: [{ numeric: [">", -1000000001, "<", 0] }] },
      says: ["-1,000,000,000", "(got -1000000001)"],
    },
    {
      name: `numeric with six decimals (${SNS_DOCS.constraints})`,
      policy: { price: [{ numeric: ["=", 1.123456] }] },
      says: ["at most 5 digits after the decimal point", "1.123456"],
    },
    {
      name: "numeric empty, observed on AWS",
      policy: { key: [{ numeric: [] }] },
      says: ["numeric must not be an empty array"],
    },
    { name: "numeric not a list", policy: { key: [{ numeric: 5 }] }, says: ["numeric must be an array"] },
    {
      name: "numeric unknown operator, observed on AWS",
      policy: { key: [{ numeric: ["operator"] }] },
      says: ['numeric operator "operator" is not one of'],
    },
    {
      name: "numeric number before operator, observed on AWS",
      policy: { key: [{ numeric: [1, "<="] }] },
      says: ["numeric must start with an operator"],
    },
    {
      name: "numeric string operand, observed on AWS",
      policy: { key: [{ numeric: ["=", "000"] }] },
      says: ['numeric operator "=" must be followed by a number'],
    },
    {
      name: "numeric missing operand, observed on AWS",
      policy: { key: [{ numeric: [">="] }] },
      says: ['numeric operator ">=" must be followed by a number'],
    },
    {
      name: "numeric range starting with <, observed on AWS",
      policy: { key: [{ numeric: ["<", 100, ">", 10] }] },
      says: ['numeric range must start with ">" or ">="'],
    },
    {
      name: "numeric range with two lower bounds, observed on AWS",
      policy: { key: [{ numeric: [">=", 1, ">", 2] }] },
      says: ['upper bound must use "<" or "<="'],
    },
    {
      name: "numeric range with bounds reversed, observed on AWS",
      policy: { key: [{ numeric: [">", 3, "<", 1] }] },
      says: ["lower bound 3 must be less than upper bound 1"],
    },
    {
      name: "numeric range missing upper value, observed on AWS",
      policy: { key: [{ numeric: [">", 20, "<="] }] },
      says: ['numeric operator "<=" must be followed by a number'],
    },
    {
      name: "numeric range missing upper operator, observed on AWS",
      policy: { key: [{ numeric: [">", 20, 30] }] },
      says: ['needs "<" or "<=" after 20'],
    },
    {
      name: "numeric range with a word for operator, observed on AWS",
      policy: { key: [{ numeric: [">", 20, "test"] }] },
      says: ['upper bound must use "<" or "<="'],
    },
    {
      name: "numeric range with string bounds, observed on AWS",
      policy: { key: [{ numeric: [">", "20", "<", "30"] }] },
      says: ['numeric operator ">" must be followed by a number'],
    },
    {
      name: "numeric range with a string upper bound, observed on AWS",
      policy: { key: [{ numeric: [">", 20, "<", "30"] }] },
      says: ['numeric operator "<" must be followed by a number'],
    },
    {
      name: "numeric range with three pairs, observed on AWS",
      policy: { key: [{ numeric: [">", 20, "<", 30, "<", 50] }] },
      says: ["at most two operator/number pairs"],
    },
    { name: "cidr without a slash", policy: { ip: [{ cidr: "10.0.0.0" }] }, says: ['separated by one "/"'] },
    {
      name: "cidr with a word for mask",
      policy: { ip: [{ cidr: "10.0.0.0/xx" }] },
      says: ["integer prefix length"],
    },
    {
      name: "cidr with a bad address",
      policy: { ip: [{ cidr: "xx.11.xx/8" }] },
      says: ["standard IPv4 or IPv6 address"],
    },
    {
      name: "cidr with a mask above 32",
      policy: { ip: [{ cidr: "10.0.0.0/33" }] },
      says: ["prefix length above 32"],
    },
    {
      name: "cidr that is not a string",
      policy: { ip: [{ cidr: ["10.0.0.0/8"] }] },
      says: ["cidr must be a string"],
    },
    {
      name: "wildcard with consecutive stars",
      policy: { arn: [{ wildcard: "arn:**:x" }] },
      says: ["two consecutive"],
    },
    {
      name: "wildcard with a bad escape",
      policy: { arn: [{ wildcard: "a\\b" }] },
      says: ['"\\" before a character'],
    },
    {
      name: "wildcard that is not a string",
      policy: { arn: [{ wildcard: 123 }] },
      says: ["wildcard must be a string"],
    },
    {
      name: "a wildcard with six stars is too complex",
      policy: { arn: [{ wildcard: "*:*:*:*:*:event-bus/*" }] },
      says: ["6", "too complex"],
    },
    {
      name: "an $or alternative using operator names makes $or an ordinary key with bad values",
      policy: { $or: [{ numeric: 123 }, { prefix: "abc" }] },
      says: ['key "$or"', "numeric must be an array"],
    },
    {
      name: "an unknown scope, observed on AWS",
      policy: { a: ["b"] },
      scope: "RandomValue" as never,
      says: ['scope "RandomValue" is not valid'],
    },
    {
      name: `more than 256 KB (${SNS_DOCS.constraints})`,
      policy: { key: ["x".repeat(300 * 1024)] },
      says: ["at most 262144 bytes"],
    },
  ])("$name", ({ policy, scope, says }) => {
    // Act
    const errors = validateFilterPolicy(policy, scope);
    // Assess
    expect(errors).toHaveLength(1);
    for (const text of says) expect(errors[0]).toContain(text);
  });

  it("reports every broken key, each in its own sentence naming it", () => {
    // Prepare
    const policy = { eventType: [{ prefix: 1 }], price: [{ numeric: [">", 2e9] }], tags: [] };
    // Act
    const errors = validateFilterPolicy(policy);
    // Assess
    expect(errors).toEqual([
      'Filter policy key "eventType": prefix must be a string (got 1).',
      'Filter policy key "price": numeric values must be within -1,000,000,000 and 1,000,000,000 (got 2e9).',
      'Filter policy key "tags": the list of match values must not be empty.',
    ]);
  });

  it("names nested keys by their dotted path", () => {
    // Act
    const errors = validateFilterPolicy({ order: { total: [{ numeric: ["<"] }] } }, "MessageBody");
    // Assess
    expect(errors).toEqual([
      'Filter policy key "order.total": numeric operator "<" must be followed by a number (got nothing).',
    ]);
  });

  it("gives the same answer for a policy as text and as an object", () => {
    // Prepare
    const policy = { eventType: [{ suffix: 5 }] };
    // Act
    const fromObject = validateFilterPolicy(policy);
    const fromText = validateFilterPolicy(JSON.stringify(policy));
    // Assess
    expect(fromText).toEqual(fromObject);
  });
});
