import { orderEventAttributes, parseOrderEvent, SEND_USER_NOTIFICATION } from "@switchyard/contracts";
import { matchesEventPattern, matchesFilterPolicy, type SnsMessageAttributes } from "@switchyard/routing";
import { nameOfArn, type RuleInfo, type TopicInfo, type Topology } from "./discover";
import { OpsError } from "./errors";

/**
 * Where a message would go: every subscription of a topic (or rule of a bus) that accepts it, and for each
 * one that does not, which key of its filter policy (or event pattern) refused it and what the message had
 * there. Matching is @switchyard/routing's, the same evaluation the stack validates its policies with.
 */

export interface TraceEntry {
  /** `subscription` or `rule`. */
  type: "subscription" | "rule";
  arn: string;
  /** The subscription's endpoint name, or the rule's name. */
  name: string;
  /** Where it delivers: the subscription's endpoint, the rule's targets. */
  to: string[];
  matched: boolean;
  /** Why it does not match (one line per refusing key); why it matches when there is nothing to check. */
  reasons: string[];
}

export interface TraceResult {
  kind: "topic" | "bus";
  /** The topic ARN or bus name. */
  target: string;
  /** The message as evaluated: attributes and body (topic), or the event (bus). */
  evaluated: unknown;
  matched: TraceEntry[];
  notMatched: TraceEntry[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const show = (value: unknown): string => (value === undefined ? "nothing (absent)" : JSON.stringify(value));

/** Topic by ARN, name, name without Pulumi's suffix, or the stack output holding its ARN. */
function findTopic(
  topology: Topology,
  outputs: Record<string, unknown>,
  given: string,
): TopicInfo | undefined {
  const fromOutput = typeof outputs[given] === "string" ? (outputs[given] as string) : undefined;
  const wanted = fromOutput ?? given;
  return (
    topology.topics.find((t) => t.arn === wanted || t.name === wanted) ??
    topology.topics.find((t) => t.name.replace(/\.fifo$/, "").replace(/-[0-9a-f]{7}$/, "") === wanted) ??
    topology.topics.find((t) => t.name === `${wanted}-topic`)
  );
}

function busNames(topology: Topology): string[] {
  return [...new Set(topology.rules.map((r) => r.busName))];
}

function findBus(topology: Topology, outputs: Record<string, unknown>, given: string): string | undefined {
  const fromOutput = typeof outputs[given] === "string" ? (outputs[given] as string) : undefined;
  const wanted = fromOutput ?? given;
  const name = wanted.startsWith("arn:") ? wanted.split("/").at(-1) : wanted;
  return busNames(topology).find((bus) => bus === name || bus === `${name}-bus`);
}

/** Attributes as Publish takes them: a value, or `{DataType, StringValue}`. */
function publishAttributes(input: unknown): SnsMessageAttributes {
  if (input === undefined) return {};
  if (!isObject(input)) throw new OpsError("trace: attributes must be an object of name -> value");
  const out: Record<string, { DataType: string; StringValue: string }> = {};
  for (const [name, value] of Object.entries(input)) {
    if (isObject(value) && typeof value.DataType === "string") {
      out[name] = { DataType: value.DataType, StringValue: String(value.StringValue ?? "") };
    } else if (typeof value === "number") out[name] = { DataType: "Number", StringValue: String(value) };
    else if (Array.isArray(value))
      out[name] = { DataType: "String.Array", StringValue: JSON.stringify(value) };
    else if (typeof value === "string" || typeof value === "boolean")
      out[name] = { DataType: "String", StringValue: String(value) };
    else
      throw new OpsError(
        `trace: attribute "${name}" must be a string, number, array or {DataType, StringValue}`,
      );
  }
  return out;
}

/** The published message a trace input stands for: `{body|message, attributes}`, an order event, or a plain body. */
export function publishedMessage(message: unknown): { body: string; attributes: SnsMessageAttributes } {
  if (isObject(message) && ("attributes" in message || "body" in message || "message" in message)) {
    const raw = message.body ?? message.message;
    return {
      body: raw === undefined ? "" : typeof raw === "string" ? raw : JSON.stringify(raw),
      attributes: publishAttributes(message.attributes),
    };
  }
  if (isObject(message) && "eventType" in message && "orderId" in message) {
    const event = parseOrderEvent(message);
    return { body: JSON.stringify(event), attributes: orderEventAttributes(event) };
  }
  return { body: typeof message === "string" ? message : JSON.stringify(message), attributes: {} };
}

/** The event a trace input stands for: an event (`source`, `detail-type`, `detail`), a PutEvents entry, or a notification. */
export function putEvent(message: unknown): Record<string, unknown> {
  if (!isObject(message))
    throw new OpsError("trace: an event must be a JSON object with source, detail-type and detail");
  if (typeof message.Source === "string" || typeof message.DetailType === "string") {
    return {
      source: message.Source,
      "detail-type": message.DetailType,
      detail: typeof message.Detail === "string" ? JSON.parse(message.Detail) : (message.Detail ?? {}),
    };
  }
  if ("userId" in message && "type" in message && !("source" in message)) {
    return { source: "switchyard.ops", "detail-type": SEND_USER_NOTIFICATION, detail: message };
  }
  if (typeof message.source !== "string" || typeof message["detail-type"] !== "string")
    throw new OpsError('trace: the event needs "source" and "detail-type" (strings)');
  return { ...message, detail: message.detail ?? {} };
}

/**
 * Why `policy` refuses `document`, key by key: each key is checked alone (with the matcher itself, so the
 * operators mean exactly what they mean to AWS), nested keys by their path.
 */
function explain(
  policy: Record<string, unknown>,
  document: Record<string, unknown> | undefined,
  matches: (partial: Record<string, unknown>) => boolean,
  path: string[] = [],
  wrap: (inner: Record<string, unknown>) => Record<string, unknown> = (inner) => inner,
): string[] {
  const reasons: string[] = [];
  for (const [key, rule] of Object.entries(policy)) {
    const partial = wrap({ [key]: rule });
    if (matches(partial)) continue;
    const where = [...path, key].join(".");
    if (key === "$or") {
      reasons.push(
        `${path.length > 0 ? `${path.join(".")}: ` : ""}none of the ${Array.isArray(rule) ? rule.length : ""} $or alternatives matches`,
      );
    } else if (isObject(rule)) {
      const inner = isObject(document?.[key]) ? (document?.[key] as Record<string, unknown>) : undefined;
      const nested = explain(rule, inner, matches, [...path, key], (x) => wrap({ [key]: x }));
      reasons.push(
        ...(nested.length > 0
          ? nested
          : [`${where}: ${show(document?.[key])} does not match ${JSON.stringify(rule)}`]),
      );
    } else {
      reasons.push(`${where}: wants ${JSON.stringify(rule)}, the message has ${show(document?.[key])}`);
    }
  }
  return reasons;
}

/** Attribute values as a filter policy sees them (String -> string, Number -> number). */
function attributeDocument(attributes: SnsMessageAttributes): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    const type = a.DataType ?? a.Type ?? "String";
    const value = a.StringValue ?? a.Value;
    doc[name] = type.startsWith("Number")
      ? Number(value)
      : type === "String.Array"
        ? JSON.parse(value ?? "[]")
        : value;
  }
  return doc;
}

