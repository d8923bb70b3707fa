import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { type BuildFailure, type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";
import {
  buildKey,
  bundleCacheEnabled,
  type CachedBuild,
  readCachedBuild,
  writeCachedBuild,
} from "./bundle-cache";
import { BundleError } from "./errors";

/** Node.js major version the bundles target; matches the Lambda runtime NodeFunction deploys. */
export const BUNDLE_NODE_TARGET = "node24";

export interface BundleOptions {
  /** Absolute path of the handler's entry file. */
  entry: string;
  /** Module names left out of the bundle (provided by a layer or shipped beside it). */
  external: readonly string[];
  /** Minify the output. */
  minify: boolean;
  /**
   * Packages shipped as files under `node_modules/` in the archive instead of being bundled (native addons such as
   * sharp), with their dependency closure, for this Lambda instruction set. Each is also marked external.
   * @default []
   */
  nodeModules?: readonly string[];
  /** Instruction set the `nodeModules` must be built for. @default "arm64" */
  architecture?: LambdaArchitecture;
}

/** Lambda instruction sets, named as Lambda names them. */
export type LambdaArchitecture = "arm64" | "x86_64";

/** Lambda runs Linux with glibc; `process.arch` names for each Lambda instruction set. */
const NODE_CPU: Record<LambdaArchitecture, string> = { arm64: "arm64", x86_64: "x64" };

export interface Bundle {
  /** File name -> contents, as they go into the Lambda archive. */
  files: Record<string, string>;
  /** SHA-256 over the archive's files (names and contents): equal source gives an equal hash. */
  hash: string;
  /** Repository-relative paths of every input file, for diagnostics and tests. */
  inputs: string[];
  /** Names the bundle exports (a Lambda handler must be one of them). */
  exports: string[];
  /**
   * Archive path (`node_modules/<package>/<file>`) -> absolute path on this machine, for the `nodeModules` shipped
   * beside the bundle, sorted by archive path. Empty without `nodeModules`.
   */
  packageFiles: Record<string, string>;
  /** `name@version` of every shipped package, sorted. */
  packages: string[];
}

// ESM bundles of CommonJS dependencies still call `require` for Node built-ins.
const REQUIRE_SHIM =
  'import { createRequire as __switchyardCreateRequire } from "node:module";' +
  "const require = __switchyardCreateRequire(import.meta.url);";

const cache = new Map<string, Bundle>();

/** The folder holding pnpm-workspace.yaml above `from` (or `from` itself when there is none). */
export function workspaceRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/**
 * Bundles a TypeScript handler into a single ESM file with esbuild, synchronously, while the
 * Pulumi program runs (so `pulumi up` needs no separate build step). Paths in the output and its
 * source map are relative to the workspace root and no timestamps are embedded, so the same source
 * always yields byte-identical files and Pulumi sees no diff.
 */
export function bundleHandler(options: BundleOptions): Bundle {
  const entry = isAbsolute(options.entry) ? options.entry : resolve(options.entry);
  const cacheKey = JSON.stringify({ ...options, entry });
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  const root = workspaceRoot(dirname(entry));
  const nodeModules = options.nodeModules ?? [];
  const shipped = collectNodeModules(entry, nodeModules, options.architecture ?? "arm64");
  const buildOptions = {
    entryPoints: [entry],
    absWorkingDir: root,
    outfile: join(root, "index.mjs"),
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: BUNDLE_NODE_TARGET,
    mainFields: ["module", "main"],
    minify: options.minify,
    // "linked" writes the //# sourceMappingURL comment; Node's --enable-source-maps finds the map only through it.
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    treeShaking: true,
    external: [...new Set([...options.external, ...nodeModules])],
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: "silent",
  } satisfies BuildOptions;
  // Same options and unchanged inputs: esbuild's earlier output, from the disk cache (see bundle-cache.ts).
  const key = buildKey({
    esbuildVersion,
    options: { ...buildOptions, entryPoints: [relative(root, entry)] },
  });
  const useCache = bundleCacheEnabled();
  let built: CachedBuild | undefined = useCache ? readCachedBuild(root, key) : undefined;
  if (!built) {
    let result: ReturnType<typeof buildSync<typeof buildOptions>>;
    try {
      result = buildSync(buildOptions);
    } catch (error) {
      // buildSync throws on the first failed build instead of returning its errors.
      throw new BundleError(entry, describeFailure(error));
    }
    const outputFiles: Record<string, string> = {};
    for (const file of result.outputFiles) outputFiles[relative(root, file.path)] = file.text;
    built = {
      files: outputFiles,
      inputs: Object.keys(result.metafile.inputs).sort(),
      exports: Object.values(result.metafile.outputs)
        .flatMap((output) => output.exports)
        .sort(),
    };
    if (useCache) writeCachedBuild(root, key, built);
  }
  const files = built.files;
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    hash
      .update(name)
      .update("\0")
      .update(files[name] as string)
      .update("\0");
  }
  for (const [name, path] of Object.entries(shipped.files)) {
    hash.update(name).update("\0").update(readFileSync(path)).update("\0");
  }
  const bundle: Bundle = {
    files,
    hash: hash.digest("hex"),
    inputs: built.inputs,
    exports: built.exports,
    packageFiles: shipped.files,
    packages: shipped.packages,
  };
  cache.set(cacheKey, bundle);
  return bundle;
}

