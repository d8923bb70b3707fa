/**
 * Cold start per handler: what a new Lambda container pays to load each function before its first event,
 * bundled as the program deploys it against the same handler with its dependencies left in node_modules.
 *
 *   pnpm bench:handler-cold-start [--runs N] [--check]
 *
 * The handlers are the program's own: every `aws:lambda/function:Function` of the dev stack (offline
 * synth), its archive as deployed (index.mjs, and the native packages shipped beside it: sharp). Functions
 * with the same bundle (the SMS lanes) are one row. The entry is the `src/handlers/*.ts` file the bundle's
 * source map ends with (esbuild emits the entry last).
 *
 * - **bundled**: the archive's index.mjs (dependencies inside, minified), as Lambda runs it.
 * - **unbundled**: the same entry built by esbuild with the project's own code inside (the handler and the
 *   workspace kits, which are TypeScript) and every npm dependency left external, imported from its file
 *   in node_modules (resolved with Node's own `import` conditions), as a zip of the handler plus a
 *   node_modules folder would run.
 *
 * Module initialisation: a fresh `node` process with the function's environment imports the file; the time
 * of that `import()` (module loading, evaluation and the handler's init code: env parsing, SDK clients), as
 * Lambda's Init Duration counts it. Median of N (default 10) per variant, bundled and unbundled alternating
 * so the machine's load falls on both alike. Writes results/handler-cold-start.json and results/handler-cold-start.svg.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { synthesize } from "@switchyard/infra/synth";
import { build, type Plugin } from "esbuild";
import { benchArgs, loadTargets, median, Report, writeChart, writeResult } from "./lib/results";
import { barChart } from "./lib/svg";

interface ColdStartTargets {
  /** The slowest handler's bundled init median. */
  bundledInitMaxMs: number;
  /** The largest bundle (index.mjs). */
  bundleMaxKb: number;
  /** Median over handlers of unbundled init / bundled init: at least this. */
  unbundledOverBundledMin: number;
}

const { runs, check } = benchArgs(10, ["handler-cold-start"]);
const targets = loadTargets<{ coldStart: ColdStartTargets }>().coldStart;
const report = new Report(
  "cold-start: module initialisation per handler, bundled vs dependencies in node_modules",
);
const ROOT = resolve(import.meta.dirname, "..");
const STACK = "dev";

// ---- the deployed archives ------------------------------------------------------------------------------

