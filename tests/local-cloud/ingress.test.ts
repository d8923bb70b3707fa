import { createHmac } from "node:crypto";
import { type LocalCloud, startLocalCloud } from "@switchyard/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, localView, unique } from "./harness";

/**
 * The ingress API of issue 18 against the local cloud: the dev stack (its `switchyard:ingress` lists sms-throttle and
 * orders), driven with plain HTTP and a bearer token like `curl` would. Effects are observed where they land: the local
 * carrier's records for SMS, the Lambda emulator's invocation list for "nothing was published".
 */

let cloud: LocalCloud;
const PER_CLIENT = { ratePerSecond: 0.05, burst: 8 };

interface CarrierRecord {
  destination: string;
  country: string;
  body: string;
  status: string;
  originationIdentity?: string;
}
/** The dev stack's identities (Pulumi.dev.yaml): DE its own sender id, every other country the account's pool. */
const DE_SENDER_ID = "arn:aws:sms-voice:us-east-1:123456789012:sender-id/SWITCHYARD/DE";
const POOL = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-dev";
const carrier = (): Promise<CarrierRecord[]> => localView<CarrierRecord[]>(cloud.endpoint, "sms/messages");

const url = (key: "smsThrottleIngressUrl" | "ordersIngressUrl"): string => {
  const value = cloud.outputs[key];
  if (typeof value !== "string") throw new Error(`the dev stack exports no ${key}`);
  return value;
};

async function post(
  path: string,
  body: unknown,
  options: { token?: string; key?: string; contentType?: string; raw?: string } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const base = path.startsWith("/orders") ? url("ordersIngressUrl") : url("smsThrottleIngressUrl");
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      "content-type": options.contentType ?? "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.key ? { "idempotency-key": options.key } : {}),
    },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}

/** How many times the SMS ingress function ran (the 401/403 refusals never reach it). */
async function ingressInvocations(): Promise<number> {
  const functions = await localView<Array<{ name: string; invocations: number }>>(
    cloud.endpoint,
    "lambda/functions",
  );
  return functions
    .filter((fn) => /sms.*ingress-post-sms/.test(fn.name))
    .reduce((sum, fn) => sum + (fn.invocations ?? 0), 0);
}

beforeAll(async () => {
  cloud = await startLocalCloud({
    stack: "dev",
    port: 0,
    writeOutputsFile: false,
    // A per-client budget no slow machine refills during the test: 8 at once, then one per 20 s.
    configOverrides: {
      "switchyard:ingress": { "sms-throttle": { perClient: PER_CLIENT }, orders: { perClient: PER_CLIENT } },
    },
  });
});

afterAll(async () => {
  await cloud?.close();
});

