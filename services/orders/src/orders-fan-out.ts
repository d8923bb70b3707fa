import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ArgChecker,
  brief,
  EventBus,
  EventRuleQueueTarget,
  functionDefaults,
  grantPutEvents,
  keyGrant,
  type Link,
  link,
  NodeFunction,
  type PlatformArgs,
  type PlatformSettings,
  platformSettings,
  QueueConsumer,
  queueDefaults,
  ReliableQueue,
  ServiceDashboard,
  Table,
  Topic,
  TopicFunctionSubscription,
  TopicQueueSubscription,
  tableDefaults,
} from "@switchyard/infra-kit";
import { validateFilterPolicy } from "@switchyard/routing";
import { MAX_ARCHIVE_RETENTION_DAYS } from "./config";
import { ORDERS_EVENT_SOURCE } from "./constants";
import { FUNCTION_ENV, LINK_ENV } from "./env";
import { OrdersArgsError, OrdersError } from "./errors";
import {
  defaultOrderSubscribers,
  INTERNAL_HANDLERS,
  type OrderSubscriber,
  type OrdersResource,
  TABLE_KEY_PREFIXES,
} from "./subscribers";

const RESERVED_SUBSCRIBER_NAMES = [
  "archive",
  "archiver",
  "bus",
  "order-processing",
  "ordered",
  "replay",
  "republisher",
];
const RESOURCES: readonly OrdersResource[] = [
  "inventoryTable",
  "analyticsTable",
  "notificationBus",
  "alarmTopic",
  "idempotencyTable",
];

/** A subscriber queue the republisher hands replays to. */
interface ReplayTargetSpec {
  name: string;
  queue: ReliableQueue;
  filterPolicy: Record<string, unknown> | undefined;
}

/** The platform (alarm topic, key, logs, memory, concurrency, queues, tables, tracing: see `PlatformArgs`) and: */
export interface OrdersFanOutArgs extends PlatformArgs {
  /**
   * The key encrypting the ops topic (AlarmTopic is always under a customer-managed key): publishing the
   * high-value alert needs `kms:GenerateDataKey` on it.
   */
  alarmTopicKmsKeyArn: pulumi.Input<string>;
  /**
   * The notifications service's bus: the customer-notifications consumer may `events:PutEvents` there only.
   * Without it (notifications not deployed) the default customer-notifications subscriber is left out, and a
   * subscriber that `uses` the bus is refused.
   * @default undefined (no customer notifications)
   */
  notificationBus?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /**
   * Days the EventBridge archive keeps order events (1 to 3650).
   * @default 30
   */
  archiveRetentionDays?: number;
  /**
   * Order value above which the default high-value alert subscriber fires (0 to 1e9, exclusive of 0).
   * @default 1000
   */
  highValueThreshold?: number;
  /**
   * Subscribers of `order-events`, merged over the defaults (inventory, customer-notifications, analytics,
   * high-value-alert) by name; `false` removes a default. Names are lower-case kebab.
   * @default {} (the four defaults)
   * @example { billing: { entry: fileURLToPath(new URL("./billing.ts", import.meta.url)), filterPolicy: { eventType: ["ORDER_DELIVERED"] } } }
   */
  subscribers?: Record<string, OrderSubscriber | false>;
}

/**
 * The orders fan-out: the encrypted `order-events` topic with one filtered subscriber per consumer, the
 * ordered FIFO path (`order-processing`), an archiver that copies every event onto the orders bus whose
 * EventBridge archive keeps them for replay, DynamoDB tables for the consumers, and alarms on every DLQ.
 */
export class OrdersFanOut extends pulumi.ComponentResource {
  static readonly type = "switchyard:orders:OrdersFanOut";
  readonly topic: Topic;
  readonly fifoTopic: Topic;
  readonly processingQueue: ReliableQueue;
  readonly bus: EventBus;
  readonly archive: aws.cloudwatch.EventArchive;
  readonly replayRuleArn: pulumi.Output<string>;
  readonly queues: Record<string, ReliableQueue> = {};
  readonly functions: Record<string, NodeFunction> = {};
  readonly tables: Partial<Record<"inventory" | "analytics" | "orderState" | "idempotency", Table>> = {};
  readonly dashboard: ServiceDashboard;
  /** What the root stack exports. */
  readonly outputs: {
    ordersTopicArn: pulumi.Output<string>;
    ordersFifoTopicArn: pulumi.Output<string>;
    ordersBusName: pulumi.Output<string>;
    ordersBusArn: pulumi.Output<string>;
    ordersArchiveArn: pulumi.Output<string>;
    ordersReplayRuleArn: pulumi.Output<string>;
    orderProcessingQueueUrl: pulumi.Output<string>;
  };
  private readonly name: string;
  private readonly settings: PlatformSettings;
  private readonly topics: Topic[] = [];

