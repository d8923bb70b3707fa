import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import type { OpsClients } from "./clients";
import { localView } from "./discover";
import type { StackRef } from "./stack";

/** One route of an HTTP API that publishes (the ingress of issue 18): where requests enter and where they go. */
export interface IngressPublisher {
  apiId: string;
  /** The API's name (`sms-throttle-ingress-api`). */
  api: string;
  /** `POST /sms`. */
  route: string;
  /** The invoke URL of the API's first stage. */
  url?: string;
  /** The route's function. */
  functionName: string;
  /** The topics and buses it publishes to: the SNS and EventBridge ARNs of its environment. */
  publishesTo: string[];
}

interface ApiView {
  apiId: string;
  name: string;
  protocolType: string;
  routes: Array<{ routeKey: string; function?: string }>;
  stages?: Array<{ invokeUrl?: string }>;
}

const PUBLISH_TARGET = /^arn:aws:(sns:[^:]+:\d+:[^:]+|events:[^:]+:\d+:event-bus\/.+)$/;

/**
 * The HTTP APIs' routes of the local cloud with the topic or bus each route's function publishes to (read from the
 * function's environment, where the component puts the ARN its grant names). Local cloud only: the console's map
 * draws them as publishers.
 */
export async function ingressPublishers(stack: StackRef, clients: OpsClients): Promise<IngressPublisher[]> {
  const apis = ((await localView(stack, "apigateway/apis")) as ApiView[]).filter(
    (api) => api.protocolType === "HTTP",
  );
  const publishers: IngressPublisher[] = [];
  for (const api of apis) {
    for (const route of api.routes) {
      if (!route.function) continue;
      const functionName = route.function.split(":").at(-1) ?? route.function;
      const { Environment } = await clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: functionName }),
      );
      publishers.push({
        apiId: api.apiId,
        api: api.name,
        route: route.routeKey,
        url: api.stages?.[0]?.invokeUrl,
        functionName,
        publishesTo: Object.values(Environment?.Variables ?? {}).filter((v) => PUBLISH_TARGET.test(v)),
      });
    }
  }
  return publishers;
}
