import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { LocalContext } from "../types";

/**
 * An append-only journal with snapshots, for the state an emulator must not lose (`--persist <dir>`).
 *
 * - Every record is written to the journal file (one JSON line, `write(2)`) before the caller answers its
 *   client: a killed process (`kill -9`, a crash) loses nothing, the kernel has the bytes.
 * - `fdatasync` runs in the background every `syncEveryMs` (group commit), which bounds what a power cut
 *   or kernel crash could take, without paying a disk flush per request.
 * - Past `compactAfterBytes`, the caller's full state is written as a snapshot (temporary file, fsync,
 *   rename) and a new journal generation starts; the old one is removed. The snapshot names its
 *   generation, so a crash between the two steps replays only the journal that follows the snapshot.
 * - Loading reads the snapshot and replays its generation's journal; a torn last line (a write cut off by
 *   the crash) is ignored.
 *
 * Layout: `<dir>/snapshot.json` (`{ generation, state }`) and `<dir>/journal-<generation>.log`.
 */
export interface JournalOptions {
  /** @default 16 MiB */
  compactAfterBytes?: number;
  /** @default 100 */
  syncEveryMs?: number;
}

export interface Loaded<R> {
  state?: unknown;
  records: R[];
}

export class Journal<R> {
  private fd: number;
  private generation: number;
  private bytes = 0;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly compactAfterBytes: number;

  private constructor(
    readonly dir: string,
    generation: number,
    options: JournalOptions,
  ) {
    this.generation = generation;
    this.compactAfterBytes = options.compactAfterBytes ?? 16 * 1024 * 1024;
    this.fd = openSync(this.journalPath(generation), "a");
    this.bytes = statSync(this.journalPath(generation)).size;
    this.timer = setInterval(() => this.flush(), options.syncEveryMs ?? 100);
    this.timer.unref();
  }

  /** Opens (creating) the journal in `dir` and reads what it holds. */
  static open<R>(dir: string, options: JournalOptions = {}): { journal: Journal<R>; loaded: Loaded<R> } {
    mkdirSync(dir, { recursive: true });
    let generation = 0;
    let state: unknown;
    const snapshotPath = join(dir, "snapshot.json");
    if (existsSync(snapshotPath)) {
      const snapshot = JSON.parse(readFileSync(snapshotPath, "utf8")) as {
        generation: number;
        state: unknown;
      };
      generation = snapshot.generation;
      state = snapshot.state;
    }
    const records: R[] = [];
    const path = join(dir, `journal-${generation}.log`);
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      // A torn last line is cut off the file, so the records appended after this start begin on a line of
      // their own (a record appended to the fragment would make the next start fail).
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (end < bytes.length) truncateSync(path, end);
      const lines = bytes.toString("utf8").split("\n");
      for (const [index, line] of lines.entries()) {
        if (line === "") continue;
        try {
          records.push(JSON.parse(line) as R);
        } catch (error) {
          // Only the last line may be torn (the write the crash cut off).
          if (index < lines.length - 2)
            throw new Error(`${path}:${index + 1}: unreadable journal record (${String(error)})`);
        }
      }
    }
    for (const name of readdirSync(dir)) {
      if (/^journal-\d+\.log$/.test(name) && name !== `journal-${generation}.log`)
        unlinkSync(join(dir, name));
      if (name.endsWith(".tmp")) unlinkSync(join(dir, name));
    }
    return { journal: new Journal<R>(dir, generation, options), loaded: { state, records } };
  }

  private journalPath(generation: number): string {
    return join(this.dir, `journal-${generation}.log`);
  }

  /** Appends one record (written through to the kernel before returning). */
  append(record: R): void {
    if (this.closed) return;
    const line = `${JSON.stringify(record)}\n`;
    const buffer = Buffer.from(line, "utf8");
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    this.bytes += buffer.length;
    this.dirty = true;
  }

  /** Whether the journal has grown past its compaction size. */
  get wantsCompaction(): boolean {
    return this.bytes >= this.compactAfterBytes;
  }

  /** Flushes written records to the disk now (the timer does it every `syncEveryMs`). */
  flush(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
  }

  /** Writes `state` as the snapshot of a new generation and starts its (empty) journal. */
  compact(state: unknown): void {
    if (this.closed) return;
    const next = this.generation + 1;
    const tmp = join(this.dir, "snapshot.json.tmp");
    const fd = openSync(tmp, "w");
    writeSync(fd, JSON.stringify({ generation: next, state }));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, "snapshot.json"));
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    const old = this.generation;
    closeSync(this.fd);
    this.generation = next;
    this.fd = openSync(this.journalPath(next), "a");
    this.bytes = 0;
    this.dirty = false;
    unlinkSync(this.journalPath(old));
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    closeSync(this.fd);
  }
}

/** Options of a {@link RecordLog}. */
export interface RecordLogOptions<T> extends JournalOptions {
  /**
   * The records still needed, given every record in order (oldest first): what compaction keeps. An S3 event
   * delivered, a configuration replaced by a later one, an archived event past its retention can go.
   * @default every record is kept
   */
  live?: (records: T[]) => T[];
}

/**
 * A journal of records, for what an emulator accepted and replays as a list on start: EventBridge's archived
 * events, control-plane changes clients made at runtime (topics, subscriptions, buses, rules, targets), S3
 * event notifications not yet delivered. It is a {@link Journal} under `<persistDir>/journal/<name>/`, so it
 * writes through before the caller answers and syncs by group commit the same way. It compacts as the SQS and
 * CloudWatch snapshots do: past `compactAfterBytes` (and on opening, when the file is already past it) the
 * records still needed (`live`) become the snapshot of a new generation and the journal starts empty; a crash
 * at any point of that leaves either the old snapshot and journal or the new snapshot, never neither. Without
 * `--persist` there is no file: `append` does nothing and `records` is empty.
 */
export class RecordLog<T> {
  private readonly journal?: Journal<T>;
  private readonly loaded: T[] = [];
  /** Every record since the last compaction, after the snapshot's (what the next snapshot is made of). */
  private all: T[] = [];
  private readonly live: (records: T[]) => T[];

  constructor(
    ctx: Pick<Partial<LocalContext>, "persistDir" | "log">,
    name: string,
    options: RecordLogOptions<T> = {},
  ) {
    this.live = options.live ?? ((records) => records);
    if (!ctx.persistDir) return;
    const { journal, loaded } = Journal.open<T>(join(ctx.persistDir, "journal", name), options);
    this.journal = journal;
    const snapshot = Array.isArray(loaded.state) ? (loaded.state as T[]) : [];
    this.loaded = [...snapshot, ...loaded.records];
    this.all = [...this.loaded];
    if (journal.wantsCompaction) this.compact();
  }

  /** Whether records are kept (the engine runs with `--persist`). */
  get enabled(): boolean {
    return this.journal !== undefined;
  }

  /** Appends one record, written through before returning (and compacts when the journal is due). */
  append(record: T): void {
    if (!this.journal) return;
    this.journal.append(record);
    this.all.push(record);
    if (this.journal.wantsCompaction) this.compact();
  }

  /** Writes the records still needed as a new snapshot and starts an empty journal. */
  compact(): void {
    if (!this.journal) return;
    this.all = this.live(this.all);
    this.journal.compact(this.all);
  }

  /** The records the journal held when it was opened, oldest first. */
  records(): T[] {
    return [...this.loaded];
  }

  /** Flushes and closes the file (appends after this are dropped). */
  close(): void {
    this.journal?.close();
  }
}
