import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

export interface LambdaContextOverrides extends Partial<Omit<Context, "getRemainingTimeInMillis">> {
  /** Time the fake invocation has left when created; it counts down with the clock. @default 30_000 */
  remainingTimeMs?: number;
  /** Replaces the count-down entirely. */
  getRemainingTimeInMillis?: () => number;
}

const DEFAULT_REGION = "us-east-1";
const DEFAULT_ACCOUNT = "123456789012";

/**
 * A complete Lambda `Context` for tests: `awsRequestId` is a fresh UUID on every call, ARNs and log
 * names follow `functionName`, and `getRemainingTimeInMillis()` counts down from `remainingTimeMs`.
 */
export const lambdaContext = (overrides: LambdaContextOverrides = {}): Context => {
  const { remainingTimeMs = 30_000, getRemainingTimeInMillis, ...rest } = overrides;
  const functionName = rest.functionName ?? "test-function";
  const functionVersion = rest.functionVersion ?? "$LATEST";
  const deadline = Date.now() + remainingTimeMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: `arn:aws:lambda:${DEFAULT_REGION}:${DEFAULT_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/01/01/[${functionVersion}]${randomUUID().replace(/-/g, "")}`,
    getRemainingTimeInMillis: getRemainingTimeInMillis ?? (() => Math.max(0, deadline - Date.now())),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...rest,
  };
};
