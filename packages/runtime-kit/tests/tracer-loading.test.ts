import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SRC = resolve(import.meta.dirname, "../src");
const SQS_CLIENT = createRequire(import.meta.url).resolve("@aws-sdk/client-sqs");
const TRACING_MODULES = /node_modules\/(aws-xray-sdk-core|cls-hooked|@aws-lambda-powertools\/tracer)\//;

/**
 * Runs `body` in a fresh Node process (tsx, from the workspace root) after importing `entry`, and returns what it
 * printed plus the CommonJS modules that process loaded: the X-Ray SDK and cls-hooked are CommonJS, so they show in
 * `require.cache` once anything imports them (cls-hooked installs an async hook at load, which costs every promise).
 */
function inFreshProcess(entry: string, body = "null", env: NodeJS.ProcessEnv = {}) {
  const script = `
    import { createRequire } from "node:module";
    const loaded = await import(${JSON.stringify(pathToFileURL(entry).href)});
    const result = await (async () => ${body})();
    const modules = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ result, modules }));
  `;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
  });
  const { result, modules } = JSON.parse(out.trim().split("\n").pop() as string) as {
    result: unknown;
    modules: string[];
  };
  return { result, tracing: modules.filter((m) => TRACING_MODULES.test(m.replaceAll("\\", "/"))) };
}

describe("loading the Powertools tracer", () => {
  it("the errors entry point (what contracts, ops and the local cloud import) loads no X-Ray SDK", () => {
    const { result, tracing } = inFreshProcess(
      resolve(SRC, "errors.ts"),
      "new loaded.ValidationError([{ path: 'x', message: 'bad' }]) instanceof loaded.RuntimeKitError",
    );
    expect(result).toBe(true);
    expect(tracing).toEqual([]);
  });

  it("a handler's createObservability still loads the tracer, which traces in Lambda and instruments clients", () => {
    const { result, tracing } = inFreshProcess(
      resolve(SRC, "index.ts"),
      `(async () => {
        const { SQSClient } = await import(${JSON.stringify(pathToFileURL(SQS_CLIENT).href)});
        const { tracer } = loaded.createObservability({ serviceName: "probe" });
        const client = tracer.captureAWSv3Client(new SQSClient({}));
        return { enabled: tracer.isTracingEnabled(), middleware: client.middlewareStack.identify() };
      })()`,
      { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x", AWS_REGION: "us-east-1" },
    );
    const { enabled, middleware } = result as { enabled: boolean; middleware: string[] };
    expect(enabled).toBe(true);
    expect(middleware.some((name) => name.startsWith("XRaySDKInstrumentation"))).toBe(true);
    expect(tracing.some((m) => m.includes("aws-xray-sdk-core"))).toBe(true);
  });

  it.each([
    [
      "on Lambda, traces each call of a client wrapped with traced()",
      { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x" },
      true,
    ],
    ["elsewhere (tests, scripts), leaves the client as it is", {}, false],
  ] as const)("%s", (_case, env, instrumented) => {
    const { result } = inFreshProcess(
      resolve(SRC, "index.ts"),
      `(async () => {
        const { SQSClient } = await import(${JSON.stringify(pathToFileURL(SQS_CLIENT).href)});
        const client = new SQSClient({});
        const wrapped = loaded.traced(client);
        return { same: wrapped === client, middleware: wrapped.middlewareStack.identify() };
      })()`,
      { ...env, AWS_REGION: "us-east-1" },
    );
    const { same, middleware } = result as { same: boolean; middleware: string[] };
    expect(same).toBe(true);
    expect(middleware.some((name) => name.startsWith("XRaySDKInstrumentation"))).toBe(instrumented);
  });
});