  constructor(name: string, args: OrdersFanOutArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OrdersFanOut.type, name, {}, opts);
    this.name = name;
    const check = new ArgChecker(OrdersFanOut.type, name, OrdersArgsError);
    if (name.length > 16) {
      check.fail(
        "name",
        `must be at most 16 characters so child queue names fit SQS's limits (got ${name.length})`,
      );
    }
    this.settings = platformSettings(check, args);
    const alarmTopicArn = this.settings.alarmTopicArn;
    check.required("alarmTopicKmsKeyArn", args.alarmTopicKmsKeyArn);
    const bus = args.notificationBus;
    const threshold = args.highValueThreshold ?? 1000;
    if (!(threshold > 0 && threshold <= 1_000_000_000)) {
      check.fail(
        "highValueThreshold",
        `must be above 0 and at most 1000000000, the SNS numeric range (got ${threshold})`,
      );
    }
    const archiveRetentionDays = check.int(
      "archiveRetentionDays",
      args.archiveRetentionDays,
      1,
      MAX_ARCHIVE_RETENTION_DAYS,
      30,
    );
    const subscribers = resolveSubscribers(check, name, threshold, args.subscribers ?? {}, bus !== undefined);

    this.topic = this.createTopic("order-events", { displayName: "Switchyard order events" });

    // Tables only for the resources some subscriber uses.
    const used = new Set(Object.values(subscribers).flatMap((s) => s.uses ?? []));
    if (used.has("inventoryTable")) this.tables.inventory = this.createTable("inventory", "pk", "sk", true);
    if (used.has("analyticsTable")) this.tables.analytics = this.createTable("analytics", "pk", "sk", true);
    // Powertools idempotency records (the archiver's and the high-value alert's): key `id`, TTL `expiration`.
    this.tables.idempotency = this.createTable("idempotency", "id", undefined, true, "expiration");
    const replayTargets: ReplayTargetSpec[] = [];

