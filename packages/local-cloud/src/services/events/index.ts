import type { IncomingMessage, ServerResponse } from "node:http";
import { RecordLog } from "../../persist/journal";
import { jsonOperation, parseJsonBody, sendJson, sendJsonError } from "../../protocol";
import {
  type EventsEngine,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type ServiceEmulator,
} from "../../types";
import { createEventsApi } from "./api";
import { createEventsDelivery, type EventsOptions } from "./delivery";
import { eventsNotEmulated } from "./errors";
import { type ArchivedEvent, EventsModel } from "./model";
import { provisionEvents } from "./provisioning";

/** The operations by which a client changes buses, rules, targets or archives (journaled with --persist). */
const CONTROL_PLANE_WRITES = new Set([
  "CreateEventBus",
  "DeleteEventBus",
  "PutRule",
  "EnableRule",
  "DisableRule",
  "DeleteRule",
  "PutTargets",
  "RemoveTargets",
  "CreateArchive",
  "DeleteArchive",
]);

/** What the EventBridge journal holds: archived events, and control-plane calls clients made. */
type EventsJournalRecord =
  | { kind: "archived"; archive: string; item: ArchivedEvent }
  | { kind: "call"; operation: string; input: Record<string, unknown> };

export type {
  EventsDeliveryRecord,
  EventsOptions,
  PutEventsEntry,
  PutEventsResultEntry,
} from "./delivery";
export { entrySize } from "./delivery";
export type { EventEnvelope } from "./model";
export { busNameOf } from "./model";

/**
 * The EventBridge emulator: event buses, rules, targets and archives come from the program's
 * `aws:cloudwatch/eventBus|eventRule|eventTarget|eventArchive` resources and from clients (CreateEventBus,
 * PutRule, PutTargets, CreateArchive) through the same model (the `default` bus always exists);
 * the AWS JSON 1.1 API (`AWSEvents.*`: PutEvents, ListEventBuses, DescribeEventBus, ListRules, DescribeRule,
 * ListTargetsByRule, ListRuleNamesByTarget, TestEventPattern, ListArchives, DescribeArchive, StartReplay,
 * DescribeReplay, ListReplays, CancelReplay) serves the SDK. Every event is matched against the enabled rules
 * of its bus with `@switchyard/routing`, each matching target gets its (transformed) input asynchronously
 * (SQS, Lambda, SNS, another bus), failures are retried per the target's RetryPolicy and then sent to its DLQ
 * with the attributes AWS adds, or dropped with a warning.
 *
 * Layout: model.ts (buses, rules, targets, archives and their rules), delivery.ts (events, retries, DLQs,
 * archives, replays), input.ts (what a target receives), api.ts (one function per operation),
 * provisioning.ts (the program's resources through the model), errors.ts; this file is the JSON 1.1 codec.
 */

/** The EventBridge emulator as the engine and tests see it. */
export type EventsEmulator = ServiceEmulator &
  EventsEngine & {
    /** Resolves once every delivery (retries included) and replay in flight has finished. */
    settled(): Promise<void>;
  };

