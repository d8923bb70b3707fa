import { relative } from "node:path";
import type { LocalCloud } from "./run";

function value(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The summary `pnpm dev` prints once the stack is up. */
export function renderSummary(
  cloud: Pick<LocalCloud, "endpoint" | "stack" | "outputs" | "resources" | "services" | "outputsFile">,
  options: { seconds: number; persistDir?: string; cwd?: string },
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
    lines.push("  token      pnpm -s run token <userId>   (in another terminal)");
  }
  if (cloud.outputsFile) lines.push(`  outputs    ${relative(cwd, cloud.outputsFile) || cloud.outputsFile}`);
  lines.push(
    `  state      ${options.persistDir ? `kept in ${options.persistDir}` : "for this run only (--persist <dir> keeps it)"}`,
  );
  lines.push(
    `  console    ${cloud.endpoint}/   (the bell: ${cloud.endpoint}/bell; CLI: pnpm -s ops -- --local dlq list)`,
  );
  lines.push(
    `  views      ${cloud.endpoint}/_local/status  (also sqs/queues, lambda/functions, sms/messages, cloudwatch/alarms)`,
  );
  lines.push("", "Stack outputs:");
  const width = Math.max(0, ...Object.keys(cloud.outputs).map((k) => k.length));
  for (const [key, v] of Object.entries(cloud.outputs)) lines.push(`  ${key.padEnd(width)}  ${value(v)}`);
  lines.push("", "Ctrl-C stops.", "");
  return lines.join("\n");
}
