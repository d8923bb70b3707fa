import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { awsCli, requireAwsCli } from "@switchyard/testing/aws-cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allEmulators } from "../src/emulators";
import { Engine } from "../src/engine";
import type { LocalResource } from "../src/types";

/**
 * The control plane at runtime, driven by Debian's AWS CLI v2: a user adds a topic and a filtered queue
 * subscription, a bus with a rule and a queue target, a bucket notification, and watches messages arrive
 * (received with the SDK v3 SQS client, which speaks SQS's JSON protocol).
 */

const REGION = "us-east-1";
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const CLI_TIMEOUT = { timeout: 240_000 };

let engine: Engine;
let aws: ReturnType<typeof awsCli>;
let sqs: SQSClient;
const dir = mkdtempSync(join(tmpdir(), "switchyard-cli-flows-"));

const BUCKET: LocalResource = {
  type: "aws:s3/bucket:Bucket",
  name: "media-inbox",
  urn: "urn:pulumi:dev::switchyard::aws:s3/bucket:Bucket::media-inbox",
  custom: true,
  inputs: {},
  outputs: { bucket: "media-inbox-1234567" },
} as LocalResource;

beforeAll(async () => {
  requireAwsCli();
  engine = await Engine.listen({ emulators: allEmulators(), log: quiet });
  await engine.provision([BUCKET]);
  aws = awsCli(engine.endpoint);
  sqs = new SQSClient({
    endpoint: engine.endpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 60_000);

afterAll(async () => {
  sqs?.destroy();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { url: String(QueueUrl), arn: String(Attributes?.QueueArn) };
}

/** Receives until `count` messages came or a receive returns nothing. */
async function receive(url: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let attempt = 0; attempt < 10 && bodies.length < count; attempt++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    if (!Messages || Messages.length === 0) break;
    bodies.push(...Messages.map((message) => String(message.Body)));
  }
  return bodies;
}

describe("SNS at runtime (aws sns)", CLI_TIMEOUT, () => {
  it("creates a topic, subscribes a queue with a filter policy, and delivers only what matches", async () => {
    const inbox = await queue("cli-orders-inbox");
    const { TopicArn } = await aws("sns", "create-topic", "--name", "cli-orders");
    expect(TopicArn).toBe(`arn:aws:sns:${REGION}:123456789012:cli-orders`);
    const { SubscriptionArn } = await aws(
      "sns",
      "subscribe",
      "--topic-arn",
      String(TopicArn),
      "--protocol",
      "sqs",
      "--notification-endpoint",
      inbox.arn,
      "--attributes",
      JSON.stringify({ RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["order"] }) }),
      "--return-subscription-arn",
    );
    expect(String(SubscriptionArn)).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    const [listed, attributes] = await Promise.all([
      aws("sns", "list-subscriptions-by-topic", "--topic-arn", String(TopicArn)),
      aws("sns", "get-subscription-attributes", "--subscription-arn", String(SubscriptionArn)),
    ]);
    expect(listed.Subscriptions).toEqual([
      expect.objectContaining({ SubscriptionArn, Protocol: "sqs", Endpoint: inbox.arn }),
    ]);
    expect(attributes.Attributes).toMatchObject({
      FilterPolicy: JSON.stringify({ kind: ["order"] }),
      RawMessageDelivery: "true",
    });

    const attribute = (kind: string) => JSON.stringify({ kind: { DataType: "String", StringValue: kind } });
    await aws(
      "sns",
      "publish",
      "--topic-arn",
      String(TopicArn),
      "--message",
      "an order",
      "--message-attributes",
      attribute("order"),
    );
    await aws(
      "sns",
      "publish",
      "--topic-arn",
      String(TopicArn),
      "--message",
      "a refund",
      "--message-attributes",
      attribute("refund"),
    );
    expect(await receive(inbox.url, 2)).toEqual(["an order"]);

    // Widen the filter at runtime: refunds now come through too.
    await aws(
      "sns",
      "set-subscription-attributes",
      "--subscription-arn",
      String(SubscriptionArn),
      "--attribute-name",
      "FilterPolicy",
      "--attribute-value",
      JSON.stringify({ kind: ["order", "refund"] }),
    );
    await aws(
      "sns",
      "publish",
      "--topic-arn",
      String(TopicArn),
      "--message",
      "another refund",
      "--message-attributes",
      attribute("refund"),
    );
    expect(await receive(inbox.url, 1)).toEqual(["another refund"]);

    await aws("sns", "unsubscribe", "--subscription-arn", String(SubscriptionArn));
    const after = await aws("sns", "list-subscriptions-by-topic", "--topic-arn", String(TopicArn));
    expect(after.Subscriptions).toEqual([]);
  });

  it("refuses what SNS refuses: a filter policy it cannot use, an unknown protocol, a bad topic name", async () => {
    const { TopicArn } = await aws("sns", "create-topic", "--name", "cli-strict");
    const [badPolicy, badProtocol, badName, missing] = await Promise.all([
      aws.fails(
        "sns",
        "subscribe",
        "--topic-arn",
        String(TopicArn),
        "--protocol",
        "sqs",
        "--notification-endpoint",
        "arn:aws:sqs:us-east-1:123456789012:anything",
        "--attributes",
        JSON.stringify({ FilterPolicy: JSON.stringify({ kind: "order" }) }),
      ),
      aws.fails(
        "sns",
        "subscribe",
        "--topic-arn",
        String(TopicArn),
        "--protocol",
        "carrier-pigeon",
        "--notification-endpoint",
        "x",
      ),
      aws.fails("sns", "create-topic", "--name", "no spaces allowed"),
      aws.fails(
        "sns",
        "subscribe",
        "--topic-arn",
        "arn:aws:sns:us-east-1:123456789012:nope",
        "--protocol",
        "sqs",
        "--notification-endpoint",
        "arn:aws:sqs:us-east-1:123456789012:q",
      ),
    ]);
    expect(badPolicy).toContain("(InvalidParameter)");
    expect(badPolicy).toContain("FilterPolicy");
    expect(badProtocol).toContain("(InvalidParameter)");
    expect(badProtocol).toContain("carrier-pigeon");
    expect(badName).toContain("(InvalidParameter)");
    expect(missing).toContain("(NotFound)");
  });
});

describe("EventBridge at runtime (aws events)", CLI_TIMEOUT, () => {
  it("creates a bus, puts a rule and a queue target, and delivers matching events", async () => {
    const inbox = await queue("cli-events-inbox");
    const { EventBusArn } = await aws("events", "create-event-bus", "--name", "cli-bus");
    expect(EventBusArn).toBe(`arn:aws:events:${REGION}:123456789012:event-bus/cli-bus`);
    const { RuleArn } = await aws(
      "events",
      "put-rule",
      "--name",
      "cli-orders",
      "--event-bus-name",
      "cli-bus",
      "--event-pattern",
      JSON.stringify({ source: ["cli.test"], "detail-type": ["OrderPlaced"] }),
    );
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:123456789012:rule/cli-bus/cli-orders`);
    const put = await aws(
      "events",
      "put-targets",
      "--rule",
      "cli-orders",
      "--event-bus-name",
      "cli-bus",
      "--targets",
      JSON.stringify([{ Id: "inbox", Arn: inbox.arn, InputPath: "$.detail" }]),
    );
    expect(put).toEqual({ FailedEntryCount: 0, FailedEntries: [] });
    const targets = await aws(
      "events",
      "list-targets-by-rule",
      "--rule",
      "cli-orders",
      "--event-bus-name",
      "cli-bus",
    );
    expect(targets.Targets).toEqual([{ Id: "inbox", Arn: inbox.arn, InputPath: "$.detail" }]);

    const entry = (detailType: string, orderId: string) => ({
      Source: "cli.test",
      DetailType: detailType,
      Detail: JSON.stringify({ orderId }),
      EventBusName: "cli-bus",
    });
    const sent = await aws(
      "events",
      "put-events",
      "--entries",
      JSON.stringify([entry("OrderPlaced", "o-1"), entry("OrderShipped", "o-2")]),
    );
    expect(sent.FailedEntryCount).toBe(0);
    expect(await receive(inbox.url, 2)).toEqual([JSON.stringify({ orderId: "o-1" })]);

    // A rule with targets cannot go; without them it can.
    expect(
      await aws.fails("events", "delete-rule", "--name", "cli-orders", "--event-bus-name", "cli-bus"),
    ).toContain("Rule can't be deleted since it has targets.");
    await aws(
      "events",
      "remove-targets",
      "--rule",
      "cli-orders",
      "--event-bus-name",
      "cli-bus",
      "--ids",
      "inbox",
    );
    await aws("events", "delete-rule", "--name", "cli-orders", "--event-bus-name", "cli-bus");
    const rules = await aws("events", "list-rules", "--event-bus-name", "cli-bus");
    expect(rules.Rules).toEqual([]);
  });

  it("refuses what EventBridge refuses: an invalid pattern, a rule on a missing bus, a bus that exists", async () => {
    const [pattern, bus, exists] = await Promise.all([
      aws.fails(
        "events",
        "put-rule",
        "--name",
        "bad",
        "--event-pattern",
        JSON.stringify({ source: "not-a-list" }),
      ),
      aws.fails(
        "events",
        "put-rule",
        "--name",
        "r",
        "--event-bus-name",
        "nope",
        "--event-pattern",
        JSON.stringify({ source: ["x"] }),
      ),
      aws.fails("events", "create-event-bus", "--name", "default"),
    ]);
    expect(pattern).toContain("(InvalidEventPatternException)");
    expect(bus).toContain("(ResourceNotFoundException)");
    expect(bus).toContain("Event bus nope does not exist.");
    expect(exists).toContain("(ResourceAlreadyExistsException)");
  });
});

describe("S3 notifications at runtime (aws s3api)", CLI_TIMEOUT, () => {
  it("puts a notification configuration, reads it back and delivers uploads that match", async () => {
    const inbox = await queue("cli-uploads-inbox");
    const configuration = {
      QueueConfigurations: [
        {
          Id: "uploads",
          QueueArn: inbox.arn,
          Events: ["s3:ObjectCreated:*"],
          Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }] } },
        },
      ],
    };
    await aws(
      "s3api",
      "put-bucket-notification-configuration",
      "--bucket",
      "media-inbox-1234567",
      "--notification-configuration",
      JSON.stringify(configuration),
    );
    const read = await aws(
      "s3api",
      "get-bucket-notification-configuration",
      "--bucket",
      "media-inbox-1234567",
    );
    expect(read).toEqual({
      QueueConfigurations: [
        {
          Id: "uploads",
          QueueArn: inbox.arn,
          Events: ["s3:ObjectCreated:*"],
          Filter: { Key: { FilterRules: [{ Name: "Prefix", Value: "in/" }] } },
        },
      ],
    });
    const file = join(dir, "photo.jpg");
    writeFileSync(file, "jpeg bytes");
    await aws(
      "s3api",
      "put-object",
      "--bucket",
      "media-inbox-1234567",
      "--key",
      "in/photo.jpg",
      "--body",
      file,
    );
    await aws(
      "s3api",
      "put-object",
      "--bucket",
      "media-inbox-1234567",
      "--key",
      "elsewhere/photo.jpg",
      "--body",
      file,
    );
    const bodies = (await receive(inbox.url, 3)).map((body) => JSON.parse(body) as Record<string, unknown>);
    // S3's test event when the configuration is new, then the one upload under in/.
    expect(
      bodies.map((body) => body.Event ?? (body.Records as Array<{ eventName: string }>)[0]?.eventName),
    ).toEqual(["s3:TestEvent", "ObjectCreated:Put"]);
    expect(
      (bodies[1]?.Records as Array<{ s3: { object: { key: string } } }> | undefined)?.[0]?.s3.object.key,
    ).toBe("in/photo.jpg");
  });

  it("refuses a destination that does not exist and an event type S3 does not have", async () => {
    const [missing, badEvent] = await Promise.all([
      aws.fails(
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        "media-inbox-1234567",
        "--notification-configuration",
        JSON.stringify({
          QueueConfigurations: [
            { QueueArn: "arn:aws:sqs:us-east-1:123456789012:nope", Events: ["s3:ObjectCreated:*"] },
          ],
        }),
      ),
      aws.fails(
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        "media-inbox-1234567",
        "--notification-configuration",
        JSON.stringify({
          QueueConfigurations: [
            { QueueArn: "arn:aws:sqs:us-east-1:123456789012:nope", Events: ["s3:ObjectMoved:*"] },
          ],
        }),
      ),
    ]);
    expect(missing).toContain("(InvalidArgument)");
    expect(missing).toContain("Unable to validate the following destination configurations");
    expect(badEvent).toContain("(InvalidArgument)");
    expect(badEvent).toContain("The event is not supported for notifications");
  });
});