type ArchiveFile = { kind: "text"; text: string } | { kind: "file"; path: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A Pulumi AssetArchive (StringAssets and FileAssets, as NodeFunction builds it) as archive path -> file. */
async function archiveFiles(code: unknown): Promise<Map<string, ArchiveFile>> {
  const out = new Map<string, ArchiveFile>();
  const assets = isRecord(code) ? await (code.assets as unknown) : undefined;
  if (!isRecord(assets)) throw new Error("the function's code is not an AssetArchive");
  for (const [name, asset] of Object.entries(assets)) {
    if (!isRecord(asset)) continue;
    if ("text" in asset) out.set(name, { kind: "text", text: String(await (asset.text as unknown)) });
    else if ("path" in asset) out.set(name, { kind: "file", path: String(await (asset.path as unknown)) });
  }
  return out;
}

interface Handler {
  /** e.g. notifications/sender */
  label: string;
  entry: string;
  functions: string[];
  bundle: string;
  /** Archive path -> real path of the native packages shipped beside the bundle. */
  packageFiles: Map<string, string>;
  environment: Record<string, string>;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Pulumi's wire form of a secret input (`{ <sig>: <secret sig>, value }`) -> the value. */
const plain = (value: unknown): unknown => (isRecord(value) && SIG_KEY in value ? plain(value.value) : value);

async function handlersOfTheProgram(): Promise<Handler[]> {
  const synth = await synthesize({ stack: STACK, root: ROOT });
  const byBundle = new Map<string, Handler>();
  for (const resource of synth.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
    const files = await archiveFiles(resource.inputs.code);
    const index = files.get("index.mjs");
    const map = files.get("index.mjs.map");
    if (index?.kind !== "text" || map?.kind !== "text") {
      throw new Error(`${resource.name}: the archive has no index.mjs and index.mjs.map`);
    }
    const sources = (JSON.parse(map.text) as { sources: string[] }).sources;
    const entry = sources
      .filter((source) => /services\/[^/]+\/src\/handlers\/[^/]+\.ts$/.test(source))
      .at(-1);
    if (!entry) throw new Error(`${resource.name}: no src/handlers/*.ts among the bundle's sources`);
    const hash = createHash("sha256").update(index.text).digest("hex");
    const name = String(resource.outputs.name ?? resource.name);
    const existing = byBundle.get(hash);
    if (existing) {
      existing.functions.push(name);
      continue;
    }
    const variables = (plain(plain(resource.inputs.environment) as unknown) as { variables?: unknown })
      ?.variables;
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(isRecord(variables) ? variables : {})) {
      const v = plain(value);
      if (v !== undefined && v !== null) environment[key] = String(v);
    }
    const packageFiles = new Map<string, string>();
    for (const [path, file] of files) if (file.kind === "file") packageFiles.set(path, file.path);
    const absolute = resolve(ROOT, entry.replace(/^(\.\.\/)+/, ""));
    const [, service, file] = /services\/([^/]+)\/src\/handlers\/([^/]+)\.ts$/.exec(entry) ?? [];
    byBundle.set(hash, {
      label: `${service}/${file}`,
      entry: absolute,
      functions: [name],
      bundle: index.text,
      packageFiles,
      environment,
    });
  }
  return [...byBundle.values()].sort((a, b) => a.label.localeCompare(b.label));
}

// ---- the two variants on disk ----------------------------------------------------------------------------

/** The archive's folder: index.mjs, and node_modules/<package> linked to the real package folder. */
function writeBundled(handler: Handler, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.mjs"), handler.bundle);
  const linked = new Set<string>();
  for (const [path, real] of handler.packageFiles) {
    const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(path);
    if (!match) continue;
    const [, pkg, rest] = match as unknown as [string, string, string];
    if (linked.has(pkg)) continue;
    linked.add(pkg);
    const link = join(dir, "node_modules", pkg);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(real.slice(0, real.length - rest.length - 1), link, "dir");
  }
  return join(dir, "index.mjs");
}

/** Every bare import outside the workspace stays external, as the absolute path Node's resolver would pick. */
const dependenciesFromNodeModules: Plugin = {
  name: "dependencies-from-node-modules",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith("node:") || args.pluginData === "inner") return undefined;
      if (args.path.startsWith("@switchyard/")) return undefined;
      const resolved = await b.resolve(args.path, {
        importer: args.importer,
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: "inner",
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      if (!resolved.path) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};

async function writeUnbundled(handler: Handler, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, "index.mjs");
  await build({
    entryPoints: [handler.entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    // Node's ESM resolution: the `main` field and the `import`/`node`/`default` conditions (no `module`).
    mainFields: ["main"],
    conditions: [],
    plugins: [dependenciesFromNodeModules],
    logLevel: "silent",
    banner: {
      js: 'import { createRequire as __benchCreateRequire } from "node:module";const require = __benchCreateRequire(import.meta.url);',
    },
  });
  return outfile;
}

// ---- measuring -------------------------------------------------------------------------------------------

const PROBE = `
const file = process.argv[1];
const started = performance.now();
await import(file);
const importMs = performance.now() - started;
process.stdout.write("\\n__bench__" + JSON.stringify({ importMs }) + "\\n");
process.exit(0);
`;

/** Imports `file` in a fresh node process with the function's environment; the import's duration in ms. */
function initOnce(file: string, environment: Record<string, string>): number {
  const { NODE_OPTIONS: _sourceMaps, ...variables } = environment;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", PROBE, file], {
    cwd: dirname(file),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_LAMBDA_FUNCTION_NAME: "bench",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      ...variables,
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  const line = result.stdout?.split("\n").find((l) => l.startsWith("__bench__"));
  if (result.status !== 0 || !line) {
    throw new Error(
      `importing ${relative(ROOT, file)} failed (exit ${result.status}): ${(result.stderr || result.stdout || "").slice(-600)}`,
    );
  }
  return (JSON.parse(line.slice("__bench__".length)) as { importMs: number }).importMs;
}

interface Row {
  handler: string;
  functions: string[];
  bundleKb: number;
  shippedPackages: number;
  unbundledOwnCodeKb: number;
  bundledInitMs: number;
  unbundledInitMs: number;
  bundledSamples: number[];
  unbundledSamples: number[];
}

const work = mkdtempSync(join(tmpdir(), "switchyard-bench-cold-"));
const rows: Row[] = [];
try {
  const started = performance.now();
  const handlers = await handlersOfTheProgram();
  report.info(
    `handlers (distinct bundles) of the ${STACK} stack, synth and bundling`,
    `${handlers.length}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const [i, handler] of handlers.entries()) {
    try {
      const bundled = writeBundled(handler, join(work, String(i), "bundled"));
      const unbundled = await writeUnbundled(handler, join(work, String(i), "unbundled"));
      const bundledSamples: number[] = [];
      const unbundledSamples: number[] = [];
      for (let run = 0; run < runs; run++) {
        // Alternate which goes first, so neither always follows the other's disk reads.
        if (run % 2 === 0) {
          bundledSamples.push(initOnce(bundled, handler.environment));
          unbundledSamples.push(initOnce(unbundled, handler.environment));
        } else {
          unbundledSamples.push(initOnce(unbundled, handler.environment));
          bundledSamples.push(initOnce(bundled, handler.environment));
        }
      }
      const shipped = new Set(
        [...handler.packageFiles.keys()].map((p) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]),
      );
      rows.push({
        handler: handler.label,
        functions: handler.functions,
        bundleKb: Buffer.byteLength(handler.bundle) / 1024,
        shippedPackages: shipped.size,
        unbundledOwnCodeKb: statSync(unbundled).size / 1024,
        bundledInitMs: median(bundledSamples),
        unbundledInitMs: median(unbundledSamples),
        bundledSamples: bundledSamples.map((v) => Math.round(v * 10) / 10),
        unbundledSamples: unbundledSamples.map((v) => Math.round(v * 10) / 10),
      });
      const row = rows.at(-1) as Row;
      console.log(
        `  ${row.handler.padEnd(36)} bundle ${row.bundleKb.toFixed(0).padStart(5)} KB  init ${row.bundledInitMs.toFixed(0).padStart(4)} ms  unbundled ${row.unbundledInitMs.toFixed(0).padStart(4)} ms`,
      );
    } catch (error) {
      report.failure(handler.label, error);
    }
  }

  for (const row of rows) {
    report.info(
      `${row.handler}: bundle KB${row.shippedPackages ? ` (+${row.shippedPackages} native packages)` : ""}, init bundled / unbundled (ratio)`,
      `${row.bundleKb.toFixed(0)} KB, ${row.bundledInitMs.toFixed(0)} / ${row.unbundledInitMs.toFixed(0)} ms (${(row.unbundledInitMs / row.bundledInitMs).toFixed(2)}x)`,
    );
  }
  if (rows.length > 0) {
    const slowest = rows.reduce((a, b) => (b.bundledInitMs > a.bundledInitMs ? b : a));
    const largest = rows.reduce((a, b) => (b.bundleKb > a.bundleKb ? b : a));
    report.max(
      `slowest bundled init (${slowest.handler}), median of ${runs}`,
      slowest.bundledInitMs,
      targets.bundledInitMaxMs,
      " ms",
    );
    report.max(`largest bundle (${largest.handler})`, largest.bundleKb, targets.bundleMaxKb, " KB");
    report.min(
      "unbundled / bundled init, median over handlers",
      median(rows.map((r) => r.unbundledInitMs / r.bundledInitMs)),
      targets.unbundledOverBundledMin,
      "x",
    );
  }
  writeResult("handler-cold-start", report, { stack: STACK, runs, handlers: rows });
  writeChart(
    "handler-cold-start.svg",
    barChart({
      title: "Cold start per handler: module initialisation (median of fresh processes)",
      subtitle: `bundled as deployed vs dependencies imported from node_modules; ${runs} runs each, alternating`,
      yLabel: "import() of the handler module (ms)",
      categories: rows.map((r) => r.handler),
      series: [
        { name: "bundled (deployed archive)", values: rows.map((r) => r.bundledInitMs) },
        { name: "unbundled (deps from node_modules)", values: rows.map((r) => r.unbundledInitMs) },
      ],
    }),
  );
} catch (error) {
  report.failure("handler-cold-start", error);
} finally {
  rmSync(work, { recursive: true, force: true });
}
report.finish(check);
