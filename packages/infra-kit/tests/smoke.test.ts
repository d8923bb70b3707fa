import { setupPulumiMocks } from "@switchyard/testing";
import { it, expect, vi } from "vitest";
vi.mock("@switchyard/routing", () => ({ validateFilterPolicy: () => [], validateEventPattern: () => [] }));
import { NodeFunction, QueueConsumer, ReliableQueue, Topic, AlarmTopic, EncryptionKey, BucketNotifications } from "../src/index";
import * as aws from "@pulumi/aws";
import { fileURLToPath } from "node:url";

it("smoke", async () => {
  const mocks = await setupPulumiMocks();
  const alarms = new AlarmTopic("ops", { emails: ["ops@example.com"] });
  const key = new EncryptionKey("data", { services: ["s3.amazonaws.com", "sns.amazonaws.com"] });
  const queue = new ReliableQueue("inv", { alarmTopicArn: alarms.arn });
  const fn = new NodeFunction("inv-fn", { entry: fileURLToPath(new URL("./fixtures/handler.ts", import.meta.url)), timeout: 30 });
  new QueueConsumer("inv-consumer", { queue, function: fn, maxBatchingWindowSeconds: 5 });
  const topic = new Topic("created", { kmsKeyArn: key.arn });
  const bucket = new aws.s3.Bucket("uploads", {});
  new BucketNotifications("uploads", { bucket, rules: [{ events: ["s3:ObjectCreated:*"], topic }, { events: ["s3:ObjectRemoved:*"], queue }] });
  await mocks.settle();
  for (const r of mocks.resources) console.log(r.type, r.name, r.parentUrn?.split("::").pop());
  const q = await mocks.findResource("aws:sqs/queue:Queue", "inv-queue");
  console.log(JSON.stringify(q.inputs, null, 1));
  const pol = await mocks.findResource("aws:sqs/queuePolicy:QueuePolicy", "inv-queue-policy");
  console.log(pol.inputs.policy);
  const rp = await mocks.findResource("aws:iam/rolePolicy:RolePolicy");
  console.log(rp.inputs.policy);
  const f = await mocks.findResource("aws:lambda/function:Function");
  console.log(JSON.stringify(f.inputs, null, 1).slice(0, 1500));
  expect(1).toBe(1);
});
