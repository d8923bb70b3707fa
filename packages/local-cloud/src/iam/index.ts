import type { IncomingMessage, ServerResponse } from "node:http";
import { requestId } from "../protocol";
import { type LocalLogger, type LocalResource, LocalServiceError } from "../types";
import { parseJsonInput } from "../values";
import { ConditionKeyIndex } from "./context-keys";
import { decodeRequest, type RequestedAction } from "./decode";
import { denialMessage, sendDenial } from "./denial";
import type { Evaluate, Evaluation } from "./evaluator";
import { type NamedPolicy, PolicyStore, parsePolicy } from "./policies";
import { accessKeyIdOf, type Principal, Principals } from "./principals";

export type { RequestedAction } from "./decode";
export { type NamedPolicy, type PolicyDocument, PolicyStore } from "./policies";
export { type Credentials, type Principal, roleNameOf } from "./principals";

/** A refused request or delivery: who, what, on which resource, and which kind of policy said no. */
export interface Denial {
  principal: string;
  action: string;
  resource: string;
  /** AWS's reason clause: "because no identity-based policy allows the sqs:SendMessage action". */
  reason: string;
  /** The policy that decided: the role's (identity) or the resource's. */
  deniedBy: "identity" | "resource";
  /** The resource policy's id or the resource's ARN (for log lines). */
  policy?: string;
}

/**
 * A request a role session made (a function's runtime, an event source mapping polling with the function's role, an
 * assumed-role session), as IAM decided it: recorded by `Iam.recordCalls()` so a test can ask what the same calls
 * would get under other policies (`Iam.replay`), without running the scenario again.
 */
export interface RecordedCall {
  principal: Principal;
  request: RequestedAction;
  allowed: boolean;
}

/** A service-to-service delivery (SNS -> SQS, EventBridge -> SQS, S3 -> SNS, CloudWatch -> SNS, API Gateway -> Lambda). */
export interface DeliveryCheck {
  /** The service principal: `sns.amazonaws.com`, `events.amazonaws.com`, ... */
  service: string;
  action: string;
  resource: string;
  /** The ARN of the sending resource (topic, rule, bucket, alarm, API route): `aws:SourceArn`. */
  sourceArn: string;
  /** @default the account */
  sourceAccount?: string;
}

/** A delivery the destination's policy refuses (AWS's client-side error: not retried; DLQ if any, else dropped). */
export class DeliveryDenied extends LocalServiceError {
  constructor(readonly denial: Denial) {
    super("AccessDenied", denialMessage(denial), 403);
  }
}

/** The decision of a delivery is not cached yet: try again once `ready` settles (same order for the same edge). */
export class DeliveryPending extends Error {
  constructor(readonly ready: Promise<unknown>) {
    super("delivery authorization pending");
  }
}

