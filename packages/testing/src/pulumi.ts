import * as pulumi from "@pulumi/pulumi";
import { TestingError } from "./errors";
import { MOCK_ACCOUNT_ID, MOCK_REGION, type MockedState, mockOutputs, type OutputContext } from "./outputs";

/** One resource the program registered, as the mocks saw it. */
export interface RecordedResource {
  /** Pulumi type token, e.g. `aws:sqs/queue:Queue` or `switchyard:kit:ReliableQueue`. */
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  /** URN of the parent resource; undefined for top-level resources. */
  parentUrn?: string;
  /** URNs of the resources it was declared to depend on (`dependsOn`, expanded by the runtime). */
  dependencies?: string[];
  /** Its `aliases`, as the runtime sent them (`{ urn }` or `{ spec: { name, type, parenturn, ... } }`). */
  aliases?: Record<string, unknown>[];
  /** True for provider-managed (custom) resources, false for components. */
  custom: boolean;
  /** What the program passed, with every Output resolved. */
  inputs: Record<string, unknown>;
  /** What the mock returned: the inputs plus computed attributes (arn, url, name...). */
  outputs: Record<string, unknown>;
  id?: string;
}

/** A mocked provider function (`aws.getCallerIdentity()` and friends). */
export type CallMock = (inputs: Record<string, unknown>) => Record<string, unknown>;

export interface PulumiMocksOptions {
  /** @default "switchyard" */
  project?: string;
  /** @default "test" */
  stack?: string;
  /**
   * Stack config. Keys without a namespace are put in the project's namespace (`retentionDays` ->
   * `switchyard:retentionDays`); non-string values are JSON-encoded, as `pulumi config set --path` stores them.
   * @default {}
   */
  config?: Record<string, unknown>;
  /** Config keys (as given in `config`) that are secrets. @default [] */
  secretKeys?: string[];
  /** @default "123456789012" */
  accountId?: string;
  /** @default "us-east-1" */
  region?: string;
  /** Extra provider functions to mock, keyed by token. Any other call throws. @default {} */
  calls?: Record<string, CallMock>;
  /** Run as a preview (unknown outputs stay unknown). @default false */
  preview?: boolean;
  /**
   * Rewrites what a custom resource returns (the local cloud points URLs at its own endpoint). Gets the
   * resource and the realistic outputs the harness computed; returns the outputs to use.
   * @default the computed outputs unchanged
   */
  outputs?: (ctx: OutputContext, computed: MockedState) => MockedState;
}

export interface PulumiMocks {
  /** Every resource registered so far, in registration order. */
  readonly resources: readonly RecordedResource[];
  /** Stack config as the program sees it (fully-qualified keys). */
  readonly config: Readonly<Record<string, string>>;
  /** Waits until every registration in flight (including ones started inside `apply`) has finished. */
  settle(): Promise<void>;
  /** All resources of a type, after settling. */
  resourcesOfType(type: string): Promise<RecordedResource[]>;
  /** Exactly one resource of a type whose logical name is `name` (or ends with `-<name>`); throws otherwise. */
  findResource(type: string, name?: string | RegExp): Promise<RecordedResource>;
  /** The direct children of a resource. */
  childrenOf(parent: RecordedResource): Promise<RecordedResource[]>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList?(): string[];
  getAliasesList?(): unknown[];
}

interface MonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
  readResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
}

function builtinCalls(accountId: string, region: string): Record<string, CallMock> {
  return {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      accountId,
      arn: `arn:aws:iam::${accountId}:user/switchyard-test`,
      userId: "AIDASWITCHYARDTEST",
      id: accountId,
    }),
    "aws:index/getRegion:getRegion": () => ({ name: region, region, id: region, description: region }),
    "aws:index/getPartition:getPartition": () => ({
      partition: "aws",
      dnsSuffix: "amazonaws.com",
      reverseDnsPrefix: "com.amazonaws",
      id: "aws",
    }),
  };
}

