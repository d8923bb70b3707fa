import type { FunctionLogRecord } from "./types";

/**
 * Function logs as `pnpm dev` prints them: one readable line per record,
 *
 *     12:04:31.207  orders-inventory      INFO   reserved stock  orderId=o-123 items=2
 *     12:04:31.950  orders-inventory      FAIL   timed out: Task timed out after 3.00 seconds
 *
 * Powertools (and Lambda JSON) log lines show their level, message and a few of their own fields, not the whole
 * JSON; Embedded Metric Format lines (metrics) and the platform's START/END/REPORT lines are left out; a failed
 * invocation (the handler threw, timed out, or its runtime died) is always one `FAIL` line with the reason,
 * whatever `--logs` says.
 */

/** `--logs`: every line, error lines only, none, or one service's lines. Failures show in every mode. */
export type LogsMode =
  | { kind: "all" }
  | { kind: "errors" }
  | { kind: "none" }
  | { kind: "service"; service: string };

/**
 * Reads `--logs <value>`.
 * @param services the service names `--logs <service>` accepts
 * @throws Error naming the accepted values
 */
export function parseLogsMode(value: string | undefined, services: readonly string[]): LogsMode {
  const text = (value ?? "all").trim();
  if (text === "all" || text === "errors" || text === "none") return { kind: text };
  const service = services.find((name) => name.toLowerCase() === text.toLowerCase());
  if (service) return { kind: "service", service };
  throw new Error(
    `--logs "${text}" is not one of all, errors, none or a service (${services.join(", ") || "none found"})`,
  );
}

export interface TerminalLogOptions {
  mode: LogsMode;
  /** The service a function belongs to (for `--logs <service>`). */
  serviceOf?(functionName: string): string | undefined;
  /** ANSI colours (when stdout is a terminal). @default false */
  color?: boolean;
  /** @default "local" */
  timeZone?: "local" | "utc";
  /** Width of the function column. @default 24 */
  functionWidth?: number;
}

/** A record read for the terminal: its level, its message and the fields worth showing. */
export interface ReadableLog {
  level: string;
  message: string;
  fields: Array<[string, string]>;
  failure: boolean;
}

/** Keys every Powertools / Lambda JSON line carries: shown elsewhere on the line or not worth the space. */
const NOISE = new Set([
  "level",
  "message",
  "msg",
  "timestamp",
  "time",
  "service",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
  "xray_trace_id",
  "sampling_rate",
  "requestId",
  "severity",
  "levelname",
]);

const MAX_FIELDS = 4;
const MAX_VALUE = 80;

const TEXT_FORMAT = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\t([A-Z]+)\t(.*)$/s;

function fieldValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = /\s/.test(value) ? JSON.stringify(value) : value;
  else if (value && typeof value === "object" && !Array.isArray(value) && "message" in value) {
    // Powertools' error field: { name, location, message, stack }.
    const error = value as { name?: unknown; message?: unknown };
    text = `${typeof error.name === "string" ? `${error.name}: ` : ""}${String(error.message)}`;
  } else text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function normaliseLevel(level: unknown, fallback: string): string {
  if (typeof level !== "string" && typeof level !== "number") return fallback;
  const text = String(level).toUpperCase();
  if (text === "WARNING") return "WARN";
  if (text === "CRITICAL" || text === "FATAL") return "ERROR";
  return text;
}

/**
 * How a record reads on the terminal; undefined for what the terminal leaves out (platform lines, metrics).
 */
export function readLog(record: FunctionLogRecord): ReadableLog | undefined {
  if (record.failure) {
    const { kind, errorType, errorMessage } = record.failure;
    const message =
      kind === "timeout"
        ? `timed out: ${errorMessage}`
        : kind === "crash"
          ? `runtime crashed: ${errorType}: ${errorMessage}`
          : `invocation failed: ${errorType}: ${errorMessage}`;
    return { level: "FAIL", message, fields: [], failure: true };
  }
  if (record.source === "platform") return undefined;
  const fallback = record.source === "stderr" ? "ERROR" : "INFO";
  const line = record.message;
  const trimmed = line.trim();
  if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch {
      document = undefined;
    }
    if (document && typeof document === "object" && !Array.isArray(document)) {
      const doc = document as Record<string, unknown>;
      if (doc._aws && typeof doc._aws === "object" && "CloudWatchMetrics" in (doc._aws as object))
        return undefined;
      const level = normaliseLevel(doc.level ?? doc.severity ?? doc.levelname, fallback);
      const message = doc.message ?? doc.msg;
      const fields: Array<[string, string]> = [];
      const extra = Object.entries(doc).filter(([key]) => !NOISE.has(key) && key !== "_aws");
      for (const [key, value] of extra.slice(0, MAX_FIELDS)) fields.push([key, fieldValue(value)]);
      if (extra.length > MAX_FIELDS) fields.push(["…", `+${extra.length - MAX_FIELDS} more`]);
      return {
        level,
        message: typeof message === "string" ? message : message === undefined ? "" : JSON.stringify(message),
        fields,
        failure: false,
      };
    }
  }
  const text = TEXT_FORMAT.exec(line);
  if (text)
    return { level: normaliseLevel(text[1], fallback), message: text[2] ?? "", fields: [], failure: false };
  const level = /^\(node:\d+\) \w*Warning/.test(line) ? "WARN" : fallback;
  return { level, message: line, fields: [], failure: false };
}

/** Whether `--logs` shows a record. Failures always show. */
export function shows(
  mode: LogsMode,
  record: FunctionLogRecord,
  log: ReadableLog,
  serviceOf?: (fn: string) => string | undefined,
): boolean {
  if (log.failure) return true;
  switch (mode.kind) {
    case "all":
      return true;
    case "none":
      return false;
    case "errors":
      return log.level === "ERROR";
    case "service":
      return serviceOf?.(record.functionName) === mode.service;
  }
}

const COLORS: Record<string, string> = { ERROR: "31", FAIL: "1;31", WARN: "33", DEBUG: "90", TRACE: "90" };

function paint(color: boolean, code: string | undefined, text: string): string {
  return color && code ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function clock(timestamp: number, timeZone: "local" | "utc"): string {
  const d = new Date(timestamp);
  const utc = timeZone === "utc";
  const two = (n: number) => String(n).padStart(2, "0");
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const ms = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, "0")}`;
}

/** The terminal line for a record, or undefined when `--logs` (or the record's kind) hides it. */
export function formatLogRecord(record: FunctionLogRecord, options: TerminalLogOptions): string | undefined {
  const log = readLog(record);
  if (!log || !shows(options.mode, record, log, options.serviceOf)) return undefined;
  const color = options.color ?? false;
  const width = options.functionWidth ?? 24;
  const fields = log.fields.map(([key, value]) => (key === "…" ? value : `${key}=${value}`)).join(" ");
  const message = log.message.replace(/\r?\n/g, " ⏎ ");
  return [
    paint(color, "2", clock(record.timestamp, options.timeZone ?? "local")),
    paint(color, "36", record.functionName.padEnd(width)),
    paint(color, COLORS[log.level], log.level.padEnd(5)),
    fields ? `${message}  ${paint(color, "2", fields)}` : message,
  ].join("  ");
}
