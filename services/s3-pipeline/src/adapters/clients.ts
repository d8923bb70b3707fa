import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { traced } from "@switchyard/runtime-kit";

// Endpoints come from the environment (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, ...), which the SDK reads itself:
// nothing here names a host, so the same bundle talks to AWS or to a local cloud. Each client is traced (X-Ray
// subsegments when the function traces).

/** S3 client; a local cloud usually needs path-style addressing (`S3_FORCE_PATH_STYLE=true`). */
export function createS3Client(options: { forcePathStyle: boolean }): S3Client {
  return traced(new S3Client({ forcePathStyle: options.forcePathStyle }));
}

/** DynamoDB document client that drops undefined attributes instead of failing on them. */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(): SQSClient {
  return traced(new SQSClient({}));
}

export function createEventBridgeClient(): EventBridgeClient {
  return traced(new EventBridgeClient({}));
}
