import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { OrderEvent } from "@switchyard/contracts";
import { classifyError, TransientError, traced } from "@switchyard/runtime-kit";
import { ORDERS_EVENT_SOURCE } from "../constants";

// One client per container; the SDK reads the endpoint (AWS_ENDPOINT_URL) and region from the environment.
export const sqs = traced(new SQSClient({}));
export const sns = traced(new SNSClient({}));
export const eventBridge = traced(new EventBridgeClient({}));

/** Publishes a message to a topic (the ops alarm topic). */
export async function publishAlert(topicArn: string, subject: string, message: string): Promise<string> {
  try {
    const result = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }),
    );
    return result.MessageId ?? "";
  } catch (error) {
    throw classifyError(error);
  }
}

/**
 * Puts an order event on the orders bus (which archives it): `detail-type` is the event type, `detail` the
 * event. A failed entry is transient: SQS redelivers the record.
 */
export async function putOrderEvent(eventBusName: string, event: OrderEvent): Promise<string> {
  let response: PutEventsCommandOutput;
  try {
    response = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName,
            Source: ORDERS_EVENT_SOURCE,
            DetailType: event.eventType,
            Detail: JSON.stringify(event),
            Time: new Date(event.occurredAt),
          },
        ],
      }),
    );
  } catch (error) {
    throw classifyError(error);
  }
  const entry = response.Entries?.[0];
  if (!entry?.EventId || entry.ErrorCode) {
    throw new TransientError(
      `EventBridge refused the order event (${entry?.ErrorCode ?? "NoResult"}: ${entry?.ErrorMessage ?? "no entry"})`,
    );
  }
  return entry.EventId;
}
