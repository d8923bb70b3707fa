import { createHash, randomUUID } from "node:crypto";
import type { FunctionConfig } from "../../lambda/runtime";
import { requestId } from "../../protocol";
import type { LocalResource } from "../../types";
import { asRecord, finiteNumber, nonEmptyString as str } from "../../values";
import {
  functionNotFound,
  invalidParameter,
  invalidRequestContent,
  requestTooLarge,
  resourceNotFound,
} from "./errors";
import {
  ASYNC_PAYLOAD_LIMIT,
  functionNameOf,
  type LambdaModel,
  type MappingState,
  SYNC_PAYLOAD_LIMIT,
} from "./model";
import { FUNCTION_TYPE } from "./provisioning";

/**
 * The Lambda API: one method per operation, with AWS's member names in and out, over the {@link LambdaModel}.
 * Invoke, and the control-plane reads a CLI user looks around with: ListFunctions, GetFunction,
 * GetFunctionConfiguration, GetFunctionConcurrency, GetFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs
 * (the failure handling: retries, event age, destinations), ListVersionsByFunction, ListAliases, GetPolicy,
 * ListEventSourceMappings, GetEventSourceMapping, ListTags, GetAccountSettings. Functions and mappings come from
 * the program (provisioning); nothing here changes them. Shapes follow the Lambda API reference
 * (FunctionConfiguration, EventSourceMappingConfiguration).
 */

/** A list operation's paging: `MaxItems` (1 to 10000, 50 by default) and the `Marker` of the previous page. */
export interface PageInput {
  Marker?: string;
  MaxItems?: string;
}

/** Invoke's input (the payload as sent). */
export interface InvokeInput {
  FunctionName: string;
  Qualifier?: string;
  /** `RequestResponse` (default), `Event` or `DryRun`. */
  InvocationType: string;
  /** `Tail` returns the last 4 KB of the invocation's log. */
  LogType?: string;
  Payload: Buffer;
}

/** What Invoke did: checked only (DryRun), queued (Event), or ran with its payload (RequestResponse). */
export type InvokeOutput =
  | { kind: "dry-run"; requestId: string }
  | { kind: "queued"; requestId: string }
  | {
      kind: "ran";
      requestId: string;
      /** The result (or the error document) as JSON text. */
      payload: string;
      executedVersion: string;
      functionError?: string;
      /** The log tail, base64. */
      logResult?: string;
    };

/** Lambda's timestamp format: `2024-01-31T12:34:56.789+0000`. */
function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

export class LambdaApi {
  /** When the functions were deployed (locally: when the emulator was created). */
  private readonly started = Date.now();

  constructor(private readonly model: LambdaModel) {}

  // ---------------------------------------------------------------- Invoke

  /** Invoke. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html */
  async invoke(input: InvokeInput): Promise<InvokeOutput> {
    const { model } = this;
    const runtime = model.need(
      input.Qualifier ? `${functionNameOf(input.FunctionName).name}:${input.Qualifier}` : input.FunctionName,
    );
    const type = input.InvocationType;
    if (type !== "RequestResponse" && type !== "Event" && type !== "DryRun") {
      throw invalidParameter(`Invalid InvocationType: ${type} (RequestResponse, Event or DryRun)`);
    }
    const limit = type === "Event" ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (input.Payload.length > limit) throw requestTooLarge(limit);
    let event: unknown = {};
    if (input.Payload.length > 0) {
      try {
        event = JSON.parse(input.Payload.toString("utf8"));
      } catch (error) {
        throw invalidRequestContent(error instanceof Error ? error.message : String(error));
      }
    }
    if (type === "DryRun") return { kind: "dry-run", requestId: randomUUID() };
    if (type === "Event") {
      return { kind: "queued", requestId: model.asyncInvoker.enqueue(runtime.config.name, event, "api") };
    }
    const outcome = await runtime.invoke(event, { source: "api" });
    const payload = outcome.error
      ? JSON.stringify({
          errorType: outcome.error.errorType,
          errorMessage: outcome.error.errorMessage,
          trace: outcome.error.trace ?? [],
        })
      : (outcome.payloadText ?? "null");
    const output: InvokeOutput = {
      kind: "ran",
      requestId: outcome.requestId,
      payload,
      executedVersion: "$LATEST",
    };
    if (outcome.error) output.functionError = "Unhandled";
    if (input.LogType === "Tail") {
      const tail = model
        .logs(runtime.config.name, { requestId: outcome.requestId })
        .map((line) => `${line.line}\n`)
        .join("");
      output.logResult = Buffer.from(Buffer.from(tail).subarray(-4096)).toString("base64");
    }
    return output;
  }

