/**
 * `pnpm bench -- --only sms-spike` (or `pnpm --filter @switchyard/bench bench:sms-spike`): issue 16, bench 1.
 *
 * A spike of SMS for one country through the local carrier, two designs side by side in one run (one local
 * cloud, the same moment, so the noise of a shared machine hits both):
 *
 * - **switchyard**: the dev stack's sms-throttle with a bench-sized budget (`switchyard:sms-throttle` overridden: DE bulk
 *   lane B parts/s): published to the SNS topic, queued in `sms-throttle-de-bulk`, sent by the real sender Lambdas on the
 *   lane's shared DynamoDB limiter;
 * - **seed**: the AWS sample "Queueing Amazon Pinpoint API calls to distribute SMS spikes": an SQS queue (the same
 *   settings as the lane's: visibility 6 x timeout, redrive after 5 receives) drained by C consumers of b messages
 *   (the lane's derived concurrency and batch size), each sending its messages one after another, unpaced; a
 *   throttled message is left on the queue and comes back after the visibility timeout. It sends to FR, whose
 *   carrier limit is the same B, so the carrier's per-country buckets keep the designs apart.
 *
 * Both get the same N messages (a quarter two-part, the rest one-part: >= 5,000 parts). Judged at the carrier:
 * the most parts in any one-second window (t - 1 s, t] / B, the mean rate while backlogged / B, THROTTLED
 * records, messages in the DLQ, time to drain / the minimum (parts / B), and exactly-once delivery. Writes
 * bench/results/sms-spike.json and bench/results/sms-spike.svg (parts per second over time, both designs, and B).
 *
 *   [--check]   exit non-zero when switchyard misses a target in targets.json (`smsSpike`)
 *   [--budget B] [--messages N]   (defaults 50 and 4000)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { loadStackConfig } from "@switchyard/infra/synth";
import { REPO_ROOT, startLocalCloud } from "@switchyard/local-cloud";
import { machineNote, writeJson } from "./lib/results";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    check: { type: "boolean", default: false },
    budget: { type: "string", default: "50" },
    messages: { type: "string", default: "4000" },
    runs: { type: "string" },
    only: { type: "string" },
  },
});
const BUDGET = Number(values.budget);
const MESSAGES = Number(values.messages);
const TIME_SCALE = 100;
const targets = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, "targets.json"), "utf8")) as {
    smsSpike: { peakOverBudget: number; meanOverBudget: number; throttled: number; deadLettered: number };
  }
).smsSpike;

const dev = loadStackConfig("dev", REPO_ROOT).config["switchyard:sms-throttle"] as Record<string, unknown>;
const smsConfig: Record<string, unknown> = {
  ...dev,
  maxPartsPerMessage: 2,
  senderTimeoutSeconds: 30,
  maxConcurrencyPerQueue: 10,
  // The service's default margin (the dev stack widens it for laptops): the targets are judged at the default.
  windowMarginMs: 25,
  countries: {
    DE: { capPartsPerSecond: 2 * BUDGET, budgets: { verification: BUDGET, bulk: BUDGET } },
    FR: { capPartsPerSecond: BUDGET, budgets: { verification: BUDGET / 2, bulk: BUDGET / 2 } },
  },
  catchAll: { partsPerSecond: 4 },
};

interface CarrierRecord {
  body: string;
  country: string;
  parts: number;
  at: number;
  status: "DELIVERED" | "THROTTLED" | "INVALID";
}

const view = async <T>(endpoint: string, path: string, query: Record<string, string> = {}): Promise<T> => {
  const url = new URL(`/_local/${path}`, endpoint);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The spike: a quarter two-part (GSM-7, 200 characters), the rest one part. */
const spike = (run: string, country: "DE" | "FR") =>
  Array.from({ length: MESSAGES }, (_, i) => {
    const tag = `${run}-${country}-${i}`;
    const text =
      i % 4 === 3 ? `Your parcel ${tag} ${"is on its way ".repeat(12)}`.slice(0, 200) : `Code ${tag}`;
    const phoneNumber =
      country === "DE" ? `+49151${String(10_000_000 + i)}` : `+336${String(12_000_000 + i)}`;
    return { tag, body: JSON.stringify({ phoneNumber, text, reference: tag }), parts: i % 4 === 3 ? 2 : 1 };
  });

interface Result {
  design: string;
  budget: number;
  messages: number;
  parts: number;
  peakOverBudget: number;
  meanOverBudget: number;
  throttled: number;
  deadLettered: number;
  drainSeconds: number;
  drainOverMinimum: number;
  delivered: number;
  duplicates: number;
  missing: number;
  perSecond: number[];
}

