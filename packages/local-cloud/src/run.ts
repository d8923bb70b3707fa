import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_PROGRAM_PATH,
  loadProgram,
  loadStackConfig,
  type Program,
  type SynthResult,
  synthesize,
} from "@switchyard/infra/synth";
import { createConsoleHandler } from "@switchyard/ops/console";
import { MOCK_ACCOUNT_ID, type MockedState, type OutputContext } from "@switchyard/testing";
import { SignJWT } from "jose";
import { type EmulatorFactories, Engine, stderrLogger } from "./engine";
import { DEFAULT_PORT, localStateDir, outputsFileFor, REPO_ROOT } from "./paths";
import { lockPersistFolder } from "./persist/lock";
import {
  checkServiceName,
  functionServices,
  selectOutputs,
  selectService,
  serviceNames,
  workspaceServices,
} from "./select";
import { localHttpApiPath, localWebSocketPath } from "./services/apigateway";
import { type FunctionLogRecord, type LocalLogger, type LocalResource, LocalServiceError } from "./types";

/** The issuer of the local cloud's tokens (never a deployed stack's: those verify Cognito or a real secret). */
export const LOCAL_TOKEN_ISSUER = "switchyard-local";

export interface LocalCloudOptions {
  /** Stack whose config the program runs with. @default "dev" */
  stack?: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 4566 */
  port?: number;
  /** Run only this service's component plus what it references (e.g. "notifications", "orders"). @default every service */
  service?: string;
  /** Keep tables and objects here between runs. @default in memory */
  persistDir?: string;
  /** The project folder (holds Pulumi.yaml). @default this repository */
  root?: string;
  /** The program to run instead of the project's (tests). @default the root program, infra/src/index.ts */
  program?: Program;
  /**
   * Write the outputs file under `root`: `.switchyard/local/outputs.json` on the default port (4566),
   * `outputs-<port>.json` on any other (see `outputsFileFor`). @default true
   */
  writeOutputsFile?: boolean;
  /** @default warnings and errors on stderr */
  log?: LocalLogger;
  /** Progress lines while it builds ("bundling and provisioning..."). @default none */
  onProgress?: (message: string) => void;
  /**
   * Runs the clock of queues, deduplication windows and alarm periods this many times faster than AWS
   * (see `EmulatorOptions.timeScale`); ignored when `emulators` is given. @default 1
   */
  timeScale?: number;
  /** Which emulators to run. @default every emulator */
  emulators?: EmulatorFactories;
  /**
   * Every function log line (and one line per failed invocation), from the first invocation on: `pnpm dev`
   * prints them. Needs the CloudWatch Logs emulator (in the default set). @default none
   */
  onFunctionLog?: (record: FunctionLogRecord) => void;
  /**
   * Stack config values that replace the stack file's, by full key (`"switchyard:sms-throttle"`), for the program and
   * the emulators alike (benchmarks size a budget this way). @default none
   */
  configOverrides?: Record<string, unknown>;
  /**
   * Authorize every request and service-to-service delivery with the stack's IAM policies, as AWS does
   * (`--no-iam` turns it off: every request is then allowed). @default true
   */
  iam?: boolean;
  /**
   * Keep stack traces while the program runs (`pnpm dev --verbose`): an error the program throws then carries
   * its stack. Off, the program runs faster (see `SynthesizeOptions.stackTraces`). @default false
   */
  programStackTraces?: boolean;
}

export interface LocalCloud {
  engine: Engine;
  /** `http://127.0.0.1:<port>`: every AWS SDK client's endpoint. */
  endpoint: string;
  stack: string;
  /** The root stack's exports, with local URLs. */
  outputs: Record<string, unknown>;
  /** What was provisioned (after `--service` selection). */
  resources: LocalResource[];
  /** The services that run (their project names: notifications, orders, sms-throttle, s3-pipeline). */
  services: string[];
  /** The service a function belongs to (`platform` for the shared ones); undefined for an unknown name. */
  serviceOf(functionName: string): string | undefined;
  /** Where this run keeps its state (the `--persist` folder, or a temporary one removed on stop). */
  stateDir: string;
  /** A token the local `$connect` authorizer accepts for this user (HS256, 1 hour). */
  token(userId: string, options?: { expiresInSeconds?: number }): Promise<string>;
  /** The file the outputs were written to, if any. */
  outputsFile?: string;
  close(): Promise<void>;
}

interface NotificationsConfig {
  auth?: { audience?: unknown };
  [key: string]: unknown;
}

