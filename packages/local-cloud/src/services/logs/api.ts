import { LocalServiceError } from "../../types";
import { compileFilterPattern } from "./filter-pattern";
import { type LogEvent, type LogGroup, type LogStore, type LogStream, streamNotFound } from "./model";

/**
 * The CloudWatch Logs API: one function per operation, reading the request's JSON members and answering with
 * the response's, over the `LogStore` model. Shapes, defaults and limits follow the API reference
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/): DescribeLogGroups and
 * DescribeLogStreams return at most 50 per page, GetLogEvents and FilterLogEvents at most 10,000 events.
 */

type Input = Record<string, unknown>;
export type Operation = (input: Input) => unknown;

function invalid(message: string): LocalServiceError {
  return new LocalServiceError("InvalidParameterException", message, 400);
}

function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`${key} must be a string`);
  return value;
}

function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined || value === "") {
    throw invalid(
      `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalNumber(input: Input, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${key} must be a number`);
  return value;
}

function limitOf(input: Input, max: number): number {
  const limit = optionalNumber(input, "limit");
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalid(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${max}`,
    );
  }
  return limit;
}

/** A group named by `logGroupName` or `logGroupIdentifier` (its name or ARN). */
function groupNameOf(input: Input): string {
  const name = optionalString(input, "logGroupName");
  const identifier = optionalString(input, "logGroupIdentifier");
  if (name && identifier) throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  const value = name ?? identifier;
  if (!value) throw invalid("Either logGroupName or logGroupIdentifier must be specified.");
  const arn = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$/.exec(value);
  return arn?.[1] ?? value;
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken<T>(token: string | undefined): T | undefined {
  if (token === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    throw invalid("The specified nextToken is invalid.");
  }
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The operations, bound to a store, an account and a region. */
export function logsApi(store: LogStore, accountId: string, region: string): Record<string, Operation> {
  const groupArn = (name: string) => `arn:aws:logs:${region}:${accountId}:log-group:${name}`;

  const groupView = (group: LogGroup) => {
    let storedBytes = 0;
    for (const stream of group.streams.values()) storedBytes += stream.storedBytes;
    return {
      logGroupName: group.name,
      creationTime: group.creationTime,
      ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${groupArn(group.name)}:*`,
      storedBytes,
      logGroupClass: "STANDARD",
      logGroupArn: groupArn(group.name),
    };
  };

  const streamView = (group: LogGroup, stream: LogStream) => ({
    logStreamName: stream.name,
    creationTime: stream.creationTime,
    ...(stream.firstEventTimestamp !== undefined
      ? {
          firstEventTimestamp: stream.firstEventTimestamp,
          lastEventTimestamp: stream.lastEventTimestamp,
          lastIngestionTime: stream.lastIngestionTime,
        }
      : {}),
    uploadSequenceToken: String(stream.events.length + 1).padStart(56, "4"),
    arn: `${groupArn(group.name)}:log-stream:${stream.name}`,
    storedBytes: 0,
  });

  /** Names after the token's, at most `limit`, and the next token when more remain. */
  function page<T extends { name: string }>(items: T[], input: Input, limit: number) {
    const after = decodeToken<{ after: string }>(optionalString(input, "nextToken"))?.after;
    const rest = after === undefined ? items : items.filter((item) => item.name > after);
    const taken = rest.slice(0, limit);
    const more = rest.length > limit;
    return { taken, nextToken: more ? encodeToken({ after: taken[taken.length - 1]?.name }) : undefined };
  }

  return {
    CreateLogGroup(input) {
      store.createGroup(requiredString(input, "logGroupName"));
      return {};
    },

    DeleteLogGroup(input) {
      store.deleteGroup(requiredString(input, "logGroupName"));
      return {};
    },

    PutRetentionPolicy(input) {
      const days = optionalNumber(input, "retentionInDays");
      if (days === undefined) throw invalid("retentionInDays is required");
      store.setRetention(requiredString(input, "logGroupName"), days);
      return {};
    },

    DeleteRetentionPolicy(input) {
      store.setRetention(requiredString(input, "logGroupName"), undefined);
      return {};
    },

    DescribeLogGroups(input) {
      const prefix = optionalString(input, "logGroupNamePrefix");
      const pattern = optionalString(input, "logGroupNamePattern");
      if (prefix && pattern)
        throw invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
      const groups = store
        .listGroups()
        .filter((g) => (prefix ? g.name.startsWith(prefix) : true))
        .filter((g) => (pattern ? g.name.toLowerCase().includes(pattern.toLowerCase()) : true));
      const { taken, nextToken } = page(groups, input, limitOf(input, 50));
      return { logGroups: taken.map(groupView), ...(nextToken ? { nextToken } : {}) };
    },

    CreateLogStream(input) {
      store.createStream(groupNameOf(input), requiredString(input, "logStreamName"));
      return {};
    },

    DescribeLogStreams(input) {
      const group = store.needGroup(groupNameOf(input));
      const prefix = optionalString(input, "logStreamNamePrefix");
      const orderBy = optionalString(input, "orderBy") ?? "LogStreamName";
      if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime")
        throw invalid(`orderBy must be LogStreamName or LastEventTime (got ${orderBy})`);
      if (orderBy === "LastEventTime" && prefix)
        throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
      const descending = input.descending === true;
      let streams = [...group.streams.values()].filter((s) => (prefix ? s.name.startsWith(prefix) : true));
      streams.sort(
        orderBy === "LastEventTime"
          ? (a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || byName(a, b)
          : byName,
      );
      if (descending) streams = streams.reverse();
      const limit = limitOf(input, 50);
      const offset = decodeToken<{ offset: number }>(optionalString(input, "nextToken"))?.offset ?? 0;
      const taken = streams.slice(offset, offset + limit);
      const more = streams.length > offset + limit;
      return {
        logStreams: taken.map((s) => streamView(group, s)),
        ...(more ? { nextToken: encodeToken({ offset: offset + limit }) } : {}),
      };
    },

    PutLogEvents(input) {
      const group = store.needGroup(groupNameOf(input));
      const streamName = requiredString(input, "logStreamName");
      if (!group.streams.has(streamName)) throw streamNotFound();
      const events = input.logEvents;
      if (!Array.isArray(events) || events.length === 0 || events.length > 10_000)
        throw invalid("logEvents must hold 1 to 10,000 events");
      const parsed = events.map((event, index) => {
        const record = (event ?? {}) as Input;
        const timestamp = record.timestamp;
        const message = record.message;
        if (typeof timestamp !== "number" || typeof message !== "string" || message === "")
          throw invalid(`logEvents.${index + 1}: timestamp (epoch ms) and a non-empty message are required`);
        return { timestamp, message };
      });
      for (let i = 1; i < parsed.length; i++) {
        if ((parsed[i]?.timestamp ?? 0) < (parsed[i - 1]?.timestamp ?? 0))
          throw invalid("Log events in a single PutLogEvents request must be in chronological order.");
      }
      store.append(group.name, streamName, parsed);
      return { nextSequenceToken: String(Date.now()).padStart(56, "4") };
    },

    GetLogEvents(input) {
      const group = store.needGroup(groupNameOf(input));
      const stream = group.streams.get(requiredString(input, "logStreamName"));
      if (!stream) throw streamNotFound();
      const start = optionalNumber(input, "startTime");
      const end = optionalNumber(input, "endTime");
      const limit = limitOf(input, 10_000);
      const events = stream.events.filter(
        (e) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end),
      );
      const token = optionalString(input, "nextToken");
      let from: number;
      let to: number;
      if (token?.startsWith("f/")) {
        from = Number(token.slice(2));
        to = Math.min(events.length, from + limit);
      } else if (token?.startsWith("b/")) {
        to = Number(token.slice(2));
        from = Math.max(0, to - limit);
      } else if (token !== undefined) {
        throw invalid("The specified nextToken is invalid.");
      } else if (input.startFromHead === true) {
        from = 0;
        to = Math.min(events.length, limit);
      } else {
        to = events.length;
        from = Math.max(0, to - limit);
      }
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > events.length || from > to)
        throw invalid("The specified nextToken is invalid.");
      const pad = (n: number) => String(n).padStart(56, "0");
      return {
        events: events.slice(from, to).map((e) => ({
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
        })),
        nextForwardToken: `f/${pad(to)}`,
        nextBackwardToken: `b/${pad(from)}`,
      };
    },

    FilterLogEvents(input) {
      const group = store.needGroup(groupNameOf(input));
      const names = input.logStreamNames;
      const prefix = optionalString(input, "logStreamNamePrefix");
      if (names !== undefined && prefix !== undefined)
        throw invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
      if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== "string")))
        throw invalid("logStreamNames must be a list of names");
      const wanted = names as string[] | undefined;
      const start = optionalNumber(input, "startTime");
      const end = optionalNumber(input, "endTime");
      const limit = limitOf(input, 10_000);
      const matches = compileFilterPattern(optionalString(input, "filterPattern"));
      const streams = [...group.streams.values()]
        .filter((s) => (wanted ? wanted.includes(s.name) : true))
        .filter((s) => (prefix ? s.name.startsWith(prefix) : true))
        .sort(byName);
      const found: Array<LogEvent & { logStreamName: string }> = [];
      for (const stream of streams) {
        for (const event of stream.events) {
          if (start !== undefined && event.timestamp < start) continue;
          if (end !== undefined && event.timestamp > end) continue;
          if (!matches(event.message)) continue;
          found.push({ ...event, logStreamName: stream.name });
        }
      }
      // Interleaved by time; ties keep the order they were written in.
      found.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)); // ids start with the time
      const after = decodeToken<{ after: string }>(optionalString(input, "nextToken"))?.after;
      const rest = after === undefined ? found : found.filter((e) => e.eventId > after);
      const taken = rest.slice(0, limit);
      const more = rest.length > limit;
      return {
        events: taken.map((e) => ({
          logStreamName: e.logStreamName,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
          eventId: e.eventId,
        })),
        searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
        ...(more ? { nextToken: encodeToken({ after: taken[taken.length - 1]?.eventId }) } : {}),
      };
    },
  };
}