  // ---------------------------------------------------------------- functions

  listFunctions(input: PageInput): Record<string, unknown> {
    return page(
      this.functions().map((config) => this.functionConfiguration(config)),
      input,
      "Functions",
    );
  }

  getFunction(input: { FunctionName: string }): Record<string, unknown> {
    const config = this.need(input.FunctionName);
    const location = `${this.model.ctx.endpoint}/_local/lambda/functions?function=${encodeURIComponent(config.name)}`;
    return {
      Configuration: this.functionConfiguration(config),
      Code: { RepositoryType: "S3", Location: location },
      Tags: this.tagsOf(config.name),
      ...(config.reservedConcurrency !== undefined
        ? { Concurrency: { ReservedConcurrentExecutions: config.reservedConcurrency } }
        : {}),
    };
  }

  getFunctionConfiguration(input: { FunctionName: string }): Record<string, unknown> {
    return this.functionConfiguration(this.need(input.FunctionName));
  }

  /** Only `$LATEST` exists locally. */
  listVersionsByFunction(input: { FunctionName: string }): Record<string, unknown> {
    return { Versions: [this.functionConfiguration(this.need(input.FunctionName))] };
  }

  /** No aliases exist locally. */
  listAliases(input: { FunctionName: string }): Record<string, unknown> {
    this.need(input.FunctionName);
    return { Aliases: [] };
  }

  getFunctionConcurrency(input: { FunctionName: string }): Record<string, unknown> {
    const config = this.need(input.FunctionName);
    return config.reservedConcurrency !== undefined
      ? { ReservedConcurrentExecutions: config.reservedConcurrency }
      : {};
  }

  /** GetPolicy: the resource-based policy, as a JSON string. https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html */
  getPolicy(input: { FunctionName: string }): Record<string, unknown> {
    const config = this.need(input.FunctionName);
    const statements = this.model.permissions
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
    if (statements.length === 0) throw resourceNotFound("The resource you requested does not exist.");
    const text = JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
    return { Policy: text, RevisionId: createHash("md5").update(text).digest("hex") };
  }

  getFunctionEventInvokeConfig(input: { FunctionName: string }): Record<string, unknown> {
    return this.invokeConfigView(this.need(input.FunctionName));
  }

  /** Only `$LATEST` has one locally (no versions or aliases). */
  listFunctionEventInvokeConfigs(input: { FunctionName: string }): Record<string, unknown> {
    const config = this.need(input.FunctionName);
    return {
      FunctionEventInvokeConfigs: this.model.invokeConfigs.get(config.name)
        ? [this.invokeConfigView(config)]
        : [],
    };
  }

  listTags(input: { Resource: string }): Record<string, unknown> {
    return { Tags: this.tagsOf(this.need(input.Resource).name) };
  }

