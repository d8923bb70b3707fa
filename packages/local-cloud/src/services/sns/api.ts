import { parseArn } from "../../protocol";
import type { BatchEntry, PublishInput, SnsDelivery } from "./delivery";
import { invalidParameter } from "./errors";
import type { Origin, SnsModel, Subscription } from "./model";

/**
 * The SNS API: one typed function per operation the local SNS serves, over the model and the delivery
 * pipeline. Inputs and outputs carry SNS's member names; the query codec (query.ts) reads them off the wire and
 * writes them back, provisioning (provisioning.ts) calls the create functions with the program's inputs.
 */

const PAGE_SIZE = 100;

/** A member of ListSubscriptions / ListSubscriptionsByTopic. */
export interface SubscriptionMember {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

function pageOf<T>(items: T[], token: string | undefined): { page: T[]; next?: string } {
  const start = token ? Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidParameter("Invalid parameter: NextToken");
  const page = items.slice(start, start + PAGE_SIZE);
  const end = start + PAGE_SIZE;
  return end < items.length ? { page, next: Buffer.from(String(end)).toString("base64") } : { page };
}

export type SnsApi = ReturnType<typeof createSnsApi>;

export function createSnsApi(model: SnsModel, delivery: SnsDelivery, accountId: string) {
  const member = (subscription: Subscription): SubscriptionMember => ({
    SubscriptionArn: subscription.arn,
    Owner: parseArn(subscription.topicArn)?.account ?? accountId,
    Protocol: subscription.protocol,
    Endpoint: subscription.endpoint,
    TopicArn: subscription.topicArn,
  });
  const subscriptionPage = (items: Subscription[], token: string | undefined) => {
    const { page, next } = pageOf(items, token);
    return { Subscriptions: page.map(member), ...(next ? { NextToken: next } : {}) };
  };

  return {
    Publish(input: PublishInput): { MessageId: string; SequenceNumber?: string } {
      const result = delivery.publish(input);
      return {
        MessageId: result.messageId,
        ...("sequenceNumber" in result && result.sequenceNumber
          ? { SequenceNumber: result.sequenceNumber }
          : {}),
      };
    },

    PublishBatch(input: { TopicArn?: string; Entries: BatchEntry[] }) {
      const results = delivery.publishBatch(input.TopicArn, input.Entries);
      return {
        Successful: results.map((result) => ({
          Id: result.id,
          MessageId: result.messageId,
          ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}),
        })),
        Failed: [] as Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }>,
      };
    },

    CreateTopic(
      input: { Name?: string; Attributes?: Record<string, string>; Tags?: Record<string, string> },
      origin?: Origin,
    ): { TopicArn: string } {
      return { TopicArn: model.createTopic(input.Name, input.Attributes, input.Tags, origin).arn };
    },

    DeleteTopic(input: { TopicArn?: string }): void {
      model.deleteTopic(input.TopicArn);
    },

    SetTopicAttributes(
      input: { TopicArn?: string; AttributeName?: string; AttributeValue?: string },
      origin?: Origin,
    ): void {
      model.setTopicAttribute(input.TopicArn, input.AttributeName, input.AttributeValue, origin);
    },

    GetTopicAttributes(input: { TopicArn?: string }): { Attributes: Record<string, string | undefined> } {
      return { Attributes: model.topicAttributes(model.topic(input.TopicArn)) };
    },

    ListTopics(input: { NextToken?: string }): { Topics: Array<{ TopicArn: string }>; NextToken?: string } {
      const { page, next } = pageOf([...model.topics.values()], input.NextToken);
      return { Topics: page.map((topic) => ({ TopicArn: topic.arn })), ...(next ? { NextToken: next } : {}) };
    },

    Subscribe(
      input: { TopicArn?: string; Protocol?: string; Endpoint?: string; Attributes?: Record<string, string> },
      origin?: Origin,
    ): { SubscriptionArn: string } {
      const subscription = model.subscribe(
        input.TopicArn,
        input.Protocol,
        input.Endpoint,
        input.Attributes,
        origin,
      );
      return { SubscriptionArn: subscription.arn };
    },

    Unsubscribe(input: { SubscriptionArn?: string }): void {
      model.unsubscribe(input.SubscriptionArn);
    },

    SetSubscriptionAttributes(input: {
      SubscriptionArn?: string;
      AttributeName?: string;
      AttributeValue?: string;
    }): void {
      model.setSubscriptionAttribute(input.SubscriptionArn, input.AttributeName, input.AttributeValue);
    },

    GetSubscriptionAttributes(input: { SubscriptionArn?: string }): {
      Attributes: Record<string, string | undefined>;
    } {
      return { Attributes: model.subscriptionAttributes(model.subscription(input.SubscriptionArn)) };
    },

    ListSubscriptions(input: { NextToken?: string }) {
      return subscriptionPage([...model.subscriptions.values()], input.NextToken);
    },

    ListSubscriptionsByTopic(input: { TopicArn?: string; NextToken?: string }) {
      const topic = model.topic(input.TopicArn);
      return subscriptionPage(model.subscriptionsOf(topic.arn), input.NextToken);
    },

    ListTagsForResource(input: { ResourceArn?: string }): { Tags: Array<{ Key: string; Value: string }> } {
      return {
        Tags: Object.entries(model.tags(input.ResourceArn)).map(([Key, Value]) => ({ Key, Value })),
      };
    },

    TagResource(input: { ResourceArn?: string; Tags: Record<string, string> }): void {
      Object.assign(model.tags(input.ResourceArn), input.Tags);
    },

    UntagResource(input: { ResourceArn?: string; TagKeys: string[] }): void {
      const tags = model.tags(input.ResourceArn);
      for (const key of input.TagKeys) delete tags[key];
    },
  };
}
