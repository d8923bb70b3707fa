import type { IncomingMessage, ServerResponse } from "node:http";
import { type LocalContext, type LocalResource, LocalServiceError } from "../../types";
import { asRecord, finiteNumber, isRecord, nonEmptyString as str } from "../../values";
import { notEmulated, sendRestJson } from "../../wire/rest-json";

/**
 * The API Gateway v2 control plane a CLI user reads (`aws apigatewayv2 ...`, signing name `apigateway`,
 * REST-JSON with camelCase members): GetApis, GetApi, GetRoutes, GetRoute, GetRouteResponses, GetIntegrations,
 * GetIntegration, GetAuthorizers, GetAuthorizer, GetStages, GetStage, GetDeployments, GetDeployment, GetTags.
 * It reads the same provisioned resources the WebSocket data plane serves (ids are the resources' ids).
 * Anything else under `/v2/` (and API Gateway v1's `/restapis`) answers NotImplemented naming the operation.
 */

const TYPES = {
  api: "aws:apigatewayv2/api:Api",
  authorizer: "aws:apigatewayv2/authorizer:Authorizer",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  routeResponse: "aws:apigatewayv2/routeResponse:RouteResponse",
  deployment: "aws:apigatewayv2/deployment:Deployment",
  stage: "aws:apigatewayv2/stage:Stage",
} as const;

type Kind = keyof typeof TYPES;

const idOf = (resource: LocalResource): string => resource.id ?? resource.name;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asRecord(value) ?? {}).flatMap(([key, item]) =>
      item === undefined || item === null ? [] : [[key, String(item)]],
    ),
  );
}

function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function routeSettings(value: unknown): Record<string, unknown> | undefined {
  const settings = asRecord(value);
  if (!settings) return undefined;
  return defined({
    dataTraceEnabled: typeof settings.dataTraceEnabled === "boolean" ? settings.dataTraceEnabled : undefined,
    detailedMetricsEnabled:
      typeof settings.detailedMetricsEnabled === "boolean" ? settings.detailedMetricsEnabled : undefined,
    loggingLevel: str(settings.loggingLevel),
    throttlingBurstLimit: finiteNumber(settings.throttlingBurstLimit),
    throttlingRateLimit: finiteNumber(settings.throttlingRateLimit),
  });
}

