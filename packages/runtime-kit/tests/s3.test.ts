import { encodeS3Key, s3Event, s3TestEvent, s3ViaSnsSqsRecord, sqsRecord } from "@switchyard/testing";
import { describe, expect, it } from "vitest";
import {
  compareSequencers,
  decodeS3Key,
  isNewerSequencer,
  parseS3Records,
  ValidationError,
} from "../src/index";

const BUCKET = "uploads";

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
};

const deliveries = [
  { delivery: "SNS wrapped", raw: false, prefix: "body.Message" },
  { delivery: "SNS raw", raw: true, prefix: "body" },
];

describe.each(deliveries)("parseS3Records via $delivery", ({ raw, prefix }) => {
  it("recognises the S3 test event", () => {
    // Prepare
    const record = s3ViaSnsSqsRecord({ raw, event: s3TestEvent(BUCKET) });

    // Act
    const parsed = parseS3Records(record);

    // Assess
    expect(parsed).toEqual({
      kind: "test",
      bucket: BUCKET,
      time: expect.any(String),
      ...(raw ? {} : { topicArn: expect.stringMatching(/^arn:aws:sns:/) }),
    });
  });

  it("returns every object event with its fields", () => {
    // Prepare
    const event = s3Event({
      bucket: BUCKET,
      records: [
        { key: "docs/report.pdf", size: 11, sequencer: "0055AED6DCD90281E5", versionId: "v1", eTag: "abc" },
        { key: "docs/old.pdf", eventName: "ObjectRemoved:Delete", sequencer: "0055AED6DCD90281E6" },
      ],
    });
    const record = s3ViaSnsSqsRecord({ raw, event });

    // Act
    const parsed = parseS3Records(record);

    // Assess
    expect(parsed).toEqual({
      kind: "records",
      ...(raw ? {} : { topicArn: expect.stringMatching(/^arn:aws:sns:/) }),
      records: [
        {
          eventName: "ObjectCreated:Put",
          eventTime: expect.any(String),
          eventVersion: "2.1",
          region: "us-east-1",
          bucket: BUCKET,
          key: "docs/report.pdf",
          encodedKey: "docs/report.pdf",
          size: 11,
          eTag: "abc",
          versionId: "v1",
          sequencer: "0055AED6DCD90281E5",
        },
        {
          eventName: "ObjectRemoved:Delete",
          eventTime: expect.any(String),
          eventVersion: "2.1",
          region: "us-east-1",
          bucket: BUCKET,
          key: "docs/old.pdf",
          encodedKey: "docs/old.pdf",
          sequencer: "0055AED6DCD90281E6",
        },
      ],
    });
  });

  it.each([
    { sent: "red+flower.jpg", key: "red flower.jpg" },
    { sent: "a%2Bb.txt", key: "a+b.txt" },
    { sent: encodeS3Key("photos/über grün+blau (1).jpg"), key: "photos/über grün+blau (1).jpg" },
  ])("decodes the key $sent to $key", ({ sent, key }) => {
    // Prepare
    const record = s3ViaSnsSqsRecord({ raw, event: s3Event({ bucket: BUCKET, records: [{ key: sent }] }) });

    // Act
    const parsed = parseS3Records(record);

    // Assess
    expect(parsed.kind === "records" && parsed.records[0]?.key).toBe(key);
  });

  it.each([
    { version: "2.1", accepted: true },
    { version: "2.2", accepted: true },
    { version: "2.5", accepted: true },
    { version: "2.10", accepted: true },
    { version: "3.0", accepted: false },
    { version: "1.0", accepted: false },
    { version: "2.x", accepted: false },
  ])("eventVersion $version accepted: $accepted", ({ version, accepted }) => {
    // Prepare
    const event = s3Event({ bucket: BUCKET, records: [{ key: "k", eventVersion: version }] });
    const record = s3ViaSnsSqsRecord({ raw, event });

    // Act
    const outcome = accepted ? parseS3Records(record) : thrown(() => parseS3Records(record));

    // Assess
    if (accepted) {
      expect(outcome).toMatchObject({ kind: "records", records: [{ eventVersion: version }] });
    } else {
      expect(outcome).toBeInstanceOf(ValidationError);
      expect((outcome as ValidationError).issues).toEqual([
        {
          path: `${prefix}.Records.0.eventVersion`,
          message: `unsupported event version "${version}"; expected 2.x`,
        },
      ]);
    }
  });

  it("names a malformed key", () => {
    // Prepare
    const record = s3ViaSnsSqsRecord({
      raw,
      event: s3Event({ bucket: BUCKET, records: [{ key: "bad%E0%A4%A" }] }),
    });

    // Act
    const error = thrown(() => parseS3Records(record));

    // Assess
    expect((error as ValidationError).issues).toEqual([
      { path: `${prefix}.Records.0.s3.object.key`, message: "is not a valid URL-encoded key" },
    ]);
  });

  it("names a missing field", () => {
    // Prepare
    const event = s3Event({ bucket: BUCKET, records: [{ key: "k" }] });
    const broken = JSON.parse(JSON.stringify(event));
    delete broken.Records[0].s3.bucket.name;
    const record = s3ViaSnsSqsRecord({ raw, event: broken });

    // Act
    const error = thrown(() => parseS3Records(record));

    // Assess
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      `${prefix}.Records.0.s3.bucket.name`,
    ]);
  });
});

