import type { LocalContext, LocalResource } from "../../types";
import { asRecord as record, scalarString as str } from "../../values";
import { busNameOf, type EventsModel } from "./model";

/**
 * The program's EventBridge resources (`aws:cloudwatch/eventBus|eventRule|eventTarget|eventArchive`) turned
 * into the same CreateEventBus / PutRule / PutTargets / CreateArchive calls a client makes, in EventBridge's
 * own shapes, so both are checked alike. What AWS would refuse in a declared resource is logged rather than
 * refused (`onProblem: "warn"`), so the rest of the stack still runs.
 */

const BUS = "aws:cloudwatch/eventBus:EventBus";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const ARCHIVE = "aws:cloudwatch/eventArchive:EventArchive";

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Provisions one resource when it is EventBridge's; ignores the others. */
export function provisionEvents(ctx: LocalContext, model: EventsModel, resource: LocalResource): void {
  function provisionBus(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const name = str(outputs.name) ?? str(inputs.name) ?? resource.name;
    model.createEventBus(
      {
        Name: name,
        Description: inputs.description,
        KmsKeyIdentifier: inputs.kmsKeyIdentifier,
        DeadLetterConfig: record(inputs.deadLetterConfig)
          ? { Arn: record(inputs.deadLetterConfig)?.arn }
          : undefined,
      },
      { arn: str(outputs.arn) ?? model.busArn(name), logicalName: resource.name, onProblem: "warn" },
    );
  }

  function provisionRule(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const name = str(outputs.name) ?? str(inputs.name) ?? resource.name;
    const busName = busNameOf(str(inputs.eventBusName));
    model.putRule(
      {
        Name: name,
        EventBusName: busName,
        EventPattern: jsonText(inputs.eventPattern),
        ScheduleExpression: inputs.scheduleExpression,
        State:
          str(inputs.state) ??
          (inputs.isEnabled === false || inputs.isEnabled === "false" ? "DISABLED" : "ENABLED"),
        Description: inputs.description,
        RoleArn: inputs.roleArn,
      },
      {
        arn: str(outputs.arn) ?? model.ruleArn(busName, name),
        logicalName: resource.name,
        onProblem: "warn",
      },
    );
  }

  function provisionTarget(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const ruleName = str(inputs.rule);
    const arn = str(inputs.arn);
    if (!ruleName || !arn) {
      ctx.log.warn(`events target ${resource.name} has no rule or arn; ignored`);
      return;
    }
    const retry = record(inputs.retryPolicy);
    const transformer = record(inputs.inputTransformer);
    const deadLetter = str(record(inputs.deadLetterConfig)?.arn);
    const groupId = str(record(inputs.sqsTarget)?.messageGroupId);
    model.putTargets(
      ruleName,
      inputs.eventBusName,
      [
        {
          Id: str(inputs.targetId) ?? str(outputs.targetId) ?? resource.name,
          Arn: arn,
          RoleArn: inputs.roleArn,
          Input: inputs.input,
          InputPath: inputs.inputPath,
          InputTransformer: transformer
            ? {
                InputPathsMap: record(transformer.inputPaths) ?? record(transformer.inputPathsMap) ?? {},
                InputTemplate: transformer.inputTemplate,
              }
            : undefined,
          DeadLetterConfig: deadLetter ? { Arn: deadLetter } : undefined,
          RetryPolicy: retry
            ? {
                MaximumRetryAttempts: num(retry.maximumRetryAttempts),
                MaximumEventAgeInSeconds: num(retry.maximumEventAgeInSeconds),
              }
            : undefined,
          SqsParameters: groupId ? { MessageGroupId: groupId } : undefined,
        },
      ],
      { arn, logicalName: resource.name, onProblem: "warn" },
    );
  }

  function provisionArchive(resource: LocalResource): void {
    const { inputs, outputs } = resource;
    const name = str(outputs.name) ?? str(inputs.name) ?? resource.name;
    if (!str(inputs.eventSourceArn)) {
      ctx.log.warn(`events archive ${name} has no eventSourceArn; ignored`);
      return;
    }
    model.createArchive(
      {
        ArchiveName: name,
        EventSourceArn: inputs.eventSourceArn,
        Description: inputs.description,
        EventPattern: jsonText(inputs.eventPattern),
        RetentionDays: num(inputs.retentionDays),
      },
      {
        arn: str(outputs.arn) ?? `arn:aws:events:${ctx.region}:${ctx.accountId}:archive/${name}`,
        logicalName: resource.name,
        onProblem: "warn",
      },
    );
  }

  switch (resource.type) {
    case BUS:
      provisionBus(resource);
      break;
    case RULE:
      provisionRule(resource);
      break;
    case TARGET:
      provisionTarget(resource);
      break;
    case ARCHIVE:
      provisionArchive(resource);
      break;
  }
}
