import { connect as tcpConnect } from "node:net";
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Engine } from "../src/engine";
import { type ApiGatewayOptions, createApiGateway, localWebSocketPath } from "../src/services/apigateway";
import { invokeIntegration } from "../src/services/apigateway/integrations";
import {
  type InvokeResult,
  type LambdaEngine,
  type LocalContext,
  type LocalLogger,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
} from "../src/types";
import { captureLog } from "./fakes";

// ------------------------------------------------------------------ a scripted Lambda

interface RecordedEvent {
  type?: string;
  methodArn?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  stageVariables?: Record<string, string>;
  requestContext: Record<string, unknown> & {
    authorizer?: Record<string, unknown>;
    identity?: Record<string, unknown>;
  };
  body?: string;
  isBase64Encoded?: boolean;
}
type Handler = (event: RecordedEvent) => unknown;

/** A LambdaEngine whose functions are JS functions by ARN; every invocation is recorded. */
function fakeLambda(handlers: Record<string, Handler>, calls: Array<{ arn: string; event: RecordedEvent }>) {
  return (_ctx: LocalContext): ServiceEmulator & LambdaEngine => ({
    signingNames: ["lambda"],
    provision: () => undefined,
    handle: (_req, res) => {
      res.writeHead(501);
      res.end();
    },
    hasFunction: (arn) => arn in handlers,
    invoke: async (arn, event): Promise<InvokeResult> => {
      const recorded = event as RecordedEvent;
      calls.push({ arn, event: recorded });
      const handler = handlers[arn];
      if (!handler)
        throw new LocalServiceError("ResourceNotFoundException", `Function not found: ${arn}`, 404);
      const started = Date.now();
      try {
        return { payload: await handler(recorded), durationMs: Date.now() - started };
      } catch (error) {
        const e = error as Error;
        return { error: { errorType: e.name, errorMessage: e.message }, durationMs: Date.now() - started };
      }
    },
    invokeAsync: () => undefined,
  });
}

// ------------------------------------------------------------------ the stack, shaped like the dev stack's

