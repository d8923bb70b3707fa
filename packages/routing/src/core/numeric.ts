import { formatNumber, show } from "./json";

/**
 * The `numeric` operator: `["=", 5]`, `["<", 10]`, `[">", 0, "<=", 5]`. The grammar, and the order in which AWS
 * reports its errors, follow Event Ruler, which both SNS and EventBridge use.
 * https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#filtering-numeric-matching
 */
export interface NumericCondition {
  readonly test: (value: number) => boolean;
  /** The numbers written in the condition, for range and precision checks. */
  readonly operands: readonly number[];
}

const OPERATORS = new Set(["=", "<", "<=", ">", ">="]);

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function comparison(operator: string, operand: number): (value: number) => boolean {
  switch (operator) {
    case "=":
      return (value) => value === operand;
    case "<":
      return (value) => value < operand;
    case "<=":
      return (value) => value <= operand;
    case ">":
      return (value) => value > operand;
    default:
      return (value) => value >= operand;
  }
}

/** Parses a `numeric` expression; returns the condition, or the rule it breaks as a phrase. */
export function parseNumeric(expression: unknown): NumericCondition | string {
  if (!Array.isArray(expression))
    return `numeric must be an array such as [">", 0, "<=", 5] (got ${show(expression)})`;
  if (expression.length === 0) return "numeric must not be an empty array";
  const [operator, operand, upperOperator, upperOperand, ...extra] = expression as unknown[];
  if (typeof operator !== "string")
    return `numeric must start with an operator (=, <, <=, >, >=), not ${show(operator)}`;
  if (!OPERATORS.has(operator)) return `numeric operator ${show(operator)} is not one of =, <, <=, >, >=`;
  if (!isNumber(operand))
    return `numeric operator "${operator}" must be followed by a number (got ${show(operand)})`;
  if (expression.length === 2) return { test: comparison(operator, operand), operands: [operand] };
  if (operator !== ">" && operator !== ">=") {
    return `numeric range must start with ">" or ">=" followed by "<" or "<=" (got "${operator}" and more)`;
  }
  if (typeof upperOperator !== "string")
    return `numeric range needs "<" or "<=" after ${formatNumber(operand)} (got ${show(upperOperator)})`;
  if (upperOperator !== "<" && upperOperator !== "<=") {
    return `numeric range upper bound must use "<" or "<=" (got ${show(upperOperator)})`;
  }
  if (!isNumber(upperOperand))
    return `numeric operator "${upperOperator}" must be followed by a number (got ${show(upperOperand)})`;
  if (upperOperand <= operand) {
    return `numeric range lower bound ${formatNumber(operand)} must be less than upper bound ${formatNumber(upperOperand)}`;
  }
  if (extra.length > 0) return "numeric range takes at most two operator/number pairs";
  const lower = comparison(operator, operand);
  const upper = comparison(upperOperator, upperOperand);
  return { test: (value) => lower(value) && upper(value), operands: [operand, upperOperand] };
}

/** Digits after the decimal point in the shortest text for `value` (1e-7 has 7). */
export function decimalPlaces(value: number): number {
  const [mantissa = "", exponent] = String(value).toLowerCase().split("e");
  const fraction = mantissa.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

export interface NumericLimits {
  /** Largest absolute value AWS accepts. */
  readonly bound: number;
  /** Digits AWS keeps after the decimal point. */
  readonly decimals: number;
}

/** Returns the limit an operand breaks, as a phrase, or undefined. */
export function numericLimitProblem(value: number, limits: NumericLimits): string | undefined {
  if (Math.abs(value) > limits.bound) {
    const bound = limits.bound.toLocaleString("en-US");
    return `numeric values must be within -${bound} and ${bound} (got ${formatNumber(value)})`;
  }
  if (decimalPlaces(value) > limits.decimals) {
    return `numeric values may have at most ${limits.decimals} digits after the decimal point (got ${formatNumber(value)})`;
  }
  return undefined;
}
