import { randomUUID } from "node:crypto";
import { RoutingError } from "../core/errors";
import { isPlainObject, toJsonObject } from "../core/json";
import { matchesEventPattern } from "../eventbridge/match";
import type { SnsMessageAttributes } from "../sns/attributes";
import { type FilterPolicyScope, matchesFilterPolicy } from "../sns/match";
import {
  arnOf,
  ofType,
  parseArn,
  physicalNameOf,
  property,
  type StackResource,
  stringProperty,
  RESOURCE_TYPES as T,
} from "./resources";
import type { RouteCollector } from "./result";
import { type S3EventInput, s3EventRecord, s3EventTypeCovers } from "./s3-event";

/** What SNS filters on: the attributes and the body of one published message. */
export interface SnsPayload {
  readonly attributes: SnsMessageAttributes;
  readonly body: string;
}

const NO_ATTRIBUTES: SnsMessageAttributes = {};

function busNameFromReference(reference: string | undefined): string {
  if (reference === undefined) return "default";
  if (!reference.startsWith("arn:")) return reference;
  const resource = parseArn(reference)?.resource ?? "";
  return resource.startsWith("event-bus/") ? resource.slice("event-bus/".length) : reference;
}

/** "$.detail.order" style InputPath; anything fancier is out of scope. */
function selectPath(event: Record<string, unknown>, path: string): unknown {
  if (path === "$") return event;
  let current: unknown = event;
  for (const segment of path.replace(/^\$\.?/, "").split(".")) {
    current = isPlainObject(current) ? current[segment] : undefined;
  }
  return current;
}

function isRuleEnabled(rule: StackResource): boolean {
  return property(rule, "state") !== "DISABLED" && property(rule, "isEnabled") !== false;
}

/** Walks a stack's declared resources the way SNS, EventBridge, S3, SQS and Lambda would deliver. */
export class StackRouter {
  private readonly topics: StackResource[];
  private readonly subscriptions: StackResource[];
  private readonly buses: StackResource[];
  private readonly rules: StackResource[];
  private readonly targets: StackResource[];
  private readonly notifications: StackResource[];
  private readonly buckets: StackResource[];
  private readonly queues: StackResource[];
  private readonly mappings: StackResource[];
  private readonly functions: StackResource[];

  constructor(resources: readonly StackResource[]) {
    this.topics = ofType(resources, T.topic);
    this.subscriptions = ofType(resources, T.subscription);
    this.buses = ofType(resources, T.eventBus);
    this.rules = ofType(resources, T.eventRule);
    this.targets = ofType(resources, T.eventTarget);
    this.notifications = ofType(resources, T.bucketNotification);
    this.buckets = ofType(resources, ...T.buckets);
    this.queues = ofType(resources, T.queue);
    this.mappings = ofType(resources, T.eventSourceMapping);
    this.functions = ofType(resources, T.function);
  }

  /** A declared topic by ARN, physical name or logical name. */
  findTopic(reference: string): TopicRef | undefined {
    const resource = this.topics.find(
      (topic) =>
        arnOf(topic) === reference || physicalNameOf(topic) === reference || topic.name === reference,
    );
    return resource && { key: arnOf(resource) ?? physicalNameOf(resource), resource };
  }

  describeTopics(): string {
    return this.topics.map((topic) => arnOf(topic) ?? topic.name).join(", ") || "none";
  }

  /** Delivers a published message to every subscription of the topic whose filter policy accepts it. */
  publish(topic: TopicRef, payload: SnsPayload, out: RouteCollector, visited: Set<string>): void {
    if (visited.has(`topic:${topic.key}`)) return;
    visited.add(`topic:${topic.key}`);
    const references = new Set([
      topic.key,
      ...(topic.resource ? [physicalNameOf(topic.resource), topic.resource.name] : []),
    ]);
    for (const subscription of this.subscriptions) {
      const subscribedTo = stringProperty(subscription, "topic");
      if (subscribedTo === undefined || !references.has(subscribedTo)) continue;
      if (!this.accepts(subscription, payload)) continue;
      out.subscription(subscription);
      const protocol = stringProperty(subscription, "protocol") ?? "";
      const endpoint = stringProperty(subscription, "endpoint") ?? "";
      if (protocol === "sqs") this.reachQueue(endpoint, out);
      else if (protocol === "lambda") this.reachFunction(endpoint, out);
      else out.endpoint(`${protocol}:${endpoint}`);
    }
  }

