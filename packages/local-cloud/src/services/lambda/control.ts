import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { EventInvokeConfig } from "../../lambda/async";
import type { MappingConfig } from "../../lambda/esm";
import type { FunctionConfig } from "../../lambda/runtime";
import { requestId } from "../../protocol";
import { type LocalContext, type LocalResource, LocalServiceError } from "../../types";
import { asRecord, finiteNumber, nonEmptyString as str } from "../../values";
import { notEmulated, sendRestJson } from "../../wire/rest-json";

/**
 * The Lambda control plane a CLI user reads to look around (REST-JSON, as `aws lambda` sends it):
 * ListFunctions, GetFunction, GetFunctionConfiguration, GetFunctionConcurrency, GetFunctionEventInvokeConfig,
 * ListFunctionEventInvokeConfigs (the failure handling: retries, event age, destinations), ListVersionsByFunction, ListAliases, GetPolicy, ListEventSourceMappings, GetEventSourceMapping, ListTags,
 * GetAccountSettings. Functions and mappings come from the program (provisioning); nothing here changes them.
 * Shapes follow the Lambda API reference (FunctionConfiguration, EventSourceMappingConfiguration).
 */

/** A resource-based policy statement, from `aws:lambda/permission:Permission`. */
export interface LambdaPermission {
  name: string;
  functionName: string;
  statementId?: string;
  action?: string;
  principal?: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** What the control plane reads from the Lambda emulator. */
export interface LambdaControlSource {
  functions(): FunctionConfig[];
  mappings(): Array<MappingConfig & { running: boolean }>;
  permissions(): LambdaPermission[];
  invokeConfig(name: string): EventInvokeConfig | undefined;
  /** Resolves a name, ARN or partial ARN to the function name, undefined when no such function. */
  resolve(nameOrArn: string): string | undefined;
}

const FUNCTION_TYPE = "aws:lambda/function:Function";

/** Lambda's timestamp format: `2024-01-31T12:34:56.789+0000`. */
function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** Size and SHA-256 (base64) of a function's code as deployed locally (the files, not a zip). */
function codeDigest(dir: string): { size: number; sha256: string } {
  const hash = createHash("sha256");
  let size = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const bytes = readFileSync(full);
        size += bytes.length;
        hash.update(entry.name).update(bytes);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // A missing task root reads as empty code.
  }
  return { size, sha256: hash.digest("base64") };
}

