import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sendUserNotification } from "@switchyard/contracts";
import { type LocalCloud, REPO_ROOT, startLocalCloud } from "@switchyard/local-cloud";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsClients,
  awsClients,
  destroyClients,
  eventually,
  localView,
  queueUrl,
  unique,
  unmarshall,
} from "../local-cloud/harness";

/**
 * The console and the bell in headless Chromium (Debian's `chromium`, driven by playwright-core) against the
 * dev stack in the local cloud: the map shows every queue, a DLQ message is redriven from the console and
 * processed, the trace explains a non-matching subscription, and the bell shows the badge after a notification
 * and clears it when another tab marks it read. The map and bell screenshots in the README are taken here and
 * checked in memory; they are written to docs/images only with `UPDATE_SCREENSHOTS=1`.
 */

const CHROMIUM = "/usr/bin/chromium";
const IMAGES = join(REPO_ROOT, "docs", "images");
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";

let cloud: LocalCloud;
let aws: AwsClients;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`,
    );
  }
  cloud = await startLocalCloud({ port: 0, timeScale: 100, writeOutputsFile: false });
  aws = awsClients(cloud.endpoint);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (aws) destroyClients(aws);
  await cloud?.close();
});

async function open(path: string, width = 1400): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // A resource the page could not load (a 4xx/5xx, e.g. a favicon the engine does not serve) is an error too.
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
  });
  // Nothing may be fetched from outside the machine.
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol !== "data:")
      errors.push(`external fetch: ${request.url()}`);
  });
  await page.goto(`${cloud.endpoint}${path}`);
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors;

/**
 * Takes a screenshot for the README and checks it: a PNG of the page's width that is not one flat colour. It is
 * written to docs/images only with UPDATE_SCREENSHOTS=1, so a test run leaves the working tree alone.
 */
async function screenshot(page: Page, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const png = await page.screenshot(options);
  const image = sharp(png);
  const [meta, stats] = await Promise.all([image.metadata(), image.stats()]);
  expect(meta.format).toBe("png");
  expect(meta.width).toBe(page.viewportSize()?.width);
  expect(stats.channels.some((channel) => channel.stdev > 10)).toBe(true);
  if (UPDATE_SCREENSHOTS) {
    mkdirSync(IMAGES, { recursive: true });
    writeFileSync(join(IMAGES, file), png);
  }
}

/**
 * Text of the page whose contrast with its background is below WCAG AA (4.5:1): every visible HTML element with
 * text of its own, its colour against the first opaque background colour of it or its ancestors.
 */
async function lowContrast(page: Page): Promise<string[]> {
  // Runs in the page (a string: this package's TypeScript has no DOM types).
  return page.evaluate<string[]>(`(() => {
    const rgb = (css) => (css.match(/[\\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]) => {
      const f = (v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let at = el; at; at = at.parentElement) {
        const [r, g, b, a = 1] = rgb(getComputedStyle(at).backgroundColor);
        if (a > 0.5) return [r, g, b];
      }
      return [255, 255, 255];
    };
    const low = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (!(el instanceof HTMLElement) || el.closest("svg")) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (!own || el.offsetParent === null) continue;
      const fg = luminance(rgb(getComputedStyle(el).color));
      const bg = luminance(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) low.push(el.tagName.toLowerCase() + ' "' + el.textContent.trim().slice(0, 40) + '": ' + ratio.toFixed(2));
    }
    return low;
  })()`);
}

/** The count the map shows on the edge from one node to another (undefined: no count on that edge). */
async function edgeCount(page: Page, from: string, to: string): Promise<number | undefined> {
  const edge = page.locator(`#map-svg g.edge-group[data-from="${from}"][data-to="${to}"]`);
  await edge.waitFor({ state: "attached" });
  const value = await edge.getAttribute("data-count");
  const shown = await edge.locator("text.edge-count").textContent();
  if (value === null) return undefined;
  // What the page shows starts with the count the attribute holds.
  expect(shown?.split(" ")[0]).toBe(value);
  return Number(value);
}

