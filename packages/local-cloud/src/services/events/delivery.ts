import { randomUUID } from "node:crypto";
import { matchesEventPattern } from "@switchyard/routing";
import { DeliveryDenied, DeliveryPending } from "../../iam";
import { parseArn } from "../../protocol";
import { type LocalContext, LocalServiceError, type MessageAttributeValue } from "../../types";
import { asRecord as record, scalarString as str } from "../../values";
import { notFound, validation } from "./errors";
import { targetInput } from "./input";
import {
  type Archive,
  type ArchivedEvent,
  type Bus,
  busNameOf,
  type EventEnvelope,
  type EventsModel,
  type Rule,
  type Target,
} from "./model";

/**
 * What EventBridge does with events: PutEvents' checks and sizes, archiving, matching each event against the
 * enabled rules of its bus, delivering each matching target's (transformed) input asynchronously (SQS, Lambda,
 * SNS, another bus) with the target's retry policy and then its DLQ, and replays from archives. No wire format
 * here: api.ts turns requests into these calls.
 */

const LOG_LIMIT = 500;

/** Options of the EventBridge emulator. */
export interface EventsOptions {
  /**
   * Delay before retry number `attempt` (1 = the first retry) of a failed target delivery. AWS backs off
   * exponentially with jitter over up to 24 hours; locally the same number of attempts happens in the same
   * order, but fast. @default 10 ms doubling per attempt, at most 1 s (185 retries take about 3 minutes)
   */
  retryDelayMs?: (attempt: number) => number;
  /**
   * Largest PutEvents request, as AWS computes entry sizes (Time 14 bytes + UTF-8 Source, DetailType, Detail
   * and Resources). @default 262144 (256 KB)
   */
  maxRequestBytes?: number;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** One entry as PutEvents (and the internal API) takes it. */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | Date | number;
  TraceHeader?: string;
}

/** One entry of the PutEvents result. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** What happened to one event at one target (`GET /_local/events/deliveries`). */
export interface EventsDeliveryRecord {
  eventId: string;
  busName: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  status: "delivered" | "retrying" | "dead-lettered" | "dropped" | "unsupported";
  attempts: number;
  errorCode?: string;
  errorMessage?: string;
  deadLetterArn?: string;
  replayName?: string;
  at: number;
}

/**
 * Outcomes at one rule target since the engine started (`GET /_local/events/buses`, each target's `counts`; the
 * console's map counts on the rule -> target edges). Each event the rule sent the target adds one to exactly one
 * of them once it is settled (a retry is not an outcome).
 */
export interface EventsDeliveryCounts {
  delivered: number;
  /** Failed, and sent to the target's DLQ. */
  deadLettered: number;
  /** Failed, and lost: no DLQ, the DLQ refused it, or a target the local cloud does not deliver to. */
  failed: number;
}

export interface Replay {
  name: string;
  arn: string;
  archiveArn: string;
  destinationArn: string;
  filterArns?: string[];
  description?: string;
  startTime: number;
  endTime: number;
  state: "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";
  stateReason?: string;
  replayStartTime: number;
  replayEndTime?: number;
  lastReplayedTime?: number;
}

/** A delivery failure: the ERROR_CODE EventBridge would report and whether it retries. */
export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

/** A target type the local cloud does not deliver to (Step Functions, Kinesis, API destinations...). */
class UnsupportedTarget extends Error {}

function _num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function _jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function seconds(ms: number): number {
  return ms / 1000;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The size AWS counts for one PutEvents entry: 14 bytes for Time when given, plus the UTF-8 bytes of Source,
 * DetailType, Detail and each Resource.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function entrySize(entry: Record<string, unknown>): number {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  for (const field of ["Source", "DetailType", "Detail"]) {
    const value = entry[field];
    if (typeof value === "string") size += Buffer.byteLength(value);
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources)
      if (typeof resource === "string") size += Buffer.byteLength(resource);
  }
  return size;
}