/** IAM as the rest of the engine sees it; with IAM off every answer is "allowed". */
export interface IamEngine {
  readonly enabled: boolean;
  readonly policies: PolicyStore;
  readonly principals: Principals;
  /** The principal a request was signed as. */
  principalOf(req: IncomingMessage): Principal;
  /** The runtime credentials of a function (as Lambda sets them in its environment); undefined without a role. */
  functionCredentials(
    functionName: string,
    roleArn: string | undefined,
  ): { accessKeyId: string; secretAccessKey: string; sessionToken: string } | undefined;
  /**
   * Checks a delivery against the destination's resource policy (and its KMS key policy). Synchronous when the
   * decision is cached (every declared delivery is warmed at start), else a promise.
   */
  checkDelivery(check: DeliveryCheck): Denial | undefined | Promise<Denial | undefined>;
  /**
   * For synchronous delivery code: returns when allowed; throws `DeliveryDenied` (after logging it and counting
   * the metric, naming `source` and the destination's policy) or `DeliveryPending` (decide, then retry).
   */
  requireDelivery(check: DeliveryCheck, source: string): void;
  /**
   * Runs `send` when the delivery is allowed (now if the decision is cached, else once decided); when refused,
   * logs and counts it, calls `denied`, and never sends (where AWS drops silently: S3 -> SNS, alarm -> SNS).
   */
  deliverChecked(
    check: DeliveryCheck,
    source: string,
    send: () => void,
    denied?: (denial: Denial) => void,
  ): void;
  /**
   * API Gateway -> Lambda: the function's permissions must let `apigateway.amazonaws.com` invoke it for the
   * route (`<api>/<stage>/<route key>`) or the authorizer (`<api>/authorizers/<id>`), as `aws:SourceArn`.
   * @throws DeliveryDenied (API Gateway then answers 500, as AWS does for "Invalid permissions on Lambda function")
   */
  requireApiGatewayInvoke(functionArn: string, event: unknown, routeKey: string): Promise<void>;
  /**
   * Whether the principal who signed `req` may do `action` on `resource`, beyond what the request itself asked: S3
   * answers a missing key with 404 only to a caller allowed `s3:ListBucket` on the bucket, else with 403.
   */
  allows(req: IncomingMessage, action: string, resource: string): Promise<boolean>;
  /**
   * A queue's or topic's policy as its emulator now holds it (`undefined`: removed), set by a client at runtime
   * (`SetQueueAttributes`/`SetTopicAttributes` Policy, `CreateQueue`/`CreateTopic` with one, an empty one, a deleted
   * queue or topic): IAM evaluates it from now on, as AWS does. The emulators call it where they apply the change,
   * so IAM never disagrees with what `GetQueueAttributes`/`GetTopicAttributes` show.
   */
  resourcePolicyChanged(arn: string, policyJson: string | undefined): void;
  /** Checks what a role may do (an event source mapping's polling with the function's execution role). */
  checkRole(roleArn: string, action: string, resource: string): Promise<Denial | undefined>;
  /**
   * Counts and logs a delivery refused where AWS drops silently: one warning line naming the source, the
   * destination and the policy, and the `LocalCloud/IAM` `DeliveriesDenied` metric.
   */
  reportDroppedDelivery(source: string, destination: string, denial: Denial): void;
}

export interface IamOptions {
  enabled: boolean;
  accountId: string;
  region: string;
  log: LocalLogger;
  /** Publishes a metric (the CloudWatch emulator), when it runs. */
  putMetric?: (name: string, dimensions: Record<string, string>) => void;
}

/**
 * A route key as it stands in an execute-api ARN: an HTTP API's `POST /sms` is `POST/sms`
 * (`<api>/<stage>/<METHOD>/<path>`), a WebSocket route key (`$connect`) stands as it is.
 */
function executeApiRoute(routeKey: string): string {
  const http = /^([A-Z]+|ANY) (\/.*)$/.exec(routeKey);
  if (!http) return routeKey;
  return `${http[1] === "ANY" ? "*" : http[1]}${http[2]}`;
}

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/** The KMS actions a request on an encrypted resource needs, by the request's action. */
function kmsActionsFor(action: string): string[] {
  if (/^(sqs:SendMessage|sns:Publish|dynamodb:(PutItem|UpdateItem|BatchWriteItem))$/.test(action))
    return ["kms:GenerateDataKey", "kms:Decrypt"];
  if (/^(sqs:ReceiveMessage|dynamodb:(GetItem|Query|Scan|BatchGetItem|DeleteItem))$/.test(action))
    return ["kms:Decrypt"];
  return [];
}

/**
 * The local cloud's IAM: resolves each request's principal, decodes what it asks, and asks the evaluator
 * (`./evaluator.ts`, loaded only when IAM is on) with the role's identity policies and the resource's policy;
 * decisions are cached by (principal, action, resource, context) until a policy changes.
 */
export class Iam implements IamEngine {
  readonly policies: PolicyStore;
  readonly principals: Principals;
  readonly enabled: boolean;
  private evaluate?: Evaluate;
  private loading?: Promise<Evaluate>;
  private readonly cache = new Map<string, Denial | undefined | Promise<Denial | undefined>>();
  private cacheGeneration = -1;
  /** How the current policies use context keys (rebuilt with the cache). */
  private conditionKeys = new ConditionKeyIndex([]);
  /** Evaluations run so far (each a cache miss). */
  private evaluationCount = 0;
  /** The calls role sessions made, by role ARN, once `recordCalls()` turned recording on. */
  private recording?: Map<string, Map<string, RecordedCall>>;
  /** Refused deliveries so far, for `GET /_local/iam/denials`. */
  readonly denials: Array<Denial & { at: string; kind: "request" | "delivery"; source?: string }> = [];

  constructor(private readonly options: IamOptions) {
    this.enabled = options.enabled;
    this.policies = new PolicyStore(options.accountId, options.region);
    this.principals = new Principals(options.accountId);
  }

