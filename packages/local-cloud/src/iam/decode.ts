import type { IncomingMessage } from "node:http";
import { decodeCbor } from "../wire/cbor";
import { isQueryRequest, parseQueryRequest } from "../wire/query";

/**
 * What a request asks of IAM: one or more (action, resource ARN, context keys) triples, decoded from the
 * request itself (the emulator parses it again: double parsing keeps authorization out of the emulators).
 * An operation the decoders do not know is authorized as `<prefix>:<Operation>` on `*`.
 */
export interface RequestedAction {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export interface DecodeContext {
  accountId: string;
  region: string;
  /** A table's partition key attribute (for `dynamodb:LeadingKeys`), by table ARN. */
  partitionKey(tableArn: string): string | undefined;
}

/** The IAM service prefix of each signing name. */
const PREFIX: Record<string, string> = {
  sqs: "sqs",
  sns: "sns",
  events: "events",
  dynamodb: "dynamodb",
  s3: "s3",
  lambda: "lambda",
  monitoring: "cloudwatch",
  logs: "logs",
  "execute-api": "execute-api",
  apigateway: "apigateway",
  "sms-voice": "sms-voice",
  mobiletargeting: "mobiletargeting",
  sts: "sts",
};

function jsonTarget(req: IncomingMessage): string | undefined {
  const target = req.headers["x-amz-target"];
  return typeof target === "string" ? target.slice(target.lastIndexOf(".") + 1) : undefined;
}

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body.toString("utf8") || "{}") as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Decodes one request signed for `signingName`. */
export function decodeRequest(
  signingName: string,
  req: IncomingMessage,
  body: Buffer,
  ctx: DecodeContext,
): RequestedAction[] {
  const prefix = PREFIX[signingName] ?? signingName;
  const { accountId, region } = ctx;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  switch (signingName) {
    case "sqs": {
      let operation: string;
      let queueUrl: string | undefined;
      if (isQueryRequest(req)) {
        const query = parseQueryRequest(req, body);
        operation = query.action;
        // A query request may be posted to the queue's URL itself.
        queueUrl = query.params.get("QueueUrl") ?? req.url;
        if (operation === "CreateQueue") queueUrl = `/${accountId}/${query.params.get("QueueName") ?? ""}`;
        if (operation === "GetQueueUrl") queueUrl = `/${accountId}/${query.params.get("QueueName") ?? ""}`;
      } else {
        operation = jsonTarget(req) ?? "";
        const input = jsonBody(body);
        queueUrl = str(input.QueueUrl);
        if (operation === "CreateQueue" || operation === "GetQueueUrl")
          queueUrl = `/${accountId}/${str(input.QueueName) ?? ""}`;
        if (operation === "StartMessageMoveTask" || operation === "ListMessageMoveTasks") {
          const source = str(input.SourceArn);
          return [{ action: `sqs:${operation}`, resource: source ?? "*" }];
        }
      }
      // Batch operations are authorized as their single counterpart (AWS: "SendMessageBatch ... sqs:SendMessage").
      const action = operation.replace(/Batch$/, "");
      const parts = queueUrl ? new URL(queueUrl, "http://local").pathname.split("/").filter(Boolean) : [];
      const resource = parts.length >= 2 ? `arn:aws:sqs:${region}:${parts[0]}:${parts[1]}` : "*";
      return [{ action: `sqs:${action}`, resource }];
    }
    case "sns": {
      const query = parseQueryRequest(req, body);
      const operation = query.action === "PublishBatch" ? "Publish" : query.action;
      const params = query.params;
      let resource =
        params.get("TopicArn") ??
        params.get("TargetArn") ??
        params.get("ResourceArn") ??
        params.get("SubscriptionArn");
      if (operation === "CreateTopic") resource = arn("sns", params.get("Name") ?? "");
      if (resource?.split(":").length === 7 && operation !== "Publish")
        resource = resource.split(":").slice(0, 6).join(":");
      if (operation === "Publish" && params.get("PhoneNumber")) resource = "*";
      return [{ action: `sns:${operation}`, resource: resource ?? "*" }];
    }
    case "events": {
      const operation = jsonTarget(req) ?? "";
      const input = jsonBody(body);
      const busArn = (value: unknown) => {
        const name = str(value) ?? "default";
        return name.startsWith("arn:") ? name : arn("events", `event-bus/${name}`);
      };
      if (operation === "PutEvents") {
        const entries = Array.isArray(input.Entries) ? (input.Entries as Array<Record<string, unknown>>) : [];
        const buses = [...new Set(entries.map((entry) => busArn(entry.EventBusName)))];
        return (buses.length > 0 ? buses : [busArn(undefined)]).map((resource) => ({
          action: "events:PutEvents",
          resource,
        }));
      }
      if (/Rule$|Targets$/.test(operation) && operation !== "ListRules") {
        const rule = str(input.Name) ?? str(input.Rule);
        const bus = str(input.EventBusName) ?? "default";
        if (rule) {
          const busName = bus.startsWith("arn:") ? bus.slice(bus.lastIndexOf("/") + 1) : bus;
          return [
            {
              action: `events:${operation}`,
              resource: arn("events", busName === "default" ? `rule/${rule}` : `rule/${busName}/${rule}`),
            },
          ];
        }
      }
      if (/EventBus$/.test(operation))
        return [{ action: `events:${operation}`, resource: busArn(input.Name) }];
      return [{ action: `events:${operation}`, resource: "*" }];
    }
    case "dynamodb":
      return decodeDynamoDb(jsonTarget(req) ?? "", jsonBody(body), ctx);
    case "s3":
      return decodeS3(req, body);
    case "lambda": {
      const path = new URL(req.url ?? "/", "http://local").pathname;
      const match = /^\/[\d-]+\/functions\/([^/]+)(?:\/(.*))?$/.exec(path);
      if (match) {
        const name = decodeURIComponent(match[1] as string);
        const fn = name.startsWith("arn:")
          ? name.split(":").slice(0, 7).join(":")
          : arn("lambda", `function:${name.split(":")[0]}`);
        const rest = match[2] ?? "";
        let action = "GetFunction";
        if (rest === "invocations" || rest === "invoke-async") action = "InvokeFunction";
        else if (rest.startsWith("policy"))
          action =
            req.method === "GET"
              ? "GetPolicy"
              : req.method === "DELETE"
                ? "RemovePermission"
                : "AddPermission";
        else if (rest === "configuration")
          action = req.method === "PUT" ? "UpdateFunctionConfiguration" : "GetFunctionConfiguration";
        else if (rest === "" && req.method === "DELETE") action = "DeleteFunction";
        return [{ action: `lambda:${action}`, resource: fn }];
      }
      return [{ action: "lambda:ListFunctions", resource: "*" }];
    }
    case "monitoring": {
      let operation = jsonTarget(req);
      if (!operation) {
        const path = new URL(req.url ?? "/", "http://local").pathname;
        const cbor = /\/operation\/([^/]+)$/.exec(path);
        operation = cbor ? cbor[1] : parseQueryRequest(req, body).action;
        if (cbor && body.length > 0) {
          try {
            decodeCbor(body);
          } catch {
            // the emulator names the error
          }
        }
      }
      return [{ action: `cloudwatch:${operation ?? ""}`, resource: "*" }];
    }
    case "logs": {
      const operation = jsonTarget(req) ?? "";
      const input = jsonBody(body);
      const group = str(input.logGroupName);
      if (group && operation !== "DescribeLogGroups") {
        const stream = str(input.logStreamName);
        const resource =
          stream && (operation === "PutLogEvents" || operation === "GetLogEvents")
            ? arn("logs", `log-group:${group}:log-stream:${stream}`)
            : arn("logs", `log-group:${group}:*`);
        return [{ action: `logs:${operation}`, resource }];
      }
      return [
        {
          action: `logs:${operation}`,
          resource: operation === "DescribeLogGroups" ? arn("logs", "log-group:*") : "*",
        },
      ];
    }
    case "execute-api": {
      const path = new URL(req.url ?? "/", "http://local").pathname;
      const match = /^\/ws\/([^/]+)\/([^/]+)\/(@connections\/.*)$/.exec(path);
      if (match) {
        const [, api, stage, rest] = match as unknown as [string, string, string, string];
        return [
          {
            action: "execute-api:ManageConnections",
            resource: arn("execute-api", `${api}/${stage}/${req.method}/${rest}`),
          },
        ];
      }
      return [{ action: "execute-api:Invoke", resource: "*" }];
    }
    case "sms-voice": {
      const operation = jsonTarget(req) ?? "";
      const input = jsonBody(body);
      if (operation === "SendTextMessage") {
        // SendTextMessage's resources: the origination identity and configuration set, when given
        // (Service Authorization Reference, AWS End User Messaging SMS and voice v2).
        const identity = str(input.OriginationIdentity);
        const resources: RequestedAction[] = [];
        if (identity) {
          resources.push({
            action: "sms-voice:SendTextMessage",
            resource: identity.startsWith("arn:") ? identity : smsIdentityArn(identity, arn),
          });
        }
        const configurationSet = str(input.ConfigurationSetName);
        if (configurationSet) {
          resources.push({
            action: "sms-voice:SendTextMessage",
            resource: configurationSet.startsWith("arn:")
              ? configurationSet
              : arn("sms-voice", `configuration-set/${configurationSet}`),
          });
        }
        return resources.length > 0 ? resources : [{ action: "sms-voice:SendTextMessage", resource: "*" }];
      }
      return [{ action: `sms-voice:${operation}`, resource: "*" }];
    }
    case "mobiletargeting": {
      const path = new URL(req.url ?? "/", "http://local").pathname;
      const match = /^\/v1\/apps\/([^/]+)\/messages$/.exec(path);
      if (match)
        return [
          {
            action: "mobiletargeting:SendMessages",
            resource: arn("mobiletargeting", `apps/${match[1]}/messages`),
          },
        ];
      return [{ action: "mobiletargeting:GetApps", resource: "*" }];
    }
    default: {
      const operation =
        jsonTarget(req) ?? (isQueryRequest(req) ? parseQueryRequest(req, body).action : req.method);
      return [{ action: `${prefix}:${operation}`, resource: "*" }];
    }
  }
}

