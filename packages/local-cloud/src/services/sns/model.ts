import { randomUUID } from "node:crypto";
import { type FilterPolicyScope, validateFilterPolicy } from "@switchyard/routing";
import { parseArn } from "../../protocol";
import type { LocalLogger } from "../../types";
import { invalidParameter, notFound } from "./errors";

/**
 * SNS's control-plane state and rules, without a wire format: topics and their attributes, subscriptions and
 * theirs, tags. Every topic and subscription, whether the program declared it (provisioning) or a client
 * created it (CreateTopic, Subscribe), goes through `createTopic` / `subscribe` here, so both are validated
 * the same way. Attribute names and values are SNS's (`FifoTopic`, `FilterPolicy`, `RawMessageDelivery`...).
 */

export interface Topic {
  arn: string;
  name: string;
  /** The program's logical name, for topics the program declared. */
  logicalName?: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
  fifoThroughputScope: "Topic" | "MessageGroup";
  displayName?: string;
  kmsMasterKeyId?: string;
  archivePolicy?: string;
  deliveryPolicy?: string;
  signatureVersion?: string;
  tracingConfig?: string;
  policy?: string;
  tags: Record<string, string>;
  /** dedup key -> the original result, with when it was first accepted */
  dedup: Map<string, { messageId: string; sequenceNumber?: string; at: number }>;
  sequence: bigint;
}

export interface Subscription {
  arn: string;
  logicalName?: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  filterPolicy?: string;
  filterPolicyScope: FilterPolicyScope;
  filterPolicyProblems: string[];
  rawMessageDelivery: boolean;
  deadLetterTargetArn?: string;
  redrivePolicy?: string;
  deliveryPolicy?: string;
  subscriptionRoleArn?: string;
}

/** Where a topic or subscription comes from: the program (its ARN and logical name fixed) or a client. */
export interface Origin {
  arn?: string;
  logicalName?: string;
  /**
   * What a rule AWS enforces at create time does to a declared resource: `"refuse"` (clients) throws,
   * `"warn"` (provisioning) logs that AWS would refuse it and keeps it, so the rest of the stack still runs.
   * @default "refuse"
   */
  onProblem?: "refuse" | "warn";
}

/** The topic attributes CreateTopic and SetTopicAttributes take. */
export const TOPIC_ATTRIBUTES = [
  "DisplayName",
  "Policy",
  "DeliveryPolicy",
  "KmsMasterKeyId",
  "SignatureVersion",
  "TracingConfig",
  "ArchivePolicy",
  "FifoTopic",
  "ContentBasedDeduplication",
  "FifoThroughputScope",
  "DataProtectionPolicy",
] as const;

/** The subscription attributes Subscribe and SetSubscriptionAttributes take. */
export const SUBSCRIPTION_ATTRIBUTES = [
  "DeliveryPolicy",
  "FilterPolicy",
  "FilterPolicyScope",
  "RawMessageDelivery",
  "RedrivePolicy",
  "SubscriptionRoleArn",
  "ReplayPolicy",
] as const;

/** The protocols SNS accepts in Subscribe. */
export const PROTOCOLS = [
  "http",
  "https",
  "email",
  "email-json",
  "sms",
  "sqs",
  "application",
  "lambda",
  "firehose",
] as const;

/** Topic names: https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_TOPIC_NAME = /^[A-Za-z0-9_-]{1,251}\.fifo$/;

function boolText(name: string, value: string): boolean {
  if (value === "true" || value === "True") return true;
  if (value === "false" || value === "False") return false;
  throw invalidParameter(
    `Invalid parameter: Attributes Reason: ${name}: Invalid value [${value}]. Must be true or false.`,
  );
}

function jsonObject(name: string, value: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw invalidParameter(
      `Invalid parameter: ${name} Reason: ${name} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalidParameter(`Invalid parameter: ${name} Reason: ${name} must be a JSON object`);
}

/** The ARN of a topic, checked the way SNS checks TopicArn parameters. */
export function checkArn(parameter: string, arn: string | undefined): string {
  if (!arn) throw invalidParameter(`Invalid parameter: ${parameter} Reason: no value for required parameter`);
  const parts = arn.split(":");
  if (!parseArn(arn)) {
    throw invalidParameter(
      `Invalid parameter: ${parameter} Reason: An ARN must have at least 6 elements, not ${parts.length}`,
    );
  }
  return arn;
}

