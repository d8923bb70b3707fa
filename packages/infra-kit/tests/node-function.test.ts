import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACTIONS_WITHOUT_RESOURCES,
  bundleHandler,
  LAMBDA_NODE_RUNTIME,
  LateBindingError,
  type LogRetentionDays,
  NodeFunction,
  type NodeFunctionArgs,
  workspaceRoot,
} from "../src/index";
import {
  argDocProblems,
  fixtureHandler,
  KEY_ARN,
  listOf,
  mark,
  ownershipProblems,
  statementsOf,
} from "./helpers";

const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders";
const FIXTURE_PATH = relative(workspaceRoot(dirname(fixtureHandler)), fixtureHandler);
const FIXTURE_SOURCE = readFileSync(fixtureHandler, "utf8");

let mocks: PulumiMocks;
const scratchDirs: string[] = [];

/** A throwaway workspace (a folder with pnpm-workspace.yaml) holding one file; returns the file's path. */
function scratchFile(path: string, text: string): string {
  const root = mkdtempSync(join(tmpdir(), "infra-kit-"));
  scratchDirs.push(root);
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Writes a bundle's files to a folder and evaluates `expression` (with `handler` in scope) in a plain Node.js process. */
function invokeBundle(files: Record<string, string>, expression: string): string {
  const dir = dirname(scratchFile("dist/package.json", '{ "type": "module" }\n'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const url = pathToFileURL(join(dir, "index.mjs")).href;
  const script = `const { handler } = await import(${JSON.stringify(url)}); process.stdout.write(String(${expression}));`;
  return execFileSync(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe("NodeFunction defaults", () => {
  beforeAll(() => {
    new NodeFunction("defaults", { entry: fixtureHandler });
  });

  it("deploys on the newest Node.js runtime @pulumi/aws offers, arm64, index.handler, 10 s, 256 MB", async () => {
    // Prepare
    const major = (runtime: string) => Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? -1);
    const newest = Object.values(aws.lambda.Runtime)
      .filter((runtime) => major(runtime) > 0)
      .sort((a, b) => major(b) - major(a))[0];

    // Act
    const fn = await mocks.findResource("aws:lambda/function:Function", "defaults-function");

    // Assess
    expect(LAMBDA_NODE_RUNTIME).toBe(newest);
    expect(fn.inputs).toMatchObject({
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      timeout: 10,
      memorySize: 256,
    });
    expect(fn.inputs).not.toHaveProperty("reservedConcurrentExecutions");
  });

  it("logs JSON to its own log group, kept 14 days", async () => {
    const fn = await mocks.findResource("aws:lambda/function:Function", "defaults-function");
    const logGroup = await mocks.findResource("aws:cloudwatch/logGroup:LogGroup", "defaults-logs");

    expect(logGroup.inputs).toEqual({ namePrefix: "/aws/lambda/defaults-", retentionInDays: 14 });
    expect(fn.inputs.loggingConfig).toEqual({ logFormat: "JSON", logGroup: logGroup.outputs.name });
  });

  it("sets the Powertools service name and source maps in the environment", async () => {
    const fn = await mocks.findResource("aws:lambda/function:Function", "defaults-function");

    expect(fn.inputs.environment).toEqual({
      variables: { POWERTOOLS_SERVICE_NAME: "defaults", NODE_OPTIONS: "--enable-source-maps" },
    });
  });

  it("runs as its own role, which only Lambda may assume, allowed only to write its own logs", async () => {
    const fn = await mocks.findResource("aws:lambda/function:Function", "defaults-function");
    const role = await mocks.findResource("aws:iam/role:Role", "defaults-role");
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "defaults-policy");
    const logGroup = await mocks.findResource("aws:cloudwatch/logGroup:LogGroup", "defaults-logs");

    expect(fn.inputs.role).toBe(role.outputs.arn);
    expect(statementsOf(role, "assumeRolePolicy")).toEqual([
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(policy.inputs.role).toBe(role.outputs.name);
    expect(statementsOf(policy)).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${String(logGroup.outputs.arn)}:*`,
      },
    ]);
  });

  it("parents every child and names it from the component", async () => {
    // Prepare
    const since = await mark(mocks);

    // Act
    new NodeFunction("owned", { entry: fixtureHandler });

    // Assess
    expect(await ownershipProblems(mocks, since)).toEqual([]);
    const component = await mocks.findResource(NodeFunction.type, "owned");
    const children = await mocks.childrenOf(component);
    expect(children.map((c) => c.type).sort()).toEqual([
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:lambda/function:Function",
    ]);
  });

  it("documents every arg, with @default on the optional ones", () => {
    expect(argDocProblems("node-function.ts", "NodeFunctionArgs")).toEqual([]);
  });
});

describe("NodeFunction args", () => {
  it("deploys the given handler, timeout, memory, reserved concurrency, architecture and log settings", async () => {
    // Prepare
    const entry = scratchFile(
      "src/main.ts",
      "export async function main(): Promise<string> { return 'ok'; }\n",
    );

    // Act
    new NodeFunction("tuned", {
      entry,
      handler: "main",
      timeout: 60,
      memorySize: 1024,
      reservedConcurrency: 5,
      architecture: "x86_64",
      logRetentionDays: 30,
      logKmsKeyArn: KEY_ARN,
      serviceName: "billing",
      environment: { TABLE: "orders" },
    });

    // Assess
    const fn = await mocks.findResource("aws:lambda/function:Function", "tuned-function");
    const logGroup = await mocks.findResource("aws:cloudwatch/logGroup:LogGroup", "tuned-logs");
    expect(fn.inputs).toMatchObject({
      handler: "index.main",
      timeout: 60,
      memorySize: 1024,
      reservedConcurrentExecutions: 5,
      architectures: ["x86_64"],
      environment: {
        variables: {
          POWERTOOLS_SERVICE_NAME: "billing",
          NODE_OPTIONS: "--enable-source-maps",
          TABLE: "orders",
        },
      },
    });
    expect(logGroup.inputs).toMatchObject({ retentionInDays: 30, kmsKeyId: KEY_ARN });
  });

  it("adds environment variables after construction and refuses to set one twice", async () => {
    // Prepare
    const fn = new NodeFunction("env", { entry: fixtureHandler, environment: { A: "1" } });

    // Act
    fn.addEnvironment("B", "2");
    const twice = () => fn.addEnvironment("A", "3");

    // Assess
    expect(twice).toThrow(
      /NodeFunction "env": environment must not set A twice: a second value would silently win \(got A\)/,
    );
    const recorded = await mocks.findResource("aws:lambda/function:Function", "env-function");
    expect(recorded.inputs.environment).toEqual({
      variables: { POWERTOOLS_SERVICE_NAME: "env", NODE_OPTIONS: "--enable-source-maps", A: "1", B: "2" },
    });
  });

  it.each<[string, Partial<NodeFunctionArgs>, RegExp]>([
    [
      "a zero timeout",
      { timeout: 0 },
      /NodeFunction "fn": timeout must be an integer from 1 to 900 \(got 0\)/,
    ],
    [
      "a timeout above 15 minutes",
      { timeout: 901 },
      /NodeFunction "fn": timeout must be an integer from 1 to 900 \(got 901\)/,
    ],
    [
      "a fractional timeout",
      { timeout: 1.5 },
      /NodeFunction "fn": timeout must be an integer from 1 to 900 \(got 1\.5\)/,
    ],
    [
      "memory below 128 MB",
      { memorySize: 64 },
      /NodeFunction "fn": memorySize must be an integer from 128 to 10240 \(got 64\)/,
    ],
    [
      "memory above 10240 MB",
      { memorySize: 10_241 },
      /NodeFunction "fn": memorySize must be an integer from 128 to 10240 \(got 10241\)/,
    ],
    [
      "a retention CloudWatch does not offer",
      { logRetentionDays: 13 as LogRetentionDays },
      /NodeFunction "fn": logRetentionDays must be one of 1, 3, 5, 7, 14, 30, .*, 3653 \(got 13\)/,
    ],
    [
      "a negative reserved concurrency",
      { reservedConcurrency: -1 },
      /NodeFunction "fn": reservedConcurrency must be an integer from 0 to 10000 \(got -1\)/,
    ],
    [
      "an unknown architecture",
      { architecture: "mips" as NodeFunctionArgs["architecture"] },
      /NodeFunction "fn": architecture must be one of arm64, x86_64 \(got mips\)/,
    ],
    [
      "a handler that is no identifier",
      { handler: "my-handler" },
      /NodeFunction "fn": handler must be an exported identifier \(got "my-handler"\)/,
    ],
    [
      "a handler the entry does not export",
      { handler: "main" },
      /NodeFunction "fn": handler must be exported by .*handler\.ts \(got "main"; exports: handler\)/,
    ],
    [
      "an entry of another language",
      { entry: "handler.py" },
      /NodeFunction "fn": entry must be a \.ts, \.mts, \.js or \.mjs file \(got handler\.py\)/,
    ],
    [
      "an entry that does not exist",
      { entry: "/nowhere/handler.ts" },
      /NodeFunction "fn": entry must be an existing file \(got \/nowhere\/handler\.ts\)/,
    ],
    [
      "an empty entry",
      { entry: " " },
      /NodeFunction "fn": entry is required and must be a non-empty string \(got " "\)/,
    ],
    [
      "a wildcard action",
      { grants: [{ actions: ["sqs:*"], resources: [QUEUE_ARN] }] },
      /NodeFunction "fn": grants\[0\] action "sqs:\*" must be an exact "service:Action" \(no wildcards\) \(got sqs:\* on arn:aws:sqs:us-east-1:123456789012:orders\)/,
    ],
    [
      "a wildcard in an action name",
      { grants: [{ actions: ["sqs:SendMessage", "s3:Get*"], resources: [QUEUE_ARN] }] },
      /NodeFunction "fn": grants\[0\] action "s3:Get\*" must be an exact "service:Action"/,
    ],
    [
      'resource "*" for actions that can be scoped',
      { grants: [{ actions: ["sqs:SendMessage"], resources: ["*"] }] },
      /NodeFunction "fn": grants\[0\] resource "\*" is only allowed for actions without resource-level permissions, not sqs:SendMessage \(got sqs:SendMessage on \*\)/,
    ],
    [
      "a wildcard region in an ARN",
      { grants: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:*:123456789012:orders"] }] },
      /NodeFunction "fn": grants\[0\] resource "arn:aws:sqs:\*:123456789012:orders" must be an exact ARN \(no wildcard in partition, service, region or account\)/,
    ],
    [
      "every queue of the account",
      { grants: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:us-east-1:123456789012:*"] }] },
      /NodeFunction "fn": grants\[0\] resource "arn:aws:sqs:us-east-1:123456789012:\*" must name a resource, not every resource of the service/,
    ],
    [
      "a resource that is no ARN",
      { grants: [{ actions: ["sqs:SendMessage"], resources: ["orders"] }] },
      /NodeFunction "fn": grants\[0\] resource "orders" must be an ARN or "\*"/,
    ],
    [
      "an unscoped action on an ARN, which IAM would never match",
      { grants: [{ actions: ["cloudwatch:PutMetricData"], resources: [QUEUE_ARN] }] },
      /NodeFunction "fn": grants\[0\] actions without resource-level permissions \(cloudwatch:PutMetricData\) need resources \["\*"\] in a grant of their own/,
    ],
    [
      "a grant without actions",
      { grants: [{ actions: [], resources: [QUEUE_ARN] }] },
      /NodeFunction "fn": grants\[0\] has no actions/,
    ],
    [
      "a grant without resources",
      { grants: [{ actions: ["sqs:SendMessage"], resources: [] }] },
      /NodeFunction "fn": grants\[0\] has no resources/,
    ],
    [
      "a bad grant after good ones",
      {
        grants: [
          { actions: ["sqs:SendMessage"], resources: [QUEUE_ARN] },
          { actions: ["dynamodb:*"], resources: [TABLE_ARN] },
        ],
      },
      /NodeFunction "fn": grants\[1\] action "dynamodb:\*"/,
    ],
  ])("refuses %s", (_case, args, message) => {
    expect(() => new NodeFunction("fn", { entry: fixtureHandler, ...args })).toThrow(message);
  });

  it("refuses an instance name AWS resource names cannot carry", () => {
    expect(() => new NodeFunction("bad_name", { entry: fixtureHandler })).toThrow(
      /NodeFunction "bad_name": name must start with a letter or digit and contain only letters, digits and hyphens \(got "bad_name"\)/,
    );
  });
});

describe("NodeFunction grants", () => {
  it("puts exactly the logging statement and the given grants in the role policy", async () => {
    // Prepare
    const fn = new NodeFunction("granted", {
      entry: fixtureHandler,
      grants: [{ actions: ["dynamodb:PutItem", "dynamodb:GetItem"], resources: [TABLE_ARN] }],
    });

    // Act
    fn.grant({
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: { StringEquals: { "cloudwatch:namespace": "Switchyard" } },
    });

    // Assess
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "granted-policy");
    const logGroup = await mocks.findResource("aws:cloudwatch/logGroup:LogGroup", "granted-logs");
    const statements = statementsOf(policy);
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${String(logGroup.outputs.arn)}:*`,
      },
      { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: TABLE_ARN },
      {
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "Switchyard" } },
      },
    ]);
    for (const statement of statements) {
      for (const action of listOf(statement.Action)) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
      if (listOf(statement.Resource).includes("*")) {
        expect(listOf(statement.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCES.includes(a))).toEqual([]);
      }
    }
  });

  it("refuses a bad grant added after construction, naming grant()", () => {
    const fn = new NodeFunction("regrant", { entry: fixtureHandler });

    expect(() => fn.grant({ actions: ["iam:PassRole"], resources: ["*"] })).toThrow(
      /NodeFunction "regrant": grant resource "\*" is only allowed for actions without resource-level permissions, not iam:PassRole/,
    );
  });

  it("throws LateBindingError for a grant or variable added after the program declared its resources", async () => {
    // Prepare
    const fn = new NodeFunction("late", { entry: fixtureHandler });
    await mocks.settle();

    // Act
    const grant = () => fn.grant({ actions: ["sqs:SendMessage"], resources: [QUEUE_ARN] });
    const environment = () => fn.addEnvironment("LATE", "1");

    // Assess
    expect(grant).toThrow(LateBindingError);
    expect(grant).toThrow(
      /NodeFunction "late" grants: cannot add after the program finished declaring resources/,
    );
    expect(environment).toThrow(LateBindingError);
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "late-policy");
    expect(statementsOf(policy).flatMap((s) => listOf(s.Action))).not.toContain("sqs:SendMessage");
  });
});