/** Maps a target's error to EventBridge's ERROR_CODE and whether EventBridge retries it. */
function classify(error: unknown): Failure {
  const message = errorText(error);
  if (error instanceof DeliveryDenied) return { code: "NO_PERMISSIONS", message, retryable: false };
  if (error instanceof LocalServiceError) {
    const code = error.code;
    if (
      [
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "ResourceNotFoundException",
        "NotFound",
        "ServiceNotRunning",
      ].includes(code)
    ) {
      return { code: "NO_RESOURCE", message, retryable: false };
    }
    if (/throttl|TooManyRequests|RequestLimitExceeded/i.test(code) || error.status === 429) {
      return { code: "THROTTLING", message, retryable: true };
    }
    if (error.status >= 500) return { code: "INTERNAL_ERROR", message, retryable: true };
    if (
      /^(InvalidParameter|InvalidParameterValue|MissingParameter|InvalidMessageContents|ValidationException|ParameterValueInvalid|InvalidAttributeValue)/.test(
        code,
      )
    ) {
      return { code: "INVALID_PARAMETER", message, retryable: false };
    }
    return { code: "SDK_CLIENT_ERROR", message, retryable: false };
  }
  return { code: "INTERNAL_ERROR", message, retryable: true };
}

export type EventsDelivery = ReturnType<typeof createEventsDelivery>;

