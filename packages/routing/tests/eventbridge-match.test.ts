import { describe, expect, it } from "vitest";
import { compileEventPattern, matchesEventPattern } from "../src/index";
import { EB_DOCS } from "./helpers";

interface EventCase {
  name: string;
  pattern: unknown;
  event: unknown;
  expected: boolean;
}

/** The envelope every EventBridge event carries; cases add `detail` and other fields. */
function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    source: "aws.ec2",
    account: "111122223333",
    time: "2017-12-22T18:43:48Z",
    region: "us-west-1",
    resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    ...fields,
  };
}

function cases(source: string, list: EventCase[]): EventCase[] {
  return list.map((c) => ({ ...c, name: `${c.name} (${source})` }));
}

const EC2_RUNNING = event({ detail: { "instance-id": "i-1234567890abcdef0", state: "running" } });
const AUTOSCALING = event({
  source: "aws.autoscaling",
  resources: [],
  detail: { eventVersion: "", responseElements: null },
});
const RULER_EVENT = event({
  time: "2017-10-02T16:24:49Z",
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
  },
});
const COMPLEX_PATTERN = {
  time: [{ prefix: "2017-10-02" }],
  detail: {
    state: [{ "anything-but": "initializing" }],
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ "anything-but": [100, 200, 300] }],
    "source-ip": [{ cidr: "10.0.0.0/8" }],
  },
};
const EMPLOYEES = {
  employees: [
    { firstName: "John", lastName: "Doe" },
    { firstName: "Anna", lastName: "Smith" },
    { firstName: "Peter", lastName: "Jones" },
  ],
};

