import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DescribeArchiveCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from "@aws-sdk/client-eventbridge";
import { GetBucketNotificationConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { allEmulators } from "../src/emulators";
import { Engine } from "../src/engine";
import { RecordLog } from "../src/persist/journal";
import type { NotificationJournalRecord } from "../src/services/s3/notifications";
import { ACCOUNT, BUCKET, BUS, QUEUE, QUEUE_ARN, REGION, RESOURCES } from "./fixtures/persist/resources";
import { killHard, type Spawned, spawnTsx } from "./spawn";

/**
 * With --persist, what SNS, EventBridge and S3 accepted survives `kill -9`: the topics, subscriptions, rules,
 * targets and notification configurations clients made at runtime, the events archived, and S3 event
 * notifications accepted but not yet handed on.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const dirs: string[] = [];
const engines: Engine[] = [];
let child: Spawned | undefined;

afterEach(async () => {
  if (child) await killHard(child);
  child = undefined;
  for (const engine of engines.splice(0)) await engine.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-persist-"));
  dirs.push(dir);
  return dir;
}

/** Runs the child local cloud until it says READY, then kills it with SIGKILL (no shutdown code runs). */
async function runAndKill(persistDir: string): Promise<void> {
  child = spawnTsx(join(HERE, "fixtures/persist/child.ts"), [persistDir]);
  await child.waitFor("READY");
  expect(await killHard(child)).toBe("SIGKILL");
  child = undefined;
}

async function restart(persistDir: string): Promise<Engine> {
  const engine = await Engine.listen({ emulators: allEmulators(), persistDir, log: quiet });
  engines.push(engine);
  await engine.provision(RESOURCES);
  return engine;
}

function clients(endpoint: string) {
  const config = { endpoint, region: REGION, credentials: { accessKeyId: "l", secretAccessKey: "l" } };
  return {
    sns: new SNSClient(config),
    events: new EventBridgeClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
  };
}

describe("control plane and archives after kill -9 (--persist)", { timeout: 240_000 }, () => {
  it("keeps runtime topics, subscriptions, rules, targets, notification configurations and archived events", async () => {
    const dir = tempDir();
    await runAndKill(dir);
    const engine = await restart(dir);
    const { sns, events, s3 } = clients(engine.endpoint);

    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:runtime-topic`;
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    expect(Topics).toContainEqual({ TopicArn: topicArn });
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions).toEqual([expect.objectContaining({ Protocol: "sqs", Endpoint: QUEUE_ARN })]);
    const { Attributes } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions?.[0]?.SubscriptionArn }),
    );
    expect(Attributes).toMatchObject({
      FilterPolicy: JSON.stringify({ kind: ["order"] }),
      RawMessageDelivery: "true",
    });

    const { Targets } = await events.send(
      new ListTargetsByRuleCommand({ Rule: "runtime-rule", EventBusName: BUS }),
    );
    expect(Targets).toEqual([{ Id: "inbox", Arn: QUEUE_ARN }]);
    const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: "persist-archive" }));
    expect(archive.EventCount).toBe(3);

    const notification = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: BUCKET }));
    expect(notification.QueueConfigurations).toEqual([
      expect.objectContaining({ Id: "runtime", QueueArn: QUEUE_ARN, Events: ["s3:ObjectCreated:*"] }),
    ]);
    for (const client of [sns, events, s3]) client.destroy();
  });

  it("delivers S3 event notifications a crashed run accepted but had not handed on", async () => {
    const dir = tempDir();
    // What a run killed between answering PutObject and notifying leaves in its journal.
    const journal = new RecordLog<NotificationJournalRecord>({ persistDir: dir, log: quiet }, "s3");
    const config = {
      targets: [{ kind: "queue" as const, id: "uploads", arn: QUEUE_ARN, events: ["s3:ObjectCreated:*"] }],
      eventbridge: false,
    };
    const event = {
      eventName: "ObjectCreated:Put",
      bucket: BUCKET,
      key: "in/photo.jpg",
      size: 10,
      eTag: "0123456789abcdef0123456789abcdef",
      sequencer: "0000000000000001",
      time: new Date().toISOString(),
      principalId: "AWS:local",
      sourceIp: "127.0.0.1",
      requestId: "REQ",
      hostId: "HOST",
      reason: "PutObject",
    };
    journal.append({ kind: "pending", id: "handed-on", event: { ...event, key: "in/earlier.jpg" }, config });
    journal.append({ kind: "delivered", id: "handed-on" });
    journal.append({ kind: "pending", id: "lost-before", event, config });
    journal.close();

    const engine = await restart(dir);
    const { sqs } = clients(engine.endpoint);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    const keys = (Messages ?? []).map(
      (message) =>
        (JSON.parse(String(message.Body)) as { Records: Array<{ s3: { object: { key: string } } }> })
          .Records[0]?.s3.object.key,
    );
    expect(keys).toEqual(["in/photo.jpg"]);
    sqs.destroy();
  });
});
