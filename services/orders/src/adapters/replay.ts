import { type MessageAttributeValue, SendMessageCommand } from "@aws-sdk/client-sqs";
import { type OrderEvent, orderEventAttributes } from "@switchyard/contracts";
import { matchesFilterPolicy } from "@switchyard/routing";
import { classifyError } from "@switchyard/runtime-kit";
import type { ReplayTarget } from "../env";
import { sqs } from "./aws";

/**
 * Hands one replayed event straight to every replay target whose filter policy the event's attributes match,
 * as a raw SNS delivery would (body = the event, attributes = its filter attributes plus `replayName`).
 * Replays never go back through `order-events`: live subscribers (the archive, customer notifications, the
 * high-value alert) never see them, and no attribute a publisher sets there can make a live event count as a
 * replay. A failed send throws (classified): SQS retries the replay record, and the targets are idempotent.
 */
export async function sendReplay(
  targets: readonly ReplayTarget[],
  event: OrderEvent,
  replayName: string,
): Promise<string[]> {
  const attributes = orderEventAttributes(event);
  const delivered: string[] = [];
  for (const target of targets) {
    if (target.filterPolicy && !matchesFilterPolicy(target.filterPolicy, attributes)) continue;
    const messageAttributes: Record<string, MessageAttributeValue> = {
      ...attributes,
      replayName: { DataType: "String", StringValue: replayName },
    };
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: target.queueUrl,
          MessageBody: JSON.stringify(event),
          MessageAttributes: messageAttributes,
        }),
      );
    } catch (error) {
      throw classifyError(error);
    }
    delivered.push(target.name);
  }
  return delivered;
}