/** Creates the EventBridge emulator (signing name `events`). */
export function createEvents(ctx: LocalContext, options: EventsOptions = {}): EventsEmulator {
  const now = options.now ?? Date.now;
  const model = new EventsModel(ctx, ctx.log, now);
  // Compaction drops archived events past their archive's retention (kept while the archive is unknown).
  const journal = new RecordLog<EventsJournalRecord>(ctx, "events", {
    live: (records) => {
      const at = now();
      return records.filter((record) => {
        if (record.kind !== "archived") return true;
        const days = model.archives.get(record.archive)?.retentionDays;
        return !days || record.item.at >= at - days * 24 * 3600 * 1000;
      });
    },
  });
  const restored = journal.records();
  for (const record of restored) {
    if (record.kind !== "archived") continue;
    const list = model.restoredArchiveEvents.get(record.archive) ?? [];
    list.push(record.item);
    model.restoredArchiveEvents.set(record.archive, list);
  }
  const delivery = createEventsDelivery(ctx, model, options, {
    archived: (archive, item) => journal.append({ kind: "archived", archive: archive.name, item }),
  });
  const api = createEventsApi(ctx, model, delivery);
  const { buses, rules, targets, archives } = model;

  return {
    signingNames: ["events"],

    provision(resource: LocalResource): void {
      provisionEvents(ctx, model, resource);
    },

    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      let operation = "";
      try {
        operation = jsonOperation(req);
        const perform = (api as Record<string, ((body: Record<string, unknown>) => unknown) | undefined>)[
          operation
        ];
        if (!perform) throw eventsNotEmulated(operation);
        const input = parseJsonBody(body);
        const output = perform(input);
        // What a client changed survives a restart with --persist (written before the answer).
        if (CONTROL_PLANE_WRITES.has(operation)) journal.append({ kind: "call", operation, input });
        sendJson(res, output, { version: "1.1" });
      } catch (error) {
        const failure =
          error instanceof LocalServiceError
            ? error
            : new LocalServiceError(
                "InternalException",
                error instanceof Error ? error.message : String(error),
                500,
              );
        if (failure.status >= 500) ctx.log.error(`events ${operation} failed`, { error: failure.message });
        sendJsonError(res, failure, { version: "1.1" });
      }
    },

    adminRoutes: {
      "events/buses": () =>
        [...buses.values()].map((bus) => ({
          name: bus.name,
          arn: bus.arn,
          description: bus.description,
          rules: [...rules.values()]
            .filter((rule) => rule.busName === bus.name)
            .map((rule) => ({
              name: rule.name,
              arn: rule.arn,
              state: rule.state,
              eventPattern: rule.pattern ? (JSON.parse(rule.pattern) as unknown) : undefined,
              eventPatternProblems: rule.patternProblems.length > 0 ? rule.patternProblems : undefined,
              scheduleExpression: rule.scheduleExpression,
              targets: [...(targets.get(`${bus.name}/${rule.name}`)?.values() ?? [])].map((target) => ({
                id: target.id,
                arn: target.arn,
                deadLetterArn: target.deadLetterArn,
                maximumRetryAttempts: target.maximumRetryAttempts,
                maximumEventAgeInSeconds: target.maximumEventAgeInSeconds,
                input: target.input,
                inputPath: target.inputPath,
                inputTransformer: target.inputTransformer,
                sqsMessageGroupId: target.sqsMessageGroupId,
                counts: delivery.counts(rule.arn, target.id),
              })),
            })),
        })),
      "events/archives": (query) => {
        const name = query.get("name") ?? undefined;
        return [...archives.values()]
          .filter((archive) => !name || archive.name === name)
          .map((archive) => ({
            name: archive.name,
            arn: archive.arn,
            eventSourceArn: archive.sourceArn,
            eventPattern: archive.pattern ? (JSON.parse(archive.pattern) as unknown) : undefined,
            retentionDays: archive.retentionDays,
            events: delivery.archiveEvents(archive).map((item) => ({
              archivedAt: new Date(item.at).toISOString(),
              event: item.event,
            })),
          }));
      },
      "events/replays": () =>
        [...delivery.replays.values()].map((replay) => api.DescribeReplay({ ReplayName: replay.name })),
      "events/deliveries": (query) => {
        const busName = query.get("bus") ?? undefined;
        return delivery.deliveries(busName);
      },
    },

    start(): void {
      // Runtime changes of earlier runs, on top of what the program declared.
      for (const record of restored) {
        if (record.kind !== "call") continue;
        const perform = (api as Record<string, ((body: Record<string, unknown>) => unknown) | undefined>)[
          record.operation
        ];
        try {
          perform?.(record.input);
        } catch (error) {
          ctx.log.warn(`events: replaying ${record.operation} from the journal failed`, {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      restored.length = 0;
    },

    stop(): void {
      delivery.stop();
      journal.close();
    },

    putEvents(entries) {
      return delivery.putEntries(entries, false);
    },

    settled(): Promise<void> {
      return delivery.settled();
    },
  };
}