/** The event pipeline of one EventBridge emulator, over its model. */
export function createEventsDelivery(
  ctx: LocalContext,
  model: EventsModel,
  options: EventsOptions = {},
  hooks: { archived?(archive: Archive, item: ArchivedEvent): void } = {},
) {
  const now = options.now ?? Date.now;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => Math.min(10 * 2 ** (attempt - 1), 1000));
  const maxRequestBytes = options.maxRequestBytes ?? 262_144;
  const { buses, rules, targets, archives } = model;
  const replays = new Map<string, Replay>();
  const deliveries: EventsDeliveryRecord[] = [];
  const counts = new Map<string, EventsDeliveryCounts>();

  const timers = new Set<NodeJS.Timeout>();
  const immediates = new Set<NodeJS.Immediate>();
  let inFlight = 0;
  let stopped = false;
  let waiters: Array<() => void> = [];

  function begin(): void {
    inFlight++;
  }

  function end(): void {
    inFlight--;
    if (inFlight > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  }

  function later(task: () => void, delayMs?: number): void {
    if (stopped) return;
    begin();
    const run = (): void => {
      try {
        if (!stopped) task();
      } catch (error) {
        ctx.log.error("events task failed", { error: errorText(error) });
      } finally {
        end();
      }
    };
    if (delayMs === undefined) {
      const handle = setImmediate(() => {
        immediates.delete(handle);
        run();
      });
      immediates.add(handle);
    } else {
      const handle = setTimeout(() => {
        timers.delete(handle);
        run();
      }, delayMs);
      timers.add(handle);
    }
  }

  function log(entry: EventsDeliveryRecord): void {
    deliveries.push(entry);
    if (deliveries.length > LOG_LIMIT) deliveries.splice(0, deliveries.length - LOG_LIMIT);
    if (entry.status === "retrying") return;
    const count = countsOf(entry.ruleArn, entry.targetId);
    count[
      entry.status === "delivered"
        ? "delivered"
        : entry.status === "dead-lettered"
          ? "deadLettered"
          : "failed"
    ] += 1;
  }

  function countsOf(ruleArn: string, targetId: string): EventsDeliveryCounts {
    const key = `${ruleArn}\u0000${targetId}`;
    const count = counts.get(key) ?? { delivered: 0, deadLettered: 0, failed: 0 };
    counts.set(key, count);
    return count;
  }

  // ---------------------------------------------------------------- putting events

  function parseTime(value: unknown): number | undefined {
    if (value === undefined || value === null) return now();
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
    if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : undefined;
    if (typeof value === "string") {
      const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
      return Number.isNaN(parsed) ? undefined : parsed;
    }
    return undefined;
  }

  function entryError(code: string, message: string): PutEventsResultEntry {
    return { ErrorCode: code, ErrorMessage: message };
  }

  /** Validates one entry; returns the event and its bus, or the per-entry error. */
  function buildEvent(
    entry: Record<string, unknown>,
    wire: boolean,
  ): { event: EventEnvelope; bus: Bus } | { error: PutEventsResultEntry } {
    const required = (field: string): PutEventsResultEntry =>
      entryError(
        "InvalidArgument",
        `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      );
    const source = entry.Source;
    if (typeof source !== "string" || source === "") return { error: required("Source") };
    const detailType = entry.DetailType;
    if (typeof detailType !== "string" || detailType === "") return { error: required("DetailType") };
    const detailText = entry.Detail;
    if (typeof detailText !== "string" || detailText === "") return { error: required("Detail") };
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      detail = undefined;
    }
    if (record(detail) === undefined) return { error: entryError("MalformedDetail", "Detail is malformed.") };
    if (wire && source.startsWith("aws.")) {
      return { error: entryError("NotAuthorizedForSourceException", "Not authorized for the source.") };
    }
    const resources = entry.Resources ?? [];
    if (!Array.isArray(resources) || !resources.every((item) => typeof item === "string")) {
      return {
        error: entryError(
          "InvalidArgument",
          "Parameter Resources is not valid. Reason: it must be a list of strings.",
        ),
      };
    }
    const time = parseTime(entry.Time);
    if (time === undefined) {
      return {
        error: entryError(
          "InvalidArgument",
          `Parameter Time is not valid (got ${JSON.stringify(entry.Time)}).`,
        ),
      };
    }
    const busReference = typeof entry.EventBusName === "string" ? entry.EventBusName : undefined;
    const busName = busNameOf(busReference);
    const bus = buses.get(busName);
    if (!bus)
      return { error: entryError("ResourceNotFoundException", `Event bus ${busName} does not exist.`) };
    return {
      bus,
      event: {
        version: "0",
        id: randomUUID(),
        "detail-type": detailType,
        source,
        account: ctx.accountId,
        time: isoSeconds(time),
        region: ctx.region,
        resources: resources as string[],
        detail,
      },
    };
  }

  function putEntries(entries: unknown, wire: boolean): PutEventsResultEntry[] {
    if (!Array.isArray(entries) || entries.length === 0) {
      throw validation(
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > 10) {
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 (got ${entries.length})`,
      );
    }
    const items = entries.map((entry) => record(entry) ?? {});
    const size = items.reduce((sum, entry) => sum + entrySize(entry), 0);
    if (size > maxRequestBytes) {
      throw validation(
        `Total size of the entries in the request is over the limit (${size} bytes; at most ${maxRequestBytes}).`,
      );
    }
    return items.map((entry) => {
      const built = buildEvent(entry, wire);
      if ("error" in built) return built.error;
      ingest(built.bus.name, built.event, { ingestionTime: now() });
      return { EventId: built.event.id };
    });
  }

  /** Archives (live events only) and routes one event on one bus. */
  function ingest(
    busName: string,
    event: EventEnvelope,
    options: { ingestionTime: number; replayName?: string; filterArns?: string[] },
  ): void {
    if (options.replayName === undefined) {
      for (const archive of archives.values()) {
        if (archive.busName !== busName) continue;
        if (archive.pattern && !matchesEventPattern(archive.pattern, event)) continue;
        const item: ArchivedEvent = {
          event,
          at: options.ingestionTime,
          size: Buffer.byteLength(JSON.stringify(event)),
        };
        hooks.archived?.(archive, item);
        archive.events.push(item);
      }
    }
    for (const rule of rules.values()) {
      if (rule.busName !== busName || !rule.pattern) continue;
      if (rule.state !== "ENABLED" && rule.state !== "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        continue;
      if (options.filterArns && options.filterArns.length > 0 && !options.filterArns.includes(rule.arn))
        continue;
      if (!matchesEventPattern(rule.pattern, event)) continue;
      for (const target of targets.get(`${busName}/${rule.name}`)?.values() ?? []) {
        later(() => attempt(rule, target, event, options.ingestionTime, 1));
      }
    }
  }

  // ---------------------------------------------------------------- delivery

  function sendTo(rule: Rule, target: Target, event: EventEnvelope, ingestionTime: number): void {
    const parsed = parseArn(target.arn);
    const service = parsed?.service;
    if (service === "events") {
      const name = busNameOf(target.arn);
      if (!buses.has(name)) throw notFound(`Event bus ${name} does not exist.`);
      ingest(name, event, { ingestionTime: now() });
      return;
    }
    let input: string;
    try {
      input = targetInput(target, event as unknown as Record<string, unknown>, {
        ruleArn: rule.arn,
        ruleName: rule.name,
        ingestionTime,
      });
    } catch (error) {
      throw new LocalServiceError("InvalidParameter", errorText(error));
    }
    switch (service) {
      case "sqs": {
        if (!ctx.sqs.hasQueue(target.arn)) {
          throw new LocalServiceError(
            "AWS.SimpleQueueService.NonExistentQueue",
            `Queue ${target.arn} does not exist.`,
          );
        }
        const fifo = target.arn.endsWith(".fifo");
        if (fifo && !target.sqsMessageGroupId) {
          throw new LocalServiceError(
            "InvalidParameter",
            `Target ${target.id} sends to the FIFO queue ${target.arn} without sqsTarget.messageGroupId.`,
          );
        }
        // The queue's policy must let EventBridge send for this rule (AWS: NO_PERMISSIONS, not retried).
        ctx.iam.requireDelivery(
          {
            service: "events.amazonaws.com",
            action: "sqs:SendMessage",
            resource: target.arn,
            sourceArn: rule.arn,
          },
          `${rule.arn} target ${target.id}`,
        );
        ctx.sqs.send(target.arn, {
          body: input,
          ...(fifo ? { messageGroupId: target.sqsMessageGroupId, messageDeduplicationId: event.id } : {}),
        });
        return;
      }
      case "lambda": {
        if (!ctx.lambda.hasFunction(target.arn)) throw notFound(`Function not found: ${target.arn}`);
        let payload: unknown;
        try {
          payload = JSON.parse(input);
        } catch {
          payload = input;
        }
        ctx.lambda.invokeAsync(target.arn, payload, { source: "aws.events" });
        return;
      }
      case "sns": {
        if (!ctx.sns.hasTopic(target.arn)) throw notFound(`Topic does not exist: ${target.arn}`);
        const fifo = target.arn.endsWith(".fifo");
        ctx.sns.publish(target.arn, {
          message: input,
          ...(fifo ? { messageGroupId: target.sqsMessageGroupId, messageDeduplicationId: event.id } : {}),
        });
        return;
      }
      default:
        throw new UnsupportedTarget(
          `the local cloud does not deliver to ${service ?? "unknown"} targets (${target.arn})`,
        );
    }
  }

  /**
   * Delivery attempt `number` (1 = the first). A retry first checks the event's age: past
   * maximumEventAgeInSeconds the event goes to the DLQ with the previous attempt's error instead.
   */
  function attempt(
    rule: Rule,
    target: Target,
    event: EventEnvelope,
    ingestionTime: number,
    number: number,
    previous?: Failure,
  ): void {
    if (previous && now() - ingestionTime >= target.maximumEventAgeInSeconds * 1000) {
      deadLetter(rule, target, event, previous, number - 2, "MaximumEventAgeInSeconds");
      return;
    }
    const base = {
      eventId: event.id,
      busName: rule.busName,
      ruleArn: rule.arn,
      targetId: target.id,
      targetArn: target.arn,
      attempts: number,
      ...(event["replay-name"] !== undefined ? { replayName: event["replay-name"] } : {}),
    };
    try {
      sendTo(rule, target, event, ingestionTime);
      log({ ...base, status: "delivered", at: now() });
      return;
    } catch (error) {
      if (error instanceof DeliveryPending) {
        void error.ready.finally(() => attempt(rule, target, event, ingestionTime, number, previous));
        return;
      }
      if (error instanceof UnsupportedTarget) {
        ctx.log.warn(`events: ${error.message}; event dropped`, { rule: rule.arn, target: target.id });
        log({ ...base, status: "unsupported", errorMessage: error.message, at: now() });
        return;
      }
      const failure = classify(error);
      const retries = number - 1;
      if (!failure.retryable) {
        deadLetter(rule, target, event, failure, retries, undefined);
        return;
      }
      if (retries >= target.maximumRetryAttempts) {
        deadLetter(rule, target, event, failure, retries, "MaximumRetryAttempts");
        return;
      }
      if (now() - ingestionTime >= target.maximumEventAgeInSeconds * 1000) {
        deadLetter(rule, target, event, failure, retries, "MaximumEventAgeInSeconds");
        return;
      }
      ctx.log.debug(`events delivery to ${target.arn} failed; retrying`, {
        attempt: number,
        error: failure.message,
      });
      log({ ...base, status: "retrying", errorCode: failure.code, errorMessage: failure.message, at: now() });
      later(() => attempt(rule, target, event, ingestionTime, number + 1, failure), retryDelayMs(number));
    }
  }

  /**
   * Sends the event to the target's DLQ with the attributes EventBridge adds: RULE_ARN, TARGET_ARN, ERROR_CODE,
   * ERROR_MESSAGE, RETRY_ATTEMPTS and, when retries ran out, EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts |
   * MaximumEventAgeInSeconds). Without a DLQ the event is dropped with a warning.
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
   */
  function deadLetter(
    rule: Rule,
    target: Target,
    event: EventEnvelope,
    failure: Failure,
    retries: number,
    exhausted: "MaximumRetryAttempts" | "MaximumEventAgeInSeconds" | undefined,
  ): void {
    const base = {
      eventId: event.id,
      busName: rule.busName,
      ruleArn: rule.arn,
      targetId: target.id,
      targetArn: target.arn,
      attempts: retries + 1,
      errorCode: failure.code,
      errorMessage: failure.message,
      ...(event["replay-name"] !== undefined ? { replayName: event["replay-name"] } : {}),
    };
    const dlq = target.deadLetterArn;
    // The AWS/Events metrics the stack's alarms watch (dimensions EventBusName and RuleName).
    const metric = (metricName: string): void => {
      try {
        ctx.cloudwatch.putMetric({
          namespace: "AWS/Events",
          metricName,
          dimensions: { EventBusName: rule.busName, RuleName: rule.name },
          value: 1,
          unit: "Count",
          timestamp: now(),
        });
      } catch {
        // No CloudWatch emulator in this engine: nothing watches the metric.
      }
    };
    metric("FailedInvocations");
    if (!dlq) {
      ctx.log.warn(`events delivery to ${target.arn} failed and the target has no DLQ: event dropped`, {
        rule: rule.arn,
        eventId: event.id,
        errorCode: failure.code,
        error: failure.message,
      });
      log({ ...base, status: "dropped", at: now() });
      return;
    }
    const attribute = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value });
    const messageAttributes: Record<string, MessageAttributeValue> = {
      RULE_ARN: attribute(rule.arn),
      TARGET_ARN: attribute(target.arn),
      ERROR_CODE: attribute(failure.code),
      ERROR_MESSAGE: attribute(failure.message.slice(0, 4096) || failure.code),
      RETRY_ATTEMPTS: attribute(String(retries)),
      ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: attribute(exhausted) } : {}),
    };
    try {
      ctx.sqs.send(dlq, { body: JSON.stringify(event), messageAttributes });
      metric("InvocationsSentToDlq");
      ctx.log.warn(`events delivery to ${target.arn} failed: event sent to the DLQ`, {
        rule: rule.arn,
        deadLetterArn: dlq,
        eventId: event.id,
        errorCode: failure.code,
        retries,
      });
      log({ ...base, status: "dead-lettered", deadLetterArn: dlq, at: now() });
    } catch (error) {
      metric("InvocationsFailedToBeSentToDlq");
      ctx.log.error(`events delivery failed and the DLQ refused the event: dropped`, {
        rule: rule.arn,
        deadLetterArn: dlq,
        eventId: event.id,
        error: failure.message,
        dlqError: errorText(error),
      });
      log({
        ...base,
        status: "dropped",
        errorMessage: `${failure.message}; DLQ: ${errorText(error)}`,
        at: now(),
      });
    }
  }

  // ---------------------------------------------------------------- archives and replays

  function archiveEvents(archive: Archive): ArchivedEvent[] {
    if (archive.retentionDays > 0) {
      const cutoff = now() - archive.retentionDays * 86_400_000;
      archive.events = archive.events.filter((item) => item.at >= cutoff);
    }
    return archive.events;
  }

  function archiveByArn(arn: string): Archive | undefined {
    return [...archives.values()].find((archive) => archive.arn === arn);
  }

  function startReplay(body: Record<string, unknown>): Record<string, unknown> {
    const name = str(body.ReplayName);
    if (!name)
      throw validation("Parameter ReplayName is not valid. Reason: ReplayName is a required argument.");
    if (replays.has(name))
      throw new LocalServiceError("ResourceAlreadyExistsException", `Replay ${name} already exists.`);
    const sourceArn = str(body.EventSourceArn) ?? "";
    const archive = archiveByArn(sourceArn);
    if (!archive) {
      const archiveName = parseArn(sourceArn)?.resource.replace(/^archive\//, "") ?? sourceArn;
      throw notFound(`Archive ${archiveName} does not exist.`);
    }
    const startTime = parseTime(body.EventStartTime ?? Number.NaN);
    const endTime = parseTime(body.EventEndTime ?? Number.NaN);
    if (startTime === undefined) throw validation("Parameter EventStartTime is not valid.");
    if (endTime === undefined) throw validation("Parameter EventEndTime is not valid.");
    if (startTime >= endTime) {
      throw validation(
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.",
      );
    }
    const destination = record(body.Destination);
    const destinationArn = str(destination?.Arn) ?? "";
    if (busNameOf(destinationArn) !== archive.busName || !destinationArn.startsWith("arn:")) {
      throw validation(
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
      );
    }
    const filterArns = Array.isArray(destination?.FilterArns)
      ? destination.FilterArns.filter((item): item is string => typeof item === "string")
      : undefined;
    for (const arn of filterArns ?? []) {
      const rule = [...rules.values()].find((candidate) => candidate.arn === arn);
      if (!rule || rule.busName !== archive.busName) {
        throw validation(
          `Parameter Destination.FilterArns is not valid. Reason: ${arn} is not a rule on event bus ${archive.busName}.`,
        );
      }
    }
    const replay: Replay = {
      name,
      arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:replay/${name}`,
      archiveArn: archive.arn,
      destinationArn,
      filterArns,
      description: str(body.Description),
      startTime,
      endTime,
      state: "STARTING",
      replayStartTime: now(),
    };
    replays.set(name, replay);
    later(() => runReplay(replay, archive));
    return {
      ReplayArn: replay.arn,
      State: replay.state,
      StateReason: "Replay accepted.",
      ReplayStartTime: seconds(replay.replayStartTime),
    };
  }

  function runReplay(replay: Replay, archive: Archive): void {
    if (replay.state !== "STARTING") return;
    replay.state = "RUNNING";
    const selected = archiveEvents(archive).filter(
      (item) => item.at >= replay.startTime && item.at <= replay.endTime,
    );
    for (const item of selected) {
      ingest(
        archive.busName,
        { ...item.event, "replay-name": replay.name },
        { ingestionTime: now(), replayName: replay.name, filterArns: replay.filterArns },
      );
      replay.lastReplayedTime = item.at;
    }
    replay.state = "COMPLETED";
    replay.replayEndTime = now();
    ctx.log.info(`events replay ${replay.name}: ${selected.length} events replayed`, {
      archive: archive.arn,
    });
  }

  function cancelReplay(name: unknown): Replay {
    const replay = replays.get(str(name) ?? "");
    if (!replay) throw notFound(`Replay ${str(name) ?? ""} does not exist.`);
    // A replay runs in one go once started, so only one that has not started yet can be cancelled.
    if (replay.state !== "STARTING") {
      throw new LocalServiceError(
        "IllegalStatusException",
        `Replay ${replay.name} is not in a valid state for this operation.`,
      );
    }
    replay.state = "CANCELLED";
    replay.replayEndTime = now();
    return replay;
  }

  return {
    putEntries,
    startReplay,
    cancelReplay,
    archiveEvents,
    replays,
    deliveries(busName?: string): EventsDeliveryRecord[] {
      return deliveries.filter((entry) => !busName || entry.busName === busName);
    },
    counts(ruleArn: string, targetId: string): EventsDeliveryCounts {
      return {
        ...(counts.get(`${ruleArn}\u0000${targetId}`) ?? { delivered: 0, deadLettered: 0, failed: 0 }),
      };
    },
    stop(): void {
      stopped = true;
      for (const handle of timers) clearTimeout(handle);
      for (const handle of immediates) clearImmediate(handle);
      const dropped = timers.size + immediates.size;
      timers.clear();
      immediates.clear();
      for (let index = 0; index < dropped; index++) end();
    },
    settled(): Promise<void> {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
