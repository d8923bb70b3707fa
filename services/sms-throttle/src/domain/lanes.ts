import { derivationLimits, type Origination, originationOf, type SmsThrottleConfig } from "../config";
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
  /** Attribute-scoped filter policy of the lane's subscription; undefined for the catch-all (it takes every message). */
  filterPolicy: Record<string, unknown> | undefined;
  /**
   * Catch-all only, when countries are listed: the attribute-scoped policy that matches exactly the messages some
   * country lane's subscription also receives (the union of their filter policies). The catch-all sender skips
   * those: their own lane sends them.
   */
  otherLanesPolicy?: Record<string, unknown>;
  derivation: LaneDerivation;
  oldestMessageAgeAlarmSeconds: number;
  /** The identity the lane sends from: its country's own, else the service's default (the catch-all's). */
  origination: Origination;
}

export const CATCH_ALL_ID = "other";

/**
 * The lanes a (validated) config declares, in a stable order: countries in config order, classes in config order,
 * then the catch-all. The catch-all's subscription has no filter policy, so SNS delivers every published message
 * to it, including one without any message attribute (which no attribute-scoped policy matches, not even
 * `exists: false`). Its sender skips what a country lane also received (`otherLanesPolicy`, evaluated with the same
 * matcher) and handles the rest: unlisted countries are sent, messages without a country or with an unknown use
 * case are dead-lettered with their reason. No published request is dropped by SNS.
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
        origination: originationOf(config, country),
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
    filterPolicy: undefined,
    ...(listed.length > 0 ? { otherLanesPolicy: otherLanesPolicy(listed) } : {}),
    derivation: derive(config.catchAll.partsPerSecond, "catchAll.partsPerSecond"),
    oldestMessageAgeAlarmSeconds: catchAllAge,
    origination: originationOf(config, undefined),
  });
  return lanes;
};

/**
 * What the country lanes receive together: every class of a listed country covers some use cases and the classes
 * cover them all (the config refuses an uncovered use case), so the union of `{country: [CC], useCase: [class]}`
 * over countries and classes is exactly this policy.
 */
const otherLanesPolicy = (listed: readonly string[]): Record<string, unknown> => ({
  [ATTRIBUTES.country]: [...listed],
  [ATTRIBUTES.useCase]: [...USE_CASES],
});
