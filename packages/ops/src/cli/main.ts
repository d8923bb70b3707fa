/**
 * `switchyard <command>` (also `corepack pnpm -s ops -- <command>` from the repository root): the ops CLI.
 * See `switchyard --help` and packages/ops/README.md.
 */
// The SDK's notice about future Node versions is not the operator's business on every command (the SDK checks
// this variable before it warns); other warnings still print.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runCli } = await import("./cli");

const controller = new AbortController();
let interrupted = false;
// The first Ctrl-C stops a redrive between two messages (nothing half done); a second one exits at once.
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});

async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: readStdin,
  isTty: Boolean(process.stderr.isTTY),
  cwd: process.env.INIT_CWD ?? process.cwd(),
  signal: controller.signal,
});
process.exitCode = interrupted && code === 0 ? 130 : code;
