import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarm";
import { type Bundle, type BundleOptions, bundleHandler } from "./bundle";
import { LAMBDA, LAMBDA_NODE_RUNTIME, LOG_RETENTION_DAYS, type LogRetentionDays } from "./constants";
import { BundleError } from "./errors";
import { LateList } from "./late";
import { type EnvShape, type Link, linkProblems } from "./link";
import {
  describeGrant,
  type Grant,
  grantProblems,
  grantStatements,
  renderPolicy,
  XRAY_ACTIONS,
} from "./policy";
import { applyTransform, type Transform } from "./transform";
import { ArgChecker } from "./validate";

export interface NodeFunctionArgs {
  /** Path of the handler's TypeScript entry file (absolute, or relative to the working directory). */
  entry: string;
  /**
   * Name of the exported handler function in `entry`.
   * @default "handler"
   */
  handler?: string;
  /**
   * Function timeout in seconds (1 to 900).
   * @default 10
   */
  timeout?: number;
  /**
   * Memory in MB (128 to 10240).
   * @default 256
   */
  memorySize?: number;
  /**
   * Environment variables. `POWERTOOLS_SERVICE_NAME` and `NODE_OPTIONS=--enable-source-maps` are set unless given.
   * @default {}
   */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * What the function may do: exact actions on exact ARNs. More can be added later with `grant()`.
   * @default []
   */
  grants?: Grant[];
  /**
   * Resources linked to the function (`link()`): each sets its environment variables and applies its exact grant,
   * so a variable's name is written once, in the shape the handler parses.
   * @default []
   */
  links?: readonly Link[];
  /**
   * The handler's whole environment shape (the zod shape it parses); given, the links must set exactly its
   * variables (besides `environment`), so a handler never reads a variable no link sets.
   * @default undefined (not checked)
   */
  reads?: EnvShape;
  /**
   * Days CloudWatch keeps the function's logs; one of the values CloudWatch accepts.
   * @default 14
   */
  logRetentionDays?: LogRetentionDays;
  /**
   * Reserved concurrency; undefined leaves the function on the account's unreserved pool.
   * @default undefined
   */
  reservedConcurrency?: number;
  /**
   * Instruction set.
   * @default "arm64"
   */
  architecture?: "arm64" | "x86_64";
  /**
   * Modules left out of the bundle.
   * @default []
   */
  external?: string[];
  /**
   * Packages shipped as files in the archive under `node_modules/<package>/` instead of being bundled, for native
   * addons esbuild cannot bundle (e.g. `["sharp"]`). Each is marked external and shipped with its dependency
   * closure, resolved from `entry` (then from the other listed packages), keeping only the builds for Linux (glibc)
   * and this function's `architecture`. A listed package built for another platform (an x64 build for an arm64
   * function) is refused. Files are added sorted, as file assets, so the archive is deterministic.
   * @default []
   */
  nodeModules?: string[];
  /**
   * Minify the bundle (source maps are always produced).
   * @default true
   */
  minify?: boolean;
  /**
   * Service name for Powertools logs and metrics.
   * @default the component's name
   */
  serviceName?: string;
  /**
   * A customer-managed KMS key for the log group.
   * @default undefined (CloudWatch Logs' own encryption)
   */
  logKmsKeyArn?: pulumi.Input<string>;
  /**
   * The ops topic of the function's `Errors` and `Throttles` alarms. Every function of a stack should have one
   * (the stack invariants check it); leave it out only in tests and throwaway code.
   * @default undefined (no alarms)
   */
  alarmTopicArn?: pulumi.Input<string>;
  /**
   * AWS X-Ray active tracing (`tracingConfig.mode = "Active"`), with the grant to send traces. The X-Ray actions
   * have no resource-level permissions, so that grant is the one `Resource: "*"` statement a role may hold.
   * @default false
   */
  tracing?: boolean;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    function?: Transform<aws.lambda.FunctionArgs>;
    role?: Transform<aws.iam.RoleArgs>;
    policy?: Transform<aws.iam.RolePolicyArgs>;
    logGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
    errorsAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    throttlesAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * A Lambda function bundled from TypeScript when the program runs, with its own role that holds
 * only the grants it is given, and its own log group with a set retention.
 */
export class NodeFunction extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:NodeFunction";
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** `Errors` >= 1 in 5 minutes (crash, timeout, unhandled rejection); with `alarmTopicArn`. */
  readonly errorsAlarm: aws.cloudwatch.MetricAlarm | undefined;
  /** `Throttles` >= 1 in 5 minutes (concurrency exhausted); with `alarmTopicArn`. */
  readonly throttlesAlarm: aws.cloudwatch.MetricAlarm | undefined;
  readonly tracing: boolean;
  readonly arn: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  /** Timeout in seconds, as deployed. */
  readonly timeout: number;
  readonly reservedConcurrency: number | undefined;
  readonly bundle: Bundle;
  /** The deployed archive: the bundle's files, then the `nodeModules` files. */
  readonly code: pulumi.asset.AssetArchive;
  private readonly grants: LateList<Grant>;
  private readonly env: LateList<[string, pulumi.Input<string>]>;
  private readonly check: ArgChecker;

