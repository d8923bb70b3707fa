/**
 * Notification fan-out at scale, against the seed design, side by side in one local cloud:
 * CONNECTIONS WebSocket clients over USERS users (K = CONNECTIONS / USERS connections per user), one
 * `feedback` notification per user per round, timed from just before the PutEvents calls until each
 * notification reached the last of its user's connections.
 *
 *   pnpm bench:notification-fan-out [--runs N] [--check]
 *
 * Two senders read the same connections table and post through the same `@connections` API:
 * - **switchyard**: the notifications service's sender as deployed (records of a batch in parallel, up to
 *   `postConcurrency` posts at a time per user);
 * - **sequential** (the seed design): bench/baseline/sequential-sender.ts, records and posts one after
 *   another, deployed by this bench on a copy of the sender's pipeline (bus, rule, queue and event source
 *   mapping with the same settings), so both go bus -> rule -> queue -> event source mapping -> sender.
 *
 * One warm-up round per design (cold workers) is reported apart; then N measured rounds per design,
 * alternating (A B, B A, ...) so the machine's load falls on both alike. AWS calls per notification are
 * counted from the engine's `/_local/requests` view (DynamoDB and `@connections` requests during the
 * round); the minimum is 1 + K: one query for the user's connections, one post per connection.
 * `--runs N` (default 3): measured rounds per design. Writes results/notification-fan-out.json and
 * results/notification-fan-out.svg (the distribution of per-notification latency, both designs).
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { sendUserNotification } from "@switchyard/contracts";
import { type LocalCloud, type LocalResource, startLocalCloud } from "@switchyard/local-cloud";
import { build } from "esbuild";
import {
  type Frame,
  type InvocationRecord,
  output,
  quiesce,
  type RequestCounts,
  requestCounts,
  requestsBetween,
  sleep,
  Tab,
  until,
  view,
} from "./lib/cloud";
import { benchArgs, loadTargets, median, percentile, Report, writeChart, writeResult } from "./lib/results";
import { cdfChart } from "./lib/svg";

const CONNECTIONS = 1000;
const USERS = 300;
/** WebSocket connects in flight at once while the tabs open (each new one can start a cold worker). */
const OPEN_CONCURRENCY = 4;
/** Attempts per WebSocket connect: a cold worker can exceed the connect function's timeout under load. */
const OPEN_ATTEMPTS = 3;
const SENDER = "notifications-sender-function";
/**
 * The prod stack: its \$connect throttle (500 per second, burst 1000) admits 1000 clients at once; dev's
 * (20 per second, burst 40) would make the bench wait 50 s for them, and refuses the rest with 429.
 */
const STACK = "prod";

interface FanOutTargets {
  /** The switchyard sender's per-notification latency, measured rounds. */
  p50Ms: number;
  p99Ms: number;
  /** DynamoDB + @connections requests per notification over the minimum 1 + K. */
  callsOverMinimum: number;
  /** The sequential design's p99 over the switchyard sender's: at least this. */
  p99SpeedupOverSequential: number;
}

const { runs, check } = benchArgs(3, ["notification-fan-out"]);
const targets = loadTargets<{ fanOut1000: FanOutTargets }>().fanOut1000;
const report = new Report(
  `notification-fan-out: ${CONNECTIONS} connections over ${USERS} users, one notification per user`,
);
const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

type DesignKey = "switchyard" | "sequential";
interface Design {
  key: DesignKey;
  label: string;
  bus: string;
  fn: string;
}

// ---- the baseline's pipeline ------------------------------------------------------------------------------

/** The sequential sender, bundled the way the program bundles handlers (one ESM file, SDK inside). */
async function bundleBaseline(): Promise<string> {
  const result = await build({
    entryPoints: [resolve(import.meta.dirname, "baseline/sequential-sender.ts")],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    logLevel: "silent",
    banner: {
      js: 'import { createRequire as __benchCreateRequire } from "node:module";const require = __benchCreateRequire(import.meta.url);',
    },
  });
  return (result.outputFiles[0] as { text: string }).text;
}

