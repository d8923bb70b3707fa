/**
 * Base class of every error the root stack and its offline synth throw: bad stack config (`ConfigError`), a stack
 * file that cannot be read (`StackConfigError`), a program that cannot be loaded (`ProgramLoadError`), a platform
 * that cannot be built (`PlatformError`). Free of Pulumi imports.
 */
export class InfraError extends Error {
  override name = "InfraError";
}

/** The platform the services stand on cannot be built as configured. */
export class PlatformError extends InfraError {
  override name = "PlatformError";
}
