import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { EnvironmentError, envSchemas, parseEnv, RuntimeKitError } from "../src/index";

const schema = z.object({
  TABLE_NAME: envSchemas.string,
  BATCH_SHARE: envSchemas.number,
  BATCH_SIZE: envSchemas.positiveInt,
  DLQ_URL: envSchemas.url,
  TOPIC_ARN: envSchemas.arnOf("sns"),
  DRY_RUN: envSchemas.boolean.default(false),
});

const valid = {
  TABLE_NAME: "orders",
  BATCH_SHARE: "0.25",
  BATCH_SIZE: "10",
  DLQ_URL: "http://localhost:4566/000000000000/orders-dlq",
  TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:orders",
};

const errorOf = (fn: () => unknown): EnvironmentError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof EnvironmentError) return error;
    throw error;
  }
  throw new Error("expected an EnvironmentError");
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("parseEnv", () => {
  it("returns typed, converted values and ignores variables outside the schema", () => {
    // Prepare
    const env = { ...valid, DRY_RUN: "TRUE", UNRELATED_SECRET: "s3cr3t" };

    // Act
    const parsed = parseEnv(schema, env);

    // Assess
    expect(parsed).toEqual({
      TABLE_NAME: "orders",
      BATCH_SHARE: 0.25,
      BATCH_SIZE: 10,
      DLQ_URL: "http://localhost:4566/000000000000/orders-dlq",
      TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:orders",
      DRY_RUN: true,
    });
  });

  it("applies schema defaults to missing variables", () => {
    // Act
    const parsed = parseEnv(schema, valid);

    // Assess
    expect(parsed.DRY_RUN).toBe(false);
  });

  it("names every missing and invalid variable in one message", () => {
    // Prepare
    const env = {
      BATCH_SHARE: "abc",
      BATCH_SIZE: "0",
      DLQ_URL: "ftp://example.com/q",
      TOPIC_ARN: valid.TOPIC_ARN,
    };

    // Act
    const error = errorOf(() => parseEnv(schema, env));

    // Assess
    expect(error.message).toBe(
      "Handler environment is invalid: TABLE_NAME is required; " +
        'BATCH_SHARE must be a number (got "abc"); ' +
        'BATCH_SIZE must be a positive integer (got "0"); ' +
        'DLQ_URL must be an http(s) URL (got "ftp://example.com/q")',
    );
    expect(error.problems).toHaveLength(4);
  });

  it("treats an empty value as missing", () => {
    // Act
    const error = errorOf(() => parseEnv(schema, { ...valid, TABLE_NAME: "" }));

    // Assess
    expect(error.problems).toEqual(["TABLE_NAME is required"]);
    expect(error).toBeInstanceOf(RuntimeKitError);
  });

  it("never echoes the value of a variable whose name looks secret", () => {
    // Prepare
    const secretSchema = z.object({ API_TOKEN: z.string().min(32), SIGNING_KEY: z.string().min(32) });

    // Act
    const error = errorOf(() => parseEnv(secretSchema, { API_TOKEN: "hunter2", SIGNING_KEY: "abc" }));

    // Assess
    expect(error.message).not.toContain("hunter2");
    expect(error.problems).toEqual([
      "API_TOKEN must be at least 32 characters long (got a value of 7 characters)",
      "SIGNING_KEY must be at least 32 characters long (got a value of 3 characters)",
    ]);
  });

  it("reads process.env by default", () => {
    // Prepare
    vi.stubEnv("SWITCHYARD_TEST_ONLY_VAR", "42");
    const one = z.object({ SWITCHYARD_TEST_ONLY_VAR: envSchemas.positiveInt });

    // Act
    const parsed = parseEnv(one);

    // Assess
    expect(parsed.SWITCHYARD_TEST_ONLY_VAR).toBe(42);
  });

  it("describes plain zod schemas too", () => {
    // Prepare
    const plain = z.object({ MODE: z.enum(["fast", "safe"]), RETRIES: z.coerce.number().int().max(5) });

    // Act
    const error = errorOf(() => parseEnv(plain, { MODE: "slow", RETRIES: "9" }));

    // Assess
    expect(error.problems).toEqual([
      'MODE must be one of "fast", "safe" (got "slow")',
      'RETRIES must be at most 5 (got "9")',
    ]);
  });
});

describe("envSchemas", () => {
  describe.each([
    {
      name: "positiveInt",
      schema: envSchemas.positiveInt,
      ok: [
        ["1", 1],
        [" 250 ", 250],
      ],
      bad: ["0", "-1", "1.5", "1e3", "0x10", "abc"],
    },
    {
      name: "nonNegativeInt",
      schema: envSchemas.nonNegativeInt,
      ok: [
        ["0", 0],
        ["7", 7],
      ],
      bad: ["-1", "01", "2.0"],
    },
    {
      name: "number",
      schema: envSchemas.number,
      ok: [
        ["0.25", 0.25],
        ["-3", -3],
        ["1e3", 1000],
      ],
      bad: ["abc", "Infinity", "1,5"],
    },
    {
      name: "boolean",
      schema: envSchemas.boolean,
      ok: [
        ["true", true],
        ["FALSE", false],
        ["1", true],
        ["0", false],
      ],
      bad: ["yes", "no"],
    },
    {
      name: "arn",
      schema: envSchemas.arn,
      ok: [
        ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket"],
        ["arn:aws-cn:sqs:cn-north-1:123456789012:q", "arn:aws-cn:sqs:cn-north-1:123456789012:q"],
      ],
      bad: ["bucket", "arn:aws:sqs"],
    },
    {
      name: "url",
      schema: envSchemas.url,
      ok: [
        [
          "https://sqs.us-east-1.amazonaws.com/123456789012/q",
          "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        ],
      ],
      bad: ["not a url", "ftp://host/x"],
    },
  ] as const)("$name", ({ schema, ok, bad }) => {
    it.each(ok.map(([input, output]) => ({ input, output })))("accepts $input", ({ input, output }) => {
      // Act
      const result = schema.safeParse(input);

      // Assess
      expect(result).toEqual({ success: true, data: output });
    });

    it.each(bad.map((input) => ({ input })))("refuses $input", ({ input }) => {
      // Act
      const result = schema.safeParse(input);

      // Assess
      expect(result.success).toBe(false);
    });
  });

  it("csv splits, trims and drops empty items", () => {
    // Act
    const result = envSchemas.csv.parse("a, b,,c ");

    // Assess
    expect(result).toEqual(["a", "b", "c"]);
  });

  it("arnOf refuses an ARN of another service", () => {
    // Act
    const result = envSchemas.arnOf("sqs").safeParse("arn:aws:sns:us-east-1:123456789012:orders");

    // Assess
    expect(result.success).toBe(false);
  });
});
