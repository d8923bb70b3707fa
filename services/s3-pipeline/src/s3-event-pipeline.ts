import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ArgChecker,
  AWS_MANAGED_SNS_KEY,
  type BucketNotificationRule,
  BucketNotifications,
  EncryptionKey,
  functionDefaults,
  grantPutEvents,
  link,
  NodeFunction,
  type PlatformArgs,
  type PlatformSettings,
  PrivateBucket,
  platformSettings,
  QueueConsumer,
  queueDefaults,
  ReliableQueue,
  ServiceDashboard,
  type ServicePrincipal,
  Table,
  Topic,
  TopicQueueSubscription,
  tableDefaults,
} from "@switchyard/infra-kit";
import { type LifecycleRule, type S3PipelineConfig, s3PipelineConfigSchema } from "./config";
import { RENDITIONS_PREFIX, TABLE } from "./constants";
import { FUNCTION_ENV, LINK_ENV } from "./env";
import { S3PipelineArgsError } from "./errors";

const handlerEntry = (file: string) => fileURLToPath(new URL(`./handlers/${file}.ts`, import.meta.url));

/** Native packages the renditions function ships for Lambda arm64 (esbuild cannot bundle sharp's addon). */
export const SHARP_NODE_MODULES = ["sharp", "@img/sharp-linux-arm64", "@img/sharp-libvips-linux-arm64"];

/**
 * The platform (alarm topic, key, logs, memory, concurrency, queues, tables, tracing: see `PlatformArgs`) and the
 * pipeline's own settings. With `kmsKeyArn`, `kmsKeyServices` must include s3.amazonaws.com and sns.amazonaws.com
 * (S3 publishes to the topics, SNS delivers to the queues); without it the pipeline creates its own key for the
 * topics (allowing S3) and the queues use SSE-SQS.
 */
export interface S3EventPipelineArgs extends PlatformArgs {
  /**
   * Versioning of the uploads bucket (prod: on). With it, the catalog holds one record per version.
   * @default false
   */
  versioning?: boolean;
  /**
   * The notifications event bus. With `notificationCallbackUrl`, the renditions function (only it) may put events
   * on it and notifies uploaders named in the object's `user-id` metadata.
   * @default undefined (no notifications)
   */
  notificationBus?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /**
   * Rendition widths in pixels (the config's `renditionWidths`).
   * @default [320, 1280]
   */
  renditionWidths?: number[];
  /**
   * Largest image resized, in bytes (the config's `maxImageBytes`); larger ones fail permanently to the DLQ.
   * @default 26214400 (25 MiB)
   */
  maxImageBytes?: number;
  /**
   * Only keys under this prefix reach the pipeline ("" for every key).
   * @default "uploads/"
   */
  filterPrefix?: string;
  /**
   * Only keys ending with this reach the pipeline.
   * @default undefined (any ending)
   */
  filterSuffix?: string;
  /**
   * Lifecycle rules of the uploads bucket.
   * @default []
   */
  lifecycleRules?: LifecycleRule[];
  /**
   * Where the uploader acts on a "renditions ready" notification (https; `?key=<object key>` is added).
   * @default undefined (no notifications)
   */
  notificationCallbackUrl?: string;
  /**
   * More notification rules for the uploads bucket (other destinations). S3 keeps one notification configuration
   * per bucket and this component owns it, so every rule is merged into it; overlapping rules are refused.
   * @default []
   */
  extraNotificationRules?: BucketNotificationRule[];
}

/**
 * Uploads bucket -> S3 notifications -> created/deleted topics -> renditions, catalog and cleanup queues ->
 * their functions; a renditions bucket and a catalog table.
 */
export class S3EventPipeline extends pulumi.ComponentResource {
  static readonly type = "switchyard:s3-pipeline:S3EventPipeline";
  /** The type token before the module took the service's one name; the component carries an alias to it. */
  static readonly previousType = "switchyard:s3-pipeline:S3EventPipeline";
  readonly uploadsBucket: PrivateBucket;
  readonly renditionsBucket: PrivateBucket;
  readonly table: Table;
  readonly dashboard: ServiceDashboard;
  readonly topicKey: EncryptionKey | undefined;
  readonly createdTopic: Topic;
  readonly deletedTopic: Topic;
  readonly queues: { renditions: ReliableQueue; catalog: ReliableQueue; cleanup: ReliableQueue };
  readonly functions: { renditions: NodeFunction; catalog: NodeFunction; cleanup: NodeFunction };
  readonly notifications: BucketNotifications;
  readonly uploadsBucketName: pulumi.Output<string>;
  readonly renditionsBucketName: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  /** The validated settings the pipeline runs with. */
  readonly settings: S3PipelineConfig;
  private readonly instance: string;