describe("parseS3Records edge cases", () => {
  it("accepts an S3 event sent to SQS directly", () => {
    // Prepare
    const record = sqsRecord({ body: s3Event({ bucket: BUCKET, records: [{ key: "a+b" }] }) });

    // Act
    const parsed = parseS3Records(record);

    // Assess
    expect(parsed).toMatchObject({ kind: "records", records: [{ key: "a b", bucket: BUCKET }] });
  });

  it.each([
    { case: "a non-JSON body", body: "<xml/>", message: "body: is not valid JSON" },
    { case: "an envelope whose Message is not JSON", body: null, message: "body.Message: is not valid JSON" },
    { case: "a body without Records", body: { hello: "world" }, message: "body.Records:" },
  ])("throws a ValidationError on $case", ({ body, message }) => {
    // Prepare
    const record =
      body === null
        ? s3ViaSnsSqsRecord({ raw: false, event: s3TestEvent(BUCKET) })
        : sqsRecord({ body, messageId: "m-1" });
    if (body === null) {
      const envelope = JSON.parse(record.body);
      envelope.Message = "{not json";
      record.body = JSON.stringify(envelope);
    }

    // Act
    const error = thrown(() => parseS3Records(record));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(message);
  });
});

describe("decodeS3Key / encodeS3Key", () => {
  it.each([
    "red flower.jpg",
    "a+b=c&d.txt",
    "dir/sub dir/naïve résumé.pdf",
    "100%.txt",
    "it's (a) test!*~.txt",
  ])("round-trips %s", (key) => {
    // Act
    const decoded = decodeS3Key(encodeS3Key(key));

    // Assess
    expect(decoded).toBe(key);
  });
});

describe("compareSequencers", () => {
  it.each([
    { a: "0055AED6DCD90281E5", b: "0055AED6DCD90281E6", expected: -1 },
    { a: "0055AED6DCD90281E6", b: "0055AED6DCD90281E5", expected: 1 },
    { a: "0055AED6DCD90281E5", b: "0055AED6DCD90281E5", expected: 0 },
    { a: "55AED6DCD90281E5", b: "0055AED6DCD90281E5", expected: 0 },
    { a: "FF", b: "0100", expected: -1 },
    { a: "0100", b: "FF", expected: 1 },
    { a: "0055aed6dcd90281e6", b: "0055AED6DCD90281E5", expected: 1 },
    { a: "9", b: "10", expected: -1 },
  ])("compareSequencers($a, $b) = $expected", ({ a, b, expected }) => {
    // Act
    const result = compareSequencers(a, b);

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    { candidate: "0055AED6DCD90281E6", current: "0055AED6DCD90281E5", newer: true },
    { candidate: "0055AED6DCD90281E5", current: "0055AED6DCD90281E5", newer: false },
    { candidate: "0055AED6DCD90281E4", current: "0055AED6DCD90281E5", newer: false },
    { candidate: "0055AED6DCD90281E4", current: undefined, newer: true },
  ])("isNewerSequencer($candidate, $current) = $newer", ({ candidate, current, newer }) => {
    // Act
    const result = isNewerSequencer(candidate, current);

    // Assess
    expect(result).toBe(newer);
  });
});

describe("parseS3Records refuses forged or malformed fields, permanently, naming the field", () => {
  it.each([
    ["a sequencer that is not hex", { sequencer: "0055-not-hex" }, "sequencer"],
    ["a sequencer longer than 64 digits", { sequencer: "F".repeat(65) }, "sequencer"],
    ["an empty sequencer", { sequencer: "" }, "sequencer"],
  ])("%s", (_case, object, field) => {
    // Prepare
    const event = s3Event({ bucket: BUCKET, records: [{ key: "a.png", ...object }] });
    const record = s3ViaSnsSqsRecord({ raw: true, event });

    // Act
    const error = thrown(() => parseS3Records(record));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`body.Records.0.s3.object.${field}`);
  });

  it("an eventTime that is not a timestamp", () => {
    // Prepare
    const event = s3Event({ bucket: BUCKET, records: [{ key: "a.png", sequencer: "0A" }] });
    const broken = { Records: [{ ...event.Records[0], eventTime: "yesterday" }] };
    const record = sqsRecord({ body: JSON.stringify(broken) });

    // Act
    const error = thrown(() => parseS3Records(record));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(
      "body.Records.0.eventTime: must be an ISO 8601 timestamp",
    );
  });
});