  constructor(name: string, args: NodeFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NodeFunction.type, name, {}, opts);
    const check = new ArgChecker(NodeFunction.type, name);
    this.check = check;
    const entry = resolveEntry(check, args.entry);
    const handler = args.handler ?? "handler";
    if (!/^[A-Za-z_$][\w$]*$/.test(handler))
      check.fail("handler", `must be an exported identifier (got "${handler}")`);
    this.timeout = check.int("timeout", args.timeout, 1, LAMBDA.maxTimeoutSeconds, 10);
    const memorySize = check.int("memorySize", args.memorySize, LAMBDA.minMemoryMb, LAMBDA.maxMemoryMb, 256);
    const retention = check.oneOf("logRetentionDays", args.logRetentionDays, LOG_RETENTION_DAYS, 14);
    this.reservedConcurrency = check.int("reservedConcurrency", args.reservedConcurrency, 0, 10_000);
    const architecture = check.oneOf("architecture", args.architecture, ["arm64", "x86_64"], "arm64");
    if (args.tracing !== undefined && typeof args.tracing !== "boolean")
      check.fail("tracing", `must be true or false (got ${JSON.stringify(args.tracing)})`);
    this.tracing = args.tracing ?? false;
    for (const [index, grant] of (args.grants ?? []).entries()) {
      const problems = grantProblems(grant);
      if (problems.length > 0)
        check.fail(`grants[${index}]`, `${problems.join("; ")} (got ${describeGrant(grant)})`);
    }

    const nodeModules = args.nodeModules ?? [];
    for (const [index, module] of nodeModules.entries()) {
      if (typeof module !== "string" || !/^(@[a-z0-9._~-]+\/)?[a-z0-9._~-]+$/.test(module)) {
        check.fail(
          `nodeModules[${index}]`,
          `must be a package name such as sharp (got ${JSON.stringify(module)})`,
        );
      }
    }
    this.bundle = bundle(check, {
      entry,
      external: args.external ?? [],
      minify: args.minify ?? true,
      ...(nodeModules.length > 0 ? { nodeModules, architecture } : {}),
    });
    if (!this.bundle.exports.includes(handler)) {
      // Lambda would only find out at the first invocation (Runtime.HandlerNotFound).
      check.fail(
        "handler",
        `must be exported by ${entry} (got "${handler}"; exports: ${this.bundle.exports.join(", ") || "none"})`,
      );
    }

