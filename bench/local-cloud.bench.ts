/**
 * The local cloud under load: what `pnpm dev` and the end-to-end scenarios pay to bring the dev stack up,
 * how long the bundled handlers take cold and warm, how fast a notification reaches every open tab, and
 * whether the SMS lanes keep their declared budget. One cloud is brought up for the whole run.
 *
 *   pnpm bench:local [--runs N] [--check] [--only <name>[,<name>...]]
 *
 * Benchmarks (in this order, names for `--only`): bring-up, cold-start, fan-out, sms. The cloud is always
 * brought up (the others need it); `--only` decides which results are printed and checked.
 * `--runs N` (default 10): warm `$connect`s, fan-out rounds per shape, and 1 + ceil(N / 5) SMS bursts.
 * `--check` exits non-zero when a measured number misses its target in targets.json (`localCloud`) or a
 * measured property failed (a socket missed a notification, an SMS was lost or sent twice, ...).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { sendUserNotification } from "@switchyard/contracts";
import { loadStackConfig } from "@switchyard/infra/synth";
import { type LocalCloud, REPO_ROOT, startLocalCloud } from "@switchyard/local-cloud";
import {
  type FunctionView,
  type InvocationRecord,
  output,
  quiesce,
  sleep,
  Tab,
  until,
  view,
} from "./lib/cloud";
import { median, percentile, writeResult } from "./lib/results";

const BENCHES = ["bring-up", "cold-start", "fan-out", "sms"] as const;
type Bench = (typeof BENCHES)[number];

interface LocalCloudTargets {
  bringUpMs: number;
  heapUsedMb: number;
  rssMb: number;
  coldStart: { firstConnectMs: number; warmConnectMedianMs: number; authorizerInitMs: number };
  fanOut: Record<FanOutShape, { p50Ms: number; maxMs: number }>;
  sms: { drainOverMinimum: number; throttled: number };
}

const STACK = "dev";
/** Open tabs of the one user of the `oneUser` fan-out shape; users (one tab each) of `manyUsers`. */
const FAN_OUT_SOCKETS = 20;
/** SMS requests per burst, half VERIFICATION (verification lane), half TRANSACTIONAL (bulk lane). */
const SMS_REQUESTS = 40;
/** Every 4th request is a two-part message (so windows are counted in parts, not messages). */
const SMS_TWO_PART_EVERY = 4;
const SMS_COUNTRY = "DE";