const ACCOUNT = "123456789012";
const fn = (name: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const invokeArn = (name: string): string =>
  `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn(name)}/invocations`;
const API = "9dcd1e063b";
const PLAIN = "plainapi01";

function resource(
  type: string,
  name: string,
  id: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
): LocalResource {
  return {
    type: `aws:apigatewayv2/${type}`,
    name,
    urn: `urn:pulumi:dev::switchyard::${type}::${name}`,
    custom: true,
    inputs,
    outputs,
    id,
  };
}

function notificationsApi(identitySources?: string[]): LocalResource[] {
  const integration = (fnKey: string): LocalResource =>
    resource("integration:Integration", `n-${fnKey}-integration`, `n-${fnKey}-integration-1`, {
      apiId: API,
      integrationMethod: "POST",
      integrationType: "AWS_PROXY",
      integrationUri: invokeArn(`n-${fnKey}`),
    });
  const route = (routeKey: string, fnKey: string, extra: Record<string, unknown> = {}): LocalResource =>
    resource("route:Route", `n-${routeKey}-route`, `n-${routeKey}-route-1`, {
      apiId: API,
      authorizationType: "NONE",
      routeKey,
      target: `integrations/n-${fnKey}-integration-1`,
      ...extra,
    });
  const twoWay = { routeResponseSelectionExpression: "$default" };
  const response = (routeKey: string): LocalResource =>
    resource("routeResponse:RouteResponse", `n-${routeKey}-response`, `n-${routeKey}-response-1`, {
      apiId: API,
      routeId: `n-${routeKey}-route-1`,
      routeResponseKey: "$default",
    });
  return [
    resource(
      "api:Api",
      "n-api",
      API,
      { protocolType: "WEBSOCKET", routeSelectionExpression: "$request.body.action" },
      { apiEndpoint: `wss://${API}.execute-api.us-east-1.amazonaws.com` },
    ),
    resource("authorizer:Authorizer", "n-authorizer", "n-authorizer-1", {
      apiId: API,
      authorizerType: "REQUEST",
      authorizerUri: invokeArn("n-authorizer"),
      name: "n-jwt",
      ...(identitySources ? { identitySources } : {}),
    }),
    integration("connect"),
    route("$connect", "connect", { authorizationType: "CUSTOM", authorizerId: "n-authorizer-1" }),
    integration("disconnect"),
    route("$disconnect", "disconnect"),
    integration("messages"),
    route("$default", "messages", twoWay),
    route("markRead", "messages", twoWay),
    route("listUnread", "messages", twoWay),
    response("$default"),
    response("markRead"),
    response("listUnread"),
    resource("deployment:Deployment", "n-deployment", "n-deployment-1", { apiId: API }),
    resource("stage:Stage", "n-stage", "dev", {
      apiId: API,
      name: "dev",
      deploymentId: "n-deployment-1",
      defaultRouteSettings: { throttlingBurstLimit: 40, throttlingRateLimit: 20 },
    }),
  ];
}

/** No authorizer, no $default, a one-way `notify` route and a two-way `echo` route; throttled $connect. */
function plainApi(connectThrottle?: {
  throttlingBurstLimit: number;
  throttlingRateLimit: number;
}): LocalResource[] {
  return [
    resource("api:Api", "p-api", PLAIN, {
      protocolType: "WEBSOCKET",
      routeSelectionExpression: "$request.body.action",
    }),
    resource("integration:Integration", "p-integration", "p-integration-1", {
      apiId: PLAIN,
      integrationType: "AWS_PROXY",
      integrationUri: invokeArn("p-handler"),
    }),
    resource("route:Route", "p-connect", "p-connect-1", {
      apiId: PLAIN,
      routeKey: "$connect",
      target: "integrations/p-integration-1",
    }),
    resource("route:Route", "p-echo", "p-echo-1", {
      apiId: PLAIN,
      routeKey: "echo",
      target: "integrations/p-integration-1",
      routeResponseSelectionExpression: "$default",
    }),
    resource("routeResponse:RouteResponse", "p-echo-response", "p-echo-response-1", {
      apiId: PLAIN,
      routeId: "p-echo-1",
      routeResponseKey: "$default",
    }),
    resource("route:Route", "p-notify", "p-notify-1", {
      apiId: PLAIN,
      routeKey: "notify",
      target: "integrations/p-integration-1",
    }),
    resource("stage:Stage", "p-stage", "live", {
      apiId: PLAIN,
      name: "live",
      ...(connectThrottle ? { routeSettings: [{ routeKey: "$connect", ...connectThrottle }] } : {}),
    }),
  ];
}

// ------------------------------------------------------------------ handlers

function notificationHandlers(): Record<string, Handler> {
  return {
    [fn("n-authorizer")]: (event) => {
      const token = event.queryStringParameters?.token;
      if (token === "good" || token === "deny") {
        return {
          principalId: "user-1",
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Action: "execute-api:Invoke",
                Effect: token === "good" ? "Allow" : "Deny",
                Resource: event.methodArn,
              },
            ],
          },
          context: { userId: "user-1", admin: true, level: 3 },
        };
      }
      if (token === "crash") throw new TypeError("cannot read properties of undefined");
      throw new Error("Unauthorized");
    },
    [fn("n-connect")]: async (event) => {
      if (event.queryStringParameters?.slow)
        await new Promise((done) => setTimeout(done, Number(event.queryStringParameters?.slow)));
      if (event.queryStringParameters?.refuse)
        return { statusCode: Number(event.queryStringParameters.refuse) };
      if (event.queryStringParameters?.fail) throw new Error("table is down");
      const offered = event.headers?.["Sec-WebSocket-Protocol"] ?? event.headers?.["sec-websocket-protocol"];
      return offered?.includes("switchyard.v1")
        ? { statusCode: 200, headers: { "Sec-WebSocket-Protocol": "switchyard.v1" } }
        : { statusCode: 200 };
    },
    [fn("n-disconnect")]: () => ({ statusCode: 200 }),
    [fn("n-messages")]: (event) => ({
      statusCode: 200,
      body: JSON.stringify({
        route: event.requestContext.routeKey,
        userId: event.requestContext.authorizer?.userId,
        got: event.body,
      }),
    }),
    [fn("p-handler")]: (event) =>
      event.requestContext.eventType === "MESSAGE"
        ? { statusCode: 200, body: `echo:${event.body}` }
        : { statusCode: 200 },
  };
}

// ------------------------------------------------------------------ harness

