import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from "@aws-lambda-powertools/idempotency";
import { BasePersistenceLayer, type IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { SignJWT } from "jose";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ValidationError } from "../src/errors";
import {
  bearerToken,
  createClientRateLimiter,
  createIngressAuthorizer,
  createIngressHandler,
  createTokenVerifier,
  type IngressRequest,
} from "../src/ingress";

const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe("the ingress authorizer", () => {
  const secret = "local-secret";
  const verify = createTokenVerifier({ mode: "hs256", secret, issuer: "iss", audience: "aud" });
  const authorize = createIngressAuthorizer(verify, logger);
  const token = (claims: { sub?: string; aud?: string }, key = secret) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.sub ?? "app-1")
      .setIssuer("iss")
      .setAudience(claims.aud ?? "aud")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(key));

  it("allows a valid bearer token with its sub as the client id", async () => {
    const result = await authorize({ headers: { authorization: `Bearer ${await token({})}` } });
    expect(result).toEqual({ isAuthorized: true, context: { clientId: "app-1" } });
  });

  it.each([
    ["no header", {}],
    ["another scheme", { authorization: "Basic abc" }],
  ])("refuses %s", async (_label, headers) => {
    expect(await authorize({ headers })).toEqual({ isAuthorized: false });
  });

  it("refuses a token for another audience or signed with another key", async () => {
    expect(
      await authorize({ headers: { Authorization: `Bearer ${await token({ aud: "other" })}` } }),
    ).toEqual({
      isAuthorized: false,
    });
    expect(await authorize({ headers: { Authorization: `Bearer ${await token({}, "forged")}` } })).toEqual({
      isAuthorized: false,
    });
  });

  it("reads the bearer token whatever the case of the header and scheme", () => {
    expect(bearerToken({ AUTHORIZATION: "bearer abc.def.ghi" })).toBe("abc.def.ghi");
    expect(bearerToken({ authorization: "Bearer a b" })).toBeUndefined();
  });
});

describe("the per-client rate limiter (GCRA)", () => {
  const dynamo = mockClient(DynamoDBClient);
  const items = new Map<string, Record<string, { S?: string; N?: string }>>();
  beforeEach(() => {
    dynamo.reset();
    items.clear();
    dynamo.on(GetItemCommand).callsFake((input) => ({ Item: items.get(input.Key.id.S) }));
    dynamo.on(PutItemCommand).callsFake((input) => {
      const current = items.get(input.Item.id.S);
      const expected = input.ExpressionAttributeValues?.[":previous"]?.N;
      if ((expected === undefined && current) || (expected !== undefined && current?.tat?.N !== expected)) {
        throw new ConditionalCheckFailedException({ message: "changed", $metadata: {} });
      }
      items.set(input.Item.id.S, input.Item);
      return {};
    });
  });

  it("allows a burst, then one request per interval, answering how long to wait", async () => {
    let now = 1_000_000;
    const take = createClientRateLimiter({
      client: new DynamoDBClient({}),
      tableName: "t",
      rate: { ratePerSecond: 2, burst: 3 },
      now: () => now,
    });
    const burst = [await take("a"), await take("a"), await take("a"), await take("a")];
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(burst[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Another client has its own budget.
    expect((await take("b")).allowed).toBe(true);
    now += 500;
    expect((await take("a")).allowed).toBe(true);
    expect((await take("a")).allowed).toBe(false);
    expect(items.get("rate#a")?.expiration?.N).toMatch(/^\d+$/);
  });

  it("retries when another invocation wrote in between", async () => {
    const take = createClientRateLimiter({
      client: new DynamoDBClient({}),
      tableName: "t",
      rate: { ratePerSecond: 1, burst: 5 },
    });
    let raced = false;
    dynamo.on(PutItemCommand).callsFake((input) => {
      if (!raced) {
        raced = true;
        throw new ConditionalCheckFailedException({ message: "changed", $metadata: {} });
      }
      items.set(input.Item.id.S, input.Item);
      return {};
    });
    expect(await take("c")).toEqual({ allowed: true });
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
  });
});

describe("an ingress route", () => {
  const publish = vi.fn(async (_value: { n: number }) => "msg-1");
  const handler = createIngressHandler<{ n: number }>({
    maxBodyBytes: 64,
    parse: (body) =>
      typeof (body as { n?: unknown }).n === "number"
        ? { ok: true, value: { n: (body as { n: number }).n } }
        : { ok: false, problems: [{ field: "n", message: "expected a number" }] },
    publish,
    throttle: async (clientId) =>
      clientId === "slow" ? { allowed: false, retryAfterSeconds: 3 } : { allowed: true },
    persistenceStore: {} as BasePersistenceLayer,
    logger,
  });
  const request = (
    body: string,
    clientId = "app-1",
    headers: Record<string, string> = {},
  ): IngressRequest => ({
    routeKey: "POST /x",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body,
    requestContext: { requestId: "r", authorizer: { lambda: { clientId } } },
  });
  beforeEach(() => publish.mockClear());

  it("publishes a valid body and answers 202 with the message id", async () => {
    const answer = await handler(request('{"n":1}'));
    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ messageId: "msg-1" });
    expect(publish).toHaveBeenCalledWith({ n: 1 });
  });

  it.each([
    ["a throttled client", request('{"n":1}', "slow"), 429, undefined],
    ["no client id", request('{"n":1}', ""), 401, undefined],
    ["an oversized body", request(`{"n":1,"pad":"${"x".repeat(80)}"}`), 413, "body"],
    [
      "another media type",
      request('{"n":1}', "app-1", { "content-type": "text/plain" }),
      415,
      "content-type",
    ],
    ["a body that is not JSON", request("{n:1"), 400, "body"],
    ["a contract violation", request('{"n":"one"}'), 400, "n"],
    [
      "a bad Idempotency-Key",
      request('{"n":1}', "app-1", { "Idempotency-Key": "has space" }),
      400,
      "Idempotency-Key",
    ],
  ])("refuses %s (%i) without publishing, naming the field", async (_label, event, status, field) => {
    const answer = await handler(event);
    expect(answer.statusCode).toBe(status);
    if (field) expect(JSON.parse(answer.body).problems).toEqual([expect.objectContaining({ field })]);
    expect(publish).not.toHaveBeenCalled();
  });

  it.each([
    ["curl -d's default label", "application/x-www-form-urlencoded"],
    ["no media type", undefined],
    ["a JSON suffix type", "application/vnd.switchyard+json"],
  ])("reads the body as JSON under %s (the walk-through's curl -d @sms.json)", async (_label, type) => {
    const event = request('{"n":1}');
    if (type === undefined) delete event.headers?.["content-type"];
    else (event.headers as Record<string, string>)["content-type"] = type;
    const answer = await handler(event);
    expect(answer.statusCode).toBe(202);
    expect(publish).toHaveBeenCalledWith({ n: 1 });
  });

  it("still refuses a form-encoded body that is not JSON, naming the body", async () => {
    const answer = await handler(
      request("n=1", "app-1", { "content-type": "application/x-www-form-urlencoded" }),
    );
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).problems).toEqual([expect.objectContaining({ field: "body" })]);
    expect(publish).not.toHaveBeenCalled();
  });

  it.each(["multipart/form-data; boundary=x", "application/xml"])("refuses %s with 415", async (type) => {
    const answer = await handler(request('{"n":1}', "app-1", { "content-type": type }));
    expect(answer.statusCode).toBe(415);
    expect(publish).not.toHaveBeenCalled();
  });

  it("says when to come back after throttling", async () => {
    const answer = await handler(request('{"n":1}', "slow"));
    expect(answer.headers["retry-after"]).toBe("3");
  });

  it("answers 413 when the message would not fit the transport", async () => {
    publish.mockRejectedValueOnce(
      new ValidationError([{ path: "body", message: "is 300000 bytes; SNS takes at most 262144" }]),
    );
    const answer = await handler(request('{"n":2}'));
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(answer.body).problems).toEqual([expect.objectContaining({ field: "body" })]);
  });
});