const args = process.argv.slice(2).filter((arg) => arg !== "--");
const { values } = parseArgs({
  args,
  options: {
    runs: { type: "string", default: "10" },
    check: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: --runs must be a positive integer (got ${values.runs})`);
  process.exit(1);
}
const selected = new Set<Bench>();
for (const name of (values.only ?? BENCHES.join(",")).split(",").map((s) => s.trim())) {
  if (!(BENCHES as readonly string[]).includes(name)) {
    console.error(`bench: --only takes ${BENCHES.join(", ")} (got ${name})`);
    process.exit(1);
  }
  selected.add(name as Bench);
}
const targets = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, "targets.json"), "utf8")) as {
    localCloud: LocalCloudTargets;
  }
).localCloud;

// ---- results ------------------------------------------------------------------------------------------

interface Row {
  bench: Bench;
  what: string;
  measured: string;
  target: string;
  /** undefined: informational (no target). */
  ok?: boolean;
}
const rows: Row[] = [];
const ms = (value: number) => `${value.toFixed(0)} ms`;
/** A measured time against an upper bound. */
function timeRow(bench: Bench, what: string, value: number, max?: number): void {
  rows.push({
    bench,
    what,
    measured: ms(value),
    target: max === undefined ? "" : `<= ${ms(max)}`,
    ok: max === undefined ? undefined : value <= max,
  });
}
/** A measured quantity against an upper bound (`unit` appended to both). */
function maxRow(bench: Bench, what: string, value: number, max: number | undefined, unit = ""): void {
  rows.push({
    bench,
    what,
    measured: `${Number.isInteger(value) ? value : value.toFixed(2)}${unit}`,
    target: max === undefined ? "" : `<= ${max}${unit}`,
    ok: max === undefined ? undefined : value <= max,
  });
}
/** A property that holds or not; `measured` says what was seen. */
function propertyRow(bench: Bench, what: string, ok: boolean, measured: string, target: string): void {
  rows.push({ bench, what, measured: ok ? measured : `FAILED: ${measured}`, target, ok });
}
function failureRow(bench: Bench, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  rows.push({ bench, what, measured: `FAILED: ${message.slice(0, 300)}`, target: "", ok: false });
}

// ---- helpers ------------------------------------------------------------------------------------------

/** The largest sum of `weight`s whose times fall in any window of `windowMs` (sliding, start inclusive). */
function maxInWindow(events: ReadonlyArray<{ at: number; weight: number }>, windowMs: number): number {
  const byTime = [...events].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  let start = 0;
  for (const event of byTime) {
    sum += event.weight;
    while (event.at - (byTime[start] as { at: number }).at >= windowMs) {
      sum -= (byTime[start] as { weight: number }).weight;
      start++;
    }
    best = Math.max(best, sum);
  }
  return best;
}

// ---- the local cloud's read-only views ------------------------------------------------------------------

interface QueueView {
  name: string;
  depth: { visible: number; inFlight: number; delayed: number };
}
interface CarrierRecord {
  id: string;
  country: string;
  body: string;
  parts: number;
  at: number;
  status: "DELIVERED" | "THROTTLED" | "INVALID";
}
interface CountryStats {
  limit: number | null;
  delivered: number;
  throttled: number;
  invalid: number;
  maxPartsInOneSecond: number;
}

/**
 * Every invocation seen so far, by request id. The engine keeps the last 100 per function, so this is
 * collected after each benchmark, before later ones push the first (cold) records out.
 */
const invocationLog = new Map<string, InvocationRecord>();
async function collectInvocations(cloud: LocalCloud): Promise<void> {
  for (const fn of await view<FunctionView[]>(cloud, "lambda/functions")) {
    if (fn.invocations === 0) continue;
    for (const record of await view<InvocationRecord[]>(cloud, "lambda/invocations", { function: fn.name })) {
      invocationLog.set(record.requestId, record);
    }
  }
}
const invocationsOf = (fn: string) =>
  [...invocationLog.values()]
    .filter((r) => r.function === fn)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));

// ---- the benchmarks -----------------------------------------------------------------------------------

const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

async function connect(cloud: LocalCloud, userId: string): Promise<Tab> {
  const token = await cloud.token(userId);
  return Tab.open(`${output(cloud, "notificationsWebSocketUrl")}?token=${encodeURIComponent(token)}`);
}

async function closeAll(cloud: LocalCloud, tabs: Tab[]): Promise<void> {
  await Promise.all(tabs.map((tab) => tab.close()));
  tabs.length = 0;
  // Let $disconnect run before the next benchmark starts timing.
  await quiesce(cloud);
}

/**
 * 2. Cold start vs warm: the first WebSocket connect runs the authorizer and the connect function cold
 * (a new worker thread loads the bundle), later connects reuse the warm workers.
 */
async function coldStart(cloud: LocalCloud, tabs: Tab[]): Promise<void> {
  const authorizer = "notifications-authorizer-function";
  const connectFn = "notifications-connect-function";
  await collectInvocations(cloud);
  const earlier = invocationsOf(authorizer).length + invocationsOf(connectFn).length;
  if (earlier > 0) {
    throw new Error(`the authorizer or connect function already ran ${earlier} times: nothing is cold`);
  }
  const connectTimes: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    tabs.push(await connect(cloud, `bench-cold-${runId}-${i}`));
    connectTimes.push(performance.now() - started);
    // The engine keeps each function's last 100 invocations: collect before the first falls out.
    if (i % 50 === 49) await collectInvocations(cloud);
  }
  await collectInvocations(cloud);
  const [first, ...warm] = connectTimes as [number, ...number[]];
  const t = targets.coldStart;
  timeRow("cold-start", "first $connect (authorizer + connect cold)", first, t.firstConnectMs);
  timeRow("cold-start", `warm $connect, median of ${warm.length}`, median(warm), t.warmConnectMedianMs);
  timeRow("cold-start", `warm $connect, max of ${warm.length}`, Math.max(...warm));

  for (const fn of [authorizer, connectFn]) {
    const records = invocationsOf(fn);
    const cold = records.filter((r) => r.initDurationMs !== undefined);
    const warmRecords = records.filter((r) => r.initDurationMs === undefined);
    const short = fn.replace(/^notifications-|-function$/g, "");
    const failed = records.filter((r) => r.error);
    propertyRow(
      "cold-start",
      `${short}: invocations, cold, failed`,
      records.length === runs + 1 && cold.length === 1 && failed.length === 0,
      `${records.length}, ${cold.length}, ${failed.length}`,
      `${runs + 1}, 1, 0`,
    );
    const firstRecord = records[0];
    if (firstRecord?.initDurationMs !== undefined) {
      timeRow(
        "cold-start",
        `${short}: init of the first invocation`,
        firstRecord.initDurationMs,
        fn === authorizer ? t.authorizerInitMs : undefined,
      );
      timeRow("cold-start", `${short}: handler duration, first (cold)`, firstRecord.durationMs);
    } else {
      failureRow("cold-start", `${short}: init of the first invocation`, "the first invocation had no init");
    }
    if (warmRecords.length > 0) {
      timeRow(
        "cold-start",
        `${short}: handler duration, warm median of ${warmRecords.length}`,
        median(warmRecords.map((r) => r.durationMs)),
      );
    }
  }
  await closeAll(cloud, tabs);
}

type FanOutShape = "oneUser" | "manyUsers";

/**
 * 3. WebSocket fan-out: one notification put on the bus for a user with FAN_OUT_SOCKETS open tabs
 * (`oneUser`), or one notification each for FAN_OUT_SOCKETS users in one `sendUserNotification`
 * (`manyUsers`); the time from the PutEvents call until every tab has its frame. The first round
 * (the sender cold) is reported apart; every tab must get every notification exactly once.
 */
async function fanOut(cloud: LocalCloud, tabs: Tab[], shape: FanOutShape): Promise<void> {
  const events = new EventBridgeClient({ endpoint: cloud.endpoint, region: "us-east-1", credentials });
  const bus = { eventBusName: output(cloud, "notificationsBusName"), source: "switchyard.orders" }; // the send rule takes known publishers' sources only
  const label = shape === "oneUser" ? `1 user x ${FAN_OUT_SOCKETS} tabs` : `${FAN_OUT_SOCKETS} users x 1 tab`;
  try {
    const users =
      shape === "oneUser"
        ? [`bench-fan-${runId}-one`]
        : Array.from({ length: FAN_OUT_SOCKETS }, (_, i) => `bench-fan-${runId}-u${i}`);
    const tabUser: string[] = [];
    for (let i = 0; i < FAN_OUT_SOCKETS; i++) {
      const userId = users[i % users.length] as string;
      tabs.push(await connect(cloud, userId));
      tabUser.push(userId);
    }
    await quiesce(cloud);

    const messages: string[] = [];
    const roundTimes: number[] = [];
    const firstTimes: number[] = [];
    const incomplete: string[] = [];
    /** Rounds (after the first) during which the sender started a new worker: a cold start inside the round. */
    const coldRounds: number[] = [];
    const coldSenderStarts = async (since: number) =>
      (
        await view<InvocationRecord[]>(cloud, "lambda/invocations", {
          function: "notifications-sender-function",
        })
      ).filter((r) => r.initDurationMs !== undefined && Date.parse(r.startedAt) >= since).length;
    for (let round = 0; round <= runs; round++) {
      const text = (userId: string) => `bench ${runId} ${shape} round ${round} for ${userId}`;
      for (const userId of users) messages.push(text(userId));
      const wallStart = Date.now();
      const started = performance.now();
      await sendUserNotification(
        events,
        bus,
        users.map((userId) => ({ userId, type: "feedback", message: text(userId) })),
      );
      const arrivals = await until(
        async () => {
          const at = tabs.map((tab, i) => tab.arrival(text(tabUser[i] as string)));
          return at.every((value) => value !== undefined) ? (at as number[]) : undefined;
        },
        15_000,
        `round ${round}: every tab received its notification`,
      ).catch((error: Error) => {
        const missing = tabs.filter((tab, i) => tab.arrival(text(tabUser[i] as string)) === undefined);
        incomplete.push(
          `round ${round}: ${missing.length} of ${tabs.length} tabs got nothing (${error.message})`,
        );
        return undefined;
      });
      if (!arrivals) continue;
      const all = Math.max(...arrivals) - started;
      const coldStarts = await coldSenderStarts(wallStart);
      if (round === 0) {
        timeRow("fan-out", `${label}: first round (cold sender starts: ${coldStarts}), all received`, all);
      } else {
        roundTimes.push(all);
        firstTimes.push(Math.min(...arrivals) - started);
        if (coldStarts > 0) coldRounds.push(all);
      }
    }
    // Late duplicates would arrive after the round ended: give them time before counting.
    await quiesce(cloud);
    await sleep(1_000);

    const target = targets.fanOut[shape];
    if (incomplete.length > 0) {
      failureRow("fan-out", `${label}: every tab received every round`, incomplete.join("; "));
    }
    if (roundTimes.length > 0 && incomplete.length === 0) {
      timeRow("fan-out", `${label}: first tab, p50 of ${roundTimes.length} rounds`, median(firstTimes));
      timeRow("fan-out", `${label}: all tabs, p50`, median(roundTimes), target.p50Ms);
      timeRow("fan-out", `${label}: all tabs, p95`, percentile(roundTimes, 0.95));
      timeRow("fan-out", `${label}: all tabs, max`, Math.max(...roundTimes), target.maxMs);
      rows.push({
        bench: "fan-out",
        what: `${label}: rounds with a cold sender start`,
        measured: `${coldRounds.length} of ${roundTimes.length}${
          coldRounds.length > 0 ? ` (${coldRounds.map((t) => ms(t)).join(", ")})` : ""
        }`,
        target: "",
      });
    }
    let expected = 0;
    let missing = 0;
    let duplicated = 0;
    for (const [i, tab] of tabs.entries()) {
      for (const message of messages.filter((m) => m.endsWith(` for ${tabUser[i]}`))) {
        expected++;
        const count = tab.count(message);
        if (count === 0) missing++;
        if (count > 1) duplicated++;
      }
    }
    propertyRow(
      "fan-out",
      `${label}: each tab got each notification exactly once`,
      missing === 0 && duplicated === 0,
      `${expected - missing - duplicated}/${expected} once, ${missing} missing, ${duplicated} duplicated`,
      "all once",
    );
    await collectInvocations(cloud);
  } finally {
    events.destroy();
    await closeAll(cloud, tabs);
  }
}

interface SmsSettings {
  capPartsPerSecond: number;
  budgets: Record<string, number>;
}

/** What one SMS burst came to, from the carrier's records. */
interface BurstResult {
  /** Whether the lanes' sender functions had never run before this burst. */
  cold: boolean;
  /** Most parts in any window of 1 s less the jitter tolerance, per lane and for the country (`*`). */
  window: Record<string, number>;
  /** The same, strictly 1 s. */
  strictWindow: Record<string, number>;
  drainS?: number;
  minimumS: number;
  throttled: number;
  invalid: number;
  expected: number;
  missing: number;
  duplicated: number;
  dead: number;
  error?: string;
}

/**
 * Clock jitter allowed between the sender's pacer and the carrier's record of each send, as the carrier
 * itself allows it (`toleranceMs` of the local SMS emulator): a lane that sends exactly its budget, one part
 * every 1000 / budget ms, shows up at the carrier a few ms early or late.
 */
const SMS_JITTER_MS = 25;

/**
 * 4. SMS pacing: bursts of SMS_REQUESTS requests for one country, each published at once and drained by the
 * verification and bulk lanes; judged from the local carrier's records against the declared budgets.
 */
async function smsPacing(cloud: LocalCloud): Promise<void> {
  const config = loadStackConfig(STACK, REPO_ROOT).config["switchyard:sms-throttle"] as {
    countries: Record<string, SmsSettings>;
  };
  const country = config.countries[SMS_COUNTRY];
  if (!country) throw new Error(`the ${STACK} stack declares no SMS budget for ${SMS_COUNTRY}`);
  const lanes = [
    { lane: "verification", useCase: "VERIFICATION", queue: "sms-throttle-de-verification-queue" },
    { lane: "bulk", useCase: "TRANSACTIONAL", queue: "sms-throttle-de-bulk-queue" },
  ] as const;
  const laneQueues = new Set<string>(lanes.map((l) => l.queue));
  const dlqs = new Set([
    "sms-throttle-de-verification-dlq",
    "sms-throttle-de-bulk-dlq",
    "sms-throttle-other-dlq",
  ]);
  const senders = lanes.map(({ lane }) => `sms-de-${lane}-sender-function`);
  const sns = new SNSClient({ endpoint: cloud.endpoint, region: "us-east-1", credentials });
  const topicArn = output(cloud, "smsTopicArn");
  const bursts = 1 + Math.ceil(runs / 5);
  const results: BurstResult[] = [];
  const queued = async (names: Set<string>) =>
    (await view<QueueView[]>(cloud, "sqs/queues"))
      .filter((q) => names.has(q.name))
      .reduce((sum, q) => sum + q.depth.visible + q.depth.inFlight + q.depth.delayed, 0);
  try {
    const statsBefore = (await view<Record<string, CountryStats>>(cloud, "sms/stats"))[SMS_COUNTRY];
    for (let burst = 0; burst < bursts; burst++) {
      await collectInvocations(cloud);
      const cold = senders.every((fn) => invocationsOf(fn).length === 0);
      const run = `${runId}b${burst}`;
      const requests = Array.from({ length: SMS_REQUESTS }, (_, i) => {
        const { lane, useCase } = lanes[i % 2] as (typeof lanes)[number];
        const marker = `(${run} ${lane} ${i})`;
        const twoParts = i % SMS_TWO_PART_EVERY === SMS_TWO_PART_EVERY - 1;
        const text = twoParts
          ? `Your parcel ${i} has left our warehouse and will be delivered tomorrow between 9 and 13 o'clock. ` +
            `Reply STOP to stop these messages, or visit the tracking page for details. ${marker}`
          : `Your code is ${100_000 + i} ${marker}`;
        return { lane, useCase, text, parts: twoParts ? 2 : 1, phone: `+491511234${5600 + i}` };
      });
      const partsOf = (lane?: string) =>
        requests.filter((r) => !lane || r.lane === lane).reduce((sum, r) => sum + r.parts, 0);
      // The fastest the burst may drain: each lane at its budget, the country at its cap.
      const minimumS = Math.max(
        ...lanes.map(({ lane }) => partsOf(lane) / (country.budgets[lane] as number)),
        partsOf() / country.capPartsPerSecond,
      );
      const mineOf = (records: CarrierRecord[]) => records.filter((r) => r.body.includes(`(${run} `));
      const carrier = async () =>
        mineOf(await view<CarrierRecord[]>(cloud, "sms/messages", { country: SMS_COUNTRY }));

      const started = Date.now();
      await Promise.all(
        requests.map((request, i) =>
          sns.send(
            new PublishCommand({
              TopicArn: topicArn,
              Message: JSON.stringify({
                phoneNumber: request.phone,
                text: request.text,
                reference: `${run}-${i}`,
              }),
              MessageAttributes: {
                country: { DataType: "String", StringValue: SMS_COUNTRY },
                useCase: { DataType: "String", StringValue: request.useCase },
              },
            }),
          ),
        ),
      );
      // Every request delivered and the lanes idle (nothing left to send, re-enqueued or deferred).
      let error: string | undefined;
      await until(
        async () => {
          const delivered = new Set(
            (await carrier()).filter((r) => r.status === "DELIVERED").map((r) => r.body),
          );
          if (delivered.size < requests.length) return undefined;
          return (await queued(laneQueues)) === 0 ? true : undefined;
        },
        Math.max(60_000, minimumS * 5_000),
        `burst ${burst + 1}: all ${requests.length} requests delivered and the lanes empty`,
      ).catch((e: Error) => {
        error = e.message;
      });
      // Late duplicates (a redelivered record sent again) would come after: give them time.
      await quiesce(cloud);
      await sleep(1_000);

      const mine = await carrier();
      const delivered = mine.filter((r) => r.status === "DELIVERED");
      const weighted = (records: CarrierRecord[]) => records.map((r) => ({ at: r.at, weight: r.parts }));
      const window: Record<string, number> = {};
      const strictWindow: Record<string, number> = {};
      for (const { lane } of [...lanes, { lane: "*" }]) {
        const records =
          lane === "*" ? delivered : delivered.filter((r) => r.body.includes(`(${run} ${lane} `));
        window[lane] = maxInWindow(weighted(records), 1_000 - SMS_JITTER_MS);
        strictWindow[lane] = maxInWindow(weighted(records), 1_000);
      }
      let missing = 0;
      let duplicated = 0;
      for (const request of requests) {
        const count = delivered.filter((r) => r.body === request.text).length;
        if (count === 0) missing++;
        if (count > 1) duplicated++;
      }
      results.push({
        cold,
        window,
        strictWindow,
        drainS: delivered.length > 0 ? (Math.max(...delivered.map((r) => r.at)) - started) / 1000 : undefined,
        minimumS,
        throttled: mine.filter((r) => r.status === "THROTTLED").length,
        invalid: mine.filter((r) => r.status === "INVALID").length,
        expected: requests.length,
        missing,
        duplicated,
        dead: await queued(dlqs),
        ...(error ? { error } : {}),
      });
    }
    const statsAfter = (await view<Record<string, CountryStats>>(cloud, "sms/stats"))[SMS_COUNTRY];
    await collectInvocations(cloud);

    // The first burst (senders cold, when they had not run before) apart from the warm ones.
    const groups: Array<[string, BurstResult[]]> = [
      [`burst 1${results[0]?.cold ? " (senders cold)" : ""}`, results.slice(0, 1)],
      [`bursts 2-${bursts} (warm)`, results.slice(1)],
    ];
    const tolerance = `${1_000 - SMS_JITTER_MS} ms`;
    for (const [group, members] of groups) {
      if (members.length === 0) continue;
      const worst = (key: string, strict = false) =>
        Math.max(...members.map((m) => (strict ? m.strictWindow : m.window)[key] ?? 0));
      for (const { lane } of [...lanes, { lane: "*" }]) {
        const limit = lane === "*" ? country.capPartsPerSecond : (country.budgets[lane] as number);
        const name = lane === "*" ? `${SMS_COUNTRY} (all lanes)` : lane;
        propertyRow(
          "sms",
          `${group}: ${name} parts in any ${tolerance} (any 1 s)`,
          worst(lane) <= limit,
          `${worst(lane)} (${worst(lane, true)})`,
          `<= ${limit} (${lane === "*" ? "cap" : "budget"})`,
        );
      }
      const drained = members.filter((m) => m.drainS !== undefined);
      if (drained.length > 0) {
        const ratios = drained.map((m) => (m.drainS as number) / m.minimumS);
        const worstRatio = Math.max(...ratios);
        rows.push({
          bench: "sms",
          what: `${group}: drain time / minimum (parts / budget)`,
          measured: `${worstRatio.toFixed(2)} (${drained
            .map((m) => `${(m.drainS as number).toFixed(1)} s / ${m.minimumS.toFixed(1)} s`)
            .join(", ")})`,
          target: `<= ${targets.sms.drainOverMinimum}`,
          ok: worstRatio <= targets.sms.drainOverMinimum,
        });
      }
      const failed = members.filter((m) => m.error).map((m) => m.error);
      if (failed.length > 0) failureRow("sms", `${group}: every burst drained`, failed.join("; "));
      const sum = (key: "throttled" | "invalid" | "expected" | "missing" | "duplicated" | "dead") =>
        members.reduce((total, m) => total + m[key], 0);
      maxRow("sms", `${group}: THROTTLED records`, sum("throttled"), targets.sms.throttled);
      propertyRow(
        "sms",
        `${group}: each request delivered exactly once`,
        sum("missing") === 0 && sum("duplicated") === 0 && sum("invalid") === 0,
        `${sum("expected") - sum("missing") - sum("duplicated")}/${sum("expected")} once, ${sum("missing")} missing, ` +
          `${sum("duplicated")} duplicated, ${sum("invalid")} invalid, ${sum("dead")} in DLQs`,
        "all once",
      );
    }
    if (statsAfter) {
      maxRow(
        "sms",
        `carrier's ${SMS_COUNTRY} throttled count during the bench`,
        statsAfter.throttled - (statsBefore?.throttled ?? 0),
        targets.sms.throttled,
      );
      rows.push({
        bench: "sms",
        what: `carrier's ${SMS_COUNTRY} maxPartsInOneSecond (strict 1 s, engine lifetime)`,
        measured: String(statsAfter.maxPartsInOneSecond),
        target: `cap ${country.capPartsPerSecond}`,
      });
    }
  } finally {
    sns.destroy();
  }
}