const str = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * Copies the real sender's pipeline (its bus, the rule and target feeding its queue, the queue, the event
 * source mapping) under new names, with the sequential sender as the function, and provisions the copies.
 */
async function deployBaseline(cloud: LocalCloud): Promise<Design> {
  const all = cloud.resources;
  const of = (type: string) => all.filter((r) => r.type === type);
  const fn = of("aws:lambda/function:Function").find((r) => str(r.outputs.name) === SENDER);
  const esm = of("aws:lambda/eventSourceMapping:EventSourceMapping").find((r) =>
    str(r.inputs.functionName)?.endsWith(`:function:${SENDER}`),
  );
  const queueArn = str(esm?.inputs.eventSourceArn);
  const queue = of("aws:sqs/queue:Queue").find((r) => str(r.outputs.arn) === queueArn);
  const target = of("aws:cloudwatch/eventTarget:EventTarget").find((r) => str(r.inputs.arn) === queueArn);
  const busName = str(target?.inputs.eventBusName);
  const rule = of("aws:cloudwatch/eventRule:EventRule").find(
    (r) => str(r.outputs.name) === str(target?.inputs.rule) && str(r.inputs.eventBusName) === busName,
  );
  const bus = of("aws:cloudwatch/eventBus:EventBus").find((r) => str(r.outputs.name) === busName);
  if (!fn || !esm || !queue || !target || !rule || !bus || !busName) {
    throw new Error(`the sender's pipeline (bus, rule, target, queue, mapping, ${SENDER}) was not found`);
  }
  const renames: Array<[string, string]> = [
    [busName, `bench-seq-${busName}`],
    [str(rule.outputs.name) as string, `bench-seq-${str(rule.outputs.name)}`],
    [str(queue.outputs.name) as string, `bench-seq-${str(queue.outputs.name)}`],
    [SENDER, `bench-seq-${SENDER}`],
    [str(esm.outputs.uuid) ?? (esm.id as string), `bench-seq-${str(esm.outputs.uuid) ?? esm.id}`],
  ];
  const rename = (resource: LocalResource): LocalResource => {
    let text = JSON.stringify(resource);
    for (const [from, to] of renames) text = text.split(from).join(to);
    return JSON.parse(text) as LocalResource;
  };
  const code = await bundleBaseline();
  const { code: _real, ...fnInputs } = fn.inputs;
  const copy = rename({ ...fn, inputs: fnInputs });
  copy.inputs.code = { assets: { "index.mjs": { text: code } } };
  await cloud.engine.provision([rename(bus), rename(queue), rename(rule), rename(target), copy, rename(esm)]);
  return {
    key: "sequential",
    label: "sequential (seed design)",
    bus: `bench-seq-${busName}`,
    fn: `bench-seq-${SENDER}`,
  };
}

// ---- a round --------------------------------------------------------------------------------------------

