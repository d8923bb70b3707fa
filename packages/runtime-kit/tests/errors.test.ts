import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  classifyAwsError,
  classifyError,
  isPermanent,
  isTransient,
  PermanentError,
  TransientError,
  ValidationError,
} from "../src/index";

/** An error shaped like an AWS SDK v3 service exception. */
const sdkError = (name: string, status?: number, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: status !== undefined && status < 500 ? "client" : "server",
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...extra,
  });

const networkError = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe("classifyAwsError", () => {
  it.each([
    { case: "ThrottlingException 400", error: sdkError("ThrottlingException", 400), kind: "transient" },
    {
      case: "TooManyRequestsException 429",
      error: sdkError("TooManyRequestsException", 429),
      kind: "transient",
    },
    {
      case: "ProvisionedThroughputExceededException 400",
      error: sdkError("ProvisionedThroughputExceededException", 400),
      kind: "transient",
    },
    { case: "RequestLimitExceeded 400", error: sdkError("RequestLimitExceeded", 400), kind: "transient" },
    { case: "an unnamed 429", error: sdkError("SomethingElse", 429), kind: "transient" },
    { case: "InternalServerError 500", error: sdkError("InternalServerError", 500), kind: "transient" },
    { case: "ServiceUnavailable 503", error: sdkError("ServiceUnavailable", 503), kind: "transient" },
    { case: "an unnamed 502", error: sdkError("Whatever", 502), kind: "transient" },
    {
      case: "TimeoutError",
      error: Object.assign(new Error("timed out"), { name: "TimeoutError" }),
      kind: "transient",
    },
    { case: "$retryable set on a 400", error: sdkError("Odd", 400, { $retryable: {} }), kind: "transient" },
    { case: "ECONNRESET", error: networkError("ECONNRESET"), kind: "transient" },
    { case: "ETIMEDOUT", error: networkError("ETIMEDOUT"), kind: "transient" },
    { case: "EAI_AGAIN", error: networkError("EAI_AGAIN"), kind: "transient" },
    { case: "AccessDeniedException 400", error: sdkError("AccessDeniedException", 400), kind: "transient" },
    { case: "ExpiredTokenException 400", error: sdkError("ExpiredTokenException", 400), kind: "transient" },
    {
      case: "ResourceNotFoundException 400",
      error: sdkError("ResourceNotFoundException", 400),
      kind: "transient",
    },
    { case: "S3 NoSuchBucket 404 (configuration)", error: sdkError("NoSuchBucket", 404), kind: "transient" },
    {
      case: "SNS NotFoundException 404 (configuration)",
      error: sdkError("NotFoundException", 404),
      kind: "transient",
    },
    { case: "S3 AccessDenied 403", error: sdkError("AccessDenied", 403), kind: "transient" },
    { case: "an unnamed 403", error: sdkError("Forbidden", 403), kind: "transient" },
    { case: "ValidationException 400", error: sdkError("ValidationException", 400), kind: "permanent" },
    {
      case: "ConditionalCheckFailedException 400",
      error: sdkError("ConditionalCheckFailedException", 400),
      kind: "permanent",
    },
    {
      case: "InvalidParameterException 400",
      error: sdkError("InvalidParameterException", 400),
      kind: "permanent",
    },
    { case: "GoneException 410", error: sdkError("GoneException", 410), kind: "permanent" },
    {
      case: "PayloadTooLargeException 413",
      error: sdkError("PayloadTooLargeException", 413),
      kind: "permanent",
    },
    { case: "$fault client, no status", error: { name: "Bad", $fault: "client" }, kind: "permanent" },
    { case: "$fault server, no status", error: { name: "Bad", $fault: "server" }, kind: "transient" },
    { case: "a plain Error", error: new Error("boom"), kind: "transient" },
    { case: "a string", error: "boom", kind: "transient" },
    { case: "undefined", error: undefined, kind: "transient" },
  ])("$case is $kind", ({ error, kind }) => {
    // Act
    const result = classifyAwsError(error);

    // Assess
    expect(result).toBe(kind);
  });
});

describe("classifyError", () => {
  it.each([
    { case: "PermanentError", error: new PermanentError("bad order"), type: PermanentError },
    {
      case: "ValidationError",
      error: new ValidationError([{ path: "body.x", message: "bad" }]),
      type: PermanentError,
    },
    { case: "TransientError", error: new TransientError("busy"), type: TransientError },
  ])("returns the kit's own $case unchanged", ({ error, type }) => {
    // Act
    const result = classifyError(error);

    // Assess
    expect(result).toBe(error);
    expect(result).toBeInstanceOf(type);
  });

  it("wraps an SDK client error as permanent, keeping the cause", () => {
    // Prepare
    const error = sdkError("ValidationException", 400);

    // Act
    const result = classifyError(error);

    // Assess
    expect(result).toBeInstanceOf(PermanentError);
    expect(result.reason).toBe("ValidationException: ValidationException happened");
    expect(result.cause).toBe(error);
  });

  it("wraps an unknown error as transient", () => {
    // Prepare
    const error = new TypeError("x is undefined");

    // Act
    const result = classifyError(error);

    // Assess
    expect(result).toBeInstanceOf(TransientError);
    expect(result.reason).toBe("TypeError: x is undefined");
  });

  it.each([
    { error: new PermanentError("p"), permanent: true },
    { error: sdkError("ValidationException", 400), permanent: true },
    { error: sdkError("ThrottlingException", 400), permanent: false },
    { error: new Error("?"), permanent: false },
  ])("isPermanent / isTransient agree for $error.name", ({ error, permanent }) => {
    // Act
    const result = [isPermanent(error), isTransient(error)];

    // Assess
    expect(result).toEqual([permanent, !permanent]);
  });
});

describe("ValidationError", () => {
  it("renders zod issues as field.path: message, under a subject", () => {
    // Prepare
    const schema = z.object({ order: z.object({ id: z.string(), lines: z.array(z.number()) }) });
    const result = schema.safeParse({ order: { lines: [1, "2"] } });
    if (result.success) throw new Error("expected the parse to fail");

    // Act
    const error = ValidationError.fromZod(result.error, { subject: "SQS message m-1", at: "body" });

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.name).toBe("ValidationError");
    expect(error.issues.map((issue) => issue.path)).toEqual(["body.order.id", "body.order.lines.1"]);
    expect(error.message).toMatch(
      /^SQS message m-1 is invalid: body\.order\.id: .+; body\.order\.lines\.1: .+$/,
    );
    expect(error.reason).toBe(error.message);
    expect(error.cause).toBe(result.error);
  });
});