/** Serves the Lambda control-plane reads; `handle` returns false when the request is not one of them. */
export function createLambdaControl(ctx: LocalContext, source: LambdaControlSource) {
  const started = Date.now();
  const digests = new Map<string, { taskRoot: string; size: number; sha256: string }>();

  const resourceOf = (name: string): LocalResource | undefined =>
    ctx.resources.find(
      (resource) =>
        resource.type === FUNCTION_TYPE && (resource.outputs.name === name || resource.inputs.name === name),
    );

  const digestOf = (config: FunctionConfig) => {
    const cached = digests.get(config.name);
    if (cached && cached.taskRoot === config.taskRoot) return cached;
    const digest = { taskRoot: config.taskRoot, ...codeDigest(config.taskRoot) };
    digests.set(config.name, digest);
    return digest;
  };

  function functionConfiguration(config: FunctionConfig): Record<string, unknown> {
    const inputs = resourceOf(config.name)?.inputs ?? {};
    const digest = digestOf(config);
    const architectures = Array.isArray(inputs.architectures)
      ? inputs.architectures.filter((item): item is string => typeof item === "string")
      : [];
    const tracing = str(asRecord(inputs.tracingConfig)?.mode) ?? "PassThrough";
    const logging = asRecord(inputs.loggingConfig);
    const storage = finiteNumber(asRecord(inputs.ephemeralStorage)?.size) ?? 512;
    const layers = Array.isArray(inputs.layers)
      ? inputs.layers.filter((item): item is string => typeof item === "string")
      : [];
    return {
      FunctionName: config.name,
      FunctionArn: config.arn,
      Runtime: config.runtime,
      Role: str(inputs.role) ?? `arn:aws:iam::${ctx.accountId}:role/${config.name}`,
      Handler: config.handler,
      CodeSize: digest.size,
      Description: str(inputs.description) ?? "",
      Timeout: config.timeoutSeconds,
      MemorySize: config.memorySize,
      LastModified: lambdaTime(started),
      CodeSha256: digest.sha256,
      Version: "$LATEST",
      ...(Object.keys(config.variables).length > 0 ? { Environment: { Variables: config.variables } } : {}),
      ...(config.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: config.deadLetterTargetArn } } : {}),
      ...(str(inputs.kmsKeyArn) ? { KMSKeyArn: str(inputs.kmsKeyArn) } : {}),
      TracingConfig: { Mode: tracing },
      RevisionId: createHash("md5").update(`${config.arn}:${digest.sha256}`).digest("hex"),
      ...(layers.length > 0 ? { Layers: layers.map((arn) => ({ Arn: arn, CodeSize: 0 })) } : {}),
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
      Architectures: architectures.length > 0 ? architectures : ["x86_64"],
      EphemeralStorage: { Size: storage },
      SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
      LoggingConfig: {
        LogFormat: str(logging?.logFormat) ?? "Text",
        ...(str(logging?.applicationLogLevel)
          ? { ApplicationLogLevel: str(logging?.applicationLogLevel) }
          : {}),
        ...(str(logging?.systemLogLevel) ? { SystemLogLevel: str(logging?.systemLogLevel) } : {}),
        LogGroup: config.logGroupName,
      },
    };
  }

  function need(nameOrArn: string): FunctionConfig {
    const name = source.resolve(nameOrArn);
    const config = name ? source.functions().find((fn) => fn.name === name) : undefined;
    if (!config) {
      const arn = nameOrArn.startsWith("arn:")
        ? nameOrArn
        : `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${nameOrArn}`;
      throw new LocalServiceError("ResourceNotFoundException", `Function not found: ${arn}`, 404);
    }
    return config;
  }

  function mappingView(mapping: MappingConfig & { running: boolean }): Record<string, unknown> {
    const name = source.resolve(mapping.functionName);
    const fn = name ? source.functions().find((candidate) => candidate.name === name) : undefined;
    return {
      UUID: mapping.uuid,
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowSeconds,
      EventSourceArn: mapping.queueArn,
      FunctionArn: fn?.arn ?? mapping.functionName,
      LastModified: started / 1000,
      State: mapping.enabled ? "Enabled" : "Disabled",
      StateTransitionReason: "USER_INITIATED",
      FunctionResponseTypes: mapping.reportBatchItemFailures ? ["ReportBatchItemFailures"] : [],
      ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency },
    };
  }

  function page<T>(items: T[], url: URL, key: string): Record<string, unknown> {
    const max = Math.min(Math.max(Number(url.searchParams.get("MaxItems") ?? 50) || 50, 1), 10_000);
    const marker = url.searchParams.get("Marker");
    const start = marker ? Number.parseInt(Buffer.from(marker, "base64").toString("utf8"), 10) || 0 : 0;
    const end = start + max;
    return {
      [key]: items.slice(start, end),
      ...(end < items.length ? { NextMarker: Buffer.from(String(end)).toString("base64") } : {}),
    };
  }

  /** GetPolicy: the resource-based policy, as a JSON string. https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html */
  function policy(config: FunctionConfig): Record<string, unknown> {
    const statements = source
      .permissions()
      .filter((permission) => permission.functionName === config.name)
      .map((permission) => {
        const principal = permission.principal ?? "*";
        const conditions: Record<string, Record<string, string>> = {};
        if (permission.sourceArn) conditions.ArnLike = { "AWS:SourceArn": permission.sourceArn };
        if (permission.sourceAccount)
          conditions.StringEquals = { "AWS:SourceAccount": permission.sourceAccount };
        return {
          Sid: permission.statementId ?? permission.name,
          Effect: "Allow",
          Principal: principal.endsWith(".amazonaws.com")
            ? { Service: principal }
            : /^\d{12}$/.test(principal)
              ? { AWS: `arn:aws:iam::${principal}:root` }
              : principal === "*"
                ? "*"
                : { AWS: principal },
          Action: permission.action ?? "lambda:InvokeFunction",
          Resource: config.arn,
          ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
        };
      });
    if (statements.length === 0) {
      throw new LocalServiceError(
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
      );
    }
    const text = JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
    return { Policy: text, RevisionId: createHash("md5").update(text).digest("hex") };
  }

  function invokeConfigView(config: FunctionConfig): Record<string, unknown> {
    const invoke = source.invokeConfig(config.name);
    if (!invoke) {
      throw new LocalServiceError(
        "ResourceNotFoundException",
        `The function ${config.arn} doesn't have an EventInvokeConfig`,
        404,
      );
    }
    const destinations: Record<string, unknown> = {};
    if (invoke.onSuccess) destinations.OnSuccess = { Destination: invoke.onSuccess };
    if (invoke.onFailure) destinations.OnFailure = { Destination: invoke.onFailure };
    return {
      LastModified: started / 1000,
      FunctionArn: `${config.arn}:$LATEST`,
      MaximumRetryAttempts: invoke.maximumRetryAttempts,
      MaximumEventAgeInSeconds: invoke.maximumEventAgeSeconds,
      DestinationConfig: destinations,
    };
  }

  /** The operation a request names, for requests the local Lambda does not serve. */
  const OPERATIONS: Array<[string, RegExp, string]> = [
    ["POST", /^\/2015-03-31\/functions\/?$/, "CreateFunction"],
    ["DELETE", /^\/2015-03-31\/functions\/[^/]+\/?$/, "DeleteFunction"],
    ["PUT", /^\/2015-03-31\/functions\/[^/]+\/code\/?$/, "UpdateFunctionCode"],
    ["PUT", /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, "UpdateFunctionConfiguration"],
    ["POST", /^\/2015-03-31\/functions\/[^/]+\/policy\/?$/, "AddPermission"],
    ["DELETE", /^\/2015-03-31\/functions\/[^/]+\/policy\/[^/]+\/?$/, "RemovePermission"],
    ["POST", /^\/2015-03-31\/functions\/[^/]+\/versions\/?$/, "PublishVersion"],
    ["POST", /^\/2015-03-31\/functions\/[^/]+\/aliases\/?$/, "CreateAlias"],
    ["GET", /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+\/?$/, "GetAlias"],
    ["POST", /^\/2015-03-31\/event-source-mappings\/?$/, "CreateEventSourceMapping"],
    ["PUT", /^\/2015-03-31\/event-source-mappings\/[^/]+\/?$/, "UpdateEventSourceMapping"],
    ["DELETE", /^\/2015-03-31\/event-source-mappings\/[^/]+\/?$/, "DeleteEventSourceMapping"],
    ["PUT", /^\/2017-10-31\/functions\/[^/]+\/concurrency\/?$/, "PutFunctionConcurrency"],
    ["PUT", /^\/2019-09-25\/functions\/[^/]+\/event-invoke-config\/?$/, "PutFunctionEventInvokeConfig"],
    ["GET", /^\/2021-10-31\/functions\/[^/]+\/url\/?$/, "GetFunctionUrlConfig"],
    ["GET", /^\/2018-10-31\/layers\/?$/, "ListLayers"],
    ["GET", /^\/2020-04-22\/code-signing-configs\/?$/, "ListCodeSigningConfigs"],
    [
      "GET",
      /^\/2019-09-30\/functions\/[^/]+\/provisioned-concurrency\/?$/,
      "ListProvisionedConcurrencyConfigs",
    ],
    ["POST", /^\/2017-03-31\/tags\/[^/]+\/?$/, "TagResource"],
    ["DELETE", /^\/2017-03-31\/tags\/[^/]+\/?$/, "UntagResource"],
  ];

  const decoded = (match: RegExpExecArray): string => decodeURIComponent(match[1] ?? "");

  /** The reads, by path (all GET): each gets the path's match and the URL. */
  const READS: Array<[RegExp, (match: RegExpExecArray, url: URL) => unknown]> = [
    [
      /^\/2015-03-31\/functions\/?$/,
      (_match, url) => page(source.functions().map(functionConfiguration), url, "Functions"),
    ],
    [
      /^\/2015-03-31\/functions\/([^/]+)\/?$/,
      (match) => {
        const config = need(decoded(match));
        const location = `${ctx.endpoint}/_local/lambda/functions?function=${encodeURIComponent(config.name)}`;
        return {
          Configuration: functionConfiguration(config),
          Code: { RepositoryType: "S3", Location: location },
          Tags: tagsOf(config.name),
          ...(config.reservedConcurrency !== undefined
            ? { Concurrency: { ReservedConcurrentExecutions: config.reservedConcurrency } }
            : {}),
        };
      },
    ],
    [
      /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
      (match) => functionConfiguration(need(decoded(match))),
    ],
    [/^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/, (match) => policy(need(decoded(match)))],
    [
      /^\/2015-03-31\/functions\/([^/]+)\/versions\/?$/,
      (match) => ({ Versions: [functionConfiguration(need(decoded(match)))] }),
    ],
    [
      /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/,
      (match) => {
        need(decoded(match));
        return { Aliases: [] };
      },
    ],
    [
      /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/,
      (match) => {
        const config = need(decoded(match));
        return config.reservedConcurrency !== undefined
          ? { ReservedConcurrentExecutions: config.reservedConcurrency }
          : {};
      },
    ],
    [
      /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/,
      (match) => invokeConfigView(need(decoded(match))),
    ],
    [
      // ListFunctionEventInvokeConfigs: only $LATEST has one locally (no versions or aliases).
      /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/list\/?$/,
      (match) => {
        const config = need(decoded(match));
        return {
          FunctionEventInvokeConfigs: source.invokeConfig(config.name) ? [invokeConfigView(config)] : [],
        };
      },
    ],
    [
      /^\/2015-03-31\/event-source-mappings\/?$/,
      (_match, url) => {
        const fnFilter = url.searchParams.get("FunctionName");
        const sourceFilter = url.searchParams.get("EventSourceArn");
        const wanted = fnFilter ? need(fnFilter).name : undefined;
        const items = source
          .mappings()
          .filter((mapping) => !wanted || source.resolve(mapping.functionName) === wanted)
          .filter((mapping) => !sourceFilter || mapping.queueArn === sourceFilter)
          .map(mappingView);
        const { Items, NextMarker } = page(items, url, "Items") as { Items: unknown[]; NextMarker?: string };
        return { EventSourceMappings: Items, ...(NextMarker ? { NextMarker } : {}) };
      },
    ],
    [
      /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/,
      (match) => {
        const uuid = decoded(match);
        const mapping = source.mappings().find((candidate) => candidate.uuid === uuid);
        if (!mapping) {
          throw new LocalServiceError(
            "ResourceNotFoundException",
            `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${requestId()})`,
            404,
          );
        }
        return mappingView(mapping);
      },
    ],
    [/^\/2017-03-31\/tags\/(.+?)\/?$/, (match) => ({ Tags: tagsOf(need(decoded(match)).name) })],
    [
      /^\/2016-08-19\/account-settings\/?$/,
      () => {
        const functions = source.functions();
        return {
          AccountLimit: {
            TotalCodeSize: 80_530_636_800,
            CodeSizeUnzipped: 262_144_000,
            CodeSizeZipped: 52_428_800,
            ConcurrentExecutions: 1000,
            UnreservedConcurrentExecutions:
              1000 - functions.reduce((sum, fn) => sum + (fn.reservedConcurrency ?? 0), 0),
          },
          AccountUsage: {
            TotalCodeSize: functions.reduce((sum, fn) => sum + digestOf(fn).size, 0),
            FunctionCount: functions.length,
          },
        };
      },
    ],
  ];

  function reads(method: string, path: string, url: URL): unknown {
    if (method !== "GET") return undefined;
    for (const [pattern, read] of READS) {
      const match = pattern.exec(path);
      if (match) return read(match, url);
    }
    return undefined;
  }

  function tagsOf(name: string): Record<string, string> {
    const tags = asRecord(resourceOf(name)?.inputs.tags) ?? {};
    return Object.fromEntries(
      Object.entries(tags).flatMap(([key, value]) => (typeof value === "string" ? [[key, value]] : [])),
    );
  }

  return {
    /** Serves a control-plane read; anything else the local Lambda does not serve gets a NotImplemented naming it. */
    handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
      const method = req.method ?? "GET";
      const path = url.pathname;
      const answer = reads(method, path, url);
      if (answer !== undefined) {
        sendRestJson(res, answer);
        return;
      }
      const named = OPERATIONS.find(([verb, pattern]) => verb === method && pattern.test(path));
      throw notEmulated("lambda", named?.[2] ?? `${method} ${path}`);
    },
  };
}
