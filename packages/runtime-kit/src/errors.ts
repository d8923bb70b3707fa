import type { z } from "zod";

/** One problem found while validating input, e.g. `{ path: "body.Message.orderId", message: "..." }`. */
export interface ValidationIssue {
  /** Dot-separated path of the field inside the record (`""` for the record itself). */
  readonly path: string;
  readonly message: string;
}

/** Base class of every error this kit throws. */
export class RuntimeKitError extends Error {
  override name = "RuntimeKitError";
}

/**
 * A failure that retrying cannot fix: bad input, a failed validation, a business rule.
 *
 * `processSqsBatch` never retries it: the record goes to the dead-letter queue (through the
 * `deadLetter` adapter) with `reason`, or, without an adapter, is reported failed so the redrive
 * policy moves it.
 */
export class PermanentError extends RuntimeKitError {
  override name = "PermanentError";
  /** Short, log-safe explanation; carried to the DLQ as `switchyard.failure.reason`. Must not contain PII. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.reason = reason;
  }
}

/** A failure that may go away on retry: throttling, 5xx, timeouts, network errors. */
export class TransientError extends RuntimeKitError {
  override name = "TransientError";
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.reason = reason;
  }
}

/**
 * Input did not match its schema. Permanent. The message names every bad field as
 * `field.path: message`, e.g. `SQS message 42 is invalid: body.orderId: Invalid input: expected string`.
 */
export class ValidationError extends PermanentError {
  override name = "ValidationError";
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options?: ErrorOptions & { subject?: string }) {
    const rendered = issues.map(renderIssue).join("; ");
    super(options?.subject ? `${options.subject} is invalid: ${rendered}` : rendered, options);
    this.issues = issues;
  }

  /**
   * Builds a `ValidationError` from a zod error. `at` is prepended to every issue path so the message
   * says where the value sits in the record (`body.Message`).
   */
  static fromZod(
    error: z.ZodError,
    options?: ErrorOptions & { subject?: string; at?: string },
  ): ValidationError {
    const issues = error.issues.map((issue) => ({
      path: joinPath(options?.at, issue.path),
      message: issue.message,
    }));
    return new ValidationError(issues, { ...options, cause: options?.cause ?? error });
  }
}

/** The handler environment is missing variables or has invalid ones. Thrown at cold start by `parseEnv`. */
export class EnvironmentError extends RuntimeKitError {
  override name = "EnvironmentError";
  /** One entry per problem, e.g. `TABLE_NAME is required`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Handler environment is invalid: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** The dead-letter adapter refused a message (too large) or could not send it. */
export class DeadLetterError extends RuntimeKitError {
  override name = "DeadLetterError";
}

const renderIssue = (issue: ValidationIssue): string =>
  issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;

/** Joins a prefix and a zod path into `a.b.0.c`. */
export const joinPath = (prefix: string | undefined, path: readonly PropertyKey[]): string =>
  [...(prefix ? [prefix] : []), ...path.map(String)].join(".");