  provision(resource: LocalResource): void {
    this.policies.provision(resource);
  }

  principalOf(req: IncomingMessage): Principal {
    return this.principals.resolve(accessKeyIdOf(req));
  }

  functionCredentials(functionName: string, roleArn: string | undefined) {
    if (!roleArn) return undefined;
    return this.principals.functionCredentials(roleArn, functionName);
  }

  /** Loads the evaluator (IAM on only). */
  async load(): Promise<void> {
    if (!this.enabled || this.evaluate) return;
    this.loading ??= import("./evaluator").then(({ loadEvaluator }) => loadEvaluator());
    this.evaluate = await this.loading;
  }

  /** Authorizes an AWS API request; undefined when allowed. */
  async authorizeRequest(
    signingName: string,
    req: IncomingMessage,
    body: Buffer,
  ): Promise<Denial | undefined> {
    if (!this.enabled) return undefined;
    if (signingName === "sts") return undefined; // STS decides itself (GetCallerIdentity needs no permission)
    const principal = this.principalOf(req);
    const requested = decodeRequest(signingName, req, body, {
      accountId: this.options.accountId,
      region: this.options.region,
      partitionKey: (table) => this.policies.partitionKeys.get(table),
    });
    for (const item of requested) {
      const denial = await this.decideWithKey(principal, item);
      if (denial) {
        this.remember(denial, "request");
        return denial;
      }
    }
    return undefined;
  }

  /**
   * The request's decision, then, on a resource under a customer managed key, the KMS actions it implies
   * (`kms:ViaService` the resource's service), which the key policy and the caller's policy must both allow.
   */
  private async decideWithKey(principal: Principal, item: RequestedAction): Promise<Denial | undefined> {
    const denial = await this.decide(principal, item);
    if (denial) return denial;
    const key = this.policies.keyOf(item.resource.split("/index/")[0] as string);
    if (!key) return undefined;
    const service = item.action.split(":")[0] as string;
    for (const action of kmsActionsFor(item.action)) {
      const kmsDenial = await this.decide(principal, {
        action,
        resource: key,
        context: { "kms:ViaService": `${service}.${this.options.region}.amazonaws.com` },
      });
      if (kmsDenial) return kmsDenial;
    }
    return undefined;
  }

  resourcePolicyChanged(arn: string, policyJson: string | undefined): void {
    const policy = policyJson === undefined ? undefined : parsePolicy(policyJson);
    if (policyJson !== undefined && !policy) {
      this.options.log.warn(`iam: the policy set on ${arn} is not a policy document; ignored`);
      return;
    }
    this.policies.setResourcePolicy(arn, policy);
  }

  async allows(req: IncomingMessage, action: string, resource: string): Promise<boolean> {
    if (!this.enabled) return true;
    return (await this.decideWithKey(this.principalOf(req), { action, resource })) === undefined;
  }

  /** Writes the denial in the shape of the request's protocol. */
  sendDenial(signingName: string, req: IncomingMessage, res: ServerResponse, denial: Denial): void {
    sendDenial(signingName, req, res, denial, requestId());
  }