/** The first esbuild error with its location (`file:line:column: text`), and how many more there were. */
function describeFailure(error: unknown): string {
  const errors = (error as Partial<BuildFailure> | null)?.errors ?? [];
  const first = errors[0];
  if (!first) return error instanceof Error ? error.message : String(error);
  const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : "";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return `${at}${first.text}${more}`;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** Where Node.js would find `name` from `dir` (its node_modules lookup), as a real path; undefined if nowhere. */
function findPackage(name: string, dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (basename(current) !== "node_modules") {
      const candidate = join(current, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    }
    if (dirname(current) === current) return undefined;
  }
}

/** Why a package cannot run on Lambda (Linux, glibc) with this instruction set; undefined when it can. */
function platformMismatch(pkg: PackageJson, architecture: LambdaArchitecture): string | undefined {
  const allows = (list: string[] | undefined, value: string) =>
    list === undefined || list.length === 0
      ? true
      : list.includes(`!${value}`)
        ? false
        : list.some((item) => item === value) || list.every((item) => item.startsWith("!"));
  if (!allows(pkg.os, "linux")) return `is built for ${pkg.os?.join("/")}, not linux`;
  if (!allows(pkg.cpu, NODE_CPU[architecture]))
    return `is built for ${pkg.cpu?.join("/")}, not ${NODE_CPU[architecture]} (Lambda ${architecture})`;
  if (!allows(pkg.libc, "glibc")) return `is built for ${pkg.libc?.join("/")}, not glibc`;
  return undefined;
}

/** Every file under `dir` except nested node_modules, as paths relative to `dir`, sorted. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix)).sort()) {
    const relativePath = prefix ? `${prefix}/${entry}` : entry;
    if (entry === "node_modules") continue;
    const stats = statSync(join(dir, relativePath));
    if (stats.isDirectory()) out.push(...filesUnder(dir, relativePath));
    else if (stats.isFile()) out.push(relativePath);
  }
  return out;
}

/**
 * The files of `names` and their dependency closure, laid out flat under `node_modules/` as Lambda's
 * `/var/task/node_modules` needs them. Optional dependencies built for another platform are left out;
 * a listed package built for another platform is refused (it would fail at the first invocation).
 */
function collectNodeModules(
  entry: string,
  names: readonly string[],
  architecture: LambdaArchitecture,
): { files: Record<string, string>; packages: string[] } {
  if (names.length === 0) return { files: {}, packages: [] };
  const found = new Map<string, { dir: string; pkg: PackageJson }>();
  const queue: Array<{ name: string; from: string; optional: boolean; listed: boolean }> = names.map(
    (name) => ({ name, from: dirname(entry), optional: false, listed: true }),
  );
  const pending: string[] = [];
  while (queue.length > 0) {
    const next = queue.shift() as (typeof queue)[number];
    const dir = findPackage(next.name, next.from);
    if (!dir) {
      if (next.listed) pending.push(next.name);
      else if (!next.optional) {
        throw new BundleError(entry, `nodeModules: ${next.name} (a dependency) is not installed`);
      }
      continue;
    }
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
    const mismatch = platformMismatch(pkg, architecture);
    if (mismatch) {
      if (next.listed) {
        throw new BundleError(
          entry,
          `nodeModules: ${pkg.name}@${pkg.version} ${mismatch}; ship the build for Lambda ${architecture} instead`,
        );
      }
      continue;
    }
    const existing = found.get(pkg.name);
    if (existing) {
      if (existing.dir !== dir && existing.pkg.version !== pkg.version) {
        throw new BundleError(
          entry,
          `nodeModules: ${pkg.name} is needed in two versions (${existing.pkg.version} and ${pkg.version}); a flat node_modules holds one`,
        );
      }
      continue;
    }
    found.set(pkg.name, { dir, pkg });
    for (const dependency of Object.keys(pkg.dependencies ?? {}).sort())
      queue.push({ name: dependency, from: dir, optional: false, listed: false });
    for (const dependency of Object.keys(pkg.optionalDependencies ?? {}).sort())
      queue.push({ name: dependency, from: dir, optional: true, listed: false });
  }
  // A listed package not linked beside the entry (pnpm links only direct dependencies) may be in the closure.
  for (const name of pending) {
    if (!found.has(name)) {
      throw new BundleError(
        entry,
        `nodeModules: ${name} is not installed for Lambda ${architecture} (add its platform to pnpm supportedArchitectures)`,
      );
    }
  }
  for (const name of names) {
    const shipped = found.get(name);
    if (shipped) {
      const mismatch = platformMismatch(shipped.pkg, architecture);
      if (mismatch) throw new BundleError(entry, `nodeModules: ${name} ${mismatch}`);
    }
  }
  const files: Record<string, string> = {};
  for (const [name, { dir }] of [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const file of filesUnder(dir)) files[`node_modules/${name}/${file}`] = join(dir, file);
  }
  const packages = [...found.values()].map(({ pkg }) => `${pkg.name}@${pkg.version}`).sort();
  return { files, packages };
}
