import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { LocalCloudError } from "../errors";

/**
 * The lock on a `--persist` folder: one local cloud at a time writes a folder's journals, snapshots, tables and
 * objects (two would interleave their journals and overwrite each other's snapshots). The lock is the file
 * `<dir>/local-cloud.lock` holding the owner's PID, created with O_EXCL; a lock whose PID no longer runs (a
 * run killed with kill -9) is taken over.
 */

const LOCK_FILE = "local-cloud.lock";

/** The folder is locked by a running process. */
export class PersistFolderLockedError extends LocalCloudError {
  override name = "PersistFolderLockedError";
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `--persist ${dir} is in use by another local cloud (PID ${pid}); stop it first, or use another --persist folder`,
    );
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on `dir` for this process (creating the folder).
 * @returns the function that releases it
 * @throws PersistFolderLockedError when a running process holds it
 */
export function lockPersistFolder(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(path);
      if (pid !== undefined && running(pid)) throw new PersistFolderLockedError(dir, pid);
      // A stale lock (its process is gone), or one being written right now: take it over, once.
      if (attempt > 0) throw new PersistFolderLockedError(dir, pid ?? 0);
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first: the next attempt sees its PID
      }
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (holder(path) === process.pid) unlinkSync(path);
  };
}
