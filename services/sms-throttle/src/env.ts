/** Environment variables the component gives each sender function. */
export const SENDER_ENV = {
  provider: "SMS_PROVIDER",
  originationIdentity: "SMS_ORIGINATION_IDENTITY",
  configurationSetName: "SMS_CONFIGURATION_SET_NAME",
  pinpointApplicationId: "PINPOINT_APPLICATION_ID",
  pinpointOriginationNumber: "PINPOINT_ORIGINATION_NUMBER",
  /** The IAM role to assume for the identity, when it lives in another account. */
  roleArn: "SMS_ROLE_ARN",
  budget: "BUDGET_PARTS_PER_SECOND",
  windowMs: "LIMITER_WINDOW_MS",
  maxParts: "MAX_PARTS_PER_MESSAGE",
  maxAttempts: "MAX_ATTEMPTS",
  backoffBase: "BACKOFF_BASE_SECONDS",
  lane: "SMS_LANE",
  queueUrl: "QUEUE_URL",
  /** The service's state table (re-enqueue counts; the lanes' shared limiters). */
  stateTable: "SMS_STATE_TABLE",
  /** Catch-all only: JSON of the policy matching what the country lanes receive (skipped by the catch-all). */
  otherLanesPolicy: "SMS_OTHER_LANES_POLICY",
} as const;

/**
 * Environment variables the ingress route function (`POST /sms`) gets from `smsIngressRoute`, besides the kit's
 * `ingressEnv`: the topic it publishes to, and the parts a message may take (the senders' own setting and name).
 */
export const INGRESS_ENV = {
  topicArn: "TOPIC_ARN",
  maxParts: SENDER_ENV.maxParts,
} as const;