/** Cold starts and warm durations of every function the run invoked (informational). */
function functionSummary(): void {
  const names = [...new Set([...invocationLog.values()].map((r) => r.function))].sort();
  if (names.length === 0) return;
  console.log(
    "\nfunction                              invocations  cold  init median  warm median (handler)",
  );
  for (const name of names) {
    const records = invocationsOf(name);
    const cold = records.filter((r) => r.initDurationMs !== undefined);
    const warm = records.filter((r) => r.initDurationMs === undefined);
    console.log(
      `${name.padEnd(37)} ${String(records.length).padStart(11)}  ${String(cold.length).padStart(4)}  ${
        cold.length ? ms(median(cold.map((r) => r.initDurationMs as number))).padStart(11) : "-".padStart(11)
      }  ${warm.length ? ms(median(warm.map((r) => r.durationMs))).padStart(11) : "-".padStart(11)}`,
    );
  }
}

function printRows(): void {
  const shown = rows.filter((row) => selected.has(row.bench));
  const header = { bench: "benchmark", what: "measurement", measured: "measured", target: "target" };
  const width = (key: keyof typeof header) =>
    Math.max(header[key].length, ...shown.map((row) => String(row[key]).length));
  const widths = { bench: width("bench"), what: width("what"), measured: width("measured") };
  const line = (r: { bench: string; what: string; measured: string; target: string }, status: string) =>
    `${r.bench.padEnd(widths.bench)}  ${r.what.padEnd(widths.what)}  ${r.measured.padStart(widths.measured)}  ${status.padEnd(4)}  ${r.target}`;
  console.log(line(header, ""));
  for (const row of shown) {
    console.log(line(row, row.ok === undefined ? "" : row.ok ? "ok" : "MISS"));
  }
}

