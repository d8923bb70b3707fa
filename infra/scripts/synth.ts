/**
 * Offline synth: `pnpm synth -- --stack <name> [--json]`.
 *
 * Runs the root program for the stack's config under the Pulumi mocks (no Pulumi CLI, no credentials),
 * prints the resource tree with counts per type and the stack outputs (or all of it as JSON with --json),
 * and writes docs/architecture-<stack>.md with a Mermaid diagram of the message flow.
 *
 * Exit codes: 0 ok, 1 bad config / stack file / program failure, 2 bad command line.
 */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderSynthText, synthesize, toSynthJson, writeArchitectureDoc } from "../src/synth/index";

const HELP = `Usage: pnpm synth -- --stack <name> [--json] [--out <dir> | --no-diagram]

Synthesizes the root Pulumi program offline (Pulumi mocks; no CLI, no credentials) with the config of
Pulumi.<name>.yaml, prints the resource tree, the counts per type and the stack outputs, and writes
docs/architecture-<name>.md (Mermaid diagram of the message flow). Encrypted (secure:) config values
cannot be decrypted offline: they are replaced by "offline-secret-<key>" placeholders.

Options:
  -s, --stack <name>   stack to synthesize (default: dev)
      --json           print the result as JSON on stdout (and nothing else; progress goes to stderr)
      --out <dir>      folder for architecture-<stack>.md (default: docs/ at the repo root)
      --no-diagram     do not write the diagram
  -v, --verbose        print the stack trace of unexpected errors
  -h, --help           show this help

For tests:
      --root <dir>     look for Pulumi.yaml from <dir> upwards instead of this repository
      --program <path> module whose default export is the program (default: infra/src/index.ts)

A bare "--" anywhere is ignored, so "pnpm synth --stack prod" and "pnpm synth -- --stack prod" both work.
Relative paths are resolved against the folder pnpm was started from.
`;

/** Errors whose message is meant for the user as is (one line, no stack trace). */
const USER_ERRORS = new Set(["ConfigError", "StackConfigError", "ProgramLoadError"]);

function userError(error: unknown): Error | undefined {
  const seen = new Set<unknown>();
  for (let at = error; at instanceof Error && !seen.has(at); at = at.cause) {
    seen.add(at);
    if (USER_ERRORS.has(at.name)) return at;
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}

// Only the report goes to stdout: anything else (Pulumi runtime logs, the program's console.log) goes
// to stderr, so `--json` output stays parsable.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

let verbose = false;

function fail(error: unknown): number {
  const expected = userError(error);
  if (expected) {
    process.stderr.write(`synth: ${firstLine(expected.message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? firstLine(error.message) : firstLine(String(error));
  const kind = error instanceof Error && error.name !== "Error" ? `${error.name}: ` : "";
  process.stderr.write(`synth: ${kind}${message || "unexpected error"}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

process.on("unhandledRejection", (reason) => {
  process.exit(fail(reason));
});

async function main(argv: string[]): Promise<number> {
  let values: {
    stack?: string;
    json?: boolean;
    out?: string;
    "no-diagram"?: boolean;
    root?: string;
    program?: string;
    verbose?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: {
        stack: { type: "string", short: "s" },
        json: { type: "boolean" },
        out: { type: "string" },
        "no-diagram": { type: "boolean" },
        root: { type: "string" },
        program: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`synth: ${firstLine((error as Error).message)} (see --help)\n`);
    return 2;
  }
  if (values.help) {
    writeStdout(HELP);
    return 0;
  }
  verbose = values.verbose === true;
  if (values.out !== undefined && values["no-diagram"]) {
    process.stderr.write("synth: --out and --no-diagram cannot be used together (see --help)\n");
    return 2;
  }

  const base = process.env.INIT_CWD ?? process.cwd();
  const path = (value: string | undefined) =>
    value === undefined ? undefined : isAbsolute(value) ? value : resolve(base, value);
  const stack = values.stack ?? "dev";

  try {
    const result = await synthesize({ stack, root: path(values.root), programPath: path(values.program) });
    const diagram = values["no-diagram"] ? null : writeArchitectureDoc(result, path(values.out));
    if (values.json) {
      writeStdout(`${JSON.stringify({ ...toSynthJson(result), diagram }, null, 2)}\n`);
      if (diagram) process.stderr.write(`synth: wrote ${diagram}\n`);
    } else {
      const where = diagram ? `Diagram written to ${diagram}` : "Diagram not written (--no-diagram)";
      writeStdout(`${renderSynthText(result)}\n${where}\n`);
    }
    return 0;
  } catch (error) {
    return fail(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
