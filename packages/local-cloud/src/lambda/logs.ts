import { type FunctionLogRecord, type LocalContext, LocalServiceError } from "../types";

/**
 * Where a function's log lines go: the CloudWatch Logs emulator (`ctx.logs`) when the engine runs it, nowhere
 * otherwise (an engine with a subset of emulators, in tests). Checked once, at the first line.
 */
export function functionLogSink(ctx: LocalContext): (record: FunctionLogRecord) => void {
  let running: boolean | undefined;
  return (record) => {
    if (running === false) return;
    try {
      ctx.logs.putFunctionLog(record);
      running = true;
    } catch (error) {
      if (error instanceof LocalServiceError && error.code === "ServiceNotRunning") running = false;
      else ctx.log.debug("lambda: CloudWatch Logs refused a line", { error: String(error) });
    }
  };
}