let engine: Engine | undefined;
let calls: Array<{ arn: string; event: RecordedEvent }> = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await engine?.close();
  engine = undefined;
});

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function start(
  resources: LocalResource[],
  options: ApiGatewayOptions = {},
  overrides: { handlers?: Record<string, Handler>; log?: Partial<LocalLogger> } = {},
): Promise<Engine> {
  calls = [];
  engine = await Engine.listen({
    emulators: {
      lambda: fakeLambda({ ...notificationHandlers(), ...overrides.handlers }, calls),
      apigateway: (ctx) => createApiGateway(ctx, options),
    },
    log: { ...quiet, ...overrides.log },
  });
  await engine.provision(resources);
  return engine;
}

const wsUrl = (apiId: string, stage: string, query = ""): string =>
  `${engine?.endpoint.replace(/^http/, "ws")}${localWebSocketPath(apiId, stage)}${query}`;

function management(apiId = API, stage = "dev"): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: `${engine?.endpoint}${localWebSocketPath(apiId, stage)}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

interface Opened {
  ws: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Connects; resolves with the socket, or with the HTTP status of a refused upgrade. */
function connect(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Opened | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    sockets.push(ws);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(data.toString()));
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on("close", (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.on("open", () => resolve({ ws, messages, closed }));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", reject);
  });
}

async function open(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Opened> {
  const result = await connect(url, options);
  if (!("ws" in result)) throw new Error(`upgrade refused with ${result.status}: ${result.body}`);
  return result;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

const callsTo = (name: string): RecordedEvent[] =>
  calls.filter((call) => call.arn === fn(name)).map((call) => call.event);
const connectionIdOf = (): string => {
  const event = callsTo("n-connect").at(-1);
  if (!event) throw new Error("no $connect ran");
  return String(event.requestContext.connectionId);
};

// ------------------------------------------------------------------ tests

describe("API Gateway WebSocket emulator: $connect", () => {
  it("runs the REQUEST authorizer, passes its context to $connect, and the client receives what @connections posts", async () => {
    await start(notificationsApi(["route.request.querystring.token"]));
    const client = await open(wsUrl(API, "dev", "?token=good&tag=a&tag=b"), {
      headers: { "X-Trace-Me": "yes" },
      protocols: [],
    });

    const [auth] = callsTo("n-authorizer");
    expect(auth?.type).toBe("REQUEST");
    expect(auth?.methodArn).toBe(`arn:aws:execute-api:us-east-1:${ACCOUNT}:${API}/dev/$connect`);
    expect(auth?.queryStringParameters).toEqual({ token: "good", tag: "b" });
    expect(auth?.multiValueQueryStringParameters).toEqual({ token: ["good"], tag: ["a", "b"] });
    expect(auth?.headers?.["X-Trace-Me"]).toBe("yes");
    expect(auth?.requestContext).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      apiId: API,
      stage: "dev",
    });

    const [connectEvent] = callsTo("n-connect");
    const context = connectEvent?.requestContext;
    expect(context?.connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(context?.connectionId).toBe(auth?.requestContext.connectionId);
    expect(context).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      messageDirection: "IN",
      apiId: API,
      stage: "dev",
    });
    expect(typeof context?.connectedAt).toBe("number");
    expect(context?.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(context?.identity?.sourceIp).toBe("127.0.0.1");
    // Context values arrive stringified, with the principal and the authorizer's latency.
    expect(context?.authorizer).toMatchObject({
      principalId: "user-1",
      userId: "user-1",
      admin: "true",
      level: "3",
    });
    expect(typeof context?.authorizer?.integrationLatency).toBe("number");
    expect(connectEvent?.headers?.["X-Trace-Me"]).toBe("yes");
    expect(connectEvent?.headers?.["X-Forwarded-For"]).toBe("127.0.0.1");
    expect(connectEvent?.queryStringParameters).toEqual({ token: "good", tag: "b" });
    expect(connectEvent?.isBase64Encoded).toBe(false);

    await management().send(
      new PostToConnectionCommand({
        ConnectionId: connectionIdOf(),
        Data: '{"type":"feedback","message":"hi"}',
      }),
    );
    await waitFor(() => client.messages.length === 1, "the posted message");
    expect(client.messages).toEqual(['{"type":"feedback","message":"hi"}']);
  });

  it("refuses a token the authorizer rejects with 401 (Unauthorized) or 403 (explicit Deny), without running $connect", async () => {
    await start(notificationsApi(["route.request.querystring.token"]));
    const unauthorized = await connect(wsUrl(API, "dev", "?token=forged"));
    expect(unauthorized).toMatchObject({ status: 401 });
    expect(JSON.parse((unauthorized as { body: string }).body)).toEqual({ message: "Unauthorized" });
    const denied = await connect(wsUrl(API, "dev", "?token=deny"));
    expect(denied).toMatchObject({ status: 403 });
    expect(callsTo("n-authorizer")).toHaveLength(2);
    expect(callsTo("n-connect")).toHaveLength(0);
  });

  it("answers 401 without invoking the authorizer when an identity source is missing", async () => {
    await start(notificationsApi(["route.request.querystring.token", "route.request.header.X-Client"]));
    expect(await connect(wsUrl(API, "dev"))).toMatchObject({ status: 401 });
    expect(await connect(wsUrl(API, "dev", "?token=good"))).toMatchObject({ status: 401 });
    expect(callsTo("n-authorizer")).toHaveLength(0);
    await open(wsUrl(API, "dev", "?token=good"), { headers: { "x-client": "web" } });
    expect(callsTo("n-authorizer")).toHaveLength(1);
    expect(callsTo("n-connect")).toHaveLength(1);
  });

  it("invokes an authorizer without identity sources every time (the dev stack's), and a crash is a 500", async () => {
    await start(notificationsApi());
    expect(await connect(wsUrl(API, "dev"))).toMatchObject({ status: 401 });
    expect(await connect(wsUrl(API, "dev", "?token=crash"))).toMatchObject({ status: 500 });
    expect(callsTo("n-authorizer")).toHaveLength(2);
    expect(callsTo("n-connect")).toHaveLength(0);
  });

  it("refuses the upgrade with the $connect integration's status, or 502 when it fails", async () => {
    await start(notificationsApi());
    expect(await connect(wsUrl(API, "dev", "?token=good&refuse=409"))).toMatchObject({ status: 409 });
    expect(await connect(wsUrl(API, "dev", "?token=good&fail=1"))).toMatchObject({ status: 502 });
    expect(callsTo("n-connect")).toHaveLength(2);
    expect(callsTo("n-disconnect")).toHaveLength(0);
  });

  it("runs $disconnect when the client leaves while $connect is still running", async () => {
    await start(notificationsApi());
    const ws = new WebSocket(wsUrl(API, "dev", "?token=good&slow=50"));
    sockets.push(ws);
    ws.on("error", () => undefined);
    await waitFor(() => callsTo("n-connect").length === 1, "$connect");
    ws.terminate();
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect");
    expect(callsTo("n-disconnect")[0]?.requestContext).toMatchObject({
      connectionId: connectionIdOf(),
      disconnectStatusCode: 1006,
    });
    const connections = (await (
      await fetch(`${engine?.endpoint}/_local/apigateway/connections`)
    ).json()) as unknown[];
    expect(connections).toEqual([]);
  });

  it("selects the subprotocol $connect answers in Sec-WebSocket-Protocol", async () => {
    await start(notificationsApi());
    const client = await open(wsUrl(API, "dev", "?token=good"), { protocols: ["switchyard.v1", "some-jwt"] });
    expect(client.ws.protocol).toBe("switchyard.v1");
    // The header reaches $connect as the client sent it (the ws client joins offers with ",").
    expect(callsTo("n-connect")[0]?.headers?.["Sec-WebSocket-Protocol"]).toBe("switchyard.v1,some-jwt");
    // A client whose offered subprotocol $connect does not select fails the handshake (browsers close).
    await expect(open(wsUrl(API, "dev", "?token=good"), { protocols: ["other.v2"] })).rejects.toThrow(
      /subprotocol/,
    );
  });

  it("refuses unknown APIs and stages with 403, and leaves other paths to the engine (404)", async () => {
    await start(notificationsApi());
    expect(await connect(wsUrl(API, "prod", "?token=good"))).toMatchObject({ status: 403 });
    expect(await connect(wsUrl("nope", "dev", "?token=good"))).toMatchObject({ status: 403 });
    expect(await connect(`${engine?.endpoint.replace(/^http/, "ws")}/elsewhere`)).toMatchObject({
      status: 404,
    });
    expect(calls).toHaveLength(0);
  });

  it("throttles $connect with the stage's route settings (429)", async () => {
    await start(plainApi({ throttlingBurstLimit: 1, throttlingRateLimit: 0.001 }));
    await open(wsUrl(PLAIN, "live"));
    expect(await connect(wsUrl(PLAIN, "live"))).toMatchObject({ status: 429 });
    expect(callsTo("p-handler")).toHaveLength(1);
  });
});

describe("API Gateway WebSocket emulator: messages", () => {
  it("routes by $request.body.action, falls back to $default, and sends two-way routes' bodies back", async () => {
    await start(notificationsApi());
    const client = await open(wsUrl(API, "dev", "?token=good"));

    client.ws.send(JSON.stringify({ action: "markRead", ids: ["n1"] }));
    await waitFor(() => client.messages.length === 1, "the markRead answer");
    expect(JSON.parse(client.messages[0] ?? "")).toEqual({
      route: "markRead",
      userId: "user-1",
      got: '{"action":"markRead","ids":["n1"]}',
    });
    client.ws.send(JSON.stringify({ action: "shout" }));
    await waitFor(() => client.messages.length === 2, "the $default answer (unknown action)");
    expect(JSON.parse(client.messages[1] ?? "").route).toBe("$default");
    client.ws.send("not json");
    await waitFor(() => client.messages.length === 3, "the $default answer (not JSON)");
    expect(JSON.parse(client.messages[2] ?? "")).toMatchObject({ route: "$default", got: "not json" });

    const [message] = callsTo("n-messages");
    expect(message?.isBase64Encoded).toBe(false);
    expect(message?.requestContext).toMatchObject({
      routeKey: "markRead",
      eventType: "MESSAGE",
      connectionId: connectionIdOf(),
      apiId: API,
      stage: "dev",
      authorizer: { principalId: "user-1", userId: "user-1" },
    });
    expect(message?.requestContext.messageId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
  });

  it("answers Forbidden when nothing matches and there is no $default; one-way routes send nothing back", async () => {
    await start(plainApi());
    const client = await open(wsUrl(PLAIN, "live"));
    const connectionId = String(callsTo("p-handler")[0]?.requestContext.connectionId);

    client.ws.send(JSON.stringify({ action: "nothing-here" }));
    await waitFor(() => client.messages.length === 1, "the Forbidden frame");
    expect(JSON.parse(client.messages[0] ?? "")).toMatchObject({ message: "Forbidden", connectionId });
    expect(typeof JSON.parse(client.messages[0] ?? "").requestId).toBe("string");

    client.ws.send(JSON.stringify({ action: "notify" }));
    await waitFor(() => callsTo("p-handler").length === 2, "the one-way route's invocation");
    client.ws.send(JSON.stringify({ action: "echo" }));
    await waitFor(() => client.messages.length === 2, "the echo");
    expect(client.messages[1]).toBe('echo:{"action":"echo"}');
    expect(client.messages).toHaveLength(2);
  });

  it("closes the connection with 1009 on a message over 128 KB and 1003 on a binary frame, then runs $disconnect", async () => {
    await start(notificationsApi());
    const big = await open(wsUrl(API, "dev", "?token=good"));
    big.ws.send(JSON.stringify({ action: "markRead", pad: "x".repeat(128 * 1024) }));
    expect(await big.closed).toEqual({ code: 1009, reason: "Message too big" });
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect");
    expect(callsTo("n-disconnect")[0]?.requestContext).toMatchObject({
      disconnectStatusCode: 1009,
      disconnectReason: "Message too big",
    });

    const binary = await open(wsUrl(API, "dev", "?token=good"));
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary.closed).code).toBe(1003);
    expect(callsTo("n-messages")).toHaveLength(0);
  });
});

describe("API Gateway WebSocket emulator: @connections and $disconnect", () => {
  it("delivers a 128 KB post as one message and refuses a larger one with PayloadTooLargeException", async () => {
    await start(notificationsApi());
    const client = await open(wsUrl(API, "dev", "?token=good"));
    const connectionId = connectionIdOf();
    const exact = "y".repeat(128 * 1024);
    await management().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: exact }));
    await waitFor(() => client.messages.length === 1, "the 128 KB message");
    expect(client.messages[0]).toBe(exact);

    const error = await management()
      .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `${exact}z` }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
    expect(client.messages).toHaveLength(1);
  });

  it("sends a message over 32 KB in 32 KB frames (one message: a text frame, then continuations)", async () => {
    const started = await start(notificationsApi());
    const socket = tcpConnect(started.port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    socket.write(
      `GET ${localWebSocketPath(API, "dev")}?token=good HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    try {
      await waitFor(() => received.includes("\r\n\r\n"), "the 101 response");
      expect(received.toString("latin1")).toMatch(/^HTTP\/1\.1 101 /);
      received = received.subarray(received.indexOf("\r\n\r\n") + 4);
      const data = "z".repeat(40 * 1024);
      await management().send(new PostToConnectionCommand({ ConnectionId: connectionIdOf(), Data: data }));
      await waitFor(() => received.length >= data.length + 2 * 4, "both frames");
      const frames: Array<{ fin: boolean; opcode: number; length: number }> = [];
      let offset = 0;
      while (offset < received.length) {
        const fin = ((received[offset] ?? 0) & 0x80) !== 0;
        const opcode = (received[offset] ?? 0) & 0x0f;
        let length = (received[offset + 1] ?? 0) & 0x7f;
        let header = 2;
        if (length === 126) {
          length = received.readUInt16BE(offset + 2);
          header = 4;
        }
        frames.push({ fin, opcode, length });
        offset += header + length;
      }
      expect(frames).toEqual([
        { fin: false, opcode: 1, length: 32 * 1024 },
        { fin: true, opcode: 0, length: 8 * 1024 },
      ]);
    } finally {
      socket.destroy();
    }
  });

  it("runs $disconnect once when the client closes, after which @connections answers GoneException", async () => {
    await start(notificationsApi());
    const client = await open(wsUrl(API, "dev", "?token=good"));
    const connectionId = connectionIdOf();
    client.ws.close(4000, "bye");
    await client.closed;
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect");
    const [event] = callsTo("n-disconnect");
    expect(event?.requestContext).toMatchObject({
      routeKey: "$disconnect",
      eventType: "DISCONNECT",
      connectionId,
      disconnectStatusCode: 4000,
      disconnectReason: "bye",
      authorizer: { principalId: "user-1" },
    });
    expect(event?.isBase64Encoded).toBe(false);

    const post = await management()
      .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "late" }))
      .catch((e: unknown) => e);
    expect(post).toBeInstanceOf(GoneException);
    expect((post as GoneException).$metadata.httpStatusCode).toBe(410);
    await expect(
      management().send(new GetConnectionCommand({ ConnectionId: connectionId })),
    ).rejects.toBeInstanceOf(GoneException);
    await new Promise((done) => setTimeout(done, 20));
    expect(callsTo("n-disconnect")).toHaveLength(1);
  });

  it("stays quiet about a $disconnect its function failed because the local cloud was stopping", async () => {
    let release: () => void = () => undefined;
    const stoppedUnder = new Promise<void>((done) => {
      release = done;
    });
    const captured = captureLog();
    await start(notificationsApi(), undefined, {
      // The function dies with the engine, as a worker the Lambda emulator terminates on stop does.
      handlers: {
        [fn("n-disconnect")]: async () => {
          await stoppedUnder;
          throw new Error("Runtime exited without providing a reason");
        },
      },
      log: captured.log,
    });
    const client = await open(wsUrl(API, "dev", "?token=good"));
    client.ws.close(1000, "leaving");
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect");

    const closing = engine?.close();
    engine = undefined;
    release();
    await closing;

    expect(captured.lines).toEqual([]);
  });

  it.each([
    [false, ["could not invoke arn:aws:lambda:us-east-1:123456789012:function:gone for $disconnect"]],
    [true, []],
  ])(
    "reports an integration the Lambda emulator refused unless the engine is stopping (stopping: %s)",
    async (stopping, expected) => {
      const captured = captureLog();
      const ctx = {
        stopping,
        log: captured.log,
        iam: { requireApiGatewayInvoke: async () => undefined },
        lambda: {
          invoke: async () => {
            throw new LocalServiceError("ServiceException", "The local Lambda is stopping.", 500);
          },
        },
      } as unknown as LocalContext;
      const result = await invokeIntegration(ctx, fn("gone"), {}, "$disconnect");
      expect(result.error).toMatchObject({ errorType: "ServiceException" });
      expect(captured.lines.map((line) => line.message)).toEqual(expected);
    },
  );

  it("warns about a $disconnect integration that fails while the local cloud runs", async () => {
    const captured = captureLog();
    await start(notificationsApi(), undefined, {
      handlers: {
        [fn("n-disconnect")]: () => {
          throw new Error("table is down");
        },
      },
      log: captured.log,
    });
    const client = await open(wsUrl(API, "dev", "?token=good"));
    client.ws.close(1000, "leaving");
    await waitFor(() => captured.lines.length === 1, "the warning");
    expect(captured.lines.map((line) => line.message)).toEqual(["the $disconnect integration failed"]);
  });

  it("DELETE closes the socket and triggers $disconnect", async () => {
    await start(notificationsApi());
    const client = await open(wsUrl(API, "dev", "?token=good"));
    const connectionId = connectionIdOf();
    await management().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect((await client.closed).code).toBe(1000);
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect");
    expect(callsTo("n-disconnect")[0]?.requestContext.connectionId).toBe(connectionId);
    await expect(
      management().send(new DeleteConnectionCommand({ ConnectionId: connectionId })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it("GET returns connectedAt, lastActiveAt and the identity", async () => {
    await start(notificationsApi());
    const before = Date.now();
    const client = await open(wsUrl(API, "dev", "?token=good"), {
      headers: { "User-Agent": "switchyard-test/1.0" },
    });
    const connectionId = connectionIdOf();
    const first = await management().send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(first.ConnectedAt).toBeInstanceOf(Date);
    expect(first.ConnectedAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(first.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "switchyard-test/1.0" });
    expect(first.LastActiveAt?.getTime()).toBe(first.ConnectedAt?.getTime());

    await new Promise((done) => setTimeout(done, 5));
    client.ws.send(JSON.stringify({ action: "listUnread" }));
    await waitFor(() => client.messages.length === 1, "the listUnread answer");
    const second = await management().send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(second.LastActiveAt?.getTime()).toBeGreaterThan(
      first.LastActiveAt?.getTime() ?? Number.POSITIVE_INFINITY,
    );
  });

  it("answers GoneException for an id that never connected and ForbiddenException for an unknown stage", async () => {
    await start(notificationsApi());
    await expect(
      management().send(new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: "x" })),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      management(API, "prod").send(
        new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: "x" }),
      ),
    ).rejects.toMatchObject({ name: "ForbiddenException", $metadata: { httpStatusCode: 403 } });
  });

  it("closes idle connections (1001) and connections past their maximum duration, running $disconnect", async () => {
    await start(notificationsApi(), { idleTimeoutMs: 60 });
    const idle = await open(wsUrl(API, "dev", "?token=good"));
    expect(await idle.closed).toEqual({ code: 1001, reason: "Going away" });
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect after idling");
    expect(callsTo("n-disconnect")[0]?.requestContext.disconnectStatusCode).toBe(1001);
    await engine?.close();

    await start(notificationsApi(), { maxConnectionMs: 80, idleTimeoutMs: 60_000 });
    const busy = await open(wsUrl(API, "dev", "?token=good"));
    const chatter = setInterval(() => busy.ws.send("{}"), 10);
    try {
      expect((await busy.closed).code).toBe(1001);
    } finally {
      clearInterval(chatter);
    }
    await waitFor(() => callsTo("n-disconnect").length === 1, "$disconnect after the maximum duration");
  });

  it("lists APIs with their local URLs and open connections with their principal", async () => {
    const started = await start(notificationsApi());
    await open(wsUrl(API, "dev", "?token=good"));
    const apis = (await (await fetch(`${started.endpoint}/_local/apigateway/apis`)).json()) as Array<
      Record<string, unknown>
    >;
    expect(apis[0]).toMatchObject({
      apiId: API,
      apiEndpoint: `ws://127.0.0.1:${started.port}/ws/${API}`,
      stages: [{ name: "dev", invokeUrl: `ws://127.0.0.1:${started.port}/ws/${API}/dev`, connections: 1 }],
    });
    expect(apis[0]?.routes).toHaveLength(5);
    const connections = (await (
      await fetch(`${started.endpoint}/_local/apigateway/connections`)
    ).json()) as unknown[];
    expect(connections).toEqual([
      expect.objectContaining({
        connectionId: connectionIdOf(),
        apiId: API,
        stage: "dev",
        principalId: "user-1",
      }),
    ]);
  });
});
