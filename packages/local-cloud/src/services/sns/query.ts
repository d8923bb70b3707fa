import { queryMembers } from "../../protocol";
import { xmlEscape } from "../../wire/xml";
import type { SnsApi, SubscriptionMember } from "./api";
import type { PublishInput } from "./delivery";
import { snsNotEmulated } from "./errors";
import type { SnsAttributes } from "./message";

/**
 * SNS's awsQuery codec: reads each action's form parameters (`Attributes.entry.N.key`,
 * `MessageAttributes.entry.N.Value.DataType`, `Tags.member.N.Key`...) into the API's typed input, and writes
 * the API's output as the inner XML of `<{Action}Result>`.
 */

export const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

type Form = Record<string, string>;

function messageAttributes(form: Form, prefix: string): SnsAttributes {
  const attributes: SnsAttributes = {};
  for (const entry of queryMembers(form, prefix)) {
    const name = entry.Name;
    if (name === undefined) continue;
    attributes[name] = {
      DataType: entry["Value.DataType"] ?? "",
      ...(entry["Value.StringValue"] !== undefined ? { StringValue: entry["Value.StringValue"] } : {}),
      ...(entry["Value.BinaryValue"] !== undefined ? { BinaryValue: entry["Value.BinaryValue"] } : {}),
    };
  }
  return attributes;
}

/** An `Attributes.entry.N.key/value` map. */
function attributeMap(form: Form, prefix: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of queryMembers(form, prefix)) {
    if (entry.key !== undefined) map[entry.key] = entry.value ?? "";
  }
  return map;
}

/** A `Tags.member.N.Key/Value` list as a map. */
function tagMap(form: Form): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of queryMembers(form, "Tags")) {
    if (entry.Key !== undefined) map[entry.Key] = entry.Value ?? "";
  }
  return map;
}

function publishInput(form: Form, prefix = ""): PublishInput {
  const field = (name: string): string | undefined => form[`${prefix}${name}`];
  return {
    topicArn: field("TopicArn"),
    targetArn: field("TargetArn"),
    phoneNumber: field("PhoneNumber"),
    message: field("Message"),
    subject: field("Subject"),
    messageStructure: field("MessageStructure"),
    attributes: messageAttributes(form, `${prefix}MessageAttributes`),
    messageGroupId: field("MessageGroupId"),
    messageDeduplicationId: field("MessageDeduplicationId"),
  };
}

const el = (name: string, value: string | undefined): string =>
  value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`;

function xmlMap(entries: Record<string, string | undefined>): string {
  return Object.entries(entries)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `<entry><key>${xmlEscape(key)}</key><value>${xmlEscape(value)}</value></entry>`)
    .join("");
}

function subscriptions(list: { Subscriptions: SubscriptionMember[]; NextToken?: string }): string {
  return `<Subscriptions>${list.Subscriptions.map(
    (member) =>
      `<member>${el("SubscriptionArn", member.SubscriptionArn)}${el("Owner", member.Owner)}${el(
        "Protocol",
        member.Protocol,
      )}${el("Endpoint", member.Endpoint)}${el("TopicArn", member.TopicArn)}</member>`,
  ).join("")}</Subscriptions>${el("NextToken", list.NextToken)}`;
}

/** Performs one awsQuery action. @returns the inner XML of its Result element */
export function performQuery(api: SnsApi, action: string, form: Form): string {
  switch (action) {
    case "Publish": {
      const result = api.Publish(publishInput(form));
      return `${el("MessageId", result.MessageId)}${el("SequenceNumber", result.SequenceNumber)}`;
    }
    case "PublishBatch": {
      const entries = queryMembers(form, "PublishBatchRequestEntries").map((entry) => ({
        id: entry.Id ?? "",
        input: publishInput(entry),
      }));
      const result = api.PublishBatch({ TopicArn: form.TopicArn, Entries: entries });
      return `<Successful>${result.Successful.map(
        (entry) =>
          `<member>${el("Id", entry.Id)}${el("MessageId", entry.MessageId)}${el("SequenceNumber", entry.SequenceNumber)}</member>`,
      ).join("")}</Successful><Failed/>`;
    }
    case "CreateTopic":
      return el(
        "TopicArn",
        api.CreateTopic({ Name: form.Name, Attributes: attributeMap(form, "Attributes"), Tags: tagMap(form) })
          .TopicArn,
      );
    case "DeleteTopic":
      api.DeleteTopic({ TopicArn: form.TopicArn });
      return "";
    case "SetTopicAttributes":
      api.SetTopicAttributes({
        TopicArn: form.TopicArn,
        AttributeName: form.AttributeName,
        AttributeValue: form.AttributeValue,
      });
      return "";
    case "GetTopicAttributes":
      return `<Attributes>${xmlMap(api.GetTopicAttributes({ TopicArn: form.TopicArn }).Attributes)}</Attributes>`;
    case "ListTopics": {
      const result = api.ListTopics({ NextToken: form.NextToken });
      return `<Topics>${result.Topics.map(
        (topic) => `<member>${el("TopicArn", topic.TopicArn)}</member>`,
      ).join("")}</Topics>${el("NextToken", result.NextToken)}`;
    }
    case "Subscribe":
      return el(
        "SubscriptionArn",
        api.Subscribe({
          TopicArn: form.TopicArn,
          Protocol: form.Protocol,
          Endpoint: form.Endpoint,
          Attributes: attributeMap(form, "Attributes"),
        }).SubscriptionArn,
      );
    case "Unsubscribe":
      api.Unsubscribe({ SubscriptionArn: form.SubscriptionArn });
      return "";
    case "SetSubscriptionAttributes":
      api.SetSubscriptionAttributes({
        SubscriptionArn: form.SubscriptionArn,
        AttributeName: form.AttributeName,
        AttributeValue: form.AttributeValue,
      });
      return "";
    case "GetSubscriptionAttributes":
      return `<Attributes>${xmlMap(
        api.GetSubscriptionAttributes({ SubscriptionArn: form.SubscriptionArn }).Attributes,
      )}</Attributes>`;
    case "ListSubscriptions":
      return subscriptions(api.ListSubscriptions({ NextToken: form.NextToken }));
    case "ListSubscriptionsByTopic":
      return subscriptions(
        api.ListSubscriptionsByTopic({ TopicArn: form.TopicArn, NextToken: form.NextToken }),
      );
    case "ListTagsForResource":
      return `<Tags>${api
        .ListTagsForResource({ ResourceArn: form.ResourceArn })
        .Tags.map((tag) => `<member>${el("Key", tag.Key)}${el("Value", tag.Value)}</member>`)
        .join("")}</Tags>`;
    case "TagResource":
      api.TagResource({ ResourceArn: form.ResourceArn, Tags: tagMap(form) });
      return "";
    case "UntagResource":
      api.UntagResource({
        ResourceArn: form.ResourceArn,
        TagKeys: queryMembers(form, "TagKeys").flatMap((entry) =>
          entry[""] !== undefined ? [entry[""]] : [],
        ),
      });
      return "";
    default:
      throw snsNotEmulated(action);
  }
}
