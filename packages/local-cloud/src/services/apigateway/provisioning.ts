import type { LocalResource } from "../../types";
import { finiteNumber as num, nonEmptyString as str } from "../../values";
import { type ApiGatewayModel, stageKey, type ThrottleSetting, throttleOf } from "./model";

/**
 * The program's `aws:apigatewayv2/*` resources into the model: APIs, authorizers, integrations, routes, route
 * responses, deployments and stages (with their throttling and stage variables). Ids are the resources' ids;
 * other types are ignored.
 */
export function provisionApiGateway(model: ApiGatewayModel, resource: LocalResource): void {
  const inputs = resource.inputs;
  const id = resource.id ?? resource.name;
  switch (resource.type) {
    case "aws:apigatewayv2/api:Api":
      model.apis.set(id, {
        id,
        name: str(inputs.name) ?? resource.name,
        protocolType: str(inputs.protocolType) ?? "HTTP",
        routeSelectionExpression: str(inputs.routeSelectionExpression),
        description: str(inputs.description),
      });
      return;
    case "aws:apigatewayv2/authorizer:Authorizer":
      model.authorizers.set(id, {
        id,
        apiId: str(inputs.apiId) ?? "",
        name: str(inputs.name) ?? resource.name,
        type: str(inputs.authorizerType) ?? "REQUEST",
        uri: str(inputs.authorizerUri),
        identitySources: Array.isArray(inputs.identitySources)
          ? inputs.identitySources.filter((s): s is string => typeof s === "string")
          : [],
        enableSimpleResponses: inputs.enableSimpleResponses === true,
        ttlSeconds: num(inputs.authorizerResultTtlInSeconds) ?? 300,
      });
      return;
    case "aws:apigatewayv2/integration:Integration":
      model.integrations.set(id, {
        id,
        apiId: str(inputs.apiId) ?? "",
        type: str(inputs.integrationType) ?? "AWS_PROXY",
        uri: str(inputs.integrationUri),
      });
      return;
    case "aws:apigatewayv2/route:Route":
      model.routes.set(id, {
        id,
        apiId: str(inputs.apiId) ?? "",
        routeKey: str(inputs.routeKey) ?? "",
        target: str(inputs.target),
        authorizationType: str(inputs.authorizationType) ?? "NONE",
        authorizerId: str(inputs.authorizerId),
        routeResponseSelectionExpression: str(inputs.routeResponseSelectionExpression),
      });
      return;
    case "aws:apigatewayv2/routeResponse:RouteResponse": {
      const routeId = str(inputs.routeId);
      if (routeId)
        model.routeResponses.set(routeId, [
          ...(model.routeResponses.get(routeId) ?? []),
          str(inputs.routeResponseKey) ?? "$default",
        ]);
      return;
    }
    case "aws:apigatewayv2/deployment:Deployment":
      model.deployments.set(id, { apiId: str(inputs.apiId) ?? "", description: str(inputs.description) });
      return;
    case "aws:apigatewayv2/stage:Stage": {
      const apiId = str(inputs.apiId) ?? "";
      const name = str(inputs.name) ?? str(resource.outputs.name) ?? id;
      const routeThrottle = new Map<string, ThrottleSetting>();
      for (const setting of Array.isArray(inputs.routeSettings) ? inputs.routeSettings : []) {
        const routeKey = str((setting as Record<string, unknown>)?.routeKey);
        const throttle = throttleOf(setting);
        if (routeKey && throttle) routeThrottle.set(routeKey, throttle);
      }
      const stageVariables: Record<string, string> = {};
      if (typeof inputs.stageVariables === "object" && inputs.stageVariables !== null) {
        for (const [key, value] of Object.entries(inputs.stageVariables)) stageVariables[key] = String(value);
      }
      model.stages.set(stageKey(apiId, name), {
        apiId,
        name,
        deploymentId: str(inputs.deploymentId),
        stageVariables,
        defaultThrottle: throttleOf(inputs.defaultRouteSettings),
        routeThrottle,
      });
      return;
    }
    default:
      return;
  }
}
