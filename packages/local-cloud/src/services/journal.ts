import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LocalContext } from "../types";

/**
 * A small append-only journal (one JSON record per line) under `<persistDir>/journal/<name>.jsonl`, for what an
 * emulator accepted and must not lose to a crash: EventBridge's archived events, control-plane changes clients
 * made at runtime (topics, subscriptions, buses, rules, targets), S3 event notifications not yet delivered.
 * Each record is written synchronously before the request is answered, so `kill -9` loses nothing answered;
 * on start the emulator replays the records in order. A torn last line (a crash mid-write) is skipped.
 * Without `--persist` there is no journal: `append` does nothing and `records` is empty.
 */
export class Journal<T> {
  private readonly file?: string;

  constructor(ctx: Pick<LocalContext, "persistDir" | "log">, name: string) {
    if (!ctx.persistDir) return;
    this.file = join(ctx.persistDir, "journal", `${name}.jsonl`);
    mkdirSync(dirname(this.file), { recursive: true });
    this.log = ctx.log;
  }

  private log?: LocalContext["log"];

  /** Whether records are kept (the engine runs with `--persist`). */
  get enabled(): boolean {
    return this.file !== undefined;
  }

  append(record: T): void {
    if (!this.file) return;
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /** Every record written so far, oldest first. */
  records(): T[] {
    if (!this.file) return [];
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return [];
    }
    const records: T[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        this.log?.warn(`journal ${this.file}: a torn record was skipped`, { line: line.slice(0, 200) });
      }
    }
    return records;
  }
}
