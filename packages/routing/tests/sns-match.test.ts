import { describe, expect, it } from "vitest";
import { compileFilterPolicy, matchesFilterPolicy, type SnsMessageAttributes } from "../src/index";
import { attributes, SNS_DOCS } from "./helpers";

interface AttributeCase {
  name: string;
  policy: unknown;
  message: SnsMessageAttributes | unknown;
  expected: boolean;
}

function attributeCases(source: string, cases: AttributeCase[]): AttributeCase[] {
  return cases.map((c) => ({ ...c, name: `${c.name} (${source})` }));
}

describe("SNS filter policy, MessageAttributes scope", () => {
  describe.each([
    {
      topic: "exact string matching",
      cases: attributeCases(SNS_DOCS.stringMatching, [
        {
          name: "String equal to a listed value",
          policy: { customer_interests: ["rugby", "tennis"] },
          message: attributes({ customer_interests: "rugby" }),
          expected: true,
        },
        {
          name: "String equal to the other listed value",
          policy: { customer_interests: ["rugby", "tennis"] },
          message: attributes({ customer_interests: "tennis" }),
          expected: true,
        },
        {
          name: "String.Array sharing an element",
          policy: { customer_interests: ["rugby", "tennis"] },
          message: attributes({ customer_interests: ["rugby", "tennis"] }),
          expected: true,
        },
        {
          name: "String not listed",
          policy: { customer_interests: ["rugby", "tennis"] },
          message: attributes({ customer_interests: "baseball" }),
          expected: false,
        },
        {
          name: "String.Array with no listed element",
          policy: { customer_interests: ["rugby", "tennis"] },
          message: attributes({ customer_interests: ["baseball"] }),
          expected: false,
        },
        {
          name: "comparison is case-sensitive",
          policy: { customer_interests: ["rugby"] },
          message: attributes({ customer_interests: "Rugby" }),
          expected: false,
        },
      ]),
    },
    {
      topic: "anything-but",
      cases: attributeCases(SNS_DOCS.stringMatching, [
        {
          name: "value outside the list",
          policy: { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
          message: attributes({ customer_interests: "baseball" }),
          expected: true,
        },
        {
          name: "another value outside the list",
          policy: { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
          message: attributes({ customer_interests: "football" }),
          expected: true,
        },
        {
          name: "String.Array with one element outside the list",
          policy: { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
          message: attributes({ customer_interests: ["rugby", "baseball"] }),
          expected: true,
        },
        {
          name: "value in the list",
          policy: { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "prefix: other prefix",
          policy: { event: [{ "anything-but": { prefix: "order-" } }] },
          message: attributes({ event: "data-entry" }),
          expected: true,
        },
        {
          name: "prefix: near miss",
          policy: { event: [{ "anything-but": { prefix: "order-" } }] },
          message: attributes({ event: "order_number" }),
          expected: true,
        },
        {
          name: "prefix: excluded prefix",
          policy: { event: [{ "anything-but": { prefix: "order-" } }] },
          message: attributes({ event: "order-cancelled" }),
          expected: false,
        },
        {
          name: "suffix: excluded suffix",
          policy: { event: [{ "anything-but": { suffix: "-cancelled" } }] },
          message: attributes({ event: "order-cancelled" }),
          expected: false,
        },
        {
          name: "suffix: other suffix",
          policy: { event: [{ "anything-but": { suffix: "-cancelled" } }] },
          message: attributes({ event: "order-placed" }),
          expected: true,
        },
        {
          name: "single value",
          policy: { event: [{ "anything-but": "order_cancelled" }] },
          message: attributes({ event: "order_placed" }),
          expected: true,
        },
        {
          name: "absent key never matches",
          policy: { event: [{ "anything-but": "order_cancelled" }] },
          message: attributes({ store: "example_corp" }),
          expected: false,
        },
      ]),
    },
    {
      topic: "prefix, suffix, equals-ignore-case, wildcard",
      cases: attributeCases(SNS_DOCS.stringMatching, [
        {
          name: "prefix matches baseball",
          policy: { customer_interests: [{ prefix: "bas" }] },
          message: attributes({ customer_interests: "baseball" }),
          expected: true,
        },
        {
          name: "prefix matches basketball",
          policy: { customer_interests: [{ prefix: "bas" }] },
          message: attributes({ customer_interests: "basketball" }),
          expected: true,
        },
        {
          name: "prefix rejects rugby",
          policy: { customer_interests: [{ prefix: "bas" }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "suffix matches baseball",
          policy: { customer_interests: [{ suffix: "ball" }] },
          message: attributes({ customer_interests: "baseball" }),
          expected: true,
        },
        {
          name: "suffix rejects rugby",
          policy: { customer_interests: [{ suffix: "ball" }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "equals-ignore-case matches other casing",
          policy: { customer_interests: [{ "equals-ignore-case": "tennis" }] },
          message: attributes({ customer_interests: "TeNnis" }),
          expected: true,
        },
        {
          name: "equals-ignore-case rejects other word",
          policy: { customer_interests: [{ "equals-ignore-case": "tennis" }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "wildcard matches",
          policy: { customer_interests: [{ wildcard: "*ball" }] },
          message: attributes({ customer_interests: "basketball" }),
          expected: true,
        },
        {
          name: "wildcard rejects",
          policy: { customer_interests: [{ wildcard: "*ball" }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "prefix does not apply to Number attributes",
          policy: { price: [{ prefix: "1" }] },
          message: attributes({ price: 100 }),
          expected: false,
        },
      ]),
    },
    {
      topic: "IP address matching",
      cases: attributeCases(SNS_DOCS.stringMatching, [
        {
          name: "network address",
          policy: { source_ip: [{ cidr: "10.0.0.0/24" }] },
          message: attributes({ source_ip: "10.0.0.0" }),
          expected: true,
        },
        {
          name: "broadcast address",
          policy: { source_ip: [{ cidr: "10.0.0.0/24" }] },
          message: attributes({ source_ip: "10.0.0.255" }),
          expected: true,
        },
        {
          name: "outside the block",
          policy: { source_ip: [{ cidr: "10.0.0.0/24" }] },
          message: attributes({ source_ip: "10.1.1.0" }),
          expected: false,
        },
        {
          name: "IPv6 inside the block",
          policy: { source_ip: [{ cidr: "2001:db8::/32" }] },
          message: attributes({ source_ip: "2001:db8::1" }),
          expected: true,
        },
        {
          name: "not an IP address",
          policy: { source_ip: [{ cidr: "10.0.0.0/24" }] },
          message: attributes({ source_ip: "example.com" }),
          expected: false,
        },
      ]),
    },
    {
      topic: "numeric matching",
      cases: attributeCases(SNS_DOCS.numericMatching, [
        {
          name: "= with the same number",
          policy: { price_usd: [{ numeric: ["=", 301.5] }] },
          message: attributes({ price_usd: 301.5 }),
          expected: true,
        },
        {
          name: "= with exponent notation",
          policy: { price_usd: [{ numeric: ["=", 301.5] }] },
          message: { price_usd: { DataType: "Number", StringValue: "3.015e2" } },
          expected: true,
        },
        {
          name: "= with another number",
          policy: { price_usd: [{ numeric: ["=", 301.5] }] },
          message: attributes({ price_usd: 300 }),
          expected: false,
        },
        {
          name: "anything-but numbers, other value",
          policy: { price_usd: [{ "anything-but": [100, 500] }] },
          message: attributes({ price_usd: 275 }),
          expected: true,
        },
        {
          name: "anything-but numbers, excluded value",
          policy: { price_usd: [{ "anything-but": [100, 500] }] },
          message: attributes({ price_usd: 100 }),
          expected: false,
        },
        {
          name: "range, inside",
          policy: { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
          message: attributes({ price_usd: 100 }),
          expected: true,
        },
        {
          name: "range, upper bound included",
          policy: { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
          message: attributes({ price_usd: 150 }),
          expected: true,
        },
        {
          name: "range, lower bound excluded",
          policy: { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
          message: attributes({ price_usd: 0 }),
          expected: false,
        },
        {
          name: "range, above",
          policy: { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
          message: attributes({ price_usd: 500 }),
          expected: false,
        },
        {
          name: "< below",
          policy: { price_usd: [{ numeric: ["<", 100] }] },
          message: attributes({ price_usd: 99.99 }),
          expected: true,
        },
        {
          name: ">= at the bound",
          policy: { price_usd: [{ numeric: [">=", 100] }] },
          message: attributes({ price_usd: 100 }),
          expected: true,
        },
        {
          name: "exact number matches a Number attribute",
          policy: { price_usd: [100] },
          message: attributes({ price_usd: 100 }),
          expected: true,
        },
        {
          name: "exact number against a Number written 100.0",
          policy: { price_usd: [100] },
          message: { price_usd: { DataType: "Number", StringValue: "100.0" } },
          expected: true,
        },
        {
          name: "numeric does not match a String attribute that looks like a number",
          policy: { price_usd: [{ numeric: [">", 0] }] },
          message: attributes({ price_usd: "301.5" }),
          expected: false,
        },
        {
          name: "exact number does not match a String attribute",
          policy: { price_usd: [100] },
          message: attributes({ price_usd: "100" }),
          expected: false,
        },
        {
          name: "exact string does not match a Number attribute",
          policy: { price_usd: ["100"] },
          message: attributes({ price_usd: 100 }),
          expected: false,
        },
        {
          name: "custom Number.float type compares as a number",
          policy: { price_usd: [{ numeric: [">", 1] }] },
          message: { price_usd: { DataType: "Number.float", StringValue: "1.5" } },
          expected: true,
        },
        {
          name: "numbers inside a String.Array",
          policy: { sizes: [{ numeric: [">", 5] }] },
          message: attributes({ sizes: [1, 10] }),
          expected: true,
        },
      ]),
    },
    {
      topic: "key matching (exists)",
      cases: attributeCases(SNS_DOCS.keyMatching, [
        {
          name: "exists:true, key present",
          policy: { store: [{ exists: true }] },
          message: attributes({ store: "fans", customer_interests: ["baseball", "basketball"] }),
          expected: true,
        },
        {
          name: "exists:true, key absent",
          policy: { store: [{ exists: true }] },
          message: attributes({ customer_interests: ["baseball", "basketball"] }),
          expected: false,
        },
        {
          name: "exists:false, key present",
          policy: { store: [{ exists: false }] },
          message: attributes({ store: "fans", customer_interests: ["baseball", "basketball"] }),
          expected: false,
        },
        {
          name: "exists:false, key absent but another attribute present",
          policy: { store: [{ exists: false }] },
          message: attributes({ customer_interests: ["baseball", "basketball"] }),
          expected: true,
        },
        {
          name: "exists:false with no attributes at all never matches",
          policy: { store: [{ exists: false }] },
          message: {},
          expected: false,
        },
        {
          name: "exists:true on a Number attribute",
          policy: { store: [{ exists: true }] },
          message: attributes({ store: 99, def: 99 }),
          expected: true,
        },
      ]),
    },
    {
      topic: "AND / OR logic",
      cases: attributeCases(SNS_DOCS.andOr, [
        {
          name: "AND: both keys match",
          policy: { customer_interests: ["rugby"], price_usd: [{ numeric: [">", 100] }] },
          message: attributes({ customer_interests: "rugby", price_usd: 110 }),
          expected: true,
        },
        {
          name: "AND: one key fails",
          policy: { customer_interests: ["rugby"], price_usd: [{ numeric: [">", 100] }] },
          message: attributes({ customer_interests: "rugby", price_usd: 90 }),
          expected: false,
        },
        {
          name: "AND: one key absent",
          policy: { customer_interests: ["rugby"], price_usd: [{ numeric: [">", 100] }] },
          message: attributes({ customer_interests: "rugby" }),
          expected: false,
        },
        {
          name: "OR within a key's values",
          policy: { customer_interests: ["rugby", "football", "baseball"] },
          message: attributes({ customer_interests: "football" }),
          expected: true,
        },
        {
          name: "$or: first alternative",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          },
          message: attributes({ source: "aws.cloudwatch", metricName: "CPUUtilization" }),
          expected: true,
        },
        {
          name: "$or: second alternative",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          },
          message: attributes({ source: "aws.cloudwatch", namespace: "AWS/EC2" }),
          expected: true,
        },
        {
          name: "$or: no alternative",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          },
          message: attributes({ source: "aws.cloudwatch", namespace: "AWS/ES" }),
          expected: false,
        },
        {
          name: "$or: alternatives match but the shared key does not",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          },
          message: attributes({ source: "aws.events", metricName: "CPUUtilization" }),
          expected: false,
        },
        {
          name: "nested $or: innermost alternative",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [
              { metricName: ["CPUUtilization", "ReadLatency"] },
              {
                metricType: ["MetricType"],
                $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }],
              },
            ],
          },
          message: attributes({ source: "aws.cloudwatch", metricType: "MetricType", spaceId: 2000 }),
          expected: true,
        },
        {
          name: "nested $or: inner alternative without its sibling key",
          policy: {
            source: ["aws.cloudwatch"],
            $or: [
              { metricName: ["CPUUtilization", "ReadLatency"] },
              {
                metricType: ["MetricType"],
                $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }],
              },
            ],
          },
          message: attributes({ source: "aws.cloudwatch", spaceId: 2000 }),
          expected: false,
        },
        {
          name: "$or holding plain values is an ordinary key named $or",
          policy: { $or: ["x", "y"] },
          message: attributes({ $or: "y" }),
          expected: true,
        },
        {
          name: "$or with a single object is not an OR",
          policy: { $or: [{ metricName: ["CPUUtilization"] }] },
          message: attributes({ metricName: "CPUUtilization" }),
          expected: false,
        },
      ]),
    },
    {
      topic: "the example message and policy",
      cases: attributeCases(SNS_DOCS.examples, [
        {
          name: "accepted",
          policy: {
            store: ["example_corp"],
            event: [{ "anything-but": "order_cancelled" }],
            customer_interests: ["rugby", "football", "baseball"],
            price_usd: [{ numeric: [">=", 100] }],
          },
          message: attributes({
            customer_interests: ["soccer", "rugby", "hockey"],
            store: "example_corp",
            event: "order_placed",
            price_usd: 210.75,
          }),
          expected: true,
        },
        {
          name: "rejected: cancelled order",
          policy: {
            store: ["example_corp"],
            event: [{ "anything-but": "order_cancelled" }],
            customer_interests: ["rugby", "football", "baseball"],
            price_usd: [{ numeric: [">=", 100] }],
          },
          message: attributes({
            customer_interests: ["soccer", "rugby", "hockey"],
            store: "example_corp",
            event: "order_cancelled",
            price_usd: 210.75,
          }),
          expected: false,
        },
        {
          name: "rejected: no shared interest",
          policy: {
            store: ["example_corp"],
            event: [{ "anything-but": "order_cancelled" }],
            customer_interests: ["rugby", "football", "baseball"],
            price_usd: [{ numeric: [">=", 100] }],
          },
          message: attributes({
            customer_interests: ["soccer", "hockey"],
            store: "example_corp",
            event: "order_placed",
            price_usd: 210.75,
          }),
          expected: false,
        },
        {
          name: "rejected: price below the range",
          policy: {
            store: ["example_corp"],
            event: [{ "anything-but": "order_cancelled" }],
            customer_interests: ["rugby", "football", "baseball"],
            price_usd: [{ numeric: [">=", 100] }],
          },
          message: attributes({
            customer_interests: ["rugby"],
            store: "example_corp",
            event: "order_placed",
            price_usd: 99.5,
          }),
          expected: false,
        },
        {
          name: "attributes in the delivered {Type, Value} shape",
          policy: { store: ["example_corp"], price_usd: [{ numeric: [">=", 100] }] },
          message: {
            store: { Type: "String", Value: "example_corp" },
            price_usd: { Type: "Number", Value: "210.75" },
          },
          expected: true,
        },
      ]),
    },
    {
      topic: "edge cases",
      cases: attributeCases(SNS_DOCS.constraints, [
        {
          name: "policy given as JSON text",
          policy: '{"eventType":["ORDER_CREATED"]}',
          message: attributes({ eventType: "ORDER_CREATED" }),
          expected: true,
        },
        {
          name: "policy that is not JSON never matches",
          policy: '{"eventType":',
          message: attributes({ eventType: "ORDER_CREATED" }),
          expected: false,
        },
        {
          name: "policy that is a JSON array never matches",
          policy: '["ORDER_CREATED"]',
          message: attributes({ eventType: "ORDER_CREATED" }),
          expected: false,
        },
        {
          name: "policy with an unknown operator never matches",
          policy: { eventType: [{ "starts-with": "ORDER" }] },
          message: attributes({ eventType: "ORDER_CREATED" }),
          expected: false,
        },
        {
          name: "nested policy is refused in this scope, so matches nothing",
          policy: { order: { type: ["x"] } },
          message: attributes({ order: "x" }),
          expected: false,
        },
        {
          name: "Binary attributes are ignored",
          policy: { image: [{ exists: true }] },
          message: { image: { DataType: "Binary", BinaryValue: "AAEC" } },
          expected: false,
        },
        {
          name: "custom String.x types compare as strings",
          policy: { kind: ["a"] },
          message: { kind: { DataType: "String.kind", StringValue: "a" } },
          expected: true,
        },
        {
          name: "String.Array that is not JSON carries no value",
          policy: { tags: ["a"] },
          message: { tags: { DataType: "String.Array", StringValue: "[a, b" } },
          expected: false,
        },
        {
          name: "null in the policy with no attributes, observed on AWS",
          policy: { attr1: [null, { "anything-but": "whatever" }] },
          message: {},
          expected: false,
        },
        {
          name: "input that is not a map never matches",
          policy: { eventType: ["ORDER_CREATED"] },
          message: "ORDER_CREATED",
          expected: false,
        },
        {
          name: "an empty policy accepts every message",
          policy: {},
          message: attributes({ any: "thing" }),
          expected: true,
        },
        {
          name: "attribute names containing dots",
          policy: { "order.type": ["x"] },
          message: attributes({ "order.type": "x" }),
          expected: true,
        },
      ]),
    },
  ])("$topic", ({ cases }) => {
    it.each(cases)("$name", ({ policy, message, expected }) => {
      // Prepare: policy and message come from the case.
      // Act
      const matched = matchesFilterPolicy(policy, message);
      // Assess
      expect(matched).toBe(expected);
    });
  });
});

interface BodyCase {
  name: string;
  policy: unknown;
  body: unknown;
  expected: boolean;
}

const PAYLOAD_POLICY = {
  object: { key: [{ prefix: "auto-" }, "hardcodedvalue"], nested_key: [{ exists: false }] },
  test: [{ exists: false }],
};

const S3_RECORDS_POLICY = {
  Records: { s3: { object: { key: [{ prefix: "auto-" }] } }, eventName: [{ prefix: "ObjectCreated:" }] },
};

const NESTED_OR_POLICY = {
  $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
  detail: {
    scope: ["Service"],
    $or: [{ source: ["aws.cloudwatch"] }, { type: ["CloudWatch Alarm State Change"] }],
  },
};

const json = (value: unknown): string => JSON.stringify(value);

describe("SNS filter policy, MessageBody scope", () => {
  it.each<BodyCase>([
    {
      name: `example body accepted (${SNS_DOCS.examples})`,
      policy: {
        store: ["example_corp"],
        event: [{ "anything-but": "order_cancelled" }],
        customer_interests: ["rugby", "football", "baseball"],
        price_usd: [{ numeric: [">=", 100] }],
      },
      body: json({
        store: "example_corp",
        event: "order_placed",
        customer_interests: ["soccer", "rugby", "hockey"],
        price_usd: 210.75,
      }),
      expected: true,
    },
    {
      name: `exact string in a body (${SNS_DOCS.stringMatching})`,
      policy: { customer_interests: ["rugby", "tennis"] },
      body: json({ customer_interests: "tennis" }),
      expected: true,
    },
    {
      name: `exact string rejected in a body (${SNS_DOCS.stringMatching})`,
      policy: { customer_interests: ["rugby", "tennis"] },
      body: json({ customer_interests: "baseball" }),
      expected: false,
    },
    {
      name: `numeric = with exponent notation (${SNS_DOCS.numericMatching})`,
      policy: { price_usd: [{ numeric: ["=", 301.5] }] },
      body: '{"price_usd": 3.015e2}',
      expected: true,
    },
    {
      name: `numeric does not match a JSON string (${SNS_DOCS.numericMatching})`,
      policy: { price_usd: [{ numeric: [">=", 100] }] },
      body: json({ price_usd: "210.75" }),
      expected: false,
    },
    {
      name: `exists:true, key present (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }] },
      body: json({ store: "fans", customer_interests: ["baseball", "basketball"] }),
      expected: true,
    },
    {
      name: `exists:true, key absent (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }] },
      body: json({ customer_interests: ["baseball", "basketball"] }),
      expected: false,
    },
    {
      name: `exists:true needs a non-null value (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }] },
      body: json({ store: null }),
      expected: false,
    },
    {
      name: `exists:true needs a non-empty value (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }] },
      body: json({ store: "" }),
      expected: false,
    },
    {
      name: `exists:false, key absent (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: false }] },
      body: json({ customer_interests: ["baseball", "basketball"] }),
      expected: true,
    },
    {
      name: `exists:false, key present (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: false }] },
      body: json({ store: "fans" }),
      expected: false,
    },
    {
      name: `exists works on leaves only: an object is not a value (${SNS_DOCS.keyMatching})`,
      policy: { store: [{ exists: true }] },
      body: json({ store: { name: "fans" } }),
      expected: false,
    },
    {
      name: `nested prefix (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { key: "auto-test" } }),
      expected: true,
    },
    {
      name: `nested exact value (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { key: "hardcodedvalue" } }),
      expected: true,
    },
    {
      name: `nested prefix rejected (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { key: "test-auto" } }),
      expected: false,
    },
    {
      name: `exists:false on a top-level key that exists (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { key: "auto-test" }, test: "just-exists" }),
      expected: false,
    },
    {
      name: `exists:false on a nested key that exists (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { key: "auto-test", nested_key: "just-exists" } }),
      expected: false,
    },
    {
      name: `nested key missing (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ object: { test: "auto-test" } }),
      expected: false,
    },
    {
      name: `parent key missing (${SNS_DOCS.payloadBlog})`,
      policy: PAYLOAD_POLICY,
      body: json({ test: "auto-test" }),
      expected: false,
    },
    {
      name: `array in the body matches any element (${SNS_DOCS.scope})`,
      policy: { headers: { "route-to": ["queue1"] } },
      body: json({ headers: { "route-to": ["queue1", "queue2"] } }),
      expected: true,
    },
    {
      name: `array in the body with no matching element (${SNS_DOCS.scope})`,
      policy: { headers: { "route-to": ["queue1"] } },
      body: json({ headers: { "route-to": ["queue3"] } }),
      expected: false,
    },
    {
      name: `array of objects: S3 event created with auto- key (${SNS_DOCS.payloadBlog})`,
      policy: S3_RECORDS_POLICY,
      body: json({
        Records: [{ eventName: "ObjectCreated:Put", s3: { object: { key: "auto-insurance-2314.xml" } } }],
      }),
      expected: true,
    },
    {
      name: `array of objects: removed object rejected (${SNS_DOCS.payloadBlog})`,
      policy: S3_RECORDS_POLICY,
      body: json({
        Records: [{ eventName: "ObjectRemoved:Delete", s3: { object: { key: "auto-insurance-2314.xml" } } }],
      }),
      expected: false,
    },
    {
      name: `array of objects: other key rejected (${SNS_DOCS.payloadBlog})`,
      policy: S3_RECORDS_POLICY,
      body: json({
        Records: [{ eventName: "ObjectCreated:Put", s3: { object: { key: "home-insurance-2314.xml" } } }],
      }),
      expected: false,
    },
    {
      name: `array of arrays of objects, observed on AWS (${SNS_DOCS.payloadBlog})`,
      policy: S3_RECORDS_POLICY,
      body: json({
        Records: [
          { eventName: "ObjectCreated:Put", s3: { object: [[{ key: "auto-insurance-2314.xml" }]] } },
          { eventName: "ObjectRemoved:Delete", s3: { object: { key: "home-insurance-2314.xml" } } },
        ],
      }),
      expected: true,
    },
    {
      name: `fields must come from the same array element (${SNS_DOCS.payloadBlog})`,
      policy: S3_RECORDS_POLICY,
      body: json({
        Records: [
          { eventName: "ObjectCreated:Put", s3: { object: { key: "home.xml" } } },
          { eventName: "ObjectRemoved:Delete", s3: { object: { key: "auto-1.xml" } } },
        ],
      }),
      expected: false,
    },
    {
      name: `a dotted policy key matches nested properties, observed on AWS (${SNS_DOCS.scope})`,
      policy: { "object.nested": ["string.value"] },
      body: json({ object: { nested: "string.value" } }),
      expected: true,
    },
    {
      name: `a dotted policy key matches a dotted property, observed on AWS (${SNS_DOCS.scope})`,
      policy: { "object.nested": ["string.value"] },
      body: json({ "object.nested": "string.value" }),
      expected: true,
    },
    {
      name: `nested $or: first alternatives (${SNS_DOCS.andOr})`,
      policy: NESTED_OR_POLICY,
      body: json({ metricName: "CPUUtilization", detail: { scope: "Service", source: "aws.cloudwatch" } }),
      expected: true,
    },
    {
      name: `nested $or: second alternatives (${SNS_DOCS.andOr})`,
      policy: NESTED_OR_POLICY,
      body: json({
        namespace: "AWS/ES",
        detail: { scope: "Service", type: "CloudWatch Alarm State Change" },
      }),
      expected: true,
    },
    {
      name: `nested $or: wrong detail.type (${SNS_DOCS.andOr})`,
      policy: NESTED_OR_POLICY,
      body: json({ metricName: "CPUUtilization", detail: { scope: "Service", type: "CPUUtilization" } }),
      expected: false,
    },
    {
      name: `nested $or: detail.scope missing (${SNS_DOCS.andOr})`,
      policy: NESTED_OR_POLICY,
      body: json({ metricName: "CPUUtilization", detail: { type: "CloudWatch Alarm State Change" } }),
      expected: false,
    },
    {
      name: `nested $or: value in the wrong key (${SNS_DOCS.andOr})`,
      policy: NESTED_OR_POLICY,
      body: json({
        metricName: "AWS/EC2",
        detail: { scope: "Service", type: "CloudWatch Alarm State Change" },
      }),
      expected: false,
    },
    {
      name: `body that is not JSON never matches (${SNS_DOCS.scope})`,
      policy: { a: [{ exists: false }] },
      body: "Regular string message",
      expected: false,
    },
    {
      name: `body that is a JSON string never matches (${SNS_DOCS.scope})`,
      policy: { a: [{ exists: false }] },
      body: json("Regular string message"),
      expected: false,
    },
    {
      name: `body that is a JSON array never matches (${SNS_DOCS.scope})`,
      policy: { a: [{ exists: false }] },
      body: json([{ a: 1 }]),
      expected: false,
    },
    {
      name: `booleans compare as JSON booleans (${SNS_DOCS.constraints})`,
      policy: { paid: [true] },
      body: json({ paid: true }),
      expected: true,
    },
    {
      name: `the string "true" is not the boolean (${SNS_DOCS.constraints})`,
      policy: { paid: [true] },
      body: json({ paid: "true" }),
      expected: false,
    },
    {
      name: `null matches null (${SNS_DOCS.constraints})`,
      policy: { coupon: [null] },
      body: json({ coupon: null }),
      expected: true,
    },
  ])("$name", ({ policy, body, expected }) => {
    // Act
    const matched = matchesFilterPolicy(policy, body, "MessageBody");
    // Assess
    expect(matched).toBe(expected);
  });
});

