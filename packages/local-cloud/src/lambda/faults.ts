/**
 * Fault injection for chaos tests, and nothing else: a hook only a test process sets (the CLI, the engine, the
 * program and every stack leave it unset, so a deployed or `pnpm dev` stack can never trigger it). When it
 * answers `{ killAfterMs }` for an invocation, the worker running that invocation is terminated that many
 * milliseconds after it started, as if its execution environment died mid-batch; Lambda then reports the
 * invocation as failed and the event source keeps the whole batch for redelivery.
 */
export interface InvocationFault {
  /** Terminate the worker this long after the invocation started. */
  killAfterMs: number;
}

/** Decides, per invocation, whether to inject a fault. */
export type InvocationFaultHook = (functionName: string) => InvocationFault | undefined;

let hook: InvocationFaultHook | undefined;

/** Sets (or, without an argument, clears) the process-wide fault hook. Tests only. */
export function setInvocationFaultHook(next?: InvocationFaultHook): void {
  hook = next;
}

/** The fault to inject into this invocation, if a test asked for one. */
export function invocationFault(functionName: string): InvocationFault | undefined {
  return hook?.(functionName);
}