describe("NodeFunction bundle", () => {
  it("holds index.mjs and index.mjs.map: minified ESM pointing at its map", () => {
    // Act
    const { bundle } = new NodeFunction("bundled", { entry: fixtureHandler });
    const unminified = bundleHandler({ entry: fixtureHandler, external: [], minify: false });

    // Assess
    expect(Object.keys(bundle.files).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const code = bundle.files["index.mjs"] ?? "";
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code).not.toMatch(/\bmodule\.exports\b|\bexports\.handler\b/);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(code).not.toContain("A tiny handler");
    expect(code).not.toMatch(/\n[ \t]+\S/);
    expect(code.length).toBeLessThan((unminified.files["index.mjs"] ?? "").length);
    expect(bundle.exports).toEqual(["handler"]);
  });

  it("maps to workspace-relative sources, with no absolute path in any file", () => {
    const { bundle } = new NodeFunction("mapped", { entry: fixtureHandler });
    const map = JSON.parse(bundle.files["index.mjs.map"] ?? "{}") as {
      sources: string[];
      sourcesContent?: unknown;
    };

    expect(map.sources).toEqual(["packages/infra-kit/tests/fixtures/handler.ts"]);
    expect(map.sources.every((source) => !isAbsolute(source))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    for (const text of Object.values(bundle.files)) {
      expect(text).not.toContain(workspaceRoot(dirname(fixtureHandler)));
    }
  });

  it("runs as an ES module on Node.js", () => {
    // Prepare
    const { bundle } = new NodeFunction("runnable", { entry: fixtureHandler });
    const event = { id: 1 };

    // Act
    const result = invokeBundle(bundle.files, `JSON.stringify(await handler(${JSON.stringify(event)}))`);

    // Assess
    expect(JSON.parse(result)).toEqual({
      digest: createHash("sha256").update(JSON.stringify(event)).digest("hex"),
    });
  });

  it("links its source map, so stack traces under --enable-source-maps point at the TypeScript line", () => {
    // Prepare
    const entry = scratchFile(
      "src/fails.ts",
      'export const handler = async (): Promise<never> => {\n  throw new Error("boom");\n};\n',
    );
    const { bundle } = new NodeFunction("traced", { entry });

    // Act
    const stack = invokeBundle(bundle.files, "await handler().catch((error) => error.stack)");

    // Assess
    expect(stack).toMatch(/Error: boom\n\s+at .*src\/fails\.ts:2:\d+/);
  });

  it("gives the same hash for the same source, wherever the workspace is checked out", async () => {
    // Prepare
    const elsewhere = scratchFile(FIXTURE_PATH, FIXTURE_SOURCE);

    // Act
    const first = new NodeFunction("same-a", { entry: fixtureHandler }).bundle;
    const second = new NodeFunction("same-b", { entry: fixtureHandler }).bundle;
    const moved = bundleHandler({ entry: elsewhere, external: [], minify: true });

    // Assess
    expect(second.hash).toBe(first.hash);
    expect(moved.files).toEqual(first.files);
    expect(moved.hash).toBe(first.hash);
    const fn = await mocks.findResource("aws:lambda/function:Function", "same-a-function");
    expect(fn.inputs.description).toBe(`same-a (${first.hash.slice(0, 12)})`);
  });

  it("gives a different hash when the source changes", () => {
    const changed = scratchFile(FIXTURE_PATH, FIXTURE_SOURCE.replace('digest("hex")', 'digest("base64")'));

    const original = bundleHandler({ entry: fixtureHandler, external: [], minify: true });
    const edited = bundleHandler({ entry: changed, external: [], minify: true });

    expect(edited.hash).not.toBe(original.hash);
  });

  it.each([
    ["a syntax error", "export const handler = (;\n", /broken\.ts:1:\d+: Unexpected ";"/],
    [
      "an import that does not resolve",
      'export { handler } from "./missing";\n',
      /broken\.ts:1:\d+: Could not resolve "\.\/missing"/,
    ],
  ])("names the component, the entry and the location when esbuild fails on %s", (_case, source, detail) => {
    const entry = scratchFile("src/broken.ts", source);

    const build = () => new NodeFunction("broken", { entry });

    expect(build).toThrow(/^switchyard:kit:NodeFunction "broken": entry could not be bundled: /);
    expect(build).toThrow(detail);
    expect(build).toThrow(new RegExp(`\\(got ${escapeRegExp(entry)}\\)$`));
  });
});

describe("NodeFunction transform", () => {
  it("changes the function, role, policy and log group, in object and function form", async () => {
    // Act
    new NodeFunction("transformed", {
      entry: fixtureHandler,
      transform: {
        function: { memorySize: 2048, description: "custom" },
        role: (args) => {
          args.description = "custom role";
        },
        policy: (args, opts) => {
          opts.deleteBeforeReplace = true;
          args.name = "transformed-inline";
        },
        logGroup: (args) => {
          args.retentionInDays = 90;
        },
      },
    });

    // Assess
    const fn = await mocks.findResource("aws:lambda/function:Function", "transformed-function");
    const role = await mocks.findResource("aws:iam/role:Role", "transformed-role");
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "transformed-policy");
    const logGroup = await mocks.findResource("aws:cloudwatch/logGroup:LogGroup", "transformed-logs");
    expect(fn.inputs).toMatchObject({ memorySize: 2048, description: "custom", runtime: "nodejs24.x" });
    expect(role.inputs.description).toBe("custom role");
    expect(policy.inputs.name).toBe("transformed-inline");
    expect(logGroup.inputs.retentionInDays).toBe(90);
  });
});