    for (const [subscriberName, subscriber] of Object.entries(subscribers)) {
      const byFunction = subscriber.delivery === "function";
      const fn = this.createFunction(subscriberName, subscriber.entry, subscriber.timeout ?? 30, {
        environment: subscriber.environment ?? {},
        links: [
          ...(subscriber.uses ?? []).map((resource) =>
            this.resourceLink(resource, args, bus, subscriberName),
          ),
          // SNS invokes a function subscriber directly: its handler refuses records from any other topic.
          ...(byFunction
            ? [link(LINK_ENV.orderEventsTopic, { ORDER_EVENTS_TOPIC_ARN: this.topic.arn })]
            : []),
        ],
        ...(subscriber.reads ? { reads: subscriber.reads } : {}),
      });
      for (const grant of subscriber.grants ?? []) fn.grant(grant);
      if (!byFunction) {
        const queue = this.createQueue(subscriberName, {});
        new TopicQueueSubscription(
          `${name}-${subscriberName}`,
          {
            topic: this.topic,
            queue,
            ...(subscriber.filterPolicy ? { filterPolicy: subscriber.filterPolicy } : {}),
          },
          { parent: this },
        );
        this.consume(subscriberName, queue, fn);
        if (subscriber.replays) {
          replayTargets.push({ name: subscriberName, queue, filterPolicy: subscriber.filterPolicy });
        }
      } else {
        new TopicFunctionSubscription(
          `${name}-${subscriberName}`,
          {
            topic: this.topic,
            function: fn,
            alarmTopicArn,
            ...(subscriber.filterPolicy ? { filterPolicy: subscriber.filterPolicy } : {}),
            ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}),
          },
          // Declared by this component before TopicFunctionSubscription moved into the kit (same name, new type).
          { parent: this },
        );
      }
    }

    ({
      bus: this.bus,
      archive: this.archive,
      replayRuleArn: this.replayRuleArn,
    } = this.createArchivePath(archiveRetentionDays, args, bus, replayTargets));
    ({ topic: this.fifoTopic, queue: this.processingQueue } = this.createOrderedPath());

    this.outputs = {
      ordersTopicArn: this.topic.arn,
      ordersFifoTopicArn: this.fifoTopic.arn,
      ordersBusName: this.bus.busName,
      ordersBusArn: this.bus.arn,
      ordersArchiveArn: this.archive.arn,
      ordersReplayRuleArn: this.replayRuleArn,
      orderProcessingQueueUrl: this.processingQueue.url,
    };
    this.dashboard = new ServiceDashboard(
      `${name}-dashboard`,
      {
        functions: Object.values(this.functions),
        queues: Object.values(this.queues),
        tables: Object.values(this.tables),
        topics: this.topics,
      },
      { parent: this },
    );
    this.registerOutputs(this.outputs);
  }

  /** Every order event, copied onto a dedicated bus whose archive keeps it for replay. */
  private createArchivePath(
    retentionDays: number,
    args: OrdersFanOutArgs,
    notificationBus: OrdersFanOutArgs["notificationBus"],
    replayTargets: readonly ReplayTargetSpec[],
  ) {
    const { name } = this;
    const kms = this.settings.kmsKeyArn;
    const bus = new EventBus(
      `${name}-bus`,
      {
        description: "Switchyard order events (archived for replay)",
        ...(kms ? { kmsKeyArn: kms } : {}),
        movedFrom: this,
      },
      { parent: this },
    );
    const archive = new aws.cloudwatch.EventArchive(
      `${name}-archive`,
      {
        eventSourceArn: bus.arn,
        retentionDays,
        description: `Order events from ${ORDERS_EVENT_SOURCE}, kept ${retentionDays} days for replay`,
        eventPattern: JSON.stringify({ source: [ORDERS_EVENT_SOURCE] }),
        ...(kms ? { kmsKeyIdentifier: kms } : {}),
      },
      { parent: this },
    );
    const queue = this.createQueue("archive", {});
    // Every event on order-events is live: replays never come back through it (see below).
    new TopicQueueSubscription(`${name}-archive`, { topic: this.topic, queue }, { parent: this });
    const archiver = this.createFunction("archiver", INTERNAL_HANDLERS.archiver, 30, {
      reads: FUNCTION_ENV.archiver,
      links: [
        link(LINK_ENV.ordersBus, { ORDERS_BUS_NAME: bus.busName }, (fn) => bus.grantPut(fn)),
        this.resourceLink("idempotencyTable", args, notificationBus, "archiver"),
      ],
    });
    // Only the archiver may put events on the orders bus: whatever reaches it is archived and would be applied
    // as a real order on replay. A Deny for every other principal binds this account's IAM users and roles too.
    new aws.cloudwatch.EventBusPolicy(
      `${name}-bus-policy`,
      {
        eventBusName: bus.busName,
        policy: pulumi.all([bus.arn, archiver.role.arn]).apply(([busArn, roleArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "OnlyTheArchiver",
                Effect: "Deny",
                Principal: "*",
                Action: "events:PutEvents",
                Resource: busArn,
                Condition: { ArnNotEquals: { "aws:PrincipalArn": roleArn } },
              },
            ],
          }),
        ),
      },
      { parent: this },
    );
    this.consume("archiver", queue, archiver);

    // `aws events start-replay` puts archived events back on the bus with a replay-name (set by EventBridge,
    // which a publisher cannot forge); the replay rule hands them to the republisher, which sends them straight
    // to the queues of the subscribers that take replays (idempotent ones), never back to order-events.
    const replayQueue = this.createQueue("replay", {});
    const replay = new EventRuleQueueTarget(
      `${name}-replay`,
      {
        bus: bus.ref,
        queue: replayQueue,
        pattern: { source: [ORDERS_EVENT_SOURCE], "replay-name": [{ exists: true }] },
        description: "Archive replays of order events, handed to the idempotent subscribers' queues",
      },
      { parent: this },
    );
    const targets = pulumi.jsonStringify(
      replayTargets.map((target) => ({
        name: target.name,
        queueUrl: target.queue.url,
        ...(target.filterPolicy ? { filterPolicy: target.filterPolicy } : {}),
      })),
    );
    const republisher = this.createFunction("republisher", INTERNAL_HANDLERS.republisher, 30, {
      reads: FUNCTION_ENV.republisher,
      links: [
        link(LINK_ENV.replayTargets, { REPLAY_TARGETS: targets }, (fn) => {
          if (replayTargets.length === 0) return;
          fn.grant({
            actions: ["sqs:SendMessage"],
            resources: replayTargets.map((target) => target.queue.arn),
          });
          if (kms) fn.grant(keyGrant(kms, ["kms:Decrypt", "kms:GenerateDataKey"], "sqs"));
        }),
      ],
    });
    this.consume("republisher", replayQueue, republisher);
    return { bus, archive, replayRuleArn: replay.rule.arn };
  }

  /** FIFO topic -> FIFO queue; one message group per customer, deduplicated by `<orderId>-<version>`. */
  private createOrderedPath() {
    const { name } = this;
    const topic = this.createTopic("ordered", {
      fifo: true,
      // Publishers set explicit deduplication ids; the content hash only covers a publisher that forgets.
      contentBasedDeduplication: true,
      fifoThroughputScope: "MessageGroup",
      displayName: "Switchyard ordered order events",
    });
    const queue = this.createQueue("order-processing", {
      fifo: true,
      contentBasedDeduplication: true,
      deduplicationScope: "messageGroup",
      fifoThroughputLimit: "perMessageGroupId",
    });
    new TopicQueueSubscription(`${name}-order-processing`, { topic, queue }, { parent: this });
    const table = this.createTable("order-state", "orderId", undefined, false);
    this.tables.orderState = table;
    const fn = this.createFunction("order-processing", INTERNAL_HANDLERS.orderProcessing, 30, {
      reads: FUNCTION_ENV.orderProcessing,
      links: [
        link(LINK_ENV.orderStateTable, { ORDER_STATE_TABLE: table.tableName }, (f) =>
          table.grant(f, ["dynamodb:GetItem", "dynamodb:PutItem"]),
        ),
      ],
    });
    this.consume("order-processing", queue, fn);
    return { topic, queue };
  }

  private createTopic(suffix: string, args: ConstructorParameters<typeof Topic>[1]): Topic {
    const kms = this.settings.kmsKeyArn;
    const topic = new Topic(
      `${this.name}-${suffix}`,
      { ...args, ...(kms ? { kmsKeyArn: kms } : {}), alarmTopicArn: this.settings.alarmTopicArn },
      { parent: this },
    );
    this.topics.push(topic);
    return topic;
  }

  private createQueue(
    suffix: string,
    fifo: Partial<ConstructorParameters<typeof ReliableQueue>[1]>,
  ): ReliableQueue {
    const queue = new ReliableQueue(
      `${this.name}-${suffix}`,
      { ...queueDefaults(this.settings), ...fifo },
      { parent: this },
    );
    this.queues[suffix] = queue;
    return queue;
  }

  private createFunction(
    suffix: string,
    entry: string,
    timeout: number,
    wiring: {
      environment?: Record<string, pulumi.Input<string>>;
      links: Link[];
      reads?: NonNullable<OrderSubscriber["reads"]>;
    },
  ): NodeFunction {
    const fn = new NodeFunction(
      `${this.name}-${suffix}`,
      {
        ...functionDefaults(this.settings),
        entry,
        timeout,
        environment: { POWERTOOLS_METRICS_NAMESPACE: "Switchyard/Orders", ...wiring.environment },
        links: wiring.links,
        ...(wiring.reads ? { reads: wiring.reads } : {}),
        serviceName: `orders-${suffix}`,
      },
      { parent: this },
    );
    this.functions[suffix] = fn;
    return fn;
  }

  private consume(suffix: string, queue: ReliableQueue, fn: NodeFunction): void {
    new QueueConsumer(
      `${this.name}-${suffix}`,
      {
        queue,
        function: fn,
        batchSize: 10,
        maximumConcurrency: this.settings.maximumConcurrency,
      },
      { parent: this },
    );
  }

  private createTable(
    suffix: string,
    hashKey: string,
    rangeKey: string | undefined,
    ttl: boolean,
    ttlAttribute = "expiresAt",
  ): Table {
    return new Table(
      `${this.name}-${suffix}`,
      {
        ...tableDefaults(this.settings),
        hashKey,
        ...(rangeKey ? { rangeKey } : {}),
        // Idempotency markers expire; counters and stock carry no expiresAt and stay.
        ...(ttl ? { ttlAttribute } : {}),
        movedFrom: this,
      },
      { parent: this },
    );
  }

  /** A resource a subscriber `uses`, linked: its variable (`LINK_ENV`) and its exact grant. */
  private resourceLink(
    resource: OrdersResource,
    args: OrdersFanOutArgs,
    bus: OrdersFanOutArgs["notificationBus"],
    functionSuffix: string,
  ): Link {
    // applyOnce: a conditional Put of the marker and Updates in one TransactWriteItems, bounded to the item families
    // the handler writes (TABLE_KEY_PREFIXES).
    const counters = (table: Table, key: "inventoryTable" | "analyticsTable") => (fn: NodeFunction) =>
      table.grant(fn, ["dynamodb:PutItem", "dynamodb:UpdateItem"], {
        leadingKeyPrefixes: TABLE_KEY_PREFIXES[key],
      });
    switch (resource) {
      case "inventoryTable": {
        const table = this.tables.inventory as Table;
        return link(LINK_ENV.inventoryTable, { INVENTORY_TABLE: table.tableName }, counters(table, resource));
      }
      case "analyticsTable": {
        const table = this.tables.analytics as Table;
        return link(LINK_ENV.analyticsTable, { ANALYTICS_TABLE: table.tableName }, counters(table, resource));
      }
      case "notificationBus":
        if (!bus)
          throw new OrdersError("unreachable: resolveSubscribers refuses the bus without notifications");
        return link(LINK_ENV.notificationBus, { NOTIFICATION_BUS_NAME: bus.name }, (fn) =>
          grantPutEvents(fn, bus),
        );
      case "idempotencyTable": {
        // Powertools idempotency: get, conditional put, update to COMPLETED, delete on failure; only the records
        // under the function's own key prefix (its name in the component).
        const table = this.tables.idempotency as Table;
        return link(
          LINK_ENV.idempotencyTable,
          { IDEMPOTENCY_TABLE: table.tableName, IDEMPOTENCY_KEY_PREFIX: functionSuffix },
          (fn) =>
            table.grant(
              fn,
              ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
              { leadingKeyPrefixes: [`${functionSuffix}#`] },
            ),
        );
      }
      case "alarmTopic":
        return link(LINK_ENV.alarmTopic, { ALARM_TOPIC_ARN: args.alarmTopicArn }, (fn) => {
          fn.grant({ actions: ["sns:Publish"], resources: [args.alarmTopicArn] });
          fn.grant(keyGrant(args.alarmTopicKmsKeyArn, ["kms:Decrypt", "kms:GenerateDataKey"], "sns"));
        });
    }
  }
}

