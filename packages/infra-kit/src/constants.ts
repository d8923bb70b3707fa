/** Retention values CloudWatch Logs accepts (`PutRetentionPolicy`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/** The newest Node.js runtime the AWS provider knows (`aws.lambda.Runtime.NodeJS24dX`). */
export const LAMBDA_NODE_RUNTIME = "nodejs24.x";

/** SQS quotas (docs/aws-reference.md §3). */
export const SQS = {
  maxMessageBytes: 1_048_576,
  maxRetentionSeconds: 1_209_600,
  minRetentionSeconds: 60,
  maxVisibilitySeconds: 43_200,
  maxDelaySeconds: 900,
  maxWaitSeconds: 20,
} as const;

/** Lambda limits that the kit validates against. */
export const LAMBDA = {
  maxTimeoutSeconds: 900,
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  maxBatchingWindowSeconds: 300,
  maxSqsBatchSize: 10_000,
  maxFifoBatchSize: 10,
  minMaximumConcurrency: 2,
  maxMaximumConcurrency: 1000,
} as const;
