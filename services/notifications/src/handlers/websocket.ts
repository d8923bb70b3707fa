/** The parts of API Gateway WebSocket events and answers these handlers use (docs/aws-reference.md §5). */
export interface WebSocketRequest {
  requestContext: {
    routeKey: string;
    connectionId: string;
    connectedAt?: number;
    identity?: { sourceIp?: string };
    /** The `$connect` authorizer's context, stringified; present on `$connect` only. */
    authorizer?: Record<string, unknown> | null;
  };
  body?: string | null;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
}

export interface WebSocketResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface AuthorizerRequest {
  type: "REQUEST";
  methodArn: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: { connectionId?: string } | null;
}

export interface AuthorizerResponse {
  principalId: string;
  policyDocument: {
    Version: "2012-10-17";
    Statement: { Action: "execute-api:Invoke"; Effect: "Allow" | "Deny"; Resource: string }[];
  };
  context: Record<string, string | number | boolean>;
}
