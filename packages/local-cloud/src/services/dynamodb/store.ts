import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { LocalServiceError } from "../../types";

/**
 * The DynamoDB data plane: dynalite (a DynamoDB implementation on LevelDB) running in-process. Requests
 * reach its request listener directly (no socket hop); its HTTP server only listens, on an ephemeral
 * 127.0.0.1 port, so that closing it closes the LevelDB store gracefully (dynalite only closes its store
 * through `server.close()`, which needs a listening server), which releases the store's lock so a later
 * engine can reopen the same folder.
 */

/** A DynamoDB attribute value as the JSON protocol carries it. */
export type AttributeValue = Record<string, unknown>;
/** An item or key: attribute name -> attribute value. */
export type Item = Record<string, AttributeValue>;

/** The DynamoDB JSON namespace of service errors (what `__type` prefixes). */
export const DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810";

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

/** The error code of a DynamoDB JSON error body (`com.amazon...#Code` -> `Code`). */
export function errorCode(body: Record<string, unknown>): string {
  const type = typeof body.__type === "string" ? body.__type : "InternalFailure";
  return type.slice(type.lastIndexOf("#") + 1);
}

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
      const req = Readable.from(payload.length > 0 ? [payload] : []) as unknown as IncomingMessage;
      Object.assign(req, {
        method: "POST",
        url: "/",
        headers: {
          ...INTERNAL_AUTH,
          "content-type": "application/x-amz-json-1.0",
          ...headers,
          "x-amz-target": `DynamoDB_20120810.${operation}`,
          "content-length": String(payload.length),
        },
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

/**
 * A fair readers-writer lock: ordinary operations run concurrently (shared); a transaction runs alone
 * (exclusive), so no other request sees its intermediate state.
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> = [];

  /** Runs `task` alongside other shared tasks, never during an exclusive one. */
  shared<T>(task: () => Promise<T>): Promise<T> {
    return this.run(false, task);
  }

  /** Runs `task` alone. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.run(true, task);
  }

  private async run<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    await this.acquire(exclusive);
    try {
      return await task();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers -= 1;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ exclusive, grant: resolve }));
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writer = true;
    else this.readers += 1;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      if (!next || !this.canGrant(next.exclusive)) return;
      this.waiting.shift();
      this.take(next.exclusive);
      next.grant();
    }
  }
}