/** The API Gateway v2 control plane over the provisioned resources. */
export function createApiGatewayControl(ctx: LocalContext, options: { webSocketBase: string }) {
  const created = new Date().toISOString();
  const all = (kind: Kind): LocalResource[] => ctx.resources.filter((r) => r.type === TYPES[kind]);
  const ofApi = (kind: Kind, apiId: string) => all(kind).filter((r) => r.inputs.apiId === apiId);

  const notFound = (what: string, id: string): LocalServiceError =>
    new LocalServiceError(
      "NotFoundException",
      `Invalid ${what} identifier specified ${ctx.accountId}:${id}`,
      404,
    );

  function api(apiId: string): LocalResource {
    const found = all("api").find((r) => idOf(r) === apiId);
    if (!found) throw notFound("API", apiId);
    return found;
  }

  function one(kind: Kind, apiId: string, id: string, what: string): LocalResource {
    const found =
      kind === "stage"
        ? ofApi(kind, apiId).find((r) => (str(r.inputs.name) ?? idOf(r)) === id)
        : ofApi(kind, apiId).find((r) => idOf(r) === id);
    if (!found) throw notFound(what, id);
    return found;
  }

  function apiView(resource: LocalResource): Record<string, unknown> {
    const { inputs } = resource;
    const apiId = idOf(resource);
    const protocolType = str(inputs.protocolType) ?? "HTTP";
    return defined({
      apiEndpoint:
        protocolType === "WEBSOCKET"
          ? `${options.webSocketBase}/${apiId}`
          : `https://${apiId}.execute-api.${ctx.region}.amazonaws.com`,
      apiId,
      apiKeySelectionExpression: str(inputs.apiKeySelectionExpression) ?? "$request.header.x-api-key",
      createdDate: created,
      description: str(inputs.description),
      disableExecuteApiEndpoint: inputs.disableExecuteApiEndpoint === true,
      ipAddressType: str(inputs.ipAddressType) ?? "ipv4",
      name: str(inputs.name) ?? resource.name,
      protocolType,
      routeSelectionExpression:
        str(inputs.routeSelectionExpression) ??
        (protocolType === "HTTP" ? "$request.method $request.path" : undefined),
      tags: stringMap(inputs.tags),
    });
  }

  function routeView(resource: LocalResource): Record<string, unknown> {
    const { inputs } = resource;
    return defined({
      apiKeyRequired: inputs.apiKeyRequired === true,
      authorizationScopes: strings(inputs.authorizationScopes).length
        ? strings(inputs.authorizationScopes)
        : undefined,
      authorizationType: str(inputs.authorizationType) ?? "NONE",
      authorizerId: str(inputs.authorizerId),
      operationName: str(inputs.operationName),
      routeId: idOf(resource),
      routeKey: str(inputs.routeKey),
      routeResponseSelectionExpression: str(inputs.routeResponseSelectionExpression),
      target: str(inputs.target),
    });
  }

  function routeResponseView(resource: LocalResource): Record<string, unknown> {
    return defined({
      routeResponseId: idOf(resource),
      routeResponseKey: str(resource.inputs.routeResponseKey),
      modelSelectionExpression: str(resource.inputs.modelSelectionExpression),
    });
  }

  function integrationView(resource: LocalResource): Record<string, unknown> {
    const { inputs } = resource;
    const type = str(inputs.integrationType) ?? "AWS_PROXY";
    return defined({
      apiGatewayManaged: false,
      connectionType: str(inputs.connectionType) ?? "INTERNET",
      contentHandlingStrategy: str(inputs.contentHandlingStrategy),
      credentialsArn: str(inputs.credentialsArn),
      description: str(inputs.description),
      integrationId: idOf(resource),
      integrationMethod: str(inputs.integrationMethod) ?? (type === "MOCK" ? undefined : "POST"),
      integrationType: type,
      integrationUri: str(inputs.integrationUri),
      passthroughBehavior: str(inputs.passthroughBehavior) ?? "WHEN_NO_MATCH",
      payloadFormatVersion: str(inputs.payloadFormatVersion) ?? "1.0",
      timeoutInMillis: finiteNumber(inputs.timeoutMilliseconds) ?? 29_000,
    });
  }

  function authorizerView(resource: LocalResource): Record<string, unknown> {
    const { inputs } = resource;
    return defined({
      authorizerCredentialsArn: str(inputs.authorizerCredentialsArn),
      authorizerId: idOf(resource),
      authorizerType: str(inputs.authorizerType) ?? "REQUEST",
      authorizerUri: str(inputs.authorizerUri),
      identitySource: strings(inputs.identitySources),
      name: str(inputs.name) ?? resource.name,
      authorizerResultTtlInSeconds: finiteNumber(inputs.authorizerResultTtlInSeconds),
    });
  }

  function deploymentView(resource: LocalResource): Record<string, unknown> {
    return defined({
      autoDeployed: false,
      createdDate: created,
      deploymentId: idOf(resource),
      deploymentStatus: "DEPLOYED",
      description: str(resource.inputs.description),
    });
  }

  function stageView(resource: LocalResource): Record<string, unknown> {
    const { inputs } = resource;
    const perRoute: Record<string, unknown> = {};
    for (const setting of Array.isArray(inputs.routeSettings) ? inputs.routeSettings : []) {
      if (!isRecord(setting)) continue;
      const key = str(setting.routeKey);
      if (key) perRoute[key] = routeSettings(setting) ?? {};
    }
    const logs = asRecord(inputs.accessLogSettings);
    return defined({
      accessLogSettings: logs
        ? defined({ destinationArn: str(logs.destinationArn), format: str(logs.format) })
        : undefined,
      apiGatewayManaged: false,
      autoDeploy: inputs.autoDeploy === true,
      createdDate: created,
      defaultRouteSettings: routeSettings(inputs.defaultRouteSettings) ?? {
        dataTraceEnabled: false,
        detailedMetricsEnabled: false,
      },
      deploymentId: str(inputs.deploymentId),
      description: str(inputs.description),
      lastUpdatedDate: created,
      routeSettings: perRoute,
      stageName: str(inputs.name) ?? idOf(resource),
      stageVariables: stringMap(inputs.stageVariables),
      tags: stringMap(inputs.tags),
    });
  }

  function page(items: Array<Record<string, unknown>>, url: URL): Record<string, unknown> {
    const max = Math.min(Math.max(Number(url.searchParams.get("maxResults") ?? 100) || 100, 1), 500);
    const token = url.searchParams.get("nextToken");
    const start = token ? Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) || 0 : 0;
    const end = start + max;
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString("base64") } : {}),
    };
  }

  /** The collections under `/v2/apis/{apiId}/`: their view, item name and the Get-operation names. */
  const COLLECTIONS: Record<
    string,
    { kind: Kind; view: (r: LocalResource) => Record<string, unknown>; what: string }
  > = {
    routes: { kind: "route", view: routeView, what: "Route" },
    integrations: { kind: "integration", view: integrationView, what: "Integration" },
    authorizers: { kind: "authorizer", view: authorizerView, what: "Authorizer" },
    deployments: { kind: "deployment", view: deploymentView, what: "Deployment" },
    stages: { kind: "stage", view: stageView, what: "Stage" },
  };

  function read(path: string, url: URL): unknown {
    const parts = path
      .split("/")
      .filter((part) => part !== "")
      .map((part) => decodeURIComponent(part));
    if (parts[0] !== "v2") return undefined;
    if (parts[1] === "apis") {
      if (parts.length === 2) return page(all("api").map(apiView), url);
      const apiId = parts[2] ?? "";
      const resource = api(apiId);
      if (parts.length === 3) return apiView(resource);
      const collection = COLLECTIONS[parts[3] ?? ""];
      if (!collection) return undefined;
      if (parts.length === 4) return page(ofApi(collection.kind, apiId).map(collection.view), url);
      const item = one(collection.kind, apiId, parts[4] ?? "", collection.what.toLowerCase());
      if (parts.length === 5) return collection.view(item);
      if (collection.kind === "route" && parts[5] === "routeresponses" && parts.length === 6) {
        return page(
          ofApi("routeResponse", apiId)
            .filter((r) => r.inputs.routeId === idOf(item))
            .map(routeResponseView),
          url,
        );
      }
      return undefined;
    }
    if (parts[1] === "tags" && parts.length === 3) {
      const arn = parts[2] ?? "";
      const apiId = /\/apis\/([^/]+)$/.exec(arn)?.[1];
      const resource = apiId ? all("api").find((r) => idOf(r) === apiId) : undefined;
      if (!resource) throw new LocalServiceError("NotFoundException", `Invalid resource ${arn}`, 404);
      return { tags: stringMap(resource.inputs.tags) };
    }
    return undefined;
  }

  /** A name for an operation the local cloud does not serve, from its method and path. */
  function operationName(method: string, path: string): string {
    const parts = path.split("/").filter((part) => part !== "");
    if (parts[0] === "restapis") return `apigateway:${method} /${parts.join("/")} (API Gateway v1)`;
    const verbs: Record<string, string> = {
      GET: "Get",
      POST: "Create",
      PATCH: "Update",
      DELETE: "Delete",
      PUT: "Import",
    };
    const verb = verbs[method] ?? method;
    const names: Record<string, string> = {
      apis: "Api",
      routes: "Route",
      integrations: "Integration",
      integrationresponses: "IntegrationResponse",
      authorizers: "Authorizer",
      deployments: "Deployment",
      stages: "Stage",
      models: "Model",
      routeresponses: "RouteResponse",
      domainnames: "DomainName",
      vpclinks: "VpcLink",
      apimappings: "ApiMapping",
      cors: "Cors",
      exports: "Export",
      tags: "Tag",
    };
    const last = [...parts].reverse().find((part) => names[part]);
    const noun = last ? names[last] : undefined;
    if (!noun) return `${method} ${path}`;
    const plural = method === "GET" && parts[parts.length - 1] === last && noun !== "Cors";
    return `${verb}${noun}${plural ? "s" : ""}`;
  }

  return {
    handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
      const method = req.method ?? "GET";
      const answer = method === "GET" ? read(url.pathname, url) : undefined;
      if (answer !== undefined) {
        sendRestJson(res, answer);
        return;
      }
      const name = operationName(method, url.pathname);
      throw name.startsWith("apigateway:")
        ? new LocalServiceError("NotImplemented", `the local cloud does not emulate ${name}`, 501)
        : notEmulated("apigateway", name);
    },
  };
}
