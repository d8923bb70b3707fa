import type { EmulatorFactories } from "./engine";
import { createApiGateway } from "./services/apigateway";
import { createCloudWatch } from "./services/cloudwatch";
import { createDynamoDb } from "./services/dynamodb";
import { createEvents } from "./services/events";
import { createLambda } from "./services/lambda";
import { createS3 } from "./services/s3";
import { createSms } from "./services/sms";
import { createSns } from "./services/sns";
import { createSqs } from "./services/sqs";

/** Every emulator of the local cloud, with its defaults. */
export const ALL_EMULATORS: EmulatorFactories = {
  sqs: (ctx) => createSqs(ctx),
  sns: (ctx) => createSns(ctx),
  events: (ctx) => createEvents(ctx),
  cloudwatch: (ctx) => createCloudWatch(ctx),
  dynamodb: (ctx) => createDynamoDb(ctx),
  s3: (ctx) => createS3(ctx),
  sms: (ctx) => createSms(ctx),
  lambda: (ctx) => createLambda(ctx),
  apigateway: (ctx) => createApiGateway(ctx),
};