/** An origination identity by id: a phone number (`phone-…`), sender id (`<id>` with a country) or pool. */
function smsIdentityArn(identity: string, arn: (service: string, resource: string) => string): string {
  if (identity.startsWith("phone-")) return arn("sms-voice", `phone-number/${identity}`);
  if (identity.startsWith("pool-")) return arn("sms-voice", `pool/${identity}`);
  if (identity.startsWith("+")) return arn("sms-voice", `phone-number/${identity}`);
  return arn("sms-voice", `sender-id/${identity}`);
}

/** The partition key values an item, key or key condition names (for `dynamodb:LeadingKeys`). */
function keyValue(record: unknown, attribute: string | undefined): string | undefined {
  if (!attribute || !record || typeof record !== "object") return undefined;
  const value = (record as Record<string, unknown>)[attribute];
  if (!value || typeof value !== "object") return undefined;
  const typed = value as Record<string, unknown>;
  return str(typed.S) ?? (typeof typed.N === "string" ? typed.N : undefined) ?? str(typed.B);
}

function decodeDynamoDb(
  operation: string,
  input: Record<string, unknown>,
  ctx: DecodeContext,
): RequestedAction[] {
  const tableArn = (name: string) =>
    name.startsWith("arn:") ? name : `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`;
  const single = (action: string, name: string, key?: unknown, index?: string): RequestedAction => {
    const table = tableArn(name);
    const leading = keyValue(key, ctx.partitionKey(table));
    const context: Record<string, string | string[]> = {};
    if (leading !== undefined) context["dynamodb:LeadingKeys"] = [leading];
    return { action: `dynamodb:${action}`, resource: index ? `${table}/index/${index}` : table, context };
  };
  const table = str(input.TableName);
  switch (operation) {
    case "GetItem":
    case "DeleteItem":
    case "UpdateItem":
      return table ? [single(operation, table, input.Key)] : [];
    case "PutItem":
      return table ? [single(operation, table, input.Item)] : [];
    case "Query": {
      if (!table) return [];
      const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
      const names = input.ExpressionAttributeNames as Record<string, string> | undefined;
      const condition = str(input.KeyConditionExpression) ?? "";
      const partition = ctx.partitionKey(tableArn(table));
      // `pk = :v` or `#n = :v` where #n names the table's partition key (only the table's key: LeadingKeys is the table's).
      let leading: string | undefined;
      if (partition && !input.IndexName) {
        for (const match of condition.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
          const name = match[1]?.startsWith("#") ? names?.[match[1]] : match[1];
          if (name === partition) leading = keyValue({ v: values?.[match[2] as string] }, "v");
        }
      }
      const result = single("Query", table, undefined, str(input.IndexName));
      if (leading !== undefined) result.context = { "dynamodb:LeadingKeys": [leading] };
      return [result];
    }
    case "Scan":
      return table ? [single("Scan", table, undefined, str(input.IndexName))] : [];
    case "BatchGetItem":
    case "BatchWriteItem": {
      const items = (input.RequestItems ?? {}) as Record<string, unknown>;
      const out: RequestedAction[] = [];
      for (const [name, requests] of Object.entries(items)) {
        if (operation === "BatchGetItem") {
          const keys = ((requests as Record<string, unknown>)?.Keys ?? []) as unknown[];
          for (const key of keys.length > 0 ? keys : [undefined]) out.push(single("BatchGetItem", name, key));
        } else {
          for (const request of (Array.isArray(requests) ? requests : []) as Array<Record<string, unknown>>) {
            const put = request.PutRequest as Record<string, unknown> | undefined;
            const del = request.DeleteRequest as Record<string, unknown> | undefined;
            out.push(single("BatchWriteItem", name, put?.Item ?? del?.Key));
          }
        }
      }
      return out;
    }
    case "TransactWriteItems":
    case "TransactGetItems": {
      const out: RequestedAction[] = [];
      for (const item of (Array.isArray(input.TransactItems) ? input.TransactItems : []) as Array<
        Record<string, Record<string, unknown>>
      >) {
        for (const [kind, spec] of Object.entries(item)) {
          const name = str(spec?.TableName);
          if (!name) continue;
          const action = {
            Put: "PutItem",
            Update: "UpdateItem",
            Delete: "DeleteItem",
            ConditionCheck: "ConditionCheckItem",
            Get: "GetItem",
          }[kind];
          if (action) out.push(single(action, name, spec?.Item ?? spec?.Key));
        }
      }
      return out;
    }
    default:
      return [{ action: `dynamodb:${operation}`, resource: table ? tableArn(table) : "*" }];
  }
}

