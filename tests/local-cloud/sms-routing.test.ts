import { PublishCommand } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@switchyard/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  queueCounts,
  queueName,
  queueUrl,
  unique,
} from "./harness";

/**
 * Issue 14, finding 1, end to end: an SMS request published without any message attribute matches no
 * attribute-scoped filter policy (SNS, and the local SNS through @switchyard/routing, match nothing on a message
 * without attributes, not even `exists: false`). It must still land somewhere: the catch-all subscription has no
 * filter policy, so its sender receives it and dead-letters it with the reason. A request a country lane takes
 * is sent once (the catch-all skips its copy). Only the sms service runs (`service: "sms-throttle"`).
 */

let cloud: LocalCloud;
let aws: AwsClients;

beforeAll(async () => {
  cloud = await startLocalCloud({
    stack: "dev",
    service: "sms-throttle",
    port: 0,
    writeOutputsFile: false,
    timeScale: 100,
  });
  aws = awsClients(cloud.endpoint);
}, 300_000);

afterAll(async () => {
  if (aws) destroyClients(aws);
  await cloud?.close();
});

const topicArn = (): string => String(cloud.outputs.smsTopicArn);

interface CarrierRecord {
  body: string;
  status: string;
  country: string;
  originationIdentity?: string;
}

/** The origination identity the stack gave a lane's sender (its environment), e.g. `de-verification`. */
const identityOf = (lane: string): string => {
  const fn = cloud.resources.find(
    (r) => r.type === "aws:lambda/function:Function" && r.name === `sms-throttle-${lane}-sender-function`,
  );
  const env = (fn?.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables;
  const identity = env?.SMS_ORIGINATION_IDENTITY;
  if (!identity) throw new Error(`sms-throttle-${lane}-sender has no SMS_ORIGINATION_IDENTITY`);
  return identity;
};

describe("SMS routing: nothing published is lost (local cloud, dev stack)", () => {
  it("a request published without message attributes reaches the catch-all DLQ with its reason", async () => {
    // Prepare
    const run = unique("no-attributes");
    const dlqUrl = await queueUrl(aws.sqs, queueName(cloud.resources, "sms-throttle-other-dlq"));

    // Act
    await aws.sns.send(
      new PublishCommand({
        TopicArn: topicArn(),
        Message: JSON.stringify({ phoneNumber: "+4915112345678", text: `Code 123456 (${run})` }),
      }),
    );

    // Assess
    const dead = await eventually(
      async () => {
        const { Messages = [] } = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ["All"],
            VisibilityTimeout: 0,
          }),
        );
        const mine = Messages.filter((m) => m.Body?.includes(run));
        expect(mine).toHaveLength(1);
        return mine[0];
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(dead?.MessageAttributes?.["switchyard.failure.reason"]?.StringValue).toContain(
      "attribute country: expected a country attribute",
    );
    const carrier = await localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");
    expect(carrier.filter((r) => r.body.includes(run))).toEqual([]);
  });

  it("a request for a country lane is sent exactly once (the catch-all skips its copy)", async () => {
    // Prepare
    const run = unique("de-lane");

    // Act
    await aws.sns.send(
      new PublishCommand({
        TopicArn: topicArn(),
        Message: JSON.stringify({ phoneNumber: "+4915112345679", text: `Code 654321 (${run})` }),
        MessageAttributes: {
          country: { DataType: "String", StringValue: "DE" },
          useCase: { DataType: "String", StringValue: "VERIFICATION" },
        },
      }),
    );

    // Assess: delivered, and once both queues are drained still exactly once, with nothing dead-lettered.
    await eventually(
      async () => {
        const carrier = await localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");
        expect(carrier.filter((r) => r.body.includes(run) && r.status === "DELIVERED")).toHaveLength(1);
        for (const queue of ["sms-throttle-de-verification-queue", "sms-throttle-other-queue"]) {
          const counts = await queueCounts(
            aws.sqs,
            await queueUrl(aws.sqs, queueName(cloud.resources, queue)),
          );
          expect(counts.visible + counts.inFlight + counts.delayed, queue).toBe(0);
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const carrier = await localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");
    expect(carrier.filter((r) => r.body.includes(run))).toHaveLength(1);
    for (const dlq of ["sms-throttle-de-verification-dlq", "sms-throttle-other-dlq"]) {
      const counts = await queueCounts(aws.sqs, await queueUrl(aws.sqs, queueName(cloud.resources, dlq)));
      const { Messages = [] } = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: await queueUrl(aws.sqs, queueName(cloud.resources, dlq)),
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
        }),
      );
      expect(
        Messages.filter((m) => m.Body?.includes(run)),
        `${dlq} (${counts.visible} visible)`,
      ).toEqual([]);
    }
  });

  it("each country's messages reach the carrier through its own origination identity (issue 18)", async () => {
    // Prepare: dev gives DE its own sender id; every other country goes through the catch-all's default pool.
    const run = unique("identities");
    const de = identityOf("de-verification");
    const other = identityOf("other");
    expect(de).not.toBe(other);

    // Act
    for (const [country, phoneNumber] of [
      ["DE", "+4915112345670"],
      ["FR", "+33612345678"],
    ] as const) {
      await aws.sns.send(
        new PublishCommand({
          TopicArn: topicArn(),
          Message: JSON.stringify({ phoneNumber, text: `Code 111111 (${run} ${country})` }),
          MessageAttributes: {
            country: { DataType: "String", StringValue: country },
            useCase: { DataType: "String", StringValue: "VERIFICATION" },
          },
        }),
      );
    }

    // Assess: one delivery each, sent from its lane's identity, and the carrier's stats count them by identity.
    const mine = await eventually(
      async () => {
        const carrier = await localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");
        const delivered = carrier.filter((r) => r.body.includes(run) && r.status === "DELIVERED");
        expect(delivered).toHaveLength(2);
        return delivered;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(mine.map((r) => [r.country, r.originationIdentity]).sort()).toEqual([
      ["DE", de],
      ["FR", other],
    ]);
    const stats = await localView<Record<string, { identities: Record<string, number> }>>(
      cloud.endpoint,
      "sms/stats",
    );
    expect(stats.DE?.identities[de]).toBeGreaterThanOrEqual(1);
    expect(stats.DE?.identities[other]).toBeUndefined();
    expect(stats.FR?.identities[other]).toBeGreaterThanOrEqual(1);
  });
});