  /** A topic reached by ARN (a rule target, an S3 destination), whether or not the stack declares it. */
  topicByArn(arn: string): TopicRef {
    return { key: arn, resource: this.topics.find((topic) => arnOf(topic) === arn) };
  }

  private accepts(subscription: StackResource, payload: SnsPayload): boolean {
    const policy = property(subscription, "filterPolicy");
    if (policy === undefined || policy === null || policy === "") return true;
    const scope = (stringProperty(subscription, "filterPolicyScope") ??
      "MessageAttributes") as FilterPolicyScope;
    return matchesFilterPolicy(policy, scope === "MessageBody" ? payload.body : payload.attributes, scope);
  }

  /** The canonical (physical) name of a bus referenced by name, ARN or logical name; undefined if unknown. */
  resolveBusName(reference: string | undefined): string | undefined {
    const bus = this.buses.find(
      (candidate) =>
        reference !== undefined &&
        (arnOf(candidate) === reference ||
          physicalNameOf(candidate) === reference ||
          candidate.name === reference),
    );
    if (bus) return physicalNameOf(bus);
    const name = busNameFromReference(reference);
    if (name === "default") return name;
    return this.buses.some((candidate) => physicalNameOf(candidate) === name) ? name : undefined;
  }

  describeBuses(): string {
    return ["default", ...this.buses.map(physicalNameOf)].join(", ");
  }

  /** Puts an event on a bus: every enabled rule whose pattern matches sends it to each of its targets. */
  putEvent(busName: string, event: Record<string, unknown>, out: RouteCollector, visited: Set<string>): void {
    if (visited.has(`bus:${busName}`)) return;
    visited.add(`bus:${busName}`);
    const bus = this.buses.find((candidate) => physicalNameOf(candidate) === busName);
    const full = this.withEnvelope(event, bus ? arnOf(bus) : undefined);
    for (const rule of this.rules) {
      if (this.ruleBus(rule) !== busName || !isRuleEnabled(rule)) continue;
      const pattern = property(rule, "eventPattern");
      if (pattern === undefined || pattern === null || !matchesEventPattern(pattern, full)) continue;
      out.rule(rule);
      const ruleNames = new Set([physicalNameOf(rule), rule.name]);
      for (const target of this.targets) {
        const targetRule = stringProperty(target, "rule");
        if (targetRule === undefined || !ruleNames.has(targetRule) || this.ruleBus(target) !== busName)
          continue;
        this.deliverTarget(target, full, out, visited);
      }
    }
  }

  private ruleBus(resource: StackResource): string {
    const reference = stringProperty(resource, "eventBusName");
    return this.resolveBusName(reference) ?? busNameFromReference(reference);
  }

  /** EventBridge adds the envelope fields a PutEvents entry does not carry; Detail arrives as JSON text. */
  private withEnvelope(event: Record<string, unknown>, busArn: string | undefined): Record<string, unknown> {
    const arn = busArn ? parseArn(busArn) : undefined;
    const envelope: Record<string, unknown> = {
      version: "0",
      id: randomUUID(),
      account: arn?.account || "123456789012",
      time: new Date().toISOString(),
      region: arn?.region || "us-east-1",
      resources: [],
      ...event,
    };
    if (typeof event.detail === "string") envelope.detail = toJsonObject(event.detail) ?? event.detail;
    return envelope;
  }

  private deliverTarget(
    target: StackResource,
    event: Record<string, unknown>,
    out: RouteCollector,
    visited: Set<string>,
  ): void {
    const arn = stringProperty(target, "arn") ?? "";
    const parsed = parseArn(arn);
    const service = parsed?.service;
    if (service === "sqs") {
      this.reachQueue(arn, out);
    } else if (service === "lambda") {
      this.reachFunction(arn, out);
    } else if (service === "sns") {
      const topic = this.topicByArn(arn);
      const payload = { attributes: NO_ATTRIBUTES, body: targetBody(target, event) };
      if (out.topic(arn, topic.resource)) this.publish(topic, payload, out, visited);
    } else if (service === "events" && parsed?.resource.startsWith("event-bus/")) {
      // Bus-to-bus: the event is put, unchanged, on the other bus.
      this.putEvent(this.resolveBusName(arn) ?? busNameFromReference(arn), event, out, visited);
    } else {
      out.endpoint(arn);
    }
  }

  /** A queue receives the message; enabled event source mappings on it hand it to their functions. */
  reachQueue(arn: string, out: RouteCollector): void {
    const queue = this.queues.find((candidate) => arnOf(candidate) === arn);
    if (!out.queue(arn, queue)) return;
    for (const mapping of this.mappings) {
      if (stringProperty(mapping, "eventSourceArn") !== arn || property(mapping, "enabled") === false)
        continue;
      const functionName = stringProperty(mapping, "functionName");
      if (functionName) this.reachFunction(functionName, out);
    }
  }

