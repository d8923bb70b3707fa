import type { LocalLogger } from "../../types";
import { finiteNumber as num } from "../../values";
import { functionArnOf } from "./events";

/**
 * The API Gateway v2 model: the provisioned APIs, authorizers, integrations, routes (and which have route
 * responses), deployments and stages, the lookups the data planes make on them (a route by key, the Lambda
 * a route targets) and each stage's throttling (token buckets). No HTTP and no WebSocket here: provisioning
 * (provisioning.ts) fills it, the WebSocket server (websocket.ts), the HTTP API server (http.ts), the
 * authorizers (authorizers.ts) and the admin views (views.ts) read it.
 */

export interface ApiRecord {
  id: string;
  name: string;
  protocolType: string;
  routeSelectionExpression?: string;
  description?: string;
}

export interface AuthorizerRecord {
  id: string;
  apiId: string;
  name: string;
  type: string;
  uri?: string;
  identitySources: string[];
  /** HTTP APIs: simple responses (`isAuthorized`) instead of IAM policies. */
  enableSimpleResponses: boolean;
  /** HTTP APIs: seconds a decision is cached per identity-source values (AWS's default: 300). */
  ttlSeconds: number;
}

export interface IntegrationRecord {
  id: string;
  apiId: string;
  type: string;
  uri?: string;
}

export interface RouteRecord {
  id: string;
  apiId: string;
  routeKey: string;
  target?: string;
  authorizationType: string;
  authorizerId?: string;
  routeResponseSelectionExpression?: string;
}

export interface ThrottleSetting {
  rateLimit: number;
  burstLimit: number;
}

export interface StageRecord {
  apiId: string;
  name: string;
  deploymentId?: string;
  stageVariables: Record<string, string>;
  defaultThrottle?: ThrottleSetting;
  routeThrottle: Map<string, ThrottleSetting>;
}

/** The path of a stage's WebSocket endpoint (and, under it, its `@connections` API): `/ws/<apiId>/<stage>`. */
export function localWebSocketPath(apiId: string, stage: string): string {
  return `/ws/${apiId}/${stage}`;
}

/** Steady rate and burst, refilled continuously: API Gateway's throttling model. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly setting: ThrottleSetting) {
    this.tokens = setting.burstLimit;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      this.setting.burstLimit,
      this.tokens + ((now - this.last) / 1000) * this.setting.rateLimit,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A stage's (or a route setting's) throttling, when it sets a rate or a burst. */
export function throttleOf(settings: unknown): ThrottleSetting | undefined {
  if (typeof settings !== "object" || settings === null) return undefined;
  const s = settings as Record<string, unknown>;
  const rateLimit = num(s.throttlingRateLimit);
  const burstLimit = num(s.throttlingBurstLimit);
  if (rateLimit === undefined && burstLimit === undefined) return undefined;
  return {
    rateLimit: rateLimit ?? Number.POSITIVE_INFINITY,
    burstLimit: burstLimit ?? Number.POSITIVE_INFINITY,
  };
}

export const stageKey = (apiId: string, stage: string): string => `${apiId}/${stage}`;

/** The `stageVariables` member of an event: present only when the stage has variables. */
export function stageVariablesField(stage: StageRecord): { stageVariables?: Record<string, string> } {
  return Object.keys(stage.stageVariables).length > 0 ? { stageVariables: stage.stageVariables } : {};
}

export class ApiGatewayModel {
  readonly apis = new Map<string, ApiRecord>();
  readonly authorizers = new Map<string, AuthorizerRecord>();
  readonly integrations = new Map<string, IntegrationRecord>();
  readonly routes = new Map<string, RouteRecord>();
  /** Route ids that have a route response (two-way routes). */
  readonly routeResponses = new Map<string, string[]>();
  /** By `stageKey(apiId, name)`. */
  readonly stages = new Map<string, StageRecord>();
  readonly deployments = new Map<string, { apiId: string; description?: string }>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly log: LocalLogger) {}

  stage(apiId: string, name: string): StageRecord | undefined {
    return this.stages.get(stageKey(apiId, name));
  }

  route(apiId: string, routeKey: string): RouteRecord | undefined {
    for (const route of this.routes.values())
      if (route.apiId === apiId && route.routeKey === routeKey) return route;
    return undefined;
  }

  routesOf(apiId: string): RouteRecord[] {
    return [...this.routes.values()].filter((route) => route.apiId === apiId);
  }

  /** The Lambda a route targets (its AWS_PROXY integration), or undefined when the route has no target. */
  targetOf(route: RouteRecord): { integration: IntegrationRecord; functionArn?: string } | undefined {
    const match = /^integrations\/(.+)$/.exec(route.target ?? "");
    if (!match?.[1]) return undefined;
    const integration = this.integrations.get(match[1]);
    if (!integration) {
      this.log.warn(`route ${route.routeKey} targets an unknown integration`, { target: route.target });
      return undefined;
    }
    const isLambda =
      integration.type === "AWS_PROXY" && integration.uri !== undefined && /lambda/.test(integration.uri);
    return {
      integration,
      functionArn: isLambda && integration.uri ? functionArnOf(integration.uri) : undefined,
    };
  }

  twoWay(route: RouteRecord): boolean {
    return (this.routeResponses.get(route.id)?.length ?? 0) > 0;
  }

  /** Takes one request from the route's bucket (stage default route settings, or the route's own). */
  admit(stage: StageRecord, routeKey: string): boolean {
    const setting = stage.routeThrottle.get(routeKey) ?? stage.defaultThrottle;
    if (!setting) return true;
    const key = `${stageKey(stage.apiId, stage.name)}/${routeKey}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(setting);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }
}