/**
 * The local cloud's config changes, both in the notifications section:
 * - tokens are verified with a local HS256 secret (so `pnpm token` can mint them) instead of the stack's issuer,
 *   which cannot be reached offline;
 * - the local administrator (the user at the terminal, whose keys are the account's root) is one of the
 *   notifications bus's `extraPublishers`, so the console and `ops publish notification` may put events there
 *   with IAM on. On AWS an operator's principal goes in `switchyard:notifications.extraPublishers` the same way.
 * Everything else is the stack's own config.
 */
function localAuthOverrides(config: Record<string, unknown>, secret: string): Record<string, unknown> {
  const notifications = config["switchyard:notifications"] as NotificationsConfig | undefined;
  if (!notifications || typeof notifications !== "object") return {};
  const audience =
    typeof notifications.auth?.audience === "string" ? notifications.auth.audience : "switchyard-local";
  const extra = Array.isArray(notifications.extraPublishers)
    ? (notifications.extraPublishers as unknown[])
    : [];
  const administrator = `arn:aws:iam::${MOCK_ACCOUNT_ID}:root`;
  return {
    "switchyard:notifications": {
      ...notifications,
      auth: { mode: "hs256", issuer: LOCAL_TOKEN_ISSUER, audience },
      extraPublishers: extra.includes(administrator) ? extra : [...extra, administrator],
    },
    "switchyard:notificationsJwtSecret": secret,
  };
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The mocks hand secret inputs over in Pulumi's wire form (`{ <sig>: <secret sig>, value }`): the engine
 * needs the values (a function's environment holding the token secret), so they are unwrapped.
 */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, unwrapSecrets(item)]));
  }
  return value;
}

/** Outputs that point at the engine instead of AWS: queue URLs and the WebSocket and HTTP APIs' URLs. */
export function localOutputs(endpoint: string, accountId: string) {
  const wsBase = endpoint.replace(/^http/, "ws");
  /** HTTP APIs (registered before their stages): their stages are served at `/http/<apiId>/<stage>`. */
  const httpApis = new Set<string>();
  return (ctx: OutputContext, computed: MockedState): MockedState => {
    const state = { ...computed.state };
    switch (ctx.type) {
      case "aws:sqs/queue:Queue": {
        const url = `${endpoint}/${accountId}/${String(state.name)}`;
        return { id: url, state: { ...state, url } };
      }
      case "aws:apigatewayv2/api:Api":
        if (ctx.inputs.protocolType === "WEBSOCKET") {
          state.apiEndpoint = `${wsBase}${localWebSocketPath(computed.id, "").replace(/\/$/, "")}`;
        } else {
          httpApis.add(computed.id);
          state.apiEndpoint = `${endpoint}${localHttpApiPath(computed.id, "").replace(/\/$/, "")}`;
        }
        return { id: computed.id, state };
      case "aws:apigatewayv2/stage:Stage":
        if (httpApis.has(String(ctx.inputs.apiId))) {
          state.invokeUrl = `${endpoint}${localHttpApiPath(String(ctx.inputs.apiId), String(state.name))}`;
          return { id: computed.id, state };
        }
        state.invokeUrl = `${wsBase}${localWebSocketPath(String(ctx.inputs.apiId), String(state.name))}`;
        return { id: computed.id, state };
      default:
        return computed;
    }
  };
}

