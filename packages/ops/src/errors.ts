/** A failure the CLI reports as one line with a non-zero exit (bad input, unknown queue, missing stack). */
export class OpsError extends Error {
  override name = "OpsError";
  constructor(
    message: string,
    /** Process exit code: 2 for bad usage, 1 otherwise. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A bad argument (exit code 2). */
export const usageError = (message: string): OpsError => new OpsError(message, 2);