// ---- run ------------------------------------------------------------------------------------------------

const tabs: Tab[] = [];
const started = performance.now();
let cloud: LocalCloud;
try {
  cloud = await startLocalCloud({ stack: STACK, port: 0, writeOutputsFile: false });
} catch (error) {
  failureRow("bring-up", "startLocalCloud", error);
  printRows();
  process.exit(1);
}
const bringUpMs = performance.now() - started;
const memory = process.memoryUsage();
timeRow("bring-up", `startLocalCloud (${cloud.resources.length} resources)`, bringUpMs, targets.bringUpMs);
maxRow("bring-up", "heap used after", Math.round(memory.heapUsed / 2 ** 20), targets.heapUsedMb, " MB");
maxRow("bring-up", "RSS after", Math.round(memory.rss / 2 ** 20), targets.rssMb, " MB");

try {
  const phases: Array<[Bench, string, () => Promise<void>]> = [
    ["cold-start", "cold start", () => coldStart(cloud, tabs)],
    ["fan-out", "fan-out, one user", () => fanOut(cloud, tabs, "oneUser")],
    ["fan-out", "fan-out, many users", () => fanOut(cloud, tabs, "manyUsers")],
    ["sms", "SMS pacing", () => smsPacing(cloud)],
  ];
  for (const [bench, what, phase] of phases) {
    if (!selected.has(bench)) continue;
    try {
      await phase();
    } catch (error) {
      failureRow(bench, what, error);
      await closeAll(cloud, tabs).catch(() => undefined);
    }
  }
  await collectInvocations(cloud).catch(() => undefined);
} finally {
  await Promise.all(tabs.map((tab) => tab.close()));
  await quiesce(cloud).catch(() => undefined);
  await cloud.close();
}

printRows();
if (selected.has("cold-start")) functionSummary();
writeResult("local-cloud", undefined, {
  selected: [...selected],
  runs,
  rows: rows.filter((row) => selected.has(row.bench)),
});

const missed = rows.filter((row) => selected.has(row.bench) && row.ok === false);
if (values.check && missed.length > 0) {
  console.error(
    `bench: ${missed.length} missed: ${missed.map((row) => `${row.bench} ${row.what}: ${row.measured}`).join("; ")}`,
  );
  process.exit(1);
}
