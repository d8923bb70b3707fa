import { describe, expect, it } from "vitest";
import {
  RESOURCE_TYPES,
  type RouteResult,
  RoutingError,
  routeEvent,
  routeMessage,
  routeS3Event,
  type StackResource,
} from "../src/index";
import { attributes } from "./helpers";

const ACCOUNT = "111111111111";
const REGION = "us-east-1";
const arn = (service: string, resource: string): string =>
  `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** A resource as Pulumi mocks record it: outputs repeat the inputs and add computed values. */
function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  computed: Record<string, unknown> = {},
): StackResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::switchyard::${type}::${name}`,
    inputs,
    outputs: { ...inputs, ...computed },
  };
}

const topic = (name: string) =>
  resource(RESOURCE_TYPES.topic, name, {}, { name, arn: arn("sns", name), id: arn("sns", name) });
const queue = (name: string) =>
  resource(
    RESOURCE_TYPES.queue,
    name,
    {},
    { name, arn: arn("sqs", name), url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` },
  );
const fn = (name: string) =>
  resource(RESOURCE_TYPES.function, name, {}, { name, arn: arn("lambda", `function:${name}`) });
const subscription = (name: string, inputs: Record<string, unknown>) =>
  resource(RESOURCE_TYPES.subscription, name, inputs, { arn: `${inputs.topic}:${name}` });
const mapping = (name: string, queueName: string, functionName: string, enabled = true) =>
  resource(RESOURCE_TYPES.eventSourceMapping, name, {
    eventSourceArn: arn("sqs", queueName),
    functionName,
    enabled,
  });
const bus = (name: string) =>
  resource(RESOURCE_TYPES.eventBus, name, { name }, { arn: arn("events", `event-bus/${name}`) });
const rule = (name: string, inputs: Record<string, unknown>) =>
  resource(RESOURCE_TYPES.eventRule, name, inputs, { name, arn: arn("events", `rule/${name}`) });
const target = (name: string, inputs: Record<string, unknown>) =>
  resource(RESOURCE_TYPES.eventTarget, name, inputs);

const ORDERS_TOPIC = arn("sns", "orders");
const UPLOADS_TOPIC = arn("sns", "uploads");
const ORDER_PLACED = { source: ["app.orders"], "detail-type": ["OrderPlaced"] };

const STACK: StackResource[] = [
  topic("orders"),
  topic("uploads"),
  queue("inventory"),
  queue("analytics"),
  queue("billing"),
  queue("audit"),
  queue("scanner"),
  queue("thumbnails"),
  queue("archive"),
  fn("inventory-handler"),
  fn("notifier"),
  fn("cleanup"),
  subscription("inventory-sub", {
    topic: ORDERS_TOPIC,
    protocol: "sqs",
    endpoint: arn("sqs", "inventory"),
    rawMessageDelivery: true,
    filterPolicy: JSON.stringify({ eventType: ["ORDER_CREATED"] }),
  }),
  subscription("analytics-sub", { topic: ORDERS_TOPIC, protocol: "sqs", endpoint: arn("sqs", "analytics") }),
  subscription("billing-sub", {
    topic: ORDERS_TOPIC,
    protocol: "sqs",
    endpoint: arn("sqs", "billing"),
    filterPolicyScope: "MessageBody",
    filterPolicy: JSON.stringify({ total: [{ numeric: [">", 100] }] }),
  }),
  subscription("notifier-sub", {
    topic: ORDERS_TOPIC,
    protocol: "lambda",
    endpoint: arn("lambda", "function:notifier"),
    filterPolicy: JSON.stringify({ eventType: ["ORDER_CANCELLED"] }),
  }),
  subscription("ops-email", {
    topic: ORDERS_TOPIC,
    protocol: "email",
    endpoint: "ops@example.com",
    filterPolicy: JSON.stringify({ severity: ["high"] }),
  }),
  subscription("scanner-sub", {
    topic: UPLOADS_TOPIC,
    protocol: "sqs",
    endpoint: arn("sqs", "scanner"),
    filterPolicyScope: "MessageBody",
    filterPolicy: JSON.stringify({ Records: { s3: { object: { key: [{ prefix: "incoming/" }] } } } }),
  }),
  subscription("uploads-attributes-sub", {
    topic: UPLOADS_TOPIC,
    protocol: "sqs",
    endpoint: arn("sqs", "audit"),
    filterPolicy: JSON.stringify({ kind: ["upload"] }),
  }),
  mapping("inventory-esm", "inventory", "inventory-handler"),
  mapping("billing-esm", "billing", arn("lambda", "function:notifier"), false),
  bus("commerce"),
  bus("archive-bus"),
  rule("order-placed", { eventBusName: "commerce", eventPattern: JSON.stringify(ORDER_PLACED) }),
  rule("order-placed-disabled", {
    eventBusName: "commerce",
    eventPattern: JSON.stringify(ORDER_PLACED),
    state: "DISABLED",
  }),
  rule("order-placed-not-enabled", {
    eventBusName: arn("events", "event-bus/commerce"),
    eventPattern: JSON.stringify(ORDER_PLACED),
    isEnabled: false,
  }),
  rule("big-orders", {
    eventBusName: arn("events", "event-bus/commerce"),
    eventPattern: JSON.stringify({ source: ["app.orders"], detail: { total: [{ numeric: [">=", 1000] }] } }),
  }),
  rule("nightly", { scheduleExpression: "rate(1 day)" }),
  rule("default-bus-rule", { eventPattern: JSON.stringify({ source: ["aws.s3"] }) }),
  target("order-placed-audit", { rule: "order-placed", eventBusName: "commerce", arn: arn("sqs", "audit") }),
  target("order-placed-fanout", { rule: "order-placed", eventBusName: "commerce", arn: ORDERS_TOPIC }),
  target("order-placed-disabled-target", {
    rule: "order-placed-disabled",
    eventBusName: "commerce",
    arn: arn("sqs", "billing"),
  }),
  target("order-placed-not-enabled-target", {
    rule: "order-placed-not-enabled",
    eventBusName: "commerce",
    arn: arn("sqs", "billing"),
  }),
  target("big-orders-forward", {
    rule: "big-orders",
    eventBusName: "commerce",
    arn: arn("events", "event-bus/archive-bus"),
  }),
  target("default-bus-target", { rule: "default-bus-rule", arn: arn("lambda", "function:cleanup") }),
  rule("archive-all", {
    eventBusName: "archive-bus",
    eventPattern: JSON.stringify({ source: [{ prefix: "" }] }),
  }),
  target("archive-all-queue", {
    rule: "archive-all",
    eventBusName: "archive-bus",
    arn: arn("sqs", "archive"),
  }),
  resource(
    "aws:s3/bucketV2:BucketV2",
    "uploads-bucket",
    { bucket: "uploads-bucket-1234" },
    { id: "uploads-bucket-1234", arn: "arn:aws:s3:::uploads-bucket-1234" },
  ),
  resource(RESOURCE_TYPES.bucketNotification, "uploads-notifications", {
    bucket: "uploads-bucket-1234",
    topics: [{ topicArn: UPLOADS_TOPIC, events: ["s3:ObjectCreated:*"], filterPrefix: "incoming/" }],
    queues: [{ queueArn: arn("sqs", "thumbnails"), events: ["s3:ObjectCreated:Put"], filterSuffix: ".jpg" }],
    lambdaFunctions: [
      { lambdaFunctionArn: arn("lambda", "function:cleanup"), events: ["s3:ObjectRemoved:*"] },
    ],
  }),
  resource(
    "aws:iam/role:Role",
    "ignored-role",
    { assumeRolePolicy: "{}" },
    { arn: "arn:aws:iam::111111111111:role/x" },
  ),
];

type Expectation = Partial<
  Pick<RouteResult, "subscriptions" | "rules" | "queueNames" | "functionNames" | "topicNames" | "endpoints">
>;

function expectRoute(route: RouteResult, expected: Expectation): void {
  expect({
    subscriptions: route.subscriptions,
    rules: route.rules,
    queueNames: route.queueNames,
    functionNames: route.functionNames,
    topicNames: route.topicNames,
    endpoints: route.endpoints,
  }).toEqual({
    subscriptions: [],
    rules: [],
    queueNames: [],
    functionNames: [],
    topicNames: [],
    endpoints: [],
    ...expected,
  });
}

describe("routeMessage", () => {
  it.each([
    {
      name: "attribute filter and an unfiltered subscription; the queue's event source mapping reaches its function",
      message: {
        topicArn: ORDERS_TOPIC,
        messageAttributes: attributes({ eventType: "ORDER_CREATED" }),
        body: '{"total": 50}',
      },
      expected: {
        subscriptions: ["inventory-sub", "analytics-sub"],
        queueNames: ["inventory", "analytics"],
        functionNames: ["inventory-handler"],
      },
    },
    {
      name: "body filter in the MessageBody scope, a lambda subscription, and a disabled event source mapping",
      message: {
        topicArn: ORDERS_TOPIC,
        messageAttributes: attributes({ eventType: "ORDER_CANCELLED" }),
        body: '{"total": 150}',
      },
      expected: {
        subscriptions: ["analytics-sub", "billing-sub", "notifier-sub"],
        queueNames: ["analytics", "billing"],
        functionNames: ["notifier"],
      },
    },
    {
      name: "no attributes and a body that is not JSON: only unfiltered subscriptions",
      message: { topicArn: ORDERS_TOPIC, body: "hello" },
      expected: { subscriptions: ["analytics-sub"], queueNames: ["analytics"] },
    },
    {
      name: "a subscription that is neither a queue nor a function is listed as an endpoint",
      message: { topicArn: ORDERS_TOPIC, messageAttributes: attributes({ severity: "high" }) },
      expected: {
        subscriptions: ["analytics-sub", "ops-email"],
        queueNames: ["analytics"],
        endpoints: ["email:ops@example.com"],
      },
    },
    {
      name: "the topic may be named by its logical name",
      message: { topicArn: "orders", messageAttributes: attributes({ eventType: "ORDER_CREATED" }) },
      expected: {
        subscriptions: ["inventory-sub", "analytics-sub"],
        queueNames: ["inventory", "analytics"],
        functionNames: ["inventory-handler"],
      },
    },
  ])("$name", ({ message, expected }) => {
    // Act
    const route = routeMessage(STACK, message);
    // Assess
    expectRoute(route, expected);
  });

  it("reports ARNs as well as logical names", () => {
    // Act
    const route = routeMessage(STACK, {
      topicArn: ORDERS_TOPIC,
      messageAttributes: attributes({ eventType: "ORDER_CREATED" }),
    });
    // Assess
    expect(route.queues).toEqual([arn("sqs", "inventory"), arn("sqs", "analytics")]);
    expect(route.functions).toEqual([arn("lambda", "function:inventory-handler")]);
  });

  it("throws, naming the topic, when the topic is not in the stack", () => {
    // Act
    const act = () => routeMessage(STACK, { topicArn: arn("sns", "oders") });
    // Assess
    expect(act).toThrow(/topic "arn:aws:sns:us-east-1:111111111111:oders" is not among/);
    expect(act).toThrow(RoutingError);
  });
});

describe("routeEvent", () => {
  it.each([
    {
      name: "a matching rule sends to a queue and to a topic, whose subscriptions see the event as the body",
      put: {
        eventBusName: "commerce",
        event: { source: "app.orders", "detail-type": "OrderPlaced", detail: { total: 10 } },
      },
      expected: {
        rules: ["order-placed"],
        queueNames: ["audit", "analytics"],
        topicNames: ["orders"],
        subscriptions: ["analytics-sub"],
      },
    },
    {
      name: "a rule forwarding to another bus, whose rules then apply",
      put: {
        eventBusName: "commerce",
        event: { source: "app.orders", "detail-type": "OrderAmended", detail: { total: 5000 } },
      },
      expected: { rules: ["big-orders", "archive-all"], queueNames: ["archive"] },
    },
    {
      name: "the bus may be given by ARN, and Detail as JSON text",
      put: {
        eventBusName: arn("events", "event-bus/commerce"),
        event: { source: "app.orders", "detail-type": "OrderAmended", detail: '{"total": 1000}' },
      },
      expected: { rules: ["big-orders", "archive-all"], queueNames: ["archive"] },
    },
    {
      name: "no rule matches",
      put: {
        eventBusName: "commerce",
        event: { source: "app.payments", "detail-type": "OrderPlaced", detail: {} },
      },
      expected: {},
    },
    {
      name: "rules without an eventBusName are on the default bus",
      put: {
        eventBusName: "default",
        event: { source: "aws.s3", "detail-type": "Object Created", detail: {} },
      },
      expected: { rules: ["default-bus-rule"], functionNames: ["cleanup"] },
    },
    {
      name: "an absent bus name means the default bus",
      put: { event: { source: "aws.s3", "detail-type": "Object Created", detail: {} } },
      expected: { rules: ["default-bus-rule"], functionNames: ["cleanup"] },
    },
    {
      name: "the default bus does not see rules of other buses",
      put: {
        eventBusName: "default",
        event: { source: "app.orders", "detail-type": "OrderPlaced", detail: {} },
      },
      expected: {},
    },
  ])("$name", ({ put, expected }) => {
    // Act
    const route = routeEvent(STACK, put);
    // Assess
    expectRoute(route, expected);
  });

  it("throws, naming the bus, when the bus is not in the stack", () => {
    // Act
    const act = () =>
      routeEvent(STACK, { eventBusName: "comerce", event: { source: "a", "detail-type": "b", detail: {} } });
    // Assess
    expect(act).toThrow(/event bus "comerce"/);
  });
});

describe("routeS3Event", () => {
  it.each([
    {
      name: "a created .jpg under incoming/ reaches the topic (then its body-filtered subscription) and the queue",
      event: { bucket: "uploads-bucket-1234", eventName: "ObjectCreated:Put", key: "incoming/cat.jpg" },
      expected: {
        topicNames: ["uploads"],
        subscriptions: ["scanner-sub"],
        queueNames: ["scanner", "thumbnails"],
      },
    },
    {
      name: "a copy is not a Put, so only the wildcard event type applies",
      event: { bucket: "uploads-bucket-1234", eventName: "ObjectCreated:Copy", key: "incoming/cat.jpg" },
      expected: { topicNames: ["uploads"], subscriptions: ["scanner-sub"], queueNames: ["scanner"] },
    },
    {
      name: "key prefix filter excludes the topic",
      event: { bucket: "uploads-bucket-1234", eventName: "ObjectCreated:Put", key: "other/cat.jpg" },
      expected: { queueNames: ["thumbnails"] },
    },
    {
      name: "a removal reaches the function; the s3: prefix is optional",
      event: { bucket: "uploads-bucket-1234", eventName: "s3:ObjectRemoved:Delete", key: "incoming/cat.jpg" },
      expected: { functionNames: ["cleanup"] },
    },
    {
      name: "the bucket may be named by its logical name",
      event: { bucket: "uploads-bucket", eventName: "ObjectCreated:Post", key: "incoming/readme.txt" },
      expected: { topicNames: ["uploads"], subscriptions: ["scanner-sub"], queueNames: ["scanner"] },
    },
    {
      name: "an event type nobody listens to",
      event: { bucket: "uploads-bucket-1234", eventName: "ObjectRestore:Completed", key: "incoming/cat.jpg" },
      expected: {},
    },
  ])("$name", ({ event, expected }) => {
    // Act
    const route = routeS3Event(STACK, event);
    // Assess
    expectRoute(route, expected);
  });

  it("reports the topic ARN reached", () => {
    // Act
    const route = routeS3Event(STACK, {
      bucket: "uploads-bucket-1234",
      eventName: "ObjectCreated:Put",
      key: "incoming/a.png",
    });
    // Assess
    expect(route.topics).toEqual([UPLOADS_TOPIC]);
  });

  it("throws, naming the bucket, when the stack does not know it", () => {
    // Act
    const act = () => routeS3Event(STACK, { bucket: "uplods", eventName: "ObjectCreated:Put", key: "a" });
    // Assess
    expect(act).toThrow(/bucket "uplods"/);
  });
});

describe("routing edge cases", () => {
  it("reaches subscriptions of a topic whose mock returned no ARN, by the topic's name", () => {
    // Prepare
    const stack = [
      resource(RESOURCE_TYPES.topic, "bare", { name: "bare-topic" }),
      queue("q"),
      subscription("bare-sub", { topic: "bare-topic", protocol: "sqs", endpoint: arn("sqs", "q") }),
    ];
    // Act
    const route = routeMessage(stack, { topicArn: "bare" });
    // Assess
    expect(route.queueNames).toEqual(["q"]);
  });

  it("follows a lambda subscription whose endpoint is a qualified (alias) ARN to the function", () => {
    // Prepare
    const stack = [
      topic("t"),
      fn("worker"),
      subscription("s", {
        topic: arn("sns", "t"),
        protocol: "lambda",
        endpoint: arn("lambda", "function:worker:live"),
      }),
    ];
    // Act
    const route = routeMessage(stack, { topicArn: arn("sns", "t") });
    // Assess
    expect(route.functionNames).toEqual(["worker"]);
    expect(route.functions).toEqual([arn("lambda", "function:worker")]);
  });

  it("reports queues outside the stack by ARN only", () => {
    // Prepare
    const foreign = "arn:aws:sqs:eu-west-1:222222222222:partner";
    const stack = [
      topic("t"),
      subscription("s", { topic: arn("sns", "t"), protocol: "sqs", endpoint: foreign }),
    ];
    // Act
    const route = routeMessage(stack, { topicArn: "t" });
    // Assess
    expect(route).toMatchObject({ queues: [foreign], queueNames: [] });
  });

  it("does not loop when buses forward to each other", () => {
    // Prepare
    const stack = [
      bus("a"),
      bus("b"),
      rule("a-to-b", { eventBusName: "a", eventPattern: '{"source": ["x"]}' }),
      rule("b-to-a", { eventBusName: "b", eventPattern: '{"source": ["x"]}' }),
      target("t1", { rule: "a-to-b", eventBusName: "a", arn: arn("events", "event-bus/b") }),
      target("t2", { rule: "b-to-a", eventBusName: "b", arn: arn("events", "event-bus/a") }),
    ];
    // Act
    const route = routeEvent(stack, {
      eventBusName: "a",
      event: { source: "x", "detail-type": "y", detail: {} },
    });
    // Assess
    expect(route.rules).toEqual(["a-to-b", "b-to-a"]);
  });

  it("passes a target's constant Input to a topic as the message body", () => {
    // Prepare
    const stack = [
      topic("t"),
      queue("q"),
      rule("r", { eventPattern: '{"source": ["x"]}' }),
      target("rt", { rule: "r", arn: arn("sns", "t"), input: '{"kind": "ping"}' }),
      subscription("s", {
        topic: arn("sns", "t"),
        protocol: "sqs",
        endpoint: arn("sqs", "q"),
        filterPolicyScope: "MessageBody",
        filterPolicy: '{"kind": ["ping"]}',
      }),
    ];
    // Act
    const route = routeEvent(stack, { event: { source: "x", "detail-type": "y", detail: {} } });
    // Assess
    expect(route.queueNames).toEqual(["q"]);
  });

  it.each([
    {
      name: "a FIFO queue",
      config: { queues: [{ queueArn: arn("sqs", "jobs.fifo"), events: ["s3:ObjectCreated:*"] }] },
    },
    {
      name: "a FIFO topic",
      config: { topics: [{ topicArn: arn("sns", "jobs.fifo"), events: ["s3:ObjectCreated:*"] }] },
    },
  ])("throws when an S3 notification targets $name, which AWS refuses", ({ config }) => {
    // Prepare
    const stack = [
      resource(
        RESOURCE_TYPES.queue,
        "jobs",
        { fifoQueue: true },
        { name: "jobs.fifo", arn: arn("sqs", "jobs.fifo") },
      ),
      resource(
        RESOURCE_TYPES.topic,
        "jobs-topic",
        { fifoTopic: true },
        { name: "jobs.fifo", arn: arn("sns", "jobs.fifo") },
      ),
      resource(RESOURCE_TYPES.bucketNotification, "n", { bucket: "b", ...config }),
    ];
    // Act
    const act = () => routeS3Event(stack, { bucket: "b", eventName: "ObjectCreated:Put", key: "k" });
    // Assess
    expect(act).toThrow(/FIFO destination/);
  });
});
