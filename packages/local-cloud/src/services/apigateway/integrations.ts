import { type InvokeResult, type LocalContext, LocalServiceError } from "../../types";

/**
 * Invokes a route's Lambda (integration or authorizer) as API Gateway does: the function's resource policy
 * must let API Gateway invoke it for this route (IAM); any failure to invoke (denied, unknown function) comes
 * back as a failed invocation, logged, which the caller answers as API Gateway would (500/502).
 */
export async function invokeIntegration(
  ctx: LocalContext,
  functionArn: string,
  event: unknown,
  routeKey: string,
): Promise<InvokeResult> {
  const started = Date.now();
  try {
    await ctx.iam.requireApiGatewayInvoke(functionArn, event, routeKey); // the function's permission (IAM)
    return await ctx.lambda.invoke(functionArn, event, { source: `apigateway:${routeKey}` });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (!ctx.stopping)
      ctx.log.error(`could not invoke ${functionArn} for ${routeKey}`, { error: failure.message });
    return {
      error: {
        errorType: failure instanceof LocalServiceError ? failure.code : failure.name,
        errorMessage: failure.message,
      },
      durationMs: Date.now() - started,
    };
  }
}
