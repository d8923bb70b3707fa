import { relative } from "node:path";
import type { LocalCloud } from "./run";
import type { LogsMode } from "./terminal-logs";

function value(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** What the logs line says about `--logs`. */
function logsLine(mode: LogsMode | undefined): string | undefined {
  if (!mode) return undefined;
  switch (mode.kind) {
    case "all":
      return "every function's log lines below (--logs errors|none|<service> for fewer)";
    case "errors":
      return "function errors and failed invocations below (--logs all for every line)";
    case "none":
      return "failed invocations only below (--logs all for every line)";
    case "service":
      return `the log lines of ${mode.service} and every failed invocation below`;
  }
}

/** The log group of the first function (an example for `aws logs tail`). */
function firstLogGroup(resources: LocalCloud["resources"]): string | undefined {
  const fn = resources.find((r) => r.type === "aws:lambda/function:Function");
  if (!fn) return undefined;
  const logging = fn.inputs.loggingConfig as { logGroup?: unknown } | undefined;
  if (typeof logging?.logGroup === "string") return logging.logGroup;
  const name = fn.outputs.name ?? fn.name;
  return `/aws/lambda/${String(name)}`;
}

/** The summary `pnpm dev` prints once the stack is up. */
export function renderSummary(
  cloud: Pick<LocalCloud, "endpoint" | "stack" | "outputs" | "resources" | "services" | "outputsFile">,
  options: {
    seconds: number;
    persistDir?: string;
    stateDir?: string;
    cwd?: string;
    logs?: LogsMode;
    region?: string;
  },
): string {
  const functions = cloud.resources.filter((r) => r.type === "aws:lambda/function:Function").length;
  const custom = cloud.resources.filter((r) => r.custom).length;
  const hasWebSocketApi = cloud.resources.some((r) => r.type === "aws:apigatewayv2/api:Api");
  const ws = Object.entries(cloud.outputs).find(
    ([key, v]) => /websocketurl$/i.test(key) && typeof v === "string" && v.startsWith("ws"),
  )?.[1];
  const cwd = options.cwd ?? process.cwd();
  const lines = [
    "",
    `Switchyard local cloud: stack ${cloud.stack}, ${cloud.services.length === 1 ? "service" : "services"} ${cloud.services.join(", ")}`,
    `${custom} resources, ${functions} functions, up in ${options.seconds.toFixed(1)} s`,
    "",
    `  endpoint   ${cloud.endpoint}   (any AWS SDK v3 client: this endpoint, any credentials)`,
  ];
  if (hasWebSocketApi && typeof ws === "string") {
    lines.push(`  WebSocket  ${ws}?token=<token>`);
    lines.push(
      `  @connections  ${ws.replace(/^ws/, "http")}   (ApiGatewayManagementApiClient endpoint: POST /@connections/<id>)`,
    );
    lines.push("  token      corepack pnpm -s run token <userId>   (in another terminal)");
  }
  const ingress = Object.entries(cloud.outputs).filter(
    ([key, v]) => /ingressurl$/i.test(key) && typeof v === "string" && v.startsWith("http"),
  );
  for (const [key, url] of ingress) {
    // The routes the program declares on that API (`POST /sms`), so the line says what to append to the URL.
    const apiId = /\/http\/([^/]+)\//.exec(String(url))?.[1];
    const routes = cloud.resources
      .filter((r) => r.type === "aws:apigatewayv2/route:Route" && r.inputs.apiId === apiId)
      .map((r) => String(r.inputs.routeKey))
      .sort();
    lines.push(
      `  ingress    ${String(url)}   (${key}: ${routes.length > 0 ? routes.join(", ") : "POST"} with Authorization: Bearer <token>)`,
    );
  }
  if (ingress.length > 0 && !(hasWebSocketApi && typeof ws === "string")) {
    lines.push("  token      corepack pnpm -s run token <clientId>   (in another terminal)");
  }
  if (cloud.outputsFile) lines.push(`  outputs    ${relative(cwd, cloud.outputsFile) || cloud.outputsFile}`);
  lines.push(
    `  state      ${
      options.persistDir
        ? `kept in ${options.persistDir}`
        : `in memory and ${options.stateDir ?? "a temporary folder"}, lost on stop (--persist <dir> keeps it)`
    }`,
  );
  const logs = logsLine(options.logs);
  if (logs) {
    lines.push(`  logs       ${logs}`);
    const group = firstLogGroup(cloud.resources);
    if (group) {
      lines.push(
        `             aws logs tail ${group} --follow --endpoint-url ${cloud.endpoint} --region ${options.region ?? "us-east-1"}`,
      );
    }
  }
  lines.push(
    `  console    ${cloud.endpoint}/   (the bell: ${cloud.endpoint}/bell; CLI: corepack pnpm -s ops -- --local dlq list)`,
  );
  lines.push(
    `  views      ${cloud.endpoint}/_local/   (an index of the JSON views: status, sqs/queues, ...)`,
  );
  lines.push("", "Stack outputs:");
  const width = Math.max(0, ...Object.keys(cloud.outputs).map((k) => k.length));
  for (const [key, v] of Object.entries(cloud.outputs)) lines.push(`  ${key.padEnd(width)}  ${value(v)}`);
  lines.push("", "Ctrl-C stops.", "");
  return lines.join("\n");
}
