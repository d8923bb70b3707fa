import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { jsonOperation, parseJsonBody, requestId, sendJson, sendJsonError } from "../../protocol";
import {
  type CloudWatchEngine,
  type LocalContext,
  type LocalResource,
  LocalServiceError,
  type MetricDatum,
  type ServiceEmulator,
} from "../../types";
import { CborError, decodeCbor, encodeCbor } from "../../wire/cbor";
import { isQueryRequest, parseQueryRequest, readQueryInput } from "../../wire/query";
import { forCbor } from "../../wire/shape-values";
import { sendXmlError, sendXmlResult } from "../../wire/xml";
import { OPERATIONS } from "./api";
import { CLOUDWATCH_NAMESPACE, cloudWatchError } from "./errors";
import { CloudWatchModel, type CloudWatchOptions, safeJson } from "./model";
import { type CloudWatchPersistence, persistCloudWatch } from "./persistence";
import { provision } from "./provisioning";
import { statistic } from "./rules";
import { OPERATIONS as SHAPES, XMLNS } from "./shapes";

export type { CloudWatchOptions } from "./model";

/**
 * The local CloudWatch (signing name `monitoring`), one folder like SQS: `model.ts` (metric series,
 * alarms, evaluation, notifications), `api.ts` (one function per operation), `shapes.ts` (the
 * operations' shapes from AWS's model, for the query and CBOR codecs), `provisioning.ts` (the program's
 * alarms through PutMetricAlarm), `errors.ts`, `rules.ts` (statistics and the texts AWS writes),
 * `persistence.ts` (alarms and data points under `<persistDir>/cloudwatch`, with `--persist`).
 *
 * Served in the three protocols AWS serves for CloudWatch: AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, what `@aws-sdk/client-cloudwatch` v3 sends; gzip
 * bodies accepted), the query protocol (`Action=<Op>`, XML; AWS CLI 2.9, boto3 1.26) and Smithy RPC v2
 * CBOR (`/service/GraniteServiceVersion20100801/operation/<Op>`; current botocore and AWS CLI).
 */
export function createCloudWatch(
  ctx: LocalContext,
  options: CloudWatchOptions = {},
): ServiceEmulator & CloudWatchEngine {
  return new CloudWatchEmulator(ctx, options);
}

type Protocol = "json" | "query" | "cbor";

const CBOR_PATH = /^\/service\/[^/]+\/operation\/([^/?]+)/;

class CloudWatchEmulator implements ServiceEmulator, CloudWatchEngine {
  readonly signingNames = ["monitoring"] as const;
  readonly adminRoutes: Record<string, (query: URLSearchParams) => unknown>;
  readonly model: CloudWatchModel;
  private readonly persistence?: CloudWatchPersistence;

  constructor(ctx: LocalContext, options: CloudWatchOptions) {
    this.model = new CloudWatchModel(ctx, options);
    if (ctx.persistDir) this.persistence = persistCloudWatch(this.model, ctx.persistDir);
    this.adminRoutes = {
      "cloudwatch/alarms": (query) => this.adminAlarms(query),
      "cloudwatch/metrics": (query) => this.adminMetrics(query),
      "cloudwatch/dashboards": () =>
        [...this.model.dashboards].map(([name, body]) => ({ name, body: safeJson(body) })),
    };
  }

  provision(resource: LocalResource): void {
    provision(this.model, resource);
  }

  start(): void {
    this.persistence?.dropUndeclared();
    this.model.start();
  }

  stop(): void {
    this.model.stop();
    this.persistence?.close();
  }

  putMetric(datum: MetricDatum): void {
    this.model.putMetric(datum);
  }

  ingestLogLine(line: string): void {
    this.model.ingestLogLine(line);
  }

  alarms(): ReturnType<CloudWatchEngine["alarms"]> {
    return this.model.alarms();
  }

  evaluate(): void {
    this.model.evaluate();
  }

