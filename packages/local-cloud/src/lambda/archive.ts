import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { LocalLogger } from "../types";
import { LocalServiceError } from "../types";

/**
 * Materialises a function's deployment archive (a Pulumi `AssetArchive`) into a folder the worker
 * imports from, as Lambda unzips it into `/var/task`.
 *
 * Packages shipped under `node_modules/<pkg>/` as FileAssets (native addons such as sharp, built for
 * Lambda's arm64 Linux) are not copied: `node_modules/<pkg>` becomes a symlink to the package's folder
 * on this machine (derived from the FileAsset's path, e.g. in `node_modules/.pnpm/...`), so Node
 * resolves from the real path and finds the host's own native build beside it (pnpm installs both
 * platforms). Packages built for another platform (`os`/`cpu`/`libc` in their package.json, e.g.
 * `@img/sharp-linux-arm64` on an x64 machine) are left out.
 */

type Entry =
  | { path: string; kind: "text"; text: string }
  | { path: string; kind: "file"; file: string }
  | { path: string; kind: "dir"; dir: string };

/** What was put in the task root. */
export interface MaterialisedCode {
  dir: string;
  files: number;
  /** `node_modules/<pkg>` -> the package's folder on this machine. */
  linked: Record<string, string>;
  /** Packages left out because they are built for another platform. */
  skipped: string[];
  /** The archive ships native addons (`*.node`). */
  native: boolean;
}

