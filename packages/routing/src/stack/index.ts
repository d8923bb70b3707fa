import { RoutingError } from "../core/errors";
import { isPlainObject } from "../core/json";
import type { SnsMessageAttributes } from "../sns/attributes";
import type { StackResource } from "./resources";
import { RouteCollector, type RouteResult } from "./result";
import { StackRouter } from "./router";

export type { StackResource } from "./resources";
export { RESOURCE_TYPES } from "./resources";
export type { RouteResult } from "./result";

/** A Publish call: the topic, and what SNS filters on. */
export interface PublishedMessage {
  /** The topic's ARN (its physical or logical name also work). */
  readonly topicArn: string;
  readonly messageAttributes?: SnsMessageAttributes;
  readonly body?: string;
}

/** A PutEvents entry, written as the event EventBridge builds from it. */
export interface PutEventInput {
  /** Bus name or ARN; "default" (or absent) is the account's default bus. */
  readonly eventBusName?: string;
  readonly event: {
    readonly source: string;
    readonly "detail-type": string;
    /** An object, or the JSON text PutEvents takes as Detail. */
    readonly detail?: unknown;
    readonly [field: string]: unknown;
  };
}

/** An S3 object event: the bucket's name (or logical name), e.g. "ObjectCreated:Put", and the object key. */
export interface S3ObjectEvent {
  readonly bucket: string;
  readonly eventName: string;
  readonly key: string;
  readonly size?: number;
}

const routers = new WeakMap<readonly StackResource[], StackRouter>();

function routerFor(resources: readonly StackResource[]): StackRouter {
  let router = routers.get(resources);
  if (!router) {
    router = new StackRouter(resources);
    routers.set(resources, router);
  }
  return router;
}

/**
 * Where SNS delivers a message published to a topic of this stack: every subscription whose filter policy
 * (MessageAttributes or MessageBody scope) accepts it, then the queues, functions (directly, or through enabled
 * event source mappings) and other endpoints behind them. Throws when the topic is not in the stack, so a typo
 * cannot silently route nowhere.
 */
export function routeMessage(resources: readonly StackResource[], message: PublishedMessage): RouteResult {
  const router = routerFor(resources);
  const topic = router.findTopic(message.topicArn);
  if (!topic) {
    throw new RoutingError(
      `routeMessage: topic "${message.topicArn}" is not among the stack's aws:sns/topic:Topic resources (known: ${router.describeTopics()}).`,
    );
  }
  const out = new RouteCollector();
  const payload = { attributes: message.messageAttributes ?? {}, body: message.body ?? "" };
  router.publish(topic, payload, out, new Set());
  return out.result;
}

/**
 * Where EventBridge delivers an event put on a bus of this stack: every enabled rule on that bus whose pattern
 * matches, then each rule's targets (queues, functions, topics and their subscriptions, other buses). Throws when
 * the bus is neither "default" nor in the stack.
 */
export function routeEvent(resources: readonly StackResource[], put: PutEventInput): RouteResult {
  const router = routerFor(resources);
  const busName = router.resolveBusName(put.eventBusName);
  if (busName === undefined) {
    throw new RoutingError(
      `routeEvent: event bus "${put.eventBusName}" is not "default" nor among the stack's aws:cloudwatch/eventBus:EventBus resources (known: ${router.describeBuses()}).`,
    );
  }
  if (!isPlainObject(put.event)) throw new RoutingError("routeEvent: event must be an object.");
  const out = new RouteCollector();
  router.putEvent(busName, { ...put.event }, out, new Set());
  return out.result;
}

/**
 * Where S3 delivers an object event of a bucket of this stack: the bucket notification's topic, queue and
 * function configurations whose event types ("s3:ObjectCreated:*" covers "ObjectCreated:Put") and key
 * prefix/suffix filters cover it; a topic passes the S3 event JSON on as the message body, with no attributes.
 * Throws when the bucket is unknown to the stack.
 */
export function routeS3Event(resources: readonly StackResource[], event: S3ObjectEvent): RouteResult {
  const router = routerFor(resources);
  const bucket = router.resolveBucketName(event.bucket);
  if (bucket === undefined) {
    throw new RoutingError(
      `routeS3Event: bucket "${event.bucket}" has no aws:s3/bucketNotification:BucketNotification (nor a bucket resource) in the stack.`,
    );
  }
  const out = new RouteCollector();
  router.notify({ ...event, bucket }, out, new Set());
  return out.result;
}