describe("console", () => {
  it("draws every queue of the stack on the map, with live counts", async () => {
    const page = await open("/#map");
    await page.waitForSelector("#map-svg .node.queue");
    const queues = await localView<Array<{ name: string }>>(cloud.endpoint, "sqs/queues");
    expect(queues.length).toBeGreaterThan(20);
    const names = await page.$$eval("#map-svg .node", (nodes) =>
      nodes.map((n) => n.getAttribute("data-name")),
    );
    for (const queue of queues) expect(names).toContain(queue.name);
    // Functions and topics are there too, and the DLQ edges.
    expect(names).toContain("orders-inventory-function");
    expect(names).toContain("orders-order-events-topic");
    expect(await page.locator("#map-svg path.edge.redrive").count()).toBeGreaterThanOrEqual(13);
    await screenshot(page, "console-map.png", { fullPage: true });
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("counts deliveries on every kind of edge, and the topic -> queue count goes up after an order event", async () => {
    const page = await open("/#map");
    await page.waitForSelector("#map-svg .node.queue");
    const topic = "orders-order-events-topic";
    const before = await edgeCount(page, topic, "orders-inventory-queue");
    expect(before).toBeGreaterThanOrEqual(0);
    const analyticsBefore = (await edgeCount(page, topic, "orders-analytics-queue")) as number;
    // A rule -> target edge (bus to queue) and a topic -> function edge carry counts too.
    expect(await edgeCount(page, "orders-bus", "orders-replay-queue")).toBeGreaterThanOrEqual(0);
    expect(await edgeCount(page, topic, "orders-high-value-alert-function")).toBeGreaterThanOrEqual(0);
    // The ingress APIs are the publishers: each is drawn beside the topic its route publishes to.
    const ingressBefore = (await edgeCount(
      page,
      "sms-throttle-ingress-api",
      "sms-throttle-requests-topic",
    )) as number;
    expect(await edgeCount(page, "orders-ingress-api", topic)).toBeGreaterThanOrEqual(0);
    await aws.sns.send(
      new PublishCommand({
        TopicArn: cloud.outputs.ordersTopicArn as string,
        Message: JSON.stringify({
          eventType: "ORDER_CREATED",
          orderId: unique("map"),
          version: 1,
          customerId: "c-1",
          priority: "NORMAL",
          orderValue: 10,
          currency: "EUR",
          occurredAt: new Date().toISOString(),
          items: [{ sku: unique("sku"), quantity: 1 }],
        }),
        MessageAttributes: {
          eventType: { DataType: "String", StringValue: "ORDER_CREATED" },
          priority: { DataType: "String", StringValue: "NORMAL" },
          orderValue: { DataType: "Number", StringValue: "10" },
        },
      }),
    );
    const answer = await fetch(`${cloud.outputs.smsThrottleIngressUrl}/sms`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await cloud.token(unique("map-client"))}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ phoneNumber: "+4915112345678", text: "map", useCase: "REMINDER" }),
    });
    expect(answer.status).toBe(202);
    // The map refreshes every second: both subscriptions that take ORDER_CREATED count one more delivery, and the
    // SMS ingress one more request.
    await eventually(
      async () => {
        expect(await edgeCount(page, topic, "orders-inventory-queue")).toBe((before as number) + 1);
        expect(await edgeCount(page, topic, "orders-analytics-queue")).toBe(analyticsBefore + 1);
        expect(await edgeCount(page, "sms-throttle-ingress-api", "sms-throttle-requests-topic")).toBe(
          ingressBefore + 1,
        );
      },
      { timeoutMs: 15_000, intervalMs: 300 },
    );
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("redrives a dead letter from the console, and the consumer processes it", async () => {
    const sku = unique("sku");
    const orderId = unique("ord");
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(aws.sqs, "orders-inventory-dlq"),
        MessageBody: JSON.stringify({
          eventType: "ORDER_CREATED",
          orderId,
          version: 1,
          customerId: "c-1",
          priority: "NORMAL",
          orderValue: 10,
          currency: "EUR",
          occurredAt: new Date().toISOString(),
          items: [{ sku, quantity: 5 }],
        }),
        MessageAttributes: {
          "switchyard.failure.reason": {
            DataType: "String",
            StringValue: "inventory table throttled for too long",
          },
          "switchyard.failure.queue": {
            DataType: "String",
            StringValue: "arn:aws:sqs:us-east-1:123456789012:orders-inventory-queue",
          },
        },
      }),
    );
    const page = await open("/#queues");
    await page.getByRole("button", { name: "Open orders-inventory-dlq" }).click();
    const item = page.locator("#dlq-messages li", { hasText: orderId });
    await item.waitFor();
    await expect(item.locator(".reason").textContent()).resolves.toBe(
      "Reason: inventory table throttled for too long",
    );
    await item.getByRole("checkbox").check();
    await page.getByRole("button", { name: "Redrive selected" }).click();
    await page.locator("#dlq-result", { hasText: "moved 1" }).waitFor();
    expect(await page.locator("#dlq-result").textContent()).toBe(
      "Redrive of orders-inventory-dlq: moved 1, failed 0, skipped 0",
    );
    await eventually(
      async () => {
        const { Item } = await aws.dynamodb.send(
          new GetItemCommand({
            TableName: "orders-inventory",
            Key: { pk: { S: `SKU#${sku}` }, sk: { S: "STOCK" } },
          }),
        );
        expect(Item && unmarshall(Item).reserved).toBe(5);
      },
      { timeoutMs: 20_000 },
    );
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("says plainly that a dead letter SQS moved has no handler reason: the consumer crashed or timed out", async () => {
    // A consumer that received the message and died before finishing it (maxReceiveCount 1): SQS moves it on.
    const dlqName = unique("ops-crash-dlq");
    await aws.sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
    const sourceName = unique("ops-crash-src");
    const { QueueUrl: srcUrl } = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: sourceName,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:us-east-1:123456789012:${dlqName}`,
            maxReceiveCount: 1,
          }),
          VisibilityTimeout: "1",
        },
      }),
    );
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: srcUrl, MessageBody: '{"orderId":"crash-1"}' }));
    await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: srcUrl, MaxNumberOfMessages: 1 }));
    await eventually(
      async () => {
        await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: srcUrl, MaxNumberOfMessages: 1 }));
        const queues = await localView<Array<{ name: string; depth: { visible: number } }>>(
          cloud.endpoint,
          "sqs/queues",
        );
        expect(queues.find((q) => q.name === dlqName)?.depth.visible).toBe(1);
      },
      { timeoutMs: 10_000 },
    );
    const page = await open("/#queues");
    await page.getByRole("button", { name: `Open ${dlqName}` }).click();
    const item = page.locator("#dlq-messages li", { hasText: "crash-1" });
    await item.waitFor();
    expect(await item.locator(".reason").textContent()).toMatch(
      new RegExp(
        `^Reason: moved by SQS after 1 receive \\(maxReceiveCount\\) on ${sourceName}; no handler reason: the consumer crashed or timed out; see the logs of the function consuming ${sourceName} around \\S+Z \\(its first receive\\) and after$`,
      ),
    );
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("traces a message and explains why a subscription does not match", async () => {
    const page = await open("/#messages");
    await page.waitForSelector("#trace-target option", { state: "attached" });
    await page.getByLabel("Topic or bus").selectOption("orders-order-events-topic");
    await page.getByRole("textbox", { name: /^Message \(JSON/ }).fill(
      JSON.stringify({
        eventType: "ORDER_SHIPPED",
        orderId: "o-1",
        version: 2,
        customerId: "c-1",
        priority: "LOW",
        orderValue: 20,
        currency: "EUR",
        occurredAt: new Date().toISOString(),
        items: [{ sku: "s", quantity: 1 }],
        trackingUrl: "https://track.example/1",
      }),
    );
    await page.getByRole("button", { name: "Trace" }).click();
    const customer = page.locator(
      '#trace-list li.not-matched[data-name="orders-customer-notifications-queue"]',
    );
    await customer.waitFor();
    expect(await customer.textContent()).toBe(
      'does not match orders-customer-notifications-queue: priority: wants ["HIGH"], the message has "LOW"',
    );
    expect(await page.locator('#trace-list li.matched[data-name="orders-analytics-queue"]').count()).toBe(1);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });
});

describe("try it, SMS and keyboard", () => {
  it("publishes an SMS request from Try it: the trace opens, and the SMS tab charts it in its lane", async () => {
    const page = await open("/#try");
    const text = `Your code is ${unique("try")}`;
    await page.getByLabel(/^Phone number/).fill("+4915112345678");
    await page.getByLabel("Text", { exact: true }).fill(text);
    await page.getByLabel("Use case").selectOption("VERIFICATION");
    await page.getByRole("button", { name: "Publish SMS request" }).click();
    // The result opens the message's trace: the German verification lane takes it, the bulk lane does not.
    await page.locator('#trace-list li.matched[data-name="sms-throttle-de-verification-queue"]').waitFor();
    expect(
      await page.locator('#trace-list li.not-matched[data-name="sms-throttle-de-bulk-queue"]').textContent(),
    ).toContain('useCase: wants ["TRANSACTIONAL","REMINDER","OFFER"], the message has "VERIFICATION"');
    // Where it ended: the carrier delivered it from Germany's own sender id (Pulumi.dev.yaml).
    await page
      .locator("#follow li.carrier", {
        hasText:
          "DELIVERED (DE, 1 part) from arn:aws:sms-voice:us-east-1:123456789012:sender-id/SWITCHYARD/DE",
      })
      .waitFor({ timeout: 20_000 });
    await page.getByRole("tab", { name: "SMS" }).click();
    const lane = page.locator('#sms-lanes tr[data-lane="de-verification"]');
    await lane.waitFor();
    // Lane, what it takes, budget, parts in the last minute: at least this one.
    await eventually(
      async () => {
        const cells = await lane.locator("th, td").allTextContents();
        expect(cells.slice(0, 3)).toEqual(["de-verification", "country DE, useCase VERIFICATION", "4"]);
        expect(Number(cells[3])).toBeGreaterThanOrEqual(1);
      },
      { timeoutMs: 5_000, intervalMs: 250 },
    );
    expect(await page.locator('#sms-chart polyline[data-lane="other"]').count()).toBe(1);
    expect(await page.locator('#sms-limits tr[data-limit="DE"] td').first().textContent()).toBe("8");
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("uploads a file from Try it and follows S3's notification through its topic to the functions", async () => {
    const page = await open("/#try");
    const key = `uploads/${unique("try")}.png`;
    const png = await sharp({
      create: { width: 640, height: 400, channels: 3, background: { r: 11, g: 87, b: 208 } },
    })
      .png()
      .toBuffer();
    await page.getByLabel("File (an image gets renditions)").setInputFiles({
      name: "photo.png",
      mimeType: "image/png",
      buffer: png,
    });
    await page.getByLabel("Key", { exact: true }).fill(key);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await page.locator("#try-result", { hasText: `Uploaded s3://` }).waitFor({ state: "attached" });
    await page.locator('#trace-list li.matched[data-name="s3-pipeline-renditions-queue"]').waitFor();
    expect(await page.locator("#trace-target").inputValue()).toBe("s3-pipeline-created-topic");
    await page
      .locator("#follow li", { hasText: /^s3-pipeline-renditions-function: [1-9]\d* invocation/ })
      .waitFor({ timeout: 20_000 });
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it("moves between tabs with the keyboard, each tab showing its own panel", async () => {
    const page = await open("/#map");
    await page.getByRole("tab", { name: "Map" }).focus();
    await page.keyboard.press("ArrowRight");
    expect(await page.getByRole("tab", { name: "Queues and DLQs" }).getAttribute("aria-selected")).toBe(
      "true",
    );
    expect(await page.locator("#queues").isVisible()).toBe(true);
    expect(await page.locator("#map").isHidden()).toBe(true);
    await page.keyboard.press("End");
    const logs = page.getByRole("tab", { name: "Function logs" });
    expect(await logs.getAttribute("aria-selected")).toBe("true");
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("tab-logs");
    // Every form control of every panel has a label.
    const unlabelled = await page.$$eval("input, select, textarea", (controls) =>
      controls
        .filter(
          (c) =>
            (c as unknown as { labels: { length: number } | null }).labels?.length === 0 &&
            !c.getAttribute("aria-label"),
        )
        .map((c) => c.id || c.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // Every tab's text reads at WCAG AA contrast.
    for (const tab of ["Map", "Queues and DLQs", "Messages", "Try it", "SMS", "Alarms", "Function logs"]) {
      await page.getByRole("tab", { name: tab }).click();
      await page.locator("#status", { hasText: /Updated|^$/ }).waitFor({ state: "attached" });
      expect({ tab, low: await lowContrast(page) }).toEqual({ tab, low: [] });
    }
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });
});

describe("the bell", () => {
  it("shows the badge after a notification and clears it when another tab marks it read", async () => {
    const user = unique("bell-user");
    const [tabA, tabB] = [await open(`/bell?user=${user}`, 900), await open(`/bell?user=${user}`, 900)];
    for (const tab of [tabA, tabB]) await tab.getByText(`Connected as ${user}`).waitFor();
    expect(await tabA.locator("#badge").isHidden()).toBe(true);

    await sendUserNotification(
      aws.events,
      { eventBusName: cloud.outputs.notificationsBusName as string, source: "switchyard.ops" },
      [
        {
          userId: user,
          type: "actionable",
          message: "Approve order 42",
          callback: "https://example.com/approve/42",
        },
        { userId: user, type: "feedback", message: "Export 40% done" },
      ],
    );
    for (const tab of [tabA, tabB]) {
      await tab.locator("#badge", { hasText: /^1$/ }).waitFor({ state: "visible" });
      await tab.locator("#inbox li", { hasText: "Approve order 42" }).waitFor();
    }
    await tabA.locator("#feedback li", { hasText: "Export 40% done" }).waitFor();
    expect(await tabA.getByRole("img", { name: "1 unread notifications" }).count()).toBe(1);
    await screenshot(tabA, "console-bell.png");

    // A reconnect (a reload) asks for the unread list again: the badge stays right.
    await tabA.reload();
    await tabA.getByText(`Connected as ${user}`).waitFor();
    await tabA.locator("#badge", { hasText: /^1$/ }).waitFor({ state: "visible" });

    await tabB.getByRole("button", { name: 'Mark "Approve order 42" read' }).click();
    await tabA.locator("#badge").waitFor({ state: "hidden", timeout: 15_000 });
    await tabA.locator("#inbox li").first().waitFor({ state: "detached" });
    expect(await lowContrast(tabA)).toEqual([]);
    expect(errorsOf(tabA)).toEqual([]);
    expect(errorsOf(tabB)).toEqual([]);
    await tabA.close();
    await tabB.close();
  });
});
