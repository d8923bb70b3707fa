import { matchesEventPattern, validateEventPattern } from "@switchyard/routing";
import { type LocalContext, LocalServiceError } from "../../types";
import { asRecord as record, scalarString as str } from "../../values";
import type { EventsDelivery, Replay } from "./delivery";
import { notFound, validation } from "./errors";
import type { Archive, Bus, EventsModel, Rule, Target } from "./model";

/**
 * The EventBridge API: one function per operation the local EventBridge serves, taking the request's JSON
 * members and returning the response's, over the model (buses, rules, targets, archives) and the delivery
 * pipeline (events, replays). The AWS JSON 1.1 codec (index.ts) calls them by the `X-Amz-Target` operation.
 */

type Body = Record<string, unknown>;

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function seconds(ms: number): number {
  return ms / 1000;
}

export type EventsApi = ReturnType<typeof createEventsApi>;

export function createEventsApi(ctx: LocalContext, model: EventsModel, delivery: EventsDelivery) {
  const { buses, rules, targets, archives } = model;
  const replays = delivery.replays;
  const startReplay = (body: Body) => delivery.startReplay(body);
  const putEntries = (entries: unknown, wire: boolean) => delivery.putEntries(entries, wire);

  function replayView(replay: Replay, full: boolean): Record<string, unknown> {
    return {
      ReplayName: replay.name,
      ...(full ? { ReplayArn: replay.arn, Description: replay.description } : {}),
      EventSourceArn: replay.archiveArn,
      ...(full
        ? {
            Destination: {
              Arn: replay.destinationArn,
              ...(replay.filterArns ? { FilterArns: replay.filterArns } : {}),
            },
          }
        : {}),
      State: replay.state,
      ...(replay.stateReason ? { StateReason: replay.stateReason } : {}),
      EventStartTime: seconds(replay.startTime),
      EventEndTime: seconds(replay.endTime),
      ...(replay.lastReplayedTime !== undefined
        ? { EventLastReplayedTime: seconds(replay.lastReplayedTime) }
        : {}),
      ReplayStartTime: seconds(replay.replayStartTime),
      ...(replay.replayEndTime !== undefined ? { ReplayEndTime: seconds(replay.replayEndTime) } : {}),
    };
  }

  function archiveView(archive: Archive, full: boolean): Record<string, unknown> {
    const events = delivery.archiveEvents(archive);
    return {
      ...(full ? { ArchiveArn: archive.arn } : {}),
      ArchiveName: archive.name,
      EventSourceArn: archive.sourceArn,
      ...(full && archive.description ? { Description: archive.description } : {}),
      ...(full && archive.pattern ? { EventPattern: archive.pattern } : {}),
      State: "ENABLED",
      RetentionDays: archive.retentionDays,
      SizeBytes: events.reduce((sum, item) => sum + item.size, 0),
      EventCount: events.length,
      CreationTime: seconds(archive.createdAt),
    };
  }

  function page<T>(items: T[], body: Record<string, unknown>): { items: T[]; NextToken?: string } {
    const limit = num(body.Limit) ?? 100;
    if (limit < 1 || limit > 100) {
      throw validation(
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    }
    const token = str(body.NextToken);
    const start = token ? Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) : 0;
    if (!Number.isInteger(start) || start < 0) throw validation("The NextToken is not valid.");
    const end = start + limit;
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { NextToken: Buffer.from(String(end)).toString("base64") } : {}),
    };
  }

  function busOf(reference: unknown): Bus {
    return model.bus(reference);
  }

  function ruleOf(name: unknown, busReference: unknown): Rule {
    return model.rule(name, busReference);
  }

  function busView(bus: Bus): Record<string, unknown> {
    return {
      Name: bus.name,
      Arn: bus.arn,
      ...(bus.description ? { Description: bus.description } : {}),
      ...(bus.kmsKeyIdentifier ? { KmsKeyIdentifier: bus.kmsKeyIdentifier } : {}),
      CreationTime: seconds(bus.createdAt),
      LastModifiedTime: seconds(bus.createdAt),
    };
  }

  function ruleView(rule: Rule): Record<string, unknown> {
    return {
      Name: rule.name,
      Arn: rule.arn,
      ...(rule.pattern ? { EventPattern: rule.pattern } : {}),
      ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
      State: rule.state,
      ...(rule.description ? { Description: rule.description } : {}),
      ...(rule.roleArn ? { RoleArn: rule.roleArn } : {}),
      EventBusName: rule.busName,
    };
  }

  function targetView(target: Target): Record<string, unknown> {
    return {
      Id: target.id,
      Arn: target.arn,
      ...(target.roleArn ? { RoleArn: target.roleArn } : {}),
      ...(target.input !== undefined ? { Input: target.input } : {}),
      ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
      ...(target.inputTransformer
        ? {
            InputTransformer: {
              InputPathsMap: target.inputTransformer.inputPathsMap,
              InputTemplate: target.inputTransformer.inputTemplate,
            },
          }
        : {}),
      ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
      ...(target.retryPolicy ? { RetryPolicy: target.retryPolicy } : {}),
      ...(target.sqsMessageGroupId ? { SqsParameters: { MessageGroupId: target.sqsMessageGroupId } } : {}),
    };
  }

  function testEventPattern(body: Record<string, unknown>): Record<string, unknown> {
    const pattern = str(body.EventPattern);
    if (pattern === undefined)
      throw validation("Parameter EventPattern is not valid. Reason: EventPattern is a required argument.");
    const problems = validateEventPattern(pattern);
    if (problems.length > 0) {
      throw new LocalServiceError(
        "InvalidEventPatternException",
        `Event pattern is not valid. Reason: ${problems.join(" ")}`,
      );
    }
    let event: unknown;
    try {
      event = JSON.parse(str(body.Event) ?? "");
    } catch {
      event = undefined;
    }
    const fields = record(event);
    const requiredFields = ["id", "account", "source", "time", "region", "detail-type"];
    if (!fields || !requiredFields.every((field) => field in fields)) {
      throw validation("Parameter Event is not valid.");
    }
    return { Result: matchesEventPattern(pattern, fields) };
  }

  return {
    PutEvents(body: Body): unknown {
      const results = putEntries(body.Entries, true);
      return { FailedEntryCount: results.filter((entry) => entry.ErrorCode).length, Entries: results };
    },
    ListEventBuses(body: Body): unknown {
      const prefix = str(body.NamePrefix) ?? "";
      const { items, NextToken } = page(
        [...buses.values()].filter((bus) => bus.name.startsWith(prefix)),
        body,
      );
      return { EventBuses: items.map(busView), ...(NextToken ? { NextToken } : {}) };
    },
    DescribeEventBus(body: Body): unknown {
      return busView(busOf(body.Name));
    },
    ListRules(body: Body): unknown {
      const bus = busOf(body.EventBusName);
      const prefix = str(body.NamePrefix) ?? "";
      const { items, NextToken } = page(
        [...rules.values()].filter((rule) => rule.busName === bus.name && rule.name.startsWith(prefix)),
        body,
      );
      return { Rules: items.map(ruleView), ...(NextToken ? { NextToken } : {}) };
    },
    DescribeRule(body: Body): unknown {
      return { ...ruleView(ruleOf(body.Name, body.EventBusName)), CreatedBy: ctx.accountId };
    },
    ListTargetsByRule(body: Body): unknown {
      const rule = ruleOf(body.Rule, body.EventBusName);
      const { items, NextToken } = page(
        [...(targets.get(`${rule.busName}/${rule.name}`)?.values() ?? [])],
        body,
      );
      return { Targets: items.map(targetView), ...(NextToken ? { NextToken } : {}) };
    },
    ListRuleNamesByTarget(body: Body): unknown {
      const bus = busOf(body.EventBusName);
      const targetArn = str(body.TargetArn);
      const names = [...rules.values()]
        .filter((rule) => rule.busName === bus.name)
        .filter((rule) =>
          [...(targets.get(`${bus.name}/${rule.name}`)?.values() ?? [])].some(
            (target) => target.arn === targetArn,
          ),
        )
        .map((rule) => rule.name);
      const { items, NextToken } = page(names, body);
      return { RuleNames: items, ...(NextToken ? { NextToken } : {}) };
    },
    TestEventPattern(body: Body): unknown {
      return testEventPattern(body);
    },
    ListArchives(body: Body): unknown {
      const prefix = str(body.NamePrefix) ?? "";
      const source = str(body.EventSourceArn);
      const { items, NextToken } = page(
        [...archives.values()].filter(
          (archive) => archive.name.startsWith(prefix) && (!source || archive.sourceArn === source),
        ),
        body,
      );
      return {
        Archives: items.map((archive) => archiveView(archive, false)),
        ...(NextToken ? { NextToken } : {}),
      };
    },
    DescribeArchive(body: Body): unknown {
      const archive = archives.get(str(body.ArchiveName) ?? "");
      if (!archive) throw notFound(`Archive ${str(body.ArchiveName) ?? ""} does not exist.`);
      return archiveView(archive, true);
    },
    StartReplay(body: Body): unknown {
      return startReplay(body);
    },
    DescribeReplay(body: Body): unknown {
      const replay = replays.get(str(body.ReplayName) ?? "");
      if (!replay) throw notFound(`Replay ${str(body.ReplayName) ?? ""} does not exist.`);
      return replayView(replay, true);
    },
    ListReplays(body: Body): unknown {
      const prefix = str(body.NamePrefix) ?? "";
      const state = str(body.State);
      const source = str(body.EventSourceArn);
      const { items, NextToken } = page(
        [...replays.values()].filter(
          (replay) =>
            replay.name.startsWith(prefix) &&
            (!state || replay.state === state) &&
            (!source || replay.archiveArn === source),
        ),
        body,
      );
      return {
        Replays: items.map((replay) => replayView(replay, false)),
        ...(NextToken ? { NextToken } : {}),
      };
    },
    CancelReplay(body: Body): unknown {
      const replay = delivery.cancelReplay(body.ReplayName);
      return { ReplayArn: replay.arn, State: replay.state };
    },
    CreateEventBus(body: Body): unknown {
      const bus = model.createEventBus(body);
      return { EventBusArn: bus.arn };
    },
    DeleteEventBus(body: Body): unknown {
      model.deleteEventBus(body.Name);
      return {};
    },
    PutRule(body: Body): unknown {
      return { RuleArn: model.putRule(body).arn };
    },
    EnableRule(body: Body): unknown {
      model.setRuleState(body.Name, body.EventBusName, "ENABLED");
      return {};
    },
    DisableRule(body: Body): unknown {
      model.setRuleState(body.Name, body.EventBusName, "DISABLED");
      return {};
    },
    DeleteRule(body: Body): unknown {
      model.deleteRule(body.Name, body.EventBusName);
      return {};
    },
    PutTargets(body: Body): unknown {
      const failed = model.putTargets(body.Rule, body.EventBusName, body.Targets);
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    },
    RemoveTargets(body: Body): unknown {
      model.removeTargets(body.Rule, body.EventBusName, body.Ids);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    CreateArchive(body: Body): unknown {
      const archive = model.createArchive(body);
      return { ArchiveArn: archive.arn, State: "ENABLED", CreationTime: seconds(archive.createdAt) };
    },
    DeleteArchive(body: Body): unknown {
      model.deleteArchive(body.ArchiveName);
      return {};
    },
    ListTagsForResource(_body: Body): unknown {
      return { Tags: [] };
    },
  };
}