  getAccountSettings(): Record<string, unknown> {
    const functions = this.functions();
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
        TotalCodeSize: functions.reduce((sum, fn) => sum + this.model.codeDigest(fn).size, 0),
        FunctionCount: functions.length,
      },
    };
  }

  // ---------------------------------------------------------------- event source mappings

  listEventSourceMappings(
    input: PageInput & { FunctionName?: string; EventSourceArn?: string },
  ): Record<string, unknown> {
    const { model } = this;
    const fnFilter = input.FunctionName;
    const sourceFilter = input.EventSourceArn;
    const wanted = fnFilter ? this.need(fnFilter).name : undefined;
    const items = model
      .mappingStates()
      .filter((mapping) => !wanted || model.find(mapping.functionName)?.config.name === wanted)
      .filter((mapping) => !sourceFilter || mapping.queueArn === sourceFilter)
      .map((mapping) => this.mappingView(mapping));
    const { Items, NextMarker } = page(items, input, "Items") as { Items: unknown[]; NextMarker?: string };
    return { EventSourceMappings: Items, ...(NextMarker ? { NextMarker } : {}) };
  }

  getEventSourceMapping(input: { UUID: string }): Record<string, unknown> {
    const mapping = this.model.mappingStates().find((candidate) => candidate.uuid === input.UUID);
    if (!mapping) {
      throw resourceNotFound(
        `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${requestId()})`,
      );
    }
    return this.mappingView(mapping);
  }

  // ---------------------------------------------------------------- shapes

  private functions(): FunctionConfig[] {
    return [...this.model.runtimes.values()].map((runtime) => runtime.config);
  }

  /** The function a name or ARN names. @throws ResourceNotFoundException naming it as given (or its ARN) */
  private need(nameOrArn: string): FunctionConfig {
    const { model } = this;
    const config = model.find(nameOrArn)?.config;
    if (!config) {
      const arn = nameOrArn.startsWith("arn:")
        ? nameOrArn
        : `arn:aws:lambda:${model.ctx.region}:${model.ctx.accountId}:function:${nameOrArn}`;
      throw functionNotFound(arn);
    }
    return config;
  }

  private resourceOf(name: string): LocalResource | undefined {
    return this.model.ctx.resources.find(
      (resource) =>
        resource.type === FUNCTION_TYPE && (resource.outputs.name === name || resource.inputs.name === name),
    );
  }

  private tagsOf(name: string): Record<string, string> {
    const tags = asRecord(this.resourceOf(name)?.inputs.tags) ?? {};
    return Object.fromEntries(
      Object.entries(tags).flatMap(([key, value]) => (typeof value === "string" ? [[key, value]] : [])),
    );
  }

  /** FunctionConfiguration. https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html */
  private functionConfiguration(config: FunctionConfig): Record<string, unknown> {
    const inputs = this.resourceOf(config.name)?.inputs ?? {};
    const digest = this.model.codeDigest(config);
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
      Role: str(inputs.role) ?? `arn:aws:iam::${this.model.ctx.accountId}:role/${config.name}`,
      Handler: config.handler,
      CodeSize: digest.size,
      Description: str(inputs.description) ?? "",
      Timeout: config.timeoutSeconds,
      MemorySize: config.memorySize,
      LastModified: lambdaTime(this.started),
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

  /** EventSourceMappingConfiguration. */
  private mappingView(mapping: MappingState): Record<string, unknown> {
    const fn = this.model.find(mapping.functionName)?.config;
    return {
      UUID: mapping.uuid,
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowSeconds,
      EventSourceArn: mapping.queueArn,
      FunctionArn: fn?.arn ?? mapping.functionName,
      LastModified: this.started / 1000,
      State: mapping.enabled ? "Enabled" : "Disabled",
      StateTransitionReason: "USER_INITIATED",
      FunctionResponseTypes: mapping.reportBatchItemFailures ? ["ReportBatchItemFailures"] : [],
      ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency },
    };
  }

  /** FunctionEventInvokeConfig. */
  private invokeConfigView(config: FunctionConfig): Record<string, unknown> {
    const invoke = this.model.invokeConfigs.get(config.name);
    if (!invoke) throw resourceNotFound(`The function ${config.arn} doesn't have an EventInvokeConfig`);
    const destinations: Record<string, unknown> = {};
    if (invoke.onSuccess) destinations.OnSuccess = { Destination: invoke.onSuccess };
    if (invoke.onFailure) destinations.OnFailure = { Destination: invoke.onFailure };
    return {
      LastModified: this.started / 1000,
      FunctionArn: `${config.arn}:$LATEST`,
      MaximumRetryAttempts: invoke.maximumRetryAttempts,
      MaximumEventAgeInSeconds: invoke.maximumEventAgeSeconds,
      DestinationConfig: destinations,
    };
  }
}

/** One page of `items` under `key`, with the `NextMarker` of the next page when there is one. */
export function page<T>(items: T[], input: PageInput, key: string): Record<string, unknown> {
  const max = Math.min(Math.max(Number(input.MaxItems ?? 50) || 50, 1), 10_000);
  const marker = input.Marker;
  const start = marker ? Number.parseInt(Buffer.from(marker, "base64").toString("utf8"), 10) || 0 : 0;
  const end = start + max;
  return {
    [key]: items.slice(start, end),
    ...(end < items.length ? { NextMarker: Buffer.from(String(end)).toString("base64") } : {}),
  };
}