    this.grants = new LateList(`${NodeFunction.type} "${name}" grants`, [
      ...(args.grants ?? []),
      // X-Ray's PutTraceSegments and PutTelemetryRecords accept only Resource "*" (service authorization reference).
      ...(this.tracing ? [{ actions: [...XRAY_ACTIONS], resources: ["*"] }] : []),
    ]);
    const links = args.links ?? [];
    const readsBesides =
      args.reads === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(args.reads).filter(([key]) => !(key in (args.environment ?? {}))),
          );
    const linkIssues = linkProblems(links, readsBesides);
    if (linkIssues.length > 0) check.fail("links", `do not match the handler: ${linkIssues.join("; ")}`);
    const environment: Record<string, pulumi.Input<string>> = {
      POWERTOOLS_SERVICE_NAME: args.serviceName ?? name,
      NODE_OPTIONS: "--enable-source-maps",
      ...args.environment,
    };
    for (const { values } of links) {
      for (const [key, value] of Object.entries(values)) {
        if (key in environment) check.fail("links", `must not set ${key}, which environment already sets`);
        environment[key] = value;
      }
    }
    this.env = new LateList(`${NodeFunction.type} "${name}" environment`, Object.entries(environment));

    this.logGroup = new aws.cloudwatch.LogGroup(
      ...applyTransform(
        args.transform?.logGroup,
        `${name}-logs`,
        {
          namePrefix: `/aws/lambda/${name}-`,
          retentionInDays: retention,
          ...(args.logKmsKeyArn ? { kmsKeyId: args.logKmsKeyArn } : {}),
        },
        { parent: this },
      ),
    );

    this.role = new aws.iam.Role(
      ...applyTransform(
        args.transform?.role,
        `${name}-role`,
        {
          description: `Execution role of ${name}`,
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          }),
        },
        { parent: this },
      ),
    );

    const logging: Grant = {
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [pulumi.interpolate`${this.logGroup.arn}:*`],
    };
    this.rolePolicy = new aws.iam.RolePolicy(
      ...applyTransform(
        args.transform?.policy,
        `${name}-policy`,
        {
          role: this.role.name,
          policy: renderPolicy(this.grants.output.apply((grants) => grantStatements([logging, ...grants]))),
        },
        { parent: this },
      ),
    );

    this.code = new pulumi.asset.AssetArchive(
      Object.fromEntries([
        ...Object.entries(this.bundle.files).map(([file, text]) => [
          file,
          new pulumi.asset.StringAsset(text),
        ]),
        ...Object.entries(this.bundle.packageFiles).map(([file, path]) => [
          file,
          new pulumi.asset.FileAsset(path),
        ]),
      ]),
    );
    this.function = new aws.lambda.Function(
      ...applyTransform(
        args.transform?.function,
        `${name}-function`,
        {
          description: `${name} (${this.bundle.hash.slice(0, 12)})`,
          runtime: LAMBDA_NODE_RUNTIME,
          architectures: [architecture],
          handler: `index.${handler}`,
          code: this.code,
          role: this.role.arn,
          timeout: this.timeout,
          memorySize,
          ...(this.reservedConcurrency !== undefined
            ? { reservedConcurrentExecutions: this.reservedConcurrency }
            : {}),
          environment: { variables: this.env.output.apply((pairs) => Object.fromEntries(pairs)) },
          loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
          ...(this.tracing ? { tracingConfig: { mode: "Active" } } : {}),
        },
        // The role must hold its grants before the function (and anything invoking it) relies on them.
        { parent: this, dependsOn: [this.rolePolicy, this.logGroup] },
      ),
    );

    this.arn = this.function.arn;
    this.functionName = this.function.name;
    const watch = (metricName: "Errors" | "Throttles", what: string) =>
      args.alarmTopicArn === undefined
        ? undefined
        : metricAlarm(
            `${name}-${metricName.toLowerCase()}-alarm`,
            {
              alarmTopicArn: args.alarmTopicArn,
              alarmDescription: `${name}: ${what}`,
              namespace: "AWS/Lambda",
              metricName,
              dimensions: { FunctionName: this.function.name },
              statistic: "Sum",
              period: 300,
              evaluationPeriods: 1,
              threshold: 1,
              comparisonOperator: "GreaterThanOrEqualToThreshold",
            },
            { parent: this },
            metricName === "Errors" ? args.transform?.errorsAlarm : args.transform?.throttlesAlarm,
          );
    this.errorsAlarm = watch(
      "Errors",
      "the function failed (crash, timeout, unhandled error, bad environment). Read its logs.",
    );
    this.throttlesAlarm = watch(
      "Throttles",
      "invocations were throttled (reserved or account concurrency exhausted); events wait or are retried.",
    );
    // Each linked resource's exact grant (rendered with the others into the one policy).
    for (const { grant } of links) grant?.(this);
    this.registerOutputs({ arn: this.arn, functionName: this.functionName, roleArn: this.role.arn });
  }

  /** Adds exact actions on exact ARNs to the function's role. */
  grant(grant: Grant): void {
    const problems = grantProblems(grant);
    if (problems.length > 0) this.check.fail("grant", `${problems.join("; ")} (got ${describeGrant(grant)})`);
    this.grants.add(grant);
  }

  /** Adds an environment variable; refuses to overwrite one already set. */
  /** Whether an environment variable is set (at construction or by `addEnvironment`). */
  hasEnvironment(key: string): boolean {
    return this.env.current.some(([existing]) => existing === key);
  }

  addEnvironment(key: string, value: pulumi.Input<string>): void {
    if (this.env.current.some(([existing]) => existing === key)) {
      this.check.fail(
        "environment",
        `must not set ${key} twice: a second value would silently win (got ${key})`,
      );
    }
    this.env.add([key, value]);
  }
}

function resolveEntry(check: ArgChecker, entry: string | undefined): string {
  const value = check.nonEmpty("entry", entry);
  if (!/\.(ts|mts|js|mjs)$/.test(value)) {
    check.fail("entry", `must be a .ts, .mts, .js or .mjs file (got ${value})`);
  }
  const path = isAbsolute(value) ? value : resolve(value);
  if (!existsSync(path) || !statSync(path).isFile()) {
    check.fail("entry", `must be an existing file (got ${path})`);
  }
  return path;
}

function bundle(check: ArgChecker, options: BundleOptions): Bundle {
  try {
    return bundleHandler(options);
  } catch (error) {
    if (error instanceof BundleError) {
      if (error.detail.startsWith("nodeModules: ")) {
        check.fail(
          "nodeModules",
          `${error.detail.slice("nodeModules: ".length)} (got ${options.nodeModules?.join(", ")})`,
        );
      }
      check.fail("entry", `could not be bundled: ${error.detail} (got ${error.entry})`);
    }
    throw error;
  }
}
