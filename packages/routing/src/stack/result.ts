import { arnOf, type StackResource } from "./resources";

/** Where a message, event or S3 notification ends up. Lists keep discovery order and hold no duplicates. */
export interface RouteResult {
  /** Logical names of the SNS subscriptions that accepted the message (their filter policy matched). */
  readonly subscriptions: string[];
  /** Logical names of the EventBridge rules whose pattern matched. */
  readonly rules: string[];
  /** Topic ARNs reached (an S3 notification or a rule target), and their logical names. */
  readonly topics: string[];
  readonly topicNames: string[];
  /** Queue ARNs reached, and the logical names of those declared in the stack. */
  readonly queues: string[];
  readonly queueNames: string[];
  /** Function ARNs reached directly or through an enabled event source mapping, and their logical names. */
  readonly functions: string[];
  readonly functionNames: string[];
  /** Other destinations: "https:https://…", "email:ops@…", or the ARN of a target of another service. */
  readonly endpoints: string[];
}

function addOnce(list: string[], value: string): boolean {
  if (list.includes(value)) return false;
  list.push(value);
  return true;
}

/** Accumulates a RouteResult while the router walks the stack. */
export class RouteCollector {
  readonly result: RouteResult = {
    subscriptions: [],
    rules: [],
    topics: [],
    topicNames: [],
    queues: [],
    queueNames: [],
    functions: [],
    functionNames: [],
    endpoints: [],
  };

  subscription(resource: StackResource): void {
    addOnce(this.result.subscriptions, resource.name);
  }

  rule(resource: StackResource): void {
    addOnce(this.result.rules, resource.name);
  }

  /** Records a topic; returns false when it was already reached (so delivery is not repeated). */
  topic(arn: string, resource: StackResource | undefined): boolean {
    if (resource) addOnce(this.result.topicNames, resource.name);
    return addOnce(this.result.topics, arn);
  }

  /** Records a queue; returns false when it was already reached. */
  queue(arn: string, resource: StackResource | undefined): boolean {
    if (resource) addOnce(this.result.queueNames, resource.name);
    return addOnce(this.result.queues, arn);
  }

  function(reference: string, resource: StackResource | undefined): void {
    addOnce(this.result.functions, (resource && arnOf(resource)) ?? reference);
    if (resource) addOnce(this.result.functionNames, resource.name);
  }

  endpoint(description: string): void {
    addOnce(this.result.endpoints, description);
  }
}