const judge = (
  design: string,
  startedAt: number,
  finishedAt: number,
  records: CarrierRecord[],
  tags: readonly string[],
  parts: number,
  deadLettered: number,
): Result => {
  const delivered = records.filter((r) => r.status === "DELIVERED").sort((a, b) => a.at - b.at);
  const seen = new Map<string, number>();
  for (const r of delivered) {
    const tag = /spike[0-9a-z]+-[A-Z]{2}-\d+/.exec(r.body)?.[0] ?? r.body;
    seen.set(tag, (seen.get(tag) ?? 0) + 1);
  }
  let peak = 0;
  let head = 0;
  let sum = 0;
  for (const r of delivered) {
    sum += r.parts;
    while ((delivered[head] as CarrierRecord).at <= r.at - 1000)
      sum -= (delivered[head++] as CarrierRecord).parts;
    peak = Math.max(peak, sum);
  }
  const first = delivered[0]?.at ?? startedAt;
  const last = delivered.at(-1);
  const span = (last?.at ?? first) - first;
  const meanRate =
    span > 0 ? ((delivered.reduce((n, r) => n + r.parts, 0) - (last?.parts ?? 0)) * 1000) / span : 0;
  const perSecond = Array.from({ length: Math.ceil((finishedAt - startedAt) / 1000) + 1 }, () => 0);
  for (const r of delivered) {
    const i = Math.floor((r.at - startedAt) / 1000);
    if (i >= 0 && i < perSecond.length) perSecond[i] = (perSecond[i] ?? 0) + r.parts;
  }
  const drainSeconds = (finishedAt - startedAt) / 1000;
  return {
    design,
    budget: BUDGET,
    messages: tags.length,
    parts,
    peakOverBudget: peak / BUDGET,
    meanOverBudget: meanRate / BUDGET,
    throttled: records.filter((r) => r.status === "THROTTLED").length,
    deadLettered,
    drainSeconds,
    drainOverMinimum: drainSeconds / (parts / BUDGET),
    delivered: seen.size,
    duplicates: [...seen.values()].filter((n) => n > 1).length,
    missing: tags.filter((t) => !seen.has(t)).length,
    perSecond,
  };
};