function qualifyConfig(project: string, config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const full = key.includes(":") ? key : `${project}:${key}`;
    out[full] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * The runtime logs every registration's response at debug level with a template string (`resp: ${res}`),
 * which renders the whole protobuf message (every output, nested) even though debug logging is off: more
 * than half the time of a mocked run of the root program went there. The response's string form is made
 * a constant; nothing else reads it.
 */
function cheapToString(res: unknown): unknown {
  if (res && typeof res === "object") {
    Object.defineProperty(res, "toString", { value: () => "[mocked response]", configurable: true });
  }
  return res;
}

/**
 * Puts the Pulumi runtime in mock mode and records every resource the program registers.
 *
 * Call it (and await it) before importing or constructing anything that creates resources.
 * Unmocked provider calls throw, naming the token, so a test never silently gets `undefined`.
 */
export async function setupPulumiMocks(options: PulumiMocksOptions = {}): Promise<PulumiMocks> {
  const project = options.project ?? "switchyard";
  const stack = options.stack ?? "test";
  const accountId = options.accountId ?? MOCK_ACCOUNT_ID;
  const region = options.region ?? MOCK_REGION;
  const calls = { ...builtinCalls(accountId, region), ...options.calls };
  const resources: RecordedResource[] = [];
  let current:
    | { urn: string; parentUrn?: string; dependencies?: string[]; aliases?: Record<string, unknown>[] }
    | undefined;
  let inFlight = 0;

  const config = qualifyConfig(project, { "aws:region": region, ...options.config });
  const secretKeys = (options.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`));
  pulumi.runtime.setAllConfig(config, secretKeys);

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): MockedState {
        const urn = current?.urn ?? `urn:pulumi:${stack}::${project}::${args.type}::${args.name}`;
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const ctx: OutputContext = { type: args.type, name: args.name, urn, inputs, accountId, region };
        const computed = args.custom ? mockOutputs(ctx) : { id: "", state: { ...inputs } };
        const result = args.custom && options.outputs ? options.outputs(ctx, computed) : computed;
        const record: RecordedResource = {
          type: args.type,
          name: args.name,
          urn,
          custom: args.custom ?? false,
          inputs,
          outputs: result.state,
          id: result.id || undefined,
        };
        if (current?.parentUrn) record.parentUrn = current.parentUrn;
        if (current?.dependencies?.length) record.dependencies = current.dependencies;
        if (current?.aliases?.length) record.aliases = current.aliases;
        resources.push(record);
        return result;
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const mock = calls[args.token];
        if (!mock) {
          // The runtime surfaces a failed invoke as `new Error(err.details)`: carry the text there too.
          const message = `Unmocked Pulumi call "${args.token}": add it to setupPulumiMocks({ calls }) or avoid the call.`;
          throw Object.assign(new TestingError(message), { details: message });
        }
        return mock(args.inputs as Record<string, unknown>);
      },
    },
    project,
    stack,
    options.preview ?? false,
  );

  // The mock monitor does not tell newResource who the parent is; it is on the request. Wrap the
  // monitor so each registration carries its URN and parent into the (synchronous) newResource call.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  for (const method of ["registerResource", "readResource"] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req, callback) => {
      const parentUrn = req.getParent() || undefined;
      const dependencies = req.getDependenciesList?.() ?? [];
      // Structured aliases are protobuf messages; plain URN aliases are strings.
      const aliases = (req.getAliasesList?.() ?? []).map((alias) =>
        typeof alias === "string"
          ? { urn: alias }
          : ((alias as { toObject(): Record<string, unknown> }).toObject?.() ?? {}),
      );
      current = {
        urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
        parentUrn,
        dependencies,
        aliases,
      };
      inFlight++;
      try {
        return original(req, (err, res) => {
          inFlight--;
          callback(err, cheapToString(res));
        });
      } finally {
        current = undefined;
      }
    };
  }

  const settle = async (): Promise<void> => {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    let seen = -1;
    for (let rounds = 0; rounds < 10_000; rounds++) {
      if (waitForRPCs) await waitForRPCs();
      await new Promise((resolve) => setImmediate(resolve));
      if (inFlight === 0 && seen === resources.length) return;
      seen = resources.length;
    }
    throw new TestingError(
      "Pulumi mocks did not settle: registrations are still in flight after 10000 rounds.",
    );
  };

  const matchesName = (resource: RecordedResource, name: string | RegExp): boolean =>
    typeof name === "string"
      ? resource.name === name || resource.name.endsWith(`-${name}`)
      : name.test(resource.name);

  return {
    resources,
    config,
    settle,
    async resourcesOfType(type) {
      await settle();
      return resources.filter((r) => r.type === type);
    },
    async findResource(type, name) {
      await settle();
      const ofType = resources.filter((r) => r.type === type);
      const found = name === undefined ? ofType : ofType.filter((r) => matchesName(r, name));
      // An exact name match wins over suffix matches.
      const exact = typeof name === "string" ? found.filter((r) => r.name === name) : [];
      const pick = exact.length === 1 ? exact : found;
      if (pick.length !== 1) {
        const names = ofType.map((r) => r.name).join(", ") || "none";
        throw new TestingError(
          `Expected exactly one ${type}${name === undefined ? "" : ` named ${String(name)}`}, found ${pick.length} (resources of that type: ${names}).`,
        );
      }
      return pick[0] as RecordedResource;
    },
    async childrenOf(parent) {
      await settle();
      return resources.filter((r) => r.parentUrn === parent.urn);
    },
  };
}

/** Resolves an Output (or plain value) to its value; for asserting on outputs without `apply`. */
export function outputValue<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => {
    pulumi.output(output).apply((value) => {
      resolve(value as T);
      return value;
    });
  });
}

/** Parses a JSON policy document recorded as a resource input (string) into an object. */
export function parseJsonInput<T = Record<string, unknown>>(value: unknown, what = "input"): T {
  if (typeof value !== "string")
    throw new TestingError(`Expected ${what} to be a JSON string, got ${typeof value}.`);
  return JSON.parse(value) as T;
}
