import type { DeliveryCheck } from "./index";

/**
 * S3 -> SNS: the topic's policy must let `s3.amazonaws.com` publish with the bucket as `aws:SourceArn`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
 * The bucket is read from the notification itself (`Records[0].s3.bucket.arn`, or `Bucket` for the test event).
 */
export function s3ToSns(topicArn: string, message: string): DeliveryCheck {
  let bucket = "";
  try {
    const parsed = JSON.parse(message) as {
      Records?: Array<{ s3?: { bucket?: { name?: string } } }>;
      Bucket?: string;
    };
    bucket = parsed.Records?.[0]?.s3?.bucket?.name ?? parsed.Bucket ?? "";
  } catch {
    // not JSON: no bucket, the check names an empty source and is refused
  }
  return {
    service: "s3.amazonaws.com",
    action: "sns:Publish",
    resource: topicArn,
    sourceArn: `arn:aws:s3:::${bucket}`,
  };
}
