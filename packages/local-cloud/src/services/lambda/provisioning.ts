import { join } from "node:path";
import { materialiseCode } from "../../lambda/archive";
import { DEFAULT_MAX_EVENT_AGE_SECONDS, DEFAULT_MAX_RETRY_ATTEMPTS } from "../../lambda/async";
import type { MappingConfig } from "../../lambda/esm";
import type { FunctionConfig } from "../../lambda/runtime";
import { parseArn } from "../../protocol";
import type { LocalResource } from "../../types";
import { asRecord } from "../../values";
import { invalidParameter } from "./errors";
import { functionNameOf, type LambdaModel } from "./model";

/**
 * Provisioning: the program's `aws:lambda/function:Function` (its archive materialised under
 * `<workDir>/functions/<name>/`), `aws:lambda/eventSourceMapping:EventSourceMapping` (SQS sources only),
 * `aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig` and `aws:lambda/permission:Permission`,
 * each checked as AWS checks it and put into the {@link LambdaModel}.
 */

export const FUNCTION_TYPE = "aws:lambda/function:Function";

/** A nested input object, or an empty one when absent. */
const record = (value: unknown): Record<string, unknown> => asRecord(value) ?? {};

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Provisions one resource of the program when it is a Lambda type (others are ignored). */
export async function provisionLambda(model: LambdaModel, resource: LocalResource): Promise<void> {
  switch (resource.type) {
    case FUNCTION_TYPE:
      await provisionFunction(model, resource);
      break;
    case "aws:lambda/eventSourceMapping:EventSourceMapping":
      provisionMapping(model, resource);
      break;
    case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
      provisionInvokeConfig(model, resource);
      break;
    case "aws:lambda/permission:Permission":
      model.permissions.push({
        name: resource.name,
        functionName: functionNameOf(String(resource.inputs.function ?? "")).name,
        action: optionalString(resource.inputs.action),
        principal: optionalString(resource.inputs.principal),
        sourceArn: optionalString(resource.inputs.sourceArn),
        statementId: optionalString(resource.inputs.statementId),
        sourceAccount: optionalString(resource.inputs.sourceAccount),
      });
      break;
  }
}

async function provisionFunction(model: LambdaModel, resource: LocalResource): Promise<void> {
  const { ctx } = model;
  const { inputs, outputs } = resource;
  const name = optionalString(outputs.name) ?? optionalString(inputs.name) ?? resource.name;
  const arn = optionalString(outputs.arn) ?? model.arnOf(name);
  const environment = record(inputs.environment);
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(environment.variables))) {
    if (value !== undefined && value !== null) variables[key] = String(value);
  }
  const reserved = optionalNumber(inputs.reservedConcurrentExecutions);
  const taskRoot = join(ctx.workDir, "functions", name);
  if (inputs.code === undefined) {
    throw invalidParameter(`Function ${name}: code is required (only zip archives run locally)`);
  }
  const code = await materialiseCode(inputs.code, taskRoot, ctx.log);
  const config: FunctionConfig = {
    name,
    arn,
    handler: optionalString(inputs.handler) ?? "index.handler",
    runtime: optionalString(inputs.runtime) ?? "nodejs24.x",
    timeoutSeconds: optionalNumber(inputs.timeout) ?? 3,
    memorySize: optionalNumber(inputs.memorySize) ?? 128,
    variables,
    reservedConcurrency: reserved !== undefined && reserved >= 0 ? reserved : undefined,
    deadLetterTargetArn: optionalString(record(inputs.deadLetterConfig).targetArn),
    logGroupName: optionalString(record(inputs.loggingConfig).logGroup) ?? `/aws/lambda/${name}`,
    taskRoot: code.dir,
    sourceMaps: /--enable-source-maps\b/.test(variables.NODE_OPTIONS ?? ""),
  };
  if (!config.runtime.startsWith("nodejs")) {
    ctx.log.warn(
      `lambda: ${name} uses ${config.runtime}; the local Lambda runs it with this machine's Node.js ${process.version}`,
    );
  }
  await model.putFunction(config);
  ctx.log.debug(`lambda: function ${name} ready`, {
    taskRoot: code.dir,
    linked: Object.keys(code.linked),
    skipped: code.skipped,
  });
}

