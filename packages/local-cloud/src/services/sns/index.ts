import type { IncomingMessage, ServerResponse } from "node:http";
import { RecordLog } from "../../persist/journal";
import { parseQueryBody } from "../../protocol";
import {
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
  type SnsEngine,
} from "../../types";
import { sendQueryResult, sendXmlError } from "../../wire/xml";
import { createSnsApi, type SnsApi } from "./api";
import { createSnsDelivery, type SnsOptions, type SnsOutboxEntry } from "./delivery";
import { type Origin, SnsModel } from "./model";
import { provisionSns } from "./provisioning";
import { performQuery, SNS_XMLNS } from "./query";

export type { SnsDeliveryCounts, SnsDeliveryRecord, SnsOptions, SnsOutboxEntry } from "./delivery";

/**
 * The SNS emulator: topics, subscriptions and topic policies come from the program's
 * `aws:sns/topic:Topic`, `aws:sns/topicSubscription:TopicSubscription` and `aws:sns/topicPolicy:TopicPolicy`
 * resources, and from clients (CreateTopic, Subscribe, Set*Attributes...) through the same model; the awsQuery
 * API serves the SDKs and CLIs; every accepted message is filtered per subscription with `@switchyard/routing` and delivered asynchronously to SQS, Lambda,
 * or an in-memory outbox (email, email-json, sms, http, https), with failed deliveries sent to the
 * subscription's redrive DLQ.
 *
 * Layout: model.ts (topics, subscriptions and their rules), delivery.ts (publishing and delivery), api.ts
 * (one function per operation), query.ts (the awsQuery codec), provisioning.ts (the program's resources
 * through the API), errors.ts, message.ts (message checks and the shapes subscribers receive).
 */

/** The operations by which a client changes topics or subscriptions (journaled with --persist). */
const CONTROL_PLANE_WRITES = [
  "CreateTopic",
  "DeleteTopic",
  "SetTopicAttributes",
  "Subscribe",
  "Unsubscribe",
  "SetSubscriptionAttributes",
  "TagResource",
  "UntagResource",
] as const;

type SnsJournalRecord = {
  operation: (typeof CONTROL_PLANE_WRITES)[number];
  input: unknown;
  /** Subscribe: the ARN it returned, so the subscription keeps it after a restart. */
  subscriptionArn?: string;
};

/**
 * The API with every control-plane change a client makes (no `origin`: provisioning is not journaled, the
 * program declares it again) written to the journal once it succeeded, before the answer goes out.
 */
function journaled(api: SnsApi, journal: RecordLog<SnsJournalRecord>): SnsApi {
  const wrapped = { ...api };
  for (const operation of CONTROL_PLANE_WRITES) {
    const call = api[operation] as (input: unknown, origin?: Origin) => unknown;
    (wrapped as Record<string, unknown>)[operation] = (input: unknown, origin?: Origin) => {
      const result = call(input, origin);
      if (origin === undefined) {
        journal.append({
          operation,
          input,
          ...(operation === "Subscribe"
            ? { subscriptionArn: (result as { SubscriptionArn: string }).SubscriptionArn }
            : {}),
        });
      }
      return result;
    };
  }
  return wrapped;
}

/** The SNS emulator as the engine and tests see it. */
export type SnsEmulator = ServiceEmulator &
  SnsEngine & {
    outbox(topicArn?: string): SnsOutboxEntry[];
    /** Resolves once every accepted message has been delivered (or dead-lettered / dropped). */
    settled(): Promise<void>;
  };

/**
 * Creates the SNS emulator (signing name `sns`). Deliveries happen after Publish returns, in publish order
 * (so FIFO topics deliver in order per subscription); `settled()` waits for them.
 */
