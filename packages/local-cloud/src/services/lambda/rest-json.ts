import type { IncomingMessage, ServerResponse } from "node:http";
import { sendRestJson } from "../../wire/rest-json";
import type { LambdaApi, PageInput } from "./api";
import { lambdaNotEmulated } from "./errors";

/**
 * The REST-JSON codec of the local Lambda (what `@aws-sdk/client-lambda` and `aws lambda` send): Invoke
 * (`POST /2015-03-31/functions/{name}/invocations`, the payload as the body, the invocation and log types as
 * headers, the result as the body with `X-Amz-Function-Error` / `X-Amz-Log-Result`), and the control-plane reads
 * by path (all GET), each decoded into its {@link LambdaApi} input. Any other request is answered NotImplemented
 * naming its operation.
 */

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

const decoded = (match: RegExpExecArray): string => decodeURIComponent(match[1] ?? "");

/** The paging parameters of a list request. */
function pageInput(url: URL): PageInput {
  const marker = url.searchParams.get("Marker");
  const max = url.searchParams.get("MaxItems");
  return { ...(marker !== null ? { Marker: marker } : {}), ...(max !== null ? { MaxItems: max } : {}) };
}

/** The reads, by path (all GET): each gets the path's match and the URL. */
const READS: Array<[RegExp, (api: LambdaApi, match: RegExpExecArray, url: URL) => unknown]> = [
  [/^\/2015-03-31\/functions\/?$/, (api, _match, url) => api.listFunctions(pageInput(url))],
  [
    /^\/2015-03-31\/functions\/([^/]+)\/?$/,
    (api, match) => api.getFunction({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
    (api, match) => api.getFunctionConfiguration({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/,
    (api, match) => api.getPolicy({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2015-03-31\/functions\/([^/]+)\/versions\/?$/,
    (api, match) => api.listVersionsByFunction({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/,
    (api, match) => api.listAliases({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/,
    (api, match) => api.getFunctionConcurrency({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/,
    (api, match) => api.getFunctionEventInvokeConfig({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/list\/?$/,
    (api, match) => api.listFunctionEventInvokeConfigs({ FunctionName: decoded(match) }),
  ],
  [
    /^\/2015-03-31\/event-source-mappings\/?$/,
    (api, _match, url) => {
      const functionName = url.searchParams.get("FunctionName");
      const sourceArn = url.searchParams.get("EventSourceArn");
      return api.listEventSourceMappings({
        ...pageInput(url),
        ...(functionName ? { FunctionName: functionName } : {}),
        ...(sourceArn ? { EventSourceArn: sourceArn } : {}),
      });
    },
  ],
  [
    /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/,
    (api, match) => api.getEventSourceMapping({ UUID: decoded(match) }),
  ],
  [/^\/2017-03-31\/tags\/(.+?)\/?$/, (api, match) => api.listTags({ Resource: decoded(match) })],
  [/^\/2016-08-19\/account-settings\/?$/, (api) => api.getAccountSettings()],
];

/** The operation a request names, for requests the local Lambda does not serve. */
const NOT_EMULATED: Array<[string, RegExp, string]> = [
  ["POST", /^\/2015-03-31\/functions\/?$/, "CreateFunction"],
  ["DELETE", /^\/2015-03-31\/functions\/[^/]+\/?$/, "DeleteFunction"],
  ["PUT", /^\/2015-03-31\/functions\/[^/]+\/code\/?$/, "UpdateFunctionCode"],
  ["PUT", /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, "UpdateFunctionConfiguration"],
  ["POST", /^\/2015-03-31\/functions\/[^/]+\/policy\/?$/, "AddPermission"],
  ["DELETE", /^\/2015-03-31\/functions\/[^/]+\/policy\/[^/]+\/?$/, "RemovePermission"],
  ["POST", /^\/2015-03-31\/functions\/[^/]+\/versions\/?$/, "PublishVersion"],
  ["POST", /^\/2015-03-31\/functions\/[^/]+\/aliases\/?$/, "CreateAlias"],
  ["GET", /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+\/?$/, "GetAlias"],
  ["POST", /^\/2015-03-31\/event-source-mappings\/?$/, "CreateEventSourceMapping"],
  ["PUT", /^\/2015-03-31\/event-source-mappings\/[^/]+\/?$/, "UpdateEventSourceMapping"],
  ["DELETE", /^\/2015-03-31\/event-source-mappings\/[^/]+\/?$/, "DeleteEventSourceMapping"],
  ["PUT", /^\/2017-10-31\/functions\/[^/]+\/concurrency\/?$/, "PutFunctionConcurrency"],
  ["PUT", /^\/2019-09-25\/functions\/[^/]+\/event-invoke-config\/?$/, "PutFunctionEventInvokeConfig"],
  ["GET", /^\/2021-10-31\/functions\/[^/]+\/url\/?$/, "GetFunctionUrlConfig"],
  ["GET", /^\/2018-10-31\/layers\/?$/, "ListLayers"],
  ["GET", /^\/2020-04-22\/code-signing-configs\/?$/, "ListCodeSigningConfigs"],
  [
    "GET",
    /^\/2019-09-30\/functions\/[^/]+\/provisioned-concurrency\/?$/,
    "ListProvisionedConcurrencyConfigs",
  ],
  ["POST", /^\/2017-03-31\/tags\/[^/]+\/?$/, "TagResource"],
  ["DELETE", /^\/2017-03-31\/tags\/[^/]+\/?$/, "UntagResource"],
];

/**
 * Serves one Lambda request.
 * @throws LocalServiceError of the operation, or NotImplemented naming a request the local Lambda does not serve
 */
export async function handleLambda(
  api: LambdaApi,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const invoke = INVOKE.exec(url.pathname);
  if (req.method === "POST" && invoke?.[1]) {
    await writeInvoke(api, req, res, body, decoded(invoke), url);
    return;
  }
  const method = req.method ?? "GET";
  const path = url.pathname;
  if (method === "GET") {
    for (const [pattern, read] of READS) {
      const match = pattern.exec(path);
      if (match) {
        sendRestJson(res, read(api, match, url));
        return;
      }
    }
  }
  const named = NOT_EMULATED.find(([verb, pattern]) => verb === method && pattern.test(path));
  throw lambdaNotEmulated(named?.[2] ?? `${method} ${path}`);
}

async function writeInvoke(
  api: LambdaApi,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  target: string,
  url: URL,
): Promise<void> {
  const qualifier = url.searchParams.get("Qualifier");
  const output = await api.invoke({
    FunctionName: target,
    ...(qualifier !== null ? { Qualifier: qualifier } : {}),
    InvocationType: String(req.headers["x-amz-invocation-type"] ?? "RequestResponse"),
    LogType: String(req.headers["x-amz-log-type"] ?? ""),
    Payload: body,
  });
  if (output.kind === "dry-run") {
    res.writeHead(204, { "x-amzn-requestid": output.requestId });
    res.end();
    return;
  }
  if (output.kind === "queued") {
    res.writeHead(202, { "x-amzn-requestid": output.requestId, "content-length": 0 });
    res.end();
    return;
  }
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(output.payload),
    "x-amzn-requestid": output.requestId,
    "x-amz-executed-version": output.executedVersion,
  };
  if (output.functionError) headers["x-amz-function-error"] = output.functionError;
  if (output.logResult !== undefined) headers["x-amz-log-result"] = output.logResult;
  res.writeHead(200, headers);
  res.end(output.payload);
}
