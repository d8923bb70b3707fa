import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { StackRef } from "./stack";

/** The AWS SDK v3 clients the operations use, created once per stack. */
export interface OpsClients {
  sqs: SQSClient;
  sns: SNSClient;
  events: EventBridgeClient;
  cloudwatch: CloudWatchClient;
  lambda: LambdaClient;
  s3: S3Client;
}

/** Any credentials do for the local cloud: the signing name only routes the request. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** Clients for the stack: the local cloud's endpoint and placeholder credentials, or AWS's default chain. */
export function createClients(stack: StackRef): OpsClients {
  const config =
    stack.mode === "local"
      ? { region: stack.region, endpoint: stack.endpoint, credentials: LOCAL_CREDENTIALS }
      : { region: stack.region };
  return {
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    events: new EventBridgeClient(config),
    cloudwatch: new CloudWatchClient(config),
    lambda: new LambdaClient(config),
    s3: new S3Client({ ...config, forcePathStyle: stack.mode === "local" }),
  };
}

/** Closes every client's sockets. */
export function destroyClients(clients: OpsClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
