import type { Connections } from "./connections";
import { functionArnOf } from "./events";
import { HTTP_API_PATH_PREFIX, localHttpApiPath } from "./http";
import { type ApiGatewayModel, localWebSocketPath } from "./model";

/**
 * The admin view `GET /_local/apigateway/apis`: every API with its endpoint, its routes (integration, function,
 * authorizer, two-way) and its stages (invoke URL, `@connections` endpoint, throttling, open connections).
 */
export function describeApis(endpoint: string, model: ApiGatewayModel, connections: Connections): unknown {
  const wsBase = endpoint.replace(/^http/, "ws");
  return [...model.apis.values()].map((api) => ({
    apiId: api.id,
    name: api.name,
    protocolType: api.protocolType,
    routeSelectionExpression: api.routeSelectionExpression,
    apiEndpoint:
      api.protocolType === "HTTP" ? `${endpoint}${HTTP_API_PATH_PREFIX}${api.id}` : `${wsBase}/ws/${api.id}`,
    routes: model.routesOf(api.id).map((route) => {
      const target = model.targetOf(route);
      const authorizer = route.authorizerId ? model.authorizers.get(route.authorizerId) : undefined;
      return {
        routeKey: route.routeKey,
        integrationType: target?.integration.type,
        function: target?.functionArn,
        authorizationType: route.authorizationType,
        authorizer: authorizer
          ? {
              name: authorizer.name,
              function: authorizer.uri ? functionArnOf(authorizer.uri) : undefined,
              identitySources: authorizer.identitySources,
            }
          : undefined,
        twoWay: model.twoWay(route),
      };
    }),
    stages: [...model.stages.values()]
      .filter((stage) => stage.apiId === api.id)
      .map((stage) => ({
        name: stage.name,
        ...(api.protocolType === "HTTP"
          ? { invokeUrl: `${endpoint}${localHttpApiPath(api.id, stage.name)}` }
          : {
              invokeUrl: `${wsBase}${localWebSocketPath(api.id, stage.name)}`,
              managementEndpoint: `${endpoint}${localWebSocketPath(api.id, stage.name)}`,
            }),
        deploymentId: stage.deploymentId,
        throttling: stage.defaultThrottle,
        connections: connections.count(api.id, stage.name),
      })),
  }));
}