interface RoundResult {
  design: DesignKey;
  round: number;
  /** Per notification (user): PutEvents start until the last of its connections received it, ms. */
  notificationMs: number[];
  /** Per delivery (connection): PutEvents start until it arrived, ms. */
  deliveryMs: number[];
  /** Until `sendUserNotification` returned (every PutEvents call answered). */
  putMs: number;
  /** The design's sender: invocations during the round, their median and longest duration. */
  invocations: number;
  invocationP50Ms: number;
  invocationMaxMs: number;
  /** From the round's first PutEvents call until its last delivery. */
  lastMs: number;
  requests: RequestCounts;
  missing: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const cloud = await startLocalCloud({
    stack: STACK,
    port: 0,
    writeOutputsFile: false,
    service: "notifications",
  });
  const tabs: Tab[] = [];
  const events = new EventBridgeClient({ endpoint: cloud.endpoint, region: "us-east-1", credentials });
  try {
    report.info(
      `bring-up (${STACK} stack, notifications service only)`,
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const designs: Record<DesignKey, Design> = {
      switchyard: {
        key: "switchyard",
        label: "switchyard sender",
        bus: output(cloud, "notificationsBusName"),
        fn: SENDER,
      },
      sequential: await deployBaseline(cloud),
    };

    // Arrivals by message text: the tab index and when.
    const arrivals = new Map<string, Array<{ tab: number; at: number }>>();
    const wsUrl = output(cloud, "notificationsWebSocketUrl");
    const users = Array.from({ length: USERS }, (_, i) => `bench-fan-${runId}-u${i}`);
    const tabUser: string[] = Array.from({ length: CONNECTIONS }, (_, i) => users[i % USERS] as string);
    const openStart = performance.now();
    const onFrame = (i: number) => (frame: Frame) => {
      const text = frame.data.message;
      if (typeof text !== "string") return;
      const list = arrivals.get(text) ?? [];
      list.push({ tab: i, at: frame.at });
      arrivals.set(text, list);
    };
    let retried = 0;
    /** A refused upgrade on a loaded machine is a cold authorizer or connect worker timing out: try again. */
    const open = async (i: number): Promise<Tab> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const token = await cloud.token(tabUser[i] as string);
          return await Tab.open(`${wsUrl}?token=${encodeURIComponent(token)}`, onFrame(i));
        } catch (error) {
          if (attempt >= OPEN_ATTEMPTS) throw error;
          retried++;
          await sleep(500 * attempt);
        }
      }
    };
    const opened: Tab[] = new Array(CONNECTIONS);
    // The first connect alone starts one authorizer and one connect worker; the rest reuse a few of them.
    opened[0] = await open(0);
    let next = 1;
    await Promise.all(
      Array.from({ length: OPEN_CONCURRENCY }, async () => {
        for (let i = next++; i < CONNECTIONS; i = next++) opened[i] = await open(i);
      }),
    );
    tabs.push(...opened);
    report.info(
      `${CONNECTIONS} WebSocket connects (${OPEN_CONCURRENCY} at a time), retried`,
      `${((performance.now() - openStart) / 1000).toFixed(1)} s, ${retried}`,
    );
    await quiesce(cloud, 60_000);

    const tabsOf = new Map<string, number[]>();
    for (const [i, user] of tabUser.entries()) tabsOf.set(user, [...(tabsOf.get(user) ?? []), i]);
    const messagesSent: Array<{ text: string; user: string }> = [];

    const runRound = async (design: Design, round: number): Promise<RoundResult> => {
      const text = (user: string) => `bench ${runId} ${design.key} round ${round} for ${user}`;
      for (const user of users) messagesSent.push({ text: text(user), user });
      const before = await requestCounts(cloud);
      const start = performance.now();
      const startedAt = Date.now();
      // Every user's notification published at once: one PutEvents call (10 entries, its limit) per chunk,
      // all in flight together; each notification is timed from the start of its own call.
      const sentAt = new Map<string, number>();
      await Promise.all(
        Array.from({ length: Math.ceil(USERS / 10) }, (_, i) => users.slice(i * 10, i * 10 + 10)).map(
          (group) => {
            const at = performance.now();
            for (const user of group) sentAt.set(user, at);
            return sendUserNotification(
              events,
              { eventBusName: design.bus, source: "switchyard.orders" },
              group.map((user) => ({ userId: user, type: "feedback", message: text(user) })),
            );
          },
        ),
      );
      const putMs = performance.now() - start;
      await until(
        () => {
          let delivered = 0;
          for (const user of users) delivered += arrivals.get(text(user))?.length ?? 0;
          return delivered >= CONNECTIONS ? true : undefined;
        },
        180_000,
        `${design.key} round ${round}: all ${CONNECTIONS} deliveries`,
        20,
      ).catch(() => undefined);
      const notificationMs: number[] = [];
      const deliveryMs: number[] = [];
      let missing = 0;
      let last = Number.NaN;
      for (const user of users) {
        const got = arrivals.get(text(user)) ?? [];
        const expected = tabsOf.get(user)?.length ?? 0;
        const firstPerTab = new Map<number, number>();
        for (const { tab, at } of got) if (!firstPerTab.has(tab)) firstPerTab.set(tab, at);
        missing += expected - firstPerTab.size;
        const from = sentAt.get(user) ?? start;
        for (const at of firstPerTab.values()) {
          deliveryMs.push(at - from);
          if (!(at - start <= last)) last = at - start;
        }
        if (firstPerTab.size === expected) notificationMs.push(Math.max(...firstPerTab.values()) - from);
      }
      await quiesce(cloud, 60_000);
      const requests = requestsBetween(before, await requestCounts(cloud));
      const invocations = (
        await view<InvocationRecord[]>(cloud, "lambda/invocations", { function: design.fn })
      ).filter((r) => Date.parse(r.startedAt) >= startedAt);
      return {
        putMs,
        invocations: invocations.length,
        invocationP50Ms: median(invocations.map((r) => r.durationMs)),
        invocationMaxMs: Math.max(...invocations.map((r) => r.durationMs)),
        design: design.key,
        round,
        notificationMs,
        deliveryMs,
        lastMs: last,
        requests,
        missing,
      };
    };

    const results: RoundResult[] = [];
    // Warm-up: each design's first round starts its workers cold.
    for (const design of [designs.switchyard, designs.sequential]) results.push(await runRound(design, 0));
    for (let round = 1; round <= runs; round++) {
      const order =
        round % 2 === 1 ? [designs.switchyard, designs.sequential] : [designs.sequential, designs.switchyard];
      for (const design of order) results.push(await runRound(design, round));
    }
    // Late duplicates would arrive after their round: give them a moment, then count each tab's frames.
    await sleep(1_000);
    let duplicated = 0;
    let missingTotal = 0;
    for (const { text, user } of messagesSent) {
      const got = arrivals.get(text) ?? [];
      const expected = tabsOf.get(user) ?? [];
      for (const tab of expected) {
        const count = got.filter((a) => a.tab === tab).length;
        if (count === 0) missingTotal++;
        if (count > 1) duplicated++;
      }
      if (got.some((a) => !expected.includes(a.tab))) duplicated++;
    }

    // ---- the report -----------------------------------------------------------------------------------
    const k = CONNECTIONS / USERS;
    const minimumCalls = 1 + k;
    const summary: Record<string, unknown> = {};
    const measured = (key: DesignKey) => results.filter((r) => r.design === key && r.round > 0);
    const stats = (key: DesignKey) => {
      const rounds = measured(key);
      const notifications = rounds.flatMap((r) => r.notificationMs);
      const deliveries = rounds.flatMap((r) => r.deliveryMs);
      const calls = rounds.map((r) => {
        const ddb = Object.entries(r.requests)
          .filter(([name]) => name.startsWith("dynamodb "))
          .reduce((total, [, n]) => total + n, 0);
        const posts = r.requests["execute-api POST"] ?? 0;
        return { ddb: ddb / USERS, posts: posts / USERS, total: (ddb + posts) / USERS };
      });
      const warm = results.find((r) => r.design === key && r.round === 0);
      console.log(
        `${key}: ${results
          .filter((r) => r.design === key)
          .map(
            (r) =>
              `round ${r.round}: PutEvents done ${r.putMs.toFixed(0)} ms, last ${r.lastMs.toFixed(0)} ms, ${r.invocations} invocations (p50 ${r.invocationP50Ms.toFixed(0)} ms, max ${r.invocationMaxMs.toFixed(0)} ms)`,
          )
          .join("; ")}`,
      );
      return {
        rounds: rounds.length,
        notificationP50Ms: percentile(notifications, 0.5),
        notificationP99Ms: percentile(notifications, 0.99),
        notificationMaxMs: Math.max(...notifications),
        deliveryP50Ms: percentile(deliveries, 0.5),
        deliveryP99Ms: percentile(deliveries, 0.99),
        lastDeliveryMedianMs: median(rounds.map((r) => r.lastMs)),
        warmUpLastDeliveryMs: warm?.lastMs,
        callsPerNotification: Math.max(...calls.map((c) => c.total)),
        dynamodbPerNotification: Math.max(...calls.map((c) => c.ddb)),
        postsPerNotification: Math.max(...calls.map((c) => c.posts)),
        requestsPerRound: rounds.map((r) => r.requests),
        missing: rounds.reduce((total, r) => total + r.missing, 0),
        notificationMs: notifications.map((v) => Math.round(v)),
      };
    };
    const a = stats("switchyard");
    const b = stats("sequential");
    summary.switchyard = a;
    summary.sequential = b;
    for (const [key, s] of [
      ["switchyard", a],
      ["sequential", b],
    ] as const) {
      const label = designs[key].label;
      report.info(
        `${label}: warm-up round (cold workers), last delivery`,
        `${s.warmUpLastDeliveryMs?.toFixed(0)} ms`,
      );
      const isMain = key === "switchyard";
      report.max(
        `${label}: per notification p50 (${s.rounds} rounds)`,
        s.notificationP50Ms,
        isMain ? targets.p50Ms : undefined,
        " ms",
      );
      report.max(
        `${label}: per notification p99`,
        s.notificationP99Ms,
        isMain ? targets.p99Ms : undefined,
        " ms",
      );
      report.info(
        `${label}: per delivery p50 / p99`,
        `${s.deliveryP50Ms.toFixed(0)} / ${s.deliveryP99Ms.toFixed(0)} ms`,
      );
      report.info(`${label}: last delivery of a round, median`, `${s.lastDeliveryMedianMs.toFixed(0)} ms`);
      report.info(
        `${label}: DynamoDB + @connections per notification (worst round)`,
        `${s.dynamodbPerNotification.toFixed(2)} + ${s.postsPerNotification.toFixed(2)} = ${s.callsPerNotification.toFixed(2)}`,
      );
      if (isMain) {
        report.max(
          `${label}: calls per notification / minimum 1 + K = ${minimumCalls.toFixed(2)}`,
          Math.round((s.callsPerNotification / minimumCalls) * 1000) / 1000,
          targets.callsOverMinimum,
        );
      }
    }
    const ratio = (x: number, y: number) => x / y;
    report.info(
      "sequential / switchyard: p50 per notification",
      `${ratio(b.notificationP50Ms, a.notificationP50Ms).toFixed(2)}x`,
    );
    report.min(
      "sequential / switchyard: p99 per notification",
      ratio(b.notificationP99Ms, a.notificationP99Ms),
      targets.p99SpeedupOverSequential,
      "x",
    );
    report.info(
      "sequential / switchyard: last delivery of a round",
      `${ratio(b.lastDeliveryMedianMs, a.lastDeliveryMedianMs).toFixed(2)}x`,
    );
    report.property(
      "every connection got each of its user's notifications exactly once (both designs)",
      missingTotal === 0 && duplicated === 0,
      `${messagesSent.length} notifications, ${missingTotal} deliveries missing, ${duplicated} duplicated or misdelivered`,
      "all once",
    );

    writeResult("notification-fan-out", report, {
      connections: CONNECTIONS,
      users: USERS,
      connectionsPerUser: k,
      minimumCallsPerNotification: minimumCalls,
      runs,
      ...summary,
    });
    writeChart(
      "notification-fan-out.svg",
      cdfChart({
        title: `Notification fan-out: ${CONNECTIONS} connections over ${USERS} users (local cloud)`,
        subtitle: `PutEvents until the last of a user's connections received it; ${runs} rounds x ${USERS} notifications per design, alternating`,
        xLabel: "latency per notification (ms)",
        yLabel: "share of notifications at or below (%)",
        samples: [
          {
            name: `switchyard sender (p50 ${a.notificationP50Ms.toFixed(0)}, p99 ${a.notificationP99Ms.toFixed(0)} ms)`,
            values: a.notificationMs,
          },
          {
            name: `sequential, seed (p50 ${b.notificationP50Ms.toFixed(0)}, p99 ${b.notificationP99Ms.toFixed(0)} ms)`,
            values: b.notificationMs,
          },
        ],
      }),
    );
  } catch (error) {
    report.failure("notification-fan-out", error);
  } finally {
    events.destroy();
    for (const tab of tabs) tab.socket.terminate();
    await cloud.close();
  }
}

await main();
report.finish(check);
