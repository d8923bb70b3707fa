import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { LocalServiceError } from "../../types";

/**
 * The CloudWatch Logs model: log groups, their streams and the events in them, with the rules AWS applies
 * (names, retention values, existence). No wire format here: `api.ts` reads requests, `index.ts` serves them.
 *
 * When a folder is given, every group and event is also appended to files under it (one JSON-lines file per
 * stream, `groups.json` for the groups), and read back on the next start: with `--persist <dir>` the logs of
 * earlier runs stay queryable.
 */

/** One log event as stored. */
export interface LogEvent {
  /** When it happened (epoch ms), as the writer said. */
  timestamp: number;
  /** When the service received it (epoch ms). */
  ingestionTime: number;
  message: string;
  /** A 56-digit id, unique in the group (FilterLogEvents returns it). */
  eventId: string;
  /** The Lambda invocation that wrote it (function logs only; not part of the CloudWatch Logs API). */
  requestId?: string;
}

export interface LogStream {
  name: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
  events: LogEvent[];
}

export interface LogGroup {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  streams: Map<string, LogStream>;
}

/** The retention values PutRetentionPolicy accepts (days). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;

/** Events kept in memory per stream; older ones stay in the stream's file. */
const MAX_EVENTS_PER_STREAM = 20_000;

function invalid(message: string): LocalServiceError {
  return new LocalServiceError("InvalidParameterException", message, 400);
}

export function groupNotFound(): LocalServiceError {
  return new LocalServiceError("ResourceNotFoundException", "The specified log group does not exist.", 400);
}

export function streamNotFound(): LocalServiceError {
  return new LocalServiceError("ResourceNotFoundException", "The specified log stream does not exist.", 400);
}

/** The folder name of a group or stream in the persisted layout (names hold `/`, `[`, `$`). */
function fileName(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, "%2A");
}

export class LogStore {
  private readonly groups = new Map<string, LogGroup>();
  /** Open stream files (appended line by line, no reopening per line). */
  private readonly files = new Map<string, number>();
  private nextEvent = 0;

  /** @param dir where groups and events are appended (and read back from); undefined: memory only */
  constructor(private readonly dir?: string) {
    if (dir) this.load(dir);
  }

  /** Every group, sorted by name (as DescribeLogGroups lists them). */
  listGroups(): LogGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  group(name: string): LogGroup | undefined {
    return this.groups.get(name);
  }

  /** @throws ResourceNotFoundException */
  needGroup(name: string): LogGroup {
    const group = this.groups.get(name);
    if (!group) throw groupNotFound();
    return group;
  }

  /** @throws ResourceAlreadyExistsException unless `ifMissing` */
  createGroup(name: string, options: { ifMissing?: boolean; retentionInDays?: number } = {}): LogGroup {
    if (!GROUP_NAME.test(name)) {
      throw invalid(
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      );
    }
    const existing = this.groups.get(name);
    if (existing) {
      if (options.ifMissing) return existing;
      throw new LocalServiceError(
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        400,
      );
    }
    const group: LogGroup = { name, creationTime: Date.now(), streams: new Map() };
    if (options.retentionInDays !== undefined) {
      checkRetention(options.retentionInDays);
      group.retentionInDays = options.retentionInDays;
    }
    this.groups.set(name, group);
    this.saveGroups();
    return group;
  }

  deleteGroup(name: string): void {
    this.needGroup(name);
    this.groups.delete(name);
    this.saveGroups();
  }

  setRetention(name: string, days: number | undefined): void {
    const group = this.needGroup(name);
    if (days !== undefined) checkRetention(days);
    group.retentionInDays = days;
    this.saveGroups();
  }

  /** @throws ResourceNotFoundException (group), ResourceAlreadyExistsException unless `ifMissing` */
  createStream(groupName: string, name: string, options: { ifMissing?: boolean } = {}): LogStream {
    const group = this.needGroup(groupName);
    if (!STREAM_NAME.test(name)) {
      throw invalid(
        `1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`,
      );
    }
    const existing = group.streams.get(name);
    if (existing) {
      if (options.ifMissing) return existing;
      throw new LocalServiceError(
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
        400,
      );
    }
    const stream: LogStream = { name, creationTime: Date.now(), storedBytes: 0, events: [] };
    group.streams.set(name, stream);
    if (this.dir) {
      mkdirSync(join(this.dir, fileName(groupName)), { recursive: true });
      appendFileSync(join(this.dir, fileName(groupName), `${fileName(name)}.jsonl`), "");
    }
    return stream;
  }

