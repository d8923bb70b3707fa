import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { MessageAttributes } from "@switchyard/runtime-kit";
import { ATTRIBUTES, INTERNAL_ATTRIBUTES, LIMITS } from "../constants";
import { TransportLimitError } from "./provider";

/** Puts a copy of a message back on its own queue, delayed, with its retry token (if it has been retried). */
export interface Requeue {
  send(copy: {
    body: string;
    attributes: MessageAttributes;
    /** The key of the copy's re-enqueue count in the state table; none for a copy never retried. */
    retryToken?: string;
    delaySeconds: number;
  }): Promise<void>;
}

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/**
 * A re-enqueued copy is a new SQS message (receive count 1), so a throttled message never walks towards the
 * redrive policy's maxReceiveCount. Limits are checked before the call: delay, attribute count and size.
 */
export const sqsRequeue = (client: SQSClient, queueUrl: string): Requeue => ({
  async send({ body, attributes, retryToken, delaySeconds }) {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > LIMITS.sqsMaxDelaySeconds) {
      throw new TransportLimitError(
        `SQS DelaySeconds must be a whole number from 0 to ${LIMITS.sqsMaxDelaySeconds} (got ${delaySeconds})`,
      );
    }
    const messageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, attribute] of Object.entries(attributes)) {
      if (INTERNAL_ATTRIBUTES.includes(name) || attribute.dataType === "Binary") continue;
      messageAttributes[name] = { DataType: attribute.dataType, StringValue: attribute.value };
    }
    if (retryToken) messageAttributes[ATTRIBUTES.retry] = { DataType: "String", StringValue: retryToken };
    const count = Object.keys(messageAttributes).length;
    if (count > LIMITS.sqsMaxAttributes) {
      throw new TransportLimitError(
        `SQS allows ${LIMITS.sqsMaxAttributes} message attributes (got ${count} with ${ATTRIBUTES.retry})`,
      );
    }
    const size =
      bytes(body) +
      Object.entries(messageAttributes).reduce(
        (sum, [name, v]) => sum + bytes(name) + bytes(v.DataType ?? "") + bytes(v.StringValue ?? ""),
        0,
      );
    if (size > LIMITS.sqsMaxMessageBytes) {
      throw new TransportLimitError(`SQS accepts at most ${LIMITS.sqsMaxMessageBytes} bytes (got ${size})`);
    }
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        DelaySeconds: delaySeconds,
        MessageAttributes: messageAttributes,
      }),
    );
  },
});
