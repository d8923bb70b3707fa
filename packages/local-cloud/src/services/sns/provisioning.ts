import { randomUUID } from "node:crypto";
import { parseArn } from "../../protocol";
import type { LocalContext, LocalResource } from "../../types";
import { scalarString as str } from "../../values";
import type { SnsApi } from "./api";

/**
 * The program's SNS resources turned into the API calls a client would make (CreateTopic, Subscribe,
 * SetTopicAttributes with SNS's attribute names), so they pass the same checks. What AWS would refuse in a
 * declared resource is logged rather than refused (`onProblem: "warn"`), so the rest of the stack still runs.
 */

export const TOPIC = "aws:sns/topic:Topic";
export const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
export const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

function bool(value: unknown): boolean {
  return value === true || value === "true";
}

function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function definedStrings(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/** Provisions one resource when it is SNS's; ignores the others. */
export function provisionSns(ctx: LocalContext, api: SnsApi, resource: LocalResource): void {
  const { inputs, outputs } = resource;
  if (resource.type === TOPIC) {
    const name0 = str(outputs.name) ?? str(inputs.name) ?? resource.name;
    const arn = str(outputs.arn) ?? str(resource.id) ?? `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name0}`;
    const name = str(outputs.name) ?? parseArn(arn)?.resource ?? resource.name;
    const fifo = bool(inputs.fifoTopic) || name.endsWith(".fifo");
    const attributes = definedStrings({
      FifoTopic: fifo ? "true" : undefined,
      DisplayName: str(inputs.displayName),
      KmsMasterKeyId: str(inputs.kmsMasterKeyId),
      DeliveryPolicy: jsonText(inputs.deliveryPolicy),
      SignatureVersion: str(inputs.signatureVersion),
      TracingConfig: str(inputs.tracingConfig),
      Policy: jsonText(inputs.policy),
      ...(fifo
        ? {
            ArchivePolicy: jsonText(inputs.archivePolicy),
            ContentBasedDeduplication: bool(inputs.contentBasedDeduplication) ? "true" : undefined,
            FifoThroughputScope: str(inputs.fifoThroughputScope),
          }
        : {}),
    });
    api.CreateTopic(
      { Name: name, Attributes: attributes, Tags: stringMap(inputs.tags) },
      { arn, logicalName: resource.name, onProblem: "warn" },
    );
    return;
  }
  if (resource.type === SUBSCRIPTION) {
    const topicArn = str(inputs.topic) ?? str(inputs.topicArn);
    const protocol = str(inputs.protocol);
    const endpoint = str(inputs.endpoint);
    if (!topicArn || !protocol || !endpoint) {
      ctx.log.warn(`sns subscription ${resource.name} has no topic, protocol or endpoint; ignored`, {
        inputs,
      });
      return;
    }
    const filterPolicy = jsonText(inputs.filterPolicy);
    api.Subscribe(
      {
        TopicArn: topicArn,
        Protocol: protocol,
        Endpoint: endpoint,
        Attributes: definedStrings({
          FilterPolicyScope: filterPolicy ? str(inputs.filterPolicyScope) : undefined,
          FilterPolicy: filterPolicy,
          RawMessageDelivery: bool(inputs.rawMessageDelivery) ? "true" : undefined,
          RedrivePolicy: jsonText(inputs.redrivePolicy),
          DeliveryPolicy: jsonText(inputs.deliveryPolicy),
          SubscriptionRoleArn: str(inputs.subscriptionRoleArn),
        }),
      },
      {
        arn: str(outputs.arn) ?? str(resource.id) ?? `${topicArn}:${randomUUID()}`,
        logicalName: resource.name,
        onProblem: "warn",
      },
    );
    return;
  }
  if (resource.type === TOPIC_POLICY) {
    const arn = str(inputs.arn);
    const policy = jsonText(inputs.policy);
    if (!arn || !policy) return;
    api.SetTopicAttributes(
      { TopicArn: arn, AttributeName: "Policy", AttributeValue: policy },
      { arn, onProblem: "warn" },
    );
  }
}
