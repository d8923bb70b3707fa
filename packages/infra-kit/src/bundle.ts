import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { type BuildFailure, type BuildResult, buildSync } from "esbuild";
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
}

export interface Bundle {
  /** File name -> contents, as they go into the Lambda archive. */
  files: Record<string, string>;
  /** SHA-256 over the archive's files (names and contents): equal source gives an equal hash. */
  hash: string;
  /** Repository-relative paths of every input file, for diagnostics and tests. */
  inputs: string[];
  /** Names the bundle exports (a Lambda handler must be one of them). */
  exports: string[];
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
  const key = JSON.stringify({ ...options, entry });
  const cached = cache.get(key);
  if (cached) return cached;

  const root = workspaceRoot(dirname(entry));
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = buildSync({
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
      external: [...options.external],
      banner: { js: REQUIRE_SHIM },
      metafile: true,
      logLevel: "silent",
    });
  } catch (error) {
    // buildSync throws on the first failed build instead of returning its errors.
    throw new BundleError(entry, describeFailure(error));
  }

  const files: Record<string, string> = {};
  for (const file of result.outputFiles) {
    files[relative(root, file.path)] = file.text;
  }
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    hash
      .update(name)
      .update("\0")
      .update(files[name] as string)
      .update("\0");
  }
  const bundle: Bundle = {
    files,
    hash: hash.digest("hex"),
    inputs: Object.keys(result.metafile.inputs).sort(),
    exports: Object.values(result.metafile.outputs)
      .flatMap((output) => output.exports)
      .sort(),
  };
  cache.set(key, bundle);
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
