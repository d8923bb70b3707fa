/**
 * What `--persist` costs SQS: 1,000 messages sent, received and deleted one by one through SDK v3, once in
 * memory and once journaling to a temporary folder. Prints both times and their ratio.
 *
 *   node --import tsx scripts/bench-sqs-persistence.ts [messages]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Engine } from "../src/engine";
import { createSqs } from "../src/services/sqs";
import type { LocalResource } from "../src/types";

const count = Number(process.argv[2] ?? 1000);
const queue: LocalResource = {
  type: "aws:sqs/queue:Queue",
  name: "bench",
  urn: "urn:pulumi:dev::switchyard::aws:sqs/queue:Queue::bench",
  custom: true,
  inputs: {},
  outputs: { name: "bench", arn: "arn:aws:sqs:us-east-1:123456789012:bench" },
  id: "bench",
} as LocalResource;

async function run(persistDir?: string): Promise<number> {
  const engine = await Engine.listen({ persistDir, emulators: { sqs: (ctx) => createSqs(ctx) } });
  await engine.provision([queue]);
  const sqs = new SQSClient({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const url = `${engine.endpoint}/123456789012/bench`;
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ i, pad: "x".repeat(200) }),
        MessageAttributes: { reason: { DataType: "String", StringValue: "bench" } },
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }),
    );
    for (const message of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  const elapsed = performance.now() - started;
  sqs.destroy();
  await engine.close();
  return elapsed;
}

const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-sqs-"));
try {
  await run(); // warm-up (module loading, JIT)
  const memory = await run();
  const persisted = await run(join(dir, "state"));
  console.log(
    `${count} x send/receive/delete: in memory ${memory.toFixed(0)} ms, persisted ${persisted.toFixed(0)} ms, ratio ${(persisted / memory).toFixed(2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
