export { ALL_EMULATORS, allEmulators, type EmulatorOptions } from "./emulators";
export {
  type EmulatorFactories,
  type EmulatorRole,
  Engine,
  type EngineOptions,
  type HttpHandler,
  stderrLogger,
} from "./engine";
export { LocalCloudError } from "./errors";
export { type InvocationFault, type InvocationFaultHook, setInvocationFaultHook } from "./lambda/faults";
export {
  LOCAL_TOKEN_ISSUER,
  type LocalCloud,
  type LocalCloudOptions,
  localOutputs,
  localStateDir,
  REPO_ROOT,
  startLocalCloud,
} from "./run";
export { selectService, serviceNames } from "./select";
export { renderSummary } from "./summary";
export * from "./types";
