/** Use cases a publisher may set in the `useCase` message attribute. */
export const USE_CASES = ["VERIFICATION", "TRANSACTIONAL", "REMINDER", "OFFER"] as const;
export type UseCase = (typeof USE_CASES)[number];

/** Message attributes publishers set on the ingestion topic (and the sender sets on re-enqueued copies). */
export const ATTRIBUTES = {
  country: "country",
  useCase: "useCase",
  /**
   * The token of a re-enqueued copy: the key of its re-enqueue count in the state table (`adapters/attempts.ts`).
   * Set by the sender only; a publisher's value is looked up like any other and counts 0 when nobody stored it.
   */
  retry: "sms.retry",
} as const;

/**
 * Attributes the sender owns: dropped from every re-enqueued copy before it sets its own. `sms.attempt` carried the
 * count until a publisher was found able to set it (issue 14); it is ignored and never copied.
 */
export const INTERNAL_ATTRIBUTES: readonly string[] = [ATTRIBUTES.retry, "sms.attempt"];

/** Metric names the sender emits (namespace `Switchyard`, dimensions `service` and `lane`). */
export const SMS_METRICS = {
  partsSent: "PartsSent",
  messagesSent: "MessagesSent",
  throttled: "MessagesThrottled",
  retried: "MessagesRetried",
  deferred: "MessagesDeferred",
  /** Waits at the carrier gate: sends still counted in the carrier's second left no room yet (see README). */
  held: "SendsHeld",
  /** Catch-all only: messages a country lane also received (and sends), skipped here. */
  forOtherLanes: "MessagesForOtherLanes",
} as const;

/** Transport limits the sender checks before each call. */
export const LIMITS = {
  /** Amazon Pinpoint `SendMessages`: addresses per call (docs/aws-reference.md §6). */
  pinpointRecipientsPerCall: 100,
  /** AWS End User Messaging SMS `SendTextMessage`: one destination per call. */
  endUserMessagingRecipientsPerCall: 1,
  /** Longest SMS body the providers accept, in characters. */
  maxBodyCharacters: 1600,
  /** SQS `DelaySeconds` maximum. */
  sqsMaxDelaySeconds: 900,
  /** SQS message attributes per message. */
  sqsMaxAttributes: 10,
  /** SQS message size (body + attributes). */
  sqsMaxMessageBytes: 1_048_576,
  /** Lambda's minimum `maximumConcurrency` for SQS event source mappings. */
  minConcurrency: 2,
  /** Lambda's maximum `maximumConcurrency`. */
  maxConcurrency: 1000,
  /** Records per batch without a batching window. */
  maxBatchSize: 10,
  /** SNS filter policies per topic (default quota, docs/aws-reference.md §1). */
  maxSubscriptionsWithPolicy: 200,
} as const;
