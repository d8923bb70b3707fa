import { derivationLimits, type SmsThrottleConfig } from "../config";
import { ATTRIBUTES, USE_CASES, type UseCase } from "../constants";
import { deriveLane, type LaneDerivation } from "./budget";

/** One queue and its sender: a country and class, or the catch-all. */
export interface LanePlan {
  /** `de-verification`, or `other` for the catch-all. */
  id: string;
  /** Undefined for the catch-all. */
  country?: string;
  /** Undefined for the catch-all. */
  className?: string;
  useCases: readonly UseCase[];
  /** Undefined when no country is listed: the catch-all then takes every message. */
  filterPolicy: Record<string, unknown> | undefined;
  derivation: LaneDerivation;
  oldestMessageAgeAlarmSeconds: number;
}

export const CATCH_ALL_ID = "other";

/**
 * The lanes a (validated) config declares, in a stable order: countries in config order, classes in config order,
 * then the catch-all. The catch-all takes unlisted countries, and also messages without a country or with a use
 * case no class knows, so that their sender dead-letters them with a reason instead of SNS dropping them.
 */
export const planLanes = (config: SmsThrottleConfig): LanePlan[] => {
  const limits = derivationLimits(config);
  const derive = (budget: number, where: string): LaneDerivation => {
    const result = deriveLane(budget, limits);
    if (!result.ok) throw new RangeError(`${where}: ${result.expected}`);
    return result.lane;
  };
  const lanes: LanePlan[] = [];
  for (const [country, spec] of Object.entries(config.countries)) {
    for (const [className, cls] of Object.entries(config.classes)) {
      lanes.push({
        id: `${country.toLowerCase()}-${className}`,
        country,
        className,
        useCases: cls.useCases,
        filterPolicy: { [ATTRIBUTES.country]: [country], [ATTRIBUTES.useCase]: [...cls.useCases] },
        derivation: derive(spec.budgets[className] ?? 0, `countries.${country}.budgets.${className}`),
        oldestMessageAgeAlarmSeconds: cls.oldestMessageAgeAlarmSeconds,
      });
    }
  }
  const listed = Object.keys(config.countries);
  const catchAllAge = Math.max(
    ...Object.values(config.classes).map((c) => c.oldestMessageAgeAlarmSeconds),
    60,
  );
  lanes.push({
    id: CATCH_ALL_ID,
    useCases: USE_CASES,
    filterPolicy: catchAllPolicy(listed),
    derivation: derive(config.catchAll.partsPerSecond, "catchAll.partsPerSecond"),
    oldestMessageAgeAlarmSeconds: catchAllAge,
  });
  return lanes;
};

const catchAllPolicy = (listed: readonly string[]): Record<string, unknown> | undefined => {
  const branches: Record<string, unknown>[] = [
    { [ATTRIBUTES.country]: [{ exists: false }] },
    { [ATTRIBUTES.useCase]: [{ "anything-but": [...USE_CASES] }] },
    { [ATTRIBUTES.useCase]: [{ exists: false }] },
  ];
  if (listed.length === 0) return undefined;
  return { $or: [{ [ATTRIBUTES.country]: [{ "anything-but": [...listed] }] }, ...branches] };
};
