import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarm";
import type { NodeFunction } from "./node-function";
import { keyGrant, leadingKeys, leadingKeysNot } from "./policy";
import { applyTransform, childOptions, type Transform } from "./transform";
import { ArgChecker } from "./validate";

/** KMS actions a caller of a table under a customer-managed key needs, through DynamoDB only. */
export const TABLE_KEY_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
] as const;

/** A global secondary index: its keys (strings) and what it projects. */
export interface TableIndex {
  /** Index name. */
  name: string;
  /** Partition key attribute of the index (a string). */
  hashKey: string;
  /** Sort key attribute of the index (a string). @default undefined */
  rangeKey?: string;
  /** @default "ALL" */
  projectionType?: "ALL" | "KEYS_ONLY" | "INCLUDE";
  /** Attributes projected with `INCLUDE`. @default [] */
  nonKeyAttributes?: string[];
}

export interface TableArgs {
  /** The ops topic of the table's read and write throttle alarms. */
  alarmTopicArn: pulumi.Input<string>;
  /** Partition key attribute (a string). */
  hashKey: string;
  /** Sort key attribute (a string). @default undefined (no sort key) */
  rangeKey?: string;
  /** Global secondary indexes (on-demand, string keys). @default [] */
  indexes?: TableIndex[];
  /** Attribute DynamoDB deletes items by (epoch seconds). @default undefined (no TTL) */
  ttlAttribute?: string;
  /**
   * A customer-managed KMS key ARN. Functions granted access through `grant()` also get the key, usable through
   * DynamoDB only.
   * @default undefined (the AWS-owned key)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /** Deletion protection. @default true */
  deletionProtection?: boolean;
  /** Point-in-time recovery. @default true */
  pointInTimeRecovery?: boolean;
  /**
   * The component that declared these resources before they moved into this one (same logical names): each
   * resource gets an alias to its old parent, so an existing stack updates in place instead of replacing it.
   * @default undefined
   */
  movedFrom?: pulumi.Resource;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    table?: Transform<aws.dynamodb.TableArgs>;
    readThrottleAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    writeThrottleAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/** Options of `Table.grant()`. */
export interface TableGrantOptions {
  /**
   * Partition-key prefixes the function may touch (`dynamodb:LeadingKeys`); e.g. `["inbox#"]`.
   * @default undefined (any item)
   */
  leadingKeyPrefixes?: readonly string[];
  /**
   * Partition-key prefixes the function may not touch (`dynamodb:LeadingKeys`, `StringNotLike`), for items whose own
   * keys have no prefix (an id chosen by another service); e.g. `["inbox#"]` keeps connection handlers off the inbox.
   * @default undefined (any item)
   */
  excludedKeyPrefixes?: readonly string[];
  /** Index names the actions apply to (`<table>/index/<name>`) instead of the table. @default undefined */
  indexes?: readonly string[];
}

/**
 * An on-demand DynamoDB table with the one encryption rule of the stack (a customer-managed key when the platform
 * has one, the AWS-owned key otherwise), deletion protection and point-in-time recovery from the platform, and
 * alarms on read and write throttling. `grant()` gives a function exact actions on it (optionally bounded to
 * partition-key prefixes) plus the key, through DynamoDB only.
 */
export class Table extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:Table";
  readonly table: aws.dynamodb.Table;
  readonly arn: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Input<string> | undefined;
  readonly readThrottleAlarm: aws.cloudwatch.MetricAlarm;
  readonly writeThrottleAlarm: aws.cloudwatch.MetricAlarm;
  private readonly keyGranted = new Set<NodeFunction>();
  private readonly indexNames: readonly string[];
  private readonly check: ArgChecker;