describe.each([
  {
    topic: "event patterns",
    cases: cases(EB_DOCS.patterns, [
      {
        name: "source, detail-type and detail.state",
        pattern: {
          source: ["aws.ec2"],
          "detail-type": ["EC2 Instance State-change Notification"],
          detail: { state: ["running"] },
        },
        event: EC2_RUNNING,
        expected: true,
      },
      {
        name: "one value of several",
        pattern: { detail: { state: ["pending", "running"] } },
        event: EC2_RUNNING,
        expected: true,
      },
      {
        name: "value not listed",
        pattern: { detail: { state: ["terminated"] } },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "a field the event lacks",
        pattern: { detail: { reason: ["manual"] } },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "field names are case-sensitive",
        pattern: { Source: ["aws.ec2"] },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "values are case-sensitive",
        pattern: { source: ["AWS.EC2"] },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "the nesting must be the same",
        pattern: { state: ["running"] },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "detail given as JSON text is not an object",
        pattern: { detail: { "my-key": ["my-value"] } },
        event: event({ detail: '{"my-key": "my-value"}' }),
        expected: false,
      },
      { name: "an empty pattern matches every event", pattern: {}, event: EC2_RUNNING, expected: true },
      {
        name: "[300] matches 300.0 (observed on AWS, contradicting the page)",
        pattern: { number: [300] },
        event: JSON.parse('{"number": 300.0}'),
        expected: true,
      },
      {
        name: "[300] matches 3.0e2",
        pattern: { number: [300] },
        event: JSON.parse('{"number": 3.0e2}'),
        expected: true,
      },
      {
        name: "a number does not match its string",
        pattern: { number: [300] },
        event: { number: "300" },
        expected: false,
      },
      {
        name: "booleans match booleans",
        pattern: { boolean: [false] },
        event: { boolean: false },
        expected: true,
      },
      {
        name: "a boolean does not match its string",
        pattern: { boolean: [false] },
        event: { boolean: "false" },
        expected: false,
      },
    ]),
  },
  {
    topic: "arrays",
    cases: cases(EB_DOCS.arrays, [
      {
        name: "event array intersecting the pattern",
        pattern: {
          resources: [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
          ],
        },
        event: event({
          resources: [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
          ],
        }),
        expected: true,
      },
      {
        name: "event array not intersecting",
        pattern: { resources: ["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"] },
        event: event({ resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] }),
        expected: false,
      },
      {
        name: "empty event array does not match null",
        pattern: { resources: [null] },
        event: event({ resources: [] }),
        expected: false,
      },
      {
        name: "objects inside arrays are crossed",
        pattern: { employees: { firstName: ["Anna"] } },
        event: EMPLOYEES,
        expected: true,
      },
      {
        name: "fields from the same element",
        pattern: { employees: { firstName: ["Anna"], lastName: ["Smith"] } },
        event: EMPLOYEES,
        expected: true,
      },
      {
        name: "fields from different elements do not match",
        pattern: { employees: { firstName: ["Anna"], lastName: ["Jones"] } },
        event: EMPLOYEES,
        expected: false,
      },
      {
        name: "multi-level arrays",
        pattern: { employees: { firstName: ["Peter"] } },
        event: { employees: [[{ firstName: "John" }], [{ firstName: "Peter" }]] },
        expected: true,
      },
      {
        name: "exists:true on a key in one element of a list",
        pattern: { detail: { automations: { id: [{ exists: true }] } } },
        event: event({
          detail: { automations: [{ key1: "value1" }, { id: "match-does-exist" }, { key2: "value2" }] },
        }),
        expected: true,
      },
    ]),
  },
  {
    topic: "null values and empty strings",
    cases: cases(EB_DOCS.nullValues, [
      {
        name: "empty string",
        pattern: { detail: { eventVersion: [""] } },
        event: AUTOSCALING,
        expected: true,
      },
      { name: "null", pattern: { detail: { responseElements: [null] } }, event: AUTOSCALING, expected: true },
      {
        name: "empty string does not match null",
        pattern: { detail: { responseElements: [""] } },
        event: AUTOSCALING,
        expected: false,
      },
      {
        name: "null does not match empty string",
        pattern: { detail: { eventVersion: [null] } },
        event: AUTOSCALING,
        expected: false,
      },
      {
        name: "null does not match the string null",
        pattern: { detail: { responseElements: [null] } },
        event: event({ detail: { responseElements: "null" } }),
        expected: false,
      },
      {
        name: "exists:true on an empty array",
        pattern: { resources: [{ exists: true }] },
        event: AUTOSCALING,
        expected: false,
      },
    ]),
  },
  {
    topic: "comparison operators",
    cases: cases(EB_DOCS.operators, [
      {
        name: "anything-but, other value",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: EC2_RUNNING,
        expected: true,
      },
      {
        name: "anything-but, excluded value",
        pattern: { detail: { state: [{ "anything-but": "running" }] } },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "anything-but matches null (observed on AWS)",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: event({ detail: { state: null } }),
        expected: true,
      },
      {
        name: "anything-but needs the field",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: event({ detail: {} }),
        expected: false,
      },
      {
        name: "anything-but a list of strings",
        pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
        event: event({ detail: { state: "stopped" } }),
        expected: false,
      },
      {
        name: "anything-but numbers, excluded",
        pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
        event: event({ detail: { "x-limit": 300 } }),
        expected: false,
      },
      {
        name: "anything-but numbers, other",
        pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
        event: event({ detail: { "x-limit": 301 } }),
        expected: true,
      },
      {
        name: "anything-but 0",
        pattern: { detail: { "x-limit": [{ "anything-but": 0 }] } },
        event: event({ detail: { "x-limit": 789 } }),
        expected: true,
      },
      {
        name: "anything-but a string does not exclude the number",
        pattern: { detail: { n: [{ "anything-but": "101" }] } },
        event: event({ detail: { n: 101 } }),
        expected: true,
      },
      {
        name: "anything-but prefix, not in the US",
        pattern: { Region: [{ "anything-but": { prefix: "us-" } }] },
        event: { Region: "eu-west-1" },
        expected: true,
      },
      {
        name: "anything-but prefix, in the US",
        pattern: { Region: [{ "anything-but": { prefix: "us-" } }] },
        event: { Region: "us-east-1" },
        expected: false,
      },
      {
        name: "anything-but prefix matches a number",
        pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
        event: event({ detail: { state: 12 } }),
        expected: true,
      },
      {
        name: "anything-but prefix matches null",
        pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
        event: event({ detail: { state: null } }),
        expected: true,
      },
      {
        name: "anything-but prefix list",
        pattern: { detail: { state: [{ "anything-but": { prefix: ["init", "test"] } }] } },
        event: event({ detail: { state: "testing" } }),
        expected: false,
      },
      {
        name: "anything-but suffix, other extension",
        pattern: { FileName: [{ "anything-but": { suffix: ".png" } }] },
        event: { FileName: "photo.jpg" },
        expected: true,
      },
      {
        name: "anything-but suffix, excluded extension",
        pattern: { FileName: [{ "anything-but": { suffix: ".png" } }] },
        event: { FileName: "photo.png" },
        expected: false,
      },
      {
        name: "anything-but equals-ignore-case, other casing excluded",
        pattern: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
        event: { state: "INITIALIZING" },
        expected: false,
      },
      {
        name: "anything-but equals-ignore-case, other value",
        pattern: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
        event: { state: "running" },
        expected: true,
      },
      {
        name: "anything-but equals-ignore-case list",
        pattern: { state: [{ "anything-but": { "equals-ignore-case": ["pending", "stopped"] } }] },
        event: { state: "Stopped" },
        expected: false,
      },
      {
        name: "anything-but wildcard, path without /lib/",
        pattern: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
        event: { FilePath: "/usr/bin/env" },
        expected: true,
      },
      {
        name: "anything-but wildcard, path with /lib/",
        pattern: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
        event: { FilePath: "/usr/lib/node" },
        expected: false,
      },
      {
        name: "begins with",
        pattern: { Region: [{ prefix: "us-" }] },
        event: { Region: "us-east-1" },
        expected: true,
      },
      {
        name: "begins with, other region",
        pattern: { Region: [{ prefix: "us-" }] },
        event: { Region: "eu-west-1" },
        expected: false,
      },
      {
        name: "begins with, ignoring case",
        pattern: { service: [{ prefix: { "equals-ignore-case": "eventb" } }] },
        event: { service: "EventBridge" },
        expected: true,
      },
      {
        name: "prefix on a number never matches",
        pattern: { code: [{ prefix: "4" }] },
        event: { code: 404 },
        expected: false,
      },
      { name: "empty", pattern: { LastName: [""] }, event: { LastName: "" }, expected: true },
      { name: "equals", pattern: { Name: ["Alice"] }, event: { Name: "Alice" }, expected: true },
      {
        name: "equals ignoring case",
        pattern: { Name: [{ "equals-ignore-case": "alice" }] },
        event: { Name: "ALICE" },
        expected: true,
      },
      {
        name: "equals-ignore-case on the empty string",
        pattern: { value: [{ "equals-ignore-case": "" }] },
        event: { value: "" },
        expected: true,
      },
      {
        name: "ends with",
        pattern: { FileName: [{ suffix: ".png" }] },
        event: { FileName: "image.png" },
        expected: true,
      },
      {
        name: "ends with, ignoring case",
        pattern: { service: [{ suffix: { "equals-ignore-case": "tBridge" } }] },
        event: { service: "EVENTBRIDGE" },
        expected: true,
      },
      {
        name: "ends with, other extension",
        pattern: { FileName: [{ suffix: ".png" }] },
        event: { FileName: "image.jpg" },
        expected: false,
      },
      {
        name: "exists",
        pattern: { ProductName: [{ exists: true }] },
        event: { ProductName: "Widget" },
        expected: true,
      },
      {
        name: "exists, null counts as a value",
        pattern: { ProductName: [{ exists: true }] },
        event: { ProductName: null },
        expected: true,
      },
      {
        name: "does not exist",
        pattern: { ProductName: [{ exists: false }] },
        event: { Price: 1 },
        expected: true,
      },
      {
        name: "does not exist, but it does",
        pattern: { ProductName: [{ exists: false }] },
        event: { ProductName: "Widget" },
        expected: false,
      },
      {
        name: "exists does not see intermediate nodes",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: event({ detail: { "c-count": { c1: 100 } } }),
        expected: false,
      },
      {
        name: "exists:false is true for an intermediate node",
        pattern: { detail: { "c-count": [{ exists: false }] } },
        event: event({ detail: { "c-count": { c1: 100 } } }),
        expected: true,
      },
      {
        name: "exists:false on a deep leaf that exists",
        pattern: { detail: { level1: { level2: { level3: { level4: [{ exists: false }] } } } } },
        event: event({ detail: { level1: { level2: { level3: { level4: "l4 value" } } } } }),
        expected: false,
      },
      {
        name: "not (anything-but)",
        pattern: { Weather: [{ "anything-but": ["Raining"] }] },
        event: { Weather: "Sunny" },
        expected: true,
      },
      { name: "null", pattern: { UserID: [null] }, event: { UserID: null }, expected: true },
      {
        name: "numeric equals",
        pattern: { Price: [{ numeric: ["=", 100] }] },
        event: { Price: 100 },
        expected: true,
      },
      {
        name: "numeric equals does not match the string",
        pattern: { Price: [{ numeric: ["=", 100] }] },
        event: { Price: "100" },
        expected: false,
      },
      {
        name: "numeric does not match null",
        pattern: { Price: [{ numeric: [">", 0] }] },
        event: { Price: null },
        expected: false,
      },
      {
        name: "numeric range inside",
        pattern: { Price: [{ numeric: [">", 10, "<=", 20] }] },
        event: { Price: 15 },
        expected: true,
      },
      {
        name: "numeric range at the open bound",
        pattern: { Price: [{ numeric: [">", 10, "<=", 20] }] },
        event: { Price: 10 },
        expected: false,
      },
      {
        name: "numeric range at the closed bound",
        pattern: { Price: [{ numeric: [">", 10, "<=", 20] }] },
        event: { Price: 20 },
        expected: true,
      },
      {
        name: "numeric with a float event value",
        pattern: { number: [{ numeric: [">", 100] }] },
        event: JSON.parse('{"number": 101.0}'),
        expected: true,
      },
      {
        name: "or: one of two values",
        pattern: { PaymentType: ["Credit", "Debit"] },
        event: { PaymentType: "Debit" },
        expected: true,
      },
      {
        name: "or: $or across fields",
        pattern: { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] },
        event: { Location: "Boston", Day: "Monday" },
        expected: true,
      },
      {
        name: "or: $or with no alternative",
        pattern: { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] },
        event: { Location: "Boston", Day: "Tuesday" },
        expected: false,
      },
      {
        name: "wildcard, png in dir",
        pattern: { FileName: [{ wildcard: "dir/*.png" }] },
        event: { FileName: "dir/image.png" },
        expected: true,
      },
      {
        name: "wildcard crosses slashes",
        pattern: { FileName: [{ wildcard: "dir/*.png" }] },
        event: { FileName: "dir/sub/image.png" },
        expected: true,
      },
      {
        name: "wildcard, other extension",
        pattern: { FileName: [{ wildcard: "dir/*.png" }] },
        event: { FileName: "dir/image.jpg" },
        expected: false,
      },
      {
        name: "wildcard on an ARN",
        pattern: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
        event: { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus" },
        expected: true,
      },
      {
        name: "wildcard over repeated directories",
        pattern: { FileName: [{ wildcard: "/Users/*/doc.txt" }] },
        event: { FileName: "/Users/ls_user/dir/dir/dir/doc.txt" },
        expected: true,
      },
      {
        name: "wildcard with a longer fixed tail",
        pattern: { FileName: [{ wildcard: "/Users/*/dir/dir/dir/doc.txt" }] },
        event: { FileName: "/Users/ls_user/dir/dir/otherdir/doc.txt" },
        expected: false,
      },
      {
        name: "cidr IPv4",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
        event: event({ detail: { sourceIPAddress: "10.0.0.255" } }),
        expected: true,
      },
      {
        name: "cidr IPv4 outside",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
        event: event({ detail: { sourceIPAddress: "10.0.1.1" } }),
        expected: false,
      },
      {
        name: "cidr IPv6",
        pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } },
        event: event({ detail: { sourceIPAddress: "2001:db8:1234:1a00::1" } }),
        expected: true,
      },
      {
        name: "cidr IPv6 outside",
        pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } },
        event: event({ detail: { sourceIPAddress: "2001:db8:1234:1a01::1" } }),
        expected: false,
      },
      {
        name: "cidr on a number",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
        event: event({ detail: { sourceIPAddress: 123 } }),
        expected: false,
      },
    ]),
  },
  {
    topic: "content filtering examples",
    cases: cases(EB_DOCS.contentFiltering, [
      {
        name: "complex example with multiple matching",
        pattern: COMPLEX_PATTERN,
        event: RULER_EVENT,
        expected: true,
      },
      {
        name: "complex example, x-limit excluded",
        pattern: COMPLEX_PATTERN,
        event: { ...RULER_EVENT, detail: { ...(RULER_EVENT.detail as object), "x-limit": 300 } },
        expected: false,
      },
      {
        name: "complex example, wrong day",
        pattern: COMPLEX_PATTERN,
        event: { ...RULER_EVENT, time: "2017-10-03T00:00:00Z" },
        expected: false,
      },
      {
        name: "$or on numeric fields, third alternative",
        pattern: {
          detail: {
            $or: [
              { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
              { "d-count": [{ numeric: ["<", 10] }] },
              { "x-limit": [{ numeric: ["=", 3.018e2] }] },
            ],
          },
        },
        event: event({ detail: { "c-count": 0, "d-count": 10, "x-limit": 301.8 } }),
        expected: true,
      },
      {
        name: "$or on numeric fields, none",
        pattern: {
          detail: {
            $or: [
              { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
              { "d-count": [{ numeric: ["<", 10] }] },
              { "x-limit": [{ numeric: ["=", 3.018e2] }] },
            ],
          },
        },
        event: event({ detail: { "c-count": 0, "d-count": 10, "x-limit": 9.018e2 } }),
        expected: false,
      },
      {
        name: "a key given twice: the last one counts",
        pattern: '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
        event: event({ detail: { location: "eu-central-1" } }),
        expected: true,
      },
    ]),
  },
  {
    topic: "Event Ruler behaviours",
    cases: cases(EB_DOCS.ruler, [
      {
        name: "a dotted pattern key matches nested fields",
        pattern: { detail: { "state.status": ["running"] } },
        event: event({ detail: { state: { status: "running" } } }),
        expected: true,
      },
      {
        name: "a nested pattern matches a dotted field",
        pattern: { detail: { state: { status: ["running"] } } },
        event: event({ detail: { "state.status": "running" } }),
        expected: true,
      },
      {
        name: "dotted keys one level too deep",
        pattern: { detail: { "state.status": { status: ["running"] } } },
        event: event({ detail: { state: { status: "running" } } }),
        expected: false,
      },
      {
        name: "dotted event key one level too deep",
        pattern: { detail: { state: { status: ["running"] } } },
        event: event({ detail: { "state.status": { status: "running" } } }),
        expected: false,
      },
      {
        name: "several operators in one list: any of them",
        pattern: { my_key: [{ exists: true }, { prefix: "IGNORED" }, { suffix: "IGNORED" }] },
        event: { my_key: "my-value" },
        expected: true,
      },
      {
        name: "anything-but or exists:false, key absent",
        pattern: {
          dynamodb: { NewImage: { homemade: { S: [{ "anything-but": ["roses"] }, { exists: false }] } } },
        },
        event: { dynamodb: { NewImage: { homemade: { N: "789" } } } },
        expected: true,
      },
      {
        name: "anything-but or exists:false, parent absent",
        pattern: {
          dynamodb: { NewImage: { homemade: { S: [{ "anything-but": ["roses"] }, { exists: false }] } } },
        },
        event: { dynamodb: { NewImage: { purchased: { N: "789" } } } },
        expected: true,
      },
      {
        name: "anything-but or exists:false, excluded value",
        pattern: {
          dynamodb: { NewImage: { homemade: { S: [{ "anything-but": ["roses"] }, { exists: false }] } } },
        },
        event: { dynamodb: { NewImage: { homemade: { S: "roses" } } } },
        expected: false,
      },
      {
        name: "numeric or anything-but on a DynamoDB N string",
        pattern: {
          dynamodb: {
            NewImage: { numericFilter: { N: [{ numeric: [">", 100] }, { "anything-but": "101" }] } },
          },
        },
        event: { dynamodb: { NewImage: { numericFilter: { N: "42" } } } },
        expected: true,
      },
      {
        name: "wildcard escape: literal star",
        pattern: { name: [{ wildcard: "a\\*b" }] },
        event: { name: "a*b" },
        expected: true,
      },
      {
        name: "wildcard escape: literal star is not a wildcard",
        pattern: { name: [{ wildcard: "a\\*b" }] },
        event: { name: "axxb" },
        expected: false,
      },
      {
        name: "wildcard escape: literal backslash",
        pattern: { name: [{ wildcard: "a\\\\*" }] },
        event: { name: "a\\anything" },
        expected: true,
      },
      {
        name: "wildcard star matches the empty run",
        pattern: { name: [{ wildcard: "a*b" }] },
        event: { name: "ab" },
        expected: true,
      },
      {
        name: "$or with an operator name inside is an ordinary key, so nothing matches",
        pattern: { $or: [{ numeric: 123 }, { prefix: "abc" }] },
        event: { $or: "abc" },
        expected: false,
      },
    ]),
  },
  {
    topic: "inputs that never match",
    cases: cases(EB_DOCS.patterns, [
      {
        name: "an event that is a plain string",
        pattern: { source: [{ exists: false }] },
        event: "plain string",
        expected: false,
      },
      {
        name: "an event that is an array",
        pattern: { source: [{ exists: false }] },
        event: [{ source: "x" }],
        expected: false,
      },
      {
        name: "an event that is null",
        pattern: { source: [{ exists: false }] },
        event: null,
        expected: false,
      },
      {
        name: "a pattern that is not JSON",
        pattern: "{'bad': 'quotation'}",
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "a pattern that is a JSON array",
        pattern: '["not", "a", "dict"]',
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "a pattern whose leaf is not a list",
        pattern: { source: "aws.ec2" },
        event: EC2_RUNNING,
        expected: false,
      },
      {
        name: "a pattern with an unknown operator",
        pattern: { source: [{ EXISTS: true }] },
        event: EC2_RUNNING,
        expected: false,
      },
    ]),
  },
])("EventBridge event pattern: $topic", ({ cases: list }) => {
  it.each(list)("$name", ({ pattern, event: input, expected }) => {
    // Act
    const matched = matchesEventPattern(pattern, input);
    // Assess
    expect(matched).toBe(expected);
  });
});

describe("compileEventPattern", () => {
  it("accepts the event as JSON text, as TestEventPattern does", () => {
    // Prepare
    const predicate = compileEventPattern('{"source": ["aws.ec2"]}');
    // Act
    const matched = predicate(JSON.stringify(EC2_RUNNING));
    // Assess
    expect(matched).toBe(true);
  });

  it("reuses the compiled predicate for the same pattern object", () => {
    // Prepare
    const pattern = { source: ["aws.ec2"] };
    // Act
    const first = compileEventPattern(pattern);
    // Assess
    expect(compileEventPattern(pattern)).toBe(first);
  });
});
