import { describe, expect, it } from "vitest";
import { OPERATIONS as CLOUDWATCH } from "../src/services/cloudwatch/shapes";
import { OPERATIONS as SQS } from "../src/services/sqs/shapes";
import { CborTimestamp, decodeCbor, encodeCbor } from "../src/wire/cbor";
import { readQueryInput } from "../src/wire/query";
import { forCbor } from "../src/wire/shape-values";
import { D, list, map, S, struct, T } from "../src/wire/shapes";
import { xmlElement, xmlMembers, xmlText } from "../src/wire/xml";

const form = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

describe("query input", () => {
  it("reads SQS's flattened lists and maps under their query names", () => {
    const input = readQueryInput(
      form({
        QueueUrl: "http://x/1/q",
        MessageBody: "hi",
        DelaySeconds: "5",
        "MessageAttribute.1.Name": "reason",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "bad",
        "MessageAttribute.2.Name": "raw",
        "MessageAttribute.2.Value.DataType": "Binary",
        "MessageAttribute.2.Value.BinaryValue": "AAE=",
      }),
      SQS.SendMessage?.input ?? struct({}),
    );
    expect(input).toEqual({
      QueueUrl: "http://x/1/q",
      MessageBody: "hi",
      DelaySeconds: 5,
      MessageAttributes: {
        reason: { DataType: "String", StringValue: "bad" },
        raw: { DataType: "Binary", BinaryValue: "AAE=" },
      },
    });
    const batch = readQueryInput(
      form({
        QueueUrl: "u",
        "SendMessageBatchRequestEntry.1.Id": "a",
        "SendMessageBatchRequestEntry.1.MessageBody": "one",
        "SendMessageBatchRequestEntry.2.Id": "b",
        "SendMessageBatchRequestEntry.2.MessageBody": "two",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "x",
      }),
      SQS.SendMessageBatch?.input ?? struct({}),
    );
    // A non-numeric integer stays a string, so the API's own validation names the field.
    expect(batch.Entries).toEqual([
      { Id: "a", MessageBody: "one" },
      { Id: "b", MessageBody: "two", DelaySeconds: "x" },
    ]);
    const attributes = readQueryInput(
      form({ QueueUrl: "u", "AttributeName.1": "All", "AttributeName.2": "QueueArn" }),
      SQS.GetQueueAttributes?.input ?? struct({}),
    );
    expect(attributes.AttributeNames).toEqual(["All", "QueueArn"]);
  });

  it("reads CloudWatch's wrapped lists (member.N), timestamps and doubles", () => {
    const input = readQueryInput(
      form({
        Namespace: "App",
        "MetricData.member.1.MetricName": "Latency",
        "MetricData.member.1.Value": "1.5",
        "MetricData.member.1.Timestamp": "2026-01-02T03:04:05Z",
        "MetricData.member.1.Dimensions.member.1.Name": "Route",
        "MetricData.member.1.Dimensions.member.1.Value": "/a",
        "MetricData.member.2.MetricName": "Count",
        "MetricData.member.2.Values.member.1": "1",
        "MetricData.member.2.Values.member.2": "2",
      }),
      CLOUDWATCH.PutMetricData?.input ?? struct({}),
    );
    expect(input).toEqual({
      Namespace: "App",
      MetricData: [
        {
          MetricName: "Latency",
          Value: 1.5,
          Timestamp: Date.parse("2026-01-02T03:04:05Z") / 1000,
          Dimensions: [{ Name: "Route", Value: "/a" }],
        },
        { MetricName: "Count", Values: [1, 2] },
      ],
    });
  });
});

describe("query XML", () => {
  it("writes flattened members in place and wrapped ones under <member>/<entry>", () => {
    const shape = struct({ Items: list(S, { flat: true, member: "Item" }), Names: list(S), Tags: map(S, S) });
    expect(xmlMembers({ Items: ["a", "b"], Names: ["x"], Tags: { k: "v" } }, shape)).toBe(
      "<Item>a</Item><Item>b</Item><Names><member>x</member></Names><Tags><entry><key>k</key><value>v</value></entry></Tags>",
    );
    // An empty wrapped list is an empty element (clients read it as []), an empty flattened one nothing.
    expect(xmlMembers({ Items: [], Names: [] }, shape)).toBe("<Names></Names>");
  });

  it("escapes markup and keeps a carriage return as a character reference", () => {
    expect(xmlText('a<b>&"c"\r\n')).toBe("a&lt;b&gt;&amp;&quot;c&quot;&#xD;\n");
    expect(xmlElement("When", 0, T)).toBe("<When>1970-01-01T00:00:00.000Z</When>");
    expect(xmlElement("Value", 2.5, D)).toBe("<Value>2.5</Value>");
  });
});

describe("CBOR", () => {
  it("round-trips maps, lists, strings, integers, floats, booleans and null", () => {
    const value = { a: [1, -1, 24, 256, 65_536, 2 ** 33, 1.5, -0.25], s: "ünï", t: true, f: false, n: null };
    expect(decodeCbor(encodeCbor(value))).toEqual(value);
  });

  it("decodes what other encoders write: half floats, indefinite lengths, byte strings, epoch tags", () => {
    // {_ "v": 1.5 (half), "l": [_ 1, 2], "b": h'0001', "t": 1(1700000000)}
    const bytes = Buffer.from("bf6176f93e00616c9f0102ff61624200016174c11a6553f100ff", "hex");
    expect(decodeCbor(bytes)).toEqual({ v: 1.5, l: [1, 2], b: "AAE=", t: 1_700_000_000 });
    expect(() => decodeCbor(Buffer.from("a1", "hex"))).toThrow(/Truncated/);
  });

  it("tags timestamps of an output along its shape", () => {
    const shape = struct({ When: T, Items: list(struct({ At: T, Name: S })) });
    const tagged = forCbor({ When: 10, Items: [{ At: 20, Name: "x" }] }, shape) as {
      When: unknown;
      Items: Array<{ At: unknown; Name: unknown }>;
    };
    expect(tagged.When).toEqual(new CborTimestamp(10));
    expect(tagged.Items[0]?.At).toEqual(new CborTimestamp(20));
    expect(tagged.Items[0]?.Name).toBe("x");
    expect(encodeCbor(new CborTimestamp(1)).toString("hex")).toBe("c1fb3ff0000000000000");
  });
});
