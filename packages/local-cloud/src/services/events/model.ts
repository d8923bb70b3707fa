import { validateEventPattern } from "@switchyard/routing";
import { parseArn } from "../../protocol";
import type { LocalLogger } from "../../types";
import { asRecord, finiteNumber, nonEmptyString, scalarString } from "../../values";
import { alreadyExists, invalidPattern, limitExceeded, notFound, validation } from "./errors";
import type { TargetInputConfig } from "./input";

/**
 * EventBridge's control-plane state and rules, without a wire format: event buses, rules, their targets and
 * archives. Whatever the program declared (provisioning) and whatever a client puts (CreateEventBus, PutRule,
 * PutTargets, CreateArchive) goes through the same functions here, with the same checks. Shapes are
 * EventBridge's own (`EventPattern`, `Targets[].InputTransformer.InputPathsMap`...).
 */

export const DEFAULT_BUS = "default";
/** EventBridge's default retry policy: 185 attempts over 24 hours. */
export const DEFAULT_RETRY_ATTEMPTS = 185;
export const DEFAULT_EVENT_AGE_SECONDS = 86_400;
/** At most five targets per rule. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html */
export const MAX_TARGETS_PER_RULE = 5;

export interface Bus {
  name: string;
  arn: string;
  description?: string;
  kmsKeyIdentifier?: string;
  deadLetterArn?: string;
  logicalName?: string;
  createdAt: number;
}

export interface Rule {
  name: string;
  arn: string;
  busName: string;
  pattern?: string;
  patternProblems: string[];
  scheduleExpression?: string;
  state: string;
  description?: string;
  roleArn?: string;
  logicalName?: string;
}

export interface Target extends TargetInputConfig {
  id: string;
  arn: string;
  ruleName: string;
  busName: string;
  deadLetterArn?: string;
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  retryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  sqsMessageGroupId?: string;
  roleArn?: string;
  logicalName?: string;
}

/** A target as PutTargets takes it. */
export interface TargetInput {
  Id?: unknown;
  Arn?: unknown;
  RoleArn?: unknown;
  Input?: unknown;
  InputPath?: unknown;
  InputTransformer?: unknown;
  DeadLetterConfig?: unknown;
  RetryPolicy?: unknown;
  SqsParameters?: unknown;
}

/** A rule as PutRule takes it. */
export interface RuleInput {
  Name?: unknown;
  EventBusName?: unknown;
  EventPattern?: unknown;
  ScheduleExpression?: unknown;
  State?: unknown;
  Description?: unknown;
  RoleArn?: unknown;
}

/** An EventBridge event as targets receive it. */
export interface EventEnvelope {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  "replay-name"?: string;
}

export interface ArchivedEvent {
  event: EventEnvelope;
  at: number;
  size: number;
}

export interface Archive {
  name: string;
  arn: string;
  sourceArn: string;
  busName: string;
  pattern?: string;
  retentionDays: number;
  description?: string;
  createdAt: number;
  events: ArchivedEvent[];
}

/** Where a resource comes from: the program (its ARN and logical name fixed) or a client. */
export interface Origin {
  arn?: string;
  logicalName?: string;
  /** `"warn"` (provisioning): a rule AWS enforces is logged instead of refused. @default "refuse" */
  onProblem?: "refuse" | "warn";
}

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const RULE_STATES = ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"];