  constructor(name: string, args: S3EventPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      S3EventPipeline.type,
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: S3EventPipeline.previousType }],
      },
    );
    this.instance = name;
    const valid = this.validate(args);
    this.settings = valid.settings;

    const platform = valid.platform;
    this.uploadsBucket = this.createBucket("uploads", platform.deletionProtection);
    this.renditionsBucket = this.createBucket("renditions", platform.deletionProtection);
    this.configureUploads(args.versioning ?? false, valid.settings.lifecycleRules);
    this.table = this.createTable(platform);

    this.topicKey = args.kmsKeyArn
      ? undefined
      : new EncryptionKey(
          `${name}-events-key`,
          {
            services: ["s3.amazonaws.com"],
            description: `Switchyard ${name}: S3 event notification topics`,
          },
          { parent: this },
        );
    const topicKeyArn = args.kmsKeyArn ?? (this.topicKey as EncryptionKey).arn;
    const topicArgs = { kmsKeyArn: topicKeyArn, alarmTopicArn: platform.alarmTopicArn };
    this.createdTopic = new Topic(`${name}-created`, topicArgs, { parent: this });
    this.deletedTopic = new Topic(`${name}-deleted`, topicArgs, { parent: this });

    const queue = (role: string) =>
      new ReliableQueue(`${name}-${role}`, queueDefaults(platform), { parent: this });
    this.queues = { renditions: queue("renditions"), catalog: queue("catalog"), cleanup: queue("cleanup") };
    // Raw delivery, stated here because the consumers depend on it: they read the body as S3's event and refuse any
    // body shaped like an SNS envelope as forged (src/workflows/s3-records.ts).
    const raw = { rawMessageDelivery: true };
    new TopicQueueSubscription(
      `${name}-renditions`,
      { topic: this.createdTopic, queue: this.queues.renditions, ...raw },
      { parent: this },
    );
    new TopicQueueSubscription(
      `${name}-catalog`,
      { topic: this.createdTopic, queue: this.queues.catalog, ...raw },
      { parent: this },
    );
    new TopicQueueSubscription(
      `${name}-cleanup`,
      { topic: this.deletedTopic, queue: this.queues.cleanup, ...raw },
      { parent: this },
    );

    const filters = {
      ...(valid.settings.filterPrefix ? { filterPrefix: valid.settings.filterPrefix } : {}),
      ...(valid.settings.filterSuffix ? { filterSuffix: valid.settings.filterSuffix } : {}),
    };
    this.notifications = new BucketNotifications(
      `${name}-uploads`,
      {
        bucket: this.uploadsBucket.bucket,
        rules: [
          { events: ["s3:ObjectCreated:*"], topic: this.createdTopic, ...filters },
          { events: ["s3:ObjectRemoved:*"], topic: this.deletedTopic, ...filters },
          ...(args.extraNotificationRules ?? []),
        ],
      },
      { parent: this },
    );

    this.functions = this.createFunctions(args, valid);
    for (const role of ["renditions", "catalog", "cleanup"] as const) {
      new QueueConsumer(
        `${name}-${role}`,
        {
          queue: this.queues[role],
          function: this.functions[role],
          maximumConcurrency: platform.maximumConcurrency,
        },
        { parent: this },
      );
    }
    this.dashboard = new ServiceDashboard(
      `${name}-dashboard`,
      {
        functions: Object.values(this.functions),
        queues: Object.values(this.queues),
        tables: [this.table],
        topics: [this.createdTopic, this.deletedTopic],
      },
      { parent: this },
    );

    this.uploadsBucketName = this.uploadsBucket.bucketName;
    this.renditionsBucketName = this.renditionsBucket.bucketName;
    this.tableName = this.table.tableName;
    this.registerOutputs({
      uploadsBucketName: this.uploadsBucketName,
      renditionsBucketName: this.renditionsBucketName,
      tableName: this.tableName,
      createdTopicArn: this.createdTopic.arn,
      deletedTopicArn: this.deletedTopic.arn,
    });
  }

  private fail(arg: string, detail: string): never {
    throw new S3PipelineArgsError(S3EventPipeline.type, this.instance, arg, detail);
  }

  private validate(args: S3EventPipelineArgs) {
    if (!/^[a-z0-9][a-z0-9-]{0,24}$/.test(this.instance)) {
      this.fail(
        "name",
        `must be 1-25 lower-case letters, digits and hyphens: bucket names are built from it and S3 caps a bucket prefix at 37 characters (got "${this.instance}")`,
      );
    }
    const platform = platformSettings(
      new ArgChecker(S3EventPipeline.type, this.instance, S3PipelineArgsError),
      args,
    );
    if (
      typeof args.kmsKeyArn === "string" &&
      (args.kmsKeyArn === AWS_MANAGED_SNS_KEY ||
        args.kmsKeyArn.endsWith(`:${AWS_MANAGED_SNS_KEY}`) ||
        !args.kmsKeyArn.startsWith("arn:"))
    ) {
      this.fail(
        "kmsKeyArn",
        `must be the ARN of a customer-managed key: S3 cannot publish to topics under ${AWS_MANAGED_SNS_KEY} (got ${args.kmsKeyArn})`,
      );
    }
    if (args.kmsKeyArn !== undefined) {
      const needed: ServicePrincipal[] = ["s3.amazonaws.com", "sns.amazonaws.com"];
      const missing = needed.filter((service) => !(args.kmsKeyServices ?? []).includes(service));
      if (missing.length > 0) {
        this.fail(
          "kmsKeyServices",
          `must include ${needed.join(" and ")}: the key policy of kmsKeyArn must let S3 publish to the topics and SNS deliver to the queues, or their messages are lost silently (got ${JSON.stringify(args.kmsKeyServices ?? null)})`,
        );
      }
    }
    if (args.kmsKeyServices !== undefined && args.kmsKeyArn === undefined) {
      this.fail("kmsKeyServices", `applies only with kmsKeyArn (got ${JSON.stringify(args.kmsKeyServices)})`);
    }
    if (args.notificationCallbackUrl !== undefined && args.notificationBus === undefined) {
      this.fail(
        "notificationCallbackUrl",
        `needs notificationBus to send through (got ${args.notificationCallbackUrl})`,
      );
    }

    const parsed = s3PipelineConfigSchema.safeParse({
      renditionWidths: args.renditionWidths,
      maxImageBytes: args.maxImageBytes,
      filterPrefix: args.filterPrefix,
      filterSuffix: args.filterSuffix,
      lifecycleRules: args.lifecycleRules,
      notificationCallbackUrl: args.notificationCallbackUrl,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const arg = issue?.path.map(String).join(".") || "config";
      const top = issue?.path[0];
      const got = top === undefined ? undefined : (args as unknown as Record<string, unknown>)[String(top)];
      this.fail(arg, `${issue?.message ?? "is invalid"} (got ${JSON.stringify(got)})`);
    }
    return { settings: parsed.data, platform };
  }

  /** A private bucket: public access blocked, owner-enforced, encrypted at rest, TLS-only. */
  private createBucket(role: string, deletionProtection: boolean): PrivateBucket {
    return new PrivateBucket(
      `${this.instance}-${role}`,
      { deletionProtection, movedFrom: this },
      { parent: this },
    );
  }

  private configureUploads(versioning: boolean, rules: readonly LifecycleRule[]): void {
    const bucket = this.uploadsBucket.bucket;
    const versioningConfig = new aws.s3.BucketVersioning(
      `${this.instance}-uploads-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: versioning ? "Enabled" : "Suspended" } },
      { parent: this },
    );
    if (rules.length === 0) return;
    new aws.s3.BucketLifecycleConfiguration(
      `${this.instance}-uploads-lifecycle`,
      {
        bucket: bucket.id,
        rules: rules.map((rule) => ({
          id: rule.id,
          status: "Enabled",
          filter: { prefix: rule.prefix ?? "" },
          ...(rule.expirationDays !== undefined ? { expiration: { days: rule.expirationDays } } : {}),
          ...(rule.noncurrentVersionExpirationDays !== undefined
            ? { noncurrentVersionExpiration: { noncurrentDays: rule.noncurrentVersionExpirationDays } }
            : {}),
          ...(rule.abortIncompleteMultipartUploadDays !== undefined
            ? {
                abortIncompleteMultipartUpload: {
                  daysAfterInitiation: rule.abortIncompleteMultipartUploadDays,
                },
              }
            : {}),
        })),
      },
      // S3 applies lifecycle rules to versions only once versioning is configured.
      { parent: this, dependsOn: [versioningConfig] },
    );
  }

  /** The catalog, under the platform's key when it has one (like every table of the stack). */
  private createTable(platform: PlatformSettings): Table {
    return new Table(
      `${this.instance}-catalog`,
      {
        ...tableDefaults(platform),
        hashKey: TABLE.partitionKey,
        rangeKey: TABLE.sortKey,
        movedFrom: this,
      },
      { parent: this },
    );
  }

  private createFunctions(
    args: S3EventPipelineArgs,
    valid: ReturnType<S3EventPipeline["validate"]>,
  ): S3EventPipeline["functions"] {
    const name = this.instance;
    const uploadsObjects = pulumi.interpolate`${this.uploadsBucket.arn}/*`;
    const renditionObjects = pulumi.interpolate`${this.renditionsBucket.arn}/${RENDITIONS_PREFIX}/*`;
    const widths = valid.settings.renditionWidths.join(",");
    const common = functionDefaults(valid.platform);
    const bus = args.notificationBus;
    const callbackUrl = valid.settings.notificationCallbackUrl;
    // Each resource a function uses, linked: the variable naming it (in the shape the handler parses, src/env.ts)
    // and the exact grant it needs there.
    const links = {
      table: (actions: string[]) =>
        link(LINK_ENV.table, { TABLE_NAME: this.table.tableName }, (fn) => this.table.grant(fn, actions)),
      // Without s3:ListBucket, S3 answers 403 instead of 404 for a missing object, which would be retried as an
      // access problem instead of skipped as "already deleted".
      uploads: link(LINK_ENV.uploads, { UPLOADS_BUCKET: this.uploadsBucket.bucketName }, (fn) => {
        fn.grant({ actions: ["s3:GetObject", "s3:GetObjectVersion"], resources: [uploadsObjects] });
        fn.grant({ actions: ["s3:ListBucket"], resources: [this.uploadsBucket.arn] });
      }),
      renditions: (actions: string[]) =>
        link(LINK_ENV.renditions, { RENDITIONS_BUCKET: this.renditionsBucket.bucketName }, (fn) =>
          fn.grant({ actions, resources: [renditionObjects] }),
        ),
      pathStyle: link(LINK_ENV.pathStyle, { S3_FORCE_PATH_STYLE: "false" }),
      widths: link(LINK_ENV.widths, { RENDITION_WIDTHS: widths }),
    };
    const notifications =
      bus !== undefined && callbackUrl !== undefined
        ? link(
            LINK_ENV.notifications,
            { NOTIFICATION_BUS_NAME: bus.name, NOTIFICATION_CALLBACK_URL: callbackUrl },
            (fn) => grantPutEvents(fn, bus),
          )
        : undefined;

    const renditions = new NodeFunction(
      `${name}-renditions`,
      {
        ...common,
        entry: handlerEntry("renditions"),
        timeout: 120,
        nodeModules: SHARP_NODE_MODULES,
        reads: notifications
          ? { ...FUNCTION_ENV.renditions, ...LINK_ENV.notifications }
          : FUNCTION_ENV.renditions,
        links: [
          links.table(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
          links.uploads,
          links.pathStyle,
          links.renditions(["s3:PutObject", "s3:DeleteObject"]),
          links.widths,
          link(LINK_ENV.maxImageBytes, { MAX_IMAGE_BYTES: String(valid.settings.maxImageBytes) }),
          ...(notifications ? [notifications] : []),
        ],
      },
      { parent: this },
    );
    const catalog = new NodeFunction(
      `${name}-catalog`,
      {
        ...common,
        entry: handlerEntry("catalog"),
        timeout: 120,
        reads: FUNCTION_ENV.catalog,
        links: [
          // GetItem: the sequencer gate reads the recorded event when S3 may disagree with it.
          links.table(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
          links.uploads,
          links.pathStyle,
        ],
      },
      { parent: this },
    );
    const cleanup = new NodeFunction(
      `${name}-cleanup`,
      {
        ...common,
        entry: handlerEntry("cleanup"),
        timeout: 30,
        reads: FUNCTION_ENV.cleanup,
        links: [
          links.table(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]),
          // Read the uploads bucket: a removal is acted on only once S3 confirms the object (version) is gone.
          links.uploads,
          links.pathStyle,
          links.renditions(["s3:DeleteObject"]),
          links.widths,
        ],
      },
      { parent: this },
    );
    return { renditions, catalog, cleanup };
  }
}