function tokenSecret(persistDir: string | undefined): string {
  if (!persistDir) return randomBytes(32).toString("base64url");
  const file = join(persistDir, "token-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(persistDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function flatConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/**
 * Brings a stack up locally: starts the engine (so the endpoint is known), runs the root program under the
 * Pulumi mocks with outputs pointing at the engine, provisions what it registered, and writes
 * `.switchyard/local/outputs.json`.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stack = options.stack ?? "dev";
  const root = options.root ?? REPO_ROOT;
  const progress = options.onProgress ?? (() => undefined);
  // A wrong --service is refused before anything is bundled (the program bundles as it runs).
  const known = workspaceServices(root);
  if (options.service && known.length > 0) checkServiceName(options.service, known);
  // One local cloud per --persist folder: a second is refused before anything is bundled or written there.
  const unlock = options.persistDir ? lockPersistFolder(options.persistDir) : () => undefined;
  try {
    return await startLocked(options, { stack, root, progress, known, unlock });
  } catch (error) {
    unlock();
    throw error;
  }
}

async function startLocked(
  options: LocalCloudOptions,
  run: {
    stack: string;
    root: string;
    progress: (message: string) => void;
    known: string[];
    unlock: () => void;
  },
): Promise<LocalCloud> {
  const { stack, root, progress, known } = run;
  // The program's modules (the provider SDKs, every service's components) take seconds to import: the import
  // starts now and runs while the emulators load and the engine starts listening. Importing it before the
  // mocks are set up is safe: the program creates its resources only when called (see `Program`).
  const program = options.program ? Promise.resolve(options.program) : loadProgram(DEFAULT_PROGRAM_PATH);
  program.catch(() => undefined); // its error is reported where it is awaited, below
  const stackConfig = loadStackConfig(stack, root);
  const secret = tokenSecret(options.persistDir);
  const overrides = { ...localAuthOverrides(stackConfig.config, secret), ...options.configOverrides };
  const config = { ...stackConfig.config, ...overrides };
  const region = typeof config["aws:region"] === "string" ? (config["aws:region"] as string) : undefined;

  const { allEmulators } = await import("./emulators");
  const engine = await Engine.listen({
    emulators: options.emulators ?? allEmulators({ timeScale: options.timeScale }),
    port: options.port ?? DEFAULT_PORT,
    region,
    persistDir: options.persistDir,
    config: flatConfig(config),
    log: options.log ?? stderrLogger(),
    iam: options.iam ?? true,
  });
  // The IAM evaluator (IAM on only) is loaded now, while the program runs, instead of at provisioning, which
  // awaits the same load (and reports its failure, if any).
  engine.iam.load().catch(() => undefined);
  try {
    const endpoint = engine.endpoint;
    if (options.onFunctionLog && engine.emulator("logs"))
      engine.context.logs.subscribe(options.onFunctionLog);
    progress(
      `running the ${stack} program and bundling its handlers (cached by content after the first run)...`,
    );
    const programStarted = performance.now();
    let synth: SynthResult;
    try {
      synth = await synthesize({
        stack,
        root,
        program: await program,
        configOverrides: overrides,
        secretOverrides: Object.keys(overrides).filter((key) => key.endsWith("Secret")),
        outputs: localOutputs(endpoint, engine.context.accountId),
        stackTraces: options.programStackTraces ?? false,
      });
    } catch (error) {
      throw new Error(
        `The ${stack} program failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const registered = synth.resources.map((r) => ({
      ...r,
      inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
      outputs: unwrapSecrets(r.outputs) as Record<string, unknown>,
    }));
    const handlers = registered.filter((r) => r.type === "aws:lambda/function:Function").length;
    progress(
      `ran the program in ${((performance.now() - programStarted) / 1000).toFixed(1)} s: ${handlers} handlers bundled, ${registered.filter((r) => r.custom).length} resources declared`,
    );
    const selection = selectService(registered, options.service, known);
    const outputs = selectOutputs(synth.outputs, registered, selection.resources, known);
    const services = functionServices(selection.resources, known);
    progress(
      `provisioning ${selection.resources.filter((r) => r.custom).length} resources${options.service ? ` (--service ${selection.services.join(", ")})` : ""}...`,
    );
    await engine.provision(selection.resources);

    const audience = (overrides["switchyard:notifications"] as NotificationsConfig | undefined)?.auth
      ?.audience;
    const token = async (
      userId: string,
      tokenOptions: { expiresInSeconds?: number } = {},
    ): Promise<string> => {
      if (typeof userId !== "string" || userId.trim() === "" || userId.length > 256) {
        throw new LocalServiceError(
          "ValidationException",
          "token: userId must be a non-empty string of at most 256 characters",
        );
      }
      return new SignJWT({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(userId)
        .setIssuer(LOCAL_TOKEN_ISSUER)
        .setAudience(typeof audience === "string" ? audience : "switchyard-local")
        .setIssuedAt()
        .setExpirationTime(`${tokenOptions.expiresInSeconds ?? 3600}s`)
        .sign(new TextEncoder().encode(secret));
    };
    engine.addAdminRoute("outputs", () => ({
      endpoint,
      stack,
      services: selection.services,
      outputs,
    }));
    engine.addAdminRoute("token", async (query) => {
      const userId = query.get("userId") ?? "";
      return { userId, token: await token(userId) };
    });
    engine.setHttpHandler(createConsoleHandler({ endpoint, outputs: synth.outputs, stack }));

    let outputsFile: string | undefined;
    if (options.writeOutputsFile ?? true) {
      mkdirSync(localStateDir(root), { recursive: true });
      outputsFile = outputsFileFor(engine.port, root);
      const content = { endpoint, stack, services: selection.services, pid: process.pid, outputs };
      writeFileSync(outputsFile, `${JSON.stringify(content, null, 2)}\n`);
    }
    const written = outputsFile;
    return {
      engine,
      endpoint,
      stack,
      outputs,
      resources: selection.resources,
      services: selection.services,
      serviceOf: (functionName) => services.get(functionName),
      stateDir: engine.context.workDir,
      token,
      outputsFile,
      close: async () => {
        await engine.close();
        // A stale file would send `pnpm token` and scripts to a port nobody serves. Only this run's own file.
        if (written) rmSync(written, { force: true });
        run.unlock();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

export { localStateDir, REPO_ROOT, serviceNames };