  /** Appends events (already validated) to a stream, in order. */
  append(
    groupName: string,
    streamName: string,
    events: Array<{ timestamp: number; message: string; requestId?: string }>,
  ): void {
    const group = this.needGroup(groupName);
    const stream = group.streams.get(streamName);
    if (!stream) throw streamNotFound();
    const ingestionTime = Date.now();
    const lines: string[] = [];
    for (const { timestamp, message, requestId } of events) {
      const event: LogEvent = {
        timestamp,
        ingestionTime,
        message,
        eventId: this.eventId(timestamp),
        ...(requestId ? { requestId } : {}),
      };
      this.add(stream, event);
      lines.push(
        JSON.stringify({
          t: timestamp,
          i: ingestionTime,
          m: message,
          ...(requestId ? { r: requestId } : {}),
        }),
      );
    }
    if (this.dir && lines.length > 0) {
      const path = join(this.dir, fileName(groupName), `${fileName(streamName)}.jsonl`);
      let fd = this.files.get(path);
      if (fd === undefined) {
        fd = openSync(path, "a");
        this.files.set(path, fd);
      }
      writeSync(fd, `${lines.join("\n")}\n`);
    }
  }

  /**
   * A group's latest events across its streams, in the order they were written, optionally only those of
   * one request (function logs): what `/_local/lambda/logs` and the console show.
   * @param options.tail at most this many (the latest)
   */
  recentEvents(groupName: string, options: { requestId?: string; tail?: number } = {}): LogEvent[] {
    const group = this.groups.get(groupName);
    if (!group) return [];
    let events = [...group.streams.values()].flatMap((stream) => stream.events);
    if (options.requestId !== undefined)
      events = events.filter((event) => event.requestId === options.requestId);
    // The id's second 20 digits count events in the order the store took them.
    events.sort((a, b) => (a.eventId.slice(20, 40) < b.eventId.slice(20, 40) ? -1 : 1));
    return options.tail !== undefined ? events.slice(-Math.max(0, options.tail)) : events;
  }

  /** Closes the open stream files (the store stays readable). */
  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
    this.files.clear();
  }

  private add(stream: LogStream, event: LogEvent): void {
    stream.events.push(event);
    if (stream.events.length > MAX_EVENTS_PER_STREAM) stream.events.splice(0, stream.events.length >> 2);
    stream.storedBytes += Buffer.byteLength(event.message);
    stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? event.timestamp, event.timestamp);
    stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? event.timestamp, event.timestamp);
    stream.lastIngestionTime = event.ingestionTime;
  }

  /** 56 digits, like AWS's: the timestamp, then a counter (unique in this store). */
  private eventId(timestamp: number): string {
    const seq = String(this.nextEvent++).padStart(20, "0");
    return `${String(timestamp).padStart(20, "0")}${seq}`.padEnd(56, "0");
  }

  private saveGroups(): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const groups = this.listGroups().map((g) => ({
      name: g.name,
      creationTime: g.creationTime,
      ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    }));
    writeFileSync(join(this.dir, "groups.json"), `${JSON.stringify(groups, null, 2)}\n`);
  }

  private load(dir: string): void {
    const file = join(dir, "groups.json");
    if (!existsSync(file)) return;
    let saved: Array<{ name: string; creationTime: number; retentionInDays?: number }>;
    try {
      saved = JSON.parse(readFileSync(file, "utf8")) as typeof saved;
    } catch {
      return; // unreadable: start empty rather than refuse to start
    }
    for (const entry of saved) {
      const group: LogGroup = {
        name: entry.name,
        creationTime: entry.creationTime,
        retentionInDays: entry.retentionInDays,
        streams: new Map(),
      };
      this.groups.set(group.name, group);
      const groupDir = join(dir, fileName(group.name));
      if (!existsSync(groupDir)) continue;
      for (const streamFile of readdirSync(groupDir).sort()) {
        if (!streamFile.endsWith(".jsonl")) continue;
        const name = decodeURIComponent(streamFile.slice(0, -".jsonl".length));
        const stream: LogStream = { name, creationTime: 0, storedBytes: 0, events: [] };
        for (const line of readFileSync(join(groupDir, streamFile), "utf8").split("\n")) {
          if (!line) continue;
          try {
            const { t, i, m, r } = JSON.parse(line) as { t: number; i: number; m: string; r?: string };
            this.add(stream, {
              timestamp: t,
              ingestionTime: i,
              message: m,
              eventId: this.eventId(t),
              ...(r ? { requestId: r } : {}),
            });
          } catch {
            // a line cut short by a crash: skip it
          }
        }
        stream.creationTime = stream.events[0]?.ingestionTime ?? group.creationTime;
        group.streams.set(name, stream);
      }
    }
  }
}

function checkRetention(days: number): void {
  if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
    throw invalid(
      `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`,
    );
  }
}