/** Which subscriptions of `topic` accept the message, and why the others do not. */
export function traceTopic(topic: TopicInfo, message: unknown): TraceResult {
  const published = publishedMessage(message);
  const result: TraceResult = {
    kind: "topic",
    target: topic.arn,
    evaluated: published,
    matched: [],
    notMatched: [],
  };
  for (const s of topic.subscriptions) {
    const entry: TraceEntry = {
      type: "subscription",
      arn: s.arn,
      name: nameOfArn(s.endpoint),
      to: [`${s.protocol}:${s.endpoint}`],
      matched: true,
      reasons: [],
    };
    if (s.filterPolicy === undefined) {
      entry.reasons.push("no filter policy: receives every message");
    } else {
      const input = s.filterPolicyScope === "MessageBody" ? published.body : published.attributes;
      entry.matched = matchesFilterPolicy(s.filterPolicy, input, s.filterPolicyScope);
      if (!entry.matched) {
        let document: Record<string, unknown> | undefined;
        if (s.filterPolicyScope === "MessageBody") {
          try {
            const parsed = JSON.parse(published.body) as unknown;
            document = isObject(parsed) ? parsed : undefined;
          } catch {
            document = undefined;
          }
          if (!document)
            entry.reasons.push("the filter policy applies to the body, which is not a JSON object");
        } else document = attributeDocument(published.attributes);
        if (document && isObject(s.filterPolicy)) {
          entry.reasons.push(
            ...explain(s.filterPolicy, document, (partial) =>
              matchesFilterPolicy(partial, input, s.filterPolicyScope),
            ),
          );
        }
        if (entry.reasons.length === 0)
          entry.reasons.push(`the filter policy ${JSON.stringify(s.filterPolicy)} refuses it as a whole`);
      }
    }
    (entry.matched ? result.matched : result.notMatched).push(entry);
  }
  return result;
}

/** Which rules of `busName` match the event, and why the others do not. */
export function traceBus(rules: readonly RuleInfo[], busName: string, message: unknown): TraceResult {
  const event = putEvent(message);
  const result: TraceResult = { kind: "bus", target: busName, evaluated: event, matched: [], notMatched: [] };
  for (const rule of rules.filter((r) => r.busName === busName)) {
    const entry: TraceEntry = {
      type: "rule",
      arn: rule.arn,
      name: rule.name,
      to: rule.targets.map((t) => t.arn),
      matched: false,
      reasons: [],
    };
    if (rule.state !== "ENABLED") entry.reasons.push(`the rule is ${rule.state}`);
    else if (rule.eventPattern === undefined)
      entry.reasons.push("the rule has no event pattern (a schedule)");
    else {
      entry.matched = matchesEventPattern(rule.eventPattern, event);
      if (!entry.matched && isObject(rule.eventPattern)) {
        entry.reasons.push(
          ...explain(rule.eventPattern, event, (partial) => matchesEventPattern(partial, event)),
        );
        if (entry.reasons.length === 0)
          entry.reasons.push(`the pattern ${JSON.stringify(rule.eventPattern)} refuses it as a whole`);
      }
    }
    (entry.matched ? result.matched : result.notMatched).push(entry);
  }
  return result;
}

/** Traces `message` through the topic or bus named `target` (ARN, name, logical name or output key). */
export function trace(
  topology: Topology,
  outputs: Record<string, unknown>,
  target: string,
  message: unknown,
): TraceResult {
  const topic = findTopic(topology, outputs, target);
  if (topic) return traceTopic(topic, message);
  const bus = findBus(topology, outputs, target);
  if (bus) return traceBus(topology.rules, bus, message);
  throw new OpsError(
    `unknown topic or bus "${target}": topics ${topology.topics.map((t) => t.name).join(", ") || "(none)"}; buses ${busNames(topology).join(", ") || "(none)"}`,
  );
}
