import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/**
 * What the tests that run a process share (the CLI, a child local cloud killed with SIGKILL, `aws logs tail`):
 * spawning with its output collected, waiting for a line, and killing hard. Every child is tracked so a
 * suite can kill what is left (`killAll`).
 */

/** The package folder (children run from it, so `--import tsx` and relative paths resolve). */
export const PACKAGE = join(import.meta.dirname, "..");

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process ended (with its code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves once stdout contains `text` (or matches it); rejects when the process ends first or after
   * `timeoutMs` (default 60 s), with what it printed.
   */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

const spawned = new Set<ChildProcess>();

/** Spawns a process with its stdout and stderr collected. */
export function spawnProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): Spawned {
  const child = spawn(command, args, {
    cwd: options.cwd ?? PACKAGE,
    env: options.env ?? { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  spawned.add(child);
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      ended = true;
      spawned.delete(child);
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );
  const waitFor = (text: string | RegExp, timeoutMs = 60_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const seen = () => (typeof text === "string" ? out.includes(text) : text.test(out));
      const done = () => {
        listeners.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        if (seen()) {
          done();
          resolve();
        } else if (ended) {
          done();
          reject(
            new Error(
              `${command} ended (${child.exitCode ?? child.signalCode}) before printing ${text}:\n${out}${err}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${command} never printed ${text} in ${timeoutMs} ms:\n${out}${err}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** Runs a TypeScript file of the package with node and tsx (a child local cloud, a fixture, the CLI). */
export function spawnTsx(file: string, args: string[] = []): Spawned {
  return spawnProcess(process.execPath, ["--import", "tsx", file, ...args]);
}

/**
 * Kills with SIGKILL (no shutdown code runs, as a crash) and resolves with the signal once it ended and what it
 * wrote to stdout has been read: Node emits `exit` before the pipe is drained, so a test reading `stdout()` right
 * after `exit` could miss the last lines the child printed (and wrongly think them unacknowledged).
 */
export async function killHard(process: Spawned): Promise<NodeJS.Signals | null> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return process.child.signalCode;
  const stdout = process.child.stdout;
  const drained =
    stdout && !stdout.readableEnded
      ? new Promise<void>((resolve) => {
          // A grandchild holding the pipe open would keep it from ending: wait a bounded time.
          const timer = setTimeout(resolve, 5_000);
          stdout.once("end", () => {
            clearTimeout(timer);
            resolve();
          });
        })
      : Promise.resolve();
  process.child.kill("SIGKILL");
  const { signal } = await process.exited;
  await drained;
  return signal;
}

/** Kills every child still running (an afterAll's clean-up). */
export function killAll(): void {
  for (const child of spawned) child.kill("SIGKILL");
  spawned.clear();
}
