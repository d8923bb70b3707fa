import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { createObservability, envSchemas, parseEnv, sqsDeadLetter } from "@switchyard/runtime-kit";
import type { SQSHandler } from "aws-lambda";
import { z } from "zod";
import { assumeRoleCredentials, roleSessionName } from "../adapters/assume-role";
import { dynamoAttemptStore } from "../adapters/attempts";
import { endUserMessagingProvider } from "../adapters/end-user-messaging";
import { dynamoLimiter } from "../adapters/limiter";
import { pinpointProvider } from "../adapters/pinpoint";
import type { SmsProvider } from "../adapters/provider";
import { sqsRequeue } from "../adapters/requeue";
import { PROVIDER_TIMEOUT_MS } from "../domain/limiter";
import { otherLanesMatcher } from "../domain/routing";
import { SENDER_ENV } from "../env";
import { SmsThrottleError } from "../errors";
import { createSender } from "../sender";

// Module scope: once per container. Clients take endpoints from the environment (AWS_ENDPOINT_URL).
const env = parseEnv(
  z.object({
    [SENDER_ENV.provider]: z.enum(["endUserMessaging", "pinpoint"]),
    [SENDER_ENV.originationIdentity]: envSchemas.string.optional(),
    [SENDER_ENV.configurationSetName]: envSchemas.string.optional(),
    [SENDER_ENV.pinpointApplicationId]: envSchemas.string.optional(),
    [SENDER_ENV.pinpointOriginationNumber]: envSchemas.string.optional(),
    [SENDER_ENV.roleArn]: envSchemas.string.optional(),
    [SENDER_ENV.budget]: envSchemas.positiveInt,
    [SENDER_ENV.windowMs]: envSchemas.positiveInt,
    [SENDER_ENV.maxParts]: envSchemas.positiveInt,
    [SENDER_ENV.maxAttempts]: envSchemas.positiveInt,
    [SENDER_ENV.backoffBase]: envSchemas.positiveInt,
    [SENDER_ENV.lane]: envSchemas.string,
    [SENDER_ENV.queueUrl]: envSchemas.url,
    [SENDER_ENV.stateTable]: envSchemas.string,
    [SENDER_ENV.otherLanesPolicy]: envSchemas.string.optional(),
    DLQ_URL: envSchemas.url,
  }),
);
const { logger, metrics, tracer } = createObservability();
metrics.setDefaultDimensions({ lane: env[SENDER_ENV.lane] });
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const otherLanesPolicy = env[SENDER_ENV.otherLanesPolicy];

// The lane's identity in another account: its client sends with that account's role (assumed, renewed).
const roleArn = env[SENDER_ENV.roleArn];
const credentials = roleArn
  ? {
      credentials: assumeRoleCredentials(tracer.captureAWSv3Client(new STSClient({})), roleArn, {
        sessionName: roleSessionName(env[SENDER_ENV.lane]),
      }),
    }
  : {};

// A provider call is at the carrier or abandoned within this: the limiter counts an unanswered send that long.
const providerRequests = { requestHandler: { requestTimeout: PROVIDER_TIMEOUT_MS } };

const provider = ((): SmsProvider => {
  if (env[SENDER_ENV.provider] === "pinpoint") {
    const applicationId = env[SENDER_ENV.pinpointApplicationId];
    if (!applicationId)
      throw new SmsThrottleError(`${SENDER_ENV.pinpointApplicationId} is required for Pinpoint`);
    const originationNumber = env[SENDER_ENV.pinpointOriginationNumber];
    return pinpointProvider(
      tracer.captureAWSv3Client(new PinpointClient({ ...credentials, ...providerRequests })),
      {
        applicationId,
        ...(originationNumber ? { originationNumber } : {}),
      },
    );
  }
  const originationIdentity = env[SENDER_ENV.originationIdentity];
  if (!originationIdentity)
    throw new SmsThrottleError(`${SENDER_ENV.originationIdentity} is required for End User Messaging`);
  const configurationSetName = env[SENDER_ENV.configurationSetName];
  // The identity's own region (an ARN names it): an identity exists in one region only.
  const region = originationIdentity.split(":")[3];
  const client = new PinpointSMSVoiceV2Client({
    ...credentials,
    ...providerRequests,
    ...(region ? { region } : {}),
  });
  return endUserMessagingProvider(tracer.captureAWSv3Client(client), {
    originationIdentity,
    ...(configurationSetName ? { configurationSetName } : {}),
  });
})();

const send = createSender({
  provider,
  limiter: dynamoLimiter(dynamodb, env[SENDER_ENV.stateTable], env[SENDER_ENV.lane], {
    budget: env[SENDER_ENV.budget],
    windowMs: env[SENDER_ENV.windowMs],
  }),
  budgetPartsPerSecond: env[SENDER_ENV.budget],
  requeue: sqsRequeue(sqs, env[SENDER_ENV.queueUrl]),
  attempts: dynamoAttemptStore(dynamodb, env[SENDER_ENV.stateTable], env[SENDER_ENV.lane]),
  ...(otherLanesPolicy ? { routedElsewhere: otherLanesMatcher(JSON.parse(otherLanesPolicy)) } : {}),
  deadLetter: sqsDeadLetter(sqs, env.DLQ_URL),
  logger,
  metrics,
  maxPartsPerMessage: env[SENDER_ENV.maxParts],
  maxAttempts: env[SENDER_ENV.maxAttempts],
  backoffBaseSeconds: env[SENDER_ENV.backoffBase],
});

export const handler: SQSHandler = (event, context) => send(event, context);