  /** A function by ARN (qualified or not), physical name or logical name. */
  reachFunction(reference: string, out: RouteCollector): void {
    const fn = this.functions.find((candidate) => {
      const arn = arnOf(candidate);
      const name = physicalNameOf(candidate);
      return (
        (arn !== undefined && (reference === arn || reference.startsWith(`${arn}:`))) ||
        reference === name ||
        reference.startsWith(`${name}:`) ||
        reference === candidate.name
      );
    });
    out.function(reference, fn);
  }

  /** The physical name of a bucket referenced by name or logical name; undefined if the stack does not know it. */
  resolveBucketName(reference: string): string | undefined {
    const bucket = this.buckets.find(
      (candidate) =>
        candidate.name === reference ||
        stringProperty(candidate, "bucket") === reference ||
        stringProperty(candidate, "id") === reference,
    );
    if (bucket) return stringProperty(bucket, "bucket") ?? stringProperty(bucket, "id") ?? reference;
    return this.notifications.some((n) => stringProperty(n, "bucket") === reference) ? reference : undefined;
  }

  /**
   * Sends an S3 event through the bucket's notification configurations. S3 accepts only standard queues and
   * topics as destinations, so a FIFO one means the stack cannot deploy: that throws rather than route.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
   */
  notify(input: S3EventInput, out: RouteCollector, visited: Set<string>): void {
    for (const notification of this.notifications) {
      if (stringProperty(notification, "bucket") !== input.bucket) continue;
      for (const config of configurations(notification, "topics", input)) {
        const topic = this.topicByArn(String(config.topicArn ?? ""));
        if (topic.resource && isFifo(topic.resource, "fifoTopic"))
          throw fifoDestination(notification, topic.key);
        const body = JSON.stringify(s3EventRecord({ ...input, ...configurationId(config) }));
        if (out.topic(topic.key, topic.resource))
          this.publish(topic, { attributes: NO_ATTRIBUTES, body }, out, visited);
      }
      for (const config of configurations(notification, "queues", input)) {
        const arn = String(config.queueArn ?? "");
        const queue = this.queues.find((candidate) => arnOf(candidate) === arn);
        if (queue && isFifo(queue, "fifoQueue")) throw fifoDestination(notification, arn);
        this.reachQueue(arn, out);
      }
      for (const config of configurations(notification, "lambdaFunctions", input)) {
        this.reachFunction(String(config.lambdaFunctionArn ?? ""), out);
      }
    }
  }
}

/** A topic being published to: its key (ARN when known) and its resource when the stack declares it. */
export interface TopicRef {
  readonly key: string;
  readonly resource: StackResource | undefined;
}

function isFifo(resource: StackResource, flag: string): boolean {
  return property(resource, flag) === true || physicalNameOf(resource).endsWith(".fifo");
}

function fifoDestination(notification: StackResource, arn: string): RoutingError {
  return new RoutingError(
    `${notification.name}: S3 event notifications cannot target the FIFO destination "${arn}"; AWS accepts only standard SQS queues and SNS topics.`,
  );
}

function targetBody(target: StackResource, event: Record<string, unknown>): string {
  const input = stringProperty(target, "input");
  if (input !== undefined) return input;
  const inputPath = stringProperty(target, "inputPath");
  return JSON.stringify(inputPath === undefined ? event : selectPath(event, inputPath));
}

function configurationId(config: Record<string, unknown>): { configurationId?: string } {
  return typeof config.id === "string" ? { configurationId: config.id } : {};
}

/** The notification configurations of one kind whose event types and key filters cover the event. */
function configurations(
  notification: StackResource,
  kind: string,
  input: S3EventInput,
): Record<string, unknown>[] {
  const list = property(notification, kind);
  if (!Array.isArray(list)) return [];
  return list.filter((config): config is Record<string, unknown> => {
    if (!isPlainObject(config)) return false;
    const events = Array.isArray(config.events) ? config.events : [];
    const prefix = typeof config.filterPrefix === "string" ? config.filterPrefix : "";
    const suffix = typeof config.filterSuffix === "string" ? config.filterSuffix : "";
    return (
      events.some((event) => typeof event === "string" && s3EventTypeCovers(event, input.eventName)) &&
      input.key.startsWith(prefix) &&
      input.key.endsWith(suffix)
    );
  });
}