describe("ingress API (dev stack, local cloud)", () => {
  it("an authenticated POST /sms reaches the carrier through its country's origination identity", async () => {
    const token = await cloud.token(unique("app"));
    const de = `Your code is 4711 (${unique("ingress")})`;
    const fr = `Votre code est 4711 (${unique("ingress")})`;
    const answers = await Promise.all([
      post("/sms", { phoneNumber: "+4915112345601", text: de, useCase: "VERIFICATION" }, { token }),
      post("/sms", { phoneNumber: "+33612345678", text: fr, useCase: "TRANSACTIONAL" }, { token }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    for (const answer of answers) expect(answer.json.messageId).toMatch(/\S+/);
    const [deRecord, frRecord] = await eventually(
      async () => {
        const records = await carrier();
        const found = [de, fr].map((text) => records.find((r) => r.body === text));
        expect(found.every(Boolean)).toBe(true);
        return found as CarrierRecord[];
      },
      { timeoutMs: 20_000 },
    );
    expect(deRecord).toMatchObject({ country: "DE", status: "DELIVERED", originationIdentity: DE_SENDER_ID });
    expect(frRecord).toMatchObject({ country: "FR", status: "DELIVERED", originationIdentity: POOL });
  });

  it("takes the walk-through's request as curl -d @sms.json sends it (no content-type of its own)", async () => {
    // `curl -H "Authorization: Bearer $(...)" -d @sms.json <url>/sms`: curl strips the file's newlines and labels the
    // body application/x-www-form-urlencoded; the body is still the JSON document.
    const text = `Your code is 4711 (${unique("curl")})`;
    const file = `{ "phoneNumber": "+4915112345678",\n  "text": "${text}", "useCase": "VERIFICATION", "reference": "signup-42" }\n`;
    const answer = await post("/sms", undefined, {
      token: await cloud.token("app-1"),
      contentType: "application/x-www-form-urlencoded",
      raw: file.replace(/[\r\n]/g, ""),
    });
    expect(answer.status).toBe(202);
    expect(answer.json.messageId).toMatch(/\S+/);
    await eventually(async () => expect((await carrier()).some((r) => r.body === text)).toBe(true), {
      timeoutMs: 20_000,
    });
  });

  it("refuses unauthenticated, forged, malformed and oversized requests, naming the field, and publishes none", async () => {
    const token = await cloud.token(unique("app"));
    const text = `never sent (${unique("refused")})`;
    const valid = { phoneNumber: "+4915112345602", text, useCase: "TRANSACTIONAL" };
    const before = await ingressInvocations();

    expect((await post("/sms", valid)).status).toBe(401);
    const [header, payload] = token.split(".") as [string, string];
    const forged = `${header}.${payload}.${createHmac("sha256", "not-the-secret").update(`${header}.${payload}`).digest("base64url")}`;
    expect((await post("/sms", valid, { token: forged })).status).toBe(403);
    // Neither reached the function: the authorizer stopped them.
    expect(await ingressInvocations()).toBe(before);

    const malformed = await post("/sms", { ...valid, phoneNumber: "12345" }, { token });
    expect(malformed.status).toBe(400);
    expect(malformed.json.problems).toEqual([expect.objectContaining({ field: "phoneNumber" })]);
    const missing = await post("/sms", { phoneNumber: valid.phoneNumber, text }, { token });
    expect(missing.status).toBe(400);
    expect(missing.json.problems).toEqual([expect.objectContaining({ field: "useCase" })]);
    const callerAttribute = await post("/sms", { ...valid, country: "US" }, { token });
    expect(callerAttribute.status).toBe(400);
    const oversized = await post("/sms", { ...valid, text: "x".repeat(20_000) }, { token });
    expect(oversized.status).toBe(413);
    expect(oversized.json.problems).toEqual([expect.objectContaining({ field: "body" })]);

    // A request sent after the refusals arrives; none of the refused ones did.
    const control = `control (${unique("refused")})`;
    expect((await post("/sms", { ...valid, text: control }, { token })).status).toBe(202);
    await eventually(async () => expect((await carrier()).some((r) => r.body === control)).toBe(true), {
      timeoutMs: 20_000,
    });
    expect((await carrier()).filter((r) => r.body === text)).toEqual([]);
  });

  it("a retry with the same Idempotency-Key publishes once and answers the same message id; another body is 422", async () => {
    const token = await cloud.token(unique("app"));
    const text = `once (${unique("idem")})`;
    const body = { phoneNumber: "+4915112345603", text, useCase: "VERIFICATION" };
    const key = unique("key");
    const first = await post("/sms", body, { token, key });
    const retry = await post("/sms", body, { token, key });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.json.messageId).toBe(first.json.messageId);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const reused = await post("/sms", { ...body, text: `${text} changed` }, { token, key });
    expect(reused.status).toBe(422);
    expect(reused.json.problems).toEqual([expect.objectContaining({ field: "Idempotency-Key" })]);

    const control = `after (${unique("idem")})`;
    expect((await post("/sms", { ...body, text: control }, { token })).status).toBe(202);
    await eventually(async () => expect((await carrier()).some((r) => r.body === control)).toBe(true), {
      timeoutMs: 20_000,
    });
    expect((await carrier()).filter((r) => r.body === text)).toHaveLength(1);
  });

  it("throttles per client with 429 and Retry-After, without holding back another client", async () => {
    const busy = await cloud.token(unique("busy"));
    const other = await cloud.token(unique("other"));
    const body = { phoneNumber: "+4915112345604", text: `burst (${unique("rate")})`, useCase: "REMINDER" };
    // One after the other: the first 8 (the burst) pass, the rest wait for the 20-s refill.
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await post("/sms", body, { token: busy }));
    expect(answers.map((a) => a.status).slice(0, PER_CLIENT.burst)).toEqual(
      Array(PER_CLIENT.burst).fill(202),
    );
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(2);
    expect(Number(throttled[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await post("/sms", body, { token: other })).status).toBe(202);
  });

  it("POST /orders/events publishes a valid order event and names the bad field of an invalid one", async () => {
    const token = await cloud.token(unique("shop"));
    const run = unique("oi").replace(/[^A-Za-z0-9_-]/g, "");
    const event = {
      eventType: "ORDER_CREATED",
      orderId: `${run}-1`,
      version: 1,
      customerId: `cust-${run}`,
      priority: "NORMAL",
      orderValue: 12.5,
      currency: "EUR",
      occurredAt: "2031-03-14T10:00:00Z",
      items: [{ sku: `${run}.a`, quantity: 1 }],
    };
    const accepted = await post("/orders/events", event, { token });
    expect(accepted.status).toBe(202);
    expect(accepted.json.messageId).toMatch(/\S+/);
    const refused = await post("/orders/events", { ...event, orderValue: -1 }, { token });
    expect(refused.status).toBe(400);
    expect(refused.json.problems).toEqual([expect.objectContaining({ field: "orderValue" })]);
  });
});
