import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RecordLog } from "../src/persist/journal";

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