/** Defaults merged with the caller's subscribers, each checked. */
function resolveSubscribers(
  check: ArgChecker,
  name: string,
  threshold: number,
  given: Record<string, OrderSubscriber | false>,
  hasNotificationBus: boolean,
): Record<string, OrderSubscriber> {
  const defaults = defaultOrderSubscribers(threshold);
  // Customer notifications go through the notifications service's bus: without that service, none are sent.
  if (!hasNotificationBus) delete defaults["customer-notifications"];
  const merged: Record<string, OrderSubscriber | false> = { ...defaults, ...given };
  const result: Record<string, OrderSubscriber> = {};
  for (const [subscriberName, subscriber] of Object.entries(merged)) {
    if (subscriber === false) continue;
    const arg = `subscribers.${subscriberName}`;
    if (!/^[a-z][a-z0-9-]*$/.test(subscriberName)) {
      check.fail(arg, `must be named in lower-case kebab (got ${JSON.stringify(subscriberName)})`);
    }
    if (RESERVED_SUBSCRIBER_NAMES.includes(subscriberName)) {
      check.fail(
        arg,
        `must not use a name the component reserves (${RESERVED_SUBSCRIBER_NAMES.join(", ")}) (got ${subscriberName})`,
      );
    }
    if (`${name}-${subscriberName}`.length > 40) {
      check.fail(
        arg,
        `must be named so "${name}-<name>" is at most 40 characters (got ${name}-${subscriberName})`,
      );
    }
    check.oneOf(`${arg}.delivery`, subscriber.delivery, ["queue", "function"], "queue");
    for (const resource of subscriber.uses ?? []) {
      if (!RESOURCES.includes(resource)) {
        check.fail(`${arg}.uses`, `must hold only ${RESOURCES.join(", ")} (got ${String(resource)})`);
      }
      if (resource === "notificationBus" && !hasNotificationBus) {
        check.fail(
          `${arg}.uses`,
          "must not hold notificationBus when no notificationBus is given (the notifications service is not deployed) (got notificationBus)",
        );
      }
    }
    check.int(`${arg}.timeout`, subscriber.timeout, 1, 900, 30);
    if (subscriber.replays && subscriber.delivery === "function") {
      check.fail(
        `${arg}.replays`,
        "must be false for function delivery: replays are handed to queues (got true)",
      );
    }
    if (subscriber.filterPolicy !== undefined) {
      const problems = validateFilterPolicy(subscriber.filterPolicy, "MessageAttributes");
      if (problems.length > 0) {
        check.fail(
          `${arg}.filterPolicy`,
          `is not a policy SNS accepts: ${problems.join(" ")} (got ${brief(subscriber.filterPolicy)})`,
        );
      }
    }
    result[subscriberName] = subscriber;
  }
  if (Object.keys(result).length === 0)
    check.fail("subscribers", "must leave at least one subscriber (got none)");
  return result;
}
