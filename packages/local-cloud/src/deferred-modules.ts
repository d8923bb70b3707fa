import Module from "node:module";

/**
 * `@pulumi/pulumi` requires, as it loads, modules only two of its features use: `typescript` (9 MB of
 * JavaScript, for serializing functions into Lambda code and reading tsconfig files) and `@npmcli/arborist`
 * (with pacote, sigstore and some 300 other modules, for finding a serialized function's packages). The local
 * cloud runs the program under the mocks and uses neither, yet loading them was more than a second of
 * `pnpm dev`'s start on the 2-core machine.
 *
 * These modules, when `@pulumi/pulumi` requires them, are handed over as stand-ins that load the real module
 * on first use (any property read, `in`, key listing): the runtime behaves the same, a feature that needs
 * one only pays for it then. The stand-in says `__esModule: true` before it is loaded, so TypeScript's
 * `__importStar(require(...))` keeps it as it is instead of copying its keys (which would load it).
 * Requires from anywhere else get the real module.
 */
export const DEFERRED_MODULES = ["typescript", "@npmcli/arborist"] as const;

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

let installed = false;

/** Installs the stand-ins for the rest of the process (once; later calls do nothing). */
export function deferUnusedPulumiModules(): void {
  if (installed) return;
  installed = true;
  const loader = Module as unknown as { _load: Load };
  const load = loader._load;
  const deferred = new Set<string>(DEFERRED_MODULES);
  loader._load = function (this: unknown, request, parent, isMain) {
    if (!deferred.has(request) || !parent?.filename?.includes("/@pulumi/pulumi/")) {
      return load.call(this, request, parent, isMain);
    }
    let real: object | undefined;
    const actual = (): object => {
      real ??= load.call(this, request, parent, isMain) as object;
      return real;
    };
    return new Proxy(
      {},
      {
        get: (_target, key) =>
          key === "__esModule" && real === undefined ? true : Reflect.get(actual(), key),
        has: (_target, key) => Reflect.has(actual(), key),
        ownKeys: () => Reflect.ownKeys(actual()),
        getOwnPropertyDescriptor: (_target, key) => {
          // tsx probes every CommonJS module it loads for an ESM-interop `module.exports` key; neither module
          // (plain CommonJS) has one, so the probe is answered without loading it.
          if (key === "module.exports" && real === undefined) return undefined;
          const descriptor = Reflect.getOwnPropertyDescriptor(actual(), key);
          // A proxy may not report a non-configurable property its (empty) target lacks.
          return descriptor ? { ...descriptor, configurable: true } : undefined;
        },
      },
    );
  };
}
