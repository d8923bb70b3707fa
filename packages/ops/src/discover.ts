import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
} from "@aws-sdk/client-eventbridge";
import { ListFunctionEventInvokeConfigsCommand, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
} from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { OpsClients } from "./clients";
import { OpsError } from "./errors";
import type { StackRef } from "./stack";

/** A queue of the stack, with its counts. */
export interface QueueInfo {
  /** Physical name (`orders-inventory-dlq`, `orders-order-processing-dlq-70038ed.fifo`). */
  name: string;
  /** The name without Pulumi's random suffix and `.fifo` (`orders-order-processing-dlq`). */
  logicalName: string;
  url: string;
  arn: string;
  fifo: boolean;
  /** The queue's own redrive policy (where SQS moves messages received too often). */
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  visible: number;
  inFlight: number;
  delayed: number;
  /** Age of the oldest message in seconds; null when unknown (no CloudWatch datapoint yet). */
  oldestAgeSeconds: number | null;
}

export interface SubscriptionInfo {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  rawMessageDelivery: boolean;
  filterPolicy?: unknown;
  filterPolicyScope: "MessageAttributes" | "MessageBody";
  deadLetterTargetArn?: string;
}

export interface TopicInfo {
  arn: string;
  name: string;
  subscriptions: SubscriptionInfo[];
}

export interface TargetInfo {
  id: string;
  arn: string;
  deadLetterArn?: string;
  /** The target rewrites the event (Input, InputPath, InputTransformer): its DLQ holds the original event. */
  transformsInput: boolean;
}

export interface RuleInfo {
  busName: string;
  name: string;
  arn: string;
  state: string;
  eventPattern?: unknown;
  targets: TargetInfo[];
}

/** A function's asynchronous-invocation failure handling. */
export interface FunctionFailureInfo {
  functionArn: string;
  functionName: string;
  /** `DestinationConfig.OnFailure.Destination` of its event invoke config. */
  onFailure?: string;
  /** Its `DeadLetterConfig.TargetArn`. */
  deadLetterTargetArn?: string;
}

/** What the operations know about the stack, read from the resources themselves. */
export interface Topology {
  queues: QueueInfo[];
  topics: TopicInfo[];
  rules: RuleInfo[];
  functions: FunctionFailureInfo[];
}

/** Where the messages of a DLQ come from. */
export type DlqSource =
  | { kind: "sqs"; queueArn: string; queueName: string; maxReceiveCount: number }
  | { kind: "sns"; subscriptionArn: string; topicArn: string; protocol: string; endpoint: string }
  | { kind: "eventbridge"; ruleArn: string; targetId: string; targetArn: string }
  | { kind: "lambda"; functionArn: string; via: "on-failure" | "dead-letter-config" };

export type DlqKind = DlqSource["kind"] | "handler";

export interface DlqInfo {
  queue: QueueInfo;
  /** Every declared source (queue redrive policies, subscription and target DLQs, function failure configs). */
  sources: DlqSource[];
  /** The kinds of dead letter it can hold; `handler` when a consumer of a source queue may dead-letter directly. */
  kinds: DlqKind[];
}

const DLQ_NAME = /-dlq(-[0-9a-f]{7})?(\.fifo)?$/;

/** A queue name without Pulumi's random suffix and `.fifo`: `orders-ordered-d6b103d.fifo` -> `orders-ordered`. */
export function logicalQueueName(name: string): string {
  return name.replace(/\.fifo$/, "").replace(/-[0-9a-f]{7}$/, "");
}

export const nameOfArn = (arn: string): string => arn.split(":").at(-1) ?? arn;

const parseJson = (text: string | undefined): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

async function listQueueUrls(clients: OpsClients, prefix?: string): Promise<string[]> {
  const urls: string[] = [];
  let token: string | undefined;
  do {
    const page = await clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken: token }),
    );
    urls.push(...(page.QueueUrls ?? []));
    token = page.NextToken;
  } while (token);
  return urls;
}

