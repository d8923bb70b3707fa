import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RecordLog } from "../src/persist/journal";
import { liveS3Records } from "../src/services/s3";
import type { NotificationJournalRecord } from "../src/services/s3/notifications";

import { killHard, spawnTsx } from "./spawn";

const CHILD = join(import.meta.dirname, "fixtures", "record-log-child.ts");

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-journal-test-"));
  dirs.push(dir);
  return dir;
};

describe("RecordLog (the --persist journal of SNS, EventBridge and S3)", () => {
  it("keeps nothing without --persist", () => {
    const log = new RecordLog<{ n: number }>({}, "sns");
    log.append({ n: 1 });
    expect(log.enabled).toBe(false);
    expect(log.records()).toEqual([]);
    log.close();
  });

  it("writes each record through, so a second opening (a restart) reads them in order", () => {
    const dir = tempDir();
    const first = new RecordLog<{ n: number }>({ persistDir: dir }, "events");
    first.append({ n: 1 });
    first.append({ n: 2 });
    // No close: what a killed process leaves behind.
    const second = new RecordLog<{ n: number }>({ persistDir: dir }, "events");
    expect(second.records()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(readdirSync(join(dir, "journal", "events"))).toEqual(["journal-0.log"]);
    first.close();
    second.close();
  });

  it("skips a torn last record (a write cut off by a crash)", () => {
    const dir = tempDir();
    const log = new RecordLog<{ n: number }>({ persistDir: dir }, "s3");
    log.append({ n: 1 });
    log.close();
    appendFileSync(join(dir, "journal", "s3", "journal-0.log"), '{"n":');
    const reopened = new RecordLog<{ n: number }>({ persistDir: dir }, "s3");
    expect(reopened.records()).toEqual([{ n: 1 }]);
    // What this run appends starts on a line of its own: the next start reads it, not a broken line.
    reopened.append({ n: 2 });
    reopened.close();
    const again = new RecordLog<{ n: number }>({ persistDir: dir }, "s3");
    expect(again.records()).toEqual([{ n: 1 }, { n: 2 }]);
    again.close();
  });
});

describe("RecordLog compaction", () => {
  it("keeps only the live records in a snapshot and a new journal, and reads them back", () => {
    const dir = tempDir();
    const live = (records: Array<{ n: number }>) => records.filter((record) => record.n % 2 === 0);
    const log = new RecordLog<{ n: number }>({ persistDir: dir }, "s3", { live, compactAfterBytes: 64 });
    for (let n = 0; n < 40; n++) log.append({ n });
    log.close();
    const files = readdirSync(join(dir, "journal", "s3"));
    expect(files).toContain("snapshot.json");
    expect(files.filter((name) => name.startsWith("journal-"))).toHaveLength(1);
    expect(files).not.toContain("journal-0.log");
    const reopened = new RecordLog<{ n: number }>({ persistDir: dir }, "s3", { live, compactAfterBytes: 64 });
    const kept = reopened.records().map((record) => record.n);
    // Odd records compacted away; the ones appended since the last compaction are all there, in order.
    expect(kept.filter((n) => n % 2 === 0)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept.length).toBeLessThan(40);
    reopened.close();
  });

  it("loses nothing acknowledged when killed (kill -9) in the middle of compacting", async () => {
    const dir = tempDir();
    const child = spawnTsx(CHILD, [dir]);
    // Past hundreds of compactions (4 KiB each), in the middle of the run.
    await child.waitFor(/\npending 3000\n/);
    expect(await killHard(child)).toBe("SIGKILL");
    const output = child.stdout();
    const acked = (kind: string) =>
      output
        .split("\n")
        .filter((line) => line.startsWith(`${kind} `))
        .map((line) => Number(line.slice(kind.length + 1)));
    const pending = acked("pending");
    const delivered = new Set(acked("delivered"));
    const configurations = acked("configuration");
    const last = pending[pending.length - 1] ?? -1;
    expect(last).toBeGreaterThanOrEqual(3000);

    const reopened = new RecordLog<NotificationJournalRecord>({ persistDir: dir }, "s3", {
      live: liveS3Records,
    });
    const records = reopened.records();
    reopened.close();
    const open = new Set(
      liveS3Records(records).flatMap((record) =>
        record.kind === "pending" ? [Number(record.id.slice(1))] : [],
      ),
    );
    // Every event acknowledged and not yet delivered is still there (the last one may have been delivered
    // without its acknowledgement printed)...
    const undelivered = pending.filter((n) => !delivered.has(n) && n !== last);
    expect(undelivered.length).toBeGreaterThan(900);
    expect(undelivered.filter((n) => !open.has(n))).toEqual([]);
    // ...and nothing delivered came back: no event acknowledged as delivered, and none before the last
    // acknowledged one that was to be delivered. An event after it may be open: the kill can land inside the
    // append that was compacting (a snapshot written with that event still pending, before its acknowledgement).
    expect([...open].filter((n) => delivered.has(n))).toEqual([]);
    expect([...open].filter((n) => n < last && n % 3 !== 0)).toEqual([]);
    // The latest configuration acknowledged (or one written after it) is the one kept.
    const configuration = records.filter((record) => record.kind === "configuration").at(-1);
    const kept =
      configuration?.kind === "configuration" ? Number(configuration.config.targets[0]?.id.slice(1)) : -1;
    expect(kept).toBeGreaterThanOrEqual(configurations[configurations.length - 1] ?? 0);
    // And the journal was compacted: a snapshot, a journal far smaller than what was written.
    const files = readdirSync(join(dir, "journal", "s3"));
    expect(files).toContain("snapshot.json");
    const journalFile = files.find((name) => /^journal-\d+\.log$/.test(name));
    expect(journalFile).toBeDefined();
    expect(Number(journalFile?.match(/\d+/)?.[0])).toBeGreaterThan(100);
    expect(statSync(join(dir, "journal", "s3", journalFile ?? "")).size).toBeLessThan(8192);
  });
});