  constructor(name: string, args: TableArgs, opts?: pulumi.ComponentResourceOptions) {
    super(Table.type, name, {}, opts);
    const check = new ArgChecker(Table.type, name);
    this.check = check;
    if (args.alarmTopicArn === undefined) check.fail("alarmTopicArn", "is required (got undefined)");
    const hashKey = check.nonEmpty("hashKey", args.hashKey);
    const indexes = args.indexes ?? [];
    this.indexNames = indexes.map((index) => index.name);
    const attributes = [
      ...new Set([
        hashKey,
        ...(args.rangeKey ? [args.rangeKey] : []),
        ...indexes.flatMap((index) => [index.hashKey, ...(index.rangeKey ? [index.rangeKey] : [])]),
      ]),
    ];
    this.kmsKeyArn = args.kmsKeyArn;

    this.table = new aws.dynamodb.Table(
      ...applyTransform(
        args.transform?.table,
        name,
        {
          billingMode: "PAY_PER_REQUEST",
          hashKey,
          ...(args.rangeKey ? { rangeKey: args.rangeKey } : {}),
          attributes: attributes.map((attribute) => ({ name: attribute, type: "S" })),
          ...(indexes.length > 0
            ? {
                globalSecondaryIndexes: indexes.map((index) => ({
                  name: index.name,
                  keySchemas: [
                    { attributeName: index.hashKey, keyType: "HASH" },
                    ...(index.rangeKey ? [{ attributeName: index.rangeKey, keyType: "RANGE" }] : []),
                  ],
                  projectionType: index.projectionType ?? "ALL",
                  ...(index.nonKeyAttributes ? { nonKeyAttributes: index.nonKeyAttributes } : {}),
                })),
              }
            : {}),
          ...(args.ttlAttribute ? { ttl: { attributeName: args.ttlAttribute, enabled: true } } : {}),
          deletionProtectionEnabled: args.deletionProtection ?? true,
          pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
          serverSideEncryption: args.kmsKeyArn
            ? { enabled: true, kmsKeyArn: args.kmsKeyArn }
            : { enabled: false },
        },
        childOptions(this, args.movedFrom),
      ),
    );
    const throttleAlarm = (kind: "Read" | "Write") =>
      metricAlarm(
        `${name}-${kind.toLowerCase()}-throttle-alarm`,
        {
          alarmTopicArn: args.alarmTopicArn,
          alarmDescription: `${name}: DynamoDB throttled ${kind.toLowerCase()}s (on-demand peak above twice the previous peak, or a hot partition); callers retry, then fail.`,
          namespace: "AWS/DynamoDB",
          metricName: `${kind}ThrottleEvents`,
          dimensions: { TableName: this.table.name },
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
        },
        childOptions(this, args.movedFrom),
        kind === "Read" ? args.transform?.readThrottleAlarm : args.transform?.writeThrottleAlarm,
      );
    this.readThrottleAlarm = throttleAlarm("Read");
    this.writeThrottleAlarm = throttleAlarm("Write");
    this.arn = this.table.arn;
    this.tableName = this.table.name;
    this.registerOutputs({ arn: this.arn, name: this.tableName });
  }

  /** ARN of one of the table's indexes. */
  indexArn(index: string): pulumi.Output<string> {
    if (!this.indexNames.includes(index))
      this.check.fail("indexes", `has no index ${index} (got ${this.indexNames.join(", ") || "none"})`);
    return pulumi.interpolate`${this.table.arn}/index/${index}`;
  }

  /** Gives `fn` exact actions on the table (or its indexes), and its key through DynamoDB only. */
  grant(fn: NodeFunction, actions: string[], options: TableGrantOptions = {}): void {
    const resources = options.indexes ? options.indexes.map((index) => this.indexArn(index)) : [this.arn];
    fn.grant({
      actions,
      resources,
      ...(options.leadingKeyPrefixes || options.excludedKeyPrefixes
        ? {
            conditions: {
              ...(options.leadingKeyPrefixes ? leadingKeys(options.leadingKeyPrefixes) : {}),
              ...(options.excludedKeyPrefixes ? leadingKeysNot(options.excludedKeyPrefixes) : {}),
            },
          }
        : {}),
    });
    if (this.kmsKeyArn !== undefined && !this.keyGranted.has(fn)) {
      this.keyGranted.add(fn);
      // What DynamoDB does with the table's key on the caller's behalf (docs/aws-reference.md §7).
      fn.grant(keyGrant(this.kmsKeyArn, [...TABLE_KEY_ACTIONS], "dynamodb"));
    }
  }
}