describe("NodeFunction nodeModules (native packages shipped in the archive)", () => {
  /** A workspace with a native package whose platform builds are optional dependencies, as sharp's are. */
  function nativeWorkspace(version = "1.0.0"): string {
    const entry = scratchFile(
      "svc/handler.ts",
      'import native from "native-thing";\nexport const handler = () => native();\n',
    );
    const root = dirname(dirname(entry));
    const pkg = (name: string, extra: Record<string, unknown>, files: Record<string, string>) => {
      const dir = join(root, "node_modules", name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version, ...extra }));
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
    };
    pkg(
      "native-thing",
      {
        main: "index.js",
        dependencies: { "native-helper": version },
        optionalDependencies: {
          "@native/linux-arm64": version,
          "@native/linux-x64": version,
          "@native/linux-arm64-musl": version,
          "@native/darwin-arm64": version,
          "@native/not-installed": version,
        },
      },
      { "index.js": "module.exports = () => 1;", "lib/util.js": `// ${version}` },
    );
    pkg("native-helper", {}, { "index.js": "module.exports = 2;" });
    pkg(
      "@native/linux-arm64",
      { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
      { "lib/addon.node": "arm64" },
    );
    pkg("@native/linux-x64", { os: ["linux"], cpu: ["x64"], libc: ["glibc"] }, { "lib/addon.node": "x64" });
    pkg(
      "@native/linux-arm64-musl",
      { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
      { "lib/addon.node": "m" },
    );
    pkg("@native/darwin-arm64", { os: ["darwin"], cpu: ["arm64"] }, { "lib/addon.node": "darwin" });
    return entry;
  }

  it.each<[NodeFunctionArgs["architecture"], string, string]>([
    ["arm64", "@native/linux-arm64", "@native/linux-x64"],
    ["x86_64", "@native/linux-x64", "@native/linux-arm64"],
  ])(
    "ships the %s build with its closure under node_modules/, and no other platform's",
    (architecture, kept, dropped) => {
      // Prepare
      const entry = nativeWorkspace();

      // Act
      const { bundle } = new NodeFunction(`native-${architecture === "arm64" ? "arm" : "x86"}`, {
        entry,
        architecture,
        nodeModules: ["native-thing"],
      });

      // Assess
      const names = Object.keys(bundle.packageFiles);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(
        expect.arrayContaining([
          "node_modules/native-thing/index.js",
          "node_modules/native-thing/lib/util.js",
          "node_modules/native-thing/package.json",
          "node_modules/native-helper/index.js",
          `node_modules/${kept}/lib/addon.node`,
        ]),
      );
      expect(names.filter((name) => name.startsWith(`node_modules/${dropped}/`))).toEqual([]);
      expect(names.filter((name) => /musl|darwin|not-installed/.test(name))).toEqual([]);
      expect(bundle.packages).toEqual(["native-helper@1.0.0", "native-thing@1.0.0", `${kept}@1.0.0`].sort());
      expect(bundle.files["index.mjs"]).toMatch(/from\s*"native-thing"/);
      expect(bundle.packageFiles["node_modules/native-thing/index.js"]).toBe(
        join(dirname(dirname(entry)), "node_modules/native-thing/index.js"),
      );
    },
  );

  it("puts the bundle and every shipped file in the function's archive", async () => {
    // Prepare
    const entry = nativeWorkspace();

    // Act
    const fn = new NodeFunction("native-archive", { entry, nodeModules: ["native-thing"] });

    // Assess
    const assets = await fn.code.assets;
    const names = Object.keys(assets);
    expect([...names].sort()).toEqual(
      ["index.mjs", "index.mjs.map", ...Object.keys(fn.bundle.packageFiles)].sort(),
    );
    expect(names).toContain("node_modules/@native/linux-arm64/lib/addon.node");
    expect(names.filter((name) => name.includes("linux-x64"))).toEqual([]);
    const addon = assets["node_modules/@native/linux-arm64/lib/addon.node"];
    expect(addon).toBeInstanceOf(pulumi.asset.FileAsset);
    expect(await (addon as pulumi.asset.FileAsset).path).toBe(
      join(dirname(dirname(entry)), "node_modules/@native/linux-arm64/lib/addon.node"),
    );
  });

  it("hashes the shipped files: same files, same hash; a changed file, another hash", () => {
    // Prepare
    const first = nativeWorkspace("1.0.0");
    const same = nativeWorkspace("1.0.0");
    const other = nativeWorkspace("1.0.1");
    const hashOf = (entry: string) =>
      bundleHandler({
        entry,
        external: [],
        minify: true,
        nodeModules: ["native-thing"],
        architecture: "arm64",
      }).hash;

    // Act / Assess
    expect(hashOf(first)).toBe(hashOf(same));
    expect(hashOf(first)).not.toBe(hashOf(other));
    expect(hashOf(first)).not.toBe(bundleHandler({ entry: first, external: [], minify: true }).hash);
  });

  it.each<[string, Partial<NodeFunctionArgs>, RegExp]>([
    [
      "an x64 build listed for an arm64 function",
      { nodeModules: ["native-thing", "@native/linux-x64"] },
      /nodeModules @native\/linux-x64@1\.0\.0 is built for x64, not arm64 \(Lambda arm64\); ship the build for Lambda arm64 instead \(got native-thing, @native\/linux-x64\)/,
    ],
    [
      "an arm64 build listed for an x86_64 function",
      { architecture: "x86_64", nodeModules: ["@native/linux-arm64"] },
      /nodeModules @native\/linux-arm64@1\.0\.0 is built for arm64, not x64 \(Lambda x86_64\)/,
    ],
    [
      "a package that is not installed",
      { nodeModules: ["missing-thing"] },
      /nodeModules missing-thing is not installed for Lambda arm64/,
    ],
    [
      "a name that is not a package name",
      { nodeModules: ["../escape"] },
      /nodeModules\[0\] must be a package name/,
    ],
  ])("refuses %s", (_case, args, message) => {
    // Prepare
    const entry = nativeWorkspace();

    // Act / Assess
    expect(() => new NodeFunction("native-refused", { entry, ...args })).toThrow(message);
  });
});
