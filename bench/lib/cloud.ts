/**
 * Driving the local cloud from a benchmark: its read-only `/_local` views, waiting until every function is
 * idle, and WebSocket tabs that keep each frame with its arrival time.
 */
import type { LocalCloud } from "@switchyard/local-cloud";
import WebSocket from "ws";

export const sleep = (millis: number) => new Promise((done) => setTimeout(done, millis));

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** `GET <endpoint>/_local/<route>`, parsed. */
export async function view<T>(
  cloud: Pick<LocalCloud, "endpoint">,
  route: string,
  query: Record<string, string> = {},
): Promise<T> {
  const url = new URL(`/_local/${route}`, cloud.endpoint);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export interface InvocationRecord {
  requestId: string;
  function: string;
  source: string;
  startedAt: string;
  durationMs: number;
  initDurationMs?: number;
  error?: { errorType: string; errorMessage: string };
}

export interface FunctionView {
  name: string;
  running: number;
  waiting: number;
  asyncPending: number;
  invocations: number;
}

/** Waits until no function runs, waits for a slot or has asynchronous invocations pending (twice in a row). */
export async function quiesce(cloud: Pick<LocalCloud, "endpoint">, timeoutMs = 20_000): Promise<void> {
  let idlePolls = 0;
  await until(
    async () => {
      const busy = (await view<FunctionView[]>(cloud, "lambda/functions")).filter(
        (fn) => fn.running > 0 || fn.waiting > 0 || fn.asyncPending > 0,
      );
      idlePolls = busy.length === 0 ? idlePolls + 1 : 0;
      return idlePolls >= 2 ? true : undefined;
    },
    timeoutMs,
    "every function idle",
  );
}

/** AWS API requests the engine served, by `<signing name> <operation>` (`/_local/requests`). */
export type RequestCounts = Record<string, number>;
export const requestCounts = (cloud: Pick<LocalCloud, "endpoint">) => view<RequestCounts>(cloud, "requests");
/** Requests served between two snapshots, by key (keys with none left out). */
export function requestsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [key, count] of Object.entries(after)) {
    const delta = count - (before[key] ?? 0);
    if (delta > 0) out[key] = delta;
  }
  return out;
}

export interface Frame {
  data: Record<string, unknown>;
  at: number;
}

/** A WebSocket tab that keeps every JSON frame with its arrival time (`performance.now()`). */
export class Tab {
  readonly frames: Frame[] = [];
  private constructor(
    readonly socket: WebSocket,
    onFrame?: (frame: Frame) => void,
  ) {
    socket.on("message", (raw) => {
      const at = performance.now();
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(String(raw)) as Record<string, unknown>;
      } catch {
        data = { unparsable: String(raw) };
      }
      const frame = { data, at };
      this.frames.push(frame);
      onFrame?.(frame);
    });
  }

  /** Opens the socket; resolves once the upgrade (hence `$connect`) completed. */
  static open(url: string, onFrame?: (frame: Frame) => void): Promise<Tab> {
    const socket = new WebSocket(url, { handshakeTimeout: 30_000 });
    const tab = new Tab(socket, onFrame);
    return new Promise((done, fail) => {
      socket.once("open", () => done(tab));
      socket.once("unexpected-response", (_req, res) => {
        socket.terminate();
        fail(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`));
      });
      socket.once("error", fail);
    });
  }

  /** When the first frame whose `message` is `text` arrived, if it did. */
  arrival(text: string): number | undefined {
    return this.frames.find((f) => f.data.message === text)?.at;
  }

  count(text: string): number {
    return this.frames.filter((f) => f.data.message === text).length;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        done();
      }, 2_000);
      this.socket.once("close", () => {
        clearTimeout(timer);
        done();
      });
      this.socket.close(1000, "bench done");
    });
  }
}

/** A stack output that must be a non-empty string. */
export function output(cloud: Pick<LocalCloud, "outputs" | "stack">, key: string): string {
  const value = cloud.outputs[key];
  if (typeof value !== "string" || value === "")
    throw new Error(`the ${cloud.stack} stack exports no ${key}`);
  return value;
}