export function createSns(ctx: LocalContext, options: SnsOptions = {}): SnsEmulator {
  const model = new SnsModel(ctx, ctx.log, (arn, policy) => ctx.iam.resourcePolicyChanged(arn, policy));
  const delivery = createSnsDelivery(ctx, model, options);
  const journal = new RecordLog<SnsJournalRecord>(ctx, "sns");
  const restored = journal.records();
  const api = journaled(createSnsApi(model, delivery, ctx.accountId), journal);

  return {
    signingNames: ["sns"],

    provision(resource: LocalResource): void {
      provisionSns(ctx, api, resource);
    },

    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      const url = new URL(req.url ?? "/", "http://local");
      const form: Record<string, string> = {
        ...Object.fromEntries(url.searchParams),
        ...parseQueryBody(body),
      };
      const action = form.Action;
      try {
        if (action === undefined)
          throw new LocalServiceError("MissingAction", "The request must contain the parameter Action.");
        sendQueryResult(res, action, performQuery(api, action, form), SNS_XMLNS);
      } catch (error) {
        const failure =
          error instanceof LocalServiceError
            ? error
            : new LocalServiceError(
                "InternalError",
                error instanceof Error ? error.message : String(error),
                500,
              );
        if (failure.status >= 500) ctx.log.error(`sns ${action} failed`, { error: failure.message });
        sendXmlError(res, failure, { xmlns: SNS_XMLNS });
      }
    },

    adminRoutes: {
      "sns/topics": () =>
        [...model.topics.values()].map((topic) => ({
          arn: topic.arn,
          name: topic.name,
          logicalName: topic.logicalName,
          fifo: topic.fifo,
          contentBasedDeduplication: topic.contentBasedDeduplication,
          fifoThroughputScope: topic.fifo ? topic.fifoThroughputScope : undefined,
          displayName: topic.displayName,
          kmsMasterKeyId: topic.kmsMasterKeyId,
          archivePolicy: topic.archivePolicy ? (JSON.parse(topic.archivePolicy) as unknown) : undefined,
          subscriptions: [...model.subscriptions.values()]
            .filter((subscription) => subscription.topicArn === topic.arn)
            .map((subscription) => ({
              arn: subscription.arn,
              logicalName: subscription.logicalName,
              protocol: subscription.protocol,
              endpoint: subscription.endpoint,
              rawMessageDelivery: subscription.rawMessageDelivery,
              filterPolicy: subscription.filterPolicy
                ? (JSON.parse(subscription.filterPolicy) as unknown)
                : undefined,
              filterPolicyScope: subscription.filterPolicy ? subscription.filterPolicyScope : undefined,
              filterPolicyProblems:
                subscription.filterPolicyProblems.length > 0 ? subscription.filterPolicyProblems : undefined,
              deadLetterTargetArn: subscription.deadLetterTargetArn,
              counts: delivery.counts(subscription.arn),
            })),
        })),
      "sns/outbox": (query) => {
        return delivery.outbox(query.get("topicArn") ?? undefined);
      },
      "sns/deliveries": (query) => {
        return delivery.deliveries(query.get("topicArn") ?? undefined);
      },
    },

    start(): void {
      // Topics and subscriptions clients made in earlier runs, on top of what the program declared.
      for (const record of restored) {
        try {
          if (record.operation === "Subscribe") {
            api.Subscribe(record.input as Parameters<SnsApi["Subscribe"]>[0], {
              arn: record.subscriptionArn,
              onProblem: "warn",
            });
          } else {
            (api[record.operation] as (input: unknown, origin?: Origin) => unknown)(record.input, {
              onProblem: "warn",
            });
          }
        } catch (error) {
          ctx.log.warn(`sns: replaying ${record.operation} from the journal failed`, {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      restored.length = 0;
    },

    stop(): void {
      delivery.stop();
      journal.close();
    },

    hasTopic(topicArn: string): boolean {
      return model.topics.has(topicArn);
    },

    publish(topicArn, input) {
      return delivery.publish({
        topicArn,
        message: input.message,
        subject: input.subject,
        attributes: input.messageAttributes ?? {},
        messageGroupId: input.messageGroupId,
        messageDeduplicationId: input.messageDeduplicationId,
      });
    },

    outbox(topicArn?: string): SnsOutboxEntry[] {
      return delivery.outbox(topicArn);
    },

    settled(): Promise<void> {
      return delivery.settled();
    },
  };
}
