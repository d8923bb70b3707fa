/**
 * A Pulumi resource as recorded under Pulumi mocks: `inputs` is what the program passed (Outputs resolved),
 * `outputs` what the mock returned (inputs plus computed values such as `arn`, `name`, `url`, `id`).
 */
export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
}

/** Pulumi AWS provider (v7) type tokens the router reads; every other type is ignored. */
export const RESOURCE_TYPES = {
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  eventBus: "aws:cloudwatch/eventBus:EventBus",
  eventRule: "aws:cloudwatch/eventRule:EventRule",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
  bucketNotification: "aws:s3/bucketNotification:BucketNotification",
  queue: "aws:sqs/queue:Queue",
  eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  function: "aws:lambda/function:Function",
  buckets: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
} as const;

/** A property as deployed: the mock's output when present, else the program's input. */
export function property(resource: StackResource, key: string): unknown {
  return resource.outputs[key] ?? resource.inputs[key];
}

export function stringProperty(resource: StackResource, key: string): string | undefined {
  const value = property(resource, key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function arnOf(resource: StackResource): string | undefined {
  return stringProperty(resource, "arn");
}

/** The physical name AWS knows the resource by; falls back to the logical name when the mock returned none. */
export function physicalNameOf(resource: StackResource): string {
  return stringProperty(resource, "name") ?? resource.name;
}

/** "arn:aws:sqs:us-east-1:123456789012:orders" → { service: "sqs", region, account, resource: "orders" }. */
export function parseArn(
  arn: string,
): { service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, , service = "", region = "", account = "", ...rest] = parts;
  return { service, region, account, resource: rest.join(":") };
}

/** Resources of the given types, in declaration order. */
export function ofType(resources: readonly StackResource[], ...types: readonly string[]): StackResource[] {
  return resources.filter((resource) => types.includes(resource.type));
}