function provisionMapping(model: LambdaModel, resource: LocalResource): void {
  const { ctx } = model;
  const { inputs, outputs } = resource;
  const queueArn = optionalString(inputs.eventSourceArn);
  const functionName = optionalString(inputs.functionName);
  if (!queueArn || !functionName) {
    throw invalidParameter(
      `EventSourceMapping ${resource.name}: eventSourceArn and functionName are required`,
    );
  }
  if (parseArn(queueArn)?.service !== "sqs") {
    ctx.log.warn(
      `lambda: event source mapping ${resource.name}: only SQS sources run locally (got ${queueArn})`,
    );
    return;
  }
  const fifo = queueArn.endsWith(".fifo");
  const batchSize = optionalNumber(inputs.batchSize) ?? 10;
  const window = optionalNumber(inputs.maximumBatchingWindowInSeconds) ?? 0;
  const fail = (message: string): never => {
    throw invalidParameter(`EventSourceMapping ${resource.name}: ${message}`);
  };
  if (batchSize < 1 || batchSize > (fifo ? 10 : 10_000))
    fail(`batchSize must be between 1 and ${fifo ? 10 : 10_000} (got ${batchSize})`);
  if (batchSize > 10 && window < 1) {
    fail(
      `maximumBatchingWindowInSeconds must be at least 1 when batchSize is over 10 (got batchSize ${batchSize}, window ${window})`,
    );
  }
  if (window < 0 || window > 300)
    fail(`maximumBatchingWindowInSeconds must be between 0 and 300 (got ${window})`);
  const scaling = optionalNumber(record(inputs.scalingConfig).maximumConcurrency);
  if (scaling !== undefined && (scaling < 2 || scaling > 1000)) {
    fail(`scalingConfig.maximumConcurrency must be between 2 and 1000 (got ${scaling})`);
  }
  const types = Array.isArray(inputs.functionResponseTypes) ? inputs.functionResponseTypes : [];
  const config: MappingConfig = {
    uuid: optionalString(outputs.uuid) ?? resource.id ?? resource.name,
    name: resource.name,
    queueArn,
    functionName,
    batchSize,
    maximumBatchingWindowSeconds: window,
    reportBatchItemFailures: types.includes("ReportBatchItemFailures"),
    maximumConcurrency: scaling ?? model.options.defaultMaximumConcurrency ?? 5,
    enabled: inputs.enabled !== false,
  };
  // AWS refuses a mapping whose function may outlive the message's invisibility.
  const queue = ctx.resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.outputs.arn === queueArn);
  const visibility = optionalNumber(queue?.inputs.visibilityTimeoutSeconds) ?? 30;
  const fn = model.find(functionName);
  if (queue && fn && fn.config.timeoutSeconds > visibility) {
    ctx.log.warn(
      `lambda: event source mapping ${resource.name}: queue visibility timeout ${visibility} s is less than function timeout ${fn.config.timeoutSeconds} s (AWS refuses this)`,
    );
  }
  model.putMapping(config);
}

function provisionInvokeConfig(model: LambdaModel, resource: LocalResource): void {
  const { inputs } = resource;
  const functionName = optionalString(inputs.functionName);
  if (!functionName) return;
  const { name } = functionNameOf(functionName);
  const retries = optionalNumber(inputs.maximumRetryAttempts) ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  const age = optionalNumber(inputs.maximumEventAgeInSeconds) ?? DEFAULT_MAX_EVENT_AGE_SECONDS;
  if (retries < 0 || retries > 2) {
    throw invalidParameter(
      `FunctionEventInvokeConfig ${resource.name}: maximumRetryAttempts must be between 0 and 2 (got ${retries})`,
    );
  }
  if (age < 60 || age > 21_600) {
    throw invalidParameter(
      `FunctionEventInvokeConfig ${resource.name}: maximumEventAgeInSeconds must be between 60 and 21600 (got ${age})`,
    );
  }
  const destinations = record(inputs.destinationConfig);
  model.invokeConfigs.set(name, {
    maximumRetryAttempts: retries,
    maximumEventAgeSeconds: age,
    onSuccess: optionalString(record(destinations.onSuccess).destination),
    onFailure: optionalString(record(destinations.onFailure).destination),
  });
}