describe("compileFilterPolicy", () => {
  it("returns the cached predicate for the same policy text, so per-message calls do not re-parse", () => {
    // Prepare
    const policy = '{"eventType":["ORDER_CREATED"]}';
    // Act
    const first = compileFilterPolicy(policy);
    const second = compileFilterPolicy(policy);
    // Assess
    expect(second).toBe(first);
    expect(first(attributes({ eventType: "ORDER_CREATED" }))).toBe(true);
  });

  it("keeps scopes apart for the same policy", () => {
    // Prepare
    const policy = { eventType: ["ORDER_CREATED"] };
    // Act
    const byAttributes = compileFilterPolicy(policy, "MessageAttributes");
    const byBody = compileFilterPolicy(policy, "MessageBody");
    // Assess
    expect(byAttributes(attributes({ eventType: "ORDER_CREATED" }))).toBe(true);
    expect(byBody(json({ eventType: "ORDER_CREATED" }))).toBe(true);
    expect(byBody(attributes({ eventType: "ORDER_CREATED" }))).toBe(false);
  });

  it.each([
    { name: "an unknown scope", scope: "Body" },
    { name: "a non-string scope", scope: 3 },
  ])("matches nothing for $name instead of throwing", ({ scope }) => {
    // Act
    const predicate = compileFilterPolicy({ a: ["b"] }, scope as never);
    // Assess
    expect(predicate(attributes({ a: "b" }))).toBe(false);
  });
});
