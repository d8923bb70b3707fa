import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OpsError } from "./errors";

/**
 * The files a running `pnpm dev` writes for scripts (`.switchyard/local/outputs[-<port>].json`) and how a script
 * finds the live one: shared by the local cloud (which writes them, and its `pnpm run token`) and `ops --local`
 * (`@switchyard/ops/local-runs`; fs only). `root` is the project root (the folder holding Pulumi.yaml).
 */

/** The port `pnpm dev` listens on unless told otherwise (LocalStack's, so SDK configs made for it work). */
export const DEFAULT_PORT = 4566;

/** Where a running local cloud writes what scripts need: `.switchyard/local/`. */
export function localStateDir(root: string): string {
  return join(root, ".switchyard", "local");
}

/**
 * The outputs file of the run on `port`: `outputs.json` for the default port, `outputs-<port>.json` for any
 * other, so two `pnpm dev` runs in one checkout never write the same file.
 */
export function outputsFileFor(port: number, root: string): string {
  return join(localStateDir(root), port === DEFAULT_PORT ? "outputs.json" : `outputs-${port}.json`);
}

/**
 * Whether the run that wrote an outputs file is gone: the file names its process (`pid`) and no such process
 * exists (killed with `kill -9`, so it could not remove its file). Files without a pid count as live.
 */
export function isStale(file: string): boolean {
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid;
  } catch {
    return false;
  }
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Every outputs file of a live run (see `isStale`), with its port. */
export function outputsFiles(root: string): Array<{ port: number; file: string }> {
  const dir = localStateDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => {
      if (name === "outputs.json") return { port: DEFAULT_PORT, file: join(dir, name) };
      const match = /^outputs-(\d+)\.json$/.exec(name);
      return match ? { port: Number(match[1]), file: join(dir, name) } : undefined;
    })
    .filter((entry): entry is { port: number; file: string } => entry !== undefined && !isStale(entry.file))
    .sort((a, b) => a.port - b.port);
}

/**
 * The outputs file a script (`pnpm run token`) should read: the run on `port` when given, else the only run
 * there is.
 * @throws OpsError saying what to start, or which `--port` to pass (exit code 2) when several run
 */
export function findOutputsFile(root: string, port?: number): string {
  if (port !== undefined) {
    const file = outputsFileFor(port, root);
    if (!existsSync(file) || isStale(file)) {
      throw new OpsError(
        `no local cloud on port ${port} (${file} does not exist): start it with corepack pnpm dev --port ${port}`,
      );
    }
    return file;
  }
  const files = outputsFiles(root);
  const [only] = files;
  if (files.length === 1 && only) return only.file;
  if (files.length === 0) {
    throw new OpsError(
      `no local cloud is running (no outputs file in ${localStateDir(root)}): start it with corepack pnpm dev`,
    );
  }
  throw new OpsError(
    `${files.length} local clouds are running (ports ${files.map((f) => f.port).join(", ")}): pass --port <port>`,
    2,
  );
}
