/**
 * The S3 event notification S3 sends for one object, as documented; it is the SNS message body when the
 * destination is a topic, so body filter policies on `Records.s3.object.key` etc. apply to it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export interface S3EventInput {
  readonly bucket: string;
  readonly eventName: string;
  readonly key: string;
  readonly size?: number;
  readonly region?: string;
  readonly configurationId?: string;
}

/**
 * Object keys in S3 events are URL-encoded with spaces as "+" and "/" kept ("photos/red flower.jpg" →
 * "photos/red+flower.jpg"), so body filters on `Records.s3.object.key` see that form.
 */
export function encodeS3Key(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, "+"))
    .join("/");
}

export function s3EventRecord(input: S3EventInput): Record<string, unknown> {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: input.region ?? "us-east-1",
        eventTime: new Date().toISOString(),
        eventName: input.eventName,
        userIdentity: { principalId: "AWS:LOCAL" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: input.configurationId ?? "",
          bucket: {
            name: input.bucket,
            ownerIdentity: { principalId: "LOCAL" },
            arn: `arn:aws:s3:::${input.bucket}`,
          },
          object: { key: encodeS3Key(input.key), size: input.size ?? 0, eTag: "", sequencer: "0" },
        },
      },
    ],
  };
}

/**
 * Whether a configured event type covers an event: "s3:ObjectCreated:*" covers "ObjectCreated:Put"; the "s3:"
 * prefix is optional on both sides.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
 */
export function s3EventTypeCovers(configured: string, eventName: string): boolean {
  const wanted = configured.replace(/^s3:/, "");
  const actual = eventName.replace(/^s3:/, "");
  return wanted.endsWith("*") ? actual.startsWith(wanted.slice(0, -1)) : wanted === actual;
}