const chart = (results: Result[]): string => {
  const width = 900;
  const height = 360;
  const pad = 50;
  const seconds = Math.max(...results.map((r) => r.perSecond.length));
  const top = Math.max(BUDGET * 1.2, ...results.map((r) => Math.max(...r.perSecond)));
  const x = (s: number) => pad + (s / Math.max(1, seconds)) * (width - 2 * pad);
  const y = (v: number) => height - pad - (v / top) * (height - 2 * pad);
  const colours = ["#1f77b4", "#d62728"];
  const lines = results
    .map(
      (r, k) =>
        `<polyline fill="none" stroke="${colours[k]}" stroke-width="1.5" points="${r.perSecond
          .map((v, s) => `${x(s + 1).toFixed(1)},${y(v).toFixed(1)}`)
          .join(
            " ",
          )}"/><text x="${width - pad - 260}" y="${pad + 16 * k}" fill="${colours[k]}" font-size="12">${r.design}: peak ${r.peakOverBudget.toFixed(2)} B, mean ${r.meanOverBudget.toFixed(2)} B, ${r.throttled} throttled, ${r.deadLettered} in DLQ</text>`,
    )
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<title>SMS spike: parts per second at the carrier, switchyard and the seed design, against B</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${pad}" y="20" font-size="14">SMS spike: parts delivered per second at the carrier (B = ${BUDGET} parts/s, ${results[0]?.parts} parts per design)</text>
<line x1="${pad}" y1="${y(BUDGET)}" x2="${width - pad}" y2="${y(BUDGET)}" stroke="#2ca02c" stroke-dasharray="6 4"/>
<text x="${pad + 4}" y="${y(BUDGET) - 4}" fill="#2ca02c" font-size="12">B</text>
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad / 2}" x2="${pad}" y2="${height - pad}" stroke="black"/>
<text x="${width / 2}" y="${height - 15}" font-size="12">seconds since the spike was published</text>
<text x="5" y="${pad}" font-size="12">${Math.round(top)}</text>
<text x="${width - pad - 20}" y="${height - pad + 15}" font-size="12">${seconds} s</text>
${lines}
</svg>
`;
};

async function main(): Promise<number> {
  process.stdout.write(`sms-spike: bringing up the local cloud (dev, sms only, B = ${BUDGET})...\n`);
  const cloud = await startLocalCloud({
    stack: "dev",
    service: "sms-throttle",
    port: 0,
    writeOutputsFile: false,
    timeScale: TIME_SCALE,
    configOverrides: { "switchyard:sms-throttle": smsConfig },
  });
  const clientConfig = {
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const sns = new SNSClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const carrier = new PinpointSMSVoiceV2Client(clientConfig);
  try {
    const lane = cloud.resources.find(
      (r) =>
        r.type === "aws:lambda/eventSourceMapping:EventSourceMapping" &&
        r.name === "sms-throttle-de-bulk-sender-esm",
    );
    const concurrency = Number(
      (lane?.inputs.scalingConfig as { maximumConcurrency?: number })?.maximumConcurrency ?? 2,
    );
    const batchSize = Number(lane?.inputs.batchSize ?? 10);
    const queueUrlOf = async (logical: string) => {
      const resource = cloud.resources.find((r) => r.name === logical);
      const name = String(resource?.outputs.name ?? logical);
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
    };
    const laneQueue = await queueUrlOf("sms-throttle-de-bulk-queue");
    const laneDlq = await queueUrlOf("sms-throttle-de-bulk-dlq");
    const laneAttrs = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: laneQueue, AttributeNames: ["VisibilityTimeout"] }),
      )
    ).Attributes;
    const seedDlq = (await sqs.send(new CreateQueueCommand({ QueueName: "sms-seed-dlq" })))
      .QueueUrl as string;
    const seedDlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: seedDlq, AttributeNames: ["QueueArn"] }))
    ).Attributes?.QueueArn;
    const seedQueue = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: "sms-seed-queue",
          Attributes: {
            VisibilityTimeout: laneAttrs?.VisibilityTimeout ?? "180",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: seedDlqArn, maxReceiveCount: 5 }),
          },
        }),
      )
    ).QueueUrl as string;
    const identity = String(
      (smsConfig.endUserMessaging as { originationIdentityArn: string }).originationIdentityArn,
    );

    const run = `spike${Date.now().toString(36)}`;
    const de = spike(run, "DE");
    const fr = spike(run, "FR");
    const parts = de.reduce((n, m) => n + m.parts, 0);
    process.stdout.write(
      `sms-spike: ${MESSAGES} messages, ${parts} parts per design; C = ${concurrency}, batch ${batchSize}\n`,
    );

    const startedAt = Date.now();
    // switchyard: publish the spike to the topic (PublishBatch of 10, 8 calls at a time).
    const publishing = (async () => {
      const batches = Array.from({ length: Math.ceil(de.length / 10) }, (_, i) =>
        de.slice(i * 10, i * 10 + 10),
      );
      for (let i = 0; i < batches.length; i += 8) {
        await Promise.all(
          batches.slice(i, i + 8).map((batch, j) =>
            sns.send(
              new PublishBatchCommand({
                TopicArn: String(cloud.outputs.smsTopicArn),
                PublishBatchRequestEntries: batch.map((m, k) => ({
                  Id: `m${i + j}-${k}`,
                  Message: m.body,
                  MessageAttributes: {
                    country: { DataType: "String", StringValue: "DE" },
                    useCase: { DataType: "String", StringValue: "TRANSACTIONAL" },
                  },
                })),
              }),
            ),
          ),
        );
      }
    })();
    // seed: the same spike straight into its queue, then C consumers of b messages, no pacing.
    const seeding = (async () => {
      const batches = Array.from({ length: Math.ceil(fr.length / 10) }, (_, i) =>
        fr.slice(i * 10, i * 10 + 10),
      );
      for (let i = 0; i < batches.length; i += 8) {
        await Promise.all(
          batches.slice(i, i + 8).map((batch) =>
            sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: seedQueue,
                Entries: batch.map((m, k) => ({ Id: `e${k}`, MessageBody: m.body })),
              }),
            ),
          ),
        );
      }
    })();
    await Promise.all([publishing, seeding]);
    let seedDone = false;
    const consumer = async () => {
      while (!seedDone) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: seedQueue,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of Messages) {
          const body = JSON.parse(String(message.Body)) as { phoneNumber: string; text: string };
          try {
            await carrier.send(
              new SendTextMessageCommand({
                DestinationPhoneNumber: body.phoneNumber,
                OriginationIdentity: identity,
                MessageBody: body.text,
                MessageType: "TRANSACTIONAL",
              }),
            );
            await sqs.send(
              new DeleteMessageCommand({ QueueUrl: seedQueue, ReceiptHandle: message.ReceiptHandle }),
            );
          } catch {
            // The sample leaves a failed message on the queue: it comes back after the visibility timeout.
          }
        }
      }
    };
    const consumers = Array.from({ length: concurrency }, consumer);

    const total = async (url: string) => {
      const a =
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: [
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
              ],
            }),
          )
        ).Attributes ?? {};
      return (
        Number(a.ApproximateNumberOfMessages ?? 0) +
        Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    };
    let laneFinished = 0;
    let seedFinished = 0;
    const limit = startedAt + (parts / BUDGET) * 3 * 1000 + 120_000;
    while ((laneFinished === 0 || seedFinished === 0) && Date.now() < limit) {
      await sleep(500);
      if (seedFinished === 0 && (await total(seedQueue)) === 0) {
        seedFinished = Date.now();
        seedDone = true;
      }
      if (laneFinished === 0 && (await total(laneQueue)) === 0) laneFinished = Date.now();
      if ((Date.now() - startedAt) % 10_000 < 500)
        process.stdout.write(`  ${Math.round((Date.now() - startedAt) / 1000)} s...\n`);
    }
    seedDone = true;
    await Promise.all(consumers);
    await sleep(1000);

    const records = async (country: string) =>
      (await view<CarrierRecord[]>(cloud.endpoint, "sms/messages", { country })).filter((r) =>
        r.body.includes(run),
      );
    const deRecords = await records("DE");
    const frRecords = await records("FR");
    const lastAt = (rs: CarrierRecord[]) =>
      Math.max(startedAt, ...rs.filter((r) => r.status === "DELIVERED").map((r) => r.at));
    const results = [
      judge(
        "switchyard",
        startedAt,
        Math.max(lastAt(deRecords), laneFinished ? 0 : Date.now()),
        deRecords,
        de.map((m) => m.tag),
        parts,
        await total(laneDlq),
      ),
      judge(
        "seed",
        startedAt,
        seedFinished || Date.now(),
        frRecords,
        fr.map((m) => m.tag),
        parts,
        await total(seedDlq),
      ),
    ];

    const rows = results.map((r) => ({
      design: r.design,
      "peak 1 s / B": r.peakOverBudget.toFixed(3),
      "mean / B": r.meanOverBudget.toFixed(3),
      throttled: r.throttled,
      "in DLQ": r.deadLettered,
      "drain s": r.drainSeconds.toFixed(1),
      "drain / min": r.drainOverMinimum.toFixed(2),
      delivered: `${r.delivered}/${r.messages}`,
      duplicates: r.duplicates,
    }));
    console.table(rows);
    const ours = results[0] as Result;
    const checks = [
      {
        what: "peak parts in any 1 s window / B",
        value: ours.peakOverBudget,
        ok: ours.peakOverBudget <= targets.peakOverBudget,
        target: `<= ${targets.peakOverBudget}`,
      },
      {
        what: "mean rate while backlogged / B",
        value: ours.meanOverBudget,
        ok: ours.meanOverBudget >= targets.meanOverBudget,
        target: `>= ${targets.meanOverBudget}`,
      },
      {
        what: "carrier throttles",
        value: ours.throttled,
        ok: ours.throttled <= targets.throttled,
        target: `<= ${targets.throttled}`,
      },
      {
        what: "messages in the DLQ",
        value: ours.deadLettered,
        ok: ours.deadLettered <= targets.deadLettered,
        target: `<= ${targets.deadLettered}`,
      },
      {
        what: "every message delivered exactly once",
        value: `${ours.delivered}/${ours.messages}, ${ours.duplicates} twice`,
        ok: ours.missing === 0 && ours.duplicates === 0,
        target: "all, once",
      },
    ];
    console.table(
      checks.map((c) => ({
        switchyard: c.what,
        measured: c.value,
        target: c.target,
        result: c.ok ? "ok" : "MISS",
      })),
    );
    const dir = resolve(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    // Side by side in one run, so the ratios are what compares (the machine's load hits both designs).
    const [mine, seed] = [
      results.find((r) => r.design === "switchyard"),
      results.find((r) => r.design === "seed"),
    ];
    const ratio = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b ? Number((a / b).toFixed(3)) : null;
    writeJson(resolve(dir, "sms-spike.json"), {
      measuredAt: new Date().toISOString(),
      machine: machineNote(),
      budget: BUDGET,
      messages: MESSAGES,
      parts,
      concurrency,
      batchSize,
      timeScale: TIME_SCALE,
      versusSeed: {
        peak: ratio(mine?.peakOverBudget, seed?.peakOverBudget),
        mean: ratio(mine?.meanOverBudget, seed?.meanOverBudget),
        drain: ratio(mine?.drainSeconds, seed?.drainSeconds),
      },
      results,
      checks,
    });
    writeFileSync(resolve(dir, "sms-spike.svg"), chart(results));
    process.stdout.write("wrote bench/results/sms-spike.json and bench/results/sms-spike.svg\n");
    return values.check && checks.some((c) => !c.ok) ? 1 : 0;
  } finally {
    sns.destroy();
    sqs.destroy();
    carrier.destroy();
    await cloud.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