/** SNS's state: topics by ARN, subscriptions by ARN. */
export class SnsModel {
  readonly topics = new Map<string, Topic>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Topic policies declared before their topic. */
  private readonly pendingPolicies = new Map<string, string>();

  constructor(
    private readonly identity: { region: string; accountId: string },
    private readonly log: LocalLogger,
    /** Told when a topic's policy changes (IAM evaluates it from then on). */
    private readonly policyChanged: (topicArn: string, policy: string | undefined) => void = () => undefined,
  ) {}

  topicArn(name: string): string {
    return `arn:aws:sns:${this.identity.region}:${this.identity.accountId}:${name}`;
  }

  /** A topic by ARN. @throws NotFound (404) as SNS answers for a missing topic */
  topic(arn: string | undefined): Topic {
    const topic = this.topics.get(checkArn("TopicArn", arn));
    if (!topic) throw notFound("Topic does not exist");
    return topic;
  }

  /** A subscription by ARN. @throws NotFound (404) */
  subscription(arn: string | undefined): Subscription {
    const subscription = this.subscriptions.get(checkArn("SubscriptionArn", arn));
    if (!subscription) throw notFound("Subscription does not exist");
    return subscription;
  }

  subscriptionsOf(topicArn: string): Subscription[] {
    return [...this.subscriptions.values()].filter((subscription) => subscription.topicArn === topicArn);
  }

