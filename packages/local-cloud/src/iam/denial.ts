import type { IncomingMessage, ServerResponse } from "node:http";
import { encodeCbor } from "../wire/cbor";
import { isQueryRequest } from "../wire/query";
import { xmlText } from "../wire/xml";
import type { Denial } from "./index";

/**
 * AWS's refusal of a request, in each protocol's shape: the code each service uses (`AccessDenied` for the
 * query and XML services, `AuthorizationError` for SNS, `AccessDeniedException` for the JSON services) and the
 * message naming the principal, the action and the resource, as IAM writes it ("User: <arn> is not authorized
 * to perform: <action> on resource: <arn> because no identity-based policy allows the <action> action";
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export function denialMessage(denial: Denial): string {
  return `User: ${denial.principal} is not authorized to perform: ${denial.action} on resource: ${denial.resource} ${denial.reason}`;
}

const QUERY_XMLNS: Record<string, string> = {
  sqs: "http://queue.amazonaws.com/doc/2012-11-05/",
  sns: "http://sns.amazonaws.com/doc/2010-03-31/",
  monitoring: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
};

function sendQueryDenial(
  res: ServerResponse,
  xmlns: string,
  code: string,
  message: string,
  id: string,
  status = 403,
): void {
  const text = `<?xml version="1.0"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlText(message)}</Message><Detail/></Error><RequestId>${id}</RequestId></ErrorResponse>`;
  res.writeHead(status, {
    "content-type": "text/xml",
    "x-amzn-requestid": id,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendJsonDenial(
  res: ServerResponse,
  options: { type: string; version: "1.0" | "1.1"; status: number; queryCode?: string },
  message: string,
  id: string,
): void {
  const text = JSON.stringify({ __type: options.type, message, Message: message });
  const headers: Record<string, string | number> = {
    "content-type": `application/x-amz-json-${options.version}`,
    "x-amzn-requestid": id,
    "x-amzn-errortype": options.type.slice(options.type.indexOf("#") + 1),
    "content-length": Buffer.byteLength(text),
  };
  if (options.queryCode) headers["x-amzn-query-error"] = `${options.queryCode};Sender`;
  res.writeHead(options.status, headers);
  res.end(text);
}

function sendRestJsonDenial(res: ServerResponse, message: string, id: string): void {
  const text = JSON.stringify({ Message: message, message });
  res.writeHead(403, {
    "content-type": "application/json",
    "x-amzn-errortype": "AccessDeniedException",
    "x-amzn-requestid": id,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendDenial(
  signingName: string,
  req: IncomingMessage,
  res: ServerResponse,
  denial: Denial,
  id: string,
): void {
  const message = denialMessage(denial);
  const query = isQueryRequest(req);
  // The key of an encrypted queue or topic refused the caller: SQS and SNS answer with their own KMS error
  // (SQS `KmsAccessDenied`, query code `KMS.AccessDeniedException`; SNS `KMSAccessDenied`; both 400), the
  // message still naming the principal, the kms: action and the key, as IAM writes it.
  const kms = denial.action.startsWith("kms:");
  switch (signingName) {
    case "sqs":
      if (kms && query)
        sendQueryDenial(res, QUERY_XMLNS.sqs as string, "KMS.AccessDeniedException", message, id, 400);
      else if (kms)
        sendJsonDenial(
          res,
          {
            type: "com.amazonaws.sqs#KmsAccessDenied",
            version: "1.0",
            status: 400,
            queryCode: "KMS.AccessDeniedException",
          },
          message,
          id,
        );
      else if (query) sendQueryDenial(res, QUERY_XMLNS.sqs as string, "AccessDenied", message, id);
      else
        sendJsonDenial(
          res,
          {
            type: "com.amazon.coral.service#AccessDeniedException",
            version: "1.0",
            status: 403,
            queryCode: "AccessDenied",
          },
          message,
          id,
        );
      return;
    case "sns":
      if (kms) sendQueryDenial(res, QUERY_XMLNS.sns as string, "KMSAccessDenied", message, id, 400);
      else sendQueryDenial(res, QUERY_XMLNS.sns as string, "AuthorizationError", message, id);
      return;
    case "sts":
      sendQueryDenial(res, QUERY_XMLNS.sts as string, "AccessDenied", message, id);
      return;
    case "monitoring": {
      if (query) {
        sendQueryDenial(res, QUERY_XMLNS.monitoring as string, "AccessDenied", message, id);
      } else if (String(req.headers["content-type"] ?? "").includes("cbor")) {
        const body = encodeCbor({ __type: "AccessDenied", message });
        res.writeHead(403, {
          "content-type": "application/cbor",
          "smithy-protocol": "rpc-v2-cbor",
          "x-amzn-requestid": id,
          "x-amzn-query-error": "AccessDenied;Sender",
          "content-length": body.length,
        });
        res.end(body);
      } else {
        sendJsonDenial(
          res,
          { type: "AccessDenied", version: "1.0", status: 403, queryCode: "AccessDenied" },
          message,
          id,
        );
      }
      return;
    }
    case "s3": {
      const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlText(message)}</Message><RequestId>${id}</RequestId><HostId>${Buffer.from(id).toString("base64")}</HostId></Error>`;
      if (req.method === "HEAD") {
        res.writeHead(403, { "x-amz-request-id": id });
        res.end();
        return;
      }
      res.writeHead(403, {
        "content-type": "application/xml",
        "x-amz-request-id": id,
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    case "events":
    case "logs":
      sendJsonDenial(res, { type: "AccessDeniedException", version: "1.1", status: 400 }, message, id);
      return;
    case "dynamodb":
      sendJsonDenial(
        res,
        { type: "com.amazon.coral.service#AccessDeniedException", version: "1.0", status: 400 },
        message,
        id,
      );
      return;
    case "sms-voice":
      sendJsonDenial(res, { type: "AccessDeniedException", version: "1.0", status: 400 }, message, id);
      return;
    default:
      sendRestJsonDenial(res, message, id);
  }
}
