import type { SnsMessageAttributes } from "../src/index";

/**
 * Builds a Publish MessageAttributes map from plain values: strings become String, numbers Number (sent as text,
 * as SNS takes them), arrays String.Array (JSON text). Use an explicit attribute for other types.
 */
export function attributes(
  values: Record<string, string | number | unknown[] | object>,
): SnsMessageAttributes {
  const result: Record<string, { DataType: string; StringValue: string }> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "string") result[name] = { DataType: "String", StringValue: value };
    else if (typeof value === "number") result[name] = { DataType: "Number", StringValue: String(value) };
    else if (Array.isArray(value))
      result[name] = { DataType: "String.Array", StringValue: JSON.stringify(value) };
    else result[name] = value as { DataType: string; StringValue: string };
  }
  return result;
}

export const SNS_DOCS = {
  stringMatching: "https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html",
  numericMatching: "https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html",
  keyMatching: "https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html",
  andOr: "https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html",
  examples: "https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html",
  scope: "https://docs.aws.amazon.com/sns/latest/dg/message-filtering-scope.html",
  constraints: "https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html",
  payloadBlog:
    "https://aws.amazon.com/blogs/compute/introducing-payload-based-message-filtering-for-amazon-sns/",
} as const;

export const EB_DOCS = {
  patterns: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html",
  operators: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html",
  contentFiltering:
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html",
  arrays: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html",
  nullValues: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html",
  ruler: "https://github.com/aws/event-ruler",
} as const;