  checkDelivery(check: DeliveryCheck): Denial | undefined | Promise<Denial | undefined> {
    if (!this.enabled) return undefined;
    const context: Record<string, string> = {
      "aws:SourceArn": check.sourceArn,
      "aws:SourceAccount": check.sourceAccount ?? this.options.accountId,
    };
    const key = `delivery\n${check.service}\n${check.action}\n${check.resource}\n${check.sourceArn}`;
    this.freshCache();
    if (this.cache.has(key)) return this.cache.get(key);
    const pending = (async () => {
      await this.load();
      const denial = await this.evaluateOnce(check.service, [], {
        action: check.action,
        resource: check.resource,
        context,
      });
      if (denial) return denial;
      const keyArn = this.policies.keyOf(check.resource);
      if (!keyArn) return undefined;
      const service = check.resource.split(":")[2] as string;
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        const kms = await this.evaluateOnce(check.service, [], {
          action,
          resource: keyArn,
          context: { ...context, "kms:ViaService": `${service}.${this.options.region}.amazonaws.com` },
        });
        if (kms) return kms;
      }
      return undefined;
    })();
    this.cache.set(key, pending);
    void pending.then((denial) => {
      if (this.cache.get(key) === pending) this.cache.set(key, denial);
    });
    return pending;
  }

  requireDelivery(check: DeliveryCheck, source: string): void {
    const verdict = this.checkDelivery(check);
    if (verdict instanceof Promise) throw new DeliveryPending(verdict);
    if (verdict) {
      this.reportDroppedDelivery(source, check.resource, verdict);
      throw new DeliveryDenied(verdict);
    }
  }

  deliverChecked(
    check: DeliveryCheck,
    source: string,
    send: () => void,
    denied?: (denial: Denial) => void,
  ): void {
    const settle = (verdict: Denial | undefined) => {
      if (!verdict) {
        send();
        return;
      }
      this.reportDroppedDelivery(source, check.resource, verdict);
      denied?.(verdict);
    };
    const verdict = this.checkDelivery(check);
    if (!(verdict instanceof Promise)) {
      settle(verdict);
      return;
    }
    verdict.then(settle).catch((error: unknown) => {
      this.options.log.error(`delivery from ${source} to ${check.resource} failed`, {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  /**
   * Decides every delivery the program declared (SNS subscriptions to queues, rule targets, bucket notifications
   * to topics, alarm actions), so deliveries find their decision cached and stay synchronous and in order.
   */
  async warm(resources: readonly LocalResource[]): Promise<void> {
    if (!this.enabled) return;
    const arnOf = (r: LocalResource) => String((r.outputs as Record<string, unknown>)?.arn ?? "");
    const checks: DeliveryCheck[] = [];
    const rules = new Map<string, string>();
    for (const r of resources)
      if (r.type === "aws:cloudwatch/eventRule:EventRule")
        rules.set(String(r.outputs?.name ?? r.inputs.name ?? ""), arnOf(r));
    for (const r of resources) {
      const inputs = r.inputs;
      if (r.type === "aws:sns/topicSubscription:TopicSubscription" && inputs.protocol === "sqs") {
        checks.push({
          service: "sns.amazonaws.com",
          action: "sqs:SendMessage",
          resource: String(inputs.endpoint),
          sourceArn: String(inputs.topic),
        });
      }
      const redrive =
        r.type === "aws:sns/topicSubscription:TopicSubscription" ? inputs.redrivePolicy : undefined;
      if (redrive) {
        const parsed = parseJsonInput(redrive) as { deadLetterTargetArn?: unknown } | undefined;
        if (typeof parsed?.deadLetterTargetArn === "string")
          checks.push({
            service: "sns.amazonaws.com",
            action: "sqs:SendMessage",
            resource: parsed.deadLetterTargetArn,
            sourceArn: String(inputs.topic),
          });
      }
      if (r.type === "aws:sns/topicSubscription:TopicSubscription" && inputs.protocol === "lambda") {
        checks.push({
          service: "sns.amazonaws.com",
          action: "lambda:InvokeFunction",
          resource: this.policies.functionArn(String(inputs.endpoint)),
          sourceArn: String(inputs.topic),
        });
      }
      if (
        r.type === "aws:cloudwatch/eventTarget:EventTarget" &&
        String(inputs.arn).startsWith("arn:aws:sqs:")
      ) {
        const rule = rules.get(String(inputs.rule));
        if (rule)
          checks.push({
            service: "events.amazonaws.com",
            action: "sqs:SendMessage",
            resource: String(inputs.arn),
            sourceArn: rule,
          });
      }
      if (r.type === "aws:s3/bucketNotification:BucketNotification" && Array.isArray(inputs.topics)) {
        for (const topic of inputs.topics as Array<Record<string, unknown>>) {
          checks.push({
            service: "s3.amazonaws.com",
            action: "sns:Publish",
            resource: String(topic.topicArn),
            sourceArn: `arn:aws:s3:::${String(inputs.bucket)}`,
          });
        }
      }
      if (r.type === "aws:cloudwatch/metricAlarm:MetricAlarm") {
        const actions = [inputs.alarmActions, inputs.okActions, inputs.insufficientDataActions].flatMap(
          (a) => (Array.isArray(a) ? a : []),
        );
        for (const action of new Set(
          actions.filter((a): a is string => typeof a === "string" && a.startsWith("arn:aws:sns:")),
        )) {
          checks.push({
            service: "cloudwatch.amazonaws.com",
            action: "sns:Publish",
            resource: action,
            sourceArn: arnOf(r),
          });
        }
      }
    }
    await Promise.all(checks.map((check) => this.checkDelivery(check)));
  }

  async requireApiGatewayInvoke(functionArn: string, event: unknown, routeKey: string): Promise<void> {
    if (!this.enabled) return;
    const context = ((event as { requestContext?: Record<string, unknown> })?.requestContext ?? {}) as Record<
      string,
      unknown
    >;
    const methodArn = (event as { methodArn?: unknown })?.methodArn;
    const apiId = String(
      context.apiId ?? (typeof methodArn === "string" ? (methodArn.split(":")[5]?.split("/")[0] ?? "") : ""),
    );
    const stage = String(context.stage ?? "");
    const fn = this.policies.functionArn(functionArn);
    const prefix = `arn:aws:execute-api:${this.options.region}:${this.options.accountId}:${apiId}`;
    const authorizer = this.policies.authorizers.get(`${apiId} ${fn}`);
    const sourceArn =
      /(^|\s)authorizer$/.test(routeKey) && authorizer
        ? `${prefix}/authorizers/${authorizer}`
        : `${prefix}/${stage}/${executeApiRoute(String(context.routeKey ?? routeKey))}`;
    const check = {
      service: "apigateway.amazonaws.com",
      action: "lambda:InvokeFunction",
      resource: fn,
      sourceArn,
    };
    const denial = await this.checkDelivery(check);
    if (denial) {
      this.reportDroppedDelivery(sourceArn, fn, denial);
      throw new DeliveryDenied(denial);
    }
  }

  async checkRole(roleArn: string, action: string, resource: string): Promise<Denial | undefined> {
    if (!this.enabled) return undefined;
    const principal = this.principals.resolve(
      this.principals.functionCredentials(roleArn, "event-source-mapping").accessKeyId,
    );
    // Polling a queue under a customer managed key also needs kms:Decrypt (Lambda with SQS, "Execution role
    // permissions"), from the key policy and the role.
    const denial = await this.decideWithKey(principal, { action, resource });
    if (denial) this.remember(denial, "request");
    return denial;
  }

  reportDroppedDelivery(source: string, destination: string, denial: Denial): void {
    this.remember(denial, "delivery", source);
    this.options.log.warn(
      `iam: ${denial.principal} may not ${denial.action} on ${destination}: delivery from ${source} dropped (as AWS drops it)`,
      { source, destination, policy: denial.policy ?? denial.resource, reason: denial.reason },
    );
    this.options.putMetric?.("DeliveriesDenied", { Source: source, Destination: destination });
  }

  /**
   * Starts recording the calls role sessions make (each distinct decision once, by role): what a scenario
   * needed of each role, for `replay`. Off by default (`pnpm dev` never records).
   */
  recordCalls(): void {
    this.recording ??= new Map();
  }

  /** The calls recorded for a role (`recordCalls()`), in the order first made. */
  recordedCalls(roleArn: string): RecordedCall[] {
    return [...(this.recording?.get(roleArn)?.values() ?? [])];
  }

  /** The roles whose sessions made a recorded call. */
  recordedRoles(): string[] {
    return [...(this.recording?.keys() ?? [])];
  }

  /**
   * What each call would get if its role had these identity policies (the resource policies as they are now):
   * the denials, in AWS's terms. Evaluated by the same evaluator and context as the request itself, outside
   * the decision cache, changing nothing.
   */
  async replay(calls: readonly RecordedCall[], identityPolicies: NamedPolicy[]): Promise<Denial[]> {
    await this.load();
    if (!this.evaluate) return [];
    const denials: Denial[] = [];
    for (const call of calls) {
      const denial = await this.evaluateOnce(
        call.principal.sessionArn,
        identityPolicies,
        call.request,
        call.principal,
      );
      if (denial) denials.push(denial);
    }
    return denials;
  }

  /** Every role of the stack may be assumed by the administrator (a local convenience). */
  canAssume(principal: Principal, roleArn: string): boolean {
    return principal.kind === "administrator" && this.policies.hasRole(roleArn);
  }

  private remember(denial: Denial, kind: "request" | "delivery", source?: string): void {
    this.denials.push({ ...denial, kind, source, at: new Date().toISOString() });
    if (this.denials.length > 200) this.denials.splice(0, this.denials.length - 200);
  }

  /** How many times the evaluator ran (decisions not found in the cache). */
  get evaluations(): number {
    return this.evaluationCount;
  }

  private freshCache(): void {
    if (this.cacheGeneration !== this.policies.generation) {
      this.cache.clear();
      this.conditionKeys = new ConditionKeyIndex(this.policies.documents());
      this.cacheGeneration = this.policies.generation;
    }
  }

  /**
   * The decision of a request, cached by (principal, action, resource, context as the policies can tell it
   * apart: `./context-keys.ts`) until a policy changes.
   */
  private async decide(principal: Principal, item: RequestedAction): Promise<Denial | undefined> {
    this.freshCache();
    const key = `${principal.sessionArn}\n${item.action}\n${item.resource}\n${this.conditionKeys.signature(item.context)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined || this.cache.has(key)) {
      const denial = await cached;
      this.record(principal, item, key, denial);
      return denial;
    }
    const identity =
      principal.kind === "administrator"
        ? [{ name: "AdministratorAccess", policy: ALLOW_ALL }]
        : this.policies.identityPolicies(principal.arn);
    const pending = (async () => {
      await this.load();
      return this.evaluateOnce(principal.sessionArn, identity, item, principal);
    })();
    this.cache.set(key, pending);
    const denial = await pending;
    if (this.cache.get(key) === pending) this.cache.set(key, denial);
    this.record(principal, item, key, denial);
    return denial;
  }

  private record(principal: Principal, item: RequestedAction, key: string, denial: Denial | undefined): void {
    if (!this.recording || principal.kind !== "role") return;
    let calls = this.recording.get(principal.arn);
    if (!calls) {
      calls = new Map();
      this.recording.set(principal.arn, calls);
    }
    // One call per decision the cache would tell apart (the first request of each kind, with its own context);
    // an allowed call replaces one refused while a test had removed a statement.
    if (!calls.get(key)?.allowed) calls.set(key, { principal, request: item, allowed: denial === undefined });
  }

  private async evaluateOnce(
    caller: string,
    identityPolicies: Array<{ name: string; policy: unknown }>,
    item: RequestedAction,
    principal?: Principal,
  ): Promise<Denial | undefined> {
    const evaluate = this.evaluate as Evaluate;
    const resourceArn = item.resource;
    // A bucket policy covers its objects; an index is the table's.
    const policyArn = resourceArn.startsWith("arn:aws:s3:::")
      ? `arn:aws:s3:::${resourceArn.slice("arn:aws:s3:::".length).split("/")[0]}`
      : (resourceArn.split("/index/")[0] as string);
    const resourcePolicy = this.policies.resourcePolicy(policyArn);
    const context: Record<string, string | string[]> = {
      "aws:SecureTransport": "true",
      "aws:CurrentTime": new Date().toISOString(),
      ...item.context,
    };
    if (principal) {
      context["aws:PrincipalArn"] = principal.arn;
      context["aws:PrincipalAccount"] = this.options.accountId;
    } else {
      context["aws:PrincipalServiceName"] = caller;
    }
    delete context["aws:CurrentTime"]; // not used by the stack; keeps decisions cacheable
    let evaluation: Evaluation;
    this.evaluationCount++;
    try {
      evaluation = await evaluate({
        principal: caller,
        action: item.action,
        resource: resourceArn,
        resourceAccount: resourceArn.split(":")[4] || this.options.accountId,
        context,
        identityPolicies,
        resourcePolicy,
      });
    } catch (error) {
      evaluation = {
        result: "ImplicitlyDenied",
        error: error instanceof Error ? error.message : String(error),
      };
    }
    if (evaluation.result === "Allowed") return undefined;
    if (evaluation.error)
      this.options.log.warn(`iam: the evaluator refused ${item.action} on ${resourceArn}`, {
        error: evaluation.error,
      });
    const deniedBy = evaluation.deniedBy ?? "identity";
    const explicit = evaluation.result === "ExplicitlyDenied";
    const kind = deniedBy === "identity" ? "identity-based" : "resource-based";
    const reason = explicit
      ? `with an explicit deny in a ${kind} policy`
      : `because no ${kind} policy allows the ${item.action} action`;
    return {
      principal: principal ? principal.sessionArn : caller,
      action: item.action,
      resource: resourceArn,
      reason,
      deniedBy,
      policy:
        deniedBy === "resource"
          ? `resource policy of ${policyArn}`
          : principal?.roleName
            ? `role ${principal.roleName}`
            : undefined,
    };
  }
}
