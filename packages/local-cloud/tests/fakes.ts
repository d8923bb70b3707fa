import { randomUUID } from "node:crypto";
import {
  type InternalSendInput,
  type LambdaEngine,
  type LocalContext,
  type LocalLogger,
  LocalServiceError,
  type ServiceEmulator,
  type SqsEngine,
} from "../src/types";

/**
 * Stand-ins for the SQS and Lambda emulators, for testing the emulators that deliver to them (SNS,
 * EventBridge) without depending on those.
 */

export interface Sent {
  queueArn: string;
  input: InternalSendInput;
}

/**
 * A stand-in for the SQS emulator: a fixed set of queues (by ARN), every send recorded. `failures` makes sends
 * to a queue throw (a function of the attempt number, returning the error or undefined to accept). It applies
 * the two SQS rules deliveries must respect: at most 10 message attributes, and a group id on FIFO queues.
 */
export function fakeSqs(queues: string[], arnOf: (name: string) => string = (name) => name) {
  const sent: Sent[] = [];
  const attempts = new Map<string, number>();
  const failures = new Map<string, (attempt: number) => Error | undefined>();
  const factory = (_ctx: LocalContext): ServiceEmulator & SqsEngine => ({
    signingNames: [],
    provision() {},
    handle(_req, res) {
      res.writeHead(501);
      res.end();
    },
    hasQueue: (arn) => queues.includes(arn),
    queueUrl: (arn) => `http://local/${arn}`,
    send(arn, input) {
      if (!queues.includes(arn)) {
        throw new LocalServiceError("AWS.SimpleQueueService.NonExistentQueue", `no queue ${arn}`);
      }
      const attempt = (attempts.get(arn) ?? 0) + 1;
      attempts.set(arn, attempt);
      const failure = failures.get(arn)?.(attempt);
      if (failure) throw failure;
      if (Object.keys(input.messageAttributes ?? {}).length > 10) {
        throw new LocalServiceError("InvalidParameterValue", "too many attributes");
      }
      if (arn.endsWith(".fifo") && !input.messageGroupId)
        throw new LocalServiceError("MissingParameter", "group");
      sent.push({ queueArn: arn, input });
      return { messageId: randomUUID() };
    },
    receive: async () => [],
    deleteMessage: () => false,
    changeVisibility: () => false,
    hold: () => () => undefined,
    depth: () => ({ visible: 0, inFlight: 0, delayed: 0, oldestAgeSeconds: 0 }),
    list: () => [],
  });
  /** What was sent to a queue, by name (through `arnOf`) or ARN. */
  const to = (queue: string) => {
    const arn = queue.startsWith("arn:") ? queue : arnOf(queue);
    return sent.filter((entry) => entry.queueArn === arn);
  };
  const bodies = (queue: string) =>
    to(queue).map((entry) => JSON.parse(entry.input.body) as Record<string, unknown>);
  return { factory, sent, attempts, failures, to, bodies };
}

/** A stand-in for the Lambda emulator: records asynchronous invocations of the functions it knows. */
export function fakeLambda(functions: string[]) {
  const invocations: Array<{ fn: string; event: unknown; source?: string }> = [];
  const factory = (_ctx: LocalContext): ServiceEmulator & LambdaEngine => ({
    signingNames: [],
    provision() {},
    handle(_req, res) {
      res.writeHead(501);
      res.end();
    },
    hasFunction: (name) => functions.includes(name),
    invoke: async () => ({ durationMs: 0 }),
    invokeAsync(fn, event, options) {
      invocations.push({ fn, event, source: options?.source });
    },
  });
  return { factory, invocations };
}

/** A logger keeping warnings and errors, for asserting what an emulator reported. */
export function captureLog() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const log: LocalLogger = {
    debug: () => {},
    info: () => {},
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
  };
  return { log, lines };
}