async function readQueue(clients: OpsClients, url: string): Promise<QueueInfo> {
  const { Attributes: a = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
  );
  const arn = a.QueueArn ?? "";
  const name = nameOfArn(arn) || (url.split("/").at(-1) ?? url);
  const policy = parseJson(a.RedrivePolicy) as
    | { deadLetterTargetArn?: string; maxReceiveCount?: unknown }
    | undefined;
  return {
    name,
    logicalName: logicalQueueName(name),
    url,
    arn,
    fifo: name.endsWith(".fifo"),
    ...(policy?.deadLetterTargetArn
      ? {
          redrive: {
            deadLetterTargetArn: policy.deadLetterTargetArn,
            maxReceiveCount: Number(policy.maxReceiveCount ?? 0),
          },
        }
      : {}),
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    oldestAgeSeconds: null,
  };
}

/** Every queue of the stack, with attributes and counts (oldest ages filled in by `fillOldestAges`). */
export async function listQueues(clients: OpsClients, stack: StackRef): Promise<QueueInfo[]> {
  const urls = await listQueueUrls(clients, stack.prefix);
  const queues: QueueInfo[] = [];
  // A few at a time: AWS throttles GetQueueAttributes bursts only far above this.
  for (let i = 0; i < urls.length; i += 8) {
    queues.push(...(await Promise.all(urls.slice(i, i + 8).map((url) => readQueue(clients, url)))));
  }
  return queues.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The age of the oldest message of each queue: the local cloud's `sqs/queues` view, or CloudWatch's
 * `ApproximateAgeOfOldestMessage` (SQS has no API for it; the metric is published every minute).
 */
export async function fillOldestAges(
  clients: OpsClients,
  stack: StackRef,
  queues: QueueInfo[],
): Promise<void> {
  if (queues.length === 0) return;
  if (stack.mode === "local" && stack.endpoint) {
    const view = (await localView(stack, "sqs/queues")) as Array<{
      name: string;
      depth?: { oldestAgeSeconds?: number };
    }>;
    const ages = new Map(view.map((q) => [q.name, q.depth?.oldestAgeSeconds ?? 0]));
    for (const queue of queues) queue.oldestAgeSeconds = ages.get(queue.name) ?? null;
    return;
  }
  const now = Date.now();
  await Promise.all(
    queues.map(async (queue) => {
      if (queue.visible + queue.inFlight + queue.delayed === 0) {
        queue.oldestAgeSeconds = 0;
        return;
      }
      try {
        const { Datapoints = [] } = await clients.cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: "AWS/SQS",
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: queue.name }],
            StartTime: new Date(now - 10 * 60_000),
            EndTime: new Date(now),
            Period: 60,
            Statistics: ["Maximum"],
          }),
        );
        const latest = Datapoints.sort(
          (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
        )[0];
        queue.oldestAgeSeconds = latest?.Maximum ?? null;
      } catch {
        queue.oldestAgeSeconds = null;
      }
    }),
  );
}

