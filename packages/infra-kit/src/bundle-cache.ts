import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/**
 * A disk cache of esbuild's output, keyed by content: an entry holds the output files and the SHA-256 of every
 * input file esbuild read (its metafile inputs). It is used only when every input still hashes the same, so an
 * edited handler, a changed dependency or an upgraded package is bundled again. The build options (and
 * esbuild's version) are in the entry's key.
 *
 * It lives under `<workspace>/node_modules/.cache/switchyard/bundles/` (what `rm -rf node_modules` removes)
 * and is skipped when `SWITCHYARD_BUNDLE_CACHE=off`. An entry is `<key>.json` (the input hashes, the output
 * files' names and sizes) and the output files as they are in `<key>/` (reading 20 bundles with their source
 * maps out of JSON strings was half a second of every warm `pnpm dev`); the JSON is written last, so an entry
 * whose files are missing or of another size is not one. What it cannot see: a new file that changes how an
 * import resolves without any input changing (rare; `SWITCHYARD_BUNDLE_CACHE=off` or deleting the folder
 * rebuilds).
 */

/** What esbuild produced for one handler. */
export interface CachedBuild {
  /** Output file name -> text. */
  files: Record<string, string>;
  /** Repository-relative input paths. */
  inputs: string[];
  exports: string[];
}

interface Entry {
  version: 2;
  /** Input path -> SHA-256 of its content when the bundle was built. */
  inputHashes: Record<string, string>;
  inputs: string[];
  exports: string[];
  /** Output file name -> its size in bytes (the content is in `<key>/<encoded name>`). */
  files: Record<string, number>;
}

/** Input hashes already computed in this process, by path, size and mtime. */
const hashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/**
 * Stats taken in the current synchronous run, by path. A program bundles its handlers one after another in one
 * run and their inputs overlap (the AWS SDK's files are inputs of most bundles): a warm dev stack checks 24,000
 * inputs, 2,000 of them distinct. Cleared at the next microtask, so a file changed later is seen.
 */
let statsThisRun: Map<string, Stats | undefined> | undefined;

function statOnce(path: string): Stats | undefined {
  if (!statsThisRun) {
    statsThisRun = new Map();
    queueMicrotask(() => {
      statsThisRun = undefined;
    });
  }
  if (statsThisRun.has(path)) return statsThisRun.get(path);
  let stats: Stats | undefined;
  try {
    stats = statSync(path);
  } catch {
    stats = undefined;
  }
  statsThisRun.set(path, stats);
  return stats;
}

function hashFile(path: string): string | undefined {
  const stats = statOnce(path);
  if (!stats) return undefined;
  const known = hashes.get(path);
  if (known && known.size === stats.size && known.mtimeMs === stats.mtimeMs) return known.hash;
  const hash = createHash("sha256").update(readFileSync(path)).digest("hex");
  hashes.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, hash });
  return hash;
}

/** esbuild names inputs it did not read from disk like `(disabled):fs` or `<stdin>`. */
function isFile(input: string): boolean {
  return !input.startsWith("(") && !input.startsWith("<");
}

export function bundleCacheEnabled(): boolean {
  const value = process.env.SWITCHYARD_BUNDLE_CACHE?.toLowerCase();
  return value !== "off" && value !== "0" && value !== "false";
}

function entryFile(root: string, key: string): string {
  return join(root, "node_modules", ".cache", "switchyard", "bundles", `${key}.json`);
}

/** Where an entry keeps an output file's content. */
function contentFile(root: string, key: string, name: string): string {
  return join(root, "node_modules", ".cache", "switchyard", "bundles", key, encodeURIComponent(name));
}

/** The cache key of a build: its options (entry included) and esbuild's version. */
export function buildKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 40);
}

/** The cached build for `key` when every input it was built from is unchanged; undefined otherwise. */
export function readCachedBuild(root: string, key: string): CachedBuild | undefined {
  const file = entryFile(root, key);
  if (!existsSync(file)) return undefined;
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(file, "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.version !== 2 || !entry.inputHashes || !entry.files) return undefined;
  for (const [input, hash] of Object.entries(entry.inputHashes)) {
    if (hashFile(join(root, input)) !== hash) return undefined;
  }
  const files: Record<string, string> = {};
  for (const [name, size] of Object.entries(entry.files)) {
    let content: Buffer;
    try {
      content = readFileSync(contentFile(root, key, name));
    } catch {
      return undefined;
    }
    if (content.length !== size) return undefined;
    files[name] = content.toString("utf8");
  }
  return { files, inputs: entry.inputs, exports: entry.exports };
}

/** Stores a build (best effort: a read-only or full disk only costs the next build its speed). */
export function writeCachedBuild(root: string, key: string, build: CachedBuild): void {
  const inputHashes: Record<string, string> = {};
  for (const input of build.inputs) {
    if (!isFile(input)) continue;
    const hash = hashFile(join(root, input));
    if (hash === undefined) return; // an input we cannot read back: do not cache what we cannot check
    inputHashes[input] = hash;
  }
  const sizes: Record<string, number> = {};
  for (const [name, content] of Object.entries(build.files)) sizes[name] = Buffer.byteLength(content);
  const entry: Entry = {
    version: 2,
    inputHashes,
    inputs: build.inputs,
    exports: build.exports,
    files: sizes,
  };
  const file = entryFile(root, key);
  try {
    // The contents first, each written whole; the entry last: a reader never takes a half-written entry.
    for (const [name, content] of Object.entries(build.files))
      writeWhole(contentFile(root, key, name), content);
    writeWhole(file, JSON.stringify(entry));
  } catch {
    // best effort
  }
}

function writeWhole(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}