/** `name` or `arn:aws:events:...:event-bus/name` -> name; undefined -> `default`. */
export function busNameOf(reference: string | undefined): string {
  if (!reference) return DEFAULT_BUS;
  if (!reference.startsWith("arn:")) return reference;
  const resource = parseArn(reference)?.resource ?? "";
  return resource.startsWith("event-bus/") ? resource.slice("event-bus/".length) : reference;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** EventBridge's state. */
export class EventsModel {
  readonly buses = new Map<string, Bus>();
  /** `${bus}/${rule}` -> rule */
  readonly rules = new Map<string, Rule>();
  /** `${bus}/${rule}` -> targets by id */
  readonly targets = new Map<string, Map<string, Target>>();
  readonly archives = new Map<string, Archive>();
  /** Archived events restored from the journal, waiting for their archive to be (re)created. */
  readonly restoredArchiveEvents = new Map<string, ArchivedEvent[]>();

  constructor(
    private readonly identity: { region: string; accountId: string },
    private readonly log: LocalLogger,
    private readonly now: () => number,
  ) {
    this.buses.set(DEFAULT_BUS, { name: DEFAULT_BUS, arn: this.busArn(DEFAULT_BUS), createdAt: now() });
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.identity.region}:${this.identity.accountId}:event-bus/${name}`;
  }

  ruleArn(busName: string, name: string): string {
    return `arn:aws:events:${this.identity.region}:${this.identity.accountId}:rule/${busName === DEFAULT_BUS ? "" : `${busName}/`}${name}`;
  }

  /** A bus by name or ARN (default when absent). @throws ResourceNotFoundException */
  bus(reference: unknown): Bus {
    const name = busNameOf(nonEmptyString(reference));
    const bus = this.buses.get(name);
    if (!bus) throw notFound(`Event bus ${name} does not exist.`);
    return bus;
  }

  /** A rule on a bus. @throws ResourceNotFoundException */
  rule(name: unknown, busReference: unknown): Rule {
    const bus = this.bus(busReference);
    const rule = this.rules.get(`${bus.name}/${nonEmptyString(name) ?? ""}`);
    if (!rule) throw notFound(`Rule ${nonEmptyString(name) ?? ""} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  targetsOf(rule: Rule): Target[] {
    return [...(this.targets.get(`${rule.busName}/${rule.name}`)?.values() ?? [])];
  }

  /** CreateEventBus. */
  createEventBus(
    input: { Name?: unknown; Description?: unknown; KmsKeyIdentifier?: unknown; DeadLetterConfig?: unknown },
    origin: Origin = {},
  ): Bus {
    const name = nonEmptyString(input.Name);
    if (!name || !BUS_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${String(input.Name ?? "")}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`,
      );
    }
    if (this.buses.has(name) && origin.arn === undefined)
      throw alreadyExists(`Event bus ${name} already exists.`);
    const bus: Bus = {
      name,
      arn: origin.arn ?? this.busArn(name),
      description: nonEmptyString(input.Description),
      kmsKeyIdentifier: nonEmptyString(input.KmsKeyIdentifier),
      deadLetterArn: nonEmptyString(asRecord(input.DeadLetterConfig)?.Arn),
      logicalName: origin.logicalName,
      createdAt: this.now(),
    };
    this.buses.set(name, bus);
    return bus;
  }

  /** DeleteEventBus: not the default bus; its rules must be gone first. */
  deleteEventBus(name: unknown): void {
    const busName = nonEmptyString(name) ?? "";
    if (busName === DEFAULT_BUS) throw validation("Cannot delete event bus default.");
    if (!this.buses.has(busName)) return;
    if ([...this.rules.values()].some((rule) => rule.busName === busName))
      throw validation(`Event bus ${busName} has rules: delete them first.`);
    this.buses.delete(busName);
  }

  /** PutRule: creates or updates a rule (its targets stay). */
  putRule(input: RuleInput, origin: Origin = {}): Rule {
    const name = nonEmptyString(input.Name);
    if (!name || !NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${String(input.Name ?? "")}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    const bus =
      origin.arn !== undefined
        ? { name: busNameOf(nonEmptyString(input.EventBusName)) }
        : this.bus(input.EventBusName);
    const pattern = text(input.EventPattern);
    const scheduleExpression = nonEmptyString(input.ScheduleExpression);
    if (!pattern && !scheduleExpression)
      throw validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    if (scheduleExpression && bus.name !== DEFAULT_BUS)
      throw validation("ScheduleExpression is supported only on the default event bus.");
    const patternProblems = pattern ? validateEventPattern(pattern) : [];
    if (patternProblems.length > 0) {
      if (origin.onProblem === "warn") {
        this.log.warn(
          `events rule ${name}: AWS would refuse this event pattern (InvalidEventPatternException)`,
          {
            problems: patternProblems,
          },
        );
      } else throw invalidPattern(patternProblems);
    }
    const state = nonEmptyString(input.State) ?? "ENABLED";
    if (!RULE_STATES.includes(state)) {
      throw validation(
        `1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(", ")}]`,
      );
    }
    if (scheduleExpression) {
      this.log.info(`events rule ${name}: schedule ${scheduleExpression} is not run by the local cloud`);
    }
    const existing = this.rules.get(`${bus.name}/${name}`);
    const rule: Rule = {
      name,
      arn: origin.arn ?? existing?.arn ?? this.ruleArn(bus.name, name),
      busName: bus.name,
      pattern,
      patternProblems,
      scheduleExpression,
      state,
      description: nonEmptyString(input.Description),
      roleArn: nonEmptyString(input.RoleArn),
      logicalName: origin.logicalName ?? existing?.logicalName,
    };
    this.rules.set(`${bus.name}/${name}`, rule);
    return rule;
  }

  /** EnableRule / DisableRule. */
  setRuleState(name: unknown, busReference: unknown, state: "ENABLED" | "DISABLED"): void {
    this.rule(name, busReference).state = state;
  }

  /** DeleteRule: a rule with targets cannot be deleted; a missing rule deletes fine. */
  deleteRule(name: unknown, busReference: unknown): void {
    const bus = this.bus(busReference);
    const key = `${bus.name}/${nonEmptyString(name) ?? ""}`;
    const rule = this.rules.get(key);
    if (!rule) return;
    if (this.targetsOf(rule).length > 0) throw validation("Rule can't be deleted since it has targets.");
    this.rules.delete(key);
    this.targets.delete(key);
  }

  /** One target, checked as PutTargets checks it. */
  private target(rule: { name: string; busName: string }, input: TargetInput, origin: Origin): Target {
    const id = nonEmptyString(input.Id);
    if (!id || !NAME.test(id)) {
      throw validation(
        `1 validation error detected: Value '${String(input.Id ?? "")}' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    const arn = nonEmptyString(input.Arn);
    if (!arn || !parseArn(arn))
      throw validation(
        `Parameter ${String(input.Arn ?? "")} is not valid. Reason: Provided Arn is not in correct format.`,
      );
    const inputText = scalarString(input.Input);
    const inputPath = nonEmptyString(input.InputPath);
    const transformer = asRecord(input.InputTransformer);
    const given = [inputText !== undefined, inputPath !== undefined, transformer !== undefined].filter(
      Boolean,
    );
    if (given.length > 1)
      throw validation(`Target ${id}: only one of Input, InputPath and InputTransformer can be given.`);
    if (inputText !== undefined) {
      try {
        JSON.parse(inputText);
      } catch {
        throw validation(`Target ${id}: Input is not valid JSON.`);
      }
    }
    const inputTemplate = scalarString(transformer?.InputTemplate);
    if (transformer && inputTemplate === undefined)
      throw validation(`Target ${id}: InputTransformer needs an InputTemplate.`);
    const paths = asRecord(transformer?.InputPathsMap) ?? {};
    if (Object.keys(paths).length > 100)
      throw validation(`Target ${id}: InputPathsMap has more than 100 entries.`);
    const retry = asRecord(input.RetryPolicy);
    const attempts = finiteNumber(retry?.MaximumRetryAttempts);
    const age = finiteNumber(retry?.MaximumEventAgeInSeconds);
    if (attempts !== undefined && (attempts < 0 || attempts > 185))
      throw validation(
        `Target ${id}: RetryPolicy.MaximumRetryAttempts must be between 0 and 185 (got ${attempts}).`,
      );
    if (age !== undefined && (age < 60 || age > 86_400))
      throw validation(
        `Target ${id}: RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400 (got ${age}).`,
      );
    const groupId = nonEmptyString(asRecord(input.SqsParameters)?.MessageGroupId);
    if (parseArn(arn)?.service === "sqs" && arn.endsWith(".fifo") && !groupId) {
      const message = `Parameter(s) SqsParameters must be specified for target: ${id}.`;
      if (origin.onProblem === "warn") this.log.warn(`events target ${id}: ${message}`);
      else throw validation(message);
    }
    return {
      id,
      arn,
      ruleName: rule.name,
      busName: rule.busName,
      input: inputText,
      inputPath,
      inputTransformer:
        inputTemplate !== undefined
          ? {
              inputTemplate,
              inputPathsMap: Object.fromEntries(
                Object.entries(paths).flatMap(([key, value]) =>
                  typeof value === "string" ? [[key, value]] : [],
                ),
              ),
            }
          : undefined,
      deadLetterArn: nonEmptyString(asRecord(input.DeadLetterConfig)?.Arn),
      maximumRetryAttempts: attempts ?? DEFAULT_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: age ?? DEFAULT_EVENT_AGE_SECONDS,
      retryPolicy: retry
        ? {
            ...(attempts !== undefined ? { MaximumRetryAttempts: attempts } : {}),
            ...(age !== undefined ? { MaximumEventAgeInSeconds: age } : {}),
          }
        : undefined,
      sqsMessageGroupId: groupId,
      roleArn: nonEmptyString(input.RoleArn),
      logicalName: origin.logicalName,
    };
  }

  /**
   * PutTargets: adds or replaces targets of a rule (at most five per rule). Every target is checked before
   * any is stored.
   */
  putTargets(
    ruleName: unknown,
    busReference: unknown,
    inputs: unknown,
    origin: Origin = {},
  ): Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> {
    const rule =
      origin.arn !== undefined
        ? { name: nonEmptyString(ruleName) ?? "", busName: busNameOf(nonEmptyString(busReference)) }
        : this.rule(ruleName, busReference);
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw validation(
        "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (inputs.length > 10) {
      throw validation(
        "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
    }
    const built = inputs.map((input) => this.target(rule, asRecord(input) ?? {}, origin));
    const key = `${rule.busName}/${rule.name}`;
    const forRule = this.targets.get(key) ?? new Map<string, Target>();
    const ids = new Set([...forRule.keys(), ...built.map((target) => target.id)]);
    if (ids.size > MAX_TARGETS_PER_RULE && origin.onProblem === "warn")
      this.log.warn(`events rule ${rule.name}: more than ${MAX_TARGETS_PER_RULE} targets (AWS refuses this)`);
    else if (ids.size > MAX_TARGETS_PER_RULE)
      throw limitExceeded(
        `The requested resource exceeds the maximum number allowed (${MAX_TARGETS_PER_RULE} targets per rule).`,
      );
    for (const target of built) forRule.set(target.id, target);
    this.targets.set(key, forRule);
    return [];
  }

  /** RemoveTargets: ids the rule does not have are ignored. */
  removeTargets(ruleName: unknown, busReference: unknown, ids: unknown): void {
    const rule = this.rule(ruleName, busReference);
    const forRule = this.targets.get(`${rule.busName}/${rule.name}`);
    for (const id of Array.isArray(ids) ? ids : []) if (typeof id === "string") forRule?.delete(id);
  }

  /** CreateArchive. */
  createArchive(
    input: {
      ArchiveName?: unknown;
      EventSourceArn?: unknown;
      Description?: unknown;
      EventPattern?: unknown;
      RetentionDays?: unknown;
    },
    origin: Origin = {},
  ): Archive {
    const name = nonEmptyString(input.ArchiveName);
    if (!name || !/^[.\-_A-Za-z0-9]{1,48}$/.test(name))
      throw validation(
        `Parameter ArchiveName is not valid (got ${JSON.stringify(input.ArchiveName ?? "")}).`,
      );
    if (this.archives.has(name) && origin.arn === undefined)
      throw alreadyExists(`Archive ${name} already exists.`);
    const sourceArn = nonEmptyString(input.EventSourceArn);
    if (!sourceArn)
      throw validation(
        "Parameter EventSourceArn is not valid. Reason: EventSourceArn is a required argument.",
      );
    if (origin.arn === undefined) this.bus(sourceArn);
    const pattern = text(input.EventPattern);
    const problems = pattern ? validateEventPattern(pattern) : [];
    if (problems.length > 0) {
      if (origin.onProblem === "warn")
        this.log.warn(`events archive ${name}: AWS would refuse this event pattern`, { problems });
      else throw invalidPattern(problems);
    }
    const retentionDays =
      finiteNumber(
        typeof input.RetentionDays === "string" ? Number(input.RetentionDays) : input.RetentionDays,
      ) ?? 0;
    if (retentionDays < 0) throw validation("Parameter RetentionDays is not valid.");
    const archive: Archive = {
      name,
      arn: origin.arn ?? `arn:aws:events:${this.identity.region}:${this.identity.accountId}:archive/${name}`,
      sourceArn,
      busName: busNameOf(sourceArn),
      pattern,
      retentionDays,
      description: nonEmptyString(input.Description),
      createdAt: this.now(),
      events: this.archives.get(name)?.events ?? this.takeRestored(name),
    };
    this.archives.set(name, archive);
    return archive;
  }

  private takeRestored(name: string): ArchivedEvent[] {
    const events = this.restoredArchiveEvents.get(name) ?? [];
    this.restoredArchiveEvents.delete(name);
    return events;
  }

  /** DeleteArchive. */
  deleteArchive(name: unknown): void {
    const archiveName = nonEmptyString(name) ?? "";
    if (!this.archives.delete(archiveName)) throw notFound(`Archive ${archiveName} does not exist.`);
  }
}
