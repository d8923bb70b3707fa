import type { EmulatorFactories } from "./engine";
import { createApiGateway } from "./services/apigateway";
import { createCloudWatch } from "./services/cloudwatch";
import { createDynamoDb } from "./services/dynamodb";
import { createEvents } from "./services/events";
import { createLambda } from "./services/lambda";
import { createLogs } from "./services/logs";
import { createS3 } from "./services/s3";
import { createSms } from "./services/sms";
import { createSns } from "./services/sns";
import { createSqs } from "./services/sqs";

export interface EmulatorOptions {
  /**
   * How much faster than AWS the clock of SQS (visibility timeouts, delays, retention, deduplication windows),
   * SNS deduplication and CloudWatch alarm periods runs: 20 makes a 180 s visibility timeout last 9 s and a
   * 60 s alarm period 3 s. Handlers still run in real time; an event source mapping keeps its batch invisible
   * while it runs, so scaling never delivers a message twice. Must be from 1 to 1000.
   * @default 1 (AWS's own timing)
   */
  timeScale?: number;
}

/** Every emulator of the local cloud. */
export function allEmulators(options: EmulatorOptions = {}): EmulatorFactories {
  const scale = options.timeScale ?? 1;
  if (!Number.isFinite(scale) || scale < 1 || scale > 1000) {
    throw new RangeError(`timeScale must be a number from 1 to 1000 (got ${String(options.timeScale)})`);
  }
  const msPerSecond = 1000 / scale;
  return {
    sqs: (ctx) => createSqs(ctx, { msPerSecond }),
    sns: (ctx) => createSns(ctx, { deduplicationWindowMs: 300 * msPerSecond }),
    events: (ctx) => createEvents(ctx),
    cloudwatch: (ctx) => createCloudWatch(ctx, { msPerSecond }),
    logs: (ctx) => createLogs(ctx),
    dynamodb: (ctx) => createDynamoDb(ctx),
    s3: (ctx) => createS3(ctx),
    sms: (ctx) => createSms(ctx),
    lambda: (ctx) => createLambda(ctx),
    apigateway: (ctx) => createApiGateway(ctx),
  };
}

/** Every emulator with AWS's own timing. */
export const ALL_EMULATORS: EmulatorFactories = allEmulators();
