/**
 * CloudWatch rules: statistics over stored data points,
 * and the texts AWS puts in alarm state reasons and notifications.
 */

/** Aggregated data points: one PutMetricData value, a StatisticSet, or a Values/Counts pair. */
export interface DataPoint {
  timestamp: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  /** Individual values (with their counts), when known: for percentiles. */
  values?: Array<{ value: number; count: number }>;
  unit?: string;
}

export type Statistic = "SampleCount" | "Sum" | "Average" | "Minimum" | "Maximum";

export const STATISTICS: readonly Statistic[] = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"];

/** Computes a statistic (or a `pNN` extended statistic) over data points; undefined when there are none. */
export function statistic(points: readonly DataPoint[], stat: string): number | undefined {
  if (points.length === 0) return undefined;
  switch (stat) {
    case "SampleCount":
      return points.reduce((total, point) => total + point.sampleCount, 0);
    case "Sum":
      return points.reduce((total, point) => total + point.sum, 0);
    case "Average": {
      const count = points.reduce((total, point) => total + point.sampleCount, 0);
      return count === 0 ? undefined : points.reduce((total, point) => total + point.sum, 0) / count;
    }
    case "Minimum":
      return Math.min(...points.map((point) => point.min));
    case "Maximum":
      return Math.max(...points.map((point) => point.max));
    default: {
      const match = /^p(\d+(\.\d+)?)$/i.exec(stat);
      if (!match) return undefined;
      const percentile = Number(match[1]);
      const values = points.flatMap((point) => point.values ?? []).sort((a, b) => a.value - b.value);
      const total = values.reduce((sum, entry) => sum + entry.count, 0);
      if (total === 0) return undefined;
      const rank = Math.max(1, Math.ceil((percentile / 100) * total));
      let seen = 0;
      for (const entry of values) {
        seen += entry.count;
        if (seen >= rank) return entry.value;
      }
      return values[values.length - 1]?.value;
    }
  }
}

export type ComparisonOperator =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

const OPERATOR_TEXT: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

export function isSupportedOperator(operator: string): operator is ComparisonOperator {
  return operator in OPERATOR_TEXT;
}

export function breaches(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

export function operatorText(operator: ComparisonOperator): string {
  return OPERATOR_TEXT[operator];
}

/** A number the way CloudWatch (Java) prints doubles in reasons: `1.0`, `0.5`. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

const pad = (value: number): string => String(value).padStart(2, "0");

/** `dd/MM/yy HH:mm:ss` in UTC, as alarm reasons print data point times. */
export function reasonDate(epochMs: number): string {
  const date = new Date(epochMs);
  return `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCFullYear() % 100)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** `2024-03-15T10:20:00.000+0000`, the time format of alarm notifications. */
export function notificationDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "+0000");
}

const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "ca-central-1": "Canada (Central)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-central-2": "EU (Zurich)",
  "eu-north-1": "EU (Stockholm)",
  "eu-south-1": "EU (Milan)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-northeast-2": "Asia Pacific (Seoul)",
  "ap-northeast-3": "Asia Pacific (Osaka)",
  "sa-east-1": "South America (Sao Paulo)",
};

/** The region's display name, as alarm notifications and their subjects print it. */
export function regionDisplayName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** The Trigger's `Statistic` spelling in alarm notifications (`MAXIMUM`, `SAMPLE_COUNT`). */
export function triggerStatistic(stat: string): string {
  return stat.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
