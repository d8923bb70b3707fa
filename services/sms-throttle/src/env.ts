/** Environment variables the component gives each sender function. */
export const SENDER_ENV = {
  provider: "SMS_PROVIDER",
  originationIdentity: "SMS_ORIGINATION_IDENTITY",
  configurationSetName: "SMS_CONFIGURATION_SET_NAME",
  pinpointApplicationId: "PINPOINT_APPLICATION_ID",
  pinpointOriginationNumber: "PINPOINT_ORIGINATION_NUMBER",
  share: "SHARE_PARTS_PER_SECOND",
  maxParts: "MAX_PARTS_PER_MESSAGE",
  maxAttempts: "MAX_ATTEMPTS",
  backoffBase: "BACKOFF_BASE_SECONDS",
  lane: "SMS_LANE",
  queueUrl: "QUEUE_URL",
} as const;
