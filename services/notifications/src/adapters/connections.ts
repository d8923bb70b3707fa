import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";

export type PostOutcome = "sent" | "gone";

/** Posts to API Gateway's `@connections`; a 410 means the connection is gone, anything else throws. */
export function createConnectionPoster(client: ApiGatewayManagementApiClient) {
  return async (connectionId: string, data: string): Promise<PostOutcome> => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return "sent";
    } catch (error) {
      if (isGone(error)) return "gone";
      throw error;
    }
  };
}
export type ConnectionPoster = ReturnType<typeof createConnectionPoster>;

export function isGone(error: unknown): boolean {
  if (error instanceof GoneException) return true;
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "GoneException" || e?.$metadata?.httpStatusCode === 410;
}