  // ---------------------------------------------------------------- wire

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = new URL(req.url ?? "/", "http://local").pathname;
    const protocol: Protocol = isQueryRequest(req)
      ? "query"
      : CBOR_PATH.test(path) || String(req.headers["smithy-protocol"] ?? "") === "rpc-v2-cbor"
        ? "cbor"
        : "json";
    let operation = "";
    try {
      const encoding = String(req.headers["content-encoding"] ?? "");
      const payload = /gzip/i.test(encoding) ? gunzipSync(body) : body;
      let input: Record<string, unknown>;
      if (protocol === "query") {
        const request = parseQueryRequest(req, payload);
        operation = request.action;
        if (!operation)
          throw cloudWatchError("MissingAction", "The request must contain the parameter Action.");
        const shapes = SHAPES[operation];
        if (!shapes || !OPERATIONS[operation]) throw unsupported(operation);
        input = readQueryInput(request.params, shapes.input);
      } else if (protocol === "cbor") {
        operation = decodeURIComponent(CBOR_PATH.exec(path)?.[1] ?? "");
        let decoded: unknown;
        try {
          decoded = decodeCbor(payload);
        } catch (error) {
          if (error instanceof CborError) throw cloudWatchError("SerializationException", error.message);
          throw error;
        }
        input =
          decoded && typeof decoded === "object" && !Array.isArray(decoded)
            ? (decoded as Record<string, unknown>)
            : {};
      } else {
        operation = jsonOperation(req);
        input = parseJsonBody(payload);
      }
      const run = OPERATIONS[operation];
      if (!run) throw unsupported(operation);
      const output = run(this.model, input) ?? {};
      await this.model.durable();
      const shapes = SHAPES[operation];
      if (protocol === "query") {
        sendXmlResult(res, {
          action: operation,
          xmlns: XMLNS,
          output,
          shape: shapes?.output,
          result: shapes?.result,
        });
      } else if (protocol === "cbor") {
        sendCbor(res, 200, encodeCbor(forCbor(output, shapes?.output)));
      } else {
        sendJson(res, output);
      }
    } catch (error) {
      const failure =
        error instanceof LocalServiceError
          ? error
          : cloudWatchError("InternalServiceFault", error instanceof Error ? error.message : String(error));
      if (failure.status >= 500)
        this.model.ctx.log.error("cloudwatch: request failed", { error: failure.message });
      const queryCode = failure.queryCode ?? failure.code;
      if (protocol === "query") {
        sendXmlError(res, failure, { xmlns: XMLNS, code: queryCode });
      } else if (protocol === "cbor") {
        const text = encodeCbor({
          __type: `${CLOUDWATCH_NAMESPACE}#${failure.code}`,
          message: failure.message,
        });
        sendCbor(res, failure.status, text, {
          "x-amzn-query-error": `${queryCode};${failure.status >= 500 ? "Receiver" : "Sender"}`,
        });
      } else {
        sendJsonError(res, new LocalServiceError(failure.code, failure.message, failure.status, queryCode), {
          namespace: CLOUDWATCH_NAMESPACE,
        });
      }
    }
  }
  // ---------------------------------------------------------------- admin views

  private adminAlarms(query: URLSearchParams): unknown {
    const state = query.get("state");
    return [...this.model.alarmsByName.values()]
      .filter((alarm) => !state || alarm.state === state)
      .map((alarm) => ({
        name: alarm.name,
        arn: alarm.arn,
        description: alarm.description,
        state: alarm.state,
        reason: alarm.reason,
        updatedAt: alarm.updatedAt,
        metric: alarm.metric,
        statistic: alarm.statistic ?? alarm.extendedStatistic,
        period: alarm.period,
        evaluationPeriods: alarm.evaluationPeriods,
        datapointsToAlarm: alarm.datapointsToAlarm,
        comparisonOperator: alarm.comparisonOperator,
        threshold: alarm.threshold,
        treatMissingData: alarm.treatMissingData,
        alarmActions: alarm.alarmActions,
        okActions: alarm.okActions,
        lastValues: alarm.lastValues.map((value) => value ?? null),
        history: alarm.history,
      }));
  }

  private adminMetrics(query: URLSearchParams): unknown {
    const namespace = query.get("namespace");
    const now = Date.now();
    const window = 300 * this.model.msPerSecond;
    return [...this.model.series.values()]
      .filter((series) => !namespace || series.namespace === namespace)
      .map((series) => {
        const last = series.points[series.points.length - 1];
        const recent = series.points.filter((point) => point.timestamp > now - window);
        return {
          namespace: series.namespace,
          metricName: series.metricName,
          dimensions: series.dimensions,
          datapoints: series.points.length,
          last: last ? { timestamp: last.timestamp, value: last.max, unit: last.unit } : null,
          recent: {
            seconds: 300,
            sum: statistic(recent, "Sum") ?? null,
            sampleCount: statistic(recent, "SampleCount") ?? null,
            maximum: statistic(recent, "Maximum") ?? null,
          },
        };
      });
  }
}

function sendCbor(
  res: ServerResponse,
  status: number,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "application/cbor",
    "smithy-protocol": "rpc-v2-cbor",
    "x-amzn-requestid": requestId(),
    "content-length": body.length,
    ...headers,
  });
  res.end(body);
}

/** Any operation the local CloudWatch does not serve: named in the error, in every protocol. */
function unsupported(operation: string): LocalServiceError {
  return new LocalServiceError(
    "InvalidAction",
    `The local CloudWatch does not support the ${operation || "(unnamed)"} action.`,
    400,
    "InvalidAction",
  );
}