interface PackageJson {
  name?: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Flattens an AssetArchive (nested archives included) into file entries. */
async function flatten(value: unknown, prefix: string, out: Entry[]): Promise<void> {
  if (!isRecord(value))
    throw new LocalServiceError(
      "InvalidParameterValueException",
      `code: unsupported asset at "${prefix || "/"}"`,
    );
  if ("assets" in value) {
    const assets = await (value.assets as Promise<unknown> | unknown);
    if (!isRecord(assets))
      throw new LocalServiceError("InvalidParameterValueException", "code: the AssetArchive has no assets");
    for (const [name, asset] of Object.entries(assets))
      await flatten(asset, prefix ? `${prefix}/${name}` : name, out);
    return;
  }
  if ("text" in value) {
    out.push({ path: prefix, kind: "text", text: String(await (value.text as Promise<unknown> | unknown)) });
    return;
  }
  if ("path" in value) {
    const path = String(await (value.path as Promise<unknown> | unknown));
    const isArchive = "__pulumiArchive" in value;
    if (!existsSync(path))
      throw new LocalServiceError("InvalidParameterValueException", `code: ${path} does not exist`);
    if (statSync(path).isDirectory()) out.push({ path: prefix, kind: "dir", dir: path });
    else if (isArchive) {
      throw new LocalServiceError(
        "InvalidParameterValueException",
        `code: the local Lambda cannot unpack the archive file ${path}; use an AssetArchive or a folder`,
      );
    } else out.push({ path: prefix, kind: "file", file: path });
    return;
  }
  if ("uri" in value) {
    throw new LocalServiceError(
      "InvalidParameterValueException",
      `code: remote assets are not available offline (${prefix})`,
    );
  }
  // A plain map of assets (hand-written resources).
  for (const [name, asset] of Object.entries(value)) {
    if (name.startsWith("__pulumi")) continue;
    await flatten(asset, prefix ? `${prefix}/${name}` : name, out);
  }
}

let hostLibc: string | undefined;
function libc(): string {
  if (hostLibc === undefined) {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    hostLibc = process.platform !== "linux" ? "" : report?.header?.glibcVersionRuntime ? "glibc" : "musl";
  }
  return hostLibc;
}

/** Whether a package.json's `os`/`cpu`/`libc` allow this machine. */
export function runsHere(pkg: PackageJson): boolean {
  const allows = (list: string[] | undefined, value: string): boolean => {
    if (!list || list.length === 0 || !value) return true;
    if (list.includes(`!${value}`)) return false;
    return list.includes(value) || list.every((item) => item.startsWith("!"));
  };
  return allows(pkg.os, process.platform) && allows(pkg.cpu, process.arch) && allows(pkg.libc, libc());
}

/** `node_modules/@scope/pkg/lib/x.js` -> [`@scope/pkg`, `lib/x.js`]; undefined outside node_modules. */
function packageOf(path: string): [string, string] | undefined {
  const parts = path.split("/");
  if (parts[0] !== "node_modules" || parts.length < 3) return undefined;
  const scoped = parts[1]?.startsWith("@");
  if (scoped && parts.length < 4) return undefined;
  const name = scoped ? `${parts[1]}/${parts[2]}` : (parts[1] as string);
  return [name, parts.slice(scoped ? 3 : 2).join("/")];
}

function inside(root: string, path: string): string {
  const target = resolve(root, path);
  if (target !== root && !target.startsWith(root + sep)) {
    throw new LocalServiceError(
      "InvalidParameterValueException",
      `code: "${path}" points outside the archive`,
    );
  }
  return target;
}

/** Writes the archive into `dir` (emptied first). */
export async function materialiseCode(
  code: unknown,
  dir: string,
  log: LocalLogger,
): Promise<MaterialisedCode> {
  const entries: Entry[] = [];
  await flatten(code, "", entries);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const root = resolve(dir);

  // node_modules packages shipped as files: link each to its folder on this machine.
  const packages = new Map<string, { root?: string; files: Array<{ path: string; file: string }> }>();
  const plain: Entry[] = [];
  for (const entry of entries) {
    const pkg = entry.kind === "file" ? packageOf(entry.path) : undefined;
    if (!pkg || entry.kind !== "file") {
      plain.push(entry);
      continue;
    }
    const [name, rest] = pkg;
    const group = packages.get(name) ?? { files: [] };
    const suffix = `${sep}${rest.split("/").join(sep)}`;
    const candidate = entry.file.endsWith(suffix) ? entry.file.slice(0, -suffix.length) : undefined;
    if (group.root === undefined && candidate && existsSync(join(candidate, "package.json")))
      group.root = candidate;
    group.files.push({ path: entry.path, file: entry.file });
    packages.set(name, group);
  }

  const linked: Record<string, string> = {};
  const skipped: string[] = [];
  const native = entries.some((entry) => entry.path.endsWith(".node"));
  for (const [name, group] of packages) {
    const pkgRoot = group.root;
    if (pkgRoot && group.files.every((f) => f.file.startsWith(pkgRoot + sep))) {
      const pkg = JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8")) as PackageJson;
      if (!runsHere(pkg)) {
        skipped.push(name);
        log.debug(`lambda: ${name} is built for another platform; left out`, { dir });
        continue;
      }
      const link = inside(root, `node_modules/${name}`);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(pkgRoot, link, "dir");
      linked[`node_modules/${name}`] = pkgRoot;
    } else {
      // Not laid out as a package on this machine: copy the files as they are.
      for (const { path, file } of group.files) plain.push({ path, kind: "file", file });
    }
  }

  let files = 0;
  for (const entry of plain) {
    const target = inside(root, entry.path);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.kind === "text") writeFileSync(target, entry.text);
    else if (entry.kind === "file") copyFileSync(entry.file, target);
    else cpSync(entry.dir, target, { recursive: true });
    files++;
  }

  // sharp's advice for worker threads on glibc: load native addons on the main thread too, so their
  // shared libraries stay loaded when a worker exits (and is replaced) instead of being unloaded.
  if (native) {
    const load = createRequire(join(root, "index.js"));
    for (const name of Object.keys(linked).map((key) => key.slice("node_modules/".length))) {
      try {
        load(name);
      } catch (error) {
        log.debug(`lambda: could not preload ${name} on the main thread`, { error: String(error) });
      }
    }
  }
  log.debug("lambda: code materialised", {
    dir: relative(process.cwd(), root) || root,
    files,
    linked: Object.keys(linked),
    skipped,
  });
  return { dir: root, files, linked, skipped, native };
}
