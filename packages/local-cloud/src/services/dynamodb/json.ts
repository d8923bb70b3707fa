import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonOperation, parseJsonBody, requestId, sendJson, sendJsonError } from "../../protocol";
import { LocalServiceError } from "../../types";
import {
  CONDITIONAL_WRITES,
  DYNALITE_OPERATIONS,
  OPERATIONS,
  SCHEMA_OPERATIONS,
  withConditionItem,
} from "./api";
import {
  DYNAMODB_NAMESPACE,
  dynamoDbNotEmulated,
  errorNamespace,
  TransactionCanceledError,
  UNKNOWN_OPERATION_NAMESPACE,
} from "./errors";
import type { DynamoDbModel } from "./model";

/**
 * The AWS JSON 1.0 codec of the local DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Operation>`): the
 * operations of api.ts are decoded and answered here; dynalite's operations are relayed to it as they came
 * (its answer as it gave it, with the item added to a conditional write's failure when asked), under the
 * shared lock; any other operation is refused by name.
 */

/** Writes a DynamoDB error (a cancelled transaction with its `CancellationReasons`). */
export function sendDynamoDbError(res: ServerResponse, error: LocalServiceError): void {
  if (error instanceof TransactionCanceledError) {
    const text = JSON.stringify({
      __type: `${DYNAMODB_NAMESPACE}#${error.code}`,
      Message: error.message,
      message: error.message,
      CancellationReasons: error.reasons,
    });
    res.writeHead(400, {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-requestid": requestId(),
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  sendJsonError(res, error, { namespace: errorNamespace(error.code) });
}

/** Serves one DynamoDB request. */
export async function handleDynamoDb(
  model: DynamoDbModel,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  let operation: string;
  try {
    operation = jsonOperation(req);
  } catch (error) {
    sendDynamoDbError(res, error as LocalServiceError);
    return;
  }
  const own = OPERATIONS.get(operation);
  if (!own) {
    if (DYNALITE_OPERATIONS.has(operation)) await forward(model, operation, req, res, body);
    else sendJsonError(res, dynamoDbNotEmulated(operation), { namespace: UNKNOWN_OPERATION_NAMESPACE });
    return;
  }
  try {
    const input = parseJsonBody(body);
    const run = () => own.run(model, input);
    const output = await (own.exclusive ? model.lock.exclusive(run) : model.lock.shared(run));
    sendJson(res, output);
  } catch (error) {
    if (error instanceof LocalServiceError) sendDynamoDbError(res, error);
    else throw error;
  }
}

/** Forwards one request to dynalite and relays its answer (adding what dynalite leaves out). */
async function forward(
  model: DynamoDbModel,
  operation: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of ["authorization", "x-amz-date", "content-type"]) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const response = await model.lock.shared(async () => {
    const answer = await model.store.call(operation, body, headers);
    if (SCHEMA_OPERATIONS.has(operation)) model.transactions.forget();
    return answer;
  });
  let text = response.body;
  if (response.status === 400 && CONDITIONAL_WRITES.has(operation)) {
    text = await withConditionItem(model, text, body);
  }
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== "content-length" && name !== "x-amz-crc32") out[name] = value;
  }
  if (text === response.body && response.headers["x-amz-crc32"] !== undefined)
    out["x-amz-crc32"] = response.headers["x-amz-crc32"];
  out["content-length"] = Buffer.byteLength(text);
  res.writeHead(response.status, out);
  res.end(text);
}
