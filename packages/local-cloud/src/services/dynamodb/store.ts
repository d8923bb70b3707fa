import { EventEmitter } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { LocalServiceError } from "../../types";
import { errorCode } from "./errors";

/**
 * The DynamoDB data plane: dynalite (a DynamoDB implementation on LevelDB) running in-process. Requests
 * reach its request listener directly (no socket hop); its HTTP server only listens, on an ephemeral
 * 127.0.0.1 port, so that closing it closes the LevelDB store gracefully (dynalite only closes its store
 * through `server.close()`, which needs a listening server), which releases the store's lock so a later
 * engine can reopen the same folder.
 */

/** One answer of dynalite. */
export interface DynaliteResponse {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

const require = createRequire(import.meta.url);

/** A request signature dynalite accepts (it checks the shape, never the signature). */
const INTERNAL_AUTH = {
  authorization:
    "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local",
  "x-amz-date": "20240101T000000Z",
};

/** dynalite in-process. */
export class DynaliteStore {
  private readonly server: Server;
  private readonly listener: RequestListener;
  private readonly listening: Promise<void>;

  /**
   * @param options.path LevelDB folder; in memory when undefined.
   * @param options.accountId / options.region go into the table ARNs dynalite records.
   */
  constructor(options: { path?: string; accountId: string; region: string }) {
    const dynalite = require("dynalite") as DynaliteFactory;
    // dynalite reads the account and region of its ARNs from the environment when it creates its store:
    // set them for that synchronous moment only.
    const saved = { AWS_ACCOUNT_ID: process.env.AWS_ACCOUNT_ID, AWS_REGION: process.env.AWS_REGION };
    process.env.AWS_ACCOUNT_ID = options.accountId;
    process.env.AWS_REGION = options.region;
    try {
      this.server = dynalite({
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
        ...(options.path ? { path: options.path } : {}),
      });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const listener = this.server.listeners("request")[0];
    if (typeof listener !== "function") throw new Error("dynalite has no request listener");
    this.listener = listener as RequestListener;
    this.listening = new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server.unref();
  }

  /**
   * Sends one operation to dynalite with the caller's headers (`authorization`, `x-amz-date`, content
   * type) or internal ones, and returns its raw answer.
   */
  call(
    operation: string,
    body: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<DynaliteResponse> {
    return new Promise((resolve, reject) => {
      const payload = typeof body === "string" ? Buffer.from(body) : body;
      // What dynalite reads of a request: its listeners for `data`, `end` and `error`, then the headers,
      // method and URL. The body is emitted on the next tick, once the listener has subscribed (a stream
      // from `Readable.from` did the same through an async iterator, at several times the cost per request).
      const req = Object.assign(new EventEmitter(), {
        method: "POST",
        url: "/",
        headers: {
          ...INTERNAL_AUTH,
          "content-type": "application/x-amz-json-1.0",
          ...headers,
          "x-amz-target": `DynamoDB_20120810.${operation}`,
          "content-length": String(payload.length),
        },
      }) as unknown as IncomingMessage;
      process.nextTick(() => {
        if (payload.length > 0) req.emit("data", payload);
        req.emit("end");
      });
      const responseHeaders: Record<string, string | number> = {};
      const res: { statusCode: number; contentType?: string; [name: string]: unknown } = {
        statusCode: 200,
        setHeader(name: string, value: string | number) {
          responseHeaders[name.toLowerCase()] = value;
        },
        getHeader(name: string) {
          return responseHeaders[name.toLowerCase()];
        },
        end(chunk?: Buffer | string) {
          resolve({
            status: res.statusCode,
            headers: responseHeaders,
            body: chunk === undefined ? "" : String(chunk),
          });
        },
      };
      try {
        this.listener(req, res as unknown as ServerResponse);
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * Runs one operation and returns its output.
   * @throws LocalServiceError with dynalite's error code (e.g. `ConditionalCheckFailedException`)
   */
  async request<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T> {
    const response = await this.call(operation, JSON.stringify(input));
    const parsed = (response.body ? JSON.parse(response.body) : {}) as Record<string, unknown>;
    if (response.status >= 300) {
      const message =
        typeof parsed.message === "string"
          ? parsed.message
          : typeof parsed.Message === "string"
            ? parsed.Message
            : "";
      throw new LocalServiceError(errorCode(parsed), message, response.status);
    }
    return parsed as T;
  }

  /** Closes the store (waits for pending writes) and the listening socket. */
  async close(): Promise<void> {
    await this.listening.catch(() => undefined);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
    });
  }
}
