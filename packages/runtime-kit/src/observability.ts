import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_PII_KEYS, DEFAULT_SERVICE_NAME } from "./constants";
import { piiJsonReplacer } from "./mask";
import type { EnvSource, Observability, ObservabilityOptions } from "./types";

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value;

/**
 * A Powertools `Logger` whose JSON output masks PII fields by name (phone numbers, e-mails, tokens,
 * authorization, …; see `DEFAULT_PII_KEYS`), wherever they sit in the logged objects.
 */
export const createLogger = (
  options: Pick<ObservabilityOptions, "serviceName" | "piiKeys" | "env"> = {},
): Logger => {
  const env: EnvSource = options.env ?? process.env;
  return new Logger({
    serviceName: options.serviceName ?? nonEmpty(env.POWERTOOLS_SERVICE_NAME) ?? DEFAULT_SERVICE_NAME,
    jsonReplacerFn: piiJsonReplacer([...DEFAULT_PII_KEYS, ...(options.piiKeys ?? [])]),
  });
};

/**
 * Creates the Powertools logger, metrics and tracer for one service. Call it once, at module scope of
 * the handler file, so the three live as long as the container.
 *
 * Log level, sampling and tracing switches stay with the usual Powertools variables
 * (`POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_TRACE_ENABLED`, …).
 */
export const createObservability = (options: ObservabilityOptions = {}): Observability => {
  const env: EnvSource = options.env ?? process.env;
  const serviceName = options.serviceName ?? nonEmpty(env.POWERTOOLS_SERVICE_NAME) ?? DEFAULT_SERVICE_NAME;
  const namespace =
    options.namespace ?? nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? DEFAULT_METRICS_NAMESPACE;
  return {
    logger: createLogger({ serviceName, env, piiKeys: options.piiKeys }),
    metrics: new Metrics({ serviceName, namespace }),
    tracer: tracerFor(serviceName),
    serviceName,
    namespace,
  };
};

/** One Powertools Tracer per service name in a container: the handler's (createObservability) is traced()'s too. */
const tracers = new Map<string, Tracer>();
function tracerFor(serviceName: string): Tracer {
  let tracer = tracers.get(serviceName);
  if (!tracer) {
    tracer = new Tracer({ serviceName });
    tracers.set(serviceName, tracer);
  }
  return tracer;
}

/**
 * An AWS SDK v3 client instrumented for X-Ray: on Lambda with active tracing (`switchyard:functions.tracing`) each of
 * its calls is a subsegment of the invocation's trace (what it called, how long, which failed); elsewhere (tests,
 * scripts) the client is returned as it is. Wrap each client once, where it is created (once per container).
 */
export function traced<T extends object>(client: T): T {
  const serviceName = nonEmpty(process.env.POWERTOOLS_SERVICE_NAME) ?? DEFAULT_SERVICE_NAME;
  return tracerFor(serviceName).captureAWSv3Client(client);
}