/** `GET <endpoint>/_local/<route>`: the local cloud's read-only views. */
export async function localView(
  stack: StackRef,
  route: string,
  query: Record<string, string> = {},
): Promise<unknown> {
  if (stack.mode !== "local" || !stack.endpoint)
    throw new OpsError(`${route}: only the local cloud has this view`);
  const url = new URL(`/_local/${route}`, stack.endpoint);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new OpsError(
      `the local cloud at ${stack.endpoint} does not answer (${(error as Error).message}): is pnpm dev running?`,
    );
  }
  const text = await response.text();
  if (!response.ok)
    throw new OpsError(`GET ${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

async function listTopics(clients: OpsClients, stack: StackRef): Promise<TopicInfo[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await clients.sns.send(new ListTopicsCommand({ NextToken: token }));
    for (const topic of page.Topics ?? []) if (topic.TopicArn) arns.push(topic.TopicArn);
    token = page.NextToken;
  } while (token);
  const mine = arns.filter((arn) => !stack.prefix || nameOfArn(arn).startsWith(stack.prefix));
  return Promise.all(
    mine.map(async (arn) => {
      const subscriptionArns: string[] = [];
      let next: string | undefined;
      do {
        const page = await clients.sns.send(
          new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: next }),
        );
        for (const s of page.Subscriptions ?? [])
          if (s.SubscriptionArn && s.SubscriptionArn !== "PendingConfirmation")
            subscriptionArns.push(s.SubscriptionArn);
        next = page.NextToken;
      } while (next);
      const subscriptions = await Promise.all(
        subscriptionArns.map(async (subscriptionArn): Promise<SubscriptionInfo> => {
          const { Attributes: a = {} } = await clients.sns.send(
            new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
          );
          const redrive = parseJson(a.RedrivePolicy) as { deadLetterTargetArn?: string } | undefined;
          const filterPolicy = parseJson(a.FilterPolicy);
          return {
            arn: subscriptionArn,
            topicArn: arn,
            protocol: a.Protocol ?? "",
            endpoint: a.Endpoint ?? "",
            rawMessageDelivery: a.RawMessageDelivery === "true",
            ...(filterPolicy !== undefined ? { filterPolicy } : {}),
            filterPolicyScope: a.FilterPolicyScope === "MessageBody" ? "MessageBody" : "MessageAttributes",
            ...(redrive?.deadLetterTargetArn ? { deadLetterTargetArn: redrive.deadLetterTargetArn } : {}),
          };
        }),
      );
      return { arn, name: nameOfArn(arn), subscriptions };
    }),
  );
}

async function listRules(clients: OpsClients, stack: StackRef): Promise<RuleInfo[]> {
  const buses: string[] = [];
  let token: string | undefined;
  do {
    const page = await clients.events.send(new ListEventBusesCommand({ NextToken: token }));
    for (const bus of page.EventBuses ?? []) if (bus.Name) buses.push(bus.Name);
    token = page.NextToken;
  } while (token);
  const rules: RuleInfo[] = [];
  for (const busName of buses) {
    let next: string | undefined;
    do {
      const page = await clients.events.send(
        new ListRulesCommand({ EventBusName: busName, NextToken: next }),
      );
      for (const rule of page.Rules ?? []) {
        if (!rule.Name || !rule.Arn) continue;
        if (stack.prefix && !rule.Name.startsWith(stack.prefix) && !busName.startsWith(stack.prefix))
          continue;
        const { Targets = [] } = await clients.events.send(
          new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: busName }),
        );
        rules.push({
          busName,
          name: rule.Name,
          arn: rule.Arn,
          state: rule.State ?? "ENABLED",
          ...(rule.EventPattern ? { eventPattern: parseJson(rule.EventPattern) } : {}),
          targets: Targets.filter((t) => t.Id && t.Arn).map((t) => ({
            id: t.Id as string,
            arn: t.Arn as string,
            ...(t.DeadLetterConfig?.Arn ? { deadLetterArn: t.DeadLetterConfig.Arn } : {}),
            transformsInput: Boolean(t.Input || t.InputPath || t.InputTransformer),
          })),
        });
      }
      next = page.NextToken;
    } while (next);
  }
  return rules;
}

/**
 * Functions with asynchronous failure handling (an on-failure destination or a dead-letter config). The
 * local cloud serves only Lambda's Invoke API: there the list is empty, and Lambda dead letters are still
 * recognised by their content (the invocation record names its function).
 */
async function listFunctionFailures(clients: OpsClients, stack: StackRef): Promise<FunctionFailureInfo[]> {
  if (stack.mode === "local") return [];
  const found: FunctionFailureInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.lambda.send(new ListFunctionsCommand({ Marker: marker }));
    for (const fn of page.Functions ?? []) {
      if (!fn.FunctionArn || !fn.FunctionName) continue;
      if (stack.prefix && !fn.FunctionName.startsWith(stack.prefix)) continue;
      const { FunctionEventInvokeConfigs = [] } = await clients.lambda.send(
        new ListFunctionEventInvokeConfigsCommand({ FunctionName: fn.FunctionName }),
      );
      const onFailure = FunctionEventInvokeConfigs.map(
        (c) => c.DestinationConfig?.OnFailure?.Destination,
      ).find(Boolean);
      const dlq = fn.DeadLetterConfig?.TargetArn;
      if (onFailure || dlq)
        found.push({
          functionArn: fn.FunctionArn,
          functionName: fn.FunctionName,
          ...(onFailure ? { onFailure } : {}),
          ...(dlq ? { deadLetterTargetArn: dlq } : {}),
        });
    }
    marker = page.NextMarker;
  } while (marker);
  return found;
}

/** Reads the stack's queues, topics with their subscriptions, rules with their targets, and function failure configs. */
export async function discover(clients: OpsClients, stack: StackRef): Promise<Topology> {
  const [queues, topics, rules, functions] = await Promise.all([
    listQueues(clients, stack),
    listTopics(clients, stack),
    listRules(clients, stack),
    listFunctionFailures(clients, stack),
  ]);
  return { queues, topics, rules, functions };
}

/** The declared sources of the DLQ with this ARN. */
export function sourcesOf(topology: Topology, dlqArn: string): DlqSource[] {
  const sources: DlqSource[] = [];
  for (const queue of topology.queues) {
    if (queue.redrive?.deadLetterTargetArn === dlqArn)
      sources.push({
        kind: "sqs",
        queueArn: queue.arn,
        queueName: queue.name,
        maxReceiveCount: queue.redrive.maxReceiveCount,
      });
  }
  for (const topic of topology.topics) {
    for (const s of topic.subscriptions) {
      if (s.deadLetterTargetArn === dlqArn)
        sources.push({
          kind: "sns",
          subscriptionArn: s.arn,
          topicArn: topic.arn,
          protocol: s.protocol,
          endpoint: s.endpoint,
        });
    }
  }
  for (const rule of topology.rules) {
    for (const target of rule.targets) {
      if (target.deadLetterArn === dlqArn)
        sources.push({ kind: "eventbridge", ruleArn: rule.arn, targetId: target.id, targetArn: target.arn });
    }
  }
  for (const fn of topology.functions) {
    if (fn.onFailure === dlqArn)
      sources.push({ kind: "lambda", functionArn: fn.functionArn, via: "on-failure" });
    if (fn.deadLetterTargetArn === dlqArn)
      sources.push({ kind: "lambda", functionArn: fn.functionArn, via: "dead-letter-config" });
  }
  return sources;
}

/**
 * The stack's DLQs: every queue something dead-letters into (a queue's redrive policy, a subscription's, a
 * rule target's, a function's), plus queues named `*-dlq` nothing declares yet.
 */
export function deadLetterQueues(topology: Topology): DlqInfo[] {
  const dlqs: DlqInfo[] = [];
  for (const queue of topology.queues) {
    const sources = sourcesOf(topology, queue.arn);
    if (sources.length === 0 && !DLQ_NAME.test(queue.name)) continue;
    const kinds = new Set<DlqKind>();
    for (const source of sources) {
      kinds.add(source.kind);
      // Consumers of a source queue dead-letter permanent failures straight into the queue's DLQ (runtime-kit).
      if (source.kind === "sqs") kinds.add("handler");
    }
    dlqs.push({ queue, sources, kinds: [...kinds] });
  }
  return dlqs;
}

/**
 * The queue a user named: a URL, an ARN, a physical name, or a logical name (without Pulumi's suffix).
 * @throws OpsError naming the queue and what the stack has
 */
export function resolveQueue(queues: readonly QueueInfo[], given: string): QueueInfo {
  const wanted = given.trim();
  if (wanted === "") throw new OpsError("a queue name or URL is required");
  const byExact = queues.find((q) => q.url === wanted || q.arn === wanted || q.name === wanted);
  if (byExact) return byExact;
  const tail = wanted.includes("/") ? (wanted.split("/").at(-1) ?? wanted) : wanted;
  const logical = logicalQueueName(tail);
  const matches = queues.filter((q) => q.name === tail || q.logicalName === logical);
  if (matches.length === 1) return matches[0] as QueueInfo;
  if (matches.length > 1)
    throw new OpsError(`queue "${given}" is ambiguous: ${matches.map((q) => q.name).join(", ")}`);
  throw new OpsError(
    `unknown queue "${given}": the stack's DLQs are ${
      queues
        .filter((q) => DLQ_NAME.test(q.name))
        .map((q) => q.logicalName)
        .join(", ") || "(none)"
    }`,
  );
}