const BUCKET_READS: Record<string, string> = {
  versioning: "GetBucketVersioning",
  notification: "GetBucketNotification",
  policy: "GetBucketPolicy",
  lifecycle: "GetLifecycleConfiguration",
  encryption: "GetEncryptionConfiguration",
  tagging: "GetBucketTagging",
  cors: "GetBucketCORS",
  location: "GetBucketLocation",
  acl: "GetBucketAcl",
  ownershipControls: "GetBucketOwnershipControls",
  publicAccessBlock: "GetBucketPublicAccessBlock",
  versions: "ListBucketVersions",
  uploads: "ListBucketMultipartUploads",
};
const BUCKET_WRITES: Record<string, string> = {
  versioning: "PutBucketVersioning",
  notification: "PutBucketNotification",
  policy: "PutBucketPolicy",
  lifecycle: "PutLifecycleConfiguration",
  encryption: "PutEncryptionConfiguration",
  tagging: "PutBucketTagging",
  cors: "PutBucketCORS",
  acl: "PutBucketAcl",
  ownershipControls: "PutBucketOwnershipControls",
  publicAccessBlock: "PutBucketPublicAccessBlock",
};

/** S3 (path-style) by method, path and sub-resource. DeleteObjects (POST ?delete) needs its body: one check per key. */
function decodeS3(req: IncomingMessage, body: Buffer): RequestedAction[] {
  const url = new URL(req.url ?? "/", "http://local");
  const [bucket, ...rest] = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const key = url.pathname.split("/").slice(2).map(decodeURIComponent).join("/");
  const params = url.searchParams;
  const method = req.method ?? "GET";
  const act = (action: string, resource: string): RequestedAction => ({ action: `s3:${action}`, resource });
  if (!bucket) return [act("ListAllMyBuckets", "*")];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (rest.length === 0) {
    const sub = [...params.keys()].find(
      (name) => name in BUCKET_READS || name in BUCKET_WRITES || name === "delete",
    );
    if (method === "POST" && params.has("delete")) {
      const keys = [...body.toString("utf8").matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
        unescapeXml(m[1] ?? ""),
      );
      return (keys.length > 0 ? keys : ["*"]).map((name) => act("DeleteObject", `${bucketArn}/${name}`));
    }
    if (method === "GET" || method === "HEAD")
      return [act(sub ? (BUCKET_READS[sub] ?? "ListBucket") : "ListBucket", bucketArn)];
    if (method === "PUT")
      return [act(sub ? (BUCKET_WRITES[sub] ?? "CreateBucket") : "CreateBucket", bucketArn)];
    if (method === "DELETE")
      return [act(sub === "policy" ? "DeleteBucketPolicy" : "DeleteBucket", bucketArn)];
    return [act("ListBucket", bucketArn)];
  }
  const objectArn = `${bucketArn}/${key}`;
  const versioned = params.has("versionId");
  if (method === "GET" || method === "HEAD") {
    if (params.has("tagging"))
      return [act(versioned ? "GetObjectVersionTagging" : "GetObjectTagging", objectArn)];
    if (params.has("uploadId")) return [act("ListMultipartUploadParts", objectArn)];
    return [act(versioned ? "GetObjectVersion" : "GetObject", objectArn)];
  }
  if (method === "PUT") {
    if (params.has("tagging"))
      return [act(versioned ? "PutObjectVersionTagging" : "PutObjectTagging", objectArn)];
    const source = req.headers["x-amz-copy-source"];
    const out = [act("PutObject", objectArn)];
    if (typeof source === "string" && !params.has("uploadId")) {
      const [path, query] = decodeURIComponent(source).replace(/^\//, "").split("?");
      out.push(act(query?.includes("versionId=") ? "GetObjectVersion" : "GetObject", `arn:aws:s3:::${path}`));
    }
    return out;
  }
  if (method === "DELETE") {
    if (params.has("uploadId")) return [act("AbortMultipartUpload", objectArn)];
    if (params.has("tagging")) return [act("DeleteObjectTagging", objectArn)];
    return [act(versioned ? "DeleteObjectVersion" : "DeleteObject", objectArn)];
  }
  return [act("PutObject", objectArn)]; // POST ?uploads / ?uploadId: multipart uploads are PutObject
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