/** Powertools' persistence contract over a Map (what the DynamoDB layer does with conditional writes). */
class MemoryStore extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();
  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired())
      throw new IdempotencyItemAlreadyExistsError(`exists: ${record.idempotencyKey}`, existing);
    this.records.set(record.idempotencyKey, record);
  }
  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }
  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

describe("an ingress route's Idempotency-Key", () => {
  const request = (body: string, key: string, clientId = "app-1"): IngressRequest => ({
    routeKey: "POST /x",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body,
    requestContext: { requestId: "r", authorizer: { lambda: { clientId } } },
  });

  it("publishes once: a retry gets the first answer, a retry during the first is 409, another body is 422", async () => {
    let release: (id: string) => void = () => undefined;
    const publish = vi.fn(
      (_value: { n: number }) =>
        new Promise<string>((resolve) => {
          release = resolve;
        }),
    );
    const handler = createIngressHandler<{ n: number }>({
      maxBodyBytes: 1024,
      parse: (body) => ({ ok: true, value: { n: (body as { n: number }).n } }),
      publish,
      persistenceStore: new MemoryStore(),
      logger,
    });

    const first = handler(request('{"n":1}', "k-1"));
    await vi.waitFor(() => expect(publish).toHaveBeenCalledTimes(1));
    // The same request again while the first is still publishing.
    const during = await handler(request('{"n":1}', "k-1"));
    expect(during.statusCode).toBe(409);
    expect(JSON.parse(during.body).problems).toEqual([expect.objectContaining({ field: "Idempotency-Key" })]);
    release("msg-1");
    expect(JSON.parse((await first).body)).toEqual({ messageId: "msg-1" });

    // Formatting aside, the same body: the first answer, marked as replayed, nothing published.
    const retry = await handler(request('{ "n": 1 }', "k-1"));
    expect(retry.statusCode).toBe(202);
    expect(JSON.parse(retry.body)).toEqual({ messageId: "msg-1" });
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    // Another body under the same key is refused, not published.
    const other = await handler(request('{"n":2}', "k-1"));
    expect(other.statusCode).toBe(422);
    // The key is the client's own: another client with the same key publishes.
    const otherClient = handler(request('{"n":1}', "k-1", "app-2"));
    await vi.waitFor(() => expect(publish).toHaveBeenCalledTimes(2));
    release("msg-2");
    expect(JSON.parse((await otherClient).body)).toEqual({ messageId: "msg-2" });
    expect(publish).toHaveBeenCalledTimes(2);
  });
});