  /**
   * CreateTopic: a name of letters, digits, `-` and `_` (FIFO topics end in `.fifo`), attributes SNS knows
   * with values it accepts. Creating a topic that exists returns it when the attributes given agree, as SNS does.
   */
  createTopic(
    name: string | undefined,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
    origin: Origin = {},
  ): Topic {
    if (!name) throw invalidParameter("Invalid parameter: Topic Name");
    const fifo = attributes.FifoTopic !== undefined && boolText("FifoTopic", attributes.FifoTopic);
    const declaredFifo = fifo || (origin.arn !== undefined && name.endsWith(".fifo"));
    if (declaredFifo ? !FIFO_TOPIC_NAME.test(name) : !TOPIC_NAME.test(name)) {
      throw invalidParameter(
        declaredFifo
          ? "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
          : "Invalid parameter: Topic Name",
      );
    }
    const arn = origin.arn ?? this.topicArn(name);
    const existing = this.topics.get(arn);
    if (existing && origin.arn === undefined) {
      const current = this.topicAttributes(existing);
      const differs = Object.entries(attributes).some(
        ([key, value]) =>
          key !== "Policy" &&
          (current[key] ?? "") !== value &&
          !(key === "FifoTopic" && value === "false" && !existing.fifo),
      );
      if (differs)
        throw invalidParameter(
          "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        );
      Object.assign(existing.tags, tags);
      return existing;
    }
    const topic: Topic = {
      arn,
      name,
      logicalName: origin.logicalName,
      fifo: declaredFifo,
      contentBasedDeduplication: false,
      fifoThroughputScope: "Topic",
      tags: { ...tags },
      dedup: new Map(),
      sequence: 0n,
    };
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "FifoTopic") continue;
      this.applyTopicAttribute(topic, key, value);
    }
    const pending = this.pendingPolicies.get(arn);
    if (pending && topic.policy === undefined) topic.policy = pending;
    this.pendingPolicies.delete(arn);
    this.topics.set(arn, topic);
    this.log.debug("sns topic", { arn, fifo: topic.fifo });
    return topic;
  }

  /** SetTopicAttributes. A policy for a topic not declared yet waits for it (provisioning order). */
  setTopicAttribute(
    arn: string | undefined,
    name: string | undefined,
    value: string | undefined,
    origin: Origin = {},
  ): void {
    if (origin.arn !== undefined && name === "Policy" && !this.topics.has(checkArn("TopicArn", arn))) {
      if (value !== undefined) this.pendingPolicies.set(arn as string, value);
      return;
    }
    const topic = this.topic(arn);
    if (!name) throw invalidParameter("Invalid parameter: AttributeName");
    if (name === "FifoTopic")
      throw invalidParameter("Invalid parameter: AttributeName Reason: FifoTopic cannot be changed");
    this.applyTopicAttribute(topic, name, value ?? "");
  }

  private applyTopicAttribute(topic: Topic, name: string, value: string): void {
    const fifoOnly = (): void => {
      if (!topic.fifo)
        throw invalidParameter(`Invalid parameter: Attributes Reason: ${name} is only valid for FIFO topics`);
    };
    const optional = (text: string): string | undefined => (text === "" ? undefined : text);
    switch (name) {
      case "DisplayName":
        if (value.length > 100)
          throw invalidParameter("Invalid parameter: DisplayName Reason: at most 100 characters");
        topic.displayName = optional(value);
        return;
      case "Policy":
        if (value !== "") jsonObject("Policy", value);
        topic.policy = optional(value);
        this.policyChanged(topic.arn, topic.policy);
        return;
      case "DeliveryPolicy":
        if (value !== "") jsonObject("DeliveryPolicy", value);
        topic.deliveryPolicy = optional(value);
        return;
      case "ArchivePolicy":
        fifoOnly();
        if (value !== "") jsonObject("ArchivePolicy", value);
        topic.archivePolicy = optional(value);
        return;
      case "KmsMasterKeyId":
        topic.kmsMasterKeyId = optional(value);
        return;
      case "SignatureVersion":
        if (value !== "" && value !== "1" && value !== "2")
          throw invalidParameter("Invalid parameter: SignatureVersion Reason: must be 1 or 2");
        topic.signatureVersion = optional(value);
        return;
      case "TracingConfig":
        if (value !== "" && value !== "PassThrough" && value !== "Active")
          throw invalidParameter("Invalid parameter: TracingConfig Reason: must be PassThrough or Active");
        topic.tracingConfig = optional(value);
        return;
      case "ContentBasedDeduplication":
        fifoOnly();
        topic.contentBasedDeduplication = boolText(name, value);
        return;
      case "FifoThroughputScope":
        fifoOnly();
        if (value !== "Topic" && value !== "MessageGroup")
          throw invalidParameter(
            `Invalid parameter: FifoThroughputScope Reason: Invalid value [${value}]. Use Topic or MessageGroup`,
          );
        topic.fifoThroughputScope = value;
        return;
      case "DataProtectionPolicy":
        return;
      default:
        throw invalidParameter(`Invalid parameter: AttributeName Reason: Unknown attribute ${name}`);
    }
  }

  /** DeleteTopic: the topic and its subscriptions go; deleting a missing topic succeeds, as on SNS. */
  deleteTopic(arn: string | undefined): void {
    const topicArn = checkArn("TopicArn", arn);
    if (this.topics.get(topicArn)?.policy) this.policyChanged(topicArn, undefined);
    this.topics.delete(topicArn);
    for (const subscription of this.subscriptionsOf(topicArn)) this.subscriptions.delete(subscription.arn);
  }

  /** GetTopicAttributes' map (SNS's names; undefined values are left out on the wire). */
  topicAttributes(topic: Topic): Record<string, string | undefined> {
    const subs = this.subscriptionsOf(topic.arn);
    const account = parseArn(topic.arn)?.account ?? this.identity.accountId;
    const defaultPolicy = JSON.stringify({
      Version: "2008-10-17",
      Id: "__default_policy_ID",
      Statement: [
        {
          Sid: "__default_statement_ID",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: [
            "SNS:GetTopicAttributes",
            "SNS:SetTopicAttributes",
            "SNS:AddPermission",
            "SNS:RemovePermission",
            "SNS:DeleteTopic",
            "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic",
            "SNS:Publish",
          ],
          Resource: topic.arn,
          Condition: { StringEquals: { "AWS:SourceOwner": account } },
        },
      ],
    });
    return {
      TopicArn: topic.arn,
      Owner: account,
      Policy: topic.policy ?? defaultPolicy,
      DisplayName: topic.displayName ?? "",
      SubscriptionsConfirmed: String(subs.length),
      SubscriptionsPending: "0",
      SubscriptionsDeleted: "0",
      DeliveryPolicy: topic.deliveryPolicy,
      EffectiveDeliveryPolicy:
        topic.deliveryPolicy ??
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}',
      KmsMasterKeyId: topic.kmsMasterKeyId,
      SignatureVersion: topic.signatureVersion,
      TracingConfig: topic.tracingConfig,
      ArchivePolicy: topic.archivePolicy,
      ...(topic.fifo
        ? {
            FifoTopic: "true",
            ContentBasedDeduplication: String(topic.contentBasedDeduplication),
            FifoThroughputScope: topic.fifoThroughputScope,
          }
        : {}),
    };
  }

  /**
   * Subscribe: a protocol SNS has, an endpoint of the right kind (an SQS queue ARN for `sqs`, a function ARN
   * for `lambda`), attributes SNS knows. Every subscription is confirmed at once locally (SNS confirms SQS and
   * Lambda subscriptions at once; HTTP and e-mail ones wait for the endpoint to confirm). Subscribing the same
   * endpoint again returns the existing subscription when the attributes agree.
   */
  subscribe(
    topicArn: string | undefined,
    protocol: string | undefined,
    endpoint: string | undefined,
    attributes: Record<string, string> = {},
    origin: Origin = {},
  ): Subscription {
    const topic = origin.arn !== undefined ? undefined : this.topic(topicArn);
    const arnOfTopic = topic?.arn ?? checkArn("TopicArn", topicArn);
    if (!protocol)
      throw invalidParameter("Invalid parameter: Protocol Reason: no value for required parameter");
    if (!(PROTOCOLS as readonly string[]).includes(protocol))
      throw invalidParameter(
        `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
      );
    if (!endpoint)
      throw invalidParameter("Invalid parameter: Endpoint Reason: no value for required parameter");
    if (protocol === "sqs" && parseArn(endpoint)?.service !== "sqs")
      throw invalidParameter("Invalid parameter: SQS endpoint ARN");
    if (protocol === "lambda" && parseArn(endpoint)?.service !== "lambda")
      throw invalidParameter("Invalid parameter: Lambda endpoint ARN");
    if ((protocol === "http" || protocol === "https") && !endpoint.startsWith(`${protocol}://`))
      throw invalidParameter(`Invalid parameter: Endpoint must match the specified protocol`);
    for (const name of Object.keys(attributes)) {
      if (!(SUBSCRIPTION_ATTRIBUTES as readonly string[]).includes(name))
        throw invalidParameter(`Invalid parameter: Attributes Reason: Unknown attribute ${name}`);
    }
    if (origin.arn === undefined) {
      const existing = this.subscriptionsOf(arnOfTopic).find(
        (candidate) => candidate.protocol === protocol && candidate.endpoint === endpoint,
      );
      if (existing) {
        const current = this.subscriptionAttributes(existing);
        const differs = Object.entries(attributes).some(([key, value]) => (current[key] ?? "") !== value);
        if (differs)
          throw invalidParameter(
            "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
          );
        return existing;
      }
    }
    const subscription: Subscription = {
      arn: origin.arn ?? `${arnOfTopic}:${randomUUID()}`,
      logicalName: origin.logicalName,
      topicArn: arnOfTopic,
      protocol,
      endpoint,
      filterPolicyScope: "MessageAttributes",
      filterPolicyProblems: [],
      rawMessageDelivery: false,
    };
    // The scope first: the filter policy is checked against it.
    const ordered = Object.entries(attributes).sort(([a], [b]) =>
      a === "FilterPolicyScope" ? -1 : b === "FilterPolicyScope" ? 1 : 0,
    );
    for (const [name, value] of ordered) this.applySubscriptionAttribute(subscription, name, value, origin);
    this.subscriptions.set(subscription.arn, subscription);
    return subscription;
  }

  /** SetSubscriptionAttributes. */
  setSubscriptionAttribute(
    arn: string | undefined,
    name: string | undefined,
    value: string | undefined,
  ): void {
    const subscription = this.subscription(arn);
    if (!name || !(SUBSCRIPTION_ATTRIBUTES as readonly string[]).includes(name))
      throw invalidParameter("Invalid parameter: AttributeName");
    this.applySubscriptionAttribute(subscription, name, value ?? "", {});
  }

  private applySubscriptionAttribute(
    subscription: Subscription,
    name: string,
    value: string,
    origin: Origin,
  ): void {
    const optional = (text: string): string | undefined => (text === "" ? undefined : text);
    switch (name) {
      case "RawMessageDelivery":
        if (!["sqs", "http", "https", "firehose"].includes(subscription.protocol) && boolText(name, value))
          throw invalidParameter(
            `Invalid parameter: Attributes Reason: RawMessageDelivery is not supported for the ${subscription.protocol} protocol`,
          );
        subscription.rawMessageDelivery = boolText(name, value);
        return;
      case "FilterPolicyScope":
        if (value !== "MessageBody" && value !== "MessageAttributes") {
          throw invalidParameter(
            `Invalid parameter: FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`,
          );
        }
        subscription.filterPolicyScope = value;
        if (subscription.filterPolicy)
          this.checkFilterPolicy(subscription, subscription.filterPolicy, origin);
        return;
      case "FilterPolicy": {
        if (value === "") {
          subscription.filterPolicy = undefined;
          subscription.filterPolicyProblems = [];
          return;
        }
        this.checkFilterPolicy(subscription, value, origin);
        subscription.filterPolicy = value;
        return;
      }
      case "RedrivePolicy": {
        if (value === "") {
          subscription.redrivePolicy = undefined;
          subscription.deadLetterTargetArn = undefined;
          return;
        }
        let target: unknown;
        try {
          target = (JSON.parse(value) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
        } catch {
          throw invalidParameter("Invalid parameter: RedrivePolicy: Redrive policy is not JSON");
        }
        if (typeof target !== "string" || parseArn(target)?.service !== "sqs")
          throw invalidParameter(
            "Invalid parameter: RedrivePolicy: deadLetterTargetArn must be an SQS queue ARN",
          );
        subscription.redrivePolicy = value;
        subscription.deadLetterTargetArn = target;
        return;
      }
      case "DeliveryPolicy":
        if (value !== "") jsonObject("DeliveryPolicy", value);
        subscription.deliveryPolicy = optional(value);
        return;
      case "SubscriptionRoleArn":
        subscription.subscriptionRoleArn = optional(value);
        return;
      default:
        return;
    }
  }

  private checkFilterPolicy(subscription: Subscription, policy: string, origin: Origin): void {
    const problems = validateFilterPolicy(policy, subscription.filterPolicyScope);
    subscription.filterPolicyProblems = problems;
    if (problems.length === 0) return;
    if (origin.onProblem === "warn") {
      this.log.warn(
        `sns subscription ${origin.logicalName ?? subscription.arn}: AWS would refuse this filter policy`,
        {
          problems,
        },
      );
      return;
    }
    throw invalidParameter(`Invalid parameter: FilterPolicy: ${problems.join("; ")}`);
  }

  /** Unsubscribe: removing a subscription that is already gone succeeds, as on SNS. */
  unsubscribe(arn: string | undefined): void {
    this.subscriptions.delete(checkArn("SubscriptionArn", arn));
  }

  /** GetSubscriptionAttributes' map. */
  subscriptionAttributes(subscription: Subscription): Record<string, string | undefined> {
    const owner = parseArn(subscription.topicArn)?.account ?? this.identity.accountId;
    return {
      SubscriptionArn: subscription.arn,
      TopicArn: subscription.topicArn,
      Owner: owner,
      Protocol: subscription.protocol,
      Endpoint: subscription.endpoint,
      PendingConfirmation: "false",
      ConfirmationWasAuthenticated: "true",
      RawMessageDelivery: String(subscription.rawMessageDelivery),
      FilterPolicy: subscription.filterPolicy,
      FilterPolicyScope: subscription.filterPolicy ? subscription.filterPolicyScope : undefined,
      RedrivePolicy: subscription.redrivePolicy,
      DeliveryPolicy: subscription.deliveryPolicy,
      EffectiveDeliveryPolicy: subscription.deliveryPolicy,
      SubscriptionRoleArn: subscription.subscriptionRoleArn,
    };
  }

  /** TagResource / UntagResource / ListTagsForResource (topics only, as on SNS). */
  tags(arn: string | undefined): Record<string, string> {
    return this.topic(arn).tags;
  }
}
